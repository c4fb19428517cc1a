# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""scikit-learn's estimator checks and skactive's sampler checks, run on every
sampler that ``all_samplers()`` finds."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skactive.utils import all_samplers
from skactive.utils.estimator_checks import parametrize_with_sampler_checks

SAMPLERS = [cls(random_state=0) for _, cls in all_samplers()]


def test_all_samplers_finds_the_public_samplers():
    import skactive

    names = [name for name, _ in all_samplers()]
    assert names == sorted(names)
    exported = {n for n in skactive.__all__ if n.endswith("Sampler")} - {"BaseSampler"}
    assert set(names) == exported


@parametrize_with_checks(SAMPLERS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@parametrize_with_sampler_checks(SAMPLERS)
def test_sampler_contract(sampler, check):
    check(sampler)
