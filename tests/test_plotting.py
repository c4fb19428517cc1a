# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
import sys

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from skactive import CoresetSampler, TypiClustSampler
from skactive.plotting import BudgetCurveDisplay, SelectionDisplay

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_selection_display_of_typiclust_colours_clusters_and_numbers_picks():
    X, _ = make_blobs(n_samples=300, centers=4, n_features=5, random_state=0)
    sampler = TypiClustSampler(random_state=0).fit(X)
    mask = np.zeros(300, dtype=bool)
    mask[:3] = True
    picks = sampler.query(mask, budget=5)
    display = SelectionDisplay.from_sampler(sampler, picks, labeled_mask=mask)
    assert display.X_2d.shape == (300, 2)  # PCA of the 5-D features
    np.testing.assert_array_equal(display.clusters, sampler.labels_)
    texts = [t.get_text() for t in display.ax_.texts]
    assert texts == ["1", "2", "3", "4", "5"]
    legend = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert legend == ["labeled", "picked"]
    assert display.ax_.get_title() == "TypiClustSampler"


def test_selection_display_coverage_balls_have_the_covering_radius():
    X = np.random.RandomState(0).uniform(size=(200, 2))
    sampler = CoresetSampler(random_state=0).fit(X)
    picks = sampler.query(budget=6)
    display = SelectionDisplay.from_sampler(sampler, picks, coverage=True)
    d = np.sqrt(((X[:, None] - X[None, picks]) ** 2).sum(-1)).min(axis=1)
    np.testing.assert_allclose(display.radius, d.max(), rtol=1e-5)
    assert len(display.ax_.patches) == 6
    np.testing.assert_allclose(display.X_2d, X, rtol=1e-6)  # 2-D: drawn as they are


def test_selection_display_errors():
    X, _ = make_blobs(n_samples=50, n_features=3, random_state=0)
    sampler = CoresetSampler(random_state=0).fit(X)
    picks = sampler.query(budget=2)
    with pytest.raises(ValueError, match=r"X_2d must have shape \(50, 2\)"):
        SelectionDisplay.from_sampler(sampler, picks, X_2d=np.zeros((50, 3)))
    with pytest.raises(ValueError, match="coverage=True needs 2-D features"):
        SelectionDisplay.from_sampler(sampler, picks, coverage=True)
    with pytest.raises(Exception, match="not fitted"):
        SelectionDisplay.from_sampler(CoresetSampler(), picks)


def test_budget_curve_display():
    scores = {"a": np.array([[0.5, 0.7, 0.8], [0.6, 0.7, 0.9]]), "b": [[0.3, 0.4, 0.5]]}
    fig, ax = plt.subplots()
    display = BudgetCurveDisplay([10, 20, 30], scores).plot(ax=ax, title="t")
    assert display.ax_ is ax and ax.get_title() == "t"
    a, b = ax.get_lines()
    np.testing.assert_allclose(a.get_ydata(), [0.55, 0.7, 0.85])
    assert b.get_label() == "b" and ax.get_xlabel() == "labeled points"
    with pytest.raises(ValueError, match=r"scores\['a'\] has 3 rounds, n_labels 2"):
        BudgetCurveDisplay([10, 20], scores).plot()


def test_plotting_without_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install 'skactive\[matplotlib\]'"):
        BudgetCurveDisplay([1], {"a": [[1.0]]}).plot()


def test_importing_skactive_does_not_import_matplotlib():
    import subprocess

    code = "import sys, skactive, skactive.plotting; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr
