# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits

from skactive import (
    BudgetSwitchSampler,
    CoresetSampler,
    TypiClustSampler,
    UncertaintySampler,
)
from skactive.samplers import learning_gain


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:500], y[:500]


def rounds(sampler, y, n_rounds, step=10):
    mask = np.zeros(len(y), dtype=bool)
    out = []
    for _ in range(n_rounds):
        details = sampler.query_details(mask, step, y=np.where(mask, y, -1))
        out.append((mask.copy(), details))
        mask[details.indices] = True
    return out


def test_a_label_count_switches_from_low_to_high(digits):
    X, y = digits
    sampler = BudgetSwitchSampler(switch=30, random_state=0).fit(X)
    low = TypiClustSampler(random_state=0).fit(X)
    high = UncertaintySampler(random_state=0).fit(X)
    for mask, details in rounds(sampler, y, 5):
        n = mask.sum()
        assert details.strategy == ("high" if n >= 30 else "low")
        ref = high if n >= 30 else low
        expected = ref.query(mask, 10, y=np.where(mask, y, -1))
        np.testing.assert_array_equal(details.indices, expected)


def test_labels_per_class_and_pending_rows(digits):
    X, y = digits
    sampler = BudgetSwitchSampler(switch=3, per_class=True, random_state=0).fit(X)
    mask = np.zeros(len(y), dtype=bool)
    for c in range(10):
        mask[np.flatnonzero(y == c)[:3]] = True
    labels = np.where(mask, y, -1)
    assert sampler.query_details(mask, 5, y=labels).strategy == "high"
    labels[np.flatnonzero(y == 7)[0]] = -1  # one of class 7 still pending
    details = sampler.query_details(mask, 5, y=labels)
    assert details.strategy == "low" and not mask[details.indices].any()


def test_auto_switches_when_doubling_the_labels_stops_paying(digits):
    X, y = digits
    sampler = BudgetSwitchSampler(random_state=0).fit(X)
    mask = np.zeros(len(y), dtype=bool)
    assert sampler.query_details(mask, 5).strategy == "low"
    mask[:40] = True
    details = sampler.query_details(mask, 5, y=np.where(mask, y, -1))
    assert details.gain == learning_gain(X[:40], y[:40], random_state=0)
    assert details.strategy == ("high" if details.gain < sampler.min_gain else "low")
    mask[:450] = True
    details = sampler.query_details(mask, 5, y=np.where(mask, y, -1))
    assert details.gain < sampler.min_gain and details.strategy == "high"


def test_nested_parameters_as_in_a_pipeline():
    sampler = BudgetSwitchSampler(
        low=TypiClustSampler(), high=CoresetSampler(), switch=20
    )
    params = sampler.get_params()
    assert params["low__n_neighbors"] == 20 and "high__device" in params
    sampler.set_params(low__n_neighbors=7)
    assert clone(sampler).low.n_neighbors == 7


def test_learning_gain_by_hand_and_with_too_few_labels(digits):
    from sklearn.model_selection import StratifiedShuffleSplit

    from skactive.samplers._uncertainty import default_estimator

    X, y = digits
    assert learning_gain(X[:20], y[:20]) == np.inf  # two labels per class
    assert learning_gain(X[:10], np.zeros(10)) == np.inf
    Xl, yl = X[:90], y[:90]
    gains = []
    for train, test in StratifiedShuffleSplit(5, test_size=30, random_state=0).split(
        Xl, yl
    ):
        third = train[:30]
        full = default_estimator().fit(Xl[train], yl[train]).score(Xl[test], yl[test])
        part = default_estimator().fit(Xl[third], yl[third]).score(Xl[test], yl[test])
        gains.append(full - part)
    assert learning_gain(Xl, yl) == pytest.approx(np.mean(gains))


def test_labels_equal_to_a_missing_value_reach_the_inner_sampler(digits):
    # Labels -1 and +1, the switch's missing label NaN: the inner uncertainty
    # sampler (missing_label=-1) must still see every known row.
    X, y = digits
    y2 = np.where(y < 5, -1, 1).astype(float)
    mask = np.zeros(len(y), dtype=bool)
    mask[:60] = True
    labels = np.where(mask, y2, np.nan)
    switch = BudgetSwitchSampler(switch=10, missing_label=np.nan, random_state=0)
    details = switch.fit(X).query_details(mask, 5, y=labels)
    assert details.strategy == "high" and details.inner_strategy == "uncertainty"
    direct = UncertaintySampler(missing_label=np.nan, random_state=0).fit(X)
    np.testing.assert_array_equal(details.indices, direct.query(mask, 5, y=labels))


@pytest.mark.parametrize("kind", ["uint8", "bool", "object"])
def test_labels_of_any_dtype(digits, kind):
    X, y = digits
    mask = np.zeros(len(y), dtype=bool)
    mask[:60] = True
    binary = y < 5
    expected = (
        BudgetSwitchSampler(switch=10, random_state=0)
        .fit(X)
        .query(mask, 5, y=np.where(mask, binary.astype(int), -1))
    )
    if kind == "uint8":
        labels, missing = np.where(mask, binary, 7).astype(np.uint8), 7
    elif kind == "bool":
        labels, missing = binary.copy(), -1  # no row is missing: all masked known
        labels = labels.astype(object)
        labels[~mask] = -1
    else:
        labels, missing = binary.astype(int).astype(object), None
        labels[~mask] = None
    switch = BudgetSwitchSampler(switch=10, missing_label=missing, random_state=0)
    got = switch.fit(X).query(mask, 5, y=labels)
    np.testing.assert_array_equal(got, expected)
