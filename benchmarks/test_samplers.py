# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""fit + query time and peak traced memory of the samplers on make_blobs pools.

Run with ``make bench``; the figures go in benchmarks/README.md.
"""

import functools
import tracemalloc
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from skactive.base import get_sampler_tags
from skactive.utils import all_samplers

# Every sampler that needs the features only ("typiclust": TypiClustSampler, ...).
SAMPLERS = {
    name.removesuffix("Sampler").lower(): cls
    for name, cls in all_samplers()
    if not get_sampler_tags(cls()).requires_labels
    and not get_sampler_tags(cls()).requires_estimator
}


@functools.cache
def pool(n_samples, n_features):
    X, _ = make_blobs(
        n_samples=n_samples, n_features=n_features, centers=50, random_state=0
    )
    return X.astype(np.float32)


def labeled_mask(n_samples, n_labeled):
    mask = np.zeros(n_samples, dtype=bool)
    mask[np.random.RandomState(1).choice(n_samples, n_labeled, replace=False)] = True
    return mask


def fit_query(name, X, mask, budget):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MiniBatchKMeans' memory-leak advice
        return SAMPLERS[name](random_state=0).fit(X).query(mask, budget)


@pytest.mark.parametrize("name", list(SAMPLERS))
@pytest.mark.parametrize("n_samples", [10_000, 100_000])
@pytest.mark.parametrize("budget", [10, 100])
@pytest.mark.parametrize("n_labeled", [0, 100])
def test_fit_query(benchmark, name, n_samples, budget, n_labeled):
    X = pool(n_samples, 64)
    mask = labeled_mask(n_samples, n_labeled)
    tracemalloc.start()
    picks = fit_query(name, X, mask, budget)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    benchmark.extra_info["peak_mib"] = round(peak / 2**20, 1)
    benchmark.extra_info["pool_mib"] = round(X.nbytes / 2**20, 1)
    benchmark.pedantic(fit_query, args=(name, X, mask, budget), rounds=3)
    assert len(np.unique(picks)) == budget and not mask[picks].any()
