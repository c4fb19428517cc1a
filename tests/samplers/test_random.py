# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
import numpy as np
from scipy.stats import chisquare

from skactive import RandomSampler


def test_random_is_uniform_over_unlabeled_points():
    X = np.zeros((20, 2))
    X[:, 0] = np.arange(20)
    mask = np.zeros(20, dtype=bool)
    mask[:10] = True
    counts = np.zeros(20)
    for seed in range(2000):
        counts[RandomSampler(random_state=seed).fit(X).query(mask, budget=2)] += 1
    assert counts[:10].sum() == 0
    assert chisquare(counts[10:]).pvalue > 1e-3


def test_random_scores_are_nan_and_seed_matters():
    X = np.random.RandomState(0).normal(size=(50, 3))
    sampler = RandomSampler(random_state=1).fit(X)
    picks, scores = sampler.query(budget=5, return_scores=True)
    assert np.isnan(scores).all() and scores.shape == (5,)
    assert not np.array_equal(
        picks, RandomSampler(random_state=2).fit(X).query(budget=5)
    )
