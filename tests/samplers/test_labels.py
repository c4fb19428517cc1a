# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""What a label-reading sampler is given: the labels ``y`` and their
``missing_label``, the ``estimator``, the ``fallback``, and the nested
parameters of BudgetSwitchSampler."""

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from skactive import (
    BADGESampler,
    BudgetSwitchSampler,
    CoresetSampler,
    TypiClustSampler,
    UHerdingSampler,
    UncertaintySampler,
)
from skactive.samplers import learning_gain

LABEL_SAMPLERS = [
    UncertaintySampler,
    BADGESampler,
    UHerdingSampler,
    lambda **kw: BudgetSwitchSampler(switch=10, **kw),
]
IDS = ["uncertainty", "badge", "uherding", "switch"]


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:300], y[:300]


@pytest.fixture(scope="module")
def rounds(digits):
    """A mask of 40 labeled rows and 5 pending ones, as after a few rounds: the
    rows, the pending rows, and the labels with -1 at rows without one."""
    _, y = digits
    rows = np.random.RandomState(0).choice(len(y), 45, replace=False)
    mask = np.zeros(len(y), dtype=bool)
    mask[rows] = True
    pending = rows[40:]
    labels = np.where(mask, y, -1)
    labels[pending] = -1
    return mask, pending, labels


def reference(Sampler, X, mask, labels):
    """The picks with integer labels and the default missing_label=-1."""
    return Sampler(random_state=0).fit(X).query(mask, 5, y=labels)


@pytest.mark.parametrize("dtype", [object, str])
@pytest.mark.parametrize("Sampler", LABEL_SAMPLERS, ids=IDS)
def test_query_string_labels_with_the_int_missing_label_name_the_row(
    digits, rounds, Sampler, dtype
):
    X, y = digits
    mask, pending, labels = rounds
    names = np.where(labels == -1, "-1", [f"digit {v}" for v in y]).astype(dtype)
    sampler = Sampler(random_state=0).fit(X)
    message = (
        rf"y holds '-1' at masked row {min(pending)} \(and 4 more\), which "
        r"missing_label=-1 \(int\) never equals.*pass missing_label='-1'"
    )
    with pytest.raises(ValueError, match=message):
        sampler.query(mask, 5, y=names)
    # What the message says to pass gives the answer of the integer labels.
    picks = Sampler(missing_label="-1", random_state=0).fit(X).query(mask, 5, y=names)
    np.testing.assert_array_equal(picks, reference(Sampler, X, mask, labels))
    assert not mask[picks].any()


@pytest.mark.parametrize("Sampler", LABEL_SAMPLERS, ids=IDS)
def test_query_nan_at_a_masked_row_asks_for_missing_label_nan(digits, rounds, Sampler):
    X, y = digits
    mask, pending, labels = rounds
    # As pandas gives it: a float column, NaN where there is no label yet.
    as_float = pd.Series(y).where(labels != -1).to_numpy()
    message = (
        rf"y is NaN at masked row {min(pending)} \(and 4 more\), but "
        r"missing_label=-1 .*pass missing_label=np.nan"
    )
    with pytest.raises(ValueError, match=message):
        Sampler(random_state=0).fit(X).query(mask, 5, y=as_float)
    picks = (
        Sampler(missing_label=np.nan, random_state=0).fit(X).query(mask, 5, y=as_float)
    )
    np.testing.assert_array_equal(picks, reference(Sampler, X, mask, labels))


def test_budget_switch_auto_with_nan_pending_rows_measures_the_known_labels(digits):
    # NaN at pending rows used to be labels: every NaN a class of one, so the gain
    # was inf and the sampler stayed on its low member whatever the labels.
    X, y = digits
    mask = np.zeros(len(y), dtype=bool)
    mask[:200] = True
    labels = y.astype(float)
    labels[190:200] = np.nan  # sent to annotators
    labels[~mask] = np.nan
    with pytest.raises(ValueError, match="y is NaN at masked row 190"):
        BudgetSwitchSampler(random_state=0).fit(X).query(mask, 5, y=labels)
    sampler = BudgetSwitchSampler(missing_label=np.nan, random_state=0).fit(X)
    details = sampler.query_details(mask, 5, y=labels)
    gain = learning_gain(X[:190], y[:190], random_state=0)
    assert np.isfinite(details.gain) and details.gain == gain
    assert details.strategy == ("high" if gain < sampler.min_gain else "low")
    assert not mask[details.indices].any()


def test_query_int_labels_with_a_string_missing_label_name_the_row(digits, rounds):
    X, _ = digits
    mask, pending, labels = rounds
    sampler = UncertaintySampler(missing_label="-1", random_state=0).fit(X)
    message = (
        rf"y holds -1 at masked row {min(pending)} \(and 4 more\), which "
        r"missing_label='-1' \(str\) never equals.*pass missing_label=-1 "
    )
    with pytest.raises(ValueError, match=message):
        sampler.query(mask, 5, y=labels)


def test_query_a_missing_label_that_can_never_match_is_an_error(digits, rounds):
    X, y = digits
    mask, _, labels = rounds
    names = np.array([f"digit {v}" for v in y])  # every row's label, as an oracle
    sampler = UncertaintySampler(random_state=0).fit(X)
    with pytest.raises(
        ValueError,
        match=r"missing_label=-1 \(int\) can never mark a row of y, whose labels "
        r"are strings \(dtype <U7\).*missing_label='-1'",
    ):
        sampler.query(mask, 5, y=names)
    with pytest.raises(
        ValueError,
        match=r"missing_label=None \(NoneType\) can never mark a row of y, whose "
        r"labels are numbers \(dtype int64\).*missing_label=-1",
    ):
        UncertaintySampler(missing_label=None).fit(X).query(mask, 5, y=labels)
    # A string marker the labels do hold, at unmasked rows only, is in use.
    marked = np.where(mask, names, "?")
    picks = (
        UncertaintySampler(missing_label="?", random_state=0)
        .fit(X)
        .query(mask, 5, y=marked)
    )
    known = np.where(mask, y, -1)
    np.testing.assert_array_equal(picks, reference(UncertaintySampler, X, mask, known))


@pytest.mark.parametrize("Sampler", LABEL_SAMPLERS, ids=IDS)
def test_query_none_at_pending_rows_asks_for_missing_label_none(
    digits, rounds, Sampler
):
    X, _ = digits
    mask, pending, labels = rounds
    with_none = labels.astype(object)
    with_none[labels == -1] = None
    message = (
        rf"y is None at masked row {min(pending)} \(and 4 more\), but "
        r"missing_label=-1 .*pass missing_label=None"
    )
    with pytest.raises(ValueError, match=message):
        Sampler(random_state=0).fit(X).query(mask, 5, y=with_none)
    picks = (
        Sampler(missing_label=None, random_state=0).fit(X).query(mask, 5, y=with_none)
    )
    np.testing.assert_array_equal(picks, reference(Sampler, X, mask, labels))


def test_query_labels_mixing_numbers_and_strings_name_two_rows(digits, rounds):
    X, y = digits
    mask, _, labels = rounds
    first, second = np.flatnonzero(labels != -1)[:2]
    mixed = labels.astype(object)
    mixed[second] = f"digit {y[second]}"  # one label typed in as text
    message = (
        rf"y mixes label types at masked rows: row {first} holds {y[first]} "
        rf"\(int\), row {second} holds 'digit {y[second]}' \(str\)"
    )
    with pytest.raises(ValueError, match=message):
        UncertaintySampler(random_state=0).fit(X).query(mask, 5, y=mixed)


def test_query_pandas_object_labels_with_nan_at_pending_rows(digits, rounds):
    X, y = digits
    mask, pending, labels = rounds
    # A text column with NaN at the rows without a label (pandas' str dtype, an
    # object array with float NaN to numpy).
    names = pd.Series([f"digit {v}" for v in y]).where(labels != -1)
    with pytest.raises(ValueError, match=rf"y is NaN at masked row {min(pending)}"):
        UncertaintySampler(random_state=0).fit(X).query(mask, 5, y=names)
    picks = (
        UncertaintySampler(missing_label=np.nan, random_state=0)
        .fit(X)
        .query(mask, 5, y=names)
    )
    np.testing.assert_array_equal(picks, reference(UncertaintySampler, X, mask, labels))


NOT_CLASSIFIERS = [
    KMeans(n_clusters=3, n_init=1),
    LinearRegression(),
    make_pipeline(StandardScaler(), PCA(2)),
]


@pytest.mark.parametrize("estimator", NOT_CLASSIFIERS, ids=repr)
@pytest.mark.parametrize("Sampler", [UncertaintySampler, BudgetSwitchSampler])
def test_fit_refuses_an_estimator_without_class_scores(digits, Sampler, estimator):
    X, _ = digits
    message = (
        rf"'estimator' parameter of {Sampler.__name__} must be an object "
        r"implementing 'fit' and 'predict_proba'.*'decision_function'.*Got "
        + re.escape(repr(estimator))
    )
    with pytest.raises(TypeError, match=message):
        Sampler(estimator=estimator).fit(X)


def test_fit_accepts_a_pipeline_ending_in_a_decision_function(digits, rounds):
    X, y = digits
    mask, _, labels = rounds
    svc = make_pipeline(StandardScaler(), LinearSVC(random_state=0))
    switch = BudgetSwitchSampler(estimator=svc, switch=10, random_state=0).fit(X)
    details = switch.query_details(mask, 5, y=labels)
    assert details.strategy == "high" and details.inner_strategy == "uncertainty"
    direct = UncertaintySampler(estimator=svc, random_state=0).fit(X)
    np.testing.assert_array_equal(details.indices, direct.query(mask, 5, y=labels))


LABEL_READERS = [
    UncertaintySampler(),
    BADGESampler(),
    BudgetSwitchSampler(),
    UHerdingSampler(),
]


@pytest.mark.parametrize("fallback", LABEL_READERS, ids=repr)
@pytest.mark.parametrize("Sampler", [UncertaintySampler, BADGESampler])
def test_fit_refuses_a_fallback_that_reads_labels(digits, Sampler, fallback):
    X, _ = digits
    message = re.escape(f"fallback={fallback!r} reads labels") + ".*TypiClustSampler"
    with pytest.raises(TypeError, match=message):
        Sampler(fallback=fallback).fit(X)


@pytest.mark.parametrize("Sampler", [UncertaintySampler, BADGESampler])
def test_a_feature_only_fallback_answers_until_two_classes(digits, Sampler):
    X, y = digits
    coreset = CoresetSampler(random_state=0).fit(X)
    sampler = Sampler(fallback=CoresetSampler(random_state=0), random_state=0).fit(X)
    mask = np.zeros(len(y), dtype=bool)
    np.testing.assert_array_equal(sampler.query(mask, 5), coreset.query(mask, 5))
    mask[np.flatnonzero(y == 3)[:4]] = True  # one class so far
    labels = np.where(mask, y, -1)
    np.testing.assert_array_equal(
        sampler.query(mask, 5, y=labels), coreset.query(mask, 5)
    )


def test_budget_switch_sets_a_parameter_of_its_default_low_sampler(digits, rounds):
    X, _ = digits
    mask, _, labels = rounds
    sampler = BudgetSwitchSampler(switch=100, random_state=0)
    params = sampler.get_params()
    assert params["low__n_neighbors"] == 20 and params["low__random_state"] == 0
    assert params["high__measure"] == "margin" and params["high__estimator"] is None
    assert sampler.set_params(low__n_neighbors=10) is sampler
    assert isinstance(sampler.low, TypiClustSampler) and sampler.high is None
    assert (
        sampler.low.get_params()
        == TypiClustSampler(n_neighbors=10, random_state=0).get_params()
    )
    assert clone(sampler).low.n_neighbors == 10
    explicit = BudgetSwitchSampler(
        low=TypiClustSampler(n_neighbors=10, random_state=0), switch=100, random_state=0
    )
    np.testing.assert_array_equal(
        sampler.fit(X).query(mask, 5, y=labels),
        explicit.fit(X).query(mask, 5, y=labels),
    )


def test_budget_switch_default_high_sampler_is_made_from_the_current_parameters():
    model = LogisticRegression(C=3.0)
    sampler = BudgetSwitchSampler(estimator=model)
    sampler.set_params(random_state=5, high__measure="entropy", low__n_neighbors=7)
    assert sampler.low.random_state == 5 and sampler.low.n_neighbors == 7
    assert sampler.high.measure == "entropy" and sampler.high.random_state == 5
    # The default high's estimator is a clone: setting it leaves estimator alone.
    sampler = BudgetSwitchSampler(estimator=model).set_params(high__estimator__C=0.5)
    assert sampler.high.estimator.C == 0.5 and model.C == 3.0
    assert sampler.estimator is model


@pytest.mark.parametrize(
    "sampler",
    [
        BudgetSwitchSampler(),
        BudgetSwitchSampler(estimator=LogisticRegression(C=3.0), random_state=1),
        BudgetSwitchSampler(low=CoresetSampler(), min_gain=0.1),
    ],
    ids=["defaults", "estimator", "low"],
)
def test_budget_switch_get_params_round_trips_through_set_params_and_clone(sampler):
    deep = sampler.get_params(deep=True)
    copy = BudgetSwitchSampler().set_params(**deep)
    # Values equal to the defaults' leave low and high as they were (None).
    assert (copy.low is None) == (sampler.low is None) and copy.high is None
    again = copy.get_params(deep=True)
    assert again.keys() == deep.keys()
    for key, value in deep.items():
        assert again[key] is value or again[key] == value, key
    cloned = clone(copy)
    assert repr(cloned.get_params(deep=True)) == repr(again)


def test_samplers_without_labels_ignore_the_labels_whatever_their_type(digits, rounds):
    # TypiClust has no missing_label to pass: string labels with '-1' at pending
    # rows are accepted and ignored, as the labels of every sampler that reads none.
    X, y = digits
    mask, _, labels = rounds
    names = np.where(labels == -1, "-1", [f"digit {v}" for v in y])
    typi = TypiClustSampler(random_state=0).fit(X)
    np.testing.assert_array_equal(typi.query(mask, 5, y=names), typi.query(mask, 5))
    with pytest.raises(ValueError, match="y has length"):
        typi.query(mask, 5, y=names[:-1])
