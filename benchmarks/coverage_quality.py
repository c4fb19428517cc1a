# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Accuracy of ProbCover and MaxHerding from a cold start, ours and scikit-activeml's.

Protocol (``budget_switch.py``'s, to 60 labels): cold start, rounds of 10 labels up
to 60, a LogisticRegression(C=10, max_iter=2000) on L2-normalised features trained
on the picks and scored on a held-out 30 % (stratified), the same splits for every
strategy, 5 seeds. Strategies: ``RandomSampler``, ``TypiClustSampler``, our
``ProbCoverSampler()`` and ``MaxHerdingSampler()`` at their defaults, and
scikit-activeml's ``ProbCover()`` and ``MaxHerding()`` at theirs (queried round by
round with the labels so far, ``y`` missing elsewhere); a peer that fails is
skipped and named in the table. Every sampler is seeded with the seed.

Our two coverage samplers are prefix-stable from a cold start, so their 60 picks
are queried at once and each round is a prefix; seed 0 checks that against rounds
of ``query(mask, 10)``.

``--sensitivity`` runs the parameter table instead: ProbCover's purity, MaxHerding's
dense bandwidth as a factor of the default dense fit's, its sparse method, and the
authors' bandwidth of 1.

Run: python benchmarks/coverage_quality.py --data digits  (about a minute; mnist:
a few minutes). ``--features FILE.npy`` replaces the pixels (e.g. SimCLR).
"""

import argparse
import time
import warnings

import numpy as np
from budget_switch import STEP, load
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from skactive import (
    MaxHerdingSampler,
    ProbCoverSampler,
    RandomSampler,
    TypiClustSampler,
)
from skactive.samplers._herding import _SPARSE_REACH_FACTOR

MAX_LABELS = 60
BUDGETS = [10, 20, 30, 40, 50, 60]
SENSITIVITY_BUDGETS = [10, 20, 30, 60]


def score(X_tr, y_tr, picks, X_te, y_te):
    """Held-out accuracy of the model trained on ``picks`` (a constant prediction
    when they hold one class)."""
    labels = y_tr[picks]
    if len(np.unique(labels)) == 1:
        return float(np.mean(y_te == labels[0]))
    model = LogisticRegression(C=10.0, max_iter=2000).fit(X_tr[picks], labels)
    return float(model.score(X_te, y_te))


def curve(order, X_tr, y_tr, X_te, y_te):
    """Accuracy at every multiple of ``STEP`` labels of an ordered list of picks."""
    return np.array(
        [
            score(X_tr, y_tr, order[:b], X_te, y_te)
            for b in range(STEP, MAX_LABELS + 1, STEP)
        ]
    )


def by_rounds(sampler, n):
    """The picks of rounds of ``query(mask, STEP)``, in order."""
    mask = np.zeros(n, dtype=bool)
    order = []
    while mask.sum() < MAX_LABELS:
        picks = sampler.query(mask, STEP)
        mask[picks] = True
        order.extend(picks.tolist())
    return np.array(order)


def peer_rounds(qs, X_tr, y_tr):
    """A scikit-activeml strategy's picks, round by round with the labels so far."""
    y = np.full(len(X_tr), np.nan)
    order = []
    while len(order) < MAX_LABELS:
        picks = np.asarray(qs.query(X_tr, y, batch_size=STEP))
        y[picks] = y_tr[picks]
        order.extend(picks.tolist())
    return np.array(order)


def split(X, y, seed):
    return train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)


def one_seed(X, y, seed, verify=False):
    """Every strategy's curve on the seed's split, their fitted attributes and the
    seconds each took."""
    from skactiveml.pool import MaxHerding, ProbCover

    X_tr, X_te, y_tr, y_te = split(X, y, seed)
    n = len(X_tr)
    curves, info, seconds = {}, {}, {}

    def run(name, picks_fn):
        t0 = time.perf_counter()
        try:
            order = picks_fn()
        except (MemoryError, Exception) as exc:  # a peer's failure is a row
            curves[name] = f"{type(exc).__name__}: {str(exc)[:60]}"
            return None
        seconds[name] = time.perf_counter() - t0
        assert len(np.unique(order)) == MAX_LABELS
        curves[name] = curve(order, X_tr, y_tr, X_te, y_te)
        return order

    run("random", lambda: by_rounds(RandomSampler(random_state=seed).fit(X_tr), n))
    run(
        "TypiClust", lambda: by_rounds(TypiClustSampler(random_state=seed).fit(X_tr), n)
    )
    for name, cls in (
        ("ProbCover", ProbCoverSampler),
        ("MaxHerding", MaxHerdingSampler),
    ):
        sampler = cls(random_state=seed).fit(X_tr)
        order = run(name, lambda s=sampler: s.query(None, MAX_LABELS))
        if name == "ProbCover":
            info[name] = (sampler.delta_, sampler.n_truncated_)
        else:
            info[name] = (sampler.bandwidth_, sampler.method_)
        if verify:
            same = np.array_equal(order, by_rounds(sampler, n))
            print(f"  {name}: 60 at once == rounds of 10: {same}", flush=True)
            if not same:
                raise SystemExit(f"{name} is not prefix-stable here")
    run(
        "scikit-activeml ProbCover",
        lambda: peer_rounds(ProbCover(random_state=seed), X_tr, y_tr),
    )
    run(
        "scikit-activeml MaxHerding",
        lambda: peer_rounds(MaxHerding(random_state=seed), X_tr, y_tr),
    )
    return curves, info, seconds


def sensitivity_seed(X, y, seed):
    """The parameter variants' curves on the seed's split."""
    X_tr, X_te, y_tr, y_te = split(X, y, seed)
    # r, the graph's reach: the sparse method's default bandwidth is 0.35 r
    sparse = MaxHerdingSampler(method="sparse", random_state=seed).fit(X_tr)
    h = sparse.bandwidth_ / _SPARSE_REACH_FACTOR
    variants = {
        **{
            f"ProbCover purity={p}": ProbCoverSampler(purity=p, random_state=seed)
            for p in (0.95, 0.9, 0.8)
        },
        **{
            f"MaxHerding dense, h = {f} r": MaxHerdingSampler(
                bandwidth=f * h, method="dense", random_state=seed
            )
            for f in (0.35, 0.5, 1.0)
        },
        "MaxHerding sparse (default h = 0.35 r)": sparse,
        "MaxHerding dense, h = 1 (default, authors')": MaxHerdingSampler(
            method="dense", random_state=seed
        ),
        "MaxHerding dense, h = sqrt(d) (scikit-activeml's)": MaxHerdingSampler(
            bandwidth=float(np.sqrt(X.shape[1])), method="dense", random_state=seed
        ),
    }
    curves = {}
    for name, sampler in variants.items():
        if name != "MaxHerding sparse (default h = 0.35 r)":
            sampler.fit(X_tr)
        order = sampler.query(None, MAX_LABELS)
        curves[name] = curve(order, X_tr, y_tr, X_te, y_te)
    return curves, h


def table(runs, budgets, gain=True):
    """A markdown table of the mean accuracy (%) over seeds per budget, and each
    strategy's gain over random at the first budget."""
    cols = [b // STEP - 1 for b in budgets]
    head = "| strategy | " + " | ".join(str(b) for b in budgets) + " |"
    head += " gain over random at 10 |" if gain else ""
    lines = [head, "|---" * (len(cols) + 1 + gain) + "|"]
    rand = np.mean([r["random"] for r in runs], axis=0) if gain else None
    for name in runs[0]:
        failed = [r[name] for r in runs if isinstance(r[name], str)]
        if failed:
            cells = f"skipped: {failed[0]}" + " |" * (len(cols) - 1 + gain)
            lines.append(f"| {name} | {cells} |")
            continue
        mean = 100 * np.mean([r[name] for r in runs], axis=0)
        row = f"| {name} | " + " | ".join(f"{mean[c]:.1f}" for c in cols) + " |"
        if gain:
            row += f" {mean[0] - 100 * rand[0]:+.1f} |"
        lines.append(row)
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=["digits", "mnist"], default="digits")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--features", metavar="FILE.npy")
    parser.add_argument("--sensitivity", action="store_true")
    args = parser.parse_args(argv)
    X, y = load(args.data, args.features)
    label = args.data + (f" ({args.features})" if args.features else "")
    t_start = time.perf_counter()
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if args.sensitivity:
            runs, hs = [], []
            for seed in range(args.seeds):
                curves, h = sensitivity_seed(X, y, seed)
                runs.append(curves)
                hs.append(h)
                print(f"  seed {seed}: graph reach r {h:.4f}", flush=True)
            print(f"\n{label}, {args.seeds} seeds, accuracy %, sensitivity")
            print(table(runs, SENSITIVITY_BUDGETS, gain=False))
        else:
            runs, infos, times = [], [], []
            for seed in range(args.seeds):
                t0 = time.perf_counter()
                curves, info, seconds = one_seed(X, y, seed, verify=seed == 0)
                runs.append(curves)
                infos.append(info)
                times.append(seconds)
                print(
                    f"  seed {seed}: {time.perf_counter() - t0:.0f} s; ProbCover "
                    f"delta_={info['ProbCover'][0]:.4f} n_truncated_="
                    f"{info['ProbCover'][1]}; MaxHerding bandwidth_="
                    f"{info['MaxHerding'][0]:.4f} ({info['MaxHerding'][1]})",
                    flush=True,
                )
            print(f"\n{label}, {args.seeds} seeds, accuracy %")
            print(table(runs, BUDGETS))
            deltas = [i["ProbCover"][0] for i in infos]
            trunc = [i["ProbCover"][1] for i in infos]
            bws = [i["MaxHerding"][0] for i in infos]
            print(
                f"ProbCover delta_ {min(deltas):.4f}-{max(deltas):.4f}, n_truncated_ "
                f"{trunc} of {len(split(X, y, 0)[0])}; MaxHerding bandwidth_ "
                f"{min(bws):.4f}-{max(bws):.4f}"
            )
            names = sorted({k for t in times for k in t})
            print(
                "seconds per seed (mean): "
                + ", ".join(
                    f"{k} {np.mean([t[k] for t in times if k in t]):.1f}" for k in names
                )
            )
    print(f"total {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
