# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""The query contract, as properties over random pools, masks and budgets."""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning

from skactive.base import get_sampler_tags
from skactive.utils import all_samplers
from skactive.utils.estimator_checks import check_query_contract

SAMPLERS = [cls for _, cls in all_samplers()]
PREFIX_STABLE = [cls for cls in SAMPLERS if get_sampler_tags(cls()).prefix_stable]


@st.composite
def pools(draw):
    """A pool (with duplicates or all-identical rows at times), a mask, a budget."""
    n = draw(st.integers(2, 60))
    d = draw(st.integers(1, 6))
    rs = np.random.RandomState(draw(st.integers(0, 2**31 - 1)))
    kind = draw(st.sampled_from(["normal", "duplicates", "identical", "scaled"]))
    X = rs.normal(size=(n, d))
    if kind == "duplicates":
        X = np.round(X)  # few distinct rows
    elif kind == "identical":
        X[:] = X[0]
    elif kind == "scaled":
        X *= 10.0 ** rs.randint(-3, 4)
    mask = rs.rand(n) < draw(st.floats(0, 0.9))
    if mask.all():
        mask[rs.randint(n)] = False
    budget = draw(st.integers(1, int((~mask).sum())))
    cold = draw(st.booleans())
    # Labels with one to three classes, some labeled points pending (-1).
    y = rs.randint(draw(st.integers(1, 3)), size=n)
    y[rs.rand(n) < draw(st.floats(0, 0.5))] = -1
    return X, (None if cold else mask), budget, draw(st.integers(0, 1000)), y


@pytest.mark.parametrize("Sampler", SAMPLERS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=pools())
def test_query_contract(Sampler, case):
    X, mask, budget, seed, y = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # duplicate points
        check_query_contract(Sampler(random_state=seed), X, mask, budget, y=y)


@pytest.mark.parametrize("Sampler", SAMPLERS)
@settings(max_examples=15, deadline=None)
@given(case=pools())
def test_all_false_mask_is_a_cold_start(Sampler, case):
    X, _, budget, seed, _ = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sampler = Sampler(random_state=seed).fit(X)
        cold = sampler.query(None, budget)
        np.testing.assert_array_equal(
            cold, sampler.query(np.zeros(len(X), dtype=bool), budget)
        )


@pytest.mark.parametrize("Sampler", PREFIX_STABLE)
@settings(max_examples=30, deadline=None)
@given(case=pools())
def test_selection_order_is_stable_across_budgets(Sampler, case):
    """Samplers tagged prefix_stable (greedy and random orders): a smaller query is
    a prefix of a larger one. (TypiClust re-clusters for each budget, by design.)"""
    X, mask, budget, seed, y = case
    sampler = Sampler(random_state=seed).fit(X)
    full = sampler.query(mask, budget, y=y)
    for b in range(1, budget):
        np.testing.assert_array_equal(sampler.query(mask, b, y=y), full[:b])
