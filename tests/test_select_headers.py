# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""The header rule on every table pandas writes: over the options of ``to_csv``, the
reader returns the rows ``pandas.read_csv`` returns with the right ``header`` and
``sep`` (in order, with their ids), or one line that names line 1 and asks for
``--header``/``--no-header``, or names the row that holds a missing value. Never
other rows."""

import csv
import io
import itertools
import re

import numpy as np
import pytest
from sklearn.datasets import load_digits

from skactive import CoresetSampler, TypiClustSampler
from skactive.cli import main
from skactive.cli._io import InputError, load_features

pd = pytest.importorskip("pandas")

N_ROWS, N_FEATURES = 12, 3
VALUES = {
    # Digits' pixels as integers: small counts, repeated within a row.
    "int": load_digits().data[:N_ROWS, 18:21].astype(np.int64),
    "float": np.random.RandomState(0).normal(size=(N_ROWS, N_FEATURES)),
}
IDS = {
    "int": np.arange(1000, 1000 + N_ROWS),
    "float": np.arange(N_ROWS) * 0.5,
    "str": np.array([f"img_{i:03d}" for i in range(N_ROWS)]),
}
INDEX = ("none", "range", "range-label", "str")
NA = (None, ("", 0), ("NA", 4), ("?", 0), ("?", 4))  # (na_rep, row of the NaN)
SEPS = ((",", ".csv"), (";", ".csv"), ("\t", ".tsv"))
QUOTING = (csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC)
ASK = re.compile(r"line 1 \(.*\) is a header.*pass --header or --no-header$")


def _frame(values, names, index, id_kind, na):
    frame = pd.DataFrame(VALUES[values])
    if names == "named":
        frame.columns = [f"f{j}" for j in range(N_FEATURES)]
    if na is not None:
        frame.iloc[na[1], 1] = np.nan
    if id_kind is not None:
        frame = frame.assign(id=IDS[id_kind])
    if index == "str":
        frame.index = [f"key_{i}" for i in range(N_ROWS)]
    return frame


def _cases():
    """Every combination of the options, but the quoting, which takes its three
    values in turn (it changes how a line is split, never what a cell holds)."""
    combinations = itertools.product(
        VALUES,
        ("default", "named"),
        INDEX,
        (None, *IDS),
        (True, False),
        SEPS,
        NA,
        (None, "%.3f"),
    )
    for i, case in enumerate(combinations):
        values, names, index, id_kind, header, (sep, suffix), na, fmt = case
        if names == "named" and not header:
            continue  # the same file as with the default names
        if index == "str" and id_kind is not None:
            continue  # two id columns: no way to say both
        quoting = QUOTING[i % len(QUOTING)]
        yield values, names, index, id_kind, header, sep, suffix, quoting, na, fmt


def _id_column(frame, index, header):
    """The column a user names with --id-column: the ids, else the index; by name
    with a header, by number without one."""
    written = index != "none"
    if "id" in frame.columns:
        return "id" if header else str(int(written) + frame.shape[1] - 1)
    if written:
        if header:
            return "idx" if index == "range-label" else "Unnamed: 0"
        return "0"
    return None


def _expected(path, sep, header, id_column, na):
    """The rows and ids as pandas reads them (with the right header and sep)."""
    frame = pd.read_csv(
        path,
        sep=sep,
        header=0 if header else None,
        dtype=str,
        keep_default_na=False,
        na_values=[] if na is None else [na[0]],
    )
    frame.columns = [str(c) for c in frame.columns]
    ids = None
    if id_column is not None:
        ids = frame.pop(id_column).str.strip().tolist()
    X = frame.astype(np.float64).to_numpy().astype(np.float32)
    assert np.isnan(X).any(axis=1).tolist() == [
        na is not None and row == na[1] for row in range(N_ROWS)
    ]
    return X, ids


def _outcome(path, header, id_column, expected_X, expected_ids, nan_row):
    """ "rows", "ask" or "nan"; anything else fails the test."""
    try:
        table = load_features(path, header=header, id_column=id_column)
    except InputError as exc:
        message = str(exc)
        assert "\n" not in message
        if nan_row is not None and (
            re.search(rf"\(row {nan_row}\)", message)
            or re.search(rf"missing values: {nan_row}\b", message)
        ):
            return "nan"
        assert header is None and ASK.search(message), message
        return "ask"
    assert nan_row is None, f"{path}: a missing value at row {nan_row} was read"
    np.testing.assert_array_equal(table.X, expected_X)
    assert table.ids == expected_ids
    return "rows"


def test_every_pandas_table_reads_its_rows_or_asks(tmp_path):
    counts, seen = {}, set()
    for case in _cases():
        values, names, index, id_kind, header, sep, suffix, quoting, na, fmt = case
        frame = _frame(values, names, index, id_kind, na)
        text = frame.to_csv(
            None,
            sep=sep,
            index=index != "none",
            index_label="idx" if index == "range-label" else None,
            header=header,
            quoting=quoting,
            na_rep="" if na is None else na[0],
            float_format=fmt,
        )
        id_column = _id_column(frame, index, header)
        if (text, suffix, id_column) in seen:
            continue
        seen.add((text, suffix, id_column))
        path = tmp_path / f"t{suffix}"
        path.write_text(text)
        expected_X, expected_ids = _expected(path, sep, header, id_column, na)
        nan_row = None if na is None else na[1]
        context = f"{case}\n{text[:200]}"
        try:
            got = _outcome(path, None, id_column, expected_X, expected_ids, nan_row)
            told = _outcome(path, header, id_column, expected_X, expected_ids, nan_row)
        except AssertionError as exc:
            raise AssertionError(f"{context}\n{exc}") from None
        assert told in ("rows", "nan"), context
        # Decimals without a missing value always say which the first line is.
        if values == "float" and na is None:
            assert got == "rows", context
        counts[got] = counts.get(got, 0) + 1
    assert counts["rows"] > 0 and counts["nan"] > 0 and counts["ask"] > 0


@pytest.mark.parametrize("id_kind", ["int", "float", "str"])
@pytest.mark.parametrize("method", ["coreset", "typiclust"])
def test_select_pandas_frame_with_an_id_column(tmp_path, capsys, id_kind, method):
    # pandas writes the header 0,1,...,7,id for a frame with an assigned id
    # column: never a row of the pool, whatever the ids' type and the method.
    n = 101
    X = load_digits().data[:n, 16:24]
    ids = {
        "int": np.arange(n) * 7 + 3,
        "float": np.arange(n) * 0.5,
        "str": np.array([f"img_{i}" for i in range(n)]),
    }[id_kind]
    path = tmp_path / "emb.csv"
    pd.DataFrame(X).assign(id=ids).to_csv(path, index=False)
    argv = ["select", str(path), "--budget", "5", "--method", method, "--quiet"]
    assert main([*argv, "--id-column", "id"]) == 0
    out, err = capsys.readouterr()
    rows = pd.read_csv(io.StringIO(out), dtype={"id": str})
    sampler = {"coreset": CoresetSampler, "typiclust": TypiClustSampler}[method]
    expected = sampler(random_state=0).fit(X).query(None, 5)
    assert rows["row"].tolist() == expected.tolist()
    assert rows["id"].tolist() == [str(ids[r]) for r in expected]
    # Without --id-column: the ids are features (numbers) or an error naming the
    # column, never the header as a row.
    status = main(argv)
    out, err = capsys.readouterr()
    if id_kind == "str":
        assert status == 1 and "column 8: 'img_0' is not a number" in err
        assert "line 2 (row 0)" in err
    else:
        picks = pd.read_csv(io.StringIO(out))["row"].tolist()
        with_ids = np.column_stack([X, ids])
        assert picks == sampler(random_state=0).fit(with_ids).query(None, 5).tolist()
