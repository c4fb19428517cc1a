# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Selections that do not depend on float32 rounding: the same picks under every
OpenBLAS kernel, under translation and scaling of X, and the picks of a float64 brute
force of docs/algorithms.rst."""

import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning

from skactive import CoresetSampler, TypiClustSampler, k_center_greedy
from skactive._kernels._exact import (
    argmax_within,
    condition_pool,
    exact_sq_dists,
    settle_nearest,
    smallest_within,
)
from skactive.cluster import SampledKMeans


def brute_force_k_center(X, mask, budget, first=None):
    """Sener and Savarese's greedy in float64 on the values as given."""
    X = np.asarray(X, dtype=np.float64)
    D = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    centers = list(np.flatnonzero(mask))
    picks, dists = [], []
    if not centers:
        centers, picks, dists = [first], [first], [np.inf]
    while len(picks) < budget:
        d = D[:, centers].min(axis=1)
        d[centers] = -1
        picks.append(int(np.argmax(d)))
        dists.append(np.sqrt(d[picks[-1]]))
        centers.append(picks[-1])
    return np.array(picks), np.array(dists)


def blobs(n=400, d=5, centers=8, seed=0, n_labeled=0):
    X, _ = make_blobs(n_samples=n, centers=centers, n_features=d, random_state=seed)
    mask = np.zeros(n, dtype=bool)
    rs = np.random.RandomState(seed + 1)
    mask[rs.choice(n, n_labeled, replace=False)] = True
    return X, mask


@pytest.mark.parametrize("offset", [0.0, 1e3, 1e4, 1e5])
@pytest.mark.parametrize("n_labeled", [0, 1, 25])
def test_coreset_equals_the_float64_greedy_at_any_offset(offset, n_labeled):
    X, mask = blobs(n_labeled=n_labeled)
    X = X + offset
    first = np.random.RandomState(0).choice(len(X))
    expected, dists = brute_force_k_center(X, mask, 30, first=first)
    sampler = CoresetSampler(random_state=0).fit(X)
    picks, scores = sampler.query(mask, 30, return_scores=True)
    np.testing.assert_array_equal(picks, expected)
    # The distances are the true ones (at 1e5 they were all 128.0 once).
    np.testing.assert_allclose(scores, dists, rtol=1e-5)
    picks = k_center_greedy(X, 30, mask, random_state=0)
    np.testing.assert_array_equal(picks, expected)


@pytest.mark.parametrize("n_labeled", [0, 50])
def test_coreset_picks_do_not_move_under_translation(n_labeled):
    X, mask = blobs(n=4000, d=6, centers=30, n_labeled=n_labeled)
    picks = CoresetSampler(random_state=0).fit(X).query(mask, 600)
    for offset in (1e3, 1e5):
        moved = CoresetSampler(random_state=0).fit(X + offset).query(mask, 600)
        np.testing.assert_array_equal(moved, picks)


@pytest.mark.parametrize("scale", [2.0**70, 2.0**-100, 1e20, 1e-30])
def test_extreme_magnitudes_pick_as_at_unit_scale(scale):
    X, mask = blobs(n=300, n_labeled=3)
    Xs = X * scale
    ref = CoresetSampler().fit(X)
    got = CoresetSampler().fit(Xs)
    got_picks, got_scores = got.query(mask, 20, return_scores=True)
    ref_picks, ref_scores = ref.query(mask, 20, return_scores=True)
    np.testing.assert_array_equal(got_picks, ref_picks)
    np.testing.assert_allclose(got_scores, ref_scores * scale, rtol=1e-5)
    typi = TypiClustSampler(random_state=0).fit(Xs).query(budget=5)
    np.testing.assert_array_equal(
        typi, TypiClustSampler(random_state=0).fit(X).query(budget=5)
    )
    if scale in (2.0**70, 2.0**-100):  # exact scales: float32 input too
        X32 = X.astype(np.float32)
        np.testing.assert_array_equal(
            CoresetSampler().fit(X32 * np.float32(scale)).query(mask, 20),
            CoresetSampler().fit(X32).query(mask, 20),
        )


def test_typiclust_is_not_index_order_on_huge_or_tiny_features():
    X, _ = blobs(n=300)
    for scale in (1e19, 1e-29):
        picks = TypiClustSampler(random_state=0).fit(X * scale).query(budget=5)
        assert sorted(picks.tolist()) != [0, 1, 2, 3, 4]


@pytest.mark.parametrize("offset", [0.0, 1e3, 1e5])
@pytest.mark.parametrize("seed, n_labeled, budget", [(0, 0, 10), (1, 12, 60)])
def test_typiclust_equals_the_float64_brute_force(
    offset, seed, n_labeled, budget, brute_force_typiclust
):
    X, mask = blobs(seed=seed, n_labeled=n_labeled)
    X = X + offset
    expected = brute_force_typiclust(X, mask, budget, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        picks = TypiClustSampler(random_state=seed).fit(X).query(mask, budget)
    np.testing.assert_array_equal(picks, expected)


@pytest.mark.parametrize("offset", [0.0, 1e3, 1e4, 1e5])
@pytest.mark.parametrize("n_labeled, budget", [(0, 10), (12, 60)])
def test_typiclust_unnormalised_picks_do_not_move_under_translation(
    offset, n_labeled, budget, brute_force_typiclust
):
    X, mask = blobs(n_labeled=n_labeled)
    # The float64 brute force on the un-offset values, and the sampler on X + offset.
    centred = X - X.mean(axis=0)
    expected = brute_force_typiclust(centred, mask, budget, 0, normalize=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sampler = TypiClustSampler(normalize=False, random_state=0).fit(X + offset)
        picks = sampler.query(mask, budget)
    np.testing.assert_array_equal(picks, expected)


def test_typiclust_unnormalised_warns_when_the_1e5_flattens_typicality():
    X, _ = blobs()
    with pytest.warns(UserWarning, match="flattens"):
        TypiClustSampler(normalize=False).fit(X * 1e-4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TypiClustSampler(normalize=False).fit(X)
        TypiClustSampler().fit(X * 1e-4)  # normalised rows: scale does not matter


def test_sampled_kmeans_labels_do_not_move_under_translation():
    X, _ = blobs(n=3000, d=8, centers=20)
    km = SampledKMeans(20, samples_per_cluster=50, random_state=0)
    labels = km.fit(X).labels_
    np.testing.assert_array_equal(km.fit(X + 1e3).labels_, labels)
    np.testing.assert_array_equal(km.predict(X + 1e3), labels)


# The exactness primitives.


def test_exact_sq_dists_in_any_block():
    rs = np.random.RandomState(0)
    A, B = rs.normal(size=(7, 300)), rs.normal(size=(5000, 300))
    expected = ((A[:, None, :] - B[None]) ** 2).sum(-1)
    np.testing.assert_allclose(exact_sq_dists(A, B), expected, rtol=1e-13)


def test_argmax_within_settles_near_ties_on_exact_values():
    exact = np.array([1.0, 3.0, 3.0 + 1e-9, 2.0])
    approx = np.array([1.0, 3.0 + 1e-6, 3.0, 2.0])  # the float32 order is wrong
    calls = []

    def rescore(pos):
        calls.append(pos.tolist())
        return exact[pos]

    assert argmax_within(approx, 1e-5, rescore)[0] == 2
    assert calls == [[1, 2]]  # only the two in doubt
    # With a relative band, the lower index wins.
    assert argmax_within(approx, 1e-5, lambda p: exact[p], rtol=1e-5)[0] == 1
    # Exact ties go to the lowest index; a clear winner needs no re-scoring.
    assert argmax_within(np.array([2.0, 2.0]), 1e-3, lambda p: np.ones(2))[0] == 0
    assert argmax_within(np.array([1.0, 5.0]), 1e-3, None)[0] == 1


@pytest.mark.parametrize("seed", range(20))
def test_smallest_within_is_the_exact_smallest_set(seed):
    rs = np.random.RandomState(seed)
    exact = np.round(rs.uniform(size=200), 2)  # many exact ties
    approx = exact + rs.uniform(-1e-4, 1e-4, size=200)
    got = smallest_within(approx, 1e-4, 37, lambda p: exact[p])
    expected = np.sort(np.lexsort((np.arange(200), exact))[:37])
    np.testing.assert_array_equal(got, expected)


def test_settle_nearest_reassigns_only_rows_in_doubt():
    centers = np.array([[0.0], [2.0], [9.0]])
    X = np.array([[1.0 + 1e-9], [0.2], [1.0], [1.0]])  # nearest: 1, 0, tie -> 0
    nearest = np.array([0, 1, 1, 1])  # the float32 answers, two of them wrong
    best = np.array([1.0, 3.24, 1.0, 1.0])
    runner = np.array([1, 0, 0, 0])
    second = np.array([1.0, 3.3, 1.0, 1.0])  # row 1 is far from any doubt
    third = np.array([49.0, 64.0, 64.0, 1.0])  # row 3: a third center in doubt
    got = settle_nearest(
        nearest, best, (runner, second, third, 1.0), 1e-6, lambda p: X[p], centers
    )
    np.testing.assert_array_equal(got, [1, 1, 0, 0])


def test_sampled_kmeans_assignment_equals_the_float64_one():
    X, _ = blobs(n=5000, d=16, centers=10)  # 30 centroids: blobs split, near-ties
    km = SampledKMeans(30, samples_per_cluster=40, random_state=0).fit(X)
    D = exact_sq_dists(X, km.cluster_centers_)
    np.testing.assert_array_equal(km.labels_, D.argmin(axis=1))
    np.testing.assert_array_equal(km.predict(X[:100]), D[:100].argmin(axis=1))


def test_condition_pool_centres_in_float64_and_scales_exactly():
    X = np.array([[1e5 + 1.0, 3.0], [1e5 - 1.0, 5.0]])
    Xw, offset, exponent, sq = condition_pool(X)
    np.testing.assert_array_equal(Xw, [[1.0, -1.0], [-1.0, 1.0]])
    np.testing.assert_array_equal(sq, [2.0, 2.0])
    assert exponent == 0
    Xw, _, exponent, _ = condition_pool(X * 2.0**60)
    assert exponent < -60 and np.abs(Xw).max() <= 1
    # Scaled exactly: back in X's units, the centred values are +-2**60.
    np.testing.assert_array_equal(
        Xw.astype(np.float64) * 2.0**-exponent,
        [[2.0**60, -(2.0**60)]] * np.array([[1], [-1]]),
    )
    # An offset smaller than the spread is not worth a copy, where allowed.
    Xs = np.array([[1.0, 3.0], [-1.5, -2.0]], dtype=np.float32)
    assert condition_pool(Xs, center="auto")[0] is Xs
    assert condition_pool(Xs)[0] is not Xs
    X32 = np.ones((3, 2), dtype=np.float32)
    assert condition_pool(X32, center=False)[0] is X32  # nothing to do: no copy


# Every OpenBLAS kernel this CPU runs gives the same picks.

KERNEL_FLAGS = {"Sandybridge": "avx", "Haswell": "avx2", "SkylakeX": "avx512f"}

_PICKS_SCRIPT = r"""
import json, sys, warnings
import numpy as np
from sklearn.datasets import make_blobs
from threadpoolctl import threadpool_info
from skactive import CoresetSampler, TypiClustSampler
from skactive.cluster import SampledKMeans

warnings.simplefilter("ignore")
X, _ = make_blobs(n_samples=4000, centers=30, n_features=6, random_state=0)
mask = np.zeros(len(X), dtype=bool)
mask[np.random.RandomState(50).choice(len(X), 50, replace=False)] = True
out = {"arch": sorted({i.get("architecture") for i in threadpool_info()
                       if i["internal_api"] == "openblas"})}
for offset in (0.0, 1e3):
    X32 = (X + offset).astype(np.float32)
    for n_labeled, m in ((0, None), (50, mask)):
        out[f"coreset-{offset}-{n_labeled}"] = (
            CoresetSampler(random_state=0).fit(X32).query(m, 600).tolist())
    out[f"typiclust-{offset}"] = (
        TypiClustSampler(random_state=0).fit(X32).query(budget=200).tolist())
    out[f"typiclust-sampled-{offset}"] = TypiClustSampler(
        clusterer="sampled", typicality="sampled", random_state=0
    ).fit(X32).query(mask, 100).tolist()
    out[f"sampled-kmeans-{offset}"] = SampledKMeans(
        60, samples_per_cluster=30, random_state=0).fit(X32).labels_.tolist()
out["typiclust-raw-1e4"] = TypiClustSampler(normalize=False, random_state=0).fit(
    X + 1e4).query(mask, 200).tolist()
json.dump(out, sys.stdout)
"""


def supported_kernels():
    with open("/proc/cpuinfo") as f:
        flags = set(next(line for line in f if line.startswith("flags")).split())
    return [kernel for kernel, flag in KERNEL_FLAGS.items() if flag in flags]


@pytest.mark.skipif(
    not os.path.exists("/proc/cpuinfo"), reason="reads the CPU flags of Linux"
)
def test_picks_are_the_same_under_every_openblas_kernel():
    kernels = supported_kernels()
    if len(kernels) < 2:
        pytest.skip(f"this CPU runs only {kernels}")
    results = {}
    for kernel in kernels:
        env = dict(os.environ, OPENBLAS_CORETYPE=kernel, OPENBLAS_NUM_THREADS="1")
        run = subprocess.run(
            [sys.executable, "-c", _PICKS_SCRIPT],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        results[kernel] = json.loads(run.stdout)
        assert results[kernel].pop("arch") == [kernel]  # the kernel really ran
    first, *others = kernels
    for kernel in others:
        for key, picks in results[first].items():
            assert results[kernel][key] == picks, f"{key}: {first} vs {kernel}"


# Clear errors, and nothing left over from an earlier fit.


def samplers_with_n_jobs():
    from skactive.utils import all_samplers

    return [cls for _, cls in all_samplers() if "n_jobs" in cls().get_params()]


@pytest.mark.parametrize("sampler", samplers_with_n_jobs())
def test_n_jobs_zero_is_a_clear_error(sampler):
    X, _ = blobs()
    with pytest.raises(ValueError, match="n_jobs"):
        sampler(n_jobs=0).fit(X)
    sampler(n_jobs=-1).fit(X)  # all cores, as joblib means it


def test_clusterer_given_as_a_class_is_a_clear_error():
    X, _ = blobs()
    with pytest.raises(TypeError, match=r"clusterer=KMeans is a class.*KMeans\(\)"):
        TypiClustSampler(clusterer=KMeans).fit(X)


def test_refit_drops_what_a_query_of_the_old_pool_left():
    X, _ = blobs()
    sampler = TypiClustSampler(random_state=0).fit(X)
    sampler.query(budget=3)
    with pytest.warns(DeprecationWarning):
        assert len(sampler.labels_) == len(X)
    sampler.fit(X[:100])
    names = ("labels_", "query_scores_", "n_clusters_", "query_clusters_")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # gone, not deprecated: no warning either
        for name in names:
            with pytest.raises(AttributeError, match=name):
                getattr(sampler, name)
            assert not hasattr(sampler, name)
        details = sampler.query_details(budget=3)
        # query_details describes the new pool, and stores nothing on the sampler.
        assert details.cluster_labels.shape == (100,)
        assert details.n_clusters == 3
        assert details.indices.shape == (3,) and np.all(details.indices < 100)
        np.testing.assert_array_equal(
            details.cluster_labels[details.indices], details.pick_clusters
        )
        assert not any(hasattr(sampler, name) for name in names)


@pytest.mark.parametrize("scale", [1e37, 1e-37])
def test_float32_pools_at_the_ends_of_the_float32_range(scale):
    X, mask = blobs(n=300, n_labeled=1)
    X32 = (X * scale).astype(np.float32)
    np.testing.assert_array_equal(
        CoresetSampler().fit(X32).query(mask, 5), CoresetSampler().fit(X).query(mask, 5)
    )
