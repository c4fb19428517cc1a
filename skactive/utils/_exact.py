# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Decisions that float32 rounding cannot flip.

The kernels compute squared distances in float32 with the matrix-product form
``||a||^2 + ||b||^2 - 2 a.b``. BLAS libraries choose their kernels by CPU (OpenBLAS's
Haswell, SkylakeX...), so these values differ in the last bits from one machine to the
next. Every choice a selection depends on (an argmax, an argmin, the ``s`` smallest)
goes through this module: a bound on the float32 rounding error tells which positions
could win; when more than one could, those few are scored again in float64, with
elementwise numpy arithmetic (no BLAS, so the same on every CPU), and the choice is
made on the float64 values, ties to the lowest position. The result is then the one a
float64 computation gives, whatever kernel BLAS used, at float32 speed.
"""

import numpy as np

# The unit roundoff of float32.
EPS32 = 2.0**-24
# Relative width under which two float64 scores count as equal: far above float64
# rounding (1e-16), far below any difference that means something.
_RTOL64 = 1e-12
# Floats in one block of the float64 re-scoring (8 MiB).
_EXACT_BLOCK = 1 << 20


def sq_dist_error(n_features, radius, raw=0.0):
    """Bound on the float32 rounding error of a squared distance between two rows.

    The rows have norms at most ``radius`` and were themselves rounded to float32
    from exact values. A dot product of length ``d`` errs by at most ``d`` unit
    roundoffs times ``|a| |b|`` whatever the order of summation (any BLAS kernel,
    FMA or not); the two squared norms likewise; rounding the rows moves the
    distance by at most ``2 u (|a| + |b|)^2``. The sum is below
    ``(d + 6) u (|a| + |b|)^2``; twice that, with some slack, is returned.

    ``raw`` bounds the norms of the rows before a transform done in float32 on the
    fly (a division by the row norm, then a shift): its rounding, a few unit
    roundoffs of ``raw`` per row, adds ``64 u raw (|a| + |b|)``.
    """
    r2 = 2.0 * float(radius)
    return 2.0 * (n_features + 16) * EPS32 * r2**2 + 64 * EPS32 * raw * r2 + 1e-37


def exact_sq_dists(A, B):
    """Squared Euclidean distances between the rows of ``A`` and ``B`` in float64.

    Computed as ``sum((a - b) ** 2)`` with numpy's elementwise operations and
    pairwise summation, in blocks of bounded size, so the result does not depend on
    the BLAS library or the CPU. Shape ``(len(A), len(B))``.
    """
    A = np.asarray(A, dtype=np.float64)
    B = np.asarray(B, dtype=np.float64)
    out = np.empty((A.shape[0], B.shape[0]), dtype=np.float64)
    d = max(1, B.shape[1])
    col_step = max(1, min(B.shape[0], _EXACT_BLOCK // d))
    row_step = max(1, _EXACT_BLOCK // (col_step * d))
    for c0 in range(0, B.shape[0], col_step):
        Bb = B[None, c0 : c0 + col_step, :]
        for r0 in range(0, A.shape[0], row_step):
            diff = A[r0 : r0 + row_step, None, :] - Bb
            np.square(diff, out=diff)
            out[r0 : r0 + row_step, c0 : c0 + col_step] = diff.sum(axis=2)
    return out


def exact_min_sq_dists(A, B):
    """For each row of ``A``, the float64 squared distance to its nearest row of
    ``B`` (see :func:`exact_sq_dists`), without holding the whole matrix."""
    A = np.asarray(A, dtype=np.float64)
    out = np.full(A.shape[0], np.inf)
    step = max(1, _EXACT_BLOCK // max(1, A.shape[0]))
    for c0 in range(0, len(B), step):
        np.minimum(out, exact_sq_dists(A, B[c0 : c0 + step]).min(axis=1), out=out)
    return out


def first_max(candidates, scores, rtol=0.0):
    """Among ``candidates`` (ascending positions) with float64 ``scores``, the first
    whose score is at least ``max * (1 - rtol)``, float64 rounding ignored; returns
    ``(position, score)``."""
    scores = np.asarray(scores, dtype=np.float64)
    best = scores.max()
    win = np.flatnonzero(scores >= best - (rtol + _RTOL64) * abs(best))[0]
    return int(candidates[win]), float(scores[win])


def argmax_within(values, err, exact, rtol=0.0):
    """Position of the largest true value, on values known up to ``err``.

    The rule is evaluated on true (float64) values: the winner is the lowest position
    whose value is at least ``max * (1 - rtol)``; with ``rtol=0``, the first maximum.

    Parameters
    ----------
    values : ndarray of shape (n,)
        Non-negative approximations (``-inf`` marks a position that cannot win).
    err : float
        ``|values - true| <= err``.
    exact : callable
        ``exact(positions)`` returns the float64 true values at ascending
        ``positions``; called only when more than one position could win.
    rtol : float, default=0.0
        Relative width of the tie band of the rule.

    Returns
    -------
    position : int
    value : float
        The winner's value: float64 when re-scored, else its approximation.
    """
    values = np.asarray(values)
    top = float(values.max()) - err
    candidates = np.flatnonzero(values >= top * (1 - rtol) - err)
    if len(candidates) == 1:
        return int(candidates[0]), float(values[candidates[0]])
    return first_max(candidates, exact(candidates), rtol)


def argmax_bounded(values, lower, upper, exact, rtol=0.0):
    """As :func:`argmax_within`, with the true values known to lie in
    ``[lower, upper]`` (positive), around the approximations ``values``."""
    candidates = np.flatnonzero(upper >= np.max(lower) * (1 - rtol))
    if len(candidates) == 1:
        return int(candidates[0]), float(values[candidates[0]])
    return first_max(candidates, exact(candidates), rtol)


def smallest_within(values, err, size, exact):
    """Positions of the ``size`` smallest true values, ties to the lowest position.

    ``values`` approximate the true values up to ``err`` (a scalar); ``exact``
    returns the float64 true values at ascending positions. Only the positions
    whose rank is in doubt, those within ``2 err`` of the ``size``-th smallest
    approximation, are scored again. Returns ascending positions.
    """
    values = np.asarray(values)
    if size >= len(values):
        return np.arange(len(values))
    tau = np.partition(values, size - 1)[size - 1]
    sure = np.flatnonzero(values < tau - 2 * err)
    doubt = np.flatnonzero((values >= tau - 2 * err) & (values <= tau + 2 * err))
    need = size - len(sure)
    if need < len(doubt):
        scores = np.asarray(exact(doubt), dtype=np.float64)
        doubt = doubt[np.lexsort((doubt, scores))[:need]]
    return np.sort(np.concatenate([sure, doubt]))


def settle_nearest(nearest, best, second, err, exact_rows, centers64):
    """Correct the nearest-center assignment of the rows whose two nearest centers
    are within rounding of each other.

    ``nearest``, ``best`` and ``second`` come from a float32 kernel (index of the
    nearest center, squared distance to it and to the second nearest); ``err``
    bounds their rounding error (scalar or per row). Rows where
    ``second - best <= 2 err`` are assigned again by float64 distances to
    ``centers64`` (rows from ``exact_rows(positions)``), ties to the lowest center
    index. ``nearest`` is modified in place and returned; ``best`` is left as the
    float32 value.
    """
    doubt = np.flatnonzero(second - best <= 2 * np.asarray(err))
    if len(doubt):
        D = exact_sq_dists(exact_rows(doubt), centers64)
        low = D.min(axis=1, keepdims=True)
        nearest[doubt] = np.argmax(D <= low + _RTOL64 * low, axis=1)
    return nearest


def condition_pool(X, center=True):
    """The float32 pool the kernels work on, and how it was made from ``X``.

    Distances do not change under translation, and a power-of-two scale changes them
    by an exact factor, but float32 arithmetic cares about both: an offset shared by
    every row cancels in ``||a||^2 + ||b||^2 - 2 a.b`` (at 1e5 every distance is
    lost), and beyond about 1e18 the squared norms overflow (below 1e-19 they
    vanish). So the pool is centred on its column means (computed in float64, from
    the values as given) when ``center``, and scaled by ``2 ** exponent`` when its
    largest centred magnitude lies outside ``[2**-20, 2**20]``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
        Finite values.
    center : bool, default=True

    Returns
    -------
    Xw : ndarray of shape (n_samples, n_features), dtype=float32, C order
        ``(X - offset) * 2 ** exponent`` rounded once to float32; ``X`` itself when
        nothing is to be done and it is float32 in C order already.
    offset : ndarray of shape (n_features,), dtype=float64
    exponent : int
    """
    n, d = X.shape
    offset = np.zeros(d)
    if center:
        offset = X.mean(axis=0, dtype=np.float64)
        if not np.all(np.isfinite(offset)):
            raise ValueError(
                "X has values too large to average in float64 (largest magnitude "
                f"{float(np.abs(X).max()):.3g}); rescale the features."
            )
    # The largest centred magnitude, without a centred copy.
    spread = max(
        float(np.abs(X.max(axis=0).astype(np.float64) - offset).max()),
        float(np.abs(X.min(axis=0).astype(np.float64) - offset).max()),
    )
    exponent = 0
    if spread > 0 and not 2.0**-20 <= spread <= 2.0**20:
        exponent = -int(np.frexp(spread)[1])  # spread * 2**exponent in [0.5, 1)
    if not center and exponent == 0 and X.dtype == np.float32 and X.flags.c_contiguous:
        return X, offset, 0
    Xw = np.empty((n, d), dtype=np.float32)
    scale = 2.0**exponent
    step = max(1, _EXACT_BLOCK // max(1, d))
    for r0 in range(0, n, step):
        block = X[r0 : r0 + step].astype(np.float64)
        block -= offset
        block *= scale
        Xw[r0 : r0 + step] = block
    return Xw, offset, exponent


def exact_row_norms(X):
    """L2 norm of each row of ``X`` in float64, the same on every CPU."""
    out = np.empty(X.shape[0])
    step = max(1, _EXACT_BLOCK // max(1, X.shape[1]))
    for r0 in range(0, X.shape[0], step):
        out[r0 : r0 + step] = np.sqrt(
            np.square(X[r0 : r0 + step].astype(np.float64)).sum(axis=1)
        )
    return out
