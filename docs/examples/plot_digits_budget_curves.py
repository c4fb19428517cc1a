# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""
Learning curves on digits: from the first label to the 150th
=============================================================

What ``skactive demo`` runs: scikit-learn's digits, a cold start, rounds of 10 labels
up to 150 chosen by each strategy, a LogisticRegression trained on the labeled points
and scored on a held-out 30 %, over 5 seeds. TypiClust leads by a wide margin at the
lowest budgets; uncertainty sampling (TypiClust's first round, then the margin of a
model fitted on the labels) and Coreset, built for high budgets, catch up as labels
accumulate and then lead: opposite strategies suit low and high budgets.
:class:`~skactive.BudgetSwitchSampler` follows TypiClust while labels are few and
moves to uncertainty sampling on its own.

:func:`skactive.evaluation.budget_curve` runs the loop: it fits the sampler on the
training split, asks it for the labels of each round and scores the model trained on
all the labels so far.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skactive import (
    BADGESampler,
    BudgetSwitchSampler,
    CoresetSampler,
    RandomSampler,
    TypiClustSampler,
    UncertaintySampler,
)
from skactive.evaluation import budget_curve
from skactive.plotting import BudgetCurveDisplay

SAMPLERS = {
    "TypiClust": TypiClustSampler,
    "Coreset": CoresetSampler,
    "Random": RandomSampler,
    "BADGE": BADGESampler,
    "BudgetSwitch": BudgetSwitchSampler,
    "Uncertainty": UncertaintySampler,
}
N_LABELS = np.arange(10, 151, 10)


def run(n_seeds=5):
    """Test accuracy of each sampler, of shape (n_seeds, n_rounds)."""
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    accuracy = {name: np.empty((n_seeds, len(N_LABELS))) for name in SAMPLERS}
    for seed in range(n_seeds):
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.3, stratify=y, random_state=seed
        )
        for name, Sampler in SAMPLERS.items():
            sampler = Sampler(random_state=seed)
            accuracy[name][seed], _ = budget_curve(
                sampler, X_train, y_train, X_test, y_test, N_LABELS
            )
    return accuracy


def format_table(accuracy):
    """Mean ± standard deviation over seeds, in %, one row per number of labels."""
    lines = ["labels  " + "".join(f"{name:>17}" for name in accuracy)]
    for r, n in enumerate(N_LABELS):
        cells = "".join(
            f"{100 * acc[:, r].mean():10.1f} ± {100 * acc[:, r].std():4.1f}"
            for acc in accuracy.values()
        )
        lines.append(f"{n:>6}  {cells}")
    return "\n".join(lines)


def plot(accuracy):
    """The curves, mean and ± one standard deviation over seeds."""
    n_seeds = len(next(iter(accuracy.values())))
    scores = {name: 100 * acc for name, acc in accuracy.items()}
    display = BudgetCurveDisplay(N_LABELS, scores, "test accuracy (%)")
    return display.plot(title=f"digits, LogisticRegression, {n_seeds} seeds")


if __name__ == "__main__":
    accuracy = run(n_seeds=5)
    print(format_table(accuracy))
    plot(accuracy)
    plt.show()
