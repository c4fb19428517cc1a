# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
import numpy as np
import pytest
from sklearn.datasets import make_blobs

from skactive import CoresetSampler, k_center_greedy
from skactive._kernels._exact import condition_pool
from skactive._kernels._greedy import k_center_greedy as _k_center_greedy
from skactive._kernels._pairwise import min_sq_dists


def brute_force_k_center_greedy(X, mask, budget, first=None):
    """Sener and Savarese's greedy in float64, with the full distance matrix."""
    X = X.astype(np.float64)
    D = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(-1))
    centers = list(np.flatnonzero(mask))
    picks = []
    if not centers:
        centers, picks = [first], [first]
    while len(picks) < budget:
        d = D[:, centers].min(axis=1)
        d[centers] = -1
        picks.append(int(np.argmax(d)))
        centers.append(picks[-1])
    return np.array(picks)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("n_labeled", [1, 7, 40])
def test_coreset_matches_brute_force(seed, n_labeled):
    rs = np.random.RandomState(seed)
    X = rs.normal(size=(150, 8))
    mask = np.zeros(150, dtype=bool)
    mask[rs.choice(150, n_labeled, replace=False)] = True
    expected = brute_force_k_center_greedy(X, mask, 30)
    np.testing.assert_array_equal(CoresetSampler().fit(X).query(mask, 30), expected)
    np.testing.assert_array_equal(k_center_greedy(X, 30, mask), expected)


@pytest.mark.parametrize("seed", range(3))
def test_coreset_cold_start_draws_the_first_point_with_random_state(seed):
    X = np.random.RandomState(seed).normal(size=(100, 4))
    first = np.random.RandomState(seed).choice(100)
    expected = brute_force_k_center_greedy(X, np.zeros(100, bool), 12, first=first)
    sampler = CoresetSampler(random_state=seed).fit(X)
    picks, scores = sampler.query(budget=12, return_scores=True)
    np.testing.assert_array_equal(picks, expected)
    assert np.isinf(scores[0])
    # Without a labeled point, the first pick depends on the seed.
    firsts = {CoresetSampler(random_state=s).fit(X).query()[0] for s in range(10)}
    assert len(firsts) > 1


def test_coreset_scores_are_the_covering_distances():
    X, _ = make_blobs(n_samples=300, centers=5, random_state=0)
    mask = np.zeros(300, dtype=bool)
    mask[:3] = True
    sampler = CoresetSampler().fit(X)
    picks, scores = sampler.query(mask, budget=20, return_scores=True)
    for i, pick in enumerate(picks):
        centers = np.concatenate([np.flatnonzero(mask), picks[:i]])
        d = np.linalg.norm(X[centers] - X[pick], axis=1).min()
        np.testing.assert_allclose(scores[i], d, rtol=1e-4)
    # Greedy farthest-first: the covering distance never grows.
    assert np.all(np.diff(scores) <= 1e-4)
    _, dists = k_center_greedy(X, 20, mask, return_distance=True)
    np.testing.assert_allclose(dists, scores)


def test_coreset_uses_features_as_given():
    X = np.array([[1.0, 0.0], [2.0, 0.0], [10.0, 0.0], [0.0, 3.0]])
    # Normalised, rows 0, 1, 2 would coincide; unnormalised, 2 is the farthest.
    assert CoresetSampler().fit(X).query([True, False, False, False], 1)[0] == 2


def test_coreset_with_duplicates_of_labeled_points_still_returns_distinct_ones():
    X = np.vstack([np.zeros((5, 2)), np.ones((5, 2))])
    mask = np.zeros(10, dtype=bool)
    mask[[0, 5]] = True
    picks = CoresetSampler().fit(X).query(mask, budget=8)
    assert sorted(picks.tolist()) == [1, 2, 3, 4, 6, 7, 8, 9]
    assert picks[0] == 1  # all distances 0: ties go to the lowest index


@pytest.mark.parametrize("n_labeled", [0, 1, 50])
@pytest.mark.parametrize("offset", [0.0, 1e3])
def test_pruning_selects_exactly_what_the_plain_greedy_selects(n_labeled, offset):
    rs = np.random.RandomState(n_labeled)
    X, _ = make_blobs(n_samples=4000, centers=30, n_features=6, random_state=0)
    # The float32 values of X + offset, centred as fit does: the private greedy
    # works on the conditioned pool.
    X = condition_pool((X + offset).astype(np.float32))[0]
    X_sq = np.einsum("ij,ij->i", X, X)
    mask = np.zeros(len(X), dtype=bool)
    mask[rs.choice(len(X), n_labeled, replace=False)] = True
    picks = {}
    for prune in (True, False):
        picks[prune], _ = _k_center_greedy(
            X, X_sq, mask, 600, np.random.RandomState(0), prune=prune, block_size=999
        )
    np.testing.assert_array_equal(picks[True], picks[False])


def test_pruned_greedy_covers_a_large_pool_as_well_as_the_plain_one():
    """On large float32 pools near-ties may legitimately diverge after many picks:
    compare what matters, the covering radius."""
    X, _ = make_blobs(n_samples=50_000, centers=200, n_features=16, random_state=1)
    X = X.astype(np.float32)
    X_sq = np.einsum("ij,ij->i", X, X)
    mask = np.zeros(len(X), dtype=bool)
    radius = {}
    for prune in (True, False):
        picks, _ = _k_center_greedy(
            X, X_sq, mask, 1000, np.random.RandomState(0), prune=prune
        )
        X64 = X.astype(np.float64)
        radius[prune] = np.sqrt(min_sq_dists(X64, X64[picks]).max())
    assert radius[True] <= radius[False] * 1.01
