# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Blocked squared Euclidean distance kernels in float32, for every backend.

Every kernel works on row blocks, so memory stays bounded by ``block_size`` floats
whatever the pool size; no n x n matrix is ever allocated. Distances use the GEMM form
``||a||^2 + ||b||^2 - 2 a.b``, clipped at 0 against rounding. Inputs and outputs are
numpy arrays; the blocks are computed on the backend (numpy, or torch on a device).
"""

import numpy as np

from skactive.backends import NUMPY

# Floats in one distance block (16 MiB of float32): large enough for BLAS to run at
# full speed, small enough to stay far from the feature matrix's own size.
BLOCK_SIZE = 1 << 22


def row_sq_norms(X):
    """Squared L2 norm of each row of the numpy array ``X``, in its dtype."""
    return np.einsum("ij,ij->i", X, X)


def _row_step(n_cols, block_size):
    return max(1, min(block_size // max(n_cols, 1), 1 << 16))


def _sq_dists(be, A, B, A_sq, B_sq):
    """Squared distances between the rows of ``A`` and ``B`` on backend ``be``."""
    D = be.matmul_t(A, B)
    D *= -2
    D += A_sq[:, None]
    D += B_sq[None, :]
    return be.clip0_(D)


def nearest_sq_dists(
    X,
    C,
    X_sq=None,
    C_sq=None,
    block_size=BLOCK_SIZE,
    norms=None,
    offset=None,
    return_runners=False,
    backend=NUMPY,
    third_within=None,
):
    """For each row of ``X``, its nearest row of ``C`` and the squared distance.

    With ``norms`` and/or ``offset``, the rows of ``X`` are transformed on the fly,
    one block at a time, to ``X / norms[:, None] - offset``: a transformed copy of
    ``X`` is never made (``X_sq`` is then ignored: the blocks' norms are computed).

    Returns
    -------
    nearest : ndarray of shape (n_samples,), dtype=intp
        Index into ``C``; ties go to the lowest index on numpy (in float32: see
        :func:`skactive._kernels._exact.settle_nearest` for the float64 rule).
    sq_dist : ndarray of shape (n_samples,)
    runners : tuple
        Only with ``return_runners``: ``(second, sq_second, sq_third, max_sq_norm)``,
        the index of the second nearest row of ``C``, the squared distances to the
        second and third nearest (inf where ``C`` has fewer rows), and the largest
        squared norm of a (transformed) row of ``X``, for the rounding bound. With
        runners, the three squared distances are float64: the row's squared
        norm plus the float32 ``||c||^2 - 2 x.c`` of the block, so that their
        differences are the block's. With ``third_within``, the third is found
        only for the rows whose second is within it of the first (``inf``
        elsewhere), which is all :func:`~skactive._kernels._exact.settle_nearest`
        needs when ``third_within`` is at least its doubt margin.
    """
    be = backend
    transform = norms is not None or offset is not None
    n, k = X.shape[0], C.shape[0]
    dtype = np.result_type(X.dtype, C.dtype, np.float32)  # as numpy would promote
    Ct = be.asarray(C.astype(dtype, copy=False))
    C_sq = be.sq_norms(Ct) if C_sq is None else be.asarray(C_sq)
    off = None if offset is None else be.asarray(offset)
    nearest = np.zeros(n, dtype=np.intp)
    best = np.full(n, np.inf, dtype=dtype)
    if return_runners:  # the runners need every column in one block
        runner = np.zeros(n, dtype=np.intp)
        best = np.full(n, np.inf)
        second = np.full(n, np.inf)
        third = np.full(n, np.inf)
        col_step = max(1, k)
        C2 = Ct * -2  # exact: x.(-2 c) is -2 (x.c) to the bit
    else:
        col_step = max(1, min(k, block_size // 1024))
    max_sq = 0.0
    row_step = _row_step(max(col_step, X.shape[1]), block_size)
    for r0 in range(0, n, row_step):
        r1 = min(n, r0 + row_step)
        Xb = be.astype(be.asarray(X[r0:r1]), dtype)
        if norms is not None:
            Xb = Xb / be.asarray(norms[r0:r1])[:, None]
        if off is not None:
            Xb = Xb - off
        Xb_sq = (
            be.sq_norms(Xb) if X_sq is None or transform else be.asarray(X_sq[r0:r1])
        )
        if r1 > r0:
            max_sq = max(max_sq, float(Xb_sq.max()))
        for c0 in range(0, k, col_step):
            c1 = min(k, c0 + col_step)
            if return_runners:
                # The row's own norm does not change which centers are nearest:
                # it is added to the three smallest values only (in float64, so
                # their differences are those of the block, which rounding bounds).
                D = be.matmul_t(Xb, C2)
                D += C_sq[None, :]
                lazy = third_within is not None and be is NUMPY
                vals, args = be.smallest3(D, third=not lazy)
                vals = vals.astype(np.float64)
                row_sq = be.to_numpy(Xb_sq).astype(np.float64)
                vals += row_sq[:, None]
                np.maximum(vals, 0, out=vals)
                if lazy and D.shape[1] > 2:  # D holds inf at the first two
                    near = np.flatnonzero(vals[:, 1] - vals[:, 0] <= third_within)
                    vals[near, 2] = np.maximum(D[near].min(axis=1) + row_sq[near], 0)
                nearest[r0:r1], best[r0:r1] = args[:, 0], vals[:, 0]
                runner[r0:r1], second[r0:r1] = args[:, 1], vals[:, 1]
                third[r0:r1] = vals[:, 2]
                continue
            D = _sq_dists(be, Xb, Ct[c0:c1], Xb_sq, C_sq[c0:c1])
            dist, arg = be.first_min(D)
            closer = dist < best[r0:r1]
            best[r0:r1][closer] = dist[closer]
            nearest[r0:r1][closer] = arg[closer] + c0
    if return_runners:
        return nearest, best, (runner, second, third, max_sq)
    return nearest, best


def min_sq_dists(X, C, X_sq=None, C_sq=None, block_size=BLOCK_SIZE, backend=NUMPY):
    """For each row of ``X``, the squared distance to its nearest row of ``C``."""
    return nearest_sq_dists(X, C, X_sq, C_sq, block_size, backend=backend)[1]


def knn_sq_dist_stats(
    X,
    n_neighbors,
    rows=None,
    ref=None,
    block_size=BLOCK_SIZE,
    center=True,
    backend=NUMPY,
):
    """Sum and largest of the squared distances from rows of ``X`` to their
    ``n_neighbors`` nearest other rows of ``X`` (or of its rows ``ref``).

    The row itself is excluded by position, so duplicates count at distance 0. The
    rows are centred first (on a copy; the mean in float64 on the CPU): distances do
    not change, and the GEMM form loses far less precision to cancellation when the
    norms are small. Only two passes go over each distance block besides the matrix
    product: the query row's own norm is added to the selected distances alone.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_neighbors : int
        At least 1 and below ``n_samples``.
    rows : ndarray of int, default=None
        Positions of the query rows in ``X``; all rows when None.
    ref : ndarray of int, default=None
        Sorted positions of the rows the neighbours are taken among; all rows when
        None. A query row that is also a reference row is excluded from its own
        neighbours. ``n_neighbors`` must be below ``len(ref)``.
    block_size : int, default=BLOCK_SIZE
        Floats in one distance block; bounds the memory used.
    center : bool, default=True
        Centre the rows first; ``False`` when the caller did it already.
    backend : backend, default=NUMPY
        Where the blocks are computed.

    Returns
    -------
    sums : ndarray of shape (n_rows,), dtype=float64
        Sum of the ``n_neighbors`` smallest squared distances.
    kth : ndarray of shape (n_rows,)
        The largest of them (the squared distance to the ``n_neighbors``-th
        nearest row).
    """
    be = backend
    n = X.shape[0]
    rows = np.arange(n) if rows is None else np.asarray(rows)
    if center:
        X = X - X.mean(axis=0, dtype=np.float64).astype(X.dtype)
    Xt = be.asarray(X)
    X_sq = be.sq_norms(Xt)
    if ref is None:
        R, R_sq = Xt, X_sq
    else:
        at = np.minimum(np.searchsorted(ref, rows), len(ref) - 1)
        own = ref[at] == rows  # the query rows that are reference rows too
        ref_t = be.index(ref)
        R, R_sq = Xt[ref_t], X_sq[ref_t]
    sums = np.empty(len(rows), dtype=np.float64)
    kth = np.empty(len(rows), dtype=X.dtype)
    step = _row_step(R.shape[0], block_size)
    R = R * -2  # exact: x.(-2 r) is -2 (x.r) to the bit, one pass fewer over D
    for r0 in range(0, len(rows), step):
        q = rows[r0 : r0 + step]
        q_t = be.index(q)
        D = be.matmul_t(Xt[q_t], R)
        D += R_sq[None, :]
        if ref is None:
            D[be.index(np.arange(len(q))), q_t] = be.inf
        else:
            hit = np.flatnonzero(own[r0 : r0 + step])
            D[be.index(hit), be.index(at[r0 : r0 + step][hit])] = be.inf
        near = be.smallest_k(D, n_neighbors)
        near += X_sq[q_t][:, None]
        near = be.to_numpy(be.clip0_(near))  # rows x K: small
        sums[r0 : r0 + step] = near.sum(axis=1, dtype=np.float64)
        kth[r0 : r0 + step] = near.max(axis=1)
    return sums, kth


def mean_knn_sq_dist(X, n_neighbors, block_size=BLOCK_SIZE, backend=NUMPY):
    """Mean squared distance from each row of ``X`` to its ``n_neighbors`` nearest
    other rows (see :func:`knn_sq_dist_stats`), as float64."""
    sums, _ = knn_sq_dist_stats(X, n_neighbors, block_size=block_size, backend=backend)
    return sums / n_neighbors
