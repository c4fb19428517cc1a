# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Pools the samplers must not read in index order: offsets, tiny and huge rows,
pools whose normalised rows collapse to one direction (issue 21, items 3, 9, 10
and 17a). Every case is built as a user builds it, and compared with the picks of
the unshifted, unscaled pool."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.preprocessing import Normalizer

from skactive import (
    BADGESampler,
    BudgetSwitchSampler,
    UncertaintySampler,
    typicality,
)
from skactive.samplers._uncertainty import RowNormalizer, default_estimator


def brute_force_typicality(X, k):
    """The definition, in float64 with a full distance matrix."""
    X = np.asarray(X, dtype=np.float64)
    D = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(D, np.inf)
    return 1.0 / (np.sort(D, axis=1)[:, :k].mean(axis=1) + 1e-5)


def digits_round(n_labeled=60, seed=0):
    """Digits, and a labeled set of a user's earlier rounds: the mask and ``y``
    with -1 at the unlabeled rows."""
    X, y = load_digits(return_X_y=True)
    mask = np.zeros(len(X), dtype=bool)
    mask[np.random.RandomState(seed).choice(len(X), n_labeled, replace=False)] = True
    return X, np.where(mask, y, -1), mask


# 17a: the public typicality() at any finite scale.


@pytest.mark.parametrize("scale", [1e20, 1e30, 1e38, 2.0**-90])
def test_typicality_is_the_definition_at_extreme_scales(scale):
    X = np.random.RandomState(0).normal(size=(120, 6)) * 4  # |X| up to about 15
    Xs = X * scale  # float64: 1e38 * 15 is beyond float32
    for k in (1, 5, 20):
        got = typicality(Xs, n_neighbors=k)
        assert np.all(got > 0)
        np.testing.assert_allclose(got, brute_force_typicality(Xs, k), rtol=2e-4)


def test_typicality_of_an_ordinary_pool_is_unchanged_to_the_bit():
    # No rescaling on an ordinary pool: float64 input is rounded to float32 as it
    # always was, and the float32 kernel runs on the same values.
    from skactive._kernels._pairwise import mean_knn_sq_dist

    X, _ = load_digits(return_X_y=True)
    before = 1.0 / (mean_knn_sq_dist(X.astype(np.float32), 20) + 1e-5)
    np.testing.assert_array_equal(typicality(X, 20), before)


# 9: rows of norm below 1e-15 (Normalizer leaves them as they are).


@pytest.mark.parametrize(
    "scale, dtype",
    [
        (1e-17, np.float64),
        (1e-20, np.float64),
        (2.0**-60, np.float64),
        (1e-8, np.float32),
    ],
)
def test_row_normalizer_normalises_rows_of_any_norm(scale, dtype):
    X, _, _ = digits_round()
    X = X.astype(dtype)
    Xs = X * dtype(scale)
    unit = Normalizer().fit_transform(X)
    got = RowNormalizer().fit_transform(Xs)
    np.testing.assert_allclose(got, unit, rtol=1e-6 if dtype == np.float32 else 1e-12)
    assert Xs.max() < 1e-5  # the caller's array was not touched
    # Normalizer itself leaves rows alone at these scales: what went wrong.
    assert np.linalg.norm(Normalizer().fit_transform(Xs), axis=1).min() < 1e-5


def test_row_normalizer_is_normalizer_to_the_bit_on_ordinary_and_exact_scales():
    X, _, _ = digits_round()
    X = np.vstack([X, np.zeros((1, X.shape[1]))])  # a zero row stays zero
    unit = Normalizer().fit_transform(X)
    np.testing.assert_array_equal(RowNormalizer().fit_transform(X), unit)
    for scale in (2.0**-80, 2.0**300):  # rows rescaled by a power of two: exact
        np.testing.assert_array_equal(RowNormalizer().fit_transform(X * scale), unit)
    assert isinstance(default_estimator()[0], RowNormalizer)


@pytest.mark.parametrize("sampler", [UncertaintySampler, BADGESampler])
@pytest.mark.parametrize("scale", [1e-17, 1e-20, 2.0**-60])
def test_label_samplers_pick_on_tiny_rows_as_on_unit_rows(sampler, scale):
    X, y, mask = digits_round()
    expected = sampler(random_state=0).fit(X).query(mask, 10, y=y)
    picks = sampler(random_state=0).fit(X * scale).query(mask, 10, y=y)
    assert sorted(picks.tolist()) != list(range(10))  # index order once
    np.testing.assert_array_equal(picks, expected)


def test_budget_switch_decides_and_picks_on_tiny_rows_as_on_unit_rows():
    X, y, mask = digits_round(n_labeled=40)
    ref = BudgetSwitchSampler(random_state=0).fit(X).query_details(mask, 10, y=y)
    tiny = BudgetSwitchSampler(random_state=0).fit(X * 1e-17)
    got = tiny.query_details(mask, 10, y=y)
    # The learning gain was 0 on tiny rows (every model constant), so it switched.
    assert got.strategy == ref.strategy
    np.testing.assert_allclose(got.gain, ref.gain, atol=1e-12)
    np.testing.assert_array_equal(got.indices, ref.indices)
