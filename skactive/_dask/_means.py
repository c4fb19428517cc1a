# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""The column means of a dask pool, bit for bit those of the in-memory path.

:func:`~skactive._kernels._exact.condition_pool` adds the rows in fixed blocks
(:func:`~skactive._kernels._exact.row_blocks`): each block's sum is numpy's
``block.sum(axis=0, dtype=float64)``, and the block sums are added in order. The
chunks of a dask array rarely start at those blocks, and float64 addition is not
associative, so means summed per chunk can differ in the last bit; the float32
pool centred on them then differs from the in-memory one where an element lies
within that much of a float32 rounding boundary, and a distance, a score or (at a
near-tie) a pick with it. :func:`column_sums` makes the same sums: each chunk
computes the sums of the blocks inside it (in parallel, one read of each chunk);
the rows of a block cut by a chunk boundary (at most one block's worth, a few MiB)
travel to the next chunk's task, which sums the whole block as the in-memory path
does; a chain of these small tasks adds the block sums in order.
"""

import numpy as np

from skactive._kernels._exact import row_blocks

__all__ = ["column_sums"]


def _chunk_parts(block, start, step, n_rows):
    """The chunk of rows ``[start, start + len(block))`` against the in-memory
    blocks of ``step`` rows: ``(lead, sums, trail)``, the rows of the block begun
    before the chunk, the float64 sums (in order) of the blocks that begin and
    end in it, and the rows of the block that begins in it and ends after it."""
    block = np.ascontiguousarray(block)
    end = start + len(block)
    first = -(-start // step) * step  # the first block boundary at or after start
    lead = block[: min(first, end) - start]
    sums, trail = [], block[:0]
    for b in range(first, end, step):
        rows = block[b - start : min(b + step, end) - start]
        if min(b + step, n_rows) <= end:
            sums.append(rows.sum(axis=0, dtype=np.float64))
        else:
            trail = rows
    return lead, sums, trail


def _fold(state, parts, closes):
    """Add a chunk's block sums to ``state = (total, pending rows)``, in block
    order; ``closes``: the block begun before the chunk ends in it."""
    total, pending = state
    lead, sums, trail = parts
    if len(lead):
        pending = lead if pending is None else np.concatenate([pending, lead])
    if not closes:
        return total, pending
    if pending is not None:
        total = total + pending.sum(axis=0, dtype=np.float64)
    for s in sums:
        total = total + s
    return total, (trail if len(trail) else None)


def column_sums(X):
    """The float64 column sums of the dask array ``X`` (rows chunked, one column
    chunk) as :func:`~skactive._kernels._exact.condition_pool` computes those of
    ``X.compute()``: one parallel pass over the chunks, then a chain of one small
    task per chunk."""
    import dask

    n, d = X.shape
    step = row_blocks(n, d)[0].stop
    bounds = np.concatenate([[0], np.cumsum(X.chunks[0])]).astype(np.int64)
    parts = dask.delayed(_chunk_parts, pure=True, nout=3)
    fold = dask.delayed(_fold, pure=True)
    state = (np.zeros(d), None)
    for j, block in enumerate(X.to_delayed().ravel()):
        start, end = int(bounds[j]), int(bounds[j + 1])
        if end == start:
            continue
        closes = -(-start // step) * step < end or end == n
        state = fold(state, parts(block, start, step, n), closes)
    return dask.compute(state)[0][0]
