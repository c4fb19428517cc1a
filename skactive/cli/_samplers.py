# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""The samplers the commands offer, found by :func:`skactive.utils.all_samplers`."""

from skactive.base import get_sampler_tags
from skactive.utils import all_samplers

# The order the commands list the samplers in: the low-budget default, the
# high-budget method, the baseline; any other sampler follows them, by name.
FIRST = ("TypiClust", "Coreset", "Random")


def feature_samplers():
    """The samplers that need the features only, in the commands' order.

    A sampler whose tags say it reads labels or needs an estimator is left out:
    no command takes labels or an estimator yet.

    Returns
    -------
    samplers : list of (str, type)
        ``(short name, class)`` pairs; the short name is the class name without
        its ``Sampler`` suffix (``"TypiClust"``).
    """
    found = {}
    for name, cls in all_samplers():
        tags = get_sampler_tags(cls())
        if tags.requires_labels or tags.requires_estimator:
            continue
        found[name.removesuffix("Sampler")] = cls
    order = [name for name in FIRST if name in found]
    order += sorted(set(found) - set(order))
    return [(name, found[name]) for name in order]


def command_samplers():
    """Every sampler skactive ships, in the commands' order.

    Returns
    -------
    samplers : list of (str, type)
        ``(short name, class)`` pairs, as :func:`feature_samplers` gives them,
        samplers that read labels included.
    """
    found = {name.removesuffix("Sampler"): cls for name, cls in all_samplers()}
    order = [name for name in FIRST if name in found]
    order += sorted(set(found) - set(order))
    return [(name, found[name]) for name in order]
