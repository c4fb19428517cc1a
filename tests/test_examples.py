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
        "random",
    }
    for acc in curves.values():
        assert acc.shape == (1, 5) and np.all((acc > 0) & (acc <= 1))
    # Both TypiClust plans share the first two rounds; so do the two random starts.
    np.testing.assert_array_equal(
        curves["TypiClust"][:, :2], curves["TypiClust, then uncertainty"][:, :2]
    )
    np.testing.assert_array_equal(
        curves["random"][:, 0], curves["uncertainty (random start)"][:, 0]
    )


@pytest.mark.parametrize(
    "name", ["plot_typiclust_vs_coreset", "plot_digits_budget_curves"]
)
def test_gallery_example_runs(name, monkeypatch):
    plt = pytest.importorskip("matplotlib.pyplot")
    monkeypatch.setattr(plt, "show", lambda: None)
    if name == "plot_digits_budget_curves":
        import skactive.cli._demo as demo

        run_demo = demo.run_demo
        monkeypatch.setattr(
            demo, "run_demo", lambda **kw: run_demo(**{**kw, "n_seeds": 1})
        )
    load(name)
    plt.close("all")
