# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import normalize
from sklearn.utils.estimator_checks import parametrize_with_checks

from skactive import TypiClustSampler
from skactive.cluster import SampledKMeans


@parametrize_with_checks([SampledKMeans(n_clusters=3, random_state=0)])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_sampled_kmeans_trains_on_a_sample_and_labels_every_point():
    X, y = make_blobs(n_samples=20_000, centers=5, n_features=8, random_state=0)
    km = SampledKMeans(n_clusters=5, samples_per_cluster=50, random_state=0).fit(X)
    assert km.n_training_samples_ == 250
    assert km.labels_.shape == (20_000,)
    # Every point goes to its nearest centroid.
    d = ((X[:, None, :] - km.cluster_centers_[None].astype(float)) ** 2).sum(-1)
    np.testing.assert_array_equal(km.labels_, d.argmin(axis=1))
    np.testing.assert_array_equal(km.predict(X), km.labels_)
    # 250 points are plenty to find 5 well-separated blobs.
    assert adjusted_rand_score(y, km.labels_) > 0.99


def test_sampled_kmeans_uses_every_point_when_the_pool_is_small():
    X, _ = make_blobs(n_samples=300, centers=4, random_state=1)
    km = SampledKMeans(n_clusters=4, random_state=0).fit(X)
    assert km.n_training_samples_ == 300
    ref = KMeans(4, n_init=10, random_state=0).fit(X)
    assert adjusted_rand_score(ref.labels_, km.labels_) > 0.99


def test_sampled_kmeans_is_deterministic_and_n_init_keeps_the_best():
    X = np.random.RandomState(0).normal(size=(2000, 6))
    a = SampledKMeans(n_clusters=20, n_init=1, random_state=3).fit(X)
    b = SampledKMeans(n_clusters=20, n_init=1, random_state=3).fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)

    def inertia(km):
        return ((X - km.cluster_centers_[km.labels_]) ** 2).sum()

    many = SampledKMeans(n_clusters=20, n_init=8, random_state=3).fit(X)
    assert inertia(many) <= inertia(a) * 1.001


def test_sampled_kmeans_rejects_fewer_samples_than_clusters():
    with pytest.raises(ValueError, match="n_samples=3 should be >= n_clusters=5"):
        SampledKMeans(n_clusters=5).fit(np.eye(3))


def test_typiclust_auto_switches_to_sampled_above_50000_points():
    X, _ = make_blobs(n_samples=400, centers=4, random_state=0)
    chosen = {}
    for clusterer in ("auto", "reference"):
        sampler = TypiClustSampler(clusterer=clusterer, random_state=0).fit(X)
        chosen[clusterer] = sampler.query(budget=4)
    np.testing.assert_array_equal(chosen["auto"], chosen["reference"])
    X, _ = make_blobs(n_samples=50_001, n_features=2, centers=4, random_state=0)
    for clusterer in ("auto", "sampled"):
        sampler = TypiClustSampler(
            clusterer=clusterer, typicality="sampled", random_state=0
        ).fit(X)
        chosen[clusterer] = sampler.query_details(budget=4)
    np.testing.assert_array_equal(
        chosen["auto"].cluster_labels, chosen["sampled"].cluster_labels
    )
    np.testing.assert_array_equal(chosen["auto"].indices, chosen["sampled"].indices)


def test_typiclust_sampled_matches_a_hand_made_sampled_clustering():
    X, _ = make_blobs(n_samples=3000, centers=6, random_state=0)
    sampler = TypiClustSampler(clusterer="sampled", random_state=5).fit(X)
    details = sampler.query_details(budget=6)
    seed = np.random.RandomState(5).randint(2**31 - 1)
    km = SampledKMeans(6, random_state=seed).fit(normalize(X.astype(np.float32)))
    np.testing.assert_array_equal(details.cluster_labels, km.labels_)
    # normalize=True clusters the same rows without the normalised copy.
    km = SampledKMeans(6, normalize=True, random_state=seed).fit(X)
    np.testing.assert_array_equal(details.cluster_labels, km.labels_)
    np.testing.assert_array_equal(km.predict(X), km.labels_)


@pytest.mark.parametrize(
    "name, k",
    [("split blobs", 40), ("integer grid", 25), ("duplicates", 30)],
)
def test_lloyd_bounds_skip_rows_without_changing_any_label(name, k):
    # Hamerly's bounds against the plain iterations: the same centroids to the bit,
    # inertia and iteration count, on blobs split between centroids (rows near
    # bisectors), exact ties on a grid and repeated rows.
    from sklearn.cluster import kmeans_plusplus

    from skactive.cluster._kmeans import _lloyd

    rs = np.random.RandomState(0)
    if name == "split blobs":
        X, _ = make_blobs(n_samples=4000, centers=20, n_features=16, random_state=0)
    elif name == "integer grid":
        X = rs.randint(-2, 3, size=(2000, 3)).astype(np.float64)
    else:
        X = np.repeat(rs.normal(size=(300, 5)), 4, axis=0)
    init, _ = kmeans_plusplus(X, k, random_state=0)
    plain = _lloyd(X, init, 30, bounds=False)
    fast = _lloyd(X, init, 30, bounds=True)
    np.testing.assert_array_equal(fast[0], plain[0])
    assert fast[1:] == plain[1:]
    assert plain[2] > 1  # the bounds were used
