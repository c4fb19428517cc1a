# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""``skactive select`` on a zarr store and on a folder of .npy shards: the row ids
written out are global row numbers, the rows the API picks on the whole pool."""

import csv
import sys

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from skactive import CoresetSampler, RandomSampler, TypiClustSampler
from skactive.cli import main
from skactive.cli._select import METHODS

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
zarr = pytest.importorskip("zarr")

BUDGET = 7


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=40,
    ) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def X():
    X, _ = make_blobs(n_samples=1400, centers=9, n_features=6, random_state=3)
    return X.astype(np.float32)


def run(capsys, path, *extra, budget=BUDGET):
    status = main(["select", str(path), "--budget", str(budget), *extra])
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(out.splitlines())) if status == 0 else None
    return status, rows, err


def picked(rows):
    return [int(r["row"]) for r in rows]


def typiclust(X, mask=None, budget=BUDGET):
    sampler = TypiClustSampler(clusterer="sampled", random_state=0).fit(X)
    return sampler.query(mask, budget).tolist()


def write_shards(folder, X, sizes, names=None):
    folder.mkdir()
    bounds = np.cumsum([0, *sizes])
    assert bounds[-1] == len(X)
    names = names or [f"part_{i:02d}.npy" for i in range(len(sizes))]
    for name, start, stop in zip(names, bounds[:-1], bounds[1:], strict=True):
        np.save(folder / name, X[start:stop])
    return folder


def test_shards_give_global_row_numbers(capsys, tmp_path, X):
    # Uneven shards, one of them empty: a row's number counts the rows of the
    # shards before it.
    folder = write_shards(tmp_path / "shards", X, [300, 0, 1, 650, 449])
    status, rows, err = run(capsys, folder)
    assert status == 0, err
    assert picked(rows) == typiclust(X)
    assert "1400 rows x 6 feature columns; 5 .npy shards" in err
    assert "part_00.npy first, part_04.npy last" in err
    assert [int(r["cluster"]) >= 0 for r in rows] == [True] * BUDGET
    # The same rows as from the concatenated pool in one .npy file.
    np.save(tmp_path / "whole.npy", X)
    status, whole, err = run(capsys, tmp_path / "whole.npy", "--method", "random")
    status, sharded, err = run(capsys, folder, "--method", "random")
    assert picked(sharded) == picked(whole)
    assert (
        picked(whole)
        == RandomSampler(random_state=0).fit(X).query(None, BUDGET).tolist()
    )


def test_coreset_on_shards_starts_a_cluster_and_picks_the_global_rows(
    capsys, tmp_path, X
):
    # Coreset's dask path needs a distributed cluster: without --scheduler the run
    # starts a LocalCluster, even for a pool the threaded scheduler would take.
    folder = write_shards(tmp_path / "shards", X, [300, 0, 651, 449])
    status, rows, err = run(capsys, folder, "--method", "coreset")
    assert status == 0, err
    assert "computing on a LocalCluster" in err
    expected = CoresetSampler(random_state=0).fit(X).query(None, BUDGET).tolist()
    assert picked(rows) == expected


@pytest.mark.parametrize("method", ["typiclust", "coreset"])
def test_float64_shards_pick_what_the_in_memory_pool_picks(capfd, tmp_path, X, method):
    # np.save keeps numpy's default float64; the shards are read memory-mapped.
    # capfd: the workers of coreset's LocalCluster write to the process's stderr.
    X64 = X.astype(np.float64)
    folder = write_shards(tmp_path / "shards", X64, [300, 651, 449])
    status, rows, err = run(capfd, folder, "--method", method)
    assert status == 0, err
    assert "Traceback" not in err and "ERROR" not in err
    sampler = METHODS[method](random_state=0)
    if method == "typiclust":
        sampler.set_params(clusterer="sampled")
    assert picked(rows) == sampler.fit(X64).query(None, BUDGET).tolist()


def test_shards_are_concatenated_in_file_name_order_as_text(capsys, tmp_path, X):
    # part10.npy sorts before part2.npy as text: its rows come first, and a warning
    # says so.
    folder = write_shards(
        tmp_path / "s", X, [500, 900], names=["part2.npy", "part10.npy"]
    )
    status, rows, err = run(capsys, folder, "--quiet")
    assert status == 0, err
    in_order = np.concatenate([X[500:], X[:500]])
    assert picked(rows) == typiclust(in_order)
    assert "rows of part10.npy are numbered before those of part2.npy" in err


def test_zarr_store_with_labeled_rows(capsys, tmp_path, X):
    store = tmp_path / "pool.zarr"
    z = zarr.open_array(store, mode="w", shape=X.shape, chunks=(333, 6), dtype=X.dtype)
    z[:] = X
    labeled = [3, 998, 1399, 420]
    (tmp_path / "labeled.txt").write_text("\n".join(map(str, labeled)) + "\n")
    status, rows, err = run(capsys, store, "--labeled", str(tmp_path / "labeled.txt"))
    assert status == 0, err
    mask = np.zeros(len(X), dtype=bool)
    mask[labeled] = True
    assert picked(rows) == typiclust(X, mask)
    assert "zarr store, 5 row chunks" in err and "4 labeled" in err
    assert "computing on dask's threaded scheduler" in err


def test_zarr_group_needs_key(capsys, tmp_path, X):
    store = tmp_path / "group.zarr"
    group = zarr.open_group(store, mode="w")
    group.create_array("emb", shape=X.shape, chunks=(400, 6), dtype=X.dtype)[:] = X
    group.create_array("other", shape=(3, 2), dtype="f4")
    status, _, err = run(capsys, store)
    assert status == 1 and "choose one with --key" in err and "'emb'" in err
    status, rows, err = run(capsys, store, "--key", "emb")
    assert status == 0, err
    assert picked(rows) == typiclust(X)


def test_scheduler_address(capsys, tmp_path, X, cluster):
    folder = write_shards(tmp_path / "shards", X, [700, 700])
    address = cluster.scheduler_address
    status, rows, err = run(capsys, folder, "--scheduler", address)
    assert status == 0, err
    assert picked(rows) == typiclust(X)
    assert f"computing on the scheduler at {address}" in err


def test_scheduler_local_starts_a_cluster_for_the_run(capsys, tmp_path, X):
    folder = write_shards(tmp_path / "shards", X, [1000, 400])
    status, rows, err = run(
        capsys, folder, "--scheduler", "local", "--method", "random"
    )
    assert status == 0, err
    assert (
        picked(rows)
        == RandomSampler(random_state=0).fit(X).query(None, BUDGET).tolist()
    )
    assert "computing on a LocalCluster of 1 worker\n" in err  # a 33 kB pool


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: None, "neither a zarr store nor holds .npy shards"),
        (lambda d: np.save(d / "a.npy", np.zeros((0, 3))), "every .npy shard is empty"),
        (
            lambda d: (
                np.save(d / "a.npy", np.zeros((4, 3))),
                np.save(d / "b.npy", np.zeros((4, 2))),
            ),
            "b.npy: shape (4, 2) and dtype float64 do not match the first shard a.npy",
        ),
        (
            lambda d: (
                np.save(d / "a.npy", np.zeros((4, 3))),
                np.save(d / "b.npy", np.zeros((4, 3), dtype=np.float32)),
            ),
            "b.npy: shape (4, 3) and dtype float32 do not match",
        ),
        (lambda d: np.save(d / "a.npy", np.zeros(5)), "a.npy: features must be a 2-D"),
        (
            lambda d: (d / "a.npy").write_text("not numpy"),
            "a.npy: not a NumPy .npy file",
        ),
    ],
    ids=["empty-folder", "empty-shard", "columns", "dtypes", "1d", "not-npy"],
)
def test_bad_folders_are_one_line_errors(capsys, tmp_path, make, message):
    folder = tmp_path / "pool"
    folder.mkdir()
    make(folder)
    status, _, err = run(capsys, folder)
    assert status == 1
    assert err.count("\n") == 1 and err.startswith("skactive select: error: ")
    assert message in err


def assert_one_line_error(status, err, message):
    assert status == 1
    assert err.count("\n") == 1 and err.startswith("skactive select: error: "), err
    assert message in err, err


def write_by_recipe(store, X, chunk_rows, crash_after=None, batch=None, **options):
    """The docs' recipe: batches (of whole chunks, unless ``batch`` rows) written
    as they are computed; ``crash_after`` batches, the encoder fails (the run is
    interrupted)."""
    z = zarr.open_array(
        store, mode="w", shape=X.shape, chunks=(chunk_rows, X.shape[1]), **options
    )
    step = batch or chunk_rows

    def embed_in_batches():
        for k, start in enumerate(range(0, len(X), step)):
            if k == crash_after:
                raise RuntimeError("the encoder's job was killed")
            yield start, X[start : start + step]

    for start, batch in embed_in_batches():
        z[start : start + len(batch)] = batch
    return store


@pytest.mark.parametrize(
    "where, value, method",
    [
        ("shards", np.nan, "typiclust"),
        ("shards", np.inf, "coreset"),
        ("zarr", np.nan, "coreset"),
        ("zarr", -np.inf, "typiclust"),
    ],
)
def test_non_finite_values_name_the_file_and_the_row(
    capfd, tmp_path, X, where, value, method
):
    bad = X.copy()
    bad[1000, 2] = value
    bad[1003, 0] = value
    if where == "shards":
        path = write_shards(tmp_path / "shards", bad, [700, 700])
        message = "part_01.npy: rows with NaN or infinite values: 300, 303 (rows "
        message += "1000, 1003 of the pool)"
    else:
        path = write_by_recipe(tmp_path / "pool.zarr", bad, 200, dtype="float32")
        message = "pool.zarr: rows with NaN or infinite values: 1000, 1003"
    status, _, err = run(capfd, path, "--quiet", "--method", method)
    assert_one_line_error(status, err, message)


def test_large_finite_values_are_no_warning(capfd, tmp_path, X):
    # Rows whose sum overflows float32 but whose values are finite: read as they
    # are, with no RuntimeWarning from the check of the values.
    big = (X / np.abs(X).max() * 3e38).astype(np.float32)
    path = write_shards(tmp_path / "shards", big, [700, 700])
    status, rows, err = run(capfd, path)
    assert status == 0 and "Warning" not in err, err


def _cut(path, n_bytes):
    """Cut the last ``n_bytes`` off the file, as an interrupted copy leaves it."""
    data = path.read_bytes()
    path.write_bytes(data[:-n_bytes])


def test_truncated_shard_names_the_file_and_the_rows_it_holds(capsys, tmp_path, X):
    folder = write_shards(tmp_path / "shards", X, [700, 700])
    _cut(folder / "part_01.npy", 100)  # 24-byte rows: 4 rows and 4 bytes
    status, _, err = run(capsys, folder, "--quiet")
    whole = (700 * 24 - 100) // 24
    assert_one_line_error(
        status, err, "part_01.npy: truncated: its header says shape (700, 6)"
    )
    assert f"rows 0-{whole - 1} whole; write it again (numpy.save)" in err


@pytest.mark.parametrize("method", ["typiclust", "coreset"])
def test_truncated_zarr_chunk_names_the_chunk_and_its_rows(capfd, tmp_path, X, method):
    store = write_by_recipe(tmp_path / "pool.zarr", X, 200, dtype="float32")
    chunk = store / "c" / "3" / "0"
    _cut(chunk, len(chunk.read_bytes()) // 2)
    status, _, err = run(capfd, store, "--quiet", "--method", method)
    assert_one_line_error(
        status, err, "pool.zarr: rows 600-799 cannot be read (chunk file c/3/0: "
    )


@pytest.mark.parametrize(
    "options, first_missing",
    [
        ({"dtype": "float32"}, "c/3/0"),
        ({"dtype": "float32", "zarr_format": 2}, "3.0"),  # a v2 store
        ({"dtype": "float64", "fill_value": -1.0}, "c/3/0"),
    ],
    ids=["v3", "v2", "fill-value"],
)
def test_interrupted_zarr_write_names_the_rows_never_written(
    capsys, tmp_path, X, options, first_missing
):
    store = tmp_path / "pool.zarr"
    with pytest.raises(RuntimeError, match="killed"):
        write_by_recipe(store, X, 200, crash_after=3, **options)
    z = zarr.open_array(store, mode="r")
    assert z.nchunks_initialized == 3 and z[1399, 0] == z.fill_value
    status, _, err = run(capsys, store, "--quiet")
    assert_one_line_error(
        status,
        err,
        f"pool.zarr: rows 600-1399 have no chunk file (4 of 7 row chunks, the "
        f"first {first_missing}): never written, or written as only the fill value "
        f"{z.fill_value}, which zarr does not store by default",
    )


def test_interrupted_write_in_part_chunks_names_the_rows_from_the_stop(
    capsys, tmp_path, X
):
    # Batches of 150 rows into chunks of 200: the run stops after row 449, inside
    # chunk 2, whose rows 450-599 zarr wrote as the fill value.
    store = tmp_path / "pool.zarr"
    with pytest.raises(RuntimeError, match="killed"):
        write_by_recipe(store, X, 200, crash_after=3, batch=150, dtype="float32")
    status, _, err = run(capsys, store, "--quiet")
    assert_one_line_error(
        status,
        err,
        "pool.zarr: rows 450-1399 have no chunk file (4 of 7 row chunks, the "
        "first c/3/0)",
    )
    assert "Finish writing the store from row 450, " in err


def test_interrupted_sharded_zarr_write_names_the_rows_never_written(
    capsys, tmp_path, X
):
    store = tmp_path / "pool.zarr"
    z = zarr.create_array(
        store, shape=X.shape, chunks=(100, 6), shards=(400, 6), dtype="float32"
    )
    z[:800] = X[:800]  # two of the four shards, then the run stops
    status, _, err = run(capsys, store, "--quiet")
    assert_one_line_error(
        status, err, "pool.zarr: rows 800-1399 have no chunk file (2 of 4 row chunks"
    )


@pytest.mark.parametrize("n_rows", [0, 1])
def test_zarr_store_of_fewer_than_2_rows(capsys, tmp_path, n_rows):
    store = tmp_path / "pool.zarr"
    z = zarr.open_array(store, mode="w", shape=(n_rows, 4), chunks=(10, 4), dtype="f4")
    z[:] = 1.0
    status, _, err = run(capsys, store, "--quiet", budget=1)
    assert_one_line_error(status, err, f"need at least 2 rows, got {n_rows}")


def test_complete_zarr_store_in_batches_of_chunks(capsys, tmp_path, X):
    store = write_by_recipe(tmp_path / "pool.zarr", X, 200, dtype="float32")
    status, rows, err = run(capsys, store)
    assert status == 0, err
    assert picked(rows) == typiclust(X)


def test_missing_dask_names_the_extra(capsys, tmp_path, X, monkeypatch):
    folder = write_shards(tmp_path / "shards", X, [700, 700])
    monkeypatch.setitem(sys.modules, "dask.array", None)
    status, _, err = run(capsys, folder)
    assert status == 1 and "pip install 'skactive[dask]'" in err


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--method", "probcover"], "--method probcover needs the pool in memory"),
        (["--id-column", "0"], "--id-column is for tables"),
    ],
)
def test_options_that_need_a_file(capsys, tmp_path, X, extra, message):
    folder = write_shards(tmp_path / "shards", X, [700, 700])
    status, _, err = run(capsys, folder, *extra)
    assert status == 1 and message in err
    if "probcover" in message:
        assert "--method coreset or random or typiclust" in err


def test_scheduler_is_for_folders(capsys, tmp_path, X):
    np.save(tmp_path / "pool.npy", X)
    status, _, err = run(capsys, tmp_path / "pool.npy", "--scheduler", "local")
    assert status == 1 and "--scheduler is for a zarr store" in err
