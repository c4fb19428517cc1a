# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Pools on disk as dask arrays, for ``skactive select``: a zarr store, or a folder
of ``.npy`` shards; and where the computation runs.

The workers read the files themselves (a shard is memory-mapped by the task that
reads a piece of it), so on a real cluster the paths must be visible to every
worker (a shared file system or object store).
"""

import contextlib
import os
import re
from pathlib import Path

import numpy as np

# Rows of a shard read by one task: about this many bytes.
_SHARD_CHUNK_BYTES = 128 * 2**20
# Without --scheduler, a pool of at most this many bytes is computed by dask's
# threaded scheduler in this process (no start-up cost; the chunks still stream
# from disk, so memory stays bounded); a larger one on a LocalCluster started for
# the run, of single-threaded worker processes.
_THREADS_UP_TO = 2 * 2**30
# A LocalCluster started for the run has a worker per core, but no more than one
# per this many bytes of pool (a small pool is not worth many processes).
_BYTES_PER_WORKER = 256 * 2**20

ZARR_MARKERS = ("zarr.json", ".zarray", ".zgroup")


class PoolError(Exception):
    """A problem with a pool on disk, reported as one line naming it."""


def _missing(what, exc):
    return PoolError(f"{what} needs dask (pip install 'skactive[dask]'): {exc}")


def is_zarr_store(path):
    return any((Path(path) / marker).exists() for marker in ZARR_MARKERS)


def open_pool(path, key=None):
    """The dask array of a zarr store (``key``: the array in a group) or of a
    folder of ``.npy`` shards, and notes on how it was read."""
    path = Path(path)
    try:
        import dask.array as da
    except ImportError as exc:
        raise _missing(f"reading {path}, a folder,", exc) from None
    if is_zarr_store(path):
        return _open_zarr(da, path, key)
    if key is not None:
        raise PoolError(f"--key is for an .npz file or a zarr group; {path} is neither")
    return _open_shards(da, path)


def _open_zarr(da, path, key):
    try:
        import zarr
    except ImportError as exc:
        raise _missing(f"reading the zarr store {path}", exc) from None
    try:
        node = zarr.open(str(path), mode="r")
    except Exception as exc:  # zarr raises many types for a broken store
        raise PoolError(f"{path}: cannot open this zarr store ({exc})") from None
    if not hasattr(node, "shape"):  # a group: choose one of its arrays
        names = sorted(name for name, _ in node.arrays())
        if key is None and len(names) != 1:
            raise PoolError(
                f"{path} is a zarr group of arrays {names}; choose one with --key"
            )
        if key is not None and key not in names:
            raise PoolError(f"{path} has no array {key!r}; it holds {names}")
        key = key or names[0]
        node = node[key]
    elif key is not None:
        raise PoolError(f"--key {key!r}: {path} is a single zarr array, not a group")
    _check_array(path, node.shape, node.dtype)
    X = da.from_zarr(str(path), component=key)
    return X, [f"zarr store, {X.numblocks[0]} row chunks"]


def _check_array(path, shape, dtype):
    if len(shape) != 2 or shape[1] == 0:
        raise PoolError(f"{path}: features must be a 2-D table; got shape {shape}")
    if np.dtype(dtype).kind not in "biuf":
        raise PoolError(
            f"{path}: features must be real numbers; got dtype {np.dtype(dtype)}"
        )


def npy_header(path):
    """Shape and dtype of an ``.npy`` file, read from its header alone."""
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(f)
            else:
                shape, _, dtype = np.lib.format.read_array_header_2_0(f)
    except (ValueError, OSError) as exc:
        raise PoolError(f"{path}: not a NumPy .npy file ({exc})") from None
    if dtype.hasobject:
        raise PoolError(f"{path}: cannot read this .npy file (it holds Python objects)")
    return shape, dtype


def _read_rows(path, start, stop):
    """Rows ``start:stop`` of the ``.npy`` file at ``path``, read through a memory
    map (on the worker that runs the task)."""
    return np.ascontiguousarray(np.load(path, mmap_mode="r")[start:stop])


def _natural(name):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def shard_paths(folder):
    """The ``.npy`` files of ``folder``, in sorted file-name order: the order their
    rows are numbered in."""
    paths = sorted(
        (
            p
            for p in Path(folder).iterdir()
            if p.suffix.lower() == ".npy" and p.is_file()
        ),
        key=lambda p: p.name,
    )
    if not paths:
        raise PoolError(
            f"{folder}: a folder that is neither a zarr store nor holds .npy shards"
            " (give a zarr store, a folder of .npy files, or a file)"
        )
    return paths


def _open_shards(da, folder):
    from dask import delayed

    paths = shard_paths(folder)
    pieces, first = [], None
    for path in paths:
        shape, dtype = npy_header(path)
        _check_array(path, shape, dtype)
        if first is None:
            first = (path, shape, dtype)
        elif shape[1] != first[1][1] or dtype != first[2]:
            raise PoolError(
                f"{path}: shape {shape} and dtype {dtype} do not match the first "
                f"shard {first[0].name} ({first[1][1]} columns, {first[2]}); every "
                "shard needs the same columns and dtype"
            )
        step = max(1, _SHARD_CHUNK_BYTES // max(1, shape[1] * dtype.itemsize))
        for start in range(0, shape[0], step):
            stop = min(shape[0], start + step)
            read = delayed(_read_rows, pure=True)(str(path), start, stop)
            pieces.append(da.from_delayed(read, (stop - start, shape[1]), dtype))
    if not pieces:
        raise PoolError(f"{folder}: every .npy shard is empty (0 rows)")
    notes = [
        f"{len(paths)} .npy shards, rows numbered in file-name order "
        f"({paths[0].name} first, {paths[-1].name} last)"
    ]
    return da.concatenate(pieces, axis=0), notes


def shard_order_warning(folder):
    """A warning when the shards' file names sort as text in another order than
    by the numbers in them (``part10.npy`` before ``part2.npy``), or None."""
    paths = shard_paths(folder)
    natural = sorted(paths, key=lambda p: _natural(p.name))
    for text, number in zip(paths, natural, strict=True):
        if text != number:
            return (
                f"{folder}: rows of {text.name} are numbered before those of "
                f"{number.name}: shards are concatenated in file-name order, as "
                "text; zero-pad the numbers in the names if that is not the order "
                "of your rows"
            )
    return None


@contextlib.contextmanager
def compute_on(address, nbytes, needs_cluster=False):
    """Where the dask computations of the block run, and a note saying so.

    ``address``: a scheduler to connect to (``"tcp://..."``), ``"local"`` (a
    LocalCluster started for the block: a single-threaded worker process per core,
    at most one per 256 MiB of the pool's ``nbytes``), ``"threads"`` (dask's
    threaded scheduler in this process), or None: threads for a pool of up to
    2 GiB, else local; local whatever the size with ``needs_cluster`` (a sampler
    whose dask path runs on a ``distributed`` cluster, as Coreset's actors do).
    """
    if address is None:
        small = nbytes <= _THREADS_UP_TO and not needs_cluster
        address = "threads" if small else "local"
    if address == "threads":
        import dask

        with dask.config.set(scheduler="threads"):
            yield "dask's threaded scheduler"
        return
    try:
        import distributed
    except ImportError as exc:
        raise _missing(f"--scheduler {address}", exc) from None
    if address == "local":
        n_workers = min(os.cpu_count() or 1, -(-nbytes // _BYTES_PER_WORKER))
        with (
            distributed.LocalCluster(
                n_workers=max(1, n_workers),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            n = len(client.scheduler_info(n_workers=-1)["workers"])
            yield f"a LocalCluster of {n} worker{'s' if n > 1 else ''}"
        return
    try:
        client = distributed.Client(address, timeout="20s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise PoolError(f"--scheduler {address}: cannot connect ({exc})") from None
    with client:
        yield f"the scheduler at {address}"
