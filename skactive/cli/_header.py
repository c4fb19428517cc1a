# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Whether a table's first line is a header, decided from the types of its columns.

A header that is read as data adds a row at the top and shifts every row number
of the output by one, so nothing here guesses. Each column says what it can: its
first cell either has the type of the cells below it (evidence of data, when the
cell could be no column name) or not (evidence of a header); when the columns give
no evidence, or evidence both ways, the caller must say which it is.
"""

import math
import re

__all__ = ["HEADER_RULE", "MISSING", "HeaderError", "decide_header", "cell_number"]

# Spellings of a missing value: NaN in a data row (and so an error), and no
# evidence either way when the header is decided.
MISSING = {"", "na", "n/a", "nan", "-nan", "null", "none", "#n/a", "<na>"}
HEADER_RULE = (
    "A first line is a header when, in some column, it does not have the type of "
    "the cells below it: a name above numbers, a number above text (ids), "
    "pandas' default names 0,1,...,d-1 above anything but integers, or the "
    "--id-column name. It is data "
    "when it holds a decimal number above decimals, or the same number twice, and "
    "nothing says header. When the columns tell nothing, or tell both, the command "
    "stops and asks for --header or --no-header, which always decide."
)

_INT = re.compile(r"[+-]?\d+")


class HeaderError(Exception):
    """The first line cannot be decided; the message says why."""


def cell_number(cell):
    """``cell`` as a float, NaN for a missing value, None for text."""
    cell = cell.strip()
    if cell.lower() in MISSING:
        return math.nan
    if "_" in cell:  # float() reads "1_000"; no table reader does
        return None
    try:
        return float(cell)
    except ValueError:
        return None


def _kind(cell):
    """One of "missing", "int", "decimal" or "text"."""
    value = cell_number(cell)
    if value is None:
        return "text"
    if value != value:
        return "missing"
    return "int" if _INT.fullmatch(cell.strip()) else "decimal"


def _column_kind(cells):
    """The type of a column's cells below the first line: "int" (integers only),
    "number" (numbers, some decimal), "text" (no number), "mixed", or None (every
    cell missing)."""
    kinds = {_kind(c) for c in cells} - {"missing"}
    if not kinds:
        return None
    if kinds == {"int"}:
        return "int"
    if kinds <= {"int", "decimal"}:
        return "number"
    if kinds == {"text"}:
        return "text"
    return "mixed"


def _pandas_positions(first, kinds):
    """The positions of pandas' default column names 0,1,...,k-1 in the first
    line, or None. Before them may stand an index's name (a name above numbers,
    or empty when the index has none), after them named columns
    (``frame.assign(id=...)``, then k >= 3, so that a data row ``0,1,abc`` is no
    header)."""
    numbers = [j for j, c in enumerate(first) if _kind(c) in ("int", "decimal")]
    names = [first[j].strip() for j in numbers]
    if len(numbers) < 2 or names != [str(i) for i in range(len(numbers))]:
        return None
    start, stop = numbers[0], numbers[-1] + 1
    if numbers != list(range(start, stop)):
        return None
    for j in range(start):
        cell = first[j].strip()
        if cell and not (_kind(cell) == "text" and kinds[j] in ("int", "number")):
            return None
    if stop < len(first) and len(numbers) < 3:
        return None
    return numbers


def _shown(first):
    cells = [c.strip() for c in first[:3]]
    return ",".join(cells) + (",..." if len(first) > 3 else "")


def _evidence(first, rest):
    """Reasons the first line is a header, reasons it is data, and reasons it may
    be data (which alone decide nothing, but make the header reasons doubtful)."""
    header, data, maybe = [], [], []
    kinds = [
        _column_kind([r[j] for r in rest if j < len(r)]) for j in range(len(first))
    ]
    pandas = _pandas_positions(first, kinds) or []
    for j, (cell, below) in enumerate(zip(first, kinds, strict=True)):
        kind = _kind(cell)
        if kind == "text" and below in ("int", "number"):
            header.append(f"column {j}: {cell.strip()!r} above numbers")
        elif kind in ("int", "decimal") and below == "text":
            header.append(f"column {j}: the number {cell.strip()} above text")
        elif kind == "decimal" and below == "number":
            data.append(f"column {j}: the decimal {cell.strip()} above decimals")
        elif kind == "int" and below in ("int", "number") and j not in pandas:
            maybe.append(f"column {j}: the number {cell.strip()} above numbers")
    if pandas:
        if any(kinds[j] not in ("int", None) for j in pandas):
            header.append("pandas' default column names 0,1,... above decimals")
        elif first[0].strip() == "" and pandas == list(range(1, len(first))):
            header.append("pandas' default column names after an unnamed index")
    values = [cell_number(c) for c in first]
    numbers = [v for v in values if v is not None and v == v]
    if len(set(numbers)) < len(numbers):
        data.append("the same number twice, which no header repeats")
    return header, data, maybe


def decide_header(rows, header=None, id_column=None, line=1):
    """Whether the first of ``rows`` (lists of cells) is a header, and why.

    Parameters
    ----------
    rows : list of list of str
        The first rows of the table, as a CSV reader splits them.
    header : bool or None, default=None
        The user's ``--header`` (True) or ``--no-header`` (False); None decides
        by the rule in ``HEADER_RULE``.
    id_column : str or None, default=None
        The user's ``--id-column``: a name (not a number) found in the first line
        says the line holds names.
    line : int, default=1
        The first row's line number in the file, for messages.

    Returns
    -------
    has_header : bool
        Whether the first row holds column names.
    note : str
        The decision in words, for the progress line.

    Raises
    ------
    HeaderError
        When the columns give no evidence, or evidence both ways; the message
        names the line and asks for ``--header`` or ``--no-header``.
    """
    if header is not None:
        flag = "--header" if header else "--no-header"
        return header, f"{'header taken' if header else 'no header'} ({flag})"
    first, rest = rows[0], [r for r in rows[1:] if r]
    if not rest:  # one line: too few rows whichever it is; names make it a header
        has_text = any(_kind(c) == "text" for c in first)
        return has_text, "header taken" if has_text else "no header"
    if id_column is not None and not _INT.fullmatch(id_column.strip()):
        if id_column.strip() in (c.strip() for c in first):  # only a header has names
            return True, f"header taken (the --id-column name {id_column.strip()!r})"
    for_header, for_data, maybe_data = _evidence(first, rest)
    if for_header and not for_data and not maybe_data:
        taken = "header taken"
        if for_header[0].startswith("pandas'"):
            taken = f"header {_shown(first)} taken"
        return True, f"{taken} ({for_header[0]}; --no-header if that line is data)"
    if for_data and not for_header:
        return False, f"no header ({for_data[0]}; --header if that line is names)"
    if for_header:
        why = (
            f"it looks like names ({for_header[0]}, or a missing-value marker) and "
            f"like data ({(for_data or maybe_data)[0]})"
        )
    else:
        why = "its cells have the types of the cells below them"
    raise HeaderError(
        f"cannot tell whether line {line} ({_shown(first)}) is a header: {why}; "
        "pass --header or --no-header"
    )
