# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""What does sampled typicality (TypiClust's ``typicality="sampled"``) change?

1. Per cluster: each digit class of MNIST-5k and of digits taken as one cluster,
   sampled at 10 % (the sampler's ratio up to clusters of 10,240 points; above, its
   sample stays at 1,024): how often the sampled search picks the exact most
   typical point, and the exact typicality of its pick relative to the best.
2. Low-budget accuracy of the picks with ``typicality="exact"`` and with sampling at
   10 % in every cluster, on digits and MNIST-5k (cold start, rounds of 10 labels,
   LogisticRegression on the picks, held-out 30 %, 5 seeds).
3. At scale, where ``typicality="auto"`` samples (``SCALE``: Gaussian blobs, clusters
   of 2,000 to 100,000 points): time, same picks, exact typicality of the picks.

Run: python benchmarks/accuracy_typicality.py  (a few minutes on 1 core)
"""

import time
import warnings

import numpy as np
from accuracy_clustering import LABELS, load, print_curves
from scale import make_pool
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import normalize
from threadpoolctl import threadpool_limits

from skactive import TypiClustSampler, typicality
from skactive._kernels._typicality import SampledClusterTypicality
from skactive.evaluation import budget_curve

# Pools where typicality="auto" samples: clusters of about 2,000 points (s = 10 %),
# of 30,000 (s = 1,024, 3 %) and of 100,000 (1 %).
SCALE = [(200_000, 64, 100), (300_000, 64, 10), (1_000_000, 64, 10)]


def per_cluster(name, n_seeds=5):
    X, y = load(name)
    X = normalize(X.astype(np.float32))
    hits, ratios = [], []
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        exact = typicality(X[members], 20)
        for seed in range(n_seeds):
            # Sample 10 % of the cluster, however small (TypiClust's floor is 1,024).
            state = SampledClusterTypicality(
                lambda i: X[i].astype(np.float64),
                members,
                1.0,
                np.random.RandomState(seed),
                sample_size=0,
            )
            pick, score = state.pop_most_typical(20)
            hits.append(pick == members[np.argmax(exact)])
            ratios.append(score / exact.max())
    return np.mean(hits), np.mean(ratios), np.min(ratios)


def curves(name, n_seeds=5):
    X, y = load(name)
    acc = {"exact": [], "sampled at 10 %": []}
    for seed in range(n_seeds):
        X_tr, X_te, y_tr, y_te = train_test_split(
            X, y, test_size=0.3, stratify=y, random_state=seed
        )
        for label, kind in (("exact", "exact"), ("sampled at 10 %", "sampled")):
            sampler = TypiClustSampler(
                typicality=kind, typicality_sample_size=0, random_state=seed
            )
            curve, _ = budget_curve(sampler, X_tr, y_tr, X_te, y_te, LABELS)
            acc[label].append(curve)
    return {label: np.array(rows) for label, rows in acc.items()}


def at_scale(n, d, budget):
    """Exact typicality against ``typicality="auto"`` (sampled in every cluster of
    more than 1,000 candidates on these pools): times, picks, typicality."""
    X, _ = make_pool(n, d)
    out = {}
    for kind in ("exact", "auto"):
        sampler = TypiClustSampler(typicality=kind, random_state=0).fit(X)
        start = time.perf_counter()
        details = sampler.query_details(budget=budget)
        out[kind] = (time.perf_counter() - start, details.indices, details.scores)
    sizes = np.sort(np.bincount(details.cluster_labels))[::-1][:budget]
    return out, sizes


if __name__ == "__main__":
    warnings.simplefilter("ignore", ConvergenceWarning)
    with threadpool_limits(1):
        print("1. one class = one cluster, sampled at 10 %, 5 seeds each")
        for name in ("digits", "mnist"):
            agree, mean, low = per_cluster(name)
            print(
                f"{name}: exact pick found {100 * agree:.0f} %, typicality of the "
                f"pick / best: mean {mean:.4f}, min {low:.4f}"
            )
        for name in ("digits", "mnist"):
            print_curves(f"2. {name}", curves(name), width=18)
        for n, d, budget in SCALE:
            out, sizes = at_scale(n, d, budget)
            t_exact, p_exact, s_exact = out["exact"]
            t_auto, p_auto, s_auto = out["auto"]
            ratio = s_auto / s_exact
            print(
                f"\n3. {n:,} x {d}, budget {budget}, clusters of "
                f"{sizes.min()}-{sizes.max()} points: exact {t_exact:.1f} s, auto "
                f"(sampled) {t_auto:.1f} s; same pick in {np.sum(p_exact == p_auto)} "
                f"of {budget} clusters; typicality of the sampled picks / exact "
                f"picks: mean {np.mean(ratio):.4f}, min {np.min(ratio):.4f}"
            )
