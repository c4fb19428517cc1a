# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""A pool held as a ``dask.array.Array``: its validation, and the conditioning of
:func:`skactive._kernels._exact.condition_pool` computed chunk by chunk.

Nothing here gathers the pool to the client: the validation and the statistics the
conditioning needs are one pass of per-chunk reductions (a few floats per chunk,
and the column sums), and the conditioned float32 pool is a lazy dask array. Row
squared norms are recomputed per chunk where they are needed (:meth:`DaskPool.
sq_norms`), on the workers.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.utils import assert_all_finite

from skactive._kernels._exact import (
    _POOL_EXP,
    _SQUARE_EXP,
    power_of_two_exponent,
    row_max_abs,
)

__all__ = ["DaskPool", "check_dask_pool", "condition_dask_pool"]

# The per-chunk statistics, one row per chunk: a NaN, an infinity, the largest
# magnitude, the largest and the sum of the squared row norms (float64); then the
# column sums (float64) when the pool is to be centred.
_NAN, _INF, _ABS_MAX, _SQ_MAX, _SQ_SUM, _N_STATS = range(6)


def check_dask_pool(X, estimator):
    """Validate a dask array as ``validate_data`` validates an in-memory pool.

    The checks that read only the shape and the dtype are made here, lazily: 2-D,
    at least 2 rows and 1 column (the same messages as scikit-learn's), numbers
    (float32 and float64 are kept, other numbers become float64 as scikit-learn
    converts them). Unknown chunk sizes (a dask DataFrame's ``values``) are computed
    (one pass counting rows); the columns are rechunked lazily into one chunk, so
    each chunk holds whole rows. Finiteness is checked by
    :func:`condition_dask_pool`, in the pass that also computes what the
    conditioning needs.

    Returns
    -------
    X : dask.array.Array of shape (n_samples, n_features), float32 or float64
    """
    name = type(estimator).__name__
    if X.ndim != 2:
        if X.ndim == 1:
            raise ValueError(
                f"Expected 2D array, got 1D array instead: a dask array of shape "
                f"{X.shape}.\nReshape your data either using array.reshape(-1, 1) "
                "if your data has a single feature or array.reshape(1, -1) if it "
                "contains a single sample."
            )
        raise ValueError(
            f"Found array with dim {X.ndim}, while dim <= 2 is required by {name}."
        )
    if X.dtype.kind not in "biuf":
        raise ValueError(
            f"X is a dask array of dtype {X.dtype}; {name} needs numbers (float32 "
            "and float64 are used as they are, integers and booleans converted to "
            "float64)."
        )
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)  # as check_array(dtype=(float64, float32)) does
    if any(np.isnan(c) for c in X.chunks[0]):
        X = X.compute_chunk_sizes()
    if any(np.isnan(c) for c in X.chunks[1]):
        raise ValueError(
            f"X is a dask array with an unknown number of columns (shape {X.shape}); "
            "give one with known column chunks."
        )
    n, d = X.shape
    if n < 2:
        raise ValueError(
            f"Found array with {n} sample(s) (shape={X.shape}) while a minimum of 2 "
            f"is required by {name}."
        )
    if d < 1:
        raise ValueError(
            f"Found array with {d} feature(s) (shape={X.shape}) while a minimum of 1 "
            f"is required by {name}."
        )
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    return X


def _chunk_stats(block, center, unit=False, exponent=0):
    """One row of statistics of a chunk (see ``_NAN`` and the others above); with
    ``unit``, then the number of non-zero rows and the column sums of the rows
    divided by their norms (what the collapse check of ``normalize=True`` needs).
    The squares and sums are of the chunk times ``2**exponent`` (exact), the
    largest magnitude of the chunk itself."""
    block = np.asarray(block)
    if exponent and np.isfinite(block).all():
        top = float(np.max(row_max_abs(block), initial=0.0))
        block = np.ldexp(block.astype(np.float64), exponent)
        stats = _chunk_stats(block, center, unit)
        stats[0, _ABS_MAX] = top
        return stats
    d = block.shape[1]
    stats = np.zeros((1, _N_STATS + (d if center else 0) + (1 + d if unit else 0)))
    if not np.isfinite(block).all():
        stats[0, _NAN] = np.isnan(block).any()
        stats[0, _INF] = not stats[0, _NAN]
        return stats
    if len(block) == 0:
        return stats
    sq = np.einsum("ij,ij->i", block, block, dtype=np.float64)
    stats[0, _ABS_MAX] = row_max_abs(block).max()
    stats[0, _SQ_MAX] = sq.max()
    stats[0, _SQ_SUM] = sq.sum()
    if center:
        stats[0, _N_STATS : _N_STATS + d] = block.sum(axis=0, dtype=np.float64)
    if unit:
        norms = np.sqrt(sq)
        nonzero = norms > 0
        units = block[nonzero] / norms[nonzero, None]
        stats[0, -1 - d] = np.count_nonzero(nonzero)
        stats[0, -d:] = units.sum(axis=0, dtype=np.float64)
    return stats


def _transformed(block, offset, scale):
    """``(block - offset) * scale`` in float64, in a new array: never written into
    ``block`` itself, which may be read-only (a memory-mapped ``.npy`` shard, a
    pandas 3 frame's values) or the caller's own float64 data."""
    if offset is not None:
        work = np.subtract(block, offset, dtype=np.float64)
    else:
        work = np.array(block, dtype=np.float64)  # a copy, even of float64
    if scale != 1.0:
        work *= scale
    return work


def _condition_block(block, offset, scale):
    """The chunk as :func:`~skactive._kernels._exact.condition_pool` makes it:
    shifted and scaled in float64, rounded once to float32 (one copy: straight
    to float32 when there is nothing to shift or scale)."""
    if offset is None and scale == 1.0:
        return block.astype(np.float32)
    return _transformed(block, offset, scale).astype(np.float32)


def _block_sq_norms(block, offset, scale):
    """Squared norms (float64) of the chunk's rows as ``condition_pool`` returns
    them: of the shifted and scaled float64 rows, before rounding."""
    if offset is None and scale == 1.0:
        return np.einsum("ij,ij->i", block, block, dtype=np.float64)
    work = _transformed(block, offset, scale)
    return np.einsum("ij,ij->i", work, work)


@dataclass
class DaskPool:
    """A conditioned pool on the workers: ``(X - offset) * 2**exponent`` in float32.

    Attributes
    ----------
    raw : dask.array.Array
        The validated pool (float32 or float64), rows chunked, one column chunk.
    data : dask.array.Array of dtype float32
        The conditioned pool, lazy: each chunk is made from ``raw`` when a pass
        reads it. ``raw`` itself when nothing is to be done and it is float32.
    offset : ndarray of shape (n_features,), dtype=float64
        The column means, or zeros when the pool was not shifted.
    exponent : int
    max_sq_norm : float
        The largest squared row norm of ``raw``.
    mean_sq_norm : float
        The mean squared row norm of ``raw``.
    unit_spread : float or None
        The mean squared distance between the rows divided by their norms (the
        measure of :func:`skactive.samplers._normalize.unit_rows_spread`), when
        asked for.
    max_abs : float
        The largest magnitude of ``raw``.

    ``max_sq_norm`` and ``mean_sq_norm`` are those of ``raw`` times
    ``2**pre_exponent``: the power of two that keeps the squares of a pool of
    extreme magnitude finite and normal (0 for other pools).
    """

    raw: object
    data: object
    offset: np.ndarray
    exponent: int
    max_sq_norm: float
    mean_sq_norm: float
    unit_spread: float | None = None
    max_abs: float = 0.0
    pre_exponent: int = 0

    def largest_magnitude(self):
        """The largest magnitude of ``data``: exact without a pass when the pool is
        not shifted (rounding to float32 keeps the order of magnitudes), else one
        pass over the chunks, made once."""
        if not self.offset.any():
            return float(np.float32(np.ldexp(self.max_abs, self.exponent)))
        if getattr(self, "_largest", None) is None:
            import dask.array as da

            top = da.maximum(self.data.max(), -self.data.min())
            self._largest = float(top.compute())
        return self._largest

    @property
    def shape(self):
        return self.data.shape

    @property
    def row_bounds(self):
        """The first row of each chunk, and the number of rows, ascending."""
        return np.concatenate([[0], np.cumsum(self.data.chunks[0])]).astype(np.intp)

    def _transform(self):
        shifted = self.offset.any()
        return (self.offset if shifted else None), 2.0**self.exponent

    def sq_norms(self):
        """The squared row norms (float64) of the conditioned pool, as a lazy dask
        array chunked as the rows: recomputed per chunk on the workers."""
        offset, scale = self._transform()
        return self.raw.map_blocks(
            _block_sq_norms, offset, scale, drop_axis=1, dtype=np.float64
        )

    def take(self, indices):
        """The conditioned float32 rows at ``indices`` (ascending pool indices),
        gathered to the client in one pass over the chunks that hold them."""
        indices = np.asarray(indices, dtype=np.intp)
        if len(indices) == 0:
            return np.empty((0, self.shape[1]), dtype=np.float32)
        return np.asarray(self.data[indices].compute(), dtype=np.float32)


def condition_dask_pool(X, estimator, center=True, unit_spread=False):
    """Validate the values of the dask pool ``X`` and condition it as
    :func:`~skactive._kernels._exact.condition_pool` conditions an in-memory one.

    One pass of per-chunk reductions checks that every value is finite (raising
    scikit-learn's ``validate_data`` message otherwise) and computes the largest
    and the mean squared row norm, the largest magnitude and, when centring, the
    float64 column sums. The offset and the power-of-two exponent follow
    ``condition_pool``'s rule; the conditioned float32 pool is lazy. A pool whose
    largest magnitude lies beyond ``2**400`` or below ``2**-400`` takes a second
    pass: its squares and sums are taken times a power of two (exact), as
    ``condition_pool`` takes them, so that none overflows or vanishes.

    The column sums are added chunk by chunk, where ``condition_pool`` adds them in
    its own blocks: the means can differ in the last bit of float64, and an
    element of the float32 pool then differs only when it lies within that much of
    a float32 rounding boundary. Without centring (``center=False``, or ``"auto"``
    deciding not to shift) the float32 pool is exactly the in-memory one.

    Parameters
    ----------
    X : dask.array.Array
        A pool checked by :func:`check_dask_pool`.
    estimator : object
        Named in the error messages.
    center : bool or "auto", default=True
        As in ``condition_pool``.
    unit_spread : bool, default=False
        Also measure, in the same pass, how far apart the rows divided by their
        norms are (``DaskPool.unit_spread``).

    Returns
    -------
    pool : DaskPool
    """
    n, d = X.shape
    n_stats = _N_STATS + (d if center else 0) + (1 + d if unit_spread else 0)

    def chunk_stats(exponent=0):
        return X.map_blocks(
            _chunk_stats,
            bool(center),
            unit_spread,
            exponent,
            chunks=((1,) * X.numblocks[0], (n_stats,)),
            dtype=np.float64,
        ).compute()

    stats = chunk_stats()
    name = type(estimator).__name__
    for flag, value in ((_NAN, np.nan), (_INF, np.inf)):
        if stats[:, flag].any():  # NaN first, as check_array reports it
            assert_all_finite(
                np.full((1, 1), value, dtype=X.dtype),
                estimator_name=name,
                input_name="X",
            )
    # A pool of extreme magnitude: a second pass squares it times a power of two
    # (exact), as condition_pool does, so that no square overflows or vanishes.
    max_abs = float(stats[:, _ABS_MAX].max())
    pre = power_of_two_exponent(max_abs, _SQUARE_EXP)
    if pre:
        stats = chunk_stats(pre)
    spread = None
    if unit_spread:
        # 2 mean ||u_i - mean(u)||^2 = 2 (mean ||u_i||^2 - ||mean(u)||^2).
        nonzero = float(stats[:, -1 - d].sum())
        mean_unit = stats[:, -d:].sum(axis=0) / n
        spread = 2.0 * (nonzero / n - float(mean_unit @ mean_unit))
    sq_max = float(stats[:, _SQ_MAX].max())
    sq_sum = float(stats[:, _SQ_SUM].sum())
    total = stats[:, _N_STATS : _N_STATS + (d if center else 0)].sum(axis=0)
    offset = np.zeros(d)
    top = float(np.sqrt(sq_max))
    if center:
        mean = total / n
        mean_sq = float(mean @ mean)
        if center is True or mean_sq > sq_sum / n - mean_sq:
            offset = np.ldexp(mean, -pre)  # in the units of X
            top += np.sqrt(mean_sq)
    exponent = pre + power_of_two_exponent(top, _POOL_EXP)
    data = X
    if offset.any() or exponent != 0 or X.dtype != np.float32:
        data = X.map_blocks(
            _condition_block,
            offset if offset.any() else None,
            2.0**exponent,
            dtype=np.float32,
        )
    return DaskPool(X, data, offset, exponent, sq_max, sq_sum / n, spread, max_abs, pre)
