# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""The samplers on a dask pool, on a LocalCluster of 2 worker processes: the picks
and scores equal the in-memory path's for the same random_state."""

import warnings

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits, make_blobs

from skactive import RandomSampler, TypiClustSampler

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client(dask_client):
    """The 2-process LocalCluster of tests/dask/conftest.py."""
    return dask_client


@pytest.fixture(scope="module")
def digits():
    return load_digits().data  # float64, 1797 x 64


@pytest.fixture(scope="module")
def blobs():
    X, _ = make_blobs(n_samples=3000, centers=12, n_features=8, random_state=0)
    return X.astype(np.float32)


def _uneven(X, sizes):
    rest = len(X) - sum(sizes)
    return da.from_array(X, chunks=(tuple(sizes) + (rest,), X.shape[1]))


def _mask(n, n_labeled, seed=0):
    mask = np.zeros(n, dtype=bool)
    mask[np.random.RandomState(seed).choice(n, n_labeled, replace=False)] = True
    return mask


def _assert_same_selection(memory, chunked):
    np.testing.assert_array_equal(chunked.indices, memory.indices)
    np.testing.assert_array_equal(chunked.scores, memory.scores)  # NaN == NaN here
    np.testing.assert_array_equal(chunked.pick_clusters, memory.pick_clusters)
    np.testing.assert_array_equal(chunked.cluster_labels, memory.cluster_labels)
    assert chunked.n_clusters == memory.n_clusters


def _both(X, dask_X, mask, budget, **params):
    params = {"clusterer": "sampled", "random_state": 0, **params}
    memory = TypiClustSampler(**params).fit(X).query_details(mask, budget)
    chunked = TypiClustSampler(**params).fit(dask_X).query_details(mask, budget)
    return memory, chunked


def test_the_pool_is_read_on_the_workers(client, blobs):
    # Client() made itself the default scheduler: the passes of fit and query run
    # as tasks on its workers, one task per chunk and pass.
    dask_X = da.from_array(blobs, chunks=500)
    with distributed.get_task_stream(client) as stream:
        TypiClustSampler(random_state=0).fit(dask_X).query(budget=3)
    workers = {task["worker"] for task in stream.data}
    assert workers and workers <= set(client.scheduler_info()["workers"])
    assert len(stream.data) >= 3 * dask_X.numblocks[0]  # stats, sample, labels


@pytest.mark.parametrize("n_labeled, budget", [(0, 7), (40, 25), (0, 1797)])
def test_random_picks_equal_in_memory(client, digits, n_labeled, budget):
    mask = _mask(len(digits), n_labeled)
    budget = min(budget, int((~mask).sum()))
    memory = RandomSampler(random_state=4).fit(digits).query(mask, budget)
    chunked = RandomSampler(random_state=4).fit(da.from_array(digits, chunks=500))
    np.testing.assert_array_equal(chunked.query(mask, budget), memory)


@pytest.mark.parametrize(
    "n_labeled, budget, params",
    [
        (0, 10, {}),  # cold start, budget below the number of clusters
        (30, 20, {}),  # labeled points
        (0, 25, {"max_clusters": 6}),  # round robin over 6 clusters
        (15, 12, {"typicality": "sampled", "typicality_sample_size": 16}),
        (0, 9, {"normalize": False, "random_state": 5}),
    ],
    ids=["cold", "labeled", "round-robin", "sampled-typicality", "unnormalized"],
)
def test_typiclust_on_digits_equals_in_memory(
    client, digits, n_labeled, budget, params
):
    mask = _mask(len(digits), n_labeled, seed=n_labeled)
    dask_X = da.from_array(digits, chunks=(450, 64))
    memory, chunked = _both(digits, dask_X, mask, budget, **params)
    _assert_same_selection(memory, chunked)


@pytest.mark.parametrize(
    "n_labeled, budget, params",
    [
        (0, 12, {}),
        (25, 30, {"max_clusters": 20}),  # round robin: 20 clusters, 30 picks
        (0, 8, {"typicality": "sampled", "typicality_sample_size": 0}),
    ],
)
def test_typiclust_on_uneven_chunks_equals_in_memory(
    client, blobs, n_labeled, budget, params
):
    mask = _mask(len(blobs), n_labeled, seed=1)
    dask_X = _uneven(blobs, (1, 997, 3, 1200, 40))  # training sample < pool
    memory, chunked = _both(blobs, dask_X, mask, budget, **params)
    _assert_same_selection(memory, chunked)


def test_auto_clusterer_is_sampled_on_a_dask_pool(client, digits):
    dask_X = da.from_array(digits, chunks=600)
    chunked = TypiClustSampler(random_state=2).fit(dask_X).query_details(budget=6)
    memory = TypiClustSampler(clusterer="sampled", random_state=2).fit(digits)
    _assert_same_selection(memory.query_details(budget=6), chunked)


class _SmallStages(TypiClustSampler):
    """TypiClust whose passes over the pool stage about 600 rows of digits."""

    def _row_source(self, groups, candidates):
        from skactive._dask._typiclust import CandidateRows

        self.source = CandidateRows(
            self._pool, self.normalize, groups, candidates, stage_bytes=600 * 256
        )
        return self.source.rows_of


def test_small_stages_take_more_passes_and_select_the_same(client, digits):
    mask = _mask(len(digits), 10)
    params = {"clusterer": "sampled", "random_state": 1, "max_clusters": 8}
    memory = TypiClustSampler(**params).fit(digits).query_details(mask, 30)
    sampler = _SmallStages(**params).fit(da.from_array(digits, chunks=400))
    chunked = sampler.query_details(mask, 30)
    _assert_same_selection(memory, chunked)
    # 8 clusters of about 225 candidates, two or three per pass, visited about four
    # times each (round robin): a pass whenever the next cluster is not staged.
    assert 4 <= sampler.source.n_passes <= 30
    staged = sum(len(sampler.source.members[c]) for c in sampler.source.staged)
    biggest = max(len(m) for m in sampler.source.members.values())
    assert staged <= max(600, biggest)


def test_staging_uses_a_quarter_of_the_workers_memory(client):
    import dask

    from skactive._dask._typiclust import _CLIENT_BYTES, staging_bytes

    workers = client.scheduler_info(n_workers=-1)["workers"].values()
    limits = [w["memory_limit"] for w in workers]
    expected = (
        max(_CLIENT_BYTES, sum(limits) // 4) if all(limits) else 2 * _CLIENT_BYTES
    )
    assert staging_bytes() == expected
    with dask.config.set(scheduler="threads"):  # rows staged in this process
        assert staging_bytes() == _CLIENT_BYTES


def test_nan_raises_as_in_memory(client, digits):
    X = digits.copy()
    X[1500, 3] = np.nan
    with pytest.raises(ValueError) as memory:
        TypiClustSampler().fit(X)
    with pytest.raises(ValueError) as chunked:
        TypiClustSampler().fit(da.from_array(X, chunks=400))
    assert str(chunked.value) == str(memory.value)


def test_unknown_chunk_sizes(client, blobs):
    lazy = da.from_array(blobs, chunks=700)
    filtered = lazy[lazy[:, 0] > -np.inf]  # every row, chunk sizes unknown
    assert np.isnan(filtered.shape[0])
    memory, chunked = _both(blobs, filtered, None, 10)
    _assert_same_selection(memory, chunked)


def test_zarr_store(client, blobs, tmp_path):
    zarr = pytest.importorskip("zarr")
    store = tmp_path / "pool.zarr"
    array = zarr.open_array(
        store, mode="w", shape=blobs.shape, chunks=(512, 8), dtype=blobs.dtype
    )
    array[:] = blobs
    memory, chunked = _both(blobs, da.from_zarr(str(store)), _mask(3000, 5), 10)
    _assert_same_selection(memory, chunked)
    np.testing.assert_array_equal(zarr.open_array(store, mode="r")[:], blobs)


def test_npy_stack_and_memory_mapped_npy(client, blobs, tmp_path):
    da.to_npy_stack(tmp_path / "stack", da.from_array(blobs, chunks=900), axis=0)
    memory, chunked = _both(blobs, da.from_npy_stack(tmp_path / "stack"), None, 6)
    _assert_same_selection(memory, chunked)
    path = tmp_path / "pool.npy"
    np.save(path, blobs)
    mapped = np.load(path, mmap_mode="r")
    _, from_map = _both(blobs, da.from_array(mapped, chunks=1100), None, 6)
    _assert_same_selection(memory, from_map)
    np.testing.assert_array_equal(np.load(path), blobs)


def test_inputs_are_not_modified(client, digits):
    X = digits.copy()
    mask = _mask(len(X), 12)
    mask_copy = mask.copy()
    TypiClustSampler(random_state=0).fit(da.from_array(X, chunks=500)).query(mask, 5)
    np.testing.assert_array_equal(X, digits)
    np.testing.assert_array_equal(mask, mask_copy)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"clusterer": "reference"}, "clusterer='reference' is not supported"),
        ({"clusterer": KMeans(3)}, "clusterer=KMeans"),
        ({"device": "cpu"}, "device='cpu' is not supported"),
    ],
)
def test_unsupported_parameters_are_refused_on_a_dask_pool(params, match):
    X = da.zeros((20, 3), chunks=(10, 3))
    with pytest.raises(ValueError, match=match):
        TypiClustSampler(**params).fit(X)


def test_small_spread_warns_as_in_memory(client, blobs):
    X = blobs * 1e-3  # mean squared distance between points about 2e-5
    with pytest.warns(UserWarning, match="mean squared distance") as memory:
        TypiClustSampler(normalize=False).fit(X)
    with pytest.warns(UserWarning, match="mean squared distance") as chunked:
        TypiClustSampler(normalize=False).fit(da.from_array(X, chunks=700))
    assert str(chunked[0].message) == str(memory[0].message)


def test_collapsed_rows_warn_as_in_memory(client, blobs):
    # Rows sharing an offset far above their spread: normalize=True warns from the
    # statistics pass over the chunks, with the in-memory message.
    from skactive.samplers._normalize import unit_rows_spread

    X = blobs.astype(np.float64) + 1e5
    with pytest.warns(UserWarning, match="Centre or standardise") as memory:
        TypiClustSampler().fit(X)
    with pytest.warns(UserWarning, match="Centre or standardise") as chunked:
        pool = TypiClustSampler().fit(_uneven(X, [500, 1200]))._pool
    assert str(chunked[0].message) == str(memory[0].message)
    assert chunked[0].filename == __file__
    spread = unit_rows_spread(X, np.linalg.norm(X, axis=1))
    np.testing.assert_allclose(pool.unit_spread, spread, rtol=1e-6, atol=1e-12)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*one direction")
        pool = TypiClustSampler().fit(da.from_array(blobs, chunks=700))._pool
    spread = unit_rows_spread(blobs, np.linalg.norm(blobs, axis=1))
    np.testing.assert_allclose(pool.unit_spread, spread, rtol=1e-6)


def _float64_shards(folder, X, sizes):
    """X written as .npy shards by np.save (float64 kept), opened as skactive
    select opens a folder: each shard memory-mapped, read-only."""
    from skactive._dask._io import open_pool

    folder.mkdir()
    bounds = np.cumsum([0, *sizes, len(X) - sum(sizes)])
    for i, (start, stop) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        np.save(folder / f"part_{i:02d}.npy", X[start:stop])
    return open_pool(folder)[0]


def test_typiclust_on_float64_npy_shards_equals_in_memory(client, digits, tmp_path):
    shards = _float64_shards(tmp_path / "shards", digits, [600, 1])
    assert shards.dtype == np.float64
    memory, chunked = _both(digits, shards, _mask(len(digits), 6), 9)
    _assert_same_selection(memory, chunked)


def test_typiclust_on_dask_dataframe_values_equals_in_memory(client, digits):
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    values = dd.from_pandas(pd.DataFrame(digits), npartitions=4).values
    memory, chunked = _both(digits, values, None, 9)
    _assert_same_selection(memory, chunked)


def test_typiclust_on_a_float64_npy_stack_equals_in_memory(client, digits, tmp_path):
    # da.from_npy_stack memory-maps its files read-only, as the shards are read.
    da.to_npy_stack(tmp_path / "stack", da.from_array(digits, chunks=700), axis=0)
    stack = da.from_npy_stack(tmp_path / "stack")
    assert stack.dtype == np.float64
    memory, chunked = _both(digits, stack, _mask(len(digits), 4), 7)
    _assert_same_selection(memory, chunked)


@pytest.mark.parametrize("scale", [1e-170, 1e160])
def test_typiclust_at_extreme_scales_equals_in_memory(client, digits, scale):
    # float64 rows whose squares vanish or overflow in float64: the statistics
    # pass squares them times a power of two, as condition_pool does.
    X = digits * scale
    mask = _mask(len(X), 20)
    memory, chunked = _both(X, _uneven(X, [400, 900]), mask, 10)
    _assert_same_selection(memory, chunked)
    unscaled, _ = _both(digits, _uneven(digits, [400, 900]), mask, 10)
    np.testing.assert_array_equal(chunked.indices, unscaled.indices)


def test_sampled_kmeans_on_a_dask_pool_sets_the_working_exponent(client, blobs):
    # Centred rows of magnitude below 2**-32: SampledKMeans.fit multiplies them by
    # a power of two, and the dask fit must work on the same rows.
    from skactive._dask._pool import condition_dask_pool
    from skactive._dask._typiclust import fit_sampled_kmeans
    from skactive.cluster import SampledKMeans

    X = blobs.astype(np.float64) * 1e-6 + 1e6
    pool = condition_dask_pool(_uneven(X, [500, 1200]), TypiClustSampler())
    memory = SampledKMeans(12, random_state=0).fit(pool.data.compute())
    assert memory._exponent != 0
    chunked = fit_sampled_kmeans(SampledKMeans(12, random_state=0), pool)
    assert chunked._exponent == memory._exponent
    np.testing.assert_array_equal(chunked.labels_, memory.labels_)
    np.testing.assert_array_equal(chunked.cluster_centers_, memory.cluster_centers_)
    assert chunked.inertia_ == memory.inertia_
