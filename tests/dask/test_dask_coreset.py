# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""CoresetSampler on a dask array, on a 2-process LocalCluster: the picks and the
scores are those of the in-memory path, exactly."""

import time

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_blobs

from skactive import CoresetSampler, k_center_greedy
from skactive.base import get_sampler_tags

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")

UNEVEN = (1, 40, 7, 300, 2, 150)  # rows per chunk; the rest in a last chunk


def _chunked(X, rows=UNEVEN):
    sizes = [r for r in rows if r < len(X)]
    sizes = sizes + [len(X) - sum(sizes)]
    return da.from_array(X, chunks=(tuple(sizes), X.shape[1]))


def _mask(n, n_labeled, seed=0):
    mask = np.zeros(n, dtype=bool)
    mask[np.random.RandomState(seed).choice(n, n_labeled, replace=False)] = True
    return mask


def _assert_same(X, mask, budget, rows=UNEVEN, seed=0):
    """The dask path's picks and scores equal the in-memory path's; returns
    them."""
    expected = CoresetSampler(random_state=seed).fit(X)
    expected = expected.query(mask, budget, return_scores=True)
    sampler = CoresetSampler(random_state=seed).fit(_chunked(X, rows))
    got = sampler.query(mask, budget, return_scores=True)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])
    assert got[0].dtype == np.intp and got[1].dtype == np.float64
    return got


@pytest.fixture(scope="module")
def digits():
    return load_digits().data


def test_coreset_has_the_dask_tag():
    assert get_sampler_tags(CoresetSampler()).dask


@pytest.mark.parametrize("n_labeled", [0, 1, 25])
@pytest.mark.parametrize("budget", [1, 40])  # 40 is more than the 7 chunks
def test_digits_picks_and_scores_equal_the_in_memory_path(
    dask_client, digits, n_labeled, budget
):
    mask = _mask(len(digits), n_labeled)
    picks, scores = _assert_same(digits, mask, budget)
    assert not mask[picks].any() and len(set(picks)) == budget
    assert np.isinf(scores[0]) == (n_labeled == 0)


@pytest.mark.parametrize("n_labeled", [0, 10])
@pytest.mark.parametrize("rows", [UNEVEN, (900,), (1,) * 12], ids=["uneven", "2", "1s"])
def test_blobs_in_uneven_chunks_equal_the_in_memory_path(dask_client, n_labeled, rows):
    X, _ = make_blobs(n_samples=1000, centers=7, n_features=5, random_state=3)
    mask = _mask(len(X), n_labeled, seed=1)
    if n_labeled:
        mask[0] = True  # a chunk of one labeled row has no candidate
    _assert_same(X.astype(np.float32), mask, 120, rows=rows, seed=2)


def test_duplicate_rows_tie_to_the_lowest_index(dask_client):
    X, _ = make_blobs(n_samples=200, centers=4, n_features=3, random_state=0)
    X = np.vstack([X, X[::-1], X])  # every row three times, in different chunks
    mask = np.zeros(len(X), dtype=bool)
    mask[5] = True
    picks, _ = _assert_same(X, mask, 60)
    for p in picks:
        copies = np.flatnonzero((X == X[p]).all(axis=1) & ~mask)
        assert p == copies[0]  # the first unlabeled copy


@pytest.mark.parametrize(
    "scale, shift", [(1.0, 1e6), (1.0, -3e4), (1e30, 0.0), (1e-25, 1e-22)]
)
def test_translated_and_scaled_pools_equal_the_in_memory_path(
    dask_client, digits, scale, shift
):
    X = digits * scale + shift  # centred (and scaled by a power of two) by fit
    for n_labeled in (0, 12):
        _assert_same(X, _mask(len(X), n_labeled, seed=4), 30)


def test_inputs_are_not_modified(dask_client, digits):
    X = digits.copy()
    mask = _mask(len(X), 9)
    mask_before = mask.copy()
    lazy = _chunked(X)
    CoresetSampler(random_state=0).fit(lazy).query(mask, 10)
    np.testing.assert_array_equal(X, digits)
    np.testing.assert_array_equal(mask, mask_before)
    np.testing.assert_array_equal(lazy.compute(), digits)


def test_k_center_greedy_takes_a_dask_array(dask_client, digits):
    mask = _mask(len(digits), 3)
    expected = k_center_greedy(digits, 15, mask, return_distance=True)
    got = k_center_greedy(_chunked(digits), 15, mask, return_distance=True)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])


def test_queries_are_repeatable_and_leave_no_actor(dask_client, digits):
    sampler = CoresetSampler(random_state=5).fit(_chunked(digits))
    first = sampler.query(budget=12)
    np.testing.assert_array_equal(sampler.query(budget=12), first)

    def n_actors():
        held = dask_client.run(lambda dask_worker: len(dask_worker.state.actors))
        return sum(held.values())

    for _ in range(100):  # the workers release them as the scheduler tells them
        if n_actors() == 0:
            break
        time.sleep(0.05)
    assert n_actors() == 0


def test_verbose_reports_the_picks(dask_client, digits, capsys):
    CoresetSampler(verbose=1, random_state=0).fit(_chunked(digits)).query(budget=20)
    assert "[CoresetSampler] 20 picks in" in capsys.readouterr().err


def test_a_torch_device_is_refused_with_a_dask_array(digits):
    with pytest.raises(ValueError, match="device='cuda'"):
        CoresetSampler(device="cuda").fit(_chunked(digits))


def test_query_without_a_client_says_to_start_one(digits, monkeypatch):
    import distributed

    sampler = CoresetSampler().fit(_chunked(digits))

    def no_client():
        raise ValueError("No clients found")

    monkeypatch.setattr(distributed, "default_client", no_client)
    with pytest.raises(ValueError, match="no Client is running"):
        sampler.query(budget=2)


def test_refit_on_numpy_forgets_the_dask_pool(dask_client, digits):
    sampler = CoresetSampler(random_state=0).fit(_chunked(digits))
    sampler.fit(digits[:500])
    assert isinstance(sampler.X_fit_, np.ndarray)
    assert sampler.query(budget=3).max() < 500


@pytest.mark.parametrize(
    "n, d, chunks, dtype",
    [
        (70_000, 3, (1, 32_767, 30_000), np.float32),  # a block cut in three
        (300_000, 1, (100_000, 100_000), np.float64),  # d = 1: pairwise sums
        (1797, 64, UNEVEN, np.float64),
    ],
)
def test_column_sums_are_those_of_condition_pool(n, d, chunks, dtype):
    from skactive._dask._means import column_sums
    from skactive._kernels._exact import condition_pool

    X = (np.random.RandomState(0).standard_normal((n, d)) + 1e4).astype(dtype)
    _, offset, _, _ = condition_pool(X, center=True)
    sums = column_sums(_chunked(X, chunks))
    np.testing.assert_array_equal(sums / n, offset)


def test_a_shard_sends_no_candidate_before_the_first_center():
    from skactive._dask._coreset import N_TOP, CoresetShard

    X = np.random.RandomState(0).standard_normal((60, 4)).astype(np.float32)
    sq = np.einsum("ij,ij->i", X, X)
    chunks = [(X[:25], sq[:25], None), (X[25:], sq[25:], None)]
    shard = CoresetShard(chunks, [0, 25], 4)
    index, values, rows, _, bound, _ = shard.start(1e-6, X[:0], sq[:0], [], 5)
    assert len(index) == len(values) == len(rows) == 0  # every distance is inf
    assert bound == np.inf
    index, values, rows, _, bound, _ = shard.add([7], X[7:8], sq[7:8])
    d = ((X - X[7]) ** 2).sum(axis=1)
    assert np.argmax(d) in index and 7 not in index
    assert len(index) == N_TOP  # the 32 farthest (no near-tie beyond them)
    np.testing.assert_array_equal(rows, X[index])
    np.testing.assert_allclose(values, d[index], rtol=1e-5)
    assert np.sort(d)[-N_TOP - 1] == pytest.approx(bound, rel=1e-5)


@pytest.mark.parametrize("n_labeled", [0, 20])
def test_rows_read_again_at_each_call_give_the_same_picks(
    dask_client, digits, n_labeled
):
    from skactive._dask._coreset import dask_k_center_greedy

    X = digits + 1e5  # centred by fit
    mask = _mask(len(X), n_labeled)
    expected = CoresetSampler(random_state=0).fit(X)
    expected = expected.query(mask, 30, return_scores=True)
    sampler = CoresetSampler(random_state=0).fit(_chunked(X))
    rng = np.random.RandomState(0)
    pool = sampler._dask_pool
    picks, dists = dask_k_center_greedy(pool, mask, 30, rng, dask_client, hold=False)
    np.testing.assert_array_equal(picks, expected[0])
    np.testing.assert_array_equal(dists * 2.0**-pool.exponent, expected[1])


def test_streamed_shards_hold_no_rows_between_calls(dask_client, digits):
    from skactive._dask._coreset import load_shards

    pool = CoresetSampler().fit(_chunked(digits))._dask_pool
    rows = digits[:1].astype(np.float32)
    sq = (rows**2).sum(axis=1).astype(np.float32)
    for hold in (False, True):
        shards, handles = load_shards(dask_client, pool, hold=hold)
        try:
            held = [s.held_bytes().result() for s in shards]
            for shard in shards:
                shard.start(1e-3, rows, sq, [0], 3).result()
                assert len(shard.add([5], rows, sq).result()[0]) > 0
            assert [s.held_bytes().result() for s in shards] == held
        finally:
            dask_client.cancel(handles)
        assert sum(held) == (digits.size * 4 if hold else 0)


def test_workers_hold_the_rows_when_they_take_at_most_half_their_memory():
    from skactive._dask._coreset import holds_rows

    assert holds_rows(1000, 64, 0)  # no memory limit
    assert holds_rows(1000, 64, 2 * 4 * 1000 * 64)
    assert not holds_rows(1000, 64, 2 * 4 * 1000 * 64 - 1)


@pytest.mark.parametrize("n_labeled", [0, 30])
def test_picks_the_held_rows_prove_share_a_round_trip(dask_client, n_labeled):
    from skactive._dask._coreset import DaskKCenterGreedy, load_shards
    from skactive._kernels._exact import sq_dist_error
    from skactive._kernels._greedy import run_greedy

    X, _ = make_blobs(n_samples=3000, centers=30, n_features=4, random_state=0)
    mask = _mask(len(X), n_labeled)
    expected = CoresetSampler(random_state=0).fit(X)
    expected = expected.query(mask, 150, return_scores=True)
    pool = CoresetSampler().fit(_chunked(X))._dask_pool
    shards, handles = load_shards(dask_client, pool)
    try:
        top = max(s.max_sq_norm().result() for s in shards)
        err = sq_dist_error(X.shape[1], np.sqrt(top))
        state = DaskKCenterGreedy(shards, err, len(X), X.shape[1], mask, 150)
        first = None if n_labeled else (np.random.RandomState(0).choice(len(X)), 0)
        picks, scores = run_greedy(state, 150, first=first)
    finally:
        dask_client.cancel(handles)
    np.testing.assert_array_equal(picks, expected[0])
    np.testing.assert_array_equal(scores[1:], expected[1][1:])
    assert state.round_trips < 150 / 2  # most picks proved without asking


@pytest.fixture(scope="module")
def blobs64():
    """Float64 blobs around the origin: Coreset does not centre them ("auto"), so
    each chunk is only converted (and scaled by 1) to float32."""
    X, _ = make_blobs(n_samples=1400, centers=9, n_features=6, random_state=3)
    return X


@pytest.mark.parametrize("n_labeled", [0, 5])
def test_float64_npy_shards_equal_the_in_memory_path(
    dask_client, blobs64, tmp_path, n_labeled
):
    from skactive._dask._io import open_pool

    folder = tmp_path / "shards"
    folder.mkdir()
    for i, start in enumerate(range(0, len(blobs64), 500)):
        np.save(folder / f"part_{i}.npy", blobs64[start : start + 500])  # float64
    shards = open_pool(folder)[0]
    assert shards.dtype == np.float64
    mask = _mask(len(blobs64), n_labeled)
    expected = CoresetSampler(random_state=0).fit(blobs64)
    expected = expected.query(mask, 8, return_scores=True)
    got = CoresetSampler(random_state=0).fit(shards)
    got = got.query(mask, 8, return_scores=True)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])


def test_dask_dataframe_values_equal_the_in_memory_path(dask_client, blobs64):
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    values = dd.from_pandas(pd.DataFrame(blobs64), npartitions=4).values
    expected = CoresetSampler(random_state=0).fit(blobs64)
    expected = expected.query(None, 8, return_scores=True)
    got = CoresetSampler(random_state=0).fit(values).query(None, 8, return_scores=True)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])


@pytest.mark.parametrize("scale", [1e30, 1e-25])
def test_float64_pools_rescaled_but_not_centred_equal_the_in_memory_path(
    dask_client, blobs64, scale
):
    # Around the origin "auto" does not centre: the chunks of da.from_array are
    # only scaled by a power of two, in a copy (in place, each read after the
    # first saw them scaled again, and the picks differed).
    X = blobs64 * scale
    for n_labeled in (0, 7):
        _assert_same(X, _mask(len(X), n_labeled, seed=2), 12, rows=(300, 1, 500))
    np.testing.assert_array_equal(X, blobs64 * scale)
