# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
import os
import warnings

import numpy as np
import pytest
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    """One BLAS/OpenMP thread: on a busy 2-core machine two threads in a tight loop
    ran several times slower than one."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    with threadpool_limits(limits=1):
        yield


def _brute_force_typiclust(
    X, mask, budget, random_state, normalize=True, n_neighbors=20, max_clusters=500
):
    """docs/algorithms.rst's TypiClust, steps 1-5, in float64 and as plainly as
    possible, the 1e-5 tie band included.

    The rows are the float32 values of X (what fit keeps), normalised in float64.
    Valid where the reference code does not fail: some cluster is larger than 5
    points, and no cluster runs out of candidates.
    """
    X = np.asarray(X, dtype=np.float32).astype(np.float64)
    if normalize:
        X = X / np.linalg.norm(X, axis=1, keepdims=True)
    n_clusters = min(int(mask.sum()) + budget, max_clusters)
    seed = np.random.RandomState(random_state).randint(2**31 - 1)
    if n_clusters <= 50:
        km = KMeans(n_clusters, n_init=10, random_state=seed)
    else:
        km = MiniBatchKMeans(n_clusters, batch_size=5000, n_init=3, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        labels = km.fit(X).labels_
    clusters = [c for c in np.unique(labels) if np.sum(labels == c) > 5]
    clusters.sort(key=lambda c: (np.sum(mask & (labels == c)), -np.sum(labels == c), c))
    taken = mask.copy()
    picks = []
    for i in range(budget):
        cand = np.flatnonzero((labels == clusters[i % len(clusters)]) & ~taken)
        k = min(n_neighbors, len(cand) // 2)
        D = ((X[cand][:, None, :] - X[cand][None, :, :]) ** 2).sum(-1)
        np.fill_diagonal(D, np.inf)
        t = 1.0 / (np.sort(D, axis=1)[:, :k].mean(axis=1) + 1e-5)
        pick = cand[np.flatnonzero(t >= t.max() * (1 - 1e-5))[0]]
        picks.append(pick)
        taken[pick] = True
    return np.array(picks)


@pytest.fixture
def brute_force_typiclust():
    """The float64 brute force of TypiClust that the sampler must equal."""
    return _brute_force_typiclust
