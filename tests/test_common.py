# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""scikit-learn's estimator checks, run on every sampler."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skactive import CoresetSampler, RandomSampler, TypiClustSampler

SAMPLERS = [
    CoresetSampler(random_state=0),
    RandomSampler(random_state=0),
    TypiClustSampler(random_state=0),
]


@parametrize_with_checks(SAMPLERS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
