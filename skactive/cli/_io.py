# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Reading features and labeled rows, and writing outputs, for the command line.

Every problem with a user's file is raised as :class:`InputError` with a one-line
message that starts with the file name. Row numbers in messages and outputs are the
file's data rows numbered from 0 (a header line is not a row).
"""

import csv
import io
import os
import re
import stat
import sys
import tempfile
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import numpy as np

from skactive.cli._header import MISSING, HeaderError, cell_number, decide_header

TABLES = {".csv": ",", ".tsv": "\t"}
# Tried in this order when a table's own separator splits no line.
OTHER_SEPARATORS = (";", "\t", ",", "|")
FORMATS = ".npy, .npz, .csv, .tsv or .parquet"
INDEX_NAMES = {"", "id", "index"}
HEAD_ROWS = 200  # rows read to decide the header
FLOAT32_MAX = float(np.finfo(np.float32).max)
NPY_MAGIC = b"\x93NUMPY"


class InputError(Exception):
    """A problem with the user's input, reported as one line."""


@dataclass
class Table:
    """Features read from a file, and how they were read.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features), dtype=float32
        The features, one row per data row in file order.
    ids : list of str or None
        The ``--id-column`` values, one per row, or None.
    columns : list of str or None
        The feature columns' names from the header, or None.
    notes : list of str
        How the file was read, for the progress line.
    """

    X: np.ndarray
    ids: list | None = None
    columns: list | None = None
    notes: list = field(default_factory=list)


def _pandas():
    """pandas if installed (it reads tables faster and reads Parquet), else None."""
    try:
        import pandas
    except ImportError:
        return None
    return pandas


def _check_file(path, what="file"):
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a {what}")
    if not path.exists():
        raise InputError(f"{path}: no such file")


# --- tables -------------------------------------------------------------------


def _decode_error(path, exc):
    return InputError(
        f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset "
        f"{exc.start}); save it as UTF-8 (in Excel: 'CSV UTF-8')"
    )


def _head(path, sep):
    """The first rows of a table split by a CSV reader, the separator that splits
    them, and how many blank lines came before them.

    ``sep`` is the table's own separator (its suffix's); when it splits no line
    of the head while another one splits every line into the same number of
    fields (a ``.csv`` written with ``sep=";"``), that one is used."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            head = list(islice(f, HEAD_ROWS))
    except UnicodeDecodeError as exc:
        raise _decode_error(path, exc) from None
    found = None
    for candidate in (sep, *(s for s in OTHER_SEPARATORS if s != sep)):
        try:
            rows = list(csv.reader(head, delimiter=candidate))
        except csv.Error as exc:
            if candidate == sep:
                raise InputError(f"{path}: not a readable table ({exc})") from None
            continue
        leading = 0
        while leading < len(rows) and not rows[leading]:
            leading += 1  # blank lines before the table
        if leading == len(rows):
            raise InputError(f"{path}: empty file")
        rows = rows[leading:]
        widths = {len(r) for r in rows[:-1] if r} | {len(rows[0])}
        if candidate == sep:
            found = (rows, sep, leading)
            if len(rows[0]) > 1:
                break
        elif len(widths) == 1 and len(rows[0]) > 1:
            found = (rows, candidate, leading)
            break
    return found


def _names(first):
    """Column names from a header row; empty ones named as pandas names them."""
    return [c.strip() or f"Unnamed: {j}" for j, c in enumerate(first)]


def _find_column(path, name, names, n_columns):
    """The position of the ``--id-column`` ``name``."""
    if names is not None:
        if name in names:
            return names.index(name)
        shown = ", ".join(names)
        if len(names) > 10:
            shown = ", ".join([*names[:6], "...", *names[-3:]])
        raise InputError(f"--id-column {name!r}: {path} has no such column ({shown})")
    if re.fullmatch(r"\d+", name) and int(name) < n_columns:
        return int(name)
    raise InputError(
        f"--id-column {name!r}: {path} has no header, so give the column's number "
        f"from 0 to {n_columns - 1}"
    )


def _parse_table(path, sep, has_header, n_columns, id_pos):
    """The reference reader (the csv module): values, ids, precise errors."""
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _decode_error(path, exc) from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    values, ids, blank = [], [], None
    try:
        started = skipped = False
        for row in reader:
            if not started:
                if not row:
                    continue  # blank lines before the table
                started = True
                if has_header and not skipped:
                    skipped = True
                    continue
            if not row:
                blank = blank or (reader.line_num, len(values))
                continue
            if blank:
                raise InputError(f"{path}: line {blank[0]} (row {blank[1]}) is blank")
            if len(row) != n_columns:
                raise InputError(
                    f"{path}: line {reader.line_num} (row {len(values)}) has "
                    f"{len(row)} fields, the first line has {n_columns}"
                )
            numbers = []
            for j, cell in enumerate(row):
                if j == id_pos:
                    ids.append(cell.strip())
                    continue
                v = cell_number(cell)
                if v is None:
                    raise InputError(
                        f"{path}: line {reader.line_num} (row {len(values)}), column "
                        f"{j}: {cell.strip()!r} is not a number (an id column? "
                        "see --id-column)"
                    )
                numbers.append(v)
            values.append(numbers)
    except csv.Error as exc:
        raise InputError(f"{path}: line {reader.line_num}: {exc}") from None
    width = n_columns - (id_pos is not None)
    return np.array(values, dtype=np.float64).reshape(-1, width), ids


def _pandas_table(pd, path, sep, has_header, n_columns, id_pos):
    """The same table through pandas (faster), or None when pandas reads it in any
    way that needs a closer look: then the reference reader decides."""
    dtype = {id_pos: str} if id_pos is not None else None
    try:
        frame = pd.read_csv(
            path,
            sep=sep,
            header=None,
            skiprows=int(has_header),
            encoding="utf-8-sig",
            index_col=False,
            dtype=dtype,
            keep_default_na=False,
            skip_blank_lines=False,
        )
    except (ValueError, UnicodeError, OSError):
        return None
    if frame.shape[1] != n_columns:
        return None
    ids = None
    if id_pos is not None:
        ids = frame.pop(id_pos).astype(str).str.strip().tolist()
    if not all(dt.kind in "iuf" for dt in frame.dtypes):
        return None
    X = frame.to_numpy(dtype=np.float64)
    if not np.isfinite(X).all():
        return None
    return X, ids


def read_table(path, sep, header=None, id_column=None):
    """Read a CSV or TSV table of numbers.

    Parameters
    ----------
    path : path-like
        The table, UTF-8 (a byte order mark is skipped), fields split by ``sep``,
        quoted as the csv module and Excel quote.
    sep : str
        The field separator.
    header : bool or None, default=None
        Whether the first line is a header; None decides it (see ``HEADER_RULE``).
    id_column : str or None, default=None
        A column of row ids, by name or (without a header) by number from 0; it
        is left out of the features.

    Returns
    -------
    table : Table
    """
    rows, found_sep, leading = _head(path, sep)
    notes = []
    if found_sep != sep:
        notes.append(f"fields separated by {found_sep!r}")
        sep = found_sep
    try:
        has_header, note = decide_header(rows, header, id_column, line=leading + 1)
    except HeaderError as exc:
        raise InputError(f"{path}: {exc}") from None
    names = _names(rows[0]) if has_header else None
    n_columns = len(rows[0])
    id_pos = (
        None if id_column is None else _find_column(path, id_column, names, n_columns)
    )
    pd = _pandas()
    result = None
    if pd is not None and not leading:  # pandas would count blank lines as rows
        result = _pandas_table(pd, path, sep, has_header, n_columns, id_pos)
    if result is None:
        result = _parse_table(path, sep, has_header, n_columns, id_pos)
    X, ids = result
    if len(X) == 0:
        raise InputError(f"{path}: no data rows{' below the header' * has_header}")
    if names is not None and id_pos is not None:
        names = names[:id_pos] + names[id_pos + 1 :]
    return Table(
        X, ids=ids if id_pos is not None else None, columns=names, notes=[note, *notes]
    )


# --- arrays -------------------------------------------------------------------


def _load_npy(path):
    with open(path, "rb") as f:
        magic = f.read(len(NPY_MAGIC))
    if magic != NPY_MAGIC:
        raise InputError(f"{path}: not a NumPy .npy file (save it with numpy.save)")
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as exc:
        reason = "it holds Python objects" if "pickle" in str(exc) else exc
        raise InputError(f"{path}: cannot read this .npy file ({reason})") from None


def _load_npz(path, key):
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise InputError(f"{path}: not a NumPy .npz file ({exc})") from None
    with archive:
        names = list(archive.keys())
        if key is None and len(names) != 1:
            raise InputError(f"{path} holds arrays {names}; choose one with --key")
        if key is not None and key not in names:
            raise InputError(f"{path} has no array {key!r}; it holds {names}")
        try:
            return archive[key or names[0]]
        except ValueError as exc:
            name = key or names[0]
            raise InputError(f"{path}: cannot read array {name!r} ({exc})") from None


def _array_columns(path, X, id_column):
    """Split the ``--id-column`` (a column number) off an array."""
    if X.ndim != 2:
        raise InputError(f"{path}: features must be a 2-D table; got shape {X.shape}")
    if X.dtype.kind not in "biuf":
        raise InputError(
            f"{path}: features must be real numbers; got dtype {X.dtype} "
            "(complex numbers, text or records are not features)"
        )
    if id_column is None:
        return X, None
    pos = _find_column(path, id_column, None, X.shape[1])
    ids = X[:, pos]
    if (
        ids.dtype.kind == "f"
        and np.isfinite(ids).all()
        and (ids == np.round(ids)).all()
    ):
        ids = ids.astype(np.int64)
    return np.delete(X, pos, axis=1), [str(v) for v in ids.tolist()]


def _read_parquet(path, id_column):
    pd = _pandas()
    try:
        if pd is None:
            raise ImportError("No module named 'pandas'")
        frame = pd.read_parquet(path)
    except ImportError as exc:
        raise InputError(
            f"reading {path} needs pandas and pyarrow "
            f"(pip install 'skactive[pyarrow]'): {exc}"
        ) from None
    except (ValueError, OSError) as exc:
        raise InputError(f"{path}: cannot read this Parquet file ({exc})") from None
    names = [str(c) for c in frame.columns]
    frame.columns = names
    ids = None
    if id_column is not None:
        pos = _find_column(path, id_column, names, len(names))
        column = frame.pop(names[pos])
        if column.isna().any():
            row = int(np.flatnonzero(column.isna().to_numpy())[0])
            raise InputError(
                f"--id-column {id_column!r}: row {row} of {path} has no id"
            )
        ids = column.astype(str).tolist()
        names = names[:pos] + names[pos + 1 :]
    for name in names:
        dt = frame[name].dtype
        if not (pd.api.types.is_numeric_dtype(dt) or pd.api.types.is_bool_dtype(dt)):
            raise InputError(
                f"{path}: column {name!r} holds {dt}, not numbers (an id column? "
                "see --id-column)"
            )
    # Nullable dtypes (Int64, Float64, boolean) hold pd.NA: read it as NaN.
    X = frame.to_numpy(dtype=np.float64, na_value=np.nan)
    return Table(X, ids=ids, columns=names)


def load_features(path, key=None, header=None, id_column=None):
    """The features in ``path`` (.npy, .npz, .csv, .tsv or .parquet).

    Parameters
    ----------
    path : path-like
        The features file, one row per point.
    key : str or None, default=None
        The array to read from an .npz holding several.
    header : bool or None, default=None
        For tables, whether the first line is a header (None decides it).
    id_column : str or None, default=None
        A column of row ids: its name, or its number from 0 in a file without
        column names. It is not a feature.

    Returns
    -------
    table : Table
        Float32 features with no NaN or infinite value, and how they were read.
    """
    path = Path(path)
    _check_file(path)
    suffix = path.suffix.lower()
    if header is not None and suffix not in TABLES:
        flag = "--header" if header else "--no-header"
        raise InputError(f"{flag} is for .csv and .tsv files; {path} is {suffix!r}")
    if suffix in TABLES:
        table = read_table(path, TABLES[suffix], header=header, id_column=id_column)
    elif suffix == ".parquet":
        table = _read_parquet(path, id_column)
    elif suffix in (".npy", ".npz"):
        X = _load_npy(path) if suffix == ".npy" else _load_npz(path, key)
        X, ids = _array_columns(path, X, id_column)
        table = Table(X, ids=ids)
    else:
        raise InputError(f"{path}: unknown file type {suffix!r}; use {FORMATS}")
    X = table.X
    if X.ndim != 2 or X.shape[1] == 0:
        raise InputError(f"{path}: features must be a 2-D table; got shape {X.shape}")
    X = X.astype(np.float64, copy=False)
    bad = np.flatnonzero(~np.isfinite(X).all(axis=1))
    if len(bad):
        what = "NaN or infinite values"
        if suffix in TABLES or suffix == ".parquet":
            what = "NaN, infinite or missing values"
        raise InputError(f"{path}: rows with {what}: {_rows(bad)}")
    big = np.flatnonzero((np.abs(X) > FLOAT32_MAX).any(axis=1))
    if len(big):
        raise InputError(
            f"{path}: rows with values beyond float32's range (±3.4e38): "
            f"{_rows(big)}; rescale the features"
        )
    if table.ids is not None:
        _check_ids(path, id_column, table.ids)
    table.X = X.astype(np.float32)
    return table


def _rows(rows):
    return ", ".join(map(str, rows[:5])) + (" ..." if len(rows) > 5 else "")


def _check_ids(path, id_column, ids):
    seen = {}
    for row, value in enumerate(ids):
        # Empty, or NaN written as text (a float id column with a NaN, turned to
        # str); "NA", "none" and the like can be real ids (Namibia) and are kept.
        if value.lower() in ("", "nan"):
            spelled = f" ({value!r} is a missing value)" if value else ""
            raise InputError(
                f"--id-column {id_column!r}: row {row} of {path} has no id{spelled}"
            )
        if value in seen:
            raise InputError(
                f"--id-column {id_column!r}: id {value!r} is in rows {seen[value]} "
                f"and {row} of {path}; ids must be unique"
            )
        seen[value] = row


def index_like_column(X, columns=None):
    """The first column that looks like a row index, or None.

    A column looks like an index when it is named ``Unnamed: <n>``, ``id`` or
    ``index`` (any case), or holds 0, 1, ..., n-1 or 1, 2, ..., n in row order.

    Returns
    -------
    column : str or None
        The column's name, or ``"<number>"`` without a header.
    """
    for j in range(X.shape[1]):
        name = columns[j] if columns is not None else None
        if name is not None and (
            name.strip().lower() in INDEX_NAMES or name.startswith("Unnamed: ")
        ):
            return name
        start = X[0, j]
        if len(X) > 2 and start in (0, 1):
            if np.array_equal(X[:, j], np.arange(start, start + len(X), dtype=X.dtype)):
                return name if name is not None else str(j)
    return None


# --- labeled rows -------------------------------------------------------------


def load_labeled(path, n_samples, ids=None):
    """The labeled mask from a boolean .npy mask or a text file of row ids.

    Parameters
    ----------
    path : path-like
        A .npy file holding a boolean mask (one entry per row) or integer row
        numbers, or a text file with one id per line (``#`` starts a comment).
    n_samples : int
        The number of rows in the pool.
    ids : list of str or None, default=None
        The pool's ``--id-column`` values: a text file then holds these ids; else
        it holds row numbers from 0.

    Returns
    -------
    mask : ndarray of shape (n_samples,), dtype=bool
    """
    path = Path(path)
    _check_file(path)
    if path.suffix.lower() == ".npy":
        rows = _labeled_array(path, _load_npy(path), n_samples)
        if rows.dtype == bool:
            return rows
    else:
        rows = _labeled_text(path, n_samples, ids)
    unique, counts = np.unique(rows, return_counts=True)
    if (counts > 1).any():
        twice = unique[counts > 1][:5].tolist()
        raise InputError(f"{path}: row ids listed more than once: {twice}")
    mask = np.zeros(n_samples, dtype=bool)
    mask[rows] = True
    return mask


def _labeled_array(path, values, n_samples):
    if values.dtype == bool:
        if values.shape != (n_samples,):
            raise InputError(
                f"{path}: a mask needs one entry per row ({n_samples}); got shape "
                f"{values.shape}"
            )
        return values.copy()
    if values.dtype.kind not in "iu" or values.ndim != 1:
        raise InputError(
            f"{path}: expected a 1-D boolean mask or integer row ids; got dtype "
            f"{values.dtype}, shape {values.shape}"
        )
    if len(values) == n_samples and np.isin(values, (0, 1)).all():
        raise InputError(
            f"{path}: {n_samples} integers 0 and 1 for {n_samples} rows: a mask or "
            "row ids? Save a mask as booleans (mask.astype(bool)) or the row ids "
            "(numpy.flatnonzero(mask))"
        )
    return _row_array(path, values, n_samples)


def _labeled_text(path, n_samples, ids):
    try:
        lines = path.read_bytes().decode("utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise _decode_error(path, exc) from None
    entries = [
        (number, line.strip())
        for number, line in enumerate(lines, 1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if ids is not None:
        where = {value: row for row, value in enumerate(ids)}
        unknown = [value for _, value in entries if value not in where]
        if unknown:
            raise InputError(f"{path}: ids not in the --id-column: {unknown[:5]}")
        return np.array([where[value] for _, value in entries], dtype=np.intp)
    rows = []
    for number, value in entries:
        if not re.fullmatch(r"[+-]?\d+", value):
            raise InputError(
                f"{path}: line {number}: {value!r}; expected one integer row id per "
                "line"
            )
        rows.append(int(value))
    return _row_array(path, rows, n_samples)


def _row_array(path, rows, n_samples):
    """Row ids (an integer array, or Python ints of any size) as an intp array,
    each checked to be a row."""
    if isinstance(rows, np.ndarray):
        unknown = rows[(rows < 0) | (rows >= n_samples)][:5].tolist()
    else:
        unknown = [r for r in rows if not 0 <= r < n_samples][:5]
    if unknown:
        raise InputError(
            f"{path}: unknown row ids {unknown}; rows go from 0 to {n_samples - 1}"
        )
    return np.asarray(rows, dtype=np.intp)


def load_labels(path, n_samples, ids=None):
    """The labeled rows and their labels, from a text file of ``row id, label``.

    One row per line, the id and the label separated by a comma, a tab or a
    semicolon (quoted fields as spreadsheets write them). A first line whose id is
    not a row id is a header (``id,label`` as ``pandas.DataFrame.to_csv(index=False)``
    writes it) when its label is text above numeric labels, or when its id holds
    no digit and its label is none of the labels below it; any other line whose id
    is not a row id is an error. ``#`` starts a comment line. A label that is a
    missing value (``NA``, ``nan``, an empty field...) is an error, never a class.
    Labels are stripped of surrounding spaces; when every label is a number they
    are read as numbers (``1`` and ``1.0`` are one class), else kept as text.

    Parameters
    ----------
    path : path-like
        The file.
    n_samples : int
        The number of rows in the pool.
    ids : list of str or None, default=None
        The pool's ``--id-column`` values: the file then holds these ids; else it
        holds row numbers from 0.

    Returns
    -------
    rows : ndarray of shape (n_labeled,), dtype=intp
        The labeled rows, in file order.
    labels : ndarray of shape (n_labeled,)
        Their labels: int64 or float64 when every label is a number, else str
        (dtype object).
    """
    path = Path(path)
    _check_file(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _decode_error(path, exc) from None
    lines = [
        (number, line)
        for number, line in enumerate(text.splitlines(), 1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        raise InputError(f"{path}: no labels (expected 'row id, label' per line)")

    where = None if ids is None else {value: row for row, value in enumerate(ids)}

    def row_of(value):
        value = value.strip()
        if where is not None:
            return where.get(value)
        if re.fullmatch(r"[+-]?\d+", value):
            return int(value)
        return None

    # The delimiter that splits the most lines into a row id and one more field
    # (quotes honoured); ties go to the comma, then the tab.
    def pairs(delimiter):
        count = 0
        for _, line in lines[:1000]:
            fields = next(csv.reader([line], delimiter=delimiter))
            count += len(fields) == 2 and row_of(fields[0]) is not None
        return count

    delimiter = max((",", "\t", ";"), key=pairs)

    parsed = [
        (number, line, next(csv.reader([line], delimiter=delimiter)))
        for number, line in lines
    ]
    rows, labels = [], []
    for i, (number, line, fields) in enumerate(parsed):
        if len(fields) != 2 or not fields[1].strip():
            raise InputError(
                f"{path}: line {number}: {line.strip()!r}; expected a row id and a "
                "label"
            )
        row = row_of(fields[0])
        if row is None:
            if i == 0 and _labels_header(fields, parsed[1:]):
                continue
            what = "an id of the --id-column" if where is not None else "a row id"
            raise InputError(
                f"{path}: line {number}: {fields[0].strip()!r} is not {what}"
            )
        label = fields[1].strip()
        if label.lower() in MISSING:
            raise InputError(
                f"{path}: line {number}: the label {label!r} of row id "
                f"{fields[0].strip()!r} is a missing value, not a class; leave the "
                "row out of --labels (list it in --labeled to keep it pending)"
            )
        rows.append(row)
        labels.append(label)
    if not rows:
        raise InputError(f"{path}: a header and no labels")
    rows = _row_array(path, rows, n_samples)
    unique, counts = np.unique(rows, return_counts=True)
    if (counts > 1).any():
        twice = unique[counts > 1][:5].tolist()
        raise InputError(f"{path}: row ids labeled more than once: {twice}")
    return rows, _label_values(labels)


def _labels_header(first, below):
    """Whether the first line of a labels file (its id is no row id) names the
    columns: its label is text above numeric labels, or its id has no digit (an
    id typo keeps the digits of the ids) and its label is none of those below."""
    labels = [f[1].strip() for _, _, f in below if len(f) == 2]
    label = first[1].strip()
    if labels and cell_number(label) is None:
        if all(cell_number(v) is not None for v in labels):
            return True
    return not any(c.isdigit() for c in first[0]) and label not in labels


def _label_values(labels):
    """Labels as read: numbers when every label is one (``1`` and ``1.0`` are
    then one class), else text."""
    values = [cell_number(v) for v in labels]
    if all(v is not None and np.isfinite(v) for v in values):
        numbers = np.array(values, dtype=np.float64)
        if (numbers == np.round(numbers)).all() and (np.abs(numbers) < 2**53).all():
            return numbers.astype(np.int64)
        return numbers
    return np.array(labels, dtype=object)


# --- outputs ------------------------------------------------------------------


@dataclass
class Destination:
    """Where an output goes, checked before any work.

    Attributes
    ----------
    name : str
        The path as the user wrote it, for messages; ``"-"`` is standard output.
    target : str or None
        The file to write (a symbolic link resolved), None for standard output.
    direct : bool
        Write into ``target`` in place: it is not a regular file (a device such as
        /dev/null, a FIFO), so it is never replaced.
    fd : int or None
        A file descriptor of this process that the path names (``/dev/stdout``,
        ``/dev/fd/3``, a link to ``/proc/self/fd/1``): written through the
        descriptor as the shell opened it (appending, at its position), never
        opened again, which would truncate what it names.
    """

    name: str
    target: str | None = None
    direct: bool = False
    fd: int | None = None


def check_destination(path, option="-o", inputs=()):
    """Check that ``path`` can be written, before any computation.

    A symbolic link is followed: its target is replaced, the link stays. A
    device or FIFO is written in place. A regular file is replaced atomically.

    Parameters
    ----------
    path : str or None
        The output path; None or ``"-"`` is standard output.
    option : str, default="-o"
        The option's name, for messages.
    inputs : sequence of path-like
        Input files the output must not be.

    Returns
    -------
    destination : Destination
    """
    if path is None or path == "-":
        return Destination("-")
    name = str(path)
    if name == "":
        raise InputError(
            f"{option} '': an empty file name; use {option} - for standard output"
        )
    if name.endswith(os.sep):
        raise InputError(f"{option} {name}: names a folder, not a file")
    fd = _descriptor(name)
    if fd is not None:
        return _check_descriptor(name, fd, option)
    special = _special_file(name, option)
    if special is not None:
        return special
    target = os.path.realpath(name)
    if os.path.islink(target):
        raise InputError(f"{option} {name}: a loop of symbolic links")
    if os.path.isdir(target):
        raise InputError(f"{option} {name}: is a directory")
    for other in inputs:
        if other is not None and os.path.exists(target) and os.path.exists(other):
            if os.path.samefile(target, other):
                raise InputError(f"{option} {name}: is the input file {other}")
    if os.path.exists(target):
        # A file the user may not write is not replaced either (as with '>').
        if not os.access(target, os.W_OK):
            raise InputError(f"{option} {name}: permission denied")
        if not stat.S_ISREG(os.stat(target).st_mode):
            return Destination(name, target, direct=True)
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        shown = os.path.dirname(name) if not os.path.islink(name) else folder
        raise InputError(f"{option} {name}: folder {shown} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{option} {name}: cannot write in folder {folder}")
    try:  # what the write will do, tried now (root passes os.access everywhere)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(target)}.")
    except OSError as exc:
        raise InputError(
            f"{option} {name}: cannot write in folder {folder} ({exc.strerror})"
        ) from None
    os.close(fd)
    os.unlink(tmp)
    return Destination(name, target)


def _descriptor(name):
    """The file descriptor of this process that ``name`` names, following its
    symbolic links one by one (``/dev/stdout`` -> ``/proc/self/fd/1``), or None."""
    fd_path = re.compile(rf"/(?:proc/(?:self|thread-self|{os.getpid()})|dev)/fd/(\d+)")
    path = os.path.abspath(name)
    for _ in range(40):  # as many links as the kernel follows
        found = fd_path.fullmatch(path)
        if found:
            return int(found.group(1))
        if not os.path.islink(path):
            return None
        path = os.path.normpath(os.path.join(os.path.dirname(path), os.readlink(path)))
    return None


def _check_descriptor(name, fd, option):
    import fcntl  # POSIX, as the paths that name descriptors are

    try:
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    except OSError:
        raise InputError(
            f"{option} {name}: names file descriptor {fd}, which is not open"
        ) from None
    if flags & os.O_ACCMODE == os.O_RDONLY:
        raise InputError(
            f"{option} {name}: names file descriptor {fd}, which is open for "
            "reading only"
        )
    return Destination(name, fd=fd)


def _special_file(name, option):
    """The :class:`Destination` of a device, FIFO or socket that ``name`` is or
    links to, written in place; None for anything else. Read through ``name``
    itself: a link into ``/proc/self/fd`` has no path of its own to resolve."""
    try:
        st = os.stat(name)
    except OSError:
        return None  # no such file (or a loop of links): decided below
    if stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode):
        return None
    if not os.access(name, os.W_OK):
        raise InputError(f"{option} {name}: permission denied")
    return Destination(name, name, direct=True)


def _umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_output(data, destination):
    """Write ``data`` (str or bytes) to a checked :class:`Destination`.

    A regular file is written to a temporary file in its folder, then renamed
    over the target, so that it is either complete or untouched. A new file gets
    mode ``0o666 & ~umask``, an existing one keeps its mode (and, when allowed, its
    owner).
    """
    if destination.fd not in (None, 1):
        data = data.encode() if isinstance(data, str) else data
        try:
            while data:
                data = data[os.write(destination.fd, data) :]
        except OSError as exc:
            raise InputError(
                f"cannot write {destination.name}: {exc.strerror or exc}"
            ) from None
        return
    if destination.target is None:  # standard output, by "-" or by a name
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
        else:
            sys.stdout.write(data)
        sys.stdout.flush()
        return
    mode = "wb" if isinstance(data, bytes) else "w"
    target = destination.target
    try:
        if destination.direct:
            with open(target, mode) as f:
                f.write(data)
            return
        try:
            st = os.stat(target)
        except FileNotFoundError:
            st = None
        folder, base = os.path.split(target)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{base}.", suffix=".tmp")
        try:
            with os.fdopen(fd, mode) as f:
                if st is None:
                    os.fchmod(f.fileno(), 0o666 & ~_umask())
                else:
                    os.fchmod(f.fileno(), stat.S_IMODE(st.st_mode))
                    try:
                        os.fchown(f.fileno(), st.st_uid, st.st_gid)
                    except OSError:
                        pass  # not ours to give away: the file becomes ours
                f.write(data)
            os.replace(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as exc:
        raise InputError(
            f"cannot write {destination.name}: {exc.strerror or exc}"
        ) from None
