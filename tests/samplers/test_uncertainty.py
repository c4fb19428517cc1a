# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from skactive import TypiClustSampler, UncertaintySampler
from skactive.samplers import uncertainty_scores
from skactive.samplers._uncertainty import default_estimator


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:600], y[:600]


def labeled(y, n, seed=0, pending=0):
    rs = np.random.RandomState(seed)
    mask = np.zeros(len(y), dtype=bool)
    rows = rs.choice(len(y), n + pending, replace=False)
    mask[rows] = True
    labels = np.where(mask, y, -1)
    labels[rows[n:]] = -1  # masked, no label yet
    return mask, labels


def test_uncertainty_scores_by_hand():
    p = np.array([[0.6, 0.3, 0.1], [0.34, 0.33, 0.33], [1.0, 0.0, 0.0]])
    np.testing.assert_allclose(uncertainty_scores(p, "margin"), [-0.3, -0.01, -1.0])
    np.testing.assert_allclose(uncertainty_scores(p, "least_confident"), [0.4, 0.66, 0])
    entropy = -(p * np.log(np.where(p > 0, p, 1))).sum(axis=1)
    np.testing.assert_allclose(uncertainty_scores(p, "entropy"), entropy)
    binary = uncertainty_scores([[2.0], [-0.5]], "margin")
    np.testing.assert_allclose(binary, [-2, -0.5])
    with pytest.raises(ValueError, match="measure must be"):
        uncertainty_scores(p, "variance")


@pytest.mark.parametrize("measure", ["margin", "entropy", "least_confident"])
def test_uncertainty_picks_the_least_certain_points(digits, measure):
    X, y = digits
    mask, labels = labeled(y, 40, pending=15)
    picks, scores = (
        UncertaintySampler(measure=measure, random_state=0)
        .fit(X)
        .query(mask, 25, y=labels, return_scores=True)
    )
    known = labels != -1
    model = default_estimator().fit(X[known], y[known])  # pending rows left out
    free = np.flatnonzero(~mask)
    expected = uncertainty_scores(model.predict_proba(X[free]), measure)
    order = np.lexsort((free, -expected))[:25]
    np.testing.assert_array_equal(picks, free[order])
    np.testing.assert_allclose(scores, expected[order], rtol=1e-6, atol=1e-9)
    assert not mask[picks].any()


def test_cold_start_and_one_class_fall_back_to_typiclust(digits):
    X, y = digits
    sampler = UncertaintySampler(random_state=3).fit(X)
    typi = TypiClustSampler(random_state=3).fit(X)
    details = sampler.query_details(None, 10)
    assert details.strategy == "fallback"
    np.testing.assert_array_equal(details.indices, typi.query(None, 10))
    mask = np.zeros(len(y), dtype=bool)
    mask[np.flatnonzero(y == 4)[:5]] = True
    one_class = sampler.query_details(mask, 10, y=np.where(mask, y, -1))
    assert one_class.strategy == "fallback"
    np.testing.assert_array_equal(one_class.indices, typi.query(mask, 10))
    # Every masked row pending: no label known yet.
    pending = sampler.query_details(mask, 10, y=np.full(len(y), -1))
    np.testing.assert_array_equal(pending.indices, one_class.indices)


def test_labeled_rows_without_y_are_a_clear_error(digits):
    X, y = digits
    mask, _ = labeled(y, 20)
    with pytest.raises(ValueError, match=r"20 points are labeled.*y="):
        UncertaintySampler().fit(X).query(mask, 5)


def test_decision_function_ranks_by_margin(digits):
    X, y = digits
    mask, labels = labeled(y, 50)
    svc = LinearSVC(C=1.0, random_state=0)
    picks = UncertaintySampler(estimator=svc).fit(X).query(mask, 10, y=labels)
    model = LinearSVC(C=1.0, random_state=0).fit(X[mask], y[mask])
    free = np.flatnonzero(~mask)
    d = model.decision_function(X[free])
    top = np.sort(d, axis=1)[:, -2:]
    expected = free[np.lexsort((free, top[:, 1] - top[:, 0]))[:10]]
    np.testing.assert_array_equal(picks, expected)
    with pytest.raises(ValueError, match="needs class probabilities"):
        UncertaintySampler(estimator=svc, measure="entropy").fit(X)


def test_string_labels_and_a_missing_label_of_their_own(digits):
    X, y = digits
    mask, labels = labeled(y, 40, pending=5)
    names = np.array([f"digit {v}" for v in y], dtype=object)
    names[labels == -1] = "?"
    sampler = UncertaintySampler(missing_label="?", random_state=0).fit(X)
    np.testing.assert_array_equal(
        sampler.query(mask, 8, y=names),
        UncertaintySampler(random_state=0).fit(X).query(mask, 8, y=labels),
    )


def test_the_estimator_is_cloned_and_seeded(digits):
    X, y = digits
    mask, labels = labeled(y, 40)
    model = LogisticRegression(max_iter=500)
    UncertaintySampler(estimator=model, random_state=5).fit(X).query(mask, 3, y=labels)
    assert not hasattr(model, "coef_") and model.random_state is None
    with pytest.raises(TypeError, match="is a class"):
        UncertaintySampler(estimator=LogisticRegression).fit(X)
