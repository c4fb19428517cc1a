# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Samplers: estimators that choose which points to label next."""

from skactive.samplers._coreset import CoresetSampler, k_center_greedy
from skactive.samplers._random import RandomSampler
from skactive.samplers._typiclust import TypiClustSampler, typicality

__all__ = [
    "CoresetSampler",
    "RandomSampler",
    "TypiClustSampler",
    "k_center_greedy",
    "typicality",
]
