# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Pools on disk as dask arrays, for ``skactive select``: a zarr store, or a folder
of ``.npy`` shards; and where the computation runs.

The workers read the files themselves (a shard is memory-mapped by the task that
reads a piece of it, a zarr chunk is decoded by the task that reads its rows), so
on a real cluster the paths must be visible to every worker (a shared file system
or object store).

What can be checked from the files' metadata is checked when the pool is opened:
a shard's size against its header (a truncated shard), a zarr store's chunk files
against its chunk grid (rows never written, which zarr would read as its fill
value). The rest is checked by the task that reads the rows, which knows their
file and numbers: a chunk that cannot be decoded, NaN or infinite values. Each is a
:class:`PoolError` naming the file and the rows, raised on the client when it
comes from a worker.
"""

import contextlib
import logging
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
    where = f"{path}" if key is None else f"{path} (array {key!r})"
    _check_written(where, Path(path) / (key or ""), node)
    X = _zarr_rows(da, str(path), key, where, node)
    return X, [f"zarr store, {X.numblocks[0]} row chunks"]


def _stored_grid(node):
    """The shape of one stored object of the zarr array ``node`` (a shard when it
    is sharded, else a chunk), and the number of them along each axis."""
    shape = node.shards or node.chunks
    return shape, [-(-n // c) for n, c in zip(node.shape, shape, strict=True)]


def _row_ranges(runs):
    """``a-b`` for each run of rows ``[a, b + 1)``, the first three."""
    shown = ", ".join(f"{a}-{b - 1}" if b - a > 1 else f"{a}" for a, b in runs[:3])
    return shown + (" ..." if len(runs) > 3 else "")


def _fill_tail(node, start, stop):
    """The first of the rows ``start:stop`` of the zarr array from which every
    value is its fill value (``stop`` if the last row is not)."""
    rows = np.asarray(node[start:stop])
    fill = node.fill_value
    is_fill = np.isnan(rows) if fill != fill else rows == fill
    keep = np.flatnonzero(~is_fill.all(axis=1))
    return start + (int(keep[-1]) + 1 if len(keep) else 0)


def _check_written(where, folder, node):
    """Refuse a zarr array some of whose chunks were never written.

    zarr stores a chunk (a shard, when the array is sharded) as one object named
    by its grid position, and reads one that is absent as the array's fill value
    (0.0 by default): an interrupted write leaves rows of zeros, which TypiClust
    would pick first. ``nchunks_initialized`` only counts the objects, and a row
    of fill values is a legitimate row, so the listing of the array's folder is
    what says which rows are missing: a row chunk is missing when any of its
    objects is. Before each run of missing chunks, the rows of the chunk written
    last that hold only the fill value are named with them (a batch that filled
    part of that chunk, then the run stopped), so that a write resumed from the
    first row named leaves none behind. (zarr also leaves out a chunk written
    entirely with the fill value unless ``write_empty_chunks`` is set: the
    message says so.)
    """
    present = set()
    for root, _, files in os.walk(folder):
        rel = Path(root).relative_to(folder).as_posix()
        present.update(name if rel == "." else f"{rel}/{name}" for name in files)
    shape, counts = _stored_grid(node)
    n, step = node.shape[0], shape[0]
    runs, n_missing, first = [], 0, None
    for i in range(counts[0]):
        keys = [node.metadata.encode_chunk_key((i, j)) for j in range(counts[1])]
        absent = [k for k in keys if k not in present]
        if not absent:
            continue
        n_missing += 1
        first = first or absent[0]
        a, b = i * step, min(n, (i + 1) * step)
        if runs and runs[-1][1] == a:
            runs[-1][1] = b
        else:
            runs.append([a, b])
    if not runs:
        return
    for run in runs[:3]:  # those the message shows
        if run[0] > 0:
            try:
                run[0] = _fill_tail(node, run[0] - step, run[0])
            except Exception:  # a damaged chunk: the reading task names it
                pass
    raise PoolError(
        f"{where}: rows {_row_ranges(runs)} have no chunk file ({n_missing} of "
        f"{counts[0]} row chunks, the first {first}): never written, or written "
        f"as only the fill value {node.fill_value}, which zarr does not store by "
        "default; zarr would read them as that value. Finish writing the store "
        f"from row {runs[0][0]}, or, if those rows are meant to hold only the "
        "fill value, write them with zarr.config.set({'array.write_empty_chunks': "
        "True})"
    )


def _zarr_rows(da, path, key, where, node):
    """The zarr array as a dask array of its row chunks, each read by a task of
    :func:`_read_zarr_rows`."""
    from dask import delayed

    n, d = node.shape
    if n == 0:
        raise PoolError(f"{where}: need at least 2 rows, got 0")
    step = node.chunks[0]
    pieces = []
    for start in range(0, n, step):
        stop = min(n, start + step)
        read = delayed(_read_zarr_rows, pure=True)(path, key, where, start, stop)
        pieces.append(da.from_delayed(read, (stop - start, d), node.dtype))
    return da.concatenate(pieces, axis=0)


def _read_zarr_rows(path, key, where, start, stop):
    """Rows ``start:stop`` of the zarr array, decoded on the worker that runs the
    task; a chunk that cannot be decoded, or a NaN or infinite value, is a
    :class:`PoolError` naming the store, the chunk and the rows."""
    import zarr

    try:
        node = zarr.open_array(path, path=key or "", mode="r")
    except Exception as exc:  # zarr raises many types for a broken store
        raise PoolError(f"{where}: cannot open this zarr store ({exc})") from None
    try:
        rows = np.asarray(node[start:stop])
    except Exception as exc:  # the codecs raise many types for damaged data
        shape, counts = _stored_grid(node)
        name = node.metadata.encode_chunk_key((start // shape[0], 0))
        if counts[1] > 1:
            name += " or another of its row"
        raise PoolError(
            f"{where}: rows {start}-{stop - 1} cannot be read (chunk file {name}: "
            f"{type(exc).__name__}: {exc}); write them again"
        ) from None
    _check_finite(rows, where, start)
    return rows


def _check_finite(rows, where, first, shard_first=None):
    """A :class:`PoolError` naming the rows of ``rows`` (pool rows from ``first``)
    that hold NaN or infinity; ``shard_first``: the rows' number in their file,
    when it is not the pool's."""
    if rows.dtype.kind != "f":
        return
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(rows.sum()):
            return  # a NaN or an infinity makes the sum non-finite
    bad = np.flatnonzero(~np.isfinite(rows).all(axis=1))
    if not len(bad):
        return  # the sum overflowed: every value is finite
    shown = ", ".join(str(first + b) for b in bad[:5]) + " ..." * (len(bad) > 5)
    if shard_first is not None:
        local = ", ".join(str(shard_first + b) for b in bad[:5])
        rows_of = "row" if len(bad) == 1 else "rows"
        shown = f"{local}{' ...' * (len(bad) > 5)} ({rows_of} {shown} of the pool)"
    raise PoolError(f"{where}: rows with NaN or infinite values: {shown}")


def _check_array(path, shape, dtype):
    if len(shape) != 2 or shape[1] == 0:
        raise PoolError(f"{path}: features must be a 2-D table; got shape {shape}")
    if np.dtype(dtype).kind not in "biuf":
        raise PoolError(
            f"{path}: features must be real numbers; got dtype {np.dtype(dtype)}"
        )


def npy_header(path):
    """Shape and dtype of an ``.npy`` file, read from its header alone; a file
    shorter than its header says (cut off while it was written or copied) is a
    :class:`PoolError` saying how many whole rows it holds."""
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(f)
            else:
                shape, _, dtype = np.lib.format.read_array_header_2_0(f)
            offset = f.tell()
    except (ValueError, OSError) as exc:
        raise PoolError(f"{path}: not a NumPy .npy file ({exc})") from None
    if dtype.hasobject:
        raise PoolError(f"{path}: cannot read this .npy file (it holds Python objects)")
    size = os.path.getsize(path) - offset
    expected = int(np.prod(shape)) * dtype.itemsize
    if size < expected:
        row = int(np.prod(shape[1:])) * dtype.itemsize if len(shape) > 1 else 0
        held = f"rows 0-{size // row - 1} whole" if row and size >= row else "no row"
        raise PoolError(
            f"{path}: truncated: its header says shape {shape} ({expected} bytes of "
            f"data) but the file holds {size}, {held}; write it again (numpy.save)"
        )
    return shape, dtype


def _read_rows(path, start, stop, first):
    """Rows ``start:stop`` of the ``.npy`` file at ``path`` (pool rows from
    ``first``), read through a memory map on the worker that runs the task."""
    try:
        rows = np.ascontiguousarray(np.load(path, mmap_mode="r")[start:stop])
    except (ValueError, OSError) as exc:  # changed since the pool was opened
        raise PoolError(
            f"{path}: rows {start}-{stop - 1} cannot be read ({exc})"
        ) from None
    _check_finite(rows, path, first, shard_first=start)
    return rows


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
    pieces, first, n_rows = [], None, 0
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
            read = delayed(_read_rows, pure=True)(
                str(path), start, stop, n_rows + start
            )
            pieces.append(da.from_delayed(read, (stop - start, shape[1]), dtype))
        n_rows += shape[0]
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
                # A task's error comes back to the client, which reports it in
                # one line: the workers do not log it (with its traceback) too.
                silence_logs=logging.CRITICAL,
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
