# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""
TypiClust in a modAL loop
=========================

A pool-based active-learning loop with modAL on the digits data: 10 labels per round
up to 100, a LogisticRegression retrained after each round and scored on a held-out
30 %. Five ways to choose the labels:

- **TypiClust**: :class:`skactive.TypiClustSampler` as modAL's query strategy, every
  round, from a cold start (no label at all);
- **TypiClust, then uncertainty**: TypiClust for the first two rounds, then modAL's
  ``uncertainty_sampling`` once the model has something to be uncertain about;
- **uncertainty**: modAL's usual recipe, 10 random labels, then uncertainty sampling;
- **budget switch**: :class:`skactive.BudgetSwitchSampler` as the only strategy: it
  gets the learner's labels and a clone of its estimator from
  :class:`~skactive.integration.modal.SamplerStrategy`, runs TypiClust while labels are
  few, and moves to the margin of that estimator when doubling the labels stops
  paying, with no switch round to choose;
- **random**: random labels throughout.

modAL-python 0.4.2.1 needs a fix to run on scikit-learn >= 1.8; importing
:mod:`skactive.integration.modal` applies it.
"""

import numpy as np
from modAL.models import ActiveLearner
from modAL.uncertainty import uncertainty_sampling
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from skactive import BudgetSwitchSampler, RandomSampler, TypiClustSampler
from skactive.integration.modal import SamplerStrategy

STEP, ROUNDS = 10, 10


def learning_curve(X, y, X_test, y_test, first, then):
    """Test accuracy after each round: ``first`` chooses until round ``then[0]``,
    the strategy ``then[1]`` from that round on."""
    learner = ActiveLearner(LogisticRegression(max_iter=1000), query_strategy=first)
    pool = np.arange(len(X))
    acc = []
    for r in range(ROUNDS):
        if r == then[0]:
            learner.query_strategy = then[1]
        idx, _ = learner.query(X[pool], n_instances=STEP)
        learner.teach(X[pool[idx]], y[pool[idx]])
        pool = np.delete(pool, idx)
        acc.append(learner.score(X_test, y_test))
    return acc


def run(n_seeds=5):
    """Mean and std of test accuracy per strategy, shape (n_rounds,) each."""
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    curves = {}
    for seed in range(n_seeds):
        X_tr, X_te, y_tr, y_te = train_test_split(
            X, y, test_size=0.3, stratify=y, random_state=seed
        )
        typiclust = SamplerStrategy(TypiClustSampler(random_state=seed), X_tr)
        random = SamplerStrategy(RandomSampler(random_state=seed), X_tr)
        switch = SamplerStrategy(BudgetSwitchSampler(random_state=seed), X_tr)
        plans = {
            "TypiClust": (typiclust, (ROUNDS, None)),
            "TypiClust, then uncertainty": (typiclust, (2, uncertainty_sampling)),
            "uncertainty (random start)": (random, (1, uncertainty_sampling)),
            "budget switch": (switch, (ROUNDS, None)),
            "random": (random, (ROUNDS, None)),
        }
        for name, (first, then) in plans.items():
            acc = learning_curve(X_tr, y_tr, X_te, y_te, first, then)
            curves.setdefault(name, []).append(acc)
    return {name: np.array(acc) for name, acc in curves.items()}


if __name__ == "__main__":
    curves = run()
    labels = STEP * np.arange(1, ROUNDS + 1)
    print("labels " + "".join(f"{n:>14}" for n in labels))
    for name, acc in curves.items():
        cells = "".join(
            f"{100 * m:8.1f} ± {100 * s:3.1f}"
            for m, s in zip(acc.mean(0), acc.std(0), strict=True)
        )
        print(f"{name}\n       {cells}")
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        pass
    else:
        fig, ax = plt.subplots(figsize=(6, 4))
        for name, acc in curves.items():
            ax.errorbar(
                labels,
                100 * acc.mean(0),
                yerr=100 * acc.std(0),
                label=name,
                marker="o",
                capsize=3,
            )
        ax.set(
            xlabel="labeled points",
            ylabel="test accuracy (%)",
            title="modAL loop on digits, LogisticRegression",
        )
        ax.legend()
        ax.grid(alpha=0.3)
        plt.show()
