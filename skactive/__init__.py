# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""skactive: active learning on a budget, the scikit-learn way."""

from importlib.metadata import PackageNotFoundError, version

from skactive.base import BaseSampler
from skactive.samplers import (
    BADGESampler,
    BudgetSwitchSampler,
    CoresetSampler,
    MaxHerdingSampler,
    ProbCoverSampler,
    RandomSampler,
    TypiClustSampler,
    UHerdingSampler,
    UncertaintySampler,
    k_center_greedy,
    typicality,
)

try:
    __version__ = version("skactive")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "BADGESampler",
    "BaseSampler",
    "BudgetSwitchSampler",
    "CoresetSampler",
    "MaxHerdingSampler",
    "ProbCoverSampler",
    "RandomSampler",
    "TypiClustSampler",
    "UHerdingSampler",
    "UncertaintySampler",
    "__version__",
    "k_center_greedy",
    "typicality",
]
