# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Time and memory of TypiClust and Coreset on a zarr pool on a dask LocalCluster.

Writes float32 Gaussian blobs (100 centres, as benchmarks/scale.py makes them) to
a zarr store chunk by chunk, never holding the pool, then runs ``fit`` and one
cold ``query`` of each ``--methods`` (TypiClust with ``clusterer="sampled"``;
Coreset) on a fresh LocalCluster of single-threaded worker processes, each
limited to ``--worker-memory``. Reports the wall time of each stage
(``verbose=1``), the time per pick (Coreset: query time over the budget, the
per-pick round trip included), the peak resident memory of every worker and of
the client, and, with ``--compare``, the in-memory query on the same pool and
whether the picks agree.

    python benchmarks/dask_scale.py --n 1000000 --d 64 --budget 100 --compare
    python benchmarks/dask_scale.py --n 20000000 --d 64 --worker-memory 2GB \
        --methods typiclust coreset --store /tmp/pool20M.zarr

Needs ``pip install 'skactive[dask]'``.
"""

import argparse
import contextlib
import io
import json
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

ROWS_PER_CHUNK = 250_000


def write_store(path, n, d, seed=0, rows_per_chunk=ROWS_PER_CHUNK):
    """Blobs of benchmarks/scale.py's kind, written one chunk at a time."""
    import zarr

    rs = np.random.RandomState(seed)
    centers = rs.normal(scale=10, size=(100, d)).astype(np.float32)
    store = zarr.open_array(
        str(path), mode="w", shape=(n, d), chunks=(rows_per_chunk, d), dtype="f4"
    )
    for start in range(0, n, rows_per_chunk):
        stop = min(n, start + rows_per_chunk)
        block = centers[rs.randint(100, size=stop - start)]
        block += rs.normal(size=(stop - start, d)).astype(np.float32)
        store[start:stop] = block
    return path


def _reset_peak():
    """Reset this process's peak resident memory to its current one (Linux). A
    worker process starts with its parent's peak as its own (``ru_maxrss`` survives
    fork and exec), so the peak is reset when the measurement starts."""
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")


def _peak_mib():
    """Peak resident memory of this process since the last reset, in MiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_sampler(method):
    from skactive import CoresetSampler, TypiClustSampler

    if method == "coreset":
        return CoresetSampler(random_state=0, verbose=1)
    return TypiClustSampler(clusterer="sampled", random_state=0, verbose=1)


def measure(
    path, budget, n_workers=2, worker_memory="2GB", compare=False, method="typiclust"
):
    """One fit + cold query of ``method`` on the store at ``path``; returns the
    figures."""
    import dask.array as da
    import distributed

    result = {}
    with (
        distributed.LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            memory_limit=worker_memory,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        client.run(_reset_peak)
        _reset_peak()
        X = da.from_zarr(str(path))
        result.update(method=method, n=X.shape[0], d=X.shape[1], chunks=X.numblocks[0])
        sampler = make_sampler(method)
        start = time.perf_counter()
        sampler.fit(X)
        result["fit_s"] = time.perf_counter() - start
        log = io.StringIO()
        start = time.perf_counter()
        with contextlib.redirect_stderr(log):
            picks = sampler.query(budget=budget)
        result["query_s"] = time.perf_counter() - start
        result["per_pick_ms"] = 1000 * result["query_s"] / budget
        result["stages"] = log.getvalue().strip().splitlines()
        peaks = client.run(_peak_mib)
        result["worker_peak_mib"] = sorted(round(v) for v in peaks.values())
    result["client_peak_mib"] = round(_peak_mib())
    if compare:
        import zarr

        pool = zarr.open_array(str(path), mode="r")[:]
        start = time.perf_counter()
        memory = make_sampler(method).set_params(verbose=0)
        memory_picks = memory.fit(pool).query(budget=budget)
        result["in_memory_s"] = time.perf_counter() - start
        result["same_picks"] = bool(np.array_equal(memory_picks, picks))
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--d", type=int, default=64)
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-memory", default="2GB")
    parser.add_argument("--store", help="where to write the zarr store (kept)")
    parser.add_argument(
        "--reuse", action="store_true", help="measure the --store already written"
    )
    parser.add_argument("--compare", action="store_true")
    parser.add_argument(
        "--methods", nargs="+", default=["typiclust"], choices=["typiclust", "coreset"]
    )
    args = parser.parse_args(argv)
    folder = None
    if args.reuse and args.store is None:
        parser.error("--reuse needs --store")
    if args.store is None:
        folder = tempfile.mkdtemp(prefix="skactive-dask-")
        args.store = Path(folder) / "pool.zarr"
    try:
        start = time.perf_counter()
        if not args.reuse:
            write_store(args.store, args.n, args.d)
        written = time.perf_counter() - start
        for method in args.methods:
            result = measure(
                args.store,
                args.budget,
                args.workers,
                args.worker_memory,
                args.compare,
                method,
            )
            result["write_s"] = written
            print(json.dumps(result, indent=1), flush=True)
    finally:
        if folder is not None:
            shutil.rmtree(folder)


if __name__ == "__main__":
    main()
