# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""ProbCover and MaxHerding against brute-force dense implementations of the same
rules, written here with every pair's float64 distance."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.neighbors import KNeighborsTransformer
from sklearn.preprocessing import normalize

from skactive import MaxHerdingSampler, ProbCoverSampler
from skactive._kernels._coverage import TIE_RTOL, SparseGains, kernel_values
from skactive.samplers._probcover import purity_delta


def pair_dists(X):
    X = np.asarray(X, dtype=np.float64)
    return np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2))


def knn_mask(D, k):
    """Row j: j itself and its k nearest others (ties by index)."""
    n = len(D)
    order = np.lexsort((np.broadcast_to(np.arange(n), D.shape), D), axis=1)
    keep = np.zeros_like(D, dtype=bool)
    for j in range(n):
        others = [i for i in order[j] if i != j][:k]
        keep[j, [j, *others]] = True
    return keep


def brute_probcover(D, delta, mask, budget, k):
    """The rules of ProbCoverSampler, on a dense matrix: balls within delta among
    the k nearest, labeled balls covered first, the largest count of uncovered
    points (lowest index), a restart once everything is covered."""
    balls = D < delta
    if k is not None:
        balls &= knn_mask(D, k)
    taken = mask.copy()
    covered = balls[mask].any(axis=0)
    picks = []
    for _ in range(budget):
        gain = np.where(taken, -1, (balls & ~covered).sum(axis=1))
        if gain.max() <= 0:
            covered = taken.copy()
            gain = np.where(taken, -1, (balls & ~covered).sum(axis=1))
        j = int(np.argmax(gain))
        picks.append(j)
        taken[j] = True
        covered |= balls[j]
    return np.array(picks)


def brute_herding(D, h, mask, budget, kernel="rbf", k=None):
    """Greedy facility location with every gain recomputed at every step."""
    K = kernel_values(D**2, kernel, h)
    if k is not None:
        K = np.where(knn_mask(D, k), K, 0.0)
    n = len(D)
    m = K[mask].max(axis=0) if mask.any() else np.zeros(n)
    taken = mask.copy()
    picks = []
    for _ in range(budget):
        gain = np.maximum(K - m[None, :], 0).sum(axis=1) / n
        gain[taken] = -np.inf
        best = gain.max()
        if best <= 0:
            j = int(np.flatnonzero(~taken)[0])
        else:
            j = int(np.flatnonzero(gain >= best - TIE_RTOL * best)[0])
        picks.append(j)
        taken[j] = True
        m = np.maximum(m, K[j])
    return np.array(picks)


@pytest.fixture(scope="module")
def digits():
    X = load_digits().data[:400]
    return normalize(X).astype(np.float32)


def masks(n, seed=0):
    rs = np.random.RandomState(seed)
    labeled = np.zeros(n, dtype=bool)
    labeled[rs.choice(n, 15, replace=False)] = True
    return [np.zeros(n, dtype=bool), labeled]


@pytest.mark.parametrize("delta", [0.3, 0.45, 0.8])
@pytest.mark.parametrize("n_neighbors", [10, 50])
def test_probcover_equals_brute_force(digits, delta, n_neighbors):
    D = pair_dists(digits)
    sampler = ProbCoverSampler(delta, balls="graph", n_neighbors=n_neighbors)
    sampler.fit(digits)
    for mask in masks(len(digits)):
        budget = 60
        expected = brute_probcover(D, delta, mask, budget, n_neighbors)
        np.testing.assert_array_equal(sampler.query(mask, budget), expected)


@pytest.mark.parametrize("delta", [0.3, 0.45, 0.8])
def test_probcover_exact_balls_equal_brute_force(digits, delta):
    D = pair_dists(digits)
    sampler = ProbCoverSampler(delta).fit(digits)  # "auto": exact on small pools
    assert sampler.balls_method_ == "exact" and sampler.n_truncated_ == 0
    for mask in masks(len(digits)):
        expected = brute_probcover(D, delta, mask, 60, None)
        np.testing.assert_array_equal(sampler.query(mask, 60), expected)


def test_probcover_auto_balls_fall_back_to_the_graph():
    # balls of radius 1.5 on unit vectors hold every one of 1,797 points, more than
    # the 1,000 on average "auto" allows exact balls: it takes the graph's
    X = normalize(load_digits().data).astype(np.float32)
    with pytest.warns(UserWarning, match="truncated"):
        auto = ProbCoverSampler(1.5).fit(X)
    assert auto.balls_method_ == "graph" and auto.n_truncated_ == len(X)
    exact = ProbCoverSampler(1.5, balls="exact").fit(X)
    assert exact.balls_method_ == "exact" and exact.balls_.nnz == len(X) ** 2


def test_probcover_restarts_without_repeats():
    # two tight groups: two picks cover everything, the rest is the second round
    rs = np.random.RandomState(0)
    X = np.vstack([rs.normal(0, 0.01, (6, 3)) + 1, rs.normal(0, 0.01, (6, 3)) - 1])
    sampler = ProbCoverSampler(0.5, normalize=False, balls="graph").fit(X)
    mask = np.zeros(12, dtype=bool)
    mask[0] = True
    details = sampler.query_details(mask, 11)
    assert sorted(details.indices) == list(range(1, 12))
    assert details.coverage[0] == 1.0  # the labeled point covered one group
    np.testing.assert_array_equal(
        details.indices, brute_probcover(pair_dists(X), 0.5, mask, 11, 50)
    )


def test_probcover_integer_grid_ties():
    # every distance repeats: the lowest index must win each tie
    X = np.array([[i, j] for i in range(7) for j in range(7)], dtype=np.float64)
    D = pair_dists(X)
    sampler = ProbCoverSampler(1.5, normalize=False, n_neighbors=12, balls="graph")
    sampler.fit(X)
    np.testing.assert_array_equal(
        sampler.query(budget=20), brute_probcover(D, 1.5, np.zeros(49, bool), 20, 12)
    )


def test_purity_delta_rule():
    radius = np.array([0.1, 0.5, 0.2, 0.9, 0.4, 0.3, 0.7, 0.6, 0.8, 1.0])
    # 80 % of the balls pure: delta <= radius for 8 of 10 points
    delta = purity_delta(radius, 0.8)
    assert delta == 0.3
    assert np.mean(radius >= delta) >= 0.8
    assert np.mean(radius >= np.nextafter(delta, 1)) < 0.8


def test_probcover_auto_delta_is_the_purity_rule(digits):
    from skactive.cluster import SampledKMeans

    sampler = ProbCoverSampler(n_classes=10, random_state=0).fit(digits)
    labels = SampledKMeans(10, random_state=0).fit(digits).labels_
    D = pair_dists(digits)
    other = labels[:, None] != labels[None, :]
    radius = np.where(other, D, np.inf).min(axis=1)
    assert sampler.delta_ == pytest.approx(purity_delta(radius, 0.95), rel=1e-12)
    pure = (D < sampler.delta_) & other
    assert np.mean(~pure.any(axis=1)) >= 0.95


def test_probcover_auto_delta_exact_when_the_graph_holds_no_other_cluster(digits):
    # 5 neighbours: most points see no other cluster in the graph, so the exact
    # searches decide delta; with a tiny work cap, lower bounds and a smaller one
    from skactive.cluster import SampledKMeans
    from skactive.neighbors import knn_graph
    from skactive.samplers._probcover import auto_delta

    km = SampledKMeans(10, random_state=0).fit(digits)
    D = pair_dists(digits)
    radius = np.where(km.labels_[:, None] != km.labels_[None, :], D, np.inf).min(1)
    graph = knn_graph(digits, 5)
    args = (digits, graph, km.labels_, km.cluster_centers_, 0.95)
    delta, exact = auto_delta(*args)
    assert exact and delta == pytest.approx(purity_delta(radius, 0.95), rel=1e-12)
    low, exact = auto_delta(*args, max_work=1.0)
    assert not exact and low <= delta


def test_probcover_warns_on_truncated_balls(digits):
    with pytest.warns(UserWarning, match="truncated"):
        sampler = ProbCoverSampler(1.0, n_neighbors=5, balls="graph").fit(digits)
    assert sampler.n_truncated_ > 0.1 * len(digits)


@pytest.mark.parametrize("h", [0.2, 0.5, 1.0])
@pytest.mark.parametrize("kernel", ["rbf", "tophat"])
def test_herding_dense_equals_brute_force(digits, h, kernel):
    D = pair_dists(digits)
    sampler = MaxHerdingSampler(kernel, h, method="dense").fit(digits)
    for mask in masks(len(digits)):
        np.testing.assert_array_equal(
            sampler.query(mask, 40), brute_herding(D, h, mask, 40, kernel)
        )


@pytest.mark.parametrize("n_neighbors", [10, 50])
def test_herding_sparse_equals_brute_force_on_the_graph(digits, n_neighbors):
    D = pair_dists(digits)
    sampler = MaxHerdingSampler(
        bandwidth=0.4, method="sparse", n_neighbors=n_neighbors
    ).fit(digits)
    for mask in masks(len(digits)):
        np.testing.assert_array_equal(
            sampler.query(mask, 40),
            brute_herding(D, 0.4, mask, 40, k=n_neighbors),
        )


def test_herding_sparse_with_every_neighbour_is_dense(digits):
    X = digits[:150]
    dense = MaxHerdingSampler(bandwidth=0.5, method="dense").fit(X)
    full = MaxHerdingSampler(bandwidth=0.5, method="sparse", n_neighbors=149).fit(X)
    for mask in masks(len(X)):
        np.testing.assert_array_equal(dense.query(mask, 30), full.query(mask, 30))


def test_herding_sparse_gain_close_to_exact_gain(digits):
    # at the default bandwidth, the first gains (the kernel densities) of the
    # sparse graph against the exact ones
    sampler = MaxHerdingSampler(method="sparse").fit(digits)
    D = pair_dists(digits)
    exact = kernel_values(D**2, "rbf", sampler.bandwidth_).mean(axis=1)
    sparse_gain = SparseGains(sampler._kernel_graph).gains(np.arange(len(D)))[0]
    assert np.all(sparse_gain <= exact + 1e-12)
    # what the sparse method drops (the user guide reports it on the full sets)
    assert np.median(1 - sparse_gain / exact) < 0.02


def test_herding_coverage_is_the_objective(digits):
    D = pair_dists(digits)
    sampler = MaxHerdingSampler(bandwidth=0.5, method="dense").fit(digits)
    details = sampler.query_details(budget=10)
    K = kernel_values(D**2, "rbf", 0.5)
    for i in range(10):
        expected = K[details.indices[: i + 1]].max(axis=0).mean()
        assert details.coverage[i] == pytest.approx(expected, rel=1e-9)
    np.testing.assert_allclose(np.diff(details.coverage), details.scores[1:], rtol=1e-9)


def test_user_transformer_gives_the_exact_graph(digits):
    ours = ProbCoverSampler(0.45, n_neighbors=20, balls="graph").fit(digits)
    theirs = ProbCoverSampler(
        0.45,
        balls="graph",
        neighbors=KNeighborsTransformer(mode="distance", n_neighbors=20),
    ).fit(digits)
    np.testing.assert_array_equal(ours.query(budget=30), theirs.query(budget=30))


def test_inputs_not_mutated(digits):
    X = digits.copy()
    mask = masks(len(X))[1]
    mask_copy = mask.copy()
    for sampler in [ProbCoverSampler(0.45), MaxHerdingSampler()]:
        sampler.fit(X).query(mask, 5)
    np.testing.assert_array_equal(X, digits)
    np.testing.assert_array_equal(mask, mask_copy)


def brute_weighted_herding(K, mask, budget, u):
    """Weighted greedy facility location on a dense kernel matrix ``K``."""
    n = len(K)
    m = K[mask].max(axis=0) if mask.any() else np.zeros(n)
    taken = mask.copy()
    picks = []
    for _ in range(budget):
        gain = (u[None, :] * np.maximum(K - m[None, :], 0)).sum(axis=1) / n
        gain[taken] = -np.inf
        best = gain.max()
        j = int(np.flatnonzero(gain >= best - TIE_RTOL * best)[0])
        picks.append(j)
        taken[j] = True
        m = np.maximum(m, K[j])
    return np.array(picks)


def test_uherding_cold_start_is_maxherding(digits):
    from skactive import UHerdingSampler

    ours = UHerdingSampler(random_state=0).fit(digits)
    plain = MaxHerdingSampler(random_state=0).fit(digits)
    np.testing.assert_array_equal(ours.query(budget=20), plain.query(budget=20))


@pytest.mark.parametrize("method", ["dense", "sparse"])
def test_uherding_equals_brute_force_weighted_gain(digits, method):
    from sklearn.linear_model import LogisticRegression

    from skactive import UHerdingSampler
    from skactive.samplers._herding import _smallest_distance, _softmax_temperature

    y = load_digits().target[: len(digits)]
    mask = masks(len(digits), seed=3)[1]
    mask[np.flatnonzero(~mask)[:25]] = True
    sampler = UHerdingSampler(
        LogisticRegression(C=10, max_iter=2000), temperature=2.0, method=method
    ).fit(digits)
    details = sampler.query_details(mask, 20, y=np.where(mask, y, -1))
    model = LogisticRegression(C=10, max_iter=2000).fit(digits[mask], y[mask])
    proba = np.sort(_softmax_temperature(model.predict_proba(digits), 2.0), axis=1)
    u = np.where(mask, 0.0, 1.0 - (proba[:, -1] - proba[:, -2]))
    h = min(sampler.bandwidth_, _smallest_distance(digits[mask]))
    assert details.bandwidth == h and details.temperature == 2.0
    D = pair_dists(digits)
    K = kernel_values(D**2, "rbf", h)
    if method == "sparse":
        K = np.where(knn_mask(D, 50), K, 0.0)
    expected = brute_weighted_herding(K, mask, 20, u)
    np.testing.assert_array_equal(details.indices, expected)


def test_uherding_temperature_minimises_ece(digits):
    from skactive import UHerdingSampler
    from skactive.samplers._herding import _TEMPERATURES, expected_calibration_error

    y = load_digits().target[: len(digits)]
    mask = np.zeros(len(digits), dtype=bool)
    mask[:120] = True
    details = (
        UHerdingSampler(random_state=0)
        .fit(digits)
        .query_details(mask, 5, y=np.where(mask, y, -1))
    )
    assert details.temperature in _TEMPERATURES
    proba = np.array([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8]])
    # two of three right at confidences 0.9, 0.6, 0.8 (one bin each)
    ece = expected_calibration_error(proba, np.array([0, 1, 1]), np.array([0, 1]))
    assert ece == pytest.approx((0.1 + 0.6 + 0.2) / 3)


def test_precomputed_graph_is_the_graph_of_the_features(digits):
    graph = KNeighborsTransformer(mode="distance", n_neighbors=50).fit_transform(digits)
    for make in [
        lambda **kw: ProbCoverSampler(0.45, balls="graph", **kw),
        lambda **kw: MaxHerdingSampler(bandwidth=0.3, method="sparse", **kw),
    ]:
        ours = make().fit(digits)
        theirs = make(neighbors="precomputed").fit(graph)
        mask = masks(len(digits))[1]
        np.testing.assert_array_equal(ours.query(mask, 25), theirs.query(mask, 25))
    assert MaxHerdingSampler(neighbors="precomputed").fit(graph).method_ == "sparse"


def test_precomputed_errors(digits):
    from skactive import UHerdingSampler

    graph = KNeighborsTransformer(mode="distance", n_neighbors=5).fit_transform(digits)
    with pytest.raises(TypeError, match="sparse neighbour graph"):
        ProbCoverSampler(0.4, neighbors="precomputed").fit(digits)
    with pytest.raises(ValueError, match="delta='auto' needs the features"):
        ProbCoverSampler(neighbors="precomputed").fit(graph)
    with pytest.raises(ValueError, match='method="dense"'):
        MaxHerdingSampler(method="dense", neighbors="precomputed").fit(graph)
    with pytest.raises(ValueError, match="features"):
        UHerdingSampler(neighbors="precomputed").fit(graph)
    with pytest.raises(ValueError, match="balls='exact' needs the features"):
        ProbCoverSampler(0.4, balls="exact", neighbors="precomputed").fit(graph)
    with pytest.raises(TypeError, match="[Ss]parse"):
        ProbCoverSampler(0.4).fit(graph)


def test_herding_dense_on_a_sample_equals_brute_force(digits):
    # the objective averaged over a uniform sample of the pool, every point a
    # candidate
    sampler = MaxHerdingSampler(bandwidth=0.8, sample_size=150, random_state=0)
    sampler.fit(digits)
    cols = sampler.sample_indices_
    assert len(cols) == 150 and np.all(np.diff(cols) > 0)
    D = pair_dists(digits)
    K = kernel_values(D[:, cols] ** 2, "rbf", 0.8)  # candidates x sample
    for mask in masks(len(digits)):
        m = K[mask].max(axis=0) if mask.any() else np.zeros(150)
        taken, expected = mask.copy(), []
        for _ in range(30):
            gain = np.maximum(K - m[None, :], 0).sum(axis=1) / 150
            gain[taken] = -np.inf
            j = int(np.flatnonzero(gain >= gain.max() * (1 - TIE_RTOL))[0])
            expected.append(j)
            taken[j] = True
            m = np.maximum(m, K[j])
        np.testing.assert_array_equal(sampler.query(mask, 30), expected)
    whole = MaxHerdingSampler(sample_size=len(digits)).fit(digits)
    assert whole.sample_indices_ is None and whole.graph_ is None
    assert whole.bandwidth_ == 1.0  # the authors' h


def test_herding_tophat_on_its_edge_is_decided_exactly():
    # a grid of step 0.1: many pairs lie at the bandwidth up to rounding, and the
    # top-hat kernel must be decided there as elementwise differences decide it
    X = np.array([[0.1 * i, 0.1 * j] for i in range(12) for j in range(12)])
    X = X.astype(np.float32).astype(np.float64)  # the rows the sampler sees
    sq = ((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2)  # elementwise
    none = np.zeros(len(X), dtype=bool)
    for h in [0.1, 0.2, 0.3]:
        sampler = MaxHerdingSampler("tophat", h, method="dense", normalize=False)
        K = kernel_values(sq, "tophat", h)
        np.testing.assert_array_equal(
            sampler.fit(X).query(budget=25),
            brute_weighted_herding(K, none, 25, np.ones(len(X))),
        )
