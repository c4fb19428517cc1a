# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Samplers: estimators that choose which points to label next."""

from skactive.samplers._badge import BADGESampler
from skactive.samplers._coreset import CoresetSampler, k_center_greedy
from skactive.samplers._herding import MaxHerdingSampler, UHerdingSampler
from skactive.samplers._probcover import ProbCoverSampler
from skactive.samplers._random import RandomSampler
from skactive.samplers._switch import BudgetSwitchSampler, learning_gain
from skactive.samplers._typiclust import TypiClustSampler, typicality
from skactive.samplers._uncertainty import UncertaintySampler, uncertainty_scores

__all__ = [
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
    "learning_gain",
    "typicality",
    "uncertainty_scores",
]
