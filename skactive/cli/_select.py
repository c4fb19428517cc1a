# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""``skactive select``: pick the rows to label from a file of features."""

import contextlib
import csv
import io
import os
import sys
import warnings

import numpy as np

from skactive.base import get_sampler_tags
from skactive.cli._io import (
    InputError,
    Table,
    check_destination,
    index_like_column,
    load_features,
    load_labeled,
    load_labels,
    write_output,
)
from skactive.cli._samplers import command_samplers

FILE_SUFFIXES = {".npy", ".npz", ".csv", ".tsv", ".parquet"}
# --method's choices: each sampler's short name, lower-cased ("typiclust").
METHODS = {name.lower(): cls for name, cls in command_samplers()}
DEFAULT_METHOD = "typiclust"
SelectError = InputError


def selection_table(details, ids=None):
    """CSV text: rank, row, id (with ``ids``), score and, for TypiClust, cluster of
    each pick; ``details`` is what ``sampler.query_details`` returned."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    picks = details.indices
    clusters = details.get("pick_clusters")
    writer.writerow(
        ["rank", "row"]
        + (["id"] if ids is not None else [])
        + ["score"]
        + (["cluster"] if clusters is not None else [])
    )
    for rank, (row, score) in enumerate(zip(picks, details.scores, strict=True)):
        cells = [rank, row] + ([ids[row]] if ids is not None else [])
        cells.append("" if np.isnan(score) else f"{score:.6g}")
        if clusters is not None:
            cells.append(clusters[rank])
        writer.writerow(cells)
    return buffer.getvalue()


def one_line_warning(prefix):
    """A ``warnings.showwarning`` that prints each warning as one line."""

    def show(message, category, filename, lineno, file=None, line=None):
        text = " ".join(str(message).split())
        print(f"{prefix}: warning: {category.__name__}: {text}", file=sys.stderr)

    return show


def run_select(args):
    """Run ``skactive select`` with parsed arguments; returns the exit status."""
    with warnings.catch_warnings():
        if args.quiet:
            warnings.simplefilter("ignore")
        else:
            warnings.showwarning = one_line_warning("skactive select")
        try:
            _run(args)
        except (InputError, OSError, ValueError) as exc:
            text = " ".join(str(exc).split())
            print(f"skactive select: error: {text}", file=sys.stderr)
            return 1
    return 0


def _progress(args, text):
    if not args.quiet:
        print(f"[skactive select] {text}", file=sys.stderr)


def _read_file(args):
    """The features of a file, in memory."""
    if args.scheduler is not None:
        raise InputError(
            f"--scheduler is for a zarr store or a folder of .npy shards; "
            f"{args.features} is a file"
        )
    table = load_features(
        args.features, key=args.key, header=args.header, id_column=args.id_column
    )
    if args.id_column is not None:
        table.notes.append(f"ids from column {args.id_column!r}")
    return table, contextlib.nullcontext(None)


def _warn_index_like(args, table):
    """Warn when a feature column of an in-memory table looks like row ids."""
    if args.id_column is not None or not isinstance(table.X, np.ndarray):
        return
    column = index_like_column(table.X, table.columns)
    if column is not None:
        _warn(
            f"{args.features}: column {column!r} looks like a row index and is "
            f"used as a feature; pass --id-column {column!r} to report it as "
            "the row ids instead"
        )


def _read_folder(args):
    """The features of a zarr store or a folder of ``.npy`` shards, as a dask
    array, and where to compute on them."""
    from skactive._dask._io import (
        PoolError,
        is_zarr_store,
        open_pool,
        shard_order_warning,
    )

    for option in ("header", "id_column"):
        if getattr(args, option) is not None:
            flag = "--" + option.replace("_", "-")
            raise InputError(f"{flag} is for tables; {args.features} is a folder")
    try:
        X, notes = open_pool(args.features, key=args.key)
        if not is_zarr_store(args.features):
            warning = shard_order_warning(args.features)
            if warning:
                _warn(warning)
    except PoolError as exc:
        raise InputError(str(exc)) from None
    return Table(X, notes=notes), _computing_on(args, X.nbytes)


@contextlib.contextmanager
def _computing_on(args, nbytes):
    """Where dask computes within the block (``--scheduler``), said on a progress
    line; a scheduler that cannot be reached is an :class:`InputError`."""
    from skactive._dask._io import PoolError, compute_on

    try:
        # Coreset's dask path keeps its state in actors of a distributed cluster.
        needs_cluster = args.method == "coreset"
        with compute_on(args.scheduler, nbytes, needs_cluster) as where:
            _progress(args, f"computing on {where}")
            yield where
    except PoolError as exc:
        raise InputError(str(exc)) from None


def _is_pool_folder(path):
    """A folder to read as a dask pool: any folder but one named as a file
    (``f.csv/``), which is reported as a directory where a file was expected."""
    suffix = os.path.splitext(os.path.normpath(path))[1].lower()
    return os.path.isdir(path) and suffix not in FILE_SUFFIXES


def _warn(text):
    print(f"skactive select: warning: {text}", file=sys.stderr)


def _run(args):
    destination = check_destination(
        args.output, "-o", inputs=(args.features, args.labeled, args.labels)
    )
    if _is_pool_folder(args.features):
        table, where = _read_folder(args)
    else:
        table, where = _read_file(args)
    X = table.X
    notes = list(table.notes)
    if len(X) < 2:  # before anything reads a row
        raise InputError(f"{args.features}: need at least 2 rows, got {len(X)}")
    _warn_index_like(args, table)
    mask = (
        load_labeled(args.labeled, len(X), table.ids)
        if args.labeled
        else np.zeros(len(X), dtype=bool)
    )
    y = None
    if args.labels:
        rows, labels = load_labels(args.labels, len(X), table.ids)
        # Labeled rows are masked; --labeled rows without a label are pending.
        mask[rows] = True
        y = np.full(len(X), None, dtype=object)
        y[rows] = labels
    n_unlabeled = int((~mask).sum())
    if args.budget > n_unlabeled:
        raise InputError(
            f"--budget {args.budget} is larger than the number of unlabeled rows "
            f"({n_unlabeled})"
        )
    sampler = METHODS[args.method](random_state=args.random_state)
    if not isinstance(X, np.ndarray) and not get_sampler_tags(sampler).dask:
        able = [m for m, cls in METHODS.items() if get_sampler_tags(cls()).dask]
        raise InputError(
            f"--method {args.method} needs the pool in memory; on a zarr store or "
            f"a folder of shards use --method {' or '.join(sorted(able))}"
        )
    if "verbose" in sampler.get_params():
        sampler.set_params(verbose=0 if args.quiet else 1)
    if get_sampler_tags(sampler).requires_labels:
        if y is None and mask.any():
            raise InputError(
                f"--method {args.method} fits a model on the labeled rows: give "
                "their labels with --labels FILE ('row id, label' per line)"
            )
        if "missing_label" in sampler.get_params():
            sampler.set_params(missing_label=None)  # None marks a row without one
    elif y is not None:
        notes.append(f"--method {args.method} does not read the labels")
    _progress(
        args,
        f"read {args.features}: {len(X)} rows x {X.shape[1]} feature columns"
        + "".join(f"; {note}" for note in notes),
    )
    _progress(
        args,
        f"{args.method} on {len(X)} rows x {X.shape[1]} features, "
        f"{int(mask.sum())} labeled"
        + ("" if y is None else f" ({len(rows)} with labels)")
        + f", budget {args.budget}",
    )
    with where:
        details = sampler.fit(X).query_details(mask, args.budget, y=y)
    write_output(selection_table(details, table.ids), destination)
    if destination.target is not None:
        _progress(args, f"wrote {args.output}")
