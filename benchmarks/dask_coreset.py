# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""The per-pick round trip of CoresetSampler on a dask cluster.

A pool of ``--n`` x ``--d`` float32 standard normals (``da.random``, chunks of
``--chunk`` rows; with ``--zarr``, written to a zarr store and read from it) on a
``LocalCluster`` of 2 worker processes with one thread each; cold start,
``--budget`` picks, the picks and scores compared with the in-memory path's. The
chunk states are kept on the workers in these ways:

- ``tasks per chunk``: one object per chunk held under a persisted key, one
  scheduler task per chunk per round trip (the update with the new centers and
  the candidates for the next pick; the state updated in place by the task, on
  the worker that holds it);
- ``actors``: one ``distributed`` actor per worker, one direct call to each per
  round trip, no scheduler task (what ``CoresetSampler`` uses);
- ``reading``: actors that read their rows again from the pool's source at each
  round trip (what ``CoresetSampler`` does when the rows would take more than
  half a worker's memory limit).

Each runs with a round trip per pick (``1 per pick``: the client never proves a
pick from the rows it holds) and as ``CoresetSampler`` does (``batched``: picks the
held rows prove share a round trip). For each it prints the time to load the
chunks, the mean wall time per pick over the picks after the first, the round
trips, and the time of an empty call to every shard (the round trip alone). Run
it once, in the foreground::

    python benchmarks/dask_coreset.py                       # 1,000,000 x 64
    python benchmarks/dask_coreset.py --zarr /tmp/pool.zarr  # from a zarr store
    python benchmarks/dask_coreset.py --n 20000 --budget 20  # a quick look
"""

import argparse
import time
from pathlib import Path

import numpy as np

from skactive import CoresetSampler
from skactive._dask._coreset import (
    CoresetShard,
    DaskKCenterGreedy,
    load_chunks,
    load_shards,
)
from skactive._kernels._exact import sq_dist_error
from skactive._kernels._greedy import run_greedy


def _call(shard, method, *args):
    return getattr(shard, method)(*args)


class TaskShard:
    """A :class:`CoresetShard` held under a persisted key on one worker; each
    method call is one scheduler task pinned to that worker."""

    def __init__(self, client, future, worker):
        self.client, self.future, self.worker = client, future, worker

    def __getattr__(self, method):
        def submit(*args):
            return self.client.submit(
                _call, self.future, method, *args, workers=[self.worker], pure=False
            )

        return submit


def task_shards(client, pool):
    shards = []
    for worker, held in sorted(load_chunks(client, pool).items()):
        for group in [[h] for h in held]:
            future = client.submit(
                CoresetShard,
                [f for _, f in group],
                [s for s, _ in group],
                pool.shape[1],
                workers=[worker],
                allow_other_workers=False,
                pure=False,
            )
            shards.append(TaskShard(client, future, worker))
    return shards


class TimedGreedy(DaskKCenterGreedy):
    """The client's side of the greedy, noting when each choice starts; with
    ``batched`` false, it asks the shards at every pick."""

    batched = True

    def choose(self):
        self.stamps.append(time.perf_counter())
        return super().choose()

    def _provable(self):
        return super()._provable() if self.batched else None


def timed_run(shards, n, d, budget, batched):
    """Mean seconds per pick after the second, the round trips, and the picks
    and scores."""
    TimedGreedy.stamps = []
    TimedGreedy.batched = batched
    top = max(f.result() for f in [s.max_sq_norm() for s in shards])
    err = sq_dist_error(d, np.sqrt(top))
    state = TimedGreedy(shards, err, n, d, np.zeros(n, dtype=bool), budget)
    first = (np.random.RandomState(0).choice(n), np.inf)
    t0 = time.perf_counter()
    picks, scores = run_greedy(state, budget, first=first)
    end = time.perf_counter()
    # The update after the random first pick scans every row (no pruning yet):
    # the mean is over the picks after it (from the second choice on).
    stamps = TimedGreedy.stamps
    per_pick = (end - stamps[1]) / (len(stamps) - 1)
    return per_pick, end - t0, state.round_trips, picks, scores


def empty_round_trip(shards, repeat=50):
    """Seconds of a call that does (almost) nothing, on every shard at once."""
    nothing = np.empty(0, dtype=np.intp)
    t0 = time.perf_counter()
    for _ in range(repeat):
        for f in [s.rows(nothing) for s in shards]:
            f.result()
    return (time.perf_counter() - t0) / repeat


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--d", type=int, default=64)
    parser.add_argument("--chunk", type=int, default=62_500)
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument(
        "--zarr",
        help="a zarr store to read the pool from (written there first if missing)",
    )
    args = parser.parse_args()

    import dask.array as da
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    client = Client(cluster)
    try:
        X = (
            da.random.RandomState(0)
            .standard_normal((args.n, args.d), chunks=(args.chunk, args.d))
            .astype(np.float32)
        )
        if args.zarr:
            if not Path(args.zarr).exists():
                X.to_zarr(args.zarr)
            X = da.from_zarr(args.zarr)
        t0 = time.perf_counter()
        memory = X.compute()
        ref = CoresetSampler(random_state=0).fit(memory)
        t1 = time.perf_counter()
        ref_picks, ref_scores = ref.query(budget=args.budget, return_scores=True)
        t_mem = time.perf_counter() - t1
        print(
            f"pool {args.n} x {args.d} float32 in {X.numblocks[0]} chunks "
            f"({'zarr store ' + args.zarr if args.zarr else 'da.random'}); "
            f"in memory: {t_mem:.2f} s for {args.budget} picks "
            f"({1e3 * t_mem / args.budget:.1f} ms per pick; made in {t1 - t0:.1f} s)"
        )
        t0 = time.perf_counter()
        sampler = CoresetSampler(random_state=0).fit(X)
        t1 = time.perf_counter()
        same = np.array_equal(sampler.query(budget=args.budget), ref_picks)
        print(
            f"CoresetSampler on the dask array: fit {t1 - t0:.2f} s, query "
            f"{time.perf_counter() - t1:.2f} s (the chunks loaded, then the "
            f"picks); same picks as in memory: {same}"
        )
        pool = sampler._dask_pool
        for kind in ("tasks per chunk", "actors", "reading"):
            for batched in (False, True):
                name = f"{kind}, {'batched' if batched else '1 per pick'}"
                t0 = time.perf_counter()
                if kind == "tasks per chunk":
                    shards = task_shards(client, pool)
                    handles = [s.future for s in shards]
                    for s in shards:
                        s.future.result()
                else:
                    shards, handles = load_shards(client, pool, hold=kind == "actors")
                load = time.perf_counter() - t0
                per_pick, total, trips, picks, scores = timed_run(
                    shards, args.n, args.d, args.budget, batched
                )
                empty = empty_round_trip(shards)
                same = np.array_equal(picks, ref_picks) and np.array_equal(
                    scores, ref_scores
                )
                print(
                    f"{name:>27}: {len(shards)} shards, load {load:.2f} s, "
                    f"{1e3 * per_pick:.1f} ms per pick ({total:.2f} s in all, "
                    f"{trips} round trips), empty round trip {1e3 * empty:.2f} ms; "
                    f"same picks and scores as in memory: {same}"
                )
                client.cancel(handles)
                del shards, handles
    finally:
        client.close()
        cluster.close()


if __name__ == "__main__":
    main()
