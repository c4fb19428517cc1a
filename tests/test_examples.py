# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""The documentation's examples run (with fewer seeds), so they cannot rot."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_modal_loop_example():
    pytest.importorskip("modAL")
    curves = load("plot_modal_loop").run(n_seeds=1)
    assert set(curves) == {
        "TypiClust",
        "TypiClust, then uncertainty",
        "uncertainty (random start)",
        "budget switch",
        "random",
    }
    for acc in curves.values():
        assert acc.shape == (1, 10) and np.all((acc > 0) & (acc <= 1))
    # The switch runs TypiClust while labels are few (its first rounds are TypiClust's).
    np.testing.assert_array_equal(
        curves["TypiClust"][:, :3], curves["budget switch"][:, :3]
    )
    # Both TypiClust plans share the first two rounds; so do the two random starts.
    np.testing.assert_array_equal(
        curves["TypiClust"][:, :2], curves["TypiClust, then uncertainty"][:, :2]
    )
    np.testing.assert_array_equal(
        curves["random"][:, 0], curves["uncertainty (random start)"][:, 0]
    )


def test_typiclust_vs_coreset_example_runs(monkeypatch):
    plt = pytest.importorskip("matplotlib.pyplot")
    monkeypatch.setattr(plt, "show", lambda: None)
    load("plot_typiclust_vs_coreset")
    plt.close("all")


def test_digits_budget_curves_example_is_the_demo():
    plt = pytest.importorskip("matplotlib.pyplot")
    from skactive.cli._demo import run_demo

    example = load("plot_digits_budget_curves")
    accuracy = example.run(n_seeds=1)
    demo = run_demo(n_seeds=1, step=10, max_labels=150)
    names = ["TypiClust", "Coreset", "Random", "BADGE", "BudgetSwitch", "Uncertainty"]
    assert list(accuracy) == names
    for name, acc in accuracy.items():
        np.testing.assert_array_equal(acc, demo[name])
    table = example.format_table(accuracy).splitlines()
    assert table[0].split() == ["labels", *names]
    assert len(table) == 1 + len(example.N_LABELS)
    example.plot(accuracy)
    plt.close("all")
