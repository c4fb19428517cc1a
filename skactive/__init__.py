# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""skactive: active learning on a budget, the scikit-learn way."""

import importlib
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("skactive")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

# The public names load on first use (PEP 562), so that ``import skactive.cli``
# (the console script's first line) imports no numpy or scikit-learn and a Ctrl-C
# during those imports reaches the command line's own handler.
_WHERE = {
    "BaseSampler": "skactive.base",
    **dict.fromkeys(
        [
            "BADGESampler",
            "BudgetSwitchSampler",
            "CoresetSampler",
            "MaxHerdingSampler",
            "ProbCoverSampler",
            "RandomSampler",
            "TypiClustSampler",
            "UHerdingSampler",
            "UncertaintySampler",
            "k_center_greedy",
            "typicality",
        ],
        "skactive.samplers",
    ),
}

# The subpackages, reached as attributes after ``import skactive`` as before.
_SUBPACKAGES = {
    "backends",
    "base",
    "cli",
    "cluster",
    "evaluation",
    "features",
    "integration",
    "neighbors",
    "plotting",
    "samplers",
    "utils",
}

__all__ = sorted([*_WHERE, "__version__"])


def __getattr__(name):
    if name in _SUBPACKAGES:
        return importlib.import_module(f"skactive.{name}")
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'skactive' has no attribute {name!r}")
    value = getattr(importlib.import_module(where), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted({*globals(), *__all__, *_SUBPACKAGES})
