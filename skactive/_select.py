# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""``skactive select``: pick the rows to label from a file of features."""

import csv
import io
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from skactive.samplers import CoresetSampler, RandomSampler, TypiClustSampler

METHODS = {
    "typiclust": TypiClustSampler,
    "coreset": CoresetSampler,
    "random": RandomSampler,
}
TABLES = {".csv": ",", ".tsv": "\t"}


class SelectError(Exception):
    """A problem with the user's input, reported as one line."""


def _read_table(path, sep):
    """A numeric table, with a header line or not (told by its first line)."""
    with open(path) as f:
        first = f.readline()
    try:
        [float(v) for v in first.split(sep)]
        header = False
    except ValueError:
        header = True
    pd = _pandas()
    if pd is None:
        return np.loadtxt(path, delimiter=sep, skiprows=int(header), ndmin=2)
    return pd.read_csv(path, sep=sep, header=0 if header else None).to_numpy()


def _pandas():
    """pandas if installed (it reads tables faster and reads Parquet), else None."""
    try:
        import pandas
    except ImportError:
        return None
    return pandas


def load_features(path, key=None):
    """The 2-D feature array in ``path`` (.npy, .npz, .csv, .tsv or .parquet)."""
    path = Path(path)
    if not path.is_file():
        raise SelectError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        X = np.load(path, allow_pickle=False)
    elif suffix == ".npz":
        with np.load(path, allow_pickle=False) as archive:
            names = list(archive.keys())
            if key is None and len(names) != 1:
                raise SelectError(f"{path} holds arrays {names}; choose one with --key")
            if key is not None and key not in names:
                raise SelectError(f"{path} has no array {key!r}; it holds {names}")
            X = archive[key or names[0]]
    elif suffix in TABLES:
        X = _read_table(path, TABLES[suffix])
    elif suffix == ".parquet":
        pd = _pandas()
        try:
            if pd is None:
                raise ImportError("No module named 'pandas'")
            X = pd.read_parquet(path).to_numpy()
        except ImportError as exc:
            raise SelectError(
                f"reading {path} needs pandas and pyarrow "
                f"(pip install 'skactive[pyarrow]'): {exc}"
            ) from None
    else:
        raise SelectError(
            f"{path}: unknown file type {suffix!r}; use .npy, .npz, .csv, .tsv "
            "or .parquet"
        )
    if X.ndim != 2:
        raise SelectError(f"{path}: features must be a 2-D table; got shape {X.shape}")
    try:
        X = X.astype(np.float32)
    except (TypeError, ValueError):
        raise SelectError(f"{path}: features must be numbers") from None
    bad = np.flatnonzero(~np.isfinite(X).all(axis=1))
    if len(bad):
        rows = ", ".join(map(str, bad[:5])) + (" ..." if len(bad) > 5 else "")
        raise SelectError(f"{path}: rows with NaN or infinite values: {rows}")
    return X


def load_labeled(path, n_samples):
    """A boolean mask from a mask file (.npy of bool) or a list of row ids."""
    path = Path(path)
    if not path.is_file():
        raise SelectError(f"{path}: no such file")
    if path.suffix.lower() == ".npy":
        values = np.load(path, allow_pickle=False)
    else:
        try:
            values = np.loadtxt(path, dtype=np.int64, ndmin=1, comments="#")
        except ValueError:
            raise SelectError(f"{path}: expected one integer row id per line") from None
    if values.dtype == bool:
        if values.shape != (n_samples,):
            raise SelectError(
                f"{path}: a mask needs one entry per row ({n_samples}); got shape "
                f"{values.shape}"
            )
        return values.copy()
    if not np.issubdtype(values.dtype, np.integer):
        raise SelectError(f"{path}: expected row ids (integers) or a boolean mask")
    ids = values.ravel()
    unknown = ids[(ids < 0) | (ids >= n_samples)]
    if len(unknown):
        raise SelectError(
            f"{path}: unknown row ids {unknown[:5].tolist()}; rows go from 0 to "
            f"{n_samples - 1}"
        )
    mask = np.zeros(n_samples, dtype=bool)
    mask[ids] = True
    return mask


def selection_table(sampler, picks):
    """CSV text: rank, row, score and, for TypiClust, cluster of each pick."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    clusters = getattr(sampler, "query_clusters_", None)
    writer.writerow(
        ["rank", "row", "score"] + (["cluster"] if clusters is not None else [])
    )
    for rank, (row, score) in enumerate(zip(picks, sampler.query_scores_, strict=True)):
        cells = [rank, row, "" if np.isnan(score) else f"{score:.6g}"]
        if clusters is not None:
            cells.append(clusters[rank])
        writer.writerow(cells)
    return buffer.getvalue()


def write_atomically(text, path):
    """Write ``text`` to ``path`` through a temporary file in the same folder, so
    that the output is either complete or not there."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def run_select(args):
    """Run ``skactive select`` with parsed arguments; returns the exit status."""
    try:
        X = load_features(args.features, key=args.key)
        if len(X) < 2:
            raise SelectError(f"{args.features}: need at least 2 rows, got {len(X)}")
        mask = (
            load_labeled(args.labeled, len(X))
            if args.labeled
            else np.zeros(len(X), dtype=bool)
        )
        n_unlabeled = int((~mask).sum())
        if args.budget > n_unlabeled:
            raise SelectError(
                f"--budget {args.budget} is larger than the number of unlabeled rows "
                f"({n_unlabeled})"
            )
        params = {"random_state": args.random_state}
        if args.method != "random":
            params["verbose"] = 0 if args.quiet else 1
        sampler = METHODS[args.method](**params)
        if not args.quiet:
            print(
                f"[skactive select] {args.method} on {len(X)} rows x {X.shape[1]} "
                f"features, {int(mask.sum())} labeled, budget {args.budget}",
                file=sys.stderr,
            )
        picks = sampler.fit(X).query(mask, args.budget)
        text = selection_table(sampler, picks)
        if args.output in (None, "-"):
            sys.stdout.write(text)
        else:
            write_atomically(text, args.output)
            if not args.quiet:
                print(f"[skactive select] wrote {args.output}", file=sys.stderr)
    except (SelectError, OSError, ValueError) as exc:
        print(f"skactive select: error: {exc}", file=sys.stderr)
        return 1
    return 0
