# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Time and peak memory of one fit + query at scale, ours against scikit-activeml.

Each measurement runs in a fresh process: it makes a float32 pool of Gaussian
blobs (100 centres, chunk by chunk), resets the peak-RSS counter, runs ``fit`` and
``query`` once, and reports the wall time and the peak resident memory above the
pool. Threads are pinned (``--threads``, default 1) for every library alike.

    python benchmarks/scale.py --n 200000 --d 64 --budget 100 --labeled 0
    python benchmarks/scale.py --grid issue   # the table of benchmarks/README.md
    python benchmarks/scale.py --grid full    # every n, d, budget, labeled
    python benchmarks/scale.py --grid full --methods typiclust skactiveml-typiclust \
        --peers-up-to 1000000 --peer-timeout-ratio 10   # the >= 10x question

Needs ``pip install 'skactive[benchmark]'`` for the scikit-activeml peers.
"""

import argparse
import itertools
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from skactive.base import get_sampler_tags
from skactive.utils import all_samplers

# Every skactive sampler that needs the features only, by lower-cased short name.
SAMPLERS = {
    name.removesuffix("Sampler").lower(): cls
    for name, cls in all_samplers()
    if not get_sampler_tags(cls()).requires_labels
    and not get_sampler_tags(cls()).requires_estimator
}
# Variants of a skactive sampler (its name and parameters), and the peers.
VARIANTS = {"typiclust-exact": ("typiclust", {"typicality": "exact"})}
PEERS = ["skactiveml-typiclust", "skactiveml-coreset"]
METHODS = [
    *(
        method
        for base in SAMPLERS
        for method in [base, *(v for v, (b, _) in VARIANTS.items() if b == base)]
    ),
    *PEERS,
]


def make_pool(n, d, seed=0):
    rs = np.random.RandomState(seed)
    centers = rs.normal(scale=10, size=(100, d)).astype(np.float32)
    X = np.empty((n, d), dtype=np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        X[start:stop] = centers[rs.randint(100, size=stop - start)]
        X[start:stop] += rs.normal(size=(stop - start, d)).astype(np.float32)
    mask = np.zeros(n, dtype=bool)
    return X, mask


def rss_kib(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1])
    raise RuntimeError(field)


def run_one(method, n, d, budget, n_labeled):
    # Imports come before the clock and the memory counter start.
    if method.startswith("skactiveml"):
        from skactiveml.pool import CoreSet, TypiClust
    X, mask = make_pool(n, d)
    mask[np.random.RandomState(1).choice(n, n_labeled, replace=False)] = True
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # reset the peak RSS to the current RSS
    before = rss_kib("VmRSS")
    start = time.perf_counter()
    if method.startswith("skactiveml"):
        y = np.full(n, np.nan)
        y[mask] = 0
        qs = (
            TypiClust(random_state=0)
            if method.endswith("typiclust")
            else CoreSet(random_state=0)
        )
        picks = qs.query(X, y, batch_size=budget)
    else:
        base, params = VARIANTS.get(method, (method, {}))
        sampler = SAMPLERS[base](**params, random_state=0)
        picks = sampler.fit(X).query(mask, budget)
    seconds = time.perf_counter() - start
    peak = rss_kib("VmHWM") - before
    assert len(np.unique(picks)) == budget and not mask[picks].any()
    return {"seconds": seconds, "peak_mib": peak / 1024, "pool_mib": X.nbytes / 2**20}


# Seconds a measuring process may take before fit + query: its start, the imports
# and the pool's making (about 20 s for 1,000,000 x 512 here).
START_UP = 60.0


def run_fresh(module, call, threads=1, timeout=900.0):
    """``module.call`` (a call written out, e.g. ``"run_one('x', 10)"``) in a fresh
    Python process with ``threads`` BLAS/OpenMP threads, from this folder: the
    dict it printed as JSON, or ``{"error": ...}`` after a timeout or a crash."""
    code = (
        "import json, sys, warnings; warnings.simplefilter('ignore');"
        "from threadpoolctl import threadpool_limits;"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parent)!r});"
        f"import {module}; threadpool_limits({threads});"
        f"print(json.dumps({module}.{call}))"
    )
    env = {f"{v}_NUM_THREADS": str(threads) for v in ("OMP", "OPENBLAS", "MKL")}
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **env},
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timeout (> {timeout:.0f} s)"}
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or [""])[-1]
        return {"error": f"exit {proc.returncode}: {last[:120]}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(method, n, d, budget, n_labeled, threads, timeout):
    """One measurement in a fresh process; None when it timed out."""
    call = f"run_one({method!r}, {n}, {d}, {budget}, {n_labeled})"
    r = run_fresh("scale", call, threads, timeout)
    if "error" in r and r["error"].startswith("timeout"):
        return None
    if "error" in r:
        raise RuntimeError(r["error"])
    return r


GRIDS = {
    # Every combination of the scaling issue's axes (36 configurations; hours with
    # the peers on 1,000,000 x 512).
    "full": list(
        itertools.product(
            (10_000, 200_000, 1_000_000), (64, 512), (10, 100, 1000), (0, 100)
        )
    ),
    # The configurations the scaling issue's closing table needs.
    "issue": [
        (200_000, 64, 100, 0),
        (200_000, 64, 100, 100),
        (200_000, 512, 100, 0),
        (200_000, 512, 100, 100),
        (1_000_000, 512, 100, 0),
        (1_000_000, 512, 1000, 0),
    ],
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--d", type=int, default=64)
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--labeled", type=int, default=0)
    parser.add_argument("--methods", nargs="+", default=METHODS, choices=METHODS)
    parser.add_argument("--grid", choices=sorted(GRIDS))
    parser.add_argument(
        "--peers-up-to",
        type=int,
        default=200_000,
        help="run scikit-activeml only on pools up to this size",
    )
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument(
        "--peer-timeout-ratio",
        type=float,
        default=None,
        help="stop a peer once its process has run this many times our fit + query "
        "time for the same sampler and configuration, plus START_UP seconds (the "
        "ratio is then proved to exceed it)",
    )
    args = parser.parse_args(argv)
    configs = (
        GRIDS[args.grid] if args.grid else [(args.n, args.d, args.budget, args.labeled)]
    )
    print(
        "| pool | labeled | budget | method | seconds | peak MiB above pool | pool MiB "
        "| peer / ours |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for n, d, budget, n_labeled in configs:
        ours = {}  # seconds of our sampler each peer stands against, this config
        for method in args.methods:
            if method.startswith("skactiveml") and n > args.peers_up_to:
                continue
            if method == "random" and args.grid == "issue":
                continue
            if (
                method == "typiclust-exact"
                and args.grid
                and (n / (budget + n_labeled)) ** 2 * d < 4e9
            ):
                # The same as "typiclust": even clusters 2x the mean size stay
                # below the cost where typicality="auto" starts sampling.
                continue
            rival = method.removeprefix("skactiveml-")
            timeout = args.timeout
            if method in PEERS and args.peer_timeout_ratio and rival in ours:
                # The timeout covers the whole process: its start, its imports and
                # the pool's making (well under START_UP), then fit + query.
                cap = args.peer_timeout_ratio * ours[rival] + START_UP
                timeout = min(timeout, cap)
            r = measure(method, n, d, budget, n_labeled, args.threads, timeout)
            ratio = ""
            if method in PEERS and rival in ours:
                # Stopped: fit + query took more than the timeout less START_UP.
                spent = timeout - START_UP if r is None else r["seconds"]
                ratio = ("> " if r is None else "") + f"{spent / ours[rival]:.1f}x"
            elif r is not None:
                ours[method] = r["seconds"]
            cells = (
                [f"> {timeout:.0f}", "", "", ratio]
                if r is None
                else [
                    f"{r['seconds']:.2f}",
                    f"{r['peak_mib']:.0f}",
                    f"{r['pool_mib']:.0f}",
                    ratio,
                ]
            )
            print(
                f"| {n:,} x {d} | {n_labeled} | {budget} | {method} | "
                + " | ".join(cells)
                + " |",
                flush=True,
            )


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    main()
