# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Bad input gets a clear error naming the argument and the value, on every
sampler and function."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError

from skactive import (
    CoresetSampler,
    RandomSampler,
    TypiClustSampler,
    k_center_greedy,
    typicality,
)

SAMPLERS = [CoresetSampler, RandomSampler, TypiClustSampler]


@pytest.fixture
def pool():
    return np.random.RandomState(0).normal(size=(30, 4))


@pytest.mark.parametrize("Sampler", SAMPLERS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_fit_rejects_non_finite_features(Sampler, pool, bad):
    pool[3, 1] = bad
    with pytest.raises(ValueError, match="Input X contains (NaN|infinity)"):
        Sampler().fit(pool)


@pytest.mark.parametrize("Sampler", SAMPLERS)
def test_fit_rejects_1d_features(Sampler):
    with pytest.raises(ValueError, match="Expected 2D array"):
        Sampler().fit(np.arange(5.0))


@pytest.mark.parametrize("Sampler", SAMPLERS)
def test_fit_rejects_single_sample(Sampler):
    with pytest.raises(ValueError, match=r"1 sample\(s\).*minimum of 2"):
        Sampler().fit(np.ones((1, 3)))


@pytest.mark.parametrize("Sampler", SAMPLERS)
def test_fit_rejects_sparse_features(Sampler, pool):
    with pytest.raises(TypeError, match="[Ss]parse"):
        Sampler().fit(sp.csr_matrix(pool))


@pytest.mark.parametrize("Sampler", SAMPLERS)
def test_query_before_fit(Sampler):
    with pytest.raises(NotFittedError, match="not fitted"):
        Sampler().query(budget=1)


@pytest.mark.parametrize("Sampler", SAMPLERS)
def test_query_rejects_mask_of_wrong_length(Sampler, pool):
    sampler = Sampler().fit(pool)
    with pytest.raises(ValueError, match="labeled_mask has length 29.*30 samples"):
        sampler.query(np.zeros(29, dtype=bool), budget=1)


@pytest.mark.parametrize("Sampler", SAMPLERS)
def test_query_rejects_index_array_as_mask(Sampler, pool):
    sampler = Sampler().fit(pool)
    with pytest.raises(TypeError, match="boolean mask.*dtype int.*array of indices"):
        sampler.query(np.array([0, 3, 5]), budget=1)


@pytest.mark.parametrize("Sampler", SAMPLERS)
def test_query_rejects_float_and_sparse_masks(Sampler, pool):
    sampler = Sampler().fit(pool)
    with pytest.raises(TypeError, match="labeled_mask.*dtype float64"):
        sampler.query(np.zeros(30), budget=1)
    with pytest.raises(TypeError, match="labeled_mask must be a dense"):
        sampler.query(sp.csr_matrix(np.zeros((1, 30), dtype=bool)), budget=1)


@pytest.mark.parametrize("Sampler", SAMPLERS)
def test_query_rejects_2d_mask(Sampler, pool):
    sampler = Sampler().fit(pool)
    with pytest.raises(ValueError, match=r"labeled_mask must be 1-D.*shape \(30, 1\)"):
        sampler.query(np.zeros((30, 1), dtype=bool), budget=1)


@pytest.mark.parametrize("Sampler", SAMPLERS)
@pytest.mark.parametrize(
    "budget, error, message",
    [
        (0, ValueError, "budget must be at least 1; got budget=0"),
        (-3, ValueError, "budget must be at least 1; got budget=-3"),
        (2.0, TypeError, "budget must be an int; got 2.0 of type float"),
        ("2", TypeError, "budget must be an int; got '2'"),
        (True, TypeError, "budget must be an int; got True"),
        (None, TypeError, "budget must be an int; got None"),
    ],
)
def test_query_rejects_bad_budget(Sampler, pool, budget, error, message):
    sampler = Sampler().fit(pool)
    with pytest.raises(error, match=message):
        sampler.query(budget=budget)


@pytest.mark.parametrize("Sampler", SAMPLERS)
def test_query_rejects_budget_above_unlabeled_count(Sampler, pool):
    sampler = Sampler().fit(pool)
    mask = np.zeros(30, dtype=bool)
    mask[:25] = True
    with pytest.raises(
        ValueError, match=r"budget=6 is larger .* unlabeled samples \(5\)"
    ):
        sampler.query(mask, budget=6)
    assert len(sampler.query(mask, budget=5)) == 5  # the whole rest is allowed


@pytest.mark.parametrize("Sampler", SAMPLERS)
def test_query_accepts_numpy_integer_budget_and_list_mask(Sampler, pool):
    sampler = Sampler(random_state=0).fit(pool)
    mask = [False] * 30
    mask[0] = True
    picks = sampler.query(mask, budget=np.int64(3))
    assert picks.dtype == np.intp and len(picks) == 3 and 0 not in picks


@pytest.mark.parametrize("Sampler", SAMPLERS)
def test_inputs_are_not_modified(Sampler, pool):
    pool = pool.astype(np.float32)  # the dtype fit would not need to copy
    X_before = pool.copy()
    mask = np.zeros(30, dtype=bool)
    mask[[1, 7]] = True
    mask_before = mask.copy()
    sampler = Sampler(random_state=0).fit(pool)
    sampler.query(mask, budget=4)
    np.testing.assert_array_equal(pool, X_before)
    np.testing.assert_array_equal(mask, mask_before)


def test_typiclust_rejects_bad_parameters(pool):
    with pytest.raises(ValueError, match="n_neighbors"):
        TypiClustSampler(n_neighbors=0).fit(pool)
    with pytest.raises(ValueError, match="max_clusters"):
        TypiClustSampler(max_clusters=0).fit(pool)
    with pytest.raises(ValueError, match="clusterer"):
        TypiClustSampler(clusterer="kmeans").fit(pool)


def test_typiclust_rejects_clusterer_without_n_clusters(pool):
    from sklearn.cluster import DBSCAN

    with pytest.raises(ValueError, match="clusterer=DBSCAN.*no n_clusters"):
        TypiClustSampler(clusterer=DBSCAN()).fit(pool)


def test_functions_reject_bad_input(pool):
    with pytest.raises(ValueError, match="n_neighbors=30 must be below n_samples=30"):
        typicality(pool, n_neighbors=30)
    with pytest.raises(ValueError, match="n_neighbors"):
        typicality(pool, n_neighbors=0)
    bad = pool.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        typicality(bad)
    with pytest.raises(ValueError, match="NaN"):
        k_center_greedy(bad, 2)
    with pytest.raises(ValueError, match="budget=31 is larger"):
        k_center_greedy(pool, 31)
    with pytest.raises(TypeError, match="labeled_mask"):
        k_center_greedy(pool, 2, labeled_mask=[0, 1])


@pytest.mark.parametrize("Sampler", SAMPLERS)
@pytest.mark.parametrize("empty", [[], np.array([]), np.array([], dtype=bool)])
def test_query_rejects_empty_mask_naming_its_length(Sampler, pool, empty):
    sampler = Sampler().fit(pool)
    with pytest.raises(ValueError, match=r"labeled_mask is empty \(length 0\).*30"):
        sampler.query(empty, budget=1)


def test_mask_dtype_error_also_names_a_wrong_length(pool):
    sampler = RandomSampler().fit(pool)
    with pytest.raises(TypeError, match="length 30; got dtype float64 and length 29"):
        sampler.query(np.zeros(29), budget=1)
