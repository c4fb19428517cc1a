# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""K-center greedy (Coreset) on a pool held as a ``dask.array.Array``.

The pool stays on the workers. A query loads each chunk once into the memory of
the worker that computed it (or, when the rows would take more than half of its
memory limit, keeps only their squared norms and reads the rows again at each
call), where a :class:`CoresetShard` (a ``distributed`` actor, one per worker)
keeps, for each of its chunks, the in-memory greedy's state: each row's float32
squared distance to its nearest center and the triangle-inequality groups
(:class:`ChunkKCenter`, the chunk-side
:class:`~skactive._kernels._greedy.KCenterGreedy`). A round trip is one call to
each actor, made directly from the client to the worker (no scheduler task): the
client sends the picks the actor has not seen, each actor lowers its chunks'
distances and returns the rows that could be its farthest (those within the
rounding bound ``2 err`` of its largest value) and its ``N_TOP`` farthest, with a
bound on the rest; :class:`DaskKCenterGreedy` chooses as
:func:`~skactive._kernels._greedy.choose_max` does in memory, with the pool's
global ``err``, and proves further picks from the rows it holds where it can. So
the picks and scores are those of the in-memory path.
"""

import pickle
from dataclasses import replace

import numpy as np

from skactive._dask._means import column_sums
from skactive._dask._pool import (
    _block_sq_norms,
    _condition_block,
    condition_dask_pool,
)
from skactive._kernels._exact import (
    _POOL_EXP,
    _RTOL64,
    exact_min_sq_dists,
    first_max,
    power_of_two_exponent,
    sq_dist_error,
)
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

# The farthest rows each shard sends beside its near-ties, so that the client can
# prove the next picks without asking (see DaskKCenterGreedy).
N_TOP = 32


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


class ChunkRows:
    """The conditioned float32 rows of a chunk: held in the worker's memory, or
    read again from the pool's source (``loader``: a pickled dask ``Delayed``
    computing them) whenever a call needs them, and dropped by :meth:`release`
    at the end of that call."""

    def __init__(self, rows=None, loader=None):
        self._rows = rows
        self._loader = loader

    def get(self):
        if self._rows is None:
            import dask

            self._rows = dask.compute(pickle.loads(self._loader), scheduler="sync")[0]
        return self._rows

    def release(self):
        if self._loader is not None:
            self._rows = None


class ChunkKCenter(KCenterGreedy):
    """The k-center greedy state of one chunk of the pool, its rows starting at
    pool row ``start``: the in-memory state (:meth:`KCenterGreedy._start`) for
    centers given as rows, lowered by :meth:`KCenterGreedy._lower` when a center
    is added, with the pool's ``err`` (not the chunk's), so its pruning and its
    candidates are those the in-memory rules allow. Its rows come from a
    :class:`ChunkRows`, read only when an update looks at some of them.

    The choice is not made here: :meth:`candidates` gives the rows that could be
    the pool's farthest, and the client chooses among every chunk's.
    """

    def __init__(self, source, X_sq, start, err, centers, center_ids, prune=True):
        self.be = NUMPY
        self.source = source
        self.start = start
        self.err = err
        self.shared = centers
        own = np.asarray(center_ids, dtype=np.intp) - start
        own = own[(own >= 0) & (own < len(X_sq))]
        n = centers.count
        self._start(
            source.get(),
            X_sq,
            centers.rows[:n],
            centers.sq[:n],
            own,
            len(centers.rows),
            prune,
            BLOCK_SIZE,
        )

    @property
    def X(self):
        return self.source.get()

    @X.setter
    def X(self, value):  # set by _start: the rows stay with their ChunkRows
        pass

    Xt = X

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

    def candidates(self, n_top=0):
        """Local positions (ascending) of the rows that could be the farthest of
        the chunk, within ``2 err`` of its largest distance, and of its ``n_top``
        farthest (no center among them); and the largest distance of the other
        rows (``-inf`` when there is none)."""
        return _top_and_ties(self.d, self.err, n_top)


def _top_and_ties(values, err, n_top):
    """Ascending positions of the ``values`` within ``2 err`` of the largest
    (:func:`~skactive._kernels._greedy.near_max`) and of the ``n_top`` largest,
    ``-inf`` excluded; and the largest of the other values (``-inf`` if none)."""
    if len(values) == 0:
        return np.empty(0, np.intp), -np.inf
    at = near_max(values, err)
    if 0 < n_top < len(values):
        top = np.argpartition(values, len(values) - n_top)[len(values) - n_top :]
        at = np.union1d(at, top)
    elif n_top:
        at = np.arange(len(values))
    at = at[values[at] > -np.inf]
    rest = np.ones(len(values), dtype=bool)
    rest[at] = False
    return at, float(values[rest].max()) if rest.any() else -np.inf


def _load_rows(block, offset, scale, transform):
    """A chunk's rows as the in-memory greedy reads them: conditioned, float32."""
    if transform:
        return _condition_block(block, offset, scale)
    return np.ascontiguousarray(block, dtype=np.float32)


def _load_sq(block, offset, scale):
    """A chunk's float32 squared row norms: those of the float64 rows before
    rounding, as ``condition_pool`` gives them."""
    return _block_sq_norms(block, offset, scale).astype(np.float32)


def _held_chunk(block, offset, scale, transform):
    """A chunk kept in the worker's memory: ``(rows, sq, None)``."""
    rows = _load_rows(block, offset, scale, transform)
    return rows, _load_sq(block, offset, scale), None


def _streamed_chunk(block, offset, scale, loader):
    """A chunk whose rows are read again at each call: ``(None, sq, loader)``."""
    return None, _load_sq(block, offset, scale), loader


class CoresetShard:
    """The chunks of the pool held by one worker, and their greedy states.

    Made as a ``distributed`` actor on that worker, from its chunks: ``chunks``
    is a list of ``(rows, X_sq, loader)``, the float32 rows (``None`` when they
    are read again at each call, by ``loader``, see :class:`ChunkRows`) and
    squared norms, ``starts`` their first pool rows, ``n_features`` the width of
    a row. Each method is one round
    trip from the client; the candidates it returns are ``(indices, values, rows,
    sq, scanned)``: ascending pool indices, their float32 distances, rows and
    squared norms, and the rows the updates have looked at so far.
    """

    def __init__(self, chunks, starts, n_features, prune=True):
        self.sources = [ChunkRows(c[0], c[2]) for c in chunks]
        self.sq = [np.asarray(c[1]) for c in chunks]
        self.starts = [int(s) for s in starts]
        self.n_features = n_features
        self.prune = prune
        self.err = None
        self.centers = None
        self.states = []

    def held_bytes(self):
        """The bytes of the chunks' rows held in memory now."""
        return sum(s._rows.nbytes for s in self.sources if s._rows is not None)

    def max_sq_norm(self):
        """The largest float32 squared row norm of the shard's chunks."""
        return max(float(sq.max()) for sq in self.sq)

    def rows(self, indices):
        """The rows at those of the pool ``indices`` (ascending) that the shard
        holds: ``(indices, rows, sq)``."""
        indices = np.asarray(indices, dtype=np.intp)
        found, rows, sq = [], [], []
        for source, X_sq, s in zip(self.sources, self.sq, self.starts, strict=True):
            local = indices[(indices >= s) & (indices < s + len(X_sq))] - s
            if len(local):
                found.append(local + s)
                rows.append(source.get()[local])
                sq.append(X_sq[local])
                source.release()
        return self._stack(found, rows, sq)

    def _stack(self, found, rows, sq):
        if not found:
            return (
                np.empty(0, np.intp),
                np.empty((0, self.n_features), np.float32),
                np.empty(0, np.float32),
            )
        return np.concatenate(found), np.concatenate(rows), np.concatenate(sq)

    def start(self, err, centers, centers_sq, center_ids, capacity):
        """Make the chunks' states for the first centers (rows, squared norms and
        pool indices; room for ``capacity`` centers); returns the candidates."""
        self.err = err
        self.centers = _Centers(centers, centers_sq, capacity)
        self.states = []
        parts = []
        for source, sq, s in zip(self.sources, self.sq, self.starts, strict=True):
            self.states.append(
                ChunkKCenter(source, sq, s, err, self.centers, center_ids, self.prune)
            )
            parts.append(self._chunk_candidates(self.states[-1]))
        return self._candidates(parts)

    def add(self, indices, rows, sq):
        """Add the centers at the pool rows ``indices``, in order (their rows and
        squared norms), and return the new candidates: the updates and the next
        choice in one round trip, each chunk's rows read once."""
        for row, row_sq in zip(rows, sq, strict=True):
            self.centers.append(row, row_sq)
        first = self.centers.count - len(indices)
        parts = []
        for state in self.states:
            for g, index in enumerate(indices, start=first):
                row, row_sq = self.centers.rows[g], self.centers.sq[g]
                state.add_center(int(index), row, row_sq)
            parts.append(self._chunk_candidates(state))
        return self._candidates(parts)

    def _chunk_candidates(self, state):
        """A chunk's candidates (:meth:`ChunkKCenter.candidates`): ``(indices,
        values, rows, sq, bound)``; none before the first center, when every
        distance is inf (the first pick of a cold start is drawn on the client)."""
        if not self.centers.count:  # every row could be the first pick
            at, bound = np.empty(0, np.intp), np.inf
        else:
            at, bound = state.candidates(N_TOP)
        rows = state.X[at] if len(at) else None
        state.source.release()
        return at + state.start, state.d[at], rows, state.X_sq[at], bound

    def _candidates(self, parts):
        """The chunks' candidates narrowed to the shard's: those within ``2 err``
        of its largest distance (a superset of the pool's near-ties, since the
        pool's largest is at least the shard's) and its ``N_TOP`` farthest;
        ``(indices, values, rows, sq, bound, scanned)``, ``bound`` the largest
        distance of the shard's other rows."""
        scanned = sum(state.scanned for state in self.states)
        bound = max((p[4] for p in parts), default=-np.inf)
        parts = [p[:4] for p in parts if len(p[0])]
        if not parts:
            found, rows, sq = self._stack([], [], [])
            return found, np.empty(0, np.float32), rows, sq, bound, scanned
        found, values, rows, sq = (np.concatenate(p) for p in zip(*parts, strict=True))
        keep, rest = _top_and_ties(values, self.err, N_TOP)
        bound = max(bound, rest)
        return found[keep], values[keep], rows[keep], sq[keep], bound, scanned


def _merge(parts):
    """The candidates ``(indices, values, rows, sq)`` of every shard's
    ``(indices, values, rows, sq, bound, scanned)``, as one set in ascending pool
    order."""
    index = np.concatenate([p[0] for p in parts])
    order = np.argsort(index, kind="stable")
    return tuple(np.concatenate([p[k] for p in parts])[order] for k in range(4))


class DaskKCenterGreedy:
    """The client's side of the greedy on shards, following the protocol of
    :func:`~skactive._kernels._greedy.run_greedy`: it holds the centers' rows
    (the labeled points' and the picks', gathered: they are few) and the
    shards' latest candidates, and sends the shards the picks they have not
    seen only when it needs new candidates.

    Right after the shards answered, a pick is chosen as in memory
    (:func:`~skactive._kernels._greedy.choose_max` on their near-ties, with the
    pool's ``err``). Each shard also sends its ``N_TOP`` farthest rows and a
    bound on the float32 distances of the rest; the client keeps the float64
    distances of the rows it holds up to date with its own picks. While the
    largest of them exceeds every bound by more than ``err`` (and float64's
    tie band), no row it does not hold can be the in-memory greedy's next pick
    (a true distance is within ``err`` of its float32 value, and only falls as
    centers are added), and the first of the largest held ones is (ties to the
    lowest index, as :func:`~skactive._kernels._exact.first_max` decides): the
    pick is made without asking. So several picks can share one round trip,
    and the shards apply them in order, as one at a time.
    """

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
        self.pending = []  # picks the shards have not been sent
        self.round_trips = 0
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
        self.round_trips += 1
        self.scanned = sum(p[5] for p in parts)
        self.bound = max(p[4] for p in parts)
        self.cands = _merge(parts)
        self.fresh = True  # the candidates know every center
        self.exact = None  # float64 distances of the held rows, when needed
        self.taken = np.zeros(len(self.cands[0]), dtype=bool)

    def _flush(self):
        """Send the pending picks; receive the new candidates."""
        if not self.pending:
            return
        index, rows, sq = (np.array(a) for a in zip(*self.pending, strict=True))
        self.pending = []
        self._receive([s.add(index, rows, sq) for s in self.shards])

    def _exact(self, positions):
        return exact_min_sq_dists(self.cands[2][positions], self.C[: self.n_centers])

    def choose(self):
        if not self.fresh:
            pick = self._provable()
            if pick is not None:
                return pick
            self._flush()
        index, values, rows, sq = self.cands
        p, _ = choose_max(values, self.err, self._exact)
        k = self.n_centers
        score = exact_nearest_center(
            rows[p], sq[p], self.C[:k], self.C_sq[:k], self.err
        )
        return int(index[p]), np.sqrt(max(score, 0.0))

    def _held_exact(self):
        """The float64 squared distances of the held rows to their nearest
        centers (``-inf`` for the rows picked since), as
        :func:`~skactive._kernels._greedy.exact_nearest_center` gives them."""
        index, _, rows, sq = self.cands
        k = self.n_centers
        if self.exact is None:
            self.exact = np.array(
                [
                    exact_nearest_center(r, r_sq, self.C[:k], self.C_sq[:k], self.err)
                    for r, r_sq in zip(rows, sq, strict=True)
                ]
            )
        else:  # the same elementwise float64 distances, to the new centers only
            rows64 = rows.astype(np.float64)
            for c in self.C[self.exact_k : k].astype(np.float64):
                np.minimum(
                    self.exact, np.square(rows64 - c).sum(axis=1), out=self.exact
                )
        self.exact_k = k
        return np.where(self.taken, -np.inf, self.exact)

    def _provable(self):
        """The next pick and its score when the held rows prove it, else None."""
        if not len(self.cands[0]) or self.taken.all():
            return None
        exact = self._held_exact()
        best = float(exact.max())
        if not best - _RTOL64 * abs(best) > self.bound + self.err:
            return None
        p, sq = first_max(np.arange(len(exact)), exact)
        return int(self.cands[0][p]), np.sqrt(max(sq, 0.0))

    def add(self, c, last=False):
        index, _, rows, sq = self.cands
        at = np.flatnonzero(index == c)
        if len(at):
            row, row_sq = rows[at[0]], sq[at[0]]
            self.taken[at[0]] = True
        else:  # the random first pick of a cold start
            _, row, row_sq = (a[0] for a in self._gather(np.array([c])))
        self.C[self.n_centers], self.C_sq[self.n_centers] = row, row_sq
        self.n_centers += 1
        self.fresh = False
        if not last:
            self.pending.append((c, row, row_sq))


def holds_rows(n_rows, n_features, memory_limit):
    """Whether a worker keeps its chunks' float32 rows in memory for the query:
    when they take at most half its memory limit (``0``: none). Otherwise each
    call reads them again from the pool's source."""
    return not memory_limit or 4 * n_rows * n_features <= memory_limit / 2


def load_chunks(client, pool, hold=None):
    """Load the chunks of ``pool`` into the workers, one task per chunk, each
    worker a run of consecutive chunks holding about the same number of rows (a
    pick waits for the slowest): the float32 squared norms, and the conditioned
    float32 rows where the worker keeps them (``hold``; ``None``: by
    :func:`holds_rows`). Returns ``{worker: [(first row, future of (rows or None,
    sq, loader or None)), ...]}``."""
    import cloudpickle
    import dask

    transform = pool.data is not pool.raw
    offset = pool.offset if pool.offset.any() else None
    scale = 2.0**pool.exponent
    bounds = pool.row_bounds
    blocks = pool.raw.to_delayed().ravel()
    info = client.scheduler_info(n_workers=-1)["workers"]
    workers = sorted(info)
    by_worker = {}
    for i, block in enumerate(blocks):
        if bounds[i + 1] > bounds[i]:
            middle = (bounds[i] + bounds[i + 1]) / 2
            worker = workers[int(middle * len(workers) / bounds[-1])]
            by_worker.setdefault(worker, []).append((int(bounds[i]), i, block))
    for worker, held in by_worker.items():
        n_rows = sum(int(bounds[i + 1] - bounds[i]) for _, i, _ in held)
        keep = hold
        if keep is None:
            limit = info[worker].get("memory_limit", 0)
            keep = holds_rows(n_rows, pool.shape[1], limit)
        parts = []
        for _, _, block in held:
            if keep:
                part = dask.delayed(_held_chunk, pure=True)(
                    block, offset, scale, transform
                )
            else:
                rows = dask.delayed(_load_rows, pure=True)(
                    block, offset, scale, transform
                )
                part = dask.delayed(_streamed_chunk, pure=True)(
                    block, offset, scale, cloudpickle.dumps(rows)
                )
            parts.append(part)
        futures = client.compute(parts, workers=[worker], allow_other_workers=False)
        by_worker[worker] = [(s, f) for (s, _, _), f in zip(held, futures, strict=True)]
    return by_worker


def load_shards(client, pool, prune=True, hold=None):
    """One :class:`CoresetShard` actor per worker, on the chunks of ``pool`` it
    loaded (:func:`load_chunks`). Returns the actors and their futures (an actor
    lives while its future is held)."""
    handles = [
        client.submit(
            CoresetShard,
            [f for _, f in held],
            [start for start, _ in held],
            pool.shape[1],
            prune,
            workers=[worker],
            allow_other_workers=False,
            actor=True,
            pure=False,
        )
        for worker, held in sorted(load_chunks(client, pool, hold).items())
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


def dask_k_center_greedy(
    pool, mask, budget, rng, client, prune=True, hold=None, log=None
):
    """K-center greedy on the :class:`~skactive._dask._pool.DaskPool` ``pool``
    with the chunk states on the workers of ``client``; returns ``(indices,
    distances)`` as :func:`skactive._kernels._greedy.k_center_greedy` does (the
    distances in the units of the conditioned pool). ``hold``: whether the
    workers keep the rows in memory (``None``: by :func:`holds_rows`)."""
    shards, handles = load_shards(client, pool, prune, hold)
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
    # condition_pool's power of two, from the largest centred norm's bound (in the
    # units of max_sq_norm: X times 2**pre_exponent)
    scaled = np.ldexp(mean, pool.pre_exponent)
    top = np.sqrt(pool.max_sq_norm) + np.sqrt(float(scaled @ scaled))
    exponent = pool.pre_exponent + power_of_two_exponent(top, _POOL_EXP)
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
            "one first (distributed.Client() for a local cluster, Client(address) "
            "for another; pip install 'skactive[dask]' if distributed is missing)."
        ) from None
    return dask_k_center_greedy(pool, mask, budget, rng, client, log=sampler._log)
