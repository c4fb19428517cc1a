# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""A dask array as the pool: validation in fit and the conditioning on chunks,
checked against the in-memory path. The threaded scheduler is enough here; the
samplers run on a LocalCluster in test_dask_samplers.py."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.utils.validation import validate_data

from skactive import CoresetSampler, ProbCoverSampler, RandomSampler
from skactive._dask._pool import check_dask_pool, condition_dask_pool
from skactive._kernels._exact import condition_pool
from skactive.base import BaseSampler, get_sampler_tags

da = pytest.importorskip("dask.array")

ROOT = Path(__file__).resolve().parents[2]


class _Named(BaseEstimator):
    """An estimator whose name the messages carry."""


def _uneven(X, rows=(7, 40, 1, 52)):
    """X as a dask array of uneven row chunks (the rest in one last chunk) and
    two column chunks."""
    sizes = list(rows) + [len(X) - sum(rows)]
    return da.from_array(X, chunks=(tuple(sizes), (1, X.shape[1] - 1)))


def _in_memory_error(X, name="_Named"):
    with pytest.raises(ValueError) as info:
        validate_data(_Named(), X, dtype=(np.float64, np.float32), ensure_min_samples=2)
    return str(info.value)


def test_importing_skactive_never_imports_dask():
    code = (
        "import sys, skactive, skactive.base, skactive.samplers, skactive.cli; "
        "print([m for m in ('dask', 'distributed', 'zarr') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stderr


def test_dask_extra_is_declared_and_tested():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    names = {re.match(r"[\w.-]+", spec).group() for spec in extras["dask"]}
    assert names == {"dask", "distributed", "zarr"}
    tests = " ".join(extras["tests"])
    assert "dask" in tests.split("[")[1]


def test_dask_tag_names_the_samplers_that_keep_the_pool_distributed():
    assert get_sampler_tags(RandomSampler()).dask
    assert get_sampler_tags(CoresetSampler()).dask
    assert not get_sampler_tags(ProbCoverSampler()).dask


def test_unsupported_sampler_raises_type_error_naming_it_and_those_that_do():
    X = da.zeros((20, 3), chunks=(5, 3))
    with pytest.raises(TypeError) as info:
        ProbCoverSampler().fit(X)
    text = str(info.value)
    assert text.startswith("ProbCoverSampler does not support a dask array")
    assert "RandomSampler" in text and "CoresetSampler" in text


@pytest.mark.parametrize(
    "shape", [(6,), (1, 3), (5, 0), (2, 2, 2)], ids=["1d", "1row", "0col", "3d"]
)
def test_shape_errors_are_those_of_the_in_memory_path(shape):
    X = np.ones(shape)
    expected = _in_memory_error(X)
    with pytest.raises(ValueError) as info:
        check_dask_pool(da.from_array(X), _Named())
    if len(shape) == 1:  # sklearn prints the array; a dask array is not printed
        head = "Expected 2D array, got 1D array instead"
        assert expected.startswith(head) and str(info.value).startswith(head)
        assert "reshape(-1, 1)" in str(info.value)
    else:
        assert str(info.value) == expected


def test_non_numbers_are_refused_naming_the_dtype():
    X = da.from_array(np.array([["a", "b"], ["c", "d"]]))
    with pytest.raises(ValueError, match="dtype <U1"):
        check_dask_pool(X, _Named())


@pytest.mark.parametrize(
    "dtype, expected",
    [
        (np.float32, np.float32),
        (np.float64, np.float64),
        (np.int64, np.float64),
        (np.float16, np.float64),
        (bool, np.float64),
    ],
)
def test_dtypes_become_what_validate_data_makes(dtype, expected):
    X = (np.arange(24).reshape(8, 3) % 2).astype(dtype)
    checked = check_dask_pool(_uneven(X, rows=(3, 1)), _Named())
    assert checked.dtype == expected
    assert validate_data(_Named(), X, dtype=(np.float64, np.float32)).dtype == expected
    assert checked.chunks == ((3, 1, 4), (3,))  # rows kept, columns in one chunk


def test_unknown_chunk_sizes_are_computed():
    X = np.random.RandomState(0).rand(60, 4)
    lazy = da.from_array(X, chunks=(9, 4))
    picked = lazy[lazy[:, 0] >= 0]  # every row, chunk sizes unknown
    assert np.isnan(picked.shape[0])
    checked = check_dask_pool(picked, _Named())
    assert checked.shape == (60, 4)
    np.testing.assert_array_equal(checked.compute(), X)


def test_dask_dataframe_values_are_accepted():
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    X = np.random.RandomState(1).rand(40, 3)
    values = dd.from_pandas(pd.DataFrame(X), npartitions=3).values
    sampler = RandomSampler(random_state=0).fit(values)
    assert (sampler.n_samples_fit_, sampler.n_features_in_) == (40, 3)


def test_fit_reads_only_the_shape_for_random():
    def explode(block):
        raise AssertionError("fit computed a chunk")

    X = da.zeros((30, 2), chunks=(10, 2)).map_blocks(explode, dtype=np.float64)
    sampler = RandomSampler(random_state=0).fit(X)
    assert (sampler.n_samples_fit_, sampler.n_features_in_) == (30, 2)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_non_finite_values_raise_the_in_memory_message(value, dtype):
    X = np.random.RandomState(0).rand(100, 3)
    if dtype == np.int64:
        X = (X * 10).astype(np.int64).astype(np.float64)  # a float pool to poison
    X = X.astype(np.float64 if dtype == np.int64 else dtype)
    X[63, 1] = value
    if value == np.inf:
        X[2, 0] = np.nan  # NaN anywhere wins, as check_array reports it
    expected = _in_memory_error(X)
    pool = check_dask_pool(_uneven(X), _Named())
    with pytest.raises(ValueError) as info:
        condition_dask_pool(pool, _Named())
    assert str(info.value) == expected


def test_values_beyond_float64_squares_condition_as_in_memory():
    # Squared in float64 as they are, 1e200 overflowed (it raised) and 1e-170
    # vanished (a pool of zeros): both are squared times a power of two first.
    for value in (1e200, 1e-170):
        X = np.ones((10, 2)) * value
        X[4, 1] = 3 * value
        Xw, offset, exponent, sq = condition_pool(X, center=False)
        pool = condition_dask_pool(da.from_array(X, chunks=(3, 2)), _Named(), False)
        assert exponent == pool.exponent != 0
        np.testing.assert_array_equal(pool.data.compute(), Xw)
        np.testing.assert_array_equal(Xw, np.ldexp(X, exponent).astype(np.float32))
        np.testing.assert_array_equal(pool.sq_norms().compute(), sq)


@pytest.mark.parametrize("center", [False, True, "auto"])
@pytest.mark.parametrize(
    "scale, shift, dtype",
    [
        (1.0, 0.0, np.float32),
        (1.0, 0.0, np.float64),
        (1.0, 1e4, np.float32),  # an offset the mean removes
        (1e30, 0.0, np.float64),  # a power-of-two rescale
        (1e-25, 0.0, np.float32),
        (1e-170, 0.0, np.float64),  # squares that vanish in float64
        (1e160, 1e161, np.float64),  # squares that overflow float64, centred
        (3.0, 0.0, np.int64),
    ],
)
def test_conditioning_on_chunks_equals_condition_pool(center, scale, shift, dtype):
    rng = np.random.RandomState(0)
    raw = rng.randn(130, 5) * scale + shift
    X = raw.astype(dtype)
    memory = validate_data(_Named(), X, dtype=(np.float64, np.float32))
    Xw, offset, exponent, sq = condition_pool(memory, center=center)
    chunked = _uneven(X)
    pool = condition_dask_pool(check_dask_pool(chunked, _Named()), _Named(), center)
    assert pool.exponent == exponent
    np.testing.assert_allclose(pool.offset, offset, rtol=1e-14, atol=0)
    assert pool.data.dtype == np.float32
    if not offset.any():  # no centring: bit for bit
        np.testing.assert_array_equal(pool.data.compute(), Xw)
        np.testing.assert_array_equal(pool.sq_norms().compute(), sq)
    else:  # the means summed per chunk: equal but where a float64 ulp matters
        np.testing.assert_allclose(pool.data.compute(), Xw, rtol=1e-6, atol=0)
        np.testing.assert_allclose(pool.sq_norms().compute(), sq, rtol=1e-12)
    assert pool.sq_norms().chunks[0] == chunked.chunks[0]
    np.testing.assert_array_equal(
        pool.take([0, 7, 8, 129]), pool.data.compute()[[0, 7, 8, 129]]
    )
    np.testing.assert_array_equal(X, raw.astype(dtype))  # not modified


def test_conditioning_is_lazy_and_one_pass():
    from dask.callbacks import Callback

    X = da.from_array(np.random.RandomState(0).rand(90, 4), chunks=(30, 4))
    calls = []

    class Count(Callback):
        def _start(self, dsk):
            calls.append(len(dsk))

    with Count():
        pool = condition_dask_pool(X, _Named(), center=True)
    assert len(calls) == 1  # one compute: the statistics
    assert pool.data.shape == (90, 4)


def test_fit_sets_the_shape_attributes_and_forgets_feature_names():
    pd = pytest.importorskip("pandas")
    X = np.random.RandomState(0).rand(30, 3)
    sampler = RandomSampler().fit(pd.DataFrame(X, columns=["a", "b", "c"]))
    assert hasattr(sampler, "feature_names_in_")
    sampler.fit(da.from_array(X, chunks=(11, 3)))
    assert (sampler.n_samples_fit_, sampler.n_features_in_) == (30, 3)
    assert not hasattr(sampler, "feature_names_in_")
    assert isinstance(sampler, BaseSampler)


@pytest.mark.parametrize("center", [False, True])
@pytest.mark.parametrize("scale", [1.0, 1e30])
def test_conditioning_reads_read_only_float64_chunks(tmp_path, center, scale):
    # np.save keeps float64, and a memory-mapped .npy (as the shards are read) is
    # read-only: the chunk is conditioned in a copy, never in place.
    X = np.random.RandomState(0).randn(130, 5) * scale
    np.save(tmp_path / "pool.npy", X)
    mapped = np.load(tmp_path / "pool.npy", mmap_mode="r")
    assert not mapped.flags.writeable
    Xw, offset, exponent, sq = condition_pool(X, center=center)
    pool = condition_dask_pool(
        check_dask_pool(da.from_array(mapped, chunks=(40, 5)), _Named()),
        _Named(),
        center,
    )
    assert pool.exponent == exponent
    rtol = 1e-6 if offset.any() else 0  # the means summed per chunk
    np.testing.assert_allclose(pool.data.compute(), Xw, rtol=rtol, atol=0)
    np.testing.assert_allclose(pool.sq_norms().compute(), sq, rtol=rtol * 1e-6)
    np.testing.assert_array_equal(np.load(tmp_path / "pool.npy"), X)


def test_dask_dataframe_values_are_conditioned(tmp_path):
    # pandas 3 hands out read-only values (copy on write): the chunks of a dask
    # DataFrame's .values are then read-only float64.
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    X = np.random.RandomState(2).randn(60, 3) * 1e30
    values = dd.from_pandas(pd.DataFrame(X), npartitions=3).values
    pool = condition_dask_pool(check_dask_pool(values, _Named()), _Named(), False)
    Xw, _, exponent, sq = condition_pool(X, center=False)
    assert pool.exponent == exponent != 0
    np.testing.assert_array_equal(pool.data.compute(), Xw)
    np.testing.assert_array_equal(pool.sq_norms().compute(), sq)


def test_conditioning_leaves_the_chunks_as_they_were():
    # da.from_array holds the chunks of an in-memory float64 array: scaled in
    # place, every read after the first saw them scaled once more.
    X = np.random.RandomState(3).randn(130, 5) * 1e30
    pool = condition_dask_pool(
        check_dask_pool(da.from_array(X, chunks=(40, 5)), _Named()), _Named(), False
    )
    Xw = condition_pool(X, center=False)[0]
    for _ in range(3):
        np.testing.assert_array_equal(pool.data.compute(), Xw)
        np.testing.assert_array_equal(pool.raw.compute(), X)
