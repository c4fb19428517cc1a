# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""budget_curve and score_labeled on scikit-learn's digits."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.utils.validation import check_is_fitted

from skactive import CoresetSampler, RandomSampler, TypiClustSampler
from skactive.base import BaseSampler, SamplerTags
from skactive.evaluation import budget_curve, score_labeled

N_LABELS = [10, 20, 35]


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.3, stratify=y, random_state=0)


def hand_written_curve(sampler, X_train, y_train, X_test, y_test, estimator):
    """The loop budget_curve runs, written out: queries, then fits."""
    sampler.fit(X_train)
    mask = np.zeros(len(X_train), dtype=bool)
    scores = []
    for n in N_LABELS:
        mask[sampler.query(mask, budget=n - mask.sum())] = True
        model = clone(estimator).fit(X_train[mask], y_train[mask])
        scores.append(model.score(X_test, y_test))
    return scores


@pytest.mark.parametrize("Sampler", [TypiClustSampler, CoresetSampler, RandomSampler])
@pytest.mark.parametrize(
    "estimator", [None, KNeighborsClassifier(3)], ids=["default", "knn"]
)
def test_budget_curve_equals_a_hand_written_loop(digits, Sampler, estimator):
    X_train, X_test, y_train, y_test = digits
    scores, seconds = budget_curve(
        Sampler(random_state=0), X_train, y_train, X_test, y_test, N_LABELS, estimator
    )
    model = LogisticRegression(max_iter=2000) if estimator is None else estimator
    expected = hand_written_curve(
        Sampler(random_state=0), X_train, y_train, X_test, y_test, model
    )
    assert scores.shape == (len(N_LABELS),) and scores.dtype == np.float64
    np.testing.assert_array_equal(scores, expected)
    assert seconds > 0


def test_budget_curve_leaves_the_sampler_and_the_estimator_as_they_are(digits):
    X_train, X_test, y_train, y_test = digits
    sampler, estimator = TypiClustSampler(random_state=0), KNeighborsClassifier(3)
    budget_curve(sampler, X_train, y_train, X_test, y_test, N_LABELS, estimator)
    assert not hasattr(sampler, "n_samples_fit_")
    assert not hasattr(estimator, "classes_")
    # A fitted sampler is refitted (on a clone) on X_train.
    sampler.fit(X_train[:100])
    scores, _ = budget_curve(sampler, X_train, y_train, X_test, y_test, N_LABELS)
    assert sampler.n_samples_fit_ == 100 and len(scores) == len(N_LABELS)


def test_budget_curve_accepts_n_labels_as_an_array_or_a_tuple(digits):
    X_train, X_test, y_train, y_test = digits
    sampler = RandomSampler(random_state=0)
    runs = [
        budget_curve(sampler, X_train, y_train, X_test, y_test, n_labels)[0]
        for n_labels in (N_LABELS, tuple(N_LABELS), np.array(N_LABELS, np.int32))
    ]
    for other in runs[1:]:
        np.testing.assert_array_equal(runs[0], other)


class FirstUnlabeledSampler(BaseSampler):
    """Reads the labels: picks the first unlabeled rows, once it has them."""

    def __init__(self, random_state=None):
        super().__init__(random_state=random_state)

    def __sampler_tags__(self):
        return SamplerTags(requires_labels=True)

    def _fit(self, X):
        pass

    def _query(self, mask, budget, rng, y):
        assert y is not None or not mask.any()
        return np.flatnonzero(~mask)[:budget], np.full(budget, np.nan)


def test_budget_curve_gives_the_labels_to_a_sampler_that_requires_them(digits):
    X_train, X_test, y_train, y_test = digits
    scores, _ = budget_curve(
        FirstUnlabeledSampler(), X_train, y_train, X_test, y_test, N_LABELS
    )
    for n, score in zip(N_LABELS, scores, strict=True):
        picks = np.arange(n)
        assert score == score_labeled(X_train, y_train, picks, X_test, y_test)


def test_score_labeled_is_the_default_models_test_accuracy(digits):
    X_train, X_test, y_train, y_test = digits
    picks = np.arange(0, 300, 3)
    model = LogisticRegression(max_iter=2000).fit(X_train[picks], y_train[picks])
    score = score_labeled(X_train, y_train, picks, X_test, y_test)
    assert isinstance(score, float) and score == model.score(X_test, y_test)


def test_score_labeled_with_one_class_predicts_it_everywhere(digits):
    X_train, X_test, y_train, y_test = digits
    picks = np.flatnonzero(y_train == 3)[:4]
    score = score_labeled(X_train, y_train, picks, X_test, y_test)
    assert score == np.mean(y_test == 3)
    # A regressor learns from one target value as from any other.
    ridge = Ridge()
    score = score_labeled(X_train, y_train, picks, X_test, y_test, ridge)
    assert score == Ridge().fit(X_train[picks], y_train[picks]).score(X_test, y_test)
    with pytest.raises(Exception, match="not fitted"):
        check_is_fitted(ridge)


@pytest.mark.parametrize(
    "n_labels, error, message",
    [
        ([], ValueError, r"n_labels must be a non-empty 1-D sequence"),
        (10, ValueError, r"n_labels must be a non-empty 1-D sequence"),
        ([[10, 20]], ValueError, r"n_labels must be a non-empty 1-D sequence"),
        ([0, 10], ValueError, r"positive and strictly increasing.*\[0, 10\]"),
        ([-5, 10], ValueError, r"positive and strictly increasing"),
        ([20, 10], ValueError, r"positive and strictly increasing.*\[20, 10\]"),
        ([10, 10], ValueError, r"positive and strictly increasing"),
        ([10.0, 20.0], TypeError, r"n_labels must be integers"),
        ([True, False], TypeError, r"n_labels must be integers"),
        (["10"], TypeError, r"n_labels must be integers"),
        ([10, 2000], ValueError, r"up to 2000, more than the 1257 rows of X_train"),
    ],
)
def test_budget_curve_rejects_bad_n_labels(digits, n_labels, error, message):
    X_train, X_test, y_train, y_test = digits
    with pytest.raises(error, match=message):
        budget_curve(RandomSampler(), X_train, y_train, X_test, y_test, n_labels)


class NoQuery:
    def fit(self, X):
        return self


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"sampler": TypiClustSampler}, TypeError, r"sampler=TypiClustSampler is a"),
        ({"sampler": NoQuery()}, TypeError, r"sampler must be a sampler.*NoQuery"),
        ({"estimator": Ridge}, TypeError, r"estimator=Ridge is a class"),
        ({"estimator": NoQuery()}, TypeError, r"estimator must be.*got NoQuery"),
        ({"y_train": np.zeros(5)}, ValueError, r"y_train has 5 labels for the 1257"),
        ({"y_test": np.zeros((540, 2))}, ValueError, r"y_test must be 1-D"),
        ({"X_test": np.zeros((540, 3))}, ValueError, r"X_test has 3 features"),
        ({"X_train": np.zeros(1257)}, ValueError, r"Expected 2D array"),
    ],
)
def test_budget_curve_rejects_bad_arguments(digits, kwargs, error, message):
    X_train, X_test, y_train, y_test = digits
    arguments = {
        "sampler": RandomSampler(),
        "X_train": X_train,
        "y_train": y_train,
        "X_test": X_test,
        "y_test": y_test,
        "n_labels": N_LABELS,
        **kwargs,
    }
    with pytest.raises(error, match=message):
        budget_curve(**arguments)


@pytest.mark.parametrize(
    "picks, error, message",
    [
        ([], ValueError, r"picks must be a non-empty 1-D array"),
        ([[1, 2]], ValueError, r"picks must be a non-empty 1-D array"),
        ([1.0, 2.0], TypeError, r"picks must be integer row indices"),
        (np.ones(1257, dtype=bool), TypeError, r"picks must be integer row indices"),
        ([0, 1257], ValueError, r"picks \[1257\] are not rows of X_train"),
        ([-1, 3], ValueError, r"picks \[-1\] are not rows of X_train \(0 to 1256\)"),
    ],
)
def test_score_labeled_rejects_bad_picks(digits, picks, error, message):
    X_train, X_test, y_train, y_test = digits
    with pytest.raises(error, match=message):
        score_labeled(X_train, y_train, picks, X_test, y_test)


def test_score_labeled_rejects_a_bad_estimator(digits):
    X_train, X_test, y_train, y_test = digits
    with pytest.raises(TypeError, match=r"estimator=KNeighborsClassifier is a class"):
        score_labeled(X_train, y_train, [0, 1], X_test, y_test, KNeighborsClassifier)


@pytest.mark.parametrize("kind", ["plus_minus_one", "strings"])
def test_budget_curve_gives_every_picked_label_as_known(digits, kind):
    # Labels -1/+1 equal UncertaintySampler's default missing_label=-1, and
    # strings cannot be compared with it: every picked row is still labeled.
    from skactive import UncertaintySampler

    X_train, X_test, y_train, y_test = digits
    if kind == "plus_minus_one":
        y_train, y_test = np.where(y_train < 5, -1, 1), np.where(y_test < 5, -1, 1)
        marker, fill = 0, 0
    else:
        y_train = np.array([f"digit {v}" for v in y_train])
        y_test = np.array([f"digit {v}" for v in y_test])
        marker, fill = "?", "?"
    scores, _ = budget_curve(
        UncertaintySampler(random_state=0), X_train, y_train, X_test, y_test, N_LABELS
    )
    # The loop a user writes, with a missing_label no label equals.
    sampler = UncertaintySampler(missing_label=marker, random_state=0).fit(X_train)
    mask = np.zeros(len(X_train), dtype=bool)
    expected = []
    for n in N_LABELS:
        labels = np.where(mask, y_train, fill)
        mask[sampler.query(mask, budget=n - mask.sum(), y=labels)] = True
        picks = np.flatnonzero(mask)
        expected.append(score_labeled(X_train, y_train, picks, X_test, y_test))
    np.testing.assert_array_equal(scores, expected)
