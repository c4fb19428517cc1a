# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
import numpy as np
import pytest

from skactive._kernels._pairwise import (
    mean_knn_sq_dist,
    min_sq_dists,
    nearest_sq_dists,
    row_sq_norms,
)


def full_sq_dists(A, B):
    A, B = A.astype(np.float64), B.astype(np.float64)
    return ((A[:, None, :] - B[None, :, :]) ** 2).sum(-1)


@pytest.mark.parametrize("block_size", [1, 7, 100, 1 << 22])
def test_min_sq_dists_matches_full_matrix_for_any_block_size(block_size):
    rs = np.random.RandomState(0)
    X = rs.normal(size=(53, 4)).astype(np.float32)
    C = rs.normal(size=(11, 4)).astype(np.float32)
    out = min_sq_dists(X, C, block_size=block_size)
    np.testing.assert_allclose(out, full_sq_dists(X, C).min(axis=1), rtol=1e-4)


@pytest.mark.parametrize("block_size", [1, 7, 100, 1 << 22])
@pytest.mark.parametrize("k", [1, 3, 52])
def test_mean_knn_sq_dist_matches_full_matrix_for_any_block_size(block_size, k):
    X = np.random.RandomState(1).normal(size=(53, 4)).astype(np.float32)
    D = full_sq_dists(X, X)
    np.fill_diagonal(D, np.inf)
    expected = np.sort(D, axis=1)[:, :k].mean(axis=1)
    out = mean_knn_sq_dist(X, k, block_size=block_size)
    np.testing.assert_allclose(out, expected, rtol=1e-4)


def test_distances_are_never_negative_and_inputs_untouched():
    X = np.repeat(np.random.RandomState(2).normal(size=(1, 5)), 10, axis=0)
    X = (X * 1e3).astype(np.float32)
    before = X.copy()
    assert (min_sq_dists(X, X[:3]) >= 0).all()
    assert (mean_knn_sq_dist(X, 3) == 0).all()  # centring makes duplicates exact
    np.testing.assert_array_equal(X, before)
    np.testing.assert_allclose(
        row_sq_norms(X), (before.astype(float) ** 2).sum(1), rtol=1e-5
    )


@pytest.mark.parametrize("block_size", [1, 7, 5000, 1 << 22])
def test_nearest_sq_dists_matches_full_matrix(block_size):
    from skactive._kernels._pairwise import nearest_sq_dists

    rs = np.random.RandomState(3)
    X = rs.normal(size=(300, 5)).astype(np.float32)
    C = rs.normal(size=(40, 5)).astype(np.float32)
    nearest, dist = nearest_sq_dists(X, C, block_size=block_size)
    D = full_sq_dists(X, C)
    np.testing.assert_array_equal(nearest, D.argmin(axis=1))
    np.testing.assert_allclose(dist, D.min(axis=1), rtol=1e-4)


@pytest.mark.parametrize("block_size", [1, 7, 1 << 22])
def test_knn_sq_dist_stats_for_a_subset_of_rows(block_size):
    from skactive._kernels._pairwise import knn_sq_dist_stats

    X = np.random.RandomState(4).normal(size=(40, 3)).astype(np.float32)
    D = full_sq_dists(X, X)
    np.fill_diagonal(D, np.inf)
    near = np.sort(D, axis=1)[:, :5]
    rows = np.array([0, 7, 39, 12])
    sums, kth = knn_sq_dist_stats(X, 5, rows=rows, block_size=block_size)
    np.testing.assert_allclose(sums, near[rows].sum(axis=1), rtol=1e-4)
    np.testing.assert_allclose(kth, near[rows, -1], rtol=1e-4)


@pytest.mark.parametrize("block_size", [1, 7, 1 << 22])
def test_knn_sq_dist_stats_among_reference_rows(block_size):
    from skactive._kernels._pairwise import knn_sq_dist_stats

    X = np.random.RandomState(5).normal(size=(40, 3)).astype(np.float32)
    ref = np.array([1, 3, 4, 10, 20, 21, 30, 39])
    rows = np.array([0, 3, 39, 12, 21])  # some of them reference rows too
    D = full_sq_dists(X[rows], X[ref])
    D[rows[:, None] == ref[None, :]] = np.inf  # a row is not its own neighbour
    near = np.sort(D, axis=1)[:, :3]
    sums, kth = knn_sq_dist_stats(X, 3, rows=rows, ref=ref, block_size=block_size)
    np.testing.assert_allclose(sums, near.sum(axis=1), rtol=1e-4)
    np.testing.assert_allclose(kth, near[:, -1], rtol=1e-4)


def test_nearest_runners_find_the_third_only_where_the_first_two_are_close():
    # An integer grid: exact ties between two and between three centers.
    rs = np.random.RandomState(0)
    X = rs.randint(-2, 3, size=(500, 3)).astype(np.float32)
    C = rs.randint(-2, 3, size=(40, 3)).astype(np.float32)
    nearest, best, (runner, second, third, top) = nearest_sq_dists(
        X, C, return_runners=True
    )
    lazy = nearest_sq_dists(X, C, return_runners=True, third_within=0.5)
    np.testing.assert_array_equal(lazy[0], nearest)
    np.testing.assert_array_equal(lazy[1], best)
    np.testing.assert_array_equal(lazy[2][0], runner)
    np.testing.assert_array_equal(lazy[2][1], second)
    assert lazy[2][3] == top
    close = second - best <= 0.5
    assert 0 < close.sum() < len(X)
    np.testing.assert_array_equal(lazy[2][2][close], third[close])
    assert np.all(np.isinf(lazy[2][2][~close]))
    D = ((X[:, None, :].astype(np.float64) - C[None, :, :]) ** 2).sum(-1)
    np.testing.assert_array_equal(third, np.sort(D, axis=1)[:, 2])
