# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""K-center greedy (Coreset) on a pool held as a ``dask.array.Array``.

The pool stays on the workers. A query loads each chunk once into the memory of
the worker that computed it, where a :class:`CoresetShard` (a ``distributed``
actor, one per worker) keeps, for each of its chunks, the in-memory greedy's
state: each row's float32 squared distance to its nearest center and the
triangle-inequality groups (:class:`ChunkKCenter`, the chunk-side
:class:`~skactive._kernels._greedy.KCenterGreedy`). A pick is one call to each
actor, made directly from the client to the worker (no scheduler task): the
client sends the previous pick's row, each actor lowers its chunks' distances
and returns the rows that could be the farthest (those within the rounding bound
``2 err`` of its largest value: one, but for near-ties); the client settles them
as :func:`~skactive._kernels._greedy.choose_max` does in memory, on float64
distances to every center, with the pool's global ``err``. So the update of pick
``i`` and the candidates for pick ``i + 1`` travel in one round trip, and the
picks and scores are those of the in-memory path.
"""

from dataclasses import replace

import numpy as np

from skactive._dask._means import column_sums
from skactive._dask._pool import (
    _block_sq_norms,
    _condition_block,
    condition_dask_pool,
)
from skactive._kernels._exact import exact_min_sq_dists, sq_dist_error
from skactive._kernels._greedy import (
    KCenterGreedy,
    choose_max,
    exact_nearest_center,
    near_max,
    run_greedy,
)
from skactive._kernels._pairwise import BLOCK_SIZE
from skactive.backends import NUMPY

__all__ = ["ChunkKCenter", "CoresetShard", "dask_k_center_greedy"]


class _Centers:
    """The rows (float32) and squared norms of the centers, in center order,
    shared by the chunks of a shard (one copy per worker, not per chunk)."""

    def __init__(self, rows, sq, capacity):
        self.rows = np.empty((capacity, rows.shape[1]), dtype=np.float32)
        self.sq = np.empty(capacity, dtype=np.float32)
        self.count = len(rows)
        self.rows[: self.count] = rows
        self.sq[: self.count] = sq

    def append(self, row, sq):
        self.rows[self.count] = row
        self.sq[self.count] = sq
        self.count += 1


class ChunkKCenter(KCenterGreedy):
    """The k-center greedy state of one chunk of the pool, its rows starting at
    pool row ``start``: the in-memory state (:meth:`KCenterGreedy._start`) for
    centers given as rows, lowered by :meth:`KCenterGreedy._lower` when a center
    is added, with the pool's ``err`` (not the chunk's), so its pruning and its
    candidates are those the in-memory rules allow.

    The choice is not made here: :meth:`candidates` gives the rows that could be
    the pool's farthest, and the client chooses among every chunk's.
    """

    def __init__(self, X, X_sq, start, err, centers, center_ids, prune=True):
        self.be = NUMPY
        self.X = X
        self.start = start
        self.err = err
        self.shared = centers
        own = np.asarray(center_ids, dtype=np.intp) - start
        own = own[(own >= 0) & (own < len(X))]
        n = centers.count
        self._start(
            X,
            X_sq,
            centers.rows[:n],
            centers.sq[:n],
            own,
            len(centers.rows),
            prune,
            BLOCK_SIZE,
        )

    def _centers(self, n_centers):
        return self.shared.rows[:n_centers], self.shared.sq[:n_centers]

    def add_center(self, index, row, sq):
        """The center at pool row ``index`` (``row`` and ``sq``, already appended
        to the shared centers) is added: lower the distances to it."""
        g_new = self.n_centers
        self.n_centers += 1
        local = index - self.start
        if 0 <= local < self.n_points:
            self.d[local] = -np.inf
        self._lower(row, sq, g_new)

    def candidates(self):
        """Local positions of the rows that could be the farthest of the chunk:
        within ``2 err`` of its largest distance (none when every row is a
        center)."""
        at = near_max(self.d, self.err)
        return at[self.d[at] > -np.inf]


def _load_chunk(block, offset, scale, transform):
    """A chunk as the in-memory greedy reads it: the conditioned float32 rows
    and their float32 squared norms (those of the float64 rows before rounding,
    as ``condition_pool`` gives them)."""
    if transform:
        X = _condition_block(block, offset, scale)
    else:
        X = np.ascontiguousarray(block, dtype=np.float32)
    sq = _block_sq_norms(block, offset, scale).astype(np.float32)
    return X, sq


class CoresetShard:
    """The chunks of the pool held by one worker, and their greedy states.

    Made as a ``distributed`` actor on that worker, from the chunks it computed
    (``chunks`` is a list of ``(X, X_sq)``, ``starts`` their first pool rows). Each
    method is one round trip from the client; the candidates it returns are
    ``(indices, values, rows, sq, scanned)``: ascending pool indices, their
    float32 distances, rows and squared norms, and the rows the updates have
    looked at so far.
    """

    def __init__(self, chunks, starts, prune=True):
        self.X = [np.asarray(c[0]) for c in chunks]
        self.sq = [np.asarray(c[1]) for c in chunks]
        self.starts = [int(s) for s in starts]
        self.prune = prune
        self.err = None
        self.states = []

    def max_sq_norm(self):
        """The largest float32 squared row norm of the shard's chunks."""
        return max(float(sq.max()) for sq in self.sq)

    def rows(self, indices):
        """The rows at those of the pool ``indices`` (ascending) that the shard
        holds: ``(indices, rows, sq)``."""
        indices = np.asarray(indices, dtype=np.intp)
        found, rows, sq = [], [], []
        for X, X_sq, s in zip(self.X, self.sq, self.starts, strict=True):
            local = indices[(indices >= s) & (indices < s + len(X))] - s
            found.append(local + s)
            rows.append(X[local])
            sq.append(X_sq[local])
        return self._stack(found, rows, sq)

    def _stack(self, found, rows, sq):
        d = self.X[0].shape[1]
        if not found:
            return (
                np.empty(0, np.intp),
                np.empty((0, d), np.float32),
                np.empty(0, np.float32),
            )
        return np.concatenate(found), np.concatenate(rows), np.concatenate(sq)

    def start(self, err, centers, centers_sq, center_ids, capacity):
        """Make the chunks' states for the first centers (rows, squared norms and
        pool indices; room for ``capacity`` centers); returns the candidates."""
        self.err = err
        self.centers = _Centers(centers, centers_sq, capacity)
        self.states = [
            ChunkKCenter(X, sq, s, err, self.centers, center_ids, self.prune)
            for X, sq, s in zip(self.X, self.sq, self.starts, strict=True)
        ]
        return self.candidates()

    def add(self, index, row, sq):
        """Add the center at pool row ``index``; returns the new candidates (the
        update and the next choice in one round trip)."""
        self.update(index, row, sq)
        return self.candidates()

    def update(self, index, row, sq):
        """Add the center at pool row ``index`` (its row and squared norm)."""
        self.centers.append(row, sq)
        row, sq = self.centers.rows[self.centers.count - 1], np.float32(sq)
        for state in self.states:
            state.add_center(index, row, sq)

    def candidates(self):
        """The rows of the shard that could be the pool's farthest: each chunk's
        near-ties to its own largest distance, narrowed to those within ``2 err``
        of the shard's largest (a superset of the pool's near-ties, since the
        pool's largest is at least the shard's)."""
        found, values, rows, sq = [], [], [], []
        # Before the first center every distance is inf: no choice to make (the
        # first pick of a cold start is drawn on the client).
        for state in self.states if self.centers.count else []:
            at = state.candidates()
            found.append(at + state.start)
            values.append(state.d[at])
            rows.append(state.X[at])
            sq.append(state.X_sq[at])
        scanned = sum(state.scanned for state in self.states)
        values = np.concatenate(values) if values else np.empty(0, np.float32)
        if len(values) == 0:
            found, rows, sq = self._stack([], [], [])
            return found, values, rows, sq, scanned
        keep = near_max(values, self.err)
        found, rows, sq = self._stack(found, rows, sq)
        return found[keep], values[keep], rows[keep], sq[keep], scanned


def _merge(parts):
    """The candidates ``(indices, values, rows, sq)`` of every shard's
    ``(indices, values, rows, sq, scanned)``, as one set in ascending pool
    order."""
    index = np.concatenate([p[0] for p in parts])
    order = np.argsort(index, kind="stable")
    return tuple(np.concatenate([p[k] for p in parts])[order] for k in range(4))


class DaskKCenterGreedy:
    """The client's side of the greedy on shards (see the module docstring),
    following the protocol of :func:`~skactive._kernels._greedy.run_greedy`: it
    holds the centers' rows (the labeled points' and the picks', gathered: they
    are few) and the shards' latest candidates."""

    def __init__(self, shards, err, n_points, n_features, mask, budget):
        self.shards = shards
        self.err = err
        self.n_points = n_points
        labeled = np.flatnonzero(mask)
        capacity = len(labeled) + budget
        self.C = np.empty((capacity, n_features), dtype=np.float32)
        self.C_sq = np.empty(capacity, dtype=np.float32)
        self.n_centers = len(labeled)
        if len(labeled):
            idx, rows, sq = self._gather(labeled)
            self.C[: len(idx)], self.C_sq[: len(idx)] = rows, sq
        k = self.n_centers
        self._receive(
            [s.start(err, self.C[:k], self.C_sq[:k], labeled, capacity) for s in shards]
        )

    def _gather(self, indices):
        """The rows and squared norms at the pool ``indices`` (ascending)."""
        parts = [f.result() for f in [s.rows(indices) for s in self.shards]]
        idx = np.concatenate([p[0] for p in parts])
        order = np.argsort(idx, kind="stable")
        rows = np.concatenate([p[1] for p in parts])[order]
        sq = np.concatenate([p[2] for p in parts])[order]
        return idx[order], rows, sq.astype(np.float32)

    def _receive(self, futures):
        parts = [f.result() for f in futures]
        self.scanned = sum(p[4] for p in parts)
        self.cands = _merge(parts)

    def _exact(self, positions):
        return exact_min_sq_dists(self.cands[2][positions], self.C[: self.n_centers])

    def choose(self):
        index, values, rows, sq = self.cands
        p, _ = choose_max(values, self.err, self._exact)
        k = self.n_centers
        score = exact_nearest_center(
            rows[p], sq[p], self.C[:k], self.C_sq[:k], self.err
        )
        return int(index[p]), np.sqrt(max(score, 0.0))

    def add(self, c, last=False):
        index, _, rows, sq = self.cands
        at = np.flatnonzero(index == c)
        if len(at):
            row, row_sq = rows[at[0]], sq[at[0]]
        else:  # the random first pick of a cold start
            _, row, row_sq = (a[0] for a in self._gather(np.array([c])))
        self.C[self.n_centers], self.C_sq[self.n_centers] = row, row_sq
        self.n_centers += 1
        if not last:
            self._receive([s.add(c, row, row_sq) for s in self.shards])


def load_chunks(client, pool):
    """Load the conditioned chunks of ``pool`` (rows and squared norms) into the
    workers' memory, one task per chunk, each worker a run of consecutive chunks
    holding about the same number of rows (a pick waits for the slowest); returns
    ``{worker: [(first row, future), ...]}``."""
    import dask

    transform = pool.data is not pool.raw
    offset = pool.offset if pool.offset.any() else None
    scale = 2.0**pool.exponent
    bounds = pool.row_bounds
    blocks = pool.raw.to_delayed().ravel()
    workers = sorted(client.scheduler_info(n_workers=-1)["workers"])
    load = dask.delayed(_load_chunk, pure=True)
    by_worker = {}
    for i, block in enumerate(blocks):
        if bounds[i + 1] > bounds[i]:
            middle = (bounds[i] + bounds[i + 1]) / 2
            worker = workers[int(middle * len(workers) / bounds[-1])]
            by_worker.setdefault(worker, []).append((int(bounds[i]), block))
    for worker, held in by_worker.items():
        futures = client.compute(
            [load(block, offset, scale, transform) for _, block in held],
            workers=[worker],
            allow_other_workers=False,
        )
        by_worker[worker] = [(s, f) for (s, _), f in zip(held, futures, strict=True)]
    return by_worker


def load_shards(client, pool, prune=True):
    """One :class:`CoresetShard` actor per worker, on the chunks of ``pool`` it
    loaded (:func:`load_chunks`). Returns the actors and their futures (an actor
    lives while its future is held)."""
    handles = [
        client.submit(
            CoresetShard,
            [f for _, f in held],
            [start for start, _ in held],
            prune,
            workers=[worker],
            allow_other_workers=False,
            actor=True,
            pure=False,
        )
        for worker, held in sorted(load_chunks(client, pool).items())
    ]
    return [h.result() for h in handles], handles


def greedy_on_shards(shards, n_points, n_features, mask, budget, rng, log=None):
    """K-center greedy on ``shards``: objects with the methods of
    :class:`CoresetShard` that return futures (actors, or proxies submitting
    tasks), holding every row of the pool; returns ``(indices, distances)``."""
    top = max(f.result() for f in [s.max_sq_norm() for s in shards])
    err = sq_dist_error(n_features, np.sqrt(top))
    state = DaskKCenterGreedy(shards, err, n_points, n_features, mask, budget)
    first = None if mask.any() else (rng.choice(n_points), np.inf)
    return run_greedy(state, budget, first=first, log=log)


def dask_k_center_greedy(pool, mask, budget, rng, client, prune=True, log=None):
    """K-center greedy on the :class:`~skactive._dask._pool.DaskPool` ``pool``
    with the chunk states on the workers of ``client``; returns ``(indices,
    distances)`` as :func:`skactive._kernels._greedy.k_center_greedy` does (the
    distances in the units of the conditioned pool)."""
    shards, handles = load_shards(client, pool, prune)
    try:
        return greedy_on_shards(shards, *pool.shape, mask, budget, rng, log)
    finally:
        client.cancel(handles)


def fit_dask_pool(X, sampler):
    """``CoresetSampler.fit`` on a checked dask array: the values validated and
    the conditioning computed in one pass over the chunks, and when the pool is
    centred a second pass for means equal to the in-memory path's
    (:func:`~skactive._dask._means.column_sums`). Nothing else is read until a
    query."""
    if sampler.device not in (None, "auto"):
        raise ValueError(
            f"{type(sampler).__name__} got device={sampler.device!r} with a dask "
            "array as X: on a dask pool the greedy runs on the dask workers' CPUs. "
            "Use device=None, or pass a numpy array to compute on a torch device."
        )
    pool = condition_dask_pool(X, sampler, center="auto")
    if not pool.offset.any():
        return pool
    mean = column_sums(pool.raw) / X.shape[0]
    # condition_pool's power of two, from the largest centred norm's bound
    top = np.sqrt(pool.max_sq_norm) + np.sqrt(float(mean @ mean))
    exponent = 0
    if top > 0 and not 2.0**-20 <= top <= 2.0**20:
        exponent = -int(np.frexp(top)[1])
    data = pool.raw.map_blocks(_condition_block, mean, 2.0**exponent, dtype=np.float32)
    return replace(pool, data=data, offset=mean, exponent=exponent)


def query_dask_pool(pool, mask, budget, rng, sampler):
    """``CoresetSampler.query`` on a fitted dask pool, with the current
    ``distributed`` client."""
    try:
        from distributed import default_client

        client = default_client()
    except (ImportError, ValueError):
        raise ValueError(
            f"{type(sampler).__name__} was fitted on a dask array and its query "
            "runs on a dask.distributed cluster, but no Client is running: start "
            "one first (distributed.Client(), or Client(address) for a cluster)."
        ) from None
    return dask_k_center_greedy(pool, mask, budget, rng, client, log=sampler._log)
