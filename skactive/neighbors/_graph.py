# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""The k-nearest-neighbour graph of a pool: exact in blocks, inverted file, or
pynndescent, in one sparse format."""

import numbers

import numpy as np
from scipy import sparse
from sklearn.base import clone
from sklearn.utils.validation import check_array

from skactive._kernels._exact import (
    condition_pool,
    exact_sq_dists,
    row_blocks,
    sq_dist_error,
)
from skactive._kernels._knn import knn_among, pair_sq_dists
from skactive.cluster import SampledKMeans

# "auto" uses the inverted file from this many points on; measured with
# benchmarks/knn_graph.py (see the user guide, section "neighbors").
_AUTO_IVF_FROM = 10_000
# The inverted file's defaults: round(sqrt(n_samples)) lists, and enough of them
# probed to search about _PROBE_POINTS * (n_samples / 5000) ** 0.25 points per row
# (25 % of 5,000 points, 1 % of 200,000, 0.5 % of 1,000,000): measured on digits,
# MNIST-5k and blobs (see the user guide, section "neighbors").
_PROBE_POINTS = 1250
# Training points per list for the SampledKMeans of the inverted file.
_SAMPLES_PER_LIST = 64
_ALGORITHMS = ("auto", "exact", "ivf", "pynndescent")


def _check_int(name, value, low):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r}.")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value!r}.")
    return int(value)


def _choose_algorithm(n_samples, n_features):
    """The algorithm ``"auto"`` stands for on a pool of this shape.

    The exact search costs ``n_samples ** 2 * n_features``, the inverted file
    about ``n_samples ** 1.5 * n_features``; both scale alike with the features,
    so the switch depends on the number of points only.
    """
    return "exact" if n_samples < _AUTO_IVF_FROM else "ivf"


def _ivf_defaults(n_samples, n_lists, n_probe):
    if n_lists is None:
        n_lists = max(1, int(round(np.sqrt(n_samples))))
    n_lists = min(n_lists, n_samples)
    if n_probe is None:
        points = min(n_samples, _PROBE_POINTS * (n_samples / 5000) ** 0.25)
        n_probe = int(np.ceil(points * n_lists / n_samples))
    return n_lists, min(n_probe, n_lists)


def _working_pool(X):
    """The float32 rows the kernels use, and the bound on their rounding."""
    Xw, _, _, sq = condition_pool(X, center="auto")
    radius = float(np.sqrt(sq.max()))
    return Xw, sq_dist_error(X.shape[1], radius)


class _Rows:
    """The arrays of the graph, filled a block of rows at a time (rows of the
    same length: the row itself, then ``k`` neighbours)."""

    def __init__(self, n, k):
        self.n, self.k = n, k
        self.idx_dtype = np.int32 if n * (k + 1) < 2**31 else np.int64
        self.indices = np.empty((n, k + 1), dtype=self.idx_dtype)
        self.indices[:, 0] = np.arange(n)
        self.data = np.zeros((n, k + 1), dtype=np.float64)

    def put(self, rows, neighbors, sq_dists):
        self.indices[rows, 1:] = neighbors
        self.data[rows, 1:] = np.sqrt(sq_dists)

    def graph(self):
        n, width = self.n, self.k + 1
        indptr = np.arange(0, n * width + 1, width, dtype=self.idx_dtype)
        return sparse.csr_array(
            (self.data.reshape(-1), self.indices.reshape(-1), indptr), shape=(n, n)
        )


def _exact_graph(X, k):
    Xw, err = _working_pool(X)
    out = _Rows(X.shape[0], k)
    for rows in row_blocks(X.shape[0], X.shape[0], 1 << 24):
        rows = np.arange(X.shape[0])[rows]
        out.put(rows, *knn_among(Xw, X, rows, None, k, err))
    return out.graph()


def _ivf_graph(X, k, n_lists, n_probe, random_state):
    n = X.shape[0]
    n_lists, n_probe = _ivf_defaults(n, n_lists, n_probe)
    km = SampledKMeans(
        n_lists, samples_per_cluster=_SAMPLES_PER_LIST, random_state=random_state
    ).fit(X)
    labels = km.labels_
    order = np.argsort(labels, kind="stable")  # each list's rows ascending
    bounds = np.searchsorted(labels[order], np.arange(n_lists + 1))
    sizes = np.diff(bounds)
    # Lists by float64 distance between centroids, ties to the lowest index; the
    # list itself first (another list may share its centroid).
    cdist = exact_sq_dists(km.cluster_centers_, km.cluster_centers_)
    np.fill_diagonal(cdist, -1.0)
    Xw, err = _working_pool(X)
    out = _Rows(n, k)
    for lst in np.flatnonzero(sizes):
        probe = np.lexsort((np.arange(n_lists), cdist[lst]))
        # Enough lists for n_probe, and for k neighbours besides the row itself.
        reach = np.cumsum(sizes[probe])
        m = max(n_probe, int(np.searchsorted(reach, k + 1)) + 1)
        cands = np.sort(
            np.concatenate([order[bounds[p] : bounds[p + 1]] for p in probe[:m]])
        )
        rows = order[bounds[lst] : bounds[lst + 1]]
        out.put(rows, *knn_among(Xw, X, rows, cands, k, err))
    return out.graph()


def _pynndescent_graph(X, k, random_state):
    try:
        from pynndescent import NNDescent
    except ImportError as exc:
        raise ImportError(
            'algorithm="pynndescent" needs pynndescent: pip install '
            '"skactive[pynndescent]"'
        ) from exc
    n = X.shape[0]
    index = NNDescent(
        X, n_neighbors=k + 1, metric="euclidean", random_state=random_state, n_jobs=1
    )
    found, _ = index.neighbor_graph
    rows = np.repeat(np.arange(n), found.shape[1])
    cols = found.ravel().astype(np.intp)
    keep = cols >= 0
    rows, cols = rows[keep], cols[keep]
    G = sparse.coo_array(
        (np.sqrt(pair_sq_dists(X, rows, cols)), (rows, cols)), shape=(n, n)
    )
    return _standardize(G, n, max_neighbors=k)


def _standardize(G, n, max_neighbors=None):
    """``G`` (validated) in the graph format, at most ``max_neighbors`` others."""
    G = sparse.coo_array(G)
    rows = np.asarray(G.row, dtype=np.intp)
    cols = np.asarray(G.col, dtype=np.intp)
    data = np.asarray(G.data, dtype=np.float64)
    other = rows != cols
    rows, cols, data = rows[other], cols[other], data[other]
    # One edge per pair (the shortest), then each row by (distance, column).
    order = np.lexsort((data, cols, rows))
    rows, cols, data = rows[order], cols[order], data[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    rows, cols, data = rows[first], cols[first], data[first]
    order = np.lexsort((cols, data, rows))
    rows, cols, data = rows[order], cols[order], data[order]
    counts = np.bincount(rows, minlength=n)
    if max_neighbors is not None and counts.max(initial=0) > max_neighbors:
        rank = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
        keep = rank < max_neighbors
        rows, cols, data = rows[keep], cols[keep], data[keep]
        counts = np.minimum(counts, max_neighbors)
    # Insert the row itself, at distance 0, before each row's edges.
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts + 1, out=indptr[1:])
    total = int(indptr[-1])
    idx_dtype = np.int32 if total < 2**31 and n < 2**31 else np.int64
    indices = np.empty(total, dtype=idx_dtype)
    values = np.zeros(total, dtype=np.float64)
    starts = indptr[:-1]
    indices[starts] = np.arange(n)
    edge_at = np.arange(len(rows)) + rows + 1  # one self entry per row before
    indices[edge_at] = cols
    values[edge_at] = data
    return sparse.csr_array((values, indices, indptr.astype(idx_dtype)), shape=(n, n))


def check_knn_graph(G, n_samples):
    """Validate a precomputed neighbour graph and put it in the graph format.

    The format is that of :func:`knn_graph`: a CSR array of float64 distances in
    which row ``i`` holds the point itself first (column ``i``, distance 0 stored
    explicitly), then its neighbours by (distance, column) ascending. Rows may have
    different lengths (a radius graph, say). Stored zeros are kept as edges of
    distance 0 (scikit-learn stores them so for duplicated points).

    Parameters
    ----------
    G : sparse matrix or sparse array of shape (n_samples, n_samples)
        Any scipy sparse format; finite, non-negative distances. A stored diagonal
        entry is replaced by the self entry at distance 0; of several entries for
        one pair, the smallest distance is kept. ``G`` is not modified.
    n_samples : int
        Number of points of the pool.

    Returns
    -------
    graph : scipy.sparse.csr_array of shape (n_samples, n_samples), dtype=float64
        A new array in the graph format.

    Raises
    ------
    TypeError
        If ``G`` is not a scipy sparse matrix or array.
    ValueError
        If ``G`` has the wrong shape, or negative or non-finite distances.

    See Also
    --------
    knn_graph : Build the graph from features.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> from skactive.neighbors import check_knn_graph
    >>> G = sparse.csr_array(np.array([[0, 2.0, 1.0], [1.0, 0, 0], [0, 0, 0]]))
    >>> H = check_knn_graph(G, 3)
    >>> H.indices.tolist(), H.data.tolist()
    ([0, 2, 1, 1, 0, 2], [0.0, 1.0, 2.0, 0.0, 1.0, 0.0])
    """
    n_samples = _check_int("n_samples", n_samples, 1)
    if not sparse.issparse(G):
        raise TypeError(
            f"G must be a scipy sparse matrix or array, got {type(G).__name__}."
        )
    if G.shape != (n_samples, n_samples):
        raise ValueError(
            f"G must have shape ({n_samples}, {n_samples}) for n_samples="
            f"{n_samples}, got {G.shape}."
        )
    coo = sparse.coo_array(G, copy=True)
    data = np.asarray(coo.data)
    if data.dtype.kind not in "biuf":
        raise ValueError(f"G must hold real distances, got dtype {data.dtype}.")
    data = data.astype(np.float64)
    if not np.all(np.isfinite(data)):
        raise ValueError("G holds non-finite distances (NaN or inf).")
    if np.any(data < 0):
        raise ValueError(
            f"G holds negative distances (smallest {float(data.min()):.6g})."
        )
    coo.data = data
    return _standardize(coo, n_samples)


def knn_graph(
    X,
    n_neighbors=50,
    *,
    algorithm="auto",
    n_lists=None,
    n_probe=None,
    random_state=None,
):
    """Build the k-nearest-neighbour graph of a pool (Euclidean distances).

    Row ``i`` of the result holds the point itself first (column ``i``, distance
    0 stored explicitly), then its ``n_neighbors`` nearest other points, by
    (distance, column) ascending: scikit-learn's
    ``KNeighborsTransformer(mode="distance")`` convention, ``n_neighbors + 1``
    entries per row. The distances are float64, computed elementwise from the
    rows of ``X`` (no BLAS), so they are the same on every CPU.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The pool, float32 or float64 (other types are converted to float64),
        finite. Used as given: normalise the rows first if that is wanted.
    n_neighbors : int, default=50
        Nearest other points per row, at least 1. With ``n_neighbors >=
        n_samples``, every row holds all the points.
    algorithm : {"auto", "exact", "ivf", "pynndescent"} or estimator, \
            default="auto"
        How the neighbours are found:

        - ``"exact"``: every distance, in blocks of float32 matrix products; the
          neighbours whose rank float32 rounding could change are settled in
          float64, so the graph is that of a float64 brute force (ties to the
          lowest index) on every CPU and BLAS kernel.
        - ``"ivf"``: an inverted file, as faiss's IVF-Flat: the points are
          partitioned by :class:`~skactive.cluster.SampledKMeans` into
          ``n_lists`` lists, and the rows of each list search, exactly as
          above, the points of the ``n_probe`` lists whose centroids are nearest
          to its own. Approximate, but the same on every CPU for a fixed
          ``random_state``.
        - ``"pynndescent"``: ``pynndescent.NNDescent`` (needs ``pip install
          "skactive[pynndescent]"``); its distances are recomputed in float64.
          Pools of at most ``n_neighbors + 1`` points use ``"exact"``.
        - ``"auto"``: ``"exact"`` below 10,000 points, ``"ivf"`` from there on.
        - an object with ``fit_transform`` returning a sparse distance graph,
          such as :class:`sklearn.neighbors.KNeighborsTransformer`: it is cloned,
          fitted on ``X``, and its graph is put in the format above (see
          :func:`check_knn_graph`; its ``n_neighbors`` applies, not this one).
    n_lists : int, default=None
        Lists of the inverted file (``"ivf"`` only), at most ``n_samples``.
        None: ``round(sqrt(n_samples))``.
    n_probe : int, default=None
        Lists searched per list (``"ivf"`` only), its own included; more when
        they hold fewer than ``n_neighbors + 1`` points. None: enough to search
        about ``1250 * (n_samples / 5000) ** 0.25`` points per row (a quarter of
        5,000 points, 0.5 % of 1,000,000).
    random_state : int, RandomState instance or None, default=None
        Seeds the k-means of ``"ivf"`` and the search of ``"pynndescent"``.

    Returns
    -------
    graph : scipy.sparse.csr_array of shape (n_samples, n_samples), dtype=float64
        Euclidean distances (not squared), ``min(n_neighbors, n_samples - 1) + 1``
        entries per row.

    See Also
    --------
    check_knn_graph : Validate a precomputed graph and put it in this format.
    sklearn.neighbors.kneighbors_graph : The graph, without the row itself.

    Notes
    -----
    The defaults of ``"ivf"`` and the pool size of ``"auto"`` were chosen by
    measurement; the figures (recall, time, memory) are in the user guide.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.neighbors import knn_graph
    >>> X = np.array([[0.0], [1.0], [3.0], [4.0]])
    >>> G = knn_graph(X, n_neighbors=2, algorithm="exact")
    >>> G[[1]].indices.tolist(), G[[1]].data.tolist()
    ([1, 0, 2], [0.0, 1.0, 2.0])
    """
    n_neighbors = _check_int("n_neighbors", n_neighbors, 1)
    if n_lists is not None:
        n_lists = _check_int("n_lists", n_lists, 1)
    if n_probe is not None:
        n_probe = _check_int("n_probe", n_probe, 1)
    if isinstance(algorithm, str):
        if algorithm not in _ALGORITHMS:
            raise ValueError(
                f"algorithm must be one of {', '.join(map(repr, _ALGORITHMS))} or "
                f"an object with fit_transform, got {algorithm!r}."
            )
    elif not hasattr(algorithm, "fit_transform"):
        raise TypeError(
            "algorithm must be a string or an object with fit_transform, got "
            f"{type(algorithm).__name__}."
        )
    X = check_array(X, dtype=(np.float64, np.float32), order="C", input_name="X")
    n, d = X.shape
    if not isinstance(algorithm, str):
        G = clone(algorithm).fit_transform(X)
        if not sparse.issparse(G):
            raise TypeError(
                f"{type(algorithm).__name__}.fit_transform must return a sparse "
                f"graph, got {type(G).__name__}."
            )
        return check_knn_graph(G, n)
    k = min(n_neighbors, n - 1)
    if k == 0:
        return _Rows(n, 0).graph()
    if algorithm == "auto":
        algorithm = _choose_algorithm(n, d)
    if algorithm == "pynndescent" and k < n - 1:
        return _pynndescent_graph(X, k, random_state)
    if algorithm == "ivf":
        return _ivf_graph(X, k, n_lists, n_probe, random_state)
    return _exact_graph(X, k)
