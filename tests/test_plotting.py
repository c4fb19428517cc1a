# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
import sys

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from skactive import CoresetSampler, RandomSampler, TypiClustSampler
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
    details = sampler.query_details(mask, budget=5)
    display = SelectionDisplay.from_sampler(sampler, details, labeled_mask=mask)
    assert display.X_2d.shape == (300, 2)  # PCA of the 5-D features
    np.testing.assert_array_equal(display.picks, details.indices)
    np.testing.assert_array_equal(display.clusters, details.cluster_labels)
    texts = [t.get_text() for t in display.ax_.texts]
    assert texts == ["1", "2", "3", "4", "5"]
    legend = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert legend == ["labeled", "picked"]
    assert display.ax_.get_title() == "TypiClustSampler"


def test_selection_display_coverage_balls_have_the_covering_radius():
    X = np.random.RandomState(0).uniform(size=(200, 2))
    sampler = CoresetSampler(random_state=0).fit(X)
    picks = sampler.query(budget=6)
    display = SelectionDisplay.from_sampler(sampler, picks, X=X, coverage=True)
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
    with pytest.raises(ValueError, match="coverage=True needs 1-D or 2-D features"):
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


def test_selection_display_of_a_random_sampler_needs_and_uses_x():
    X = np.random.RandomState(0).normal(size=(60, 2))
    sampler = RandomSampler(random_state=0).fit(X)
    picks = sampler.query(budget=4)
    display = SelectionDisplay.from_sampler(sampler, picks, X=X.tolist())
    np.testing.assert_array_equal(display.X_2d, X)
    assert [t.get_text() for t in display.ax_.texts] == ["1", "2", "3", "4"]
    display = SelectionDisplay.from_sampler(sampler, picks, X=X, coverage=True)
    d = np.sqrt(((X[:, None] - X[None, picks]) ** 2).sum(-1)).min(axis=1)
    np.testing.assert_allclose(display.radius, d.max(), rtol=1e-12)
    # X_2d alone is enough to draw, without coverage.
    display = SelectionDisplay.from_sampler(sampler, picks, X_2d=X * 2)
    np.testing.assert_array_equal(display.X_2d, X * 2)
    with pytest.raises(ValueError, match=r"RandomSampler keeps no copy .* X=\.\.\."):
        SelectionDisplay.from_sampler(sampler, picks)
    with pytest.raises(ValueError, match="X has 59 rows, but the sampler was fitted"):
        SelectionDisplay.from_sampler(sampler, picks, X=X[:59])


def test_selection_display_draws_the_users_x_not_the_stored_copy():
    X = np.random.RandomState(0).uniform(size=(80, 2)) + 1000.0
    sampler = CoresetSampler(random_state=0).fit(X)
    sampler.X_fit_ = sampler.X_fit_ - sampler.X_fit_.mean(axis=0)  # as if centred
    picks = sampler.query(budget=3)
    display = SelectionDisplay.from_sampler(sampler, picks, X=X)
    np.testing.assert_array_equal(display.X_2d, X)
    assert display.ax_.get_xlim()[0] > 900  # drawn in the user's units


@pytest.mark.parametrize(
    "picks, error, message",
    [
        ([3, 3], ValueError, r"picks must be distinct; 3 appears 2 times"),
        ([0, 50], ValueError, r"picks must be indices in \[0, 50\); got 50"),
        ([-1], ValueError, r"picks must be indices in \[0, 50\); got -1"),
        ([1.5, 2.0], TypeError, r"picks must be int indices .* dtype float64"),
        ([True, False], TypeError, r"picks must be int indices .* dtype bool"),
        ([[1, 2]], ValueError, r"picks must be a 1-D array .* shape \(1, 2\)"),
    ],
)
def test_selection_display_rejects_bad_picks(picks, error, message):
    X = np.random.RandomState(0).normal(size=(50, 3))
    sampler = CoresetSampler(random_state=0).fit(X)
    with pytest.raises(error, match=message):
        SelectionDisplay.from_sampler(sampler, picks, X=X)


@pytest.mark.parametrize(
    "mask, error, message",
    [
        (np.zeros(49, dtype=bool), ValueError, "labeled_mask has length 49"),
        ([], ValueError, r"labeled_mask is empty \(length 0\)"),
        (np.array([0, 3]), TypeError, "labeled_mask must be a boolean mask"),
    ],
)
def test_selection_display_rejects_bad_masks(mask, error, message):
    X = np.random.RandomState(0).normal(size=(50, 3))
    sampler = CoresetSampler(random_state=0).fit(X)
    with pytest.raises(error, match=message):
        SelectionDisplay.from_sampler(sampler, [1, 2], X=X, labeled_mask=mask)


@pytest.mark.parametrize("Sampler", [CoresetSampler, RandomSampler, TypiClustSampler])
def test_selection_display_of_a_one_feature_pool(Sampler):
    X = np.random.RandomState(0).normal(size=(70, 1))
    # Normalising 1-D rows would keep only their sign: TypiClust without it.
    params = {"normalize": False} if Sampler is TypiClustSampler else {}
    sampler = Sampler(random_state=0, **params).fit(X)
    mask = np.zeros(70, dtype=bool)
    mask[:2] = True
    picks = sampler.query(mask, budget=3)
    display = SelectionDisplay.from_sampler(
        sampler, picks, X=X, labeled_mask=mask, coverage=True
    )
    np.testing.assert_array_equal(display.X_2d, np.c_[X, np.zeros(70)])
    centers = np.r_[0, 1, picks]
    d = np.abs(X - X[centers].T).min(axis=1)
    np.testing.assert_allclose(display.radius, d.max())
    assert len(display.ax_.patches) == 5


def test_selection_display_rejects_details_from_an_older_fit():
    X, _ = make_blobs(n_samples=290, centers=4, random_state=0)
    sampler = TypiClustSampler(random_state=0).fit(X[:200])
    details = sampler.query_details(budget=4)  # cluster_labels of 200 points
    assert len(details.cluster_labels) == 200
    # A larger pool, so that the picks are valid indices into it.
    sampler.fit(X)
    with pytest.raises(ValueError, match=r"cluster_labels has 200 entries.* 290 "):
        SelectionDisplay.from_sampler(sampler, details, X=X)
    # Indices carry no clusters, and the sampler's state is not read for them.
    sampler.query(budget=4)
    display = SelectionDisplay.from_sampler(sampler, np.array([0, 5, 9]), X=X)
    assert display.clusters is None


def test_budget_curve_display_takes_array_likes_and_checks_shapes():
    fig, ax = plt.subplots()
    display = BudgetCurveDisplay((10, 20), [[0.5, 0.7], [0.7, 0.9]]).plot(ax=ax)
    (line,) = ax.get_lines()
    np.testing.assert_allclose(line.get_ydata(), [0.6, 0.8])
    assert ax.get_legend() is None  # one unnamed curve
    display = BudgetCurveDisplay([10, 20], [0.5, 0.7]).plot()
    np.testing.assert_allclose(display.ax_.get_lines()[0].get_ydata(), [0.5, 0.7])
    display = BudgetCurveDisplay([10, 20], {"a": [0.5, 0.7]}).plot()
    assert display.ax_.get_lines()[0].get_label() == "a"
    with pytest.raises(ValueError, match=r"scores\['a'\] must be numbers of shape"):
        BudgetCurveDisplay([10, 20], {"a": [[0.1, 0.2], [0.3]]}).plot()
    with pytest.raises(ValueError, match=r"scores has 3 rounds, n_labels 2"):
        BudgetCurveDisplay([10, 20], [0.1, 0.2, 0.3]).plot()
    with pytest.raises(ValueError, match=r"scores\['a'\] must have shape .* \(0, 2\)"):
        BudgetCurveDisplay([10, 20], {"a": np.zeros((0, 2))}).plot()
    with pytest.raises(ValueError, match="scores is empty"):
        BudgetCurveDisplay([10, 20], {}).plot()
    with pytest.raises(ValueError, match=r"n_labels must be a non-empty 1-D"):
        BudgetCurveDisplay([[10, 20]], [[0.1, 0.2]]).plot()
    with pytest.raises(ValueError, match=r"n_labels must be a 1-D array-like"):
        BudgetCurveDisplay(["a", "b"], [[0.1, 0.2]]).plot()
