# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Time and peak memory of ProbCover and MaxHerding at scale, ours and the peers'.

Each measurement runs in a fresh process on ``scale.py``'s pool (float32 Gaussian
blobs, 100 centres), cold start: ``fit`` + ``query(budget)`` for skactive, one
``query(X, y, batch_size=budget)`` for scikit-activeml (all labels missing). The
table gives the wall time of that call, the time from the process start to the
picks without the pool's generation (the interpreter, ``import skactive`` and the
call), and the resident memory: the peak of the whole process (``VmHWM``), and the
peak above the resident memory once the pool is made (the counter is reset there
when the kernel allows it; otherwise the peak of the whole process minus that
resident memory, which is the same as long as the call's peak is above the
pool-making one).

Peers run under ``RLIMIT_AS`` (``--peer-memory-gb``, default 16) so that a dense
pairwise matrix fails with a ``MemoryError`` instead of taking the machine down;
every process has a timeout (``--timeout``). Threads are pinned to one.

    python benchmarks/coverage_scale.py --grid ours-first   # 1M and 10k x 64
    python benchmarks/coverage_scale.py --grid ours-rest    # 200k x 64, x 512
    python benchmarks/coverage_scale.py --grid peers        # scikit-activeml
    python benchmarks/coverage_scale.py --n 10000 --d 64 --budget 100 \
        --methods probcover
"""

import argparse
import json
import os
import time
from pathlib import Path

from scale import run_fresh

HERE = Path(__file__).resolve().parent
OURS = ["probcover", "maxherding"]
PEERS = [
    "skactiveml-probcover",
    "skactiveml-probcover-sub",
    "skactiveml-maxherding",
    "skactiveml-maxherding-sub",
]
METHODS = OURS + PEERS
SUBSAMPLE = 10_000  # candidates of SubSamplingWrapper
GRIDS = {
    "ours-first": [
        (n, 64, b, m) for n in (1_000_000, 10_000) for b in (100, 1000) for m in OURS
    ],
    "ours-rest": [
        (n, d, b, m)
        for n, d in ((200_000, 64), (200_000, 512))
        for b in (100, 1000)
        for m in OURS
    ],
    "peers": [
        (n, 64, b, m) for n in (10_000, 200_000) for b in (100, 1000) for m in PEERS
    ],
}


def process_age():
    """Seconds since this process started (from /proc, 1 / CLK_TCK resolution)."""
    with open("/proc/self/stat") as stat:
        start = int(stat.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as uptime:
        now = float(uptime.read().split()[0])
    return now - start / os.sysconf("SC_CLK_TCK")


def peer(method, budget):
    """A scikit-activeml strategy at its defaults, and its query's extra keywords."""
    from skactiveml.pool import MaxHerding, ProbCover, SubSamplingWrapper

    qs = (
        ProbCover(random_state=0)
        if "probcover" in method
        else MaxHerding(random_state=0)
    )
    if method.endswith("-sub"):
        qs = SubSamplingWrapper(qs, max_candidates=SUBSAMPLE, random_state=0)
    return qs


def run_one(method, n, d, budget, memory_gb=None):
    """One measurement, in the calling process; a dict of the figures."""
    import resource

    age_start = process_age()
    if method.startswith("skactiveml"):
        if memory_gb:
            limit = int(memory_gb * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        import skactiveml.pool  # noqa: F401
    else:
        import skactive  # noqa: F401
    age_imported = process_age()
    from scale import make_pool, rss_kib

    t0 = time.perf_counter()
    X, mask = make_pool(n, d)
    pool_seconds = time.perf_counter() - t0
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # reset the peak RSS to the current RSS
    base = rss_kib("VmRSS")
    reset = rss_kib("VmHWM") <= base + 1024
    out = {
        "pool_mib": X.nbytes / 2**20,
        "base_mib": base / 1024,
        "import_s": age_imported - age_start,
        "startup_s": age_imported,
        "reset": reset,
    }
    start = time.perf_counter()
    try:
        if method.startswith("skactiveml"):
            import numpy as np

            y = np.full(n, np.nan)
            picks = peer(method, budget).query(X, y, batch_size=budget)
        else:
            from skactive import MaxHerdingSampler, ProbCoverSampler

            cls = ProbCoverSampler if method == "probcover" else MaxHerdingSampler
            picks = cls(random_state=0).fit(X).query(mask, budget)
    except MemoryError as exc:
        out["error"] = f"MemoryError ({str(exc)[:80]})"
        return out
    out["seconds"] = time.perf_counter() - start
    out["hwm_mib"] = rss_kib("VmHWM") / 1024
    out["above_mib"] = out["hwm_mib"] - out["base_mib"]
    # From the process start to the picks, less the pool's generation.
    out["from_start_s"] = process_age() - pool_seconds
    import numpy as np

    assert len(np.unique(picks)) == budget and not mask[picks].any()
    return out


def measure(method, n, d, budget, timeout, memory_gb):
    """One measurement in a fresh process: the dict of ``run_one``, or one with an
    ``error`` (a timeout, a crash)."""
    call = f"run_one({method!r}, {n}, {d}, {budget}, {memory_gb!r})"
    return run_fresh("coverage_scale", call, 1, timeout)


HEADER = (
    "| pool | budget | method | fit + query s | from process start s | "
    "peak MiB above pool | peak MiB (process) | pool MiB |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- |"
)


def row(n, d, budget, method, r):
    if "error" in r:
        cells = [r["error"], "", "", "", f"{n * d * 4 / 2**20:.0f}"]
    else:
        cells = [
            f"{r['seconds']:.1f}",
            f"{r['from_start_s']:.1f}",
            f"{r['above_mib']:.0f}",
            f"{r['hwm_mib']:.0f}",
            f"{r['pool_mib']:.0f}",
        ]
    return f"| {n:,} x {d} | {budget} | {method} | " + " | ".join(cells) + " |"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--d", type=int, default=64)
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--methods", nargs="+", default=OURS, choices=METHODS)
    parser.add_argument("--grid", choices=sorted(GRIDS))
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--peer-memory-gb", type=float, default=16.0)
    parser.add_argument("--append", metavar="FILE.md", help="append each row here")
    parser.add_argument("--json", metavar="FILE.jsonl", help="append the raw dicts")
    args = parser.parse_args(argv)
    configs = (
        GRIDS[args.grid]
        if args.grid
        else [(args.n, args.d, args.budget, m) for m in args.methods]
    )
    print(HEADER, flush=True)
    for n, d, budget, method in configs:
        r = measure(method, n, d, budget, args.timeout, args.peer_memory_gb)
        line = row(n, d, budget, method, r)
        print(line, flush=True)
        if args.append:
            with open(args.append, "a") as f:
                f.write(line + "\n")
        if args.json:
            with open(args.json, "a") as f:
                f.write(
                    json.dumps(
                        {"n": n, "d": d, "budget": budget, "method": method, **r}
                    )
                    + "\n"
                )


if __name__ == "__main__":
    main()
