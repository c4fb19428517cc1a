# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Blocked k-nearest neighbours whose set and order float32 rounding cannot change.

The distances of a block are float32 matrix products (see
:mod:`skactive._kernels._pairwise`); per row, every candidate whose float32 value is
within twice the rounding bound of the ``k``-th smallest could belong to the ``k``
nearest, and those few, never more than a handful past ``k`` but for exact ties, are
scored again in float64 with elementwise arithmetic (no BLAS). The neighbours are the
``k`` smallest float64 values, ties to the lowest index: the answer of a float64
brute force, whatever kernel BLAS used.
"""

import numpy as np

from skactive._kernels._exact import row_blocks
from skactive._kernels._pairwise import BLOCK_SIZE, _row_step, _sq_dists, row_sq_norms
from skactive.backends import NUMPY


def pair_sq_dists(X, rows, cols):
    """Float64 squared distances ``sum((X[rows] - X[cols]) ** 2)`` pair by pair.

    Elementwise numpy arithmetic in blocks (the sum runs over the contiguous last
    axis, pairwise), so the values do not depend on BLAS or the CPU.
    """
    out = np.empty(len(rows), dtype=np.float64)
    for s in row_blocks(len(rows), 2 * X.shape[1]):
        diff = X[rows[s]].astype(np.float64)
        diff -= X[cols[s]]
        np.square(diff, out=diff)
        out[s] = diff.sum(axis=1)
    return out


def knn_among(Xw, X, queries, cands, n_neighbors, err, block_size=BLOCK_SIZE):
    """The ``n_neighbors`` nearest candidates of each query row, itself excluded.

    Parameters
    ----------
    Xw : ndarray of shape (n_samples, n_features), dtype=float32
        The working rows the float32 distances are computed on.
    X : ndarray of shape (n_samples, n_features)
        The rows as given; the float64 distances are computed on them. ``Xw`` must
        be a translate of ``X`` scaled by a power of two, rounded to float32.
    queries : ndarray of int
        Positions of the query rows; each must be in ``cands``.
    cands : ndarray of int or None
        Ascending positions of the candidate rows; all rows when None.
    n_neighbors : int
        Neighbours per query, fewer than ``len(cands)``.
    err : float
        Bound on the float32 rounding error of a squared distance in ``Xw``.
    block_size : int, default=BLOCK_SIZE
        Floats in one distance block.

    Returns
    -------
    neighbors : ndarray of shape (n_queries, n_neighbors), dtype=intp
        Positions in ``X``, by float64 distance then position.
    sq_dists : ndarray of shape (n_queries, n_neighbors), dtype=float64
        Their float64 squared distances to the query row.
    """
    queries = np.asarray(queries, dtype=np.intp)
    k = n_neighbors
    if cands is None:
        C, n_cands = Xw, Xw.shape[0]
    else:
        C, n_cands = Xw[cands], len(cands)
    C_sq = row_sq_norms(C)
    own = queries if cands is None else np.searchsorted(cands, queries)
    neighbors = np.empty((len(queries), k), dtype=np.intp)
    sq_dists = np.empty((len(queries), k), dtype=np.float64)
    step = _row_step(n_cands, block_size)
    for r0 in range(0, len(queries), step):
        r1 = min(len(queries), r0 + step)
        Q = Xw[queries[r0:r1]]
        D = _sq_dists(NUMPY, Q, C, row_sq_norms(Q), C_sq)
        rows = np.arange(r1 - r0)
        D[rows, own[r0:r1]] = np.inf
        tau = np.partition(D, k - 1, axis=1)[:, k - 1]
        # Every true k nearest is within 2 err of the float32 k-th value.
        i, j = np.nonzero(D <= (tau + 2 * err)[:, None])
        del D
        cols = j if cands is None else cands[j]
        exact = pair_sq_dists(X, queries[r0 + i], cols)
        order = np.lexsort((cols, exact, i))  # i is ascending already
        starts = np.searchsorted(i, rows)
        take = order[(starts[:, None] + np.arange(k)).ravel()]
        neighbors[r0:r1] = cols[take].reshape(-1, k)
        sq_dists[r0:r1] = exact[take].reshape(-1, k)
    return neighbors, sq_dists


def within_radius(
    Xw, X, radius, err, max_entries=None, block_size=BLOCK_SIZE, unit=1.0
):
    """Every pair of rows closer than ``radius``, as a CSR matrix of distances.

    The float32 distances of a block leave as candidates every pair within the
    rounding bound ``err`` of ``radius``; their float64 distances (elementwise, the
    same on every CPU) decide, strictly: row ``i`` holds the ``j`` with
    ``sqrt(sum((X[i] - X[j]) ** 2)) < radius``, itself included, by distance then
    column. Returns None as soon as more than ``max_entries`` pairs are found.
    ``Xw`` are the float32 working rows of ``X``: distances between them are
    ``unit`` (a power of two, the ``2 ** exponent`` of
    :func:`~skactive._kernels._exact.condition_pool`) times those of ``X``, and
    ``err`` bounds their rounding.
    """
    from scipy import sparse

    n = X.shape[0]
    X_sq = row_sq_norms(Xw)
    limit = (radius * unit) ** 2 + 2 * err
    rows_of, cols_of, dists = [], [], []
    total = 0
    step = _row_step(n, block_size)
    for r0 in range(0, n, step):
        rows = np.arange(r0, min(n, r0 + step))
        D = _sq_dists(NUMPY, Xw[rows], Xw, X_sq[rows], X_sq)
        i, j = np.nonzero(D <= limit)
        del D
        dist = np.sqrt(pair_sq_dists(X, rows[i], j))
        keep = dist < radius
        total += int(np.count_nonzero(keep))
        if max_entries is not None and total > max_entries:
            return None
        rows_of.append(rows[i[keep]])
        cols_of.append(j[keep])
        dists.append(dist[keep])
    rows_of, cols_of, dists = (np.concatenate(a) for a in (rows_of, cols_of, dists))
    order = np.lexsort((cols_of, dists, rows_of))
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows_of, minlength=n), out=indptr[1:])
    return sparse.csr_array((dists[order], cols_of[order], indptr), shape=(n, n))
