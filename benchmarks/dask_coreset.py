# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""The per-pick round trip of CoresetSampler on a dask cluster.

A pool of ``--n`` x ``--d`` float32 standard normals (``da.random``, chunks of
``--chunk`` rows) on a ``LocalCluster`` of 2 worker processes with one thread each;
cold start, ``--budget`` picks. The chunk states are kept on the workers in three
ways, the picks compared with the in-memory path's:

- ``tasks per chunk``: one object per chunk held under a persisted key, one
  scheduler task per chunk per pick (the update with the new center and the
  candidates for the next pick; the state updated in place by the task, on the
  worker that holds it);
- ``tasks per worker``: the same with one object per worker (all its chunks);
- ``actors`` (what ``CoresetSampler`` uses): one ``distributed`` actor per worker,
  each pick one direct call to each actor, no scheduler task;
- ``actors, reading``: the same, the rows read again from the pool's source at
  each pick (what ``CoresetSampler`` does when they would take more than half a
  worker's memory limit): with ``--zarr``, from the store.

For each it prints the time to load the chunks, the mean wall time per pick (the
update of the previous pick and the candidates for this one: one round trip) over
the picks after the first, and the same with an empty call (the round trip
alone). Run it once, in the foreground::

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


def task_shards(client, pool, per_chunk):
    shards = []
    for worker, held in sorted(load_chunks(client, pool).items()):
        groups = [[h] for h in held] if per_chunk else [held]
        for group in groups:
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
    """The client's side of the greedy, timing each update (one round trip in
    the fused variants)."""

    def add(self, c, last=False):
        t0 = time.perf_counter()
        super().add(c, last)
        if not last:
            self.times.append(time.perf_counter() - t0)


def timed_run(shards, n, d, budget):
    """Mean seconds per pick after the second, and the picks and scores."""
    TimedGreedy.times = []
    top = max(f.result() for f in [s.max_sq_norm() for s in shards])
    err = sq_dist_error(d, np.sqrt(top))
    state = TimedGreedy(shards, err, n, d, np.zeros(n, dtype=bool), budget)
    first = (np.random.RandomState(0).choice(n), np.inf)
    t0 = time.perf_counter()
    picks, scores = run_greedy(state, budget, first=first)
    total = time.perf_counter() - t0
    # The update after the random first pick scans every row (no pruning yet):
    # the mean is over the updates after it.
    return float(np.mean(TimedGreedy.times[1:])), total, picks, scores


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
        names = ("tasks per chunk", "tasks per worker", "actors", "actors, reading")
        for name in names:
            t0 = time.perf_counter()
            if name.startswith("actors"):
                shards, handles = load_shards(client, pool, hold=name == "actors")
            else:
                shards = task_shards(client, pool, per_chunk=name == "tasks per chunk")
                handles = [s.future for s in shards]
                for s in shards:
                    s.future.result()
            load = time.perf_counter() - t0
            per_pick, total, picks, scores = timed_run(
                shards, args.n, args.d, args.budget
            )
            empty = empty_round_trip(shards)
            same = np.array_equal(picks, ref_picks) and np.array_equal(
                scores, ref_scores
            )
            print(
                f"{name:>16}: {len(shards)} shards, load {load:.2f} s, "
                f"{1e3 * per_pick:.1f} ms per pick ({total:.2f} s in all), "
                f"empty round trip {1e3 * empty:.2f} ms; same picks and scores as "
                f"in memory: {same}"
            )
            client.cancel(handles)
            del shards, handles
    finally:
        client.close()
        cluster.close()


if __name__ == "__main__":
    main()
