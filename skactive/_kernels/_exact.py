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


def row_blocks(n_rows, row_width, block=_EXACT_BLOCK):
    """Slices of ``n_rows`` rows, each holding about ``block`` values of
    ``row_width`` each (at least one row)."""
    step = max(1, block // max(1, row_width))
    return [slice(r0, r0 + step) for r0 in range(0, n_rows, step)]


def sq_dist_error(n_features, radius, raw=0.0, unit=EPS32):
    """Bound on the float32 rounding error of a squared distance between two rows.

    The rows have norms at most ``radius`` and were themselves rounded to float32
    from exact values. A dot product of length ``d`` errs by at most ``d`` unit
    roundoffs times ``|a| |b|`` whatever the order of summation (any BLAS kernel,
    FMA or not); the two squared norms likewise; rounding the rows moves the
    distance by at most ``2 u (|a| + |b|)^2``. With the roundings of the sums the
    total is below ``(d + 6) u (|a| + |b|)^2``; ``(d + 8) u (|a| + |b|)^2`` (and a
    little more for the second-order terms) is returned.

    ``raw`` bounds the norms of the rows before a transform done in float32 on the
    fly (a division by the row norm, then a shift): its rounding, a few unit
    roundoffs of ``raw`` per row, adds ``64 u raw (|a| + |b|)``. ``unit`` is the
    unit roundoff (``2**-53`` for a float64 computation).
    """
    r2 = 2.0 * float(radius)
    gamma = (n_features + 8) * unit * (1 + 2 * n_features * unit)
    return gamma * r2**2 + 64 * unit * raw * r2 + 1e-37


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


def exact_nearest(A, B, b_sq=None, block=_EXACT_BLOCK):
    """For each row of ``A``, its nearest row of ``B`` and the squared distance,
    decided on float64 differences as :func:`exact_sq_dists` computes them (ties to
    the lowest index), without computing every difference.

    A float64 matrix product gives every distance up to a rounding bound (of order
    ``1e-16`` of the squared norms), which leaves a few candidates per row; those
    alone are computed as differences. ``b_sq`` (the squared row norms of ``B`` as
    float64) saves recomputing them when ``B`` is searched again; ``block`` bounds
    the floats of one distance block.
    """
    A = np.asarray(A, dtype=np.float64)
    B = np.asarray(B, dtype=np.float64)
    a_sq = np.square(A).sum(axis=1)
    b_sq = np.square(B).sum(axis=1) if b_sq is None else b_sq
    index = np.empty(len(A), dtype=np.intp)
    value = np.empty(len(A))
    for rows in row_blocks(len(A), len(B), block):
        D = a_sq[rows, None] + b_sq[None, :] - 2 * (A[rows] @ B.T)
        radius = np.sqrt(max(float(a_sq[rows].max()), float(b_sq.max())))
        err = sq_dist_error(A.shape[1], radius, unit=2.0**-53)
        low = D.min(axis=1)
        band = low + 4 * err + 2 * _RTOL64 * np.maximum(low, 0)
        i, j = np.nonzero(D <= band[:, None])  # row-major: j ascending per row
        exact = np.square(A[rows.start + i] - B[j]).sum(axis=1)
        best = np.full(len(low), np.inf)
        np.minimum.at(best, i, exact)
        win = exact <= best[i] + _RTOL64 * best[i]
        # The first winning candidate of each row (j ascending): lowest index. Every
        # row has one, its nearest.
        _, at = np.unique(i[win], return_index=True)
        index[rows] = j[win][at]
        value[rows] = best
    return index, value


def exact_min_sq_dists(A, B, b_sq=None, block=_EXACT_BLOCK):
    """For each row of ``A``, the float64 squared distance to its nearest row of
    ``B`` (see :func:`exact_nearest`)."""
    return exact_nearest(A, B, b_sq, block)[1]


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


def settle_nearest(
    nearest, best, runners, err, exact_rows, centers64, working=None, shift=None
):
    """Correct the nearest-center assignment of the rows whose nearest centers are
    within float32 rounding of each other.

    ``nearest``, ``best`` and ``runners`` come from
    :func:`skactive._kernels._pairwise.nearest_sq_dists` (``return_runners=True``);
    ``err`` bounds the rounding of its squared distances. A row is in doubt when
    its second nearest center is within ``2 err`` of its nearest. When only those
    two are (the common case: a point between two centers), the sign of
    ``||x - c1||^2 - ||x - c2||^2 = ||c1||^2 - ||c2||^2 - 2 x.(c1 - c2)`` decides:
    the product with the short difference vector is accurate where the
    matrix-product form is not. It is taken in float32 on the working rows when
    ``working`` is given and its bound proves the sign, else in float64 on
    ``exact_rows``. When a third center is within ``2 err`` too, the row's nearest
    center is found in float64 (:func:`exact_nearest`). Ties go to the lowest
    center index. ``nearest`` is modified in place and returned.

    ``working(positions)`` returns the float32 rows the kernel used and a bound on
    the norm of their rounding error, in the frame of ``centers64 - shift``.
    """
    runner, second, third, _ = runners
    err = 2 * np.asarray(err)
    doubt = second - best <= err
    many = np.flatnonzero(doubt & (third - best <= err))
    pair = np.flatnonzero(doubt & (third - best > err))
    if len(pair):
        shift = np.zeros(centers64.shape[1]) if shift is None else shift
        C = centers64 - shift
        sq = np.square(C).sum(axis=1)
        a, b = nearest[pair], runner[pair]
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        for s in row_blocks(len(pair), C.shape[1]):
            rows, one, two = pair[s], lo[s], hi[s]
            delta = C[one] - C[two]
            base = sq[one] - sq[two]  # ||x - lo||^2 - ||x - hi||^2 = base - 2 x.delta
            sure = np.zeros(len(rows), dtype=bool)
            if working is not None:
                x, x_err = working(rows)
                d32 = delta.astype(np.float32)
                gap = base - 2 * np.einsum("ij,ij->i", x, d32, dtype=np.float64)
                norm_d = np.sqrt(np.square(delta).sum(axis=1))
                norm_x = np.sqrt(np.einsum("ij,ij->i", x, x, dtype=np.float64))
                d = C.shape[1]
                bound = 2.02 * norm_d * ((d + 4) * EPS32 * norm_x + x_err)
                bound += 8 * 2.0**-53 * (np.abs(sq[one]) + np.abs(sq[two]))
                sure = np.abs(gap) > bound
                nearest[rows[sure]] = np.where(gap[sure] > 0, two[sure], one[sure])
            rest = ~sure
            if rest.any():
                x = exact_rows(rows[rest]) - shift
                gap = base[rest] - 2 * (x * delta[rest]).sum(axis=1)
                scale = np.abs(sq[one[rest]]) + np.abs(sq[two[rest]]) + 1e-300
                nearest[rows[rest]] = np.where(
                    gap <= _RTOL64 * scale, one[rest], two[rest]
                )
    if len(many):
        nearest[many] = exact_nearest(exact_rows(many), centers64)[0]
    return nearest


# Squares are taken in float64 as they are while they lie within
# [2**(-2 _SQUARE_EXP), 2**(2 _SQUARE_EXP)] (a row's sum of squares; a pool's largest
# magnitude within [2**-_SQUARE_EXP, 2**_SQUARE_EXP]): they then neither overflow nor
# leave the normal range. Beyond, the values are first brought to [0.5, 1) by a power
# of two.
_SQUARE_EXP = 400
# condition_pool scales the pool when its largest (centred) row norm lies outside
# [2**-_POOL_EXP, 2**_POOL_EXP]: the float32 kernels square the rows.
_POOL_EXP = 20


def power_of_two_exponent(magnitude, bound):
    """The power of two that brings ``magnitude`` to ``[0.5, 1)``, or 0 when it
    lies in ``[2**-bound, 2**bound]`` already (or is 0): what the rows are
    multiplied by (exactly) before arithmetic that would overflow, underflow or
    lose them. An int for a scalar ``magnitude``, an int array (elementwise) for an
    array."""
    m = np.asarray(magnitude, dtype=np.float64)
    keep = (m == 0) | ((m >= 2.0**-bound) & (m <= 2.0**bound))
    exponent = np.where(keep, 0, -np.frexp(m)[1])
    return int(exponent) if exponent.ndim == 0 else exponent


def row_max_abs(X):
    """The largest magnitude of each row of ``X`` (0 for an empty row), without a
    temporary of the size of ``X``."""
    if X.shape[1] == 0:
        return np.zeros(X.shape[0], dtype=X.dtype)
    return np.maximum(X.max(axis=1), -X.min(axis=1))


def _row_sq_norms(block):
    """The float64 squared norms of the rows of ``block``, each squared as it is
    unless its sum of squares lies outside ``[2**-800, 2**800]`` (or is 0): such a
    row is squared after a power of two brings its largest magnitude to
    ``[0.5, 1)``. Returns the squared norms (of the rescaled rows there), the
    exponents (0 for the rows squared as they are) and the positions rescaled."""
    sq = np.einsum("ij,ij->i", block, block, dtype=np.float64)
    odd = np.flatnonzero(
        ~((sq >= 2.0 ** (-2 * _SQUARE_EXP)) & (sq <= 2.0 ** (2 * _SQUARE_EXP)))
    )
    exponent = np.zeros(len(sq), dtype=np.int32)
    if len(odd):
        exponent[odd] = -np.frexp(row_max_abs(block[odd]).astype(np.float64))[1]
        rows = np.ldexp(block[odd], exponent[odd, None])
        sq[odd] = np.einsum("ij,ij->i", rows, rows, dtype=np.float64)
    return sq, exponent, odd


def safe_row_norms(X):
    """The L2 norm of each row of ``X`` in float64 (computed in blocks, exact for
    float32 rows but for the square root's rounding), with 1 for zero rows: what
    rows are divided by to normalise them, zero rows staying zero.

    A row whose squares would overflow or vanish in float64 (a sum of squares
    beyond ``2**800`` or below ``2**-800``: float64 values of about ``1e120`` and
    ``1e-120`` and beyond) is squared after an exact power-of-two rescale, its norm
    scaled back; other rows are squared as they are, so their norms are those of
    the plain formula, to the bit. A norm beyond the float64 range (rows near
    ``1.8e308``) is infinite: :func:`unit_rows` never forms it."""
    norms = np.empty(X.shape[0])
    for rows in row_blocks(*X.shape):
        sq, exponent, odd = _row_sq_norms(X[rows])
        norms[rows] = np.sqrt(sq)
        if len(odd):
            at = rows.start + odd
            norms[at] = np.ldexp(norms[at], -exponent[odd])
    norms[norms == 0] = 1.0
    return norms


def unit_rows(X):
    """The rows of ``X`` divided by their L2 norms, in float64 (zero rows stay
    zero), at any finite scale: a row whose squares would overflow or vanish is
    rescaled by a power of two first (which changes no bit of its normalised
    value), other rows are ``X / ||X||`` of the plain formula, to the bit. A new
    array, of the shape of ``X`` (call it on blocks of rows of a large pool)."""
    X = np.asarray(X)
    sq, exponent, odd = _row_sq_norms(X)
    norms = np.sqrt(sq)
    norms[norms == 0] = 1.0
    plain = norms.copy()
    plain[odd] = np.inf  # 0 there, without an overflow: those rows are set below
    out = X / plain[:, None]
    if len(odd):
        out[odd] = np.ldexp(X[odd], exponent[odd, None]) / norms[odd, None]
    return out


def condition_pool(X, center=True):
    """The float32 pool the kernels work on, and how it was made from ``X``.

    Distances do not change under translation, and a power-of-two scale changes them
    by an exact factor, but float32 arithmetic cares about both: an offset shared by
    every row cancels in ``||a||^2 + ||b||^2 - 2 a.b`` (at 1e5 every distance is
    lost), and beyond about 1e18 the squared norms overflow (below 1e-19 they
    vanish). So the pool is shifted by its column means (computed in float64 from
    the values as given), and it is scaled by ``2 ** exponent`` when its magnitudes
    lie outside ``[2**-20, 2**20]``. Any finite scale is conditioned: when the
    largest squared row norm lies beyond ``2**800`` or below ``2**-800`` (where
    float64 squares overflow or vanish), one more pass finds the largest magnitude,
    and the norms and means are taken again on the pool times the power of two
    that brings it to ``[0.5, 1)``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
        Finite values.
    center : bool, "auto" or float, default=True
        Shift by the column means. ``"auto"``: only when they are larger than the
        spread of the pool; the rounding bound of the kernels grows with the norms,
        so a smaller offset costs little and is not worth a copy of the pool, but
        the float32 values then differ (by rounding) from those of a translated
        ``X``. A float ``r``: only when the norm of the means is more than ``r``
        times the spread (``"auto"`` is ``r = 1``), which leaves the values of
        pools with a smaller offset as they are, to the bit. The spread is the
        root of the total variance. Use ``True`` where the picks must not depend
        on translation at all (an algorithm that amplifies rounding, as k-means
        does).

    Returns
    -------
    Xw : ndarray of shape (n_samples, n_features), dtype=float32, C order
        ``(X - offset) * 2 ** exponent`` rounded once to float32; ``X`` itself when
        nothing is to be done and it is float32 in C order already.
    offset : ndarray of shape (n_features,), dtype=float64
        The column means, or zeros when the pool was not shifted.
    exponent : int
    sq_norms : ndarray of shape (n_samples,), dtype=float64
        Squared row norms of ``Xw``.
    """
    n, d = X.shape
    blocks = row_blocks(n, d)
    sq, total = _pool_stats(X, blocks, center)
    # A pool of extreme magnitude: its squares and sums taken again on the values
    # brought near 1 by a power of two (exact), so that none overflows or vanishes.
    pre = 0
    if n and not 2.0 ** (-2 * _SQUARE_EXP) <= sq.max() <= 2.0 ** (2 * _SQUARE_EXP):
        top_abs = max(float(row_max_abs(X[rows]).max()) for rows in blocks)
        pre = power_of_two_exponent(top_abs, _SQUARE_EXP)
    if pre:
        sq, total = _pool_stats(X, blocks, center, pre)
    offset = np.zeros(d)
    top = float(np.sqrt(sq.max())) if n else 0.0  # the largest row norm
    if center and n:
        mean = total / n
        mean_sq = float(mean @ mean)
        ratio = 1.0 if center == "auto" else float(center)
        if center is True or mean_sq > ratio**2 * (float(sq.mean()) - mean_sq):
            offset = np.ldexp(mean, -pre)  # in the units of X
            top += np.sqrt(mean_sq)  # bounds the largest centred norm
    exponent = pre + power_of_two_exponent(top, _POOL_EXP)
    shifted = bool(offset.any())
    if not shifted and exponent == 0 and X.dtype == np.float32:
        return np.ascontiguousarray(X), offset, 0, sq
    Xw = np.empty((n, d), dtype=np.float32)
    scale = 2.0**exponent
    for rows in blocks:
        block = X[rows].astype(np.float64)
        if shifted:
            block -= offset
        block *= scale
        Xw[rows] = block
        sq[rows] = np.einsum("ij,ij->i", block, block)
    return Xw, offset, exponent, sq


def _pool_stats(X, blocks, center, exponent=0):
    """One pass over ``X * 2**exponent``: the float64 squared row norms, and the
    column sums when ``center``."""
    n, d = X.shape
    sq = np.empty(n)
    total = np.zeros(d)
    for rows in blocks:
        block = X[rows]
        if exponent:
            block = np.ldexp(block.astype(np.float64), exponent)
        sq[rows] = np.einsum("ij,ij->i", block, block, dtype=np.float64)
        if center:
            total += block.sum(axis=0, dtype=np.float64)
    return sq, total
