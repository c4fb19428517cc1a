# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""``skactive select`` on files made the way users make them: the row ids in the
output are the file's data rows (or the user's ids), exactly as the API picks."""

import csv
import re

import numpy as np
import pytest
from sklearn.datasets import make_blobs

import skactive.cli._io as skactive_io
from skactive import TypiClustSampler
from skactive.cli import main

BUDGET = 6


@pytest.fixture(params=["pandas", "csv module"])
def reader(request, monkeypatch):
    """Run each table test with pandas and with the csv module alone."""
    if request.param == "pandas":
        pytest.importorskip("pandas")
    else:
        monkeypatch.setattr(skactive_io, "_pandas", lambda: None)
    return request.param


@pytest.fixture
def X():
    X, _ = make_blobs(n_samples=90, centers=4, n_features=4, random_state=0)
    return X


def expected_rows(X, mask=None):
    return TypiClustSampler(random_state=0).fit(X).query(mask, BUDGET).tolist()


def run(capsys, path, *extra):
    """Exit status, output rows (dicts) and standard error of one select run."""
    status = main(["select", str(path), "--budget", str(BUDGET), *extra])
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(out.splitlines())) if status == 0 else None
    return status, rows, err


def picked(rows, column="row"):
    return [int(r[column]) if column == "row" else r[column] for r in rows]


def write_rows(path, rows, encoding="utf-8", **writer_options):
    with open(path, "w", newline="", encoding=encoding) as f:
        csv.writer(f, **writer_options).writerows(rows)


# --- header decisions -----------------------------------------------------------


@pytest.mark.parametrize("sep, suffix", [(",", "csv"), ("\t", "tsv")])
def test_pandas_to_csv_without_index_takes_the_0_1_2_header(
    tmp_path, capsys, X, reader, sep, suffix
):
    pd = pytest.importorskip("pandas")
    path = tmp_path / f"emb.{suffix}"
    pd.DataFrame(X).to_csv(path, index=False, sep=sep)
    assert path.read_text().startswith(f"0{sep}1{sep}2{sep}3\n")
    status, rows, err = run(capsys, path)
    assert status == 0
    assert picked(rows) == expected_rows(X)
    assert "90 rows x 4 feature columns; header 0,1,2,... taken" in err
    assert "--no-header if that line is data" in err


USER_TABLES = {
    "savetxt": (lambda p, X: np.savetxt(p, X, delimiter=","), False),
    "savetxt-header": (  # numpy writes "# a,b,c,d"
        lambda p, X: np.savetxt(p, X, delimiter=",", header="a,b,c,d"),
        True,
    ),
    "savetxt-header-no-comment": (
        lambda p, X: np.savetxt(p, X, delimiter=",", header="a,b,c,d", comments=""),
        True,
    ),
    "quoted": (lambda p, X: write_rows(p, X.tolist(), quoting=csv.QUOTE_ALL), False),
    "quoted-header": (
        lambda p, X: write_rows(p, [list("abcd"), *X.tolist()], quoting=csv.QUOTE_ALL),
        True,
    ),
    "excel-bom": (
        lambda p, X: write_rows(p, X.tolist(), encoding="utf-8-sig"),
        False,
    ),
    "excel-bom-header": (
        lambda p, X: write_rows(p, [list("abcd"), *X.tolist()], encoding="utf-8-sig"),
        True,
    ),
    "excel-bom-crlf": (
        lambda p, X: write_rows(
            p, X.tolist(), encoding="utf-8-sig", lineterminator="\r\n"
        ),
        False,
    ),
}


@pytest.mark.parametrize("kind", USER_TABLES)
def test_user_tables_give_the_api_rows(tmp_path, capsys, X, reader, kind):
    save, has_header = USER_TABLES[kind]
    path = tmp_path / "emb.csv"
    save(path, X)
    status, rows, err = run(capsys, path)
    assert status == 0, err
    assert picked(rows) == expected_rows(X)
    assert "90 rows x 4 feature columns" in err
    assert ("header taken" if has_header else "no header") in err


def test_savetxt_with_fmt(tmp_path, capsys, X, reader):
    path = tmp_path / "emb.csv"
    np.savetxt(path, X, delimiter=",", fmt="%.6f")
    status, rows, _ = run(capsys, path)
    assert picked(rows) == expected_rows(np.round(X, 6))


def test_headerless_first_row_with_an_empty_cell_is_data(tmp_path, capsys, reader):
    path = tmp_path / "emb.csv"
    path.write_text(",1.5,2.5\n0.1,0.2,0.3\n0.4,0.5,0.6\n")
    status, _, err = run(capsys, path, "--method", "random")
    assert status == 1
    assert err == (
        f"skactive select: error: {path}: rows with NaN, infinite or missing values: "
        "0\n"
    )


def test_headerless_first_row_0_1_2_is_settled_by_the_flags(
    tmp_path, capsys, X, reader
):
    # A headerless file whose first data row is exactly 0,1,2,3, as integers.
    X = np.vstack([[0, 1, 2, 3], np.round(X * 10)]).astype(np.int64)
    path = tmp_path / "counts.csv"
    np.savetxt(path, X, delimiter=",", fmt="%d")
    status, _, err = run(capsys, path)
    assert status == 1 and err.count("\n") == 1
    assert f"error: {path}: cannot tell whether line 1 (0,1,2,...) is a header" in err
    assert "pass --header or --no-header" in err
    status, rows, err = run(capsys, path, "--no-header")
    assert picked(rows) == expected_rows(X)
    assert "91 rows x 4 feature columns; no header (--no-header)" in err
    status, rows, err = run(capsys, path, "--header")
    assert picked(rows) == expected_rows(X[1:])
    assert "90 rows x 4 feature columns; header taken (--header)" in err


def test_first_row_0_1_2_above_decimals_is_a_header_unless_told(
    tmp_path, capsys, X, reader
):
    path = tmp_path / "emb.csv"
    path.write_text(
        "0,1,2,3\n" + "\n".join(",".join(str(float(v)) for v in r) for r in X) + "\n"
    )
    status, rows, err = run(capsys, path)
    assert picked(rows) == expected_rows(X)
    assert "header 0,1,2,... taken (pandas' default column names" in err
    X_all = np.vstack([[0, 1, 2, 3], X])
    status, rows, err = run(capsys, path, "--no-header")
    assert picked(rows) == expected_rows(X_all)
    assert "91 rows x 4 feature columns; no header (--no-header)" in err


def test_pandas_integer_frame_needs_a_flag(tmp_path, capsys, X, reader):
    pd = pytest.importorskip("pandas")
    X = np.round(X * 10).astype(np.int64)
    path = tmp_path / "counts.csv"
    pd.DataFrame(X).to_csv(path, index=False)
    assert run(capsys, path)[0] == 1
    status, rows, _ = run(capsys, path, "--header")
    assert picked(rows) == expected_rows(X)


def test_decide_header_rule():
    decide = skactive_io.decide_header
    assert decide([["a", "b"], ["1", "2"]])[0]
    assert decide([["1.5", "2"], ["3.5", "4"]]) == (
        False,
        "no header (column 0: the decimal 1.5 above decimals; --header if that "
        "line is names)",
    )
    # A text column (ids) above text says nothing; the numbers decide: data.
    assert not decide([["img_1", "0.5"], ["img_2", "0.7"]])[0]
    assert decide([["name", "x"], ["img_2", "0.7"]])[0]
    assert decide([["0", "1"], ["0.5", "0.25"]])[0]
    assert decide([["", "0", "1"], ["0", "0.5", "0.25"]])[0]
    assert decide([["", "0", "1"], ["0", "5", "2"]])[0]  # an unnamed index
    # pandas' names with a named column after them (frame.assign(id=...)).
    assert decide([["0", "1", "2", "id"], ["0.5", "0.25", "0.1", "a7"]])[0]
    assert decide([["0", "1", "2"], ["0.5", "0.25", "a7"]])[0]  # a number above ids
    assert decide([["idx", "0", "1"], ["3", "0.5", "0.25"]])[0]  # an index's name
    assert not decide([["NA", "1.5"], ["0.5", "0.25"]])[0]  # NA is not a name
    assert not decide([["3", "3", "1"], ["2", "5", "4"]])[0]  # 3 twice: data
    # The --id-column's name in the first line makes it names.
    assert decide([["0", "1", "id"], ["1", "4", "a7"]], id_column="id")[0]
    assert decide([["0", "1", "id"], ["0.5", "0.25", "b"]], id_column="id")[0]
    for undecided in (
        [["0", "1"], ["2", "3"]],  # pandas' names above integers, or a data row
        [["1", "0"], ["0.5", "0.25"]],  # integers above decimals: years? data?
        [["", "7", "1"], ["0", "0.5", "0.25"]],  # a missing value or an empty name
        [["0.5", "?"], ["0.25", "0.75"]],  # a decimal, and text above numbers
        [["a", "0", "1"], ["b", "0.5", "0.25"]],  # an id, then the values 0 and 1
        [["0", "1", "a"], ["0.5", "0.25", "b"]],  # the values 0 and 1, then an id
        [["0", "1", "id"], ["0.5", "0.25", "b"]],  # the same, or two names and id
    ):
        with pytest.raises(skactive_io.HeaderError, match="pass --header or --no-he"):
            decide(undecided)
    assert decide([["0", "1"], ["2", "3"]], header=True)[0]
    assert not decide([["a", "b"], ["2", "3"]], header=False)[0]


# --- id columns -------------------------------------------------------------------


def test_pandas_index_column_warns_and_id_column_reports_it(
    tmp_path, capsys, X, reader
):
    pd = pytest.importorskip("pandas")
    path = tmp_path / "emb.csv"
    pd.DataFrame(X).to_csv(path)  # the default: with the index, header ",0,1,2,3"
    status, rows, err = run(capsys, path, "-q")
    assert status == 0
    warning = [line for line in err.splitlines() if "warning" in line]
    assert len(warning) == 1 and "column 'Unnamed: 0' looks like a row index" in err
    assert "--id-column 'Unnamed: 0'" in err
    status, rows, err = run(capsys, path, "--id-column", "Unnamed: 0")
    assert status == 0 and "warning" not in err
    assert picked(rows) == expected_rows(X)
    assert picked(rows, "id") == [str(r) for r in expected_rows(X)]
    assert "90 rows x 4 feature columns" in err and "ids from column" in err


def test_string_ids_stay_out_of_the_features(tmp_path, capsys, X, reader):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=list("abcd"))
    frame.index = [f"img_{i:03d}" for i in range(len(X))]
    path = tmp_path / "emb.csv"
    frame.rename_axis("id").to_csv(path)
    status, rows, err = run(capsys, path, "--id-column", "id", "-q")
    assert status == 0 and err == ""
    assert picked(rows) == expected_rows(X)
    assert picked(rows, "id") == [f"img_{r:03d}" for r in expected_rows(X)]
    # Without --id-column the ids are not numbers: one line, naming the way out.
    status, _, err = run(capsys, path)
    assert status == 1 and err.count("\n") == 1
    assert "column 0: 'img_000' is not a number (an id column? see --id-column)" in err


def test_integer_id_column_in_a_headerless_file(tmp_path, capsys, X, reader):
    ids = np.arange(1000, 1000 + len(X))
    np.savetxt(tmp_path / "emb.csv", np.column_stack([ids, X]), delimiter=",")
    status, rows, err = run(capsys, tmp_path / "emb.csv", "--id-column", "0")
    assert picked(rows) == expected_rows(X)
    assert picked(rows, "id") == [f"{1000 + r:.18e}" for r in expected_rows(X)]


def test_index_column_by_values_warns_once(tmp_path, capsys, X):
    path = tmp_path / "emb.npy"
    np.save(path, np.column_stack([np.arange(1, len(X) + 1), X]))
    status, rows, err = run(capsys, path, "-q")
    assert status == 0
    assert err.count("\n") == 1 and "column '0' looks like a row index" in err
    status, rows, err = run(capsys, path, "-q", "--id-column", "0")
    assert picked(rows) == expected_rows(X) and err == ""
    assert picked(rows, "id") == [str(r + 1) for r in expected_rows(X)]


def test_labeled_ids_with_id_column(tmp_path, capsys, X, reader):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=list("abcd"))
    frame.insert(0, "sample", [f"s{i}" for i in range(len(X))])
    frame.to_csv(tmp_path / "emb.csv", index=False)
    first = expected_rows(X)[:2]
    (tmp_path / "done.txt").write_text("".join(f"s{r}\n" for r in first))
    mask = np.zeros(len(X), dtype=bool)
    mask[first] = True
    argv = ["--id-column", "sample", "--labeled", str(tmp_path / "done.txt")]
    status, rows, _ = run(capsys, tmp_path / "emb.csv", *argv)
    assert status == 0
    assert picked(rows) == expected_rows(X, mask)
    assert not set(picked(rows)) & set(first)
    (tmp_path / "done.txt").write_text("s1\nnope\n")
    status, _, err = run(capsys, tmp_path / "emb.csv", *argv)
    assert status == 1 and "ids not in the --id-column: ['nope']" in err


def test_id_column_errors(tmp_path, capsys, X, reader):
    path = tmp_path / "emb.csv"
    write_rows(path, [["id", "a"], ["x", "1"], ["y", "2"], ["x", "3"]])
    status, _, err = run(capsys, path, "--id-column", "nope")
    assert status == 1 and "--id-column 'nope': " in err and "(id, a)" in err
    status, _, err = run(capsys, path, "--id-column", "id")
    assert status == 1 and "id 'x' is in rows 0 and 2" in err
    write_rows(path, [["id", "a"], ["x", "1"], ["", "2"], ["y", "3"]])
    status, _, err = run(capsys, path, "--id-column", "id")
    assert status == 1 and f"--id-column 'id': row 1 of {path} has no id" in err
    for missing in ("nan", "NaN"):  # a float id column's NaN, as text
        write_rows(path, [["id", "a"], ["x", "1"], ["y", "2"], [missing, "3"]])
        status, _, err = run(capsys, path, "--id-column", "id")
        assert status == 1 and err.count("\n") == 1
        assert f"row 2 of {path} has no id ({missing!r} is a missing value)" in err
    # Country codes and the like: NA is Namibia.
    write_rows(path, [["id", "a"], ["x", "1"], ["y", "2"], ["NA", "3"], ["z", "4"]])
    status, rows, err = run(capsys, path, "--id-column", "id", "--budget", "2")
    assert status == 0, err


# --- parquet ------------------------------------------------------------------


def test_nullable_parquet(tmp_path, capsys, X):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    Xi = np.round(X * 10).astype(np.int64)
    frame = pd.DataFrame(Xi, columns=list("abcd")).astype("Int64")
    frame.to_parquet(tmp_path / "ok.parquet")
    status, rows, _ = run(capsys, tmp_path / "ok.parquet")
    assert status == 0 and picked(rows) == expected_rows(Xi)
    frame.loc[3, "b"] = pd.NA
    frame.to_parquet(tmp_path / "na.parquet")
    status, _, err = run(capsys, tmp_path / "na.parquet")
    assert err == (
        f"skactive select: error: {tmp_path / 'na.parquet'}: rows with NaN, "
        "infinite or missing values: 3\n"
    )
    frame = pd.DataFrame(X, columns=list("abcd"))
    frame["name"] = [f"n{i}" for i in range(len(X))]
    frame.to_parquet(tmp_path / "ids.parquet")
    status, rows, err = run(capsys, tmp_path / "ids.parquet", "--id-column", "name")
    assert picked(rows) == expected_rows(X)
    assert picked(rows, "id") == [f"n{r}" for r in expected_rows(X)]
    status, _, err = run(capsys, tmp_path / "ids.parquet")
    assert status == 1 and "column 'name' holds" in err


# --- labeled masks --------------------------------------------------------------


def test_labeled_int_mask_npy_is_refused(tmp_path, capsys, X):
    np.save(tmp_path / "emb.npy", X)
    mask = np.zeros(len(X), dtype=bool)
    mask[expected_rows(X)[:3]] = True
    np.save(tmp_path / "mask.npy", mask.astype(np.int64))
    argv = ["--labeled", str(tmp_path / "mask.npy")]
    status, _, err = run(capsys, tmp_path / "emb.npy", *argv)
    assert status == 1 and err.count("\n") == 1
    assert "90 integers 0 and 1 for 90 rows: a mask or row ids?" in err
    np.save(tmp_path / "mask.npy", mask)  # the same mask as booleans
    status, rows, _ = run(capsys, tmp_path / "emb.npy", *argv)
    assert picked(rows) == expected_rows(X, mask)
    np.save(tmp_path / "mask.npy", np.flatnonzero(mask))  # or as row numbers
    status, rows, _ = run(capsys, tmp_path / "emb.npy", *argv)
    assert picked(rows) == expected_rows(X, mask)


@pytest.mark.parametrize(
    "content, message",
    [
        ("4\n7\n4\n", "row ids listed more than once: \\[4\\]"),
        ("4\n90\n", "unknown row ids \\[90\\]; rows go from 0 to 89"),
        ("-1\n", "unknown row ids \\[-1\\]"),
        ("4.0\n", "line 1: '4.0'; expected one integer row id per line"),
    ],
)
def test_labeled_text_errors(tmp_path, capsys, X, content, message):
    np.save(tmp_path / "emb.npy", X)
    (tmp_path / "done.txt").write_text(content)
    status, _, err = run(
        capsys, tmp_path / "emb.npy", "--labeled", str(tmp_path / "done.txt")
    )
    assert status == 1 and err.count("\n") == 1 and re.search(message, err), err


def test_labeled_text_with_excel_bom(tmp_path, capsys, X):
    np.save(tmp_path / "emb.npy", X)
    (tmp_path / "done.txt").write_text("3\r\n5\r\n", encoding="utf-8-sig")
    mask = np.zeros(len(X), dtype=bool)
    mask[[3, 5]] = True
    status, rows, _ = run(
        capsys, tmp_path / "emb.npy", "--labeled", str(tmp_path / "done.txt")
    )
    assert picked(rows) == expected_rows(X, mask)


# --- files that cannot be read: one line naming the file ------------------------


def _ragged(d):
    (d / "f.csv").write_text("1.5,2\n3.5,4\n5.5\n6.5,7\n")


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: (d / "f.csv").mkdir(), "f.csv: is a directory, not a file"),
        (lambda d: (d / "f.csv").write_text(""), "f.csv: empty file"),
        (lambda d: (d / "f.csv").write_text("a,b\n"), "f.csv: no data rows below"),
        (_ragged, "f.csv: line 3 \\(row 2\\) has 1 fields, the first line has 2"),
        (
            lambda d: (d / "f.csv").write_text("1.5,2\n\n3.5,4\n"),
            "f.csv: line 2 \\(row 1\\) is blank",
        ),
        (
            lambda d: (d / "f.csv").write_bytes("größe,x\n1,2\n".encode("latin-1")),
            "f.csv: not UTF-8 text \\(byte 0xf6 at offset 2\\)",
        ),
        (
            lambda d: np.save(d / "f.npy", np.array([[1e39, 1.0], [2, 3], [4, 5]])),
            "f.npy: rows with values beyond float32's range \\(±3.4e38\\): 0",
        ),
        (
            lambda d: np.save(d / "f.npy", np.array([[1 + 2j, 1], [2, 3], [4, 5]])),
            "f.npy: features must be real numbers; got dtype complex128",
        ),
        (
            lambda d: (d / "f.npy").write_text("1,2\n3,4\n"),
            "f.npy: not a NumPy .npy file",
        ),
        (
            lambda d: np.savetxt(d / "f.tsv", np.ones((3, 2)), delimiter="\t"),
            None,  # a valid file, for the --header check below
        ),
    ],
)
def test_unreadable_files_are_one_line_naming_the_file(
    tmp_path, capsys, reader, make, message
):
    make(tmp_path)
    path = next(tmp_path.iterdir())
    out = tmp_path / "out.csv"
    argv = ["--method", "random", "-o", str(out)]
    if message is None:
        path_npy = tmp_path / "g.npy"
        np.save(path_npy, np.ones((3, 2)))
        status, _, err = run(capsys, path_npy, "--no-header", *argv)
        message = "--no-header is for .csv and .tsv files"
    else:
        status, _, err = run(capsys, path, *argv)
    assert status == 1
    assert err.count("\n") == 1 and err.startswith("skactive select: error: ")
    assert re.search(message, err), err
    assert not out.exists()


@pytest.mark.parametrize("suffix", ["npy", "npz", "parquet"])
def test_files_of_no_rows_are_one_line_errors(tmp_path, capsys, suffix):
    path = tmp_path / f"empty.{suffix}"
    empty = np.zeros((0, 4))
    if suffix == "npy":
        np.save(path, empty)
    elif suffix == "npz":
        np.savez(path, features=empty)
    else:
        pd = pytest.importorskip("pandas")
        pytest.importorskip("pyarrow")
        pd.DataFrame(empty, columns=list("abcd")).to_parquet(path)
    status, _, err = run(capsys, path)
    assert status == 1
    assert err == f"skactive select: error: {path}: need at least 2 rows, got 0\n"


def test_trailing_blank_lines_are_not_rows(tmp_path, capsys, X, reader):
    path = tmp_path / "emb.csv"
    np.savetxt(path, X, delimiter=",")
    path.write_text(path.read_text() + "\n\n")
    status, rows, _ = run(capsys, path)
    assert status == 0 and picked(rows) == expected_rows(X)


def test_pandas_and_csv_module_read_the_same(tmp_path, monkeypatch, X):
    pd = pytest.importorskip("pandas")
    path = tmp_path / "emb.csv"
    frame = pd.DataFrame(X, columns=list("abcd"))
    frame.insert(2, "id", [f"r{i}" for i in range(len(X))])
    frame.to_csv(path, index=False, quoting=csv.QUOTE_NONNUMERIC)
    with_pandas = skactive_io.load_features(path, id_column="id")
    monkeypatch.setattr(skactive_io, "_pandas", lambda: None)
    without = skactive_io.load_features(path, id_column="id")
    np.testing.assert_array_equal(with_pandas.X, X.astype(np.float32))
    np.testing.assert_array_equal(without.X, with_pandas.X)
    assert without.ids == with_pandas.ids == list(frame["id"])
    assert without.columns == with_pandas.columns == list("abcd")


def test_pandas_reads_plain_tables_itself(tmp_path, monkeypatch, X):
    # The csv module is the reference and the fallback; pandas must not need it
    # for the usual files, or large tables would be read in pure Python.
    pd = pytest.importorskip("pandas")

    def no_fallback(*args):
        raise AssertionError("the csv-module reader ran")

    monkeypatch.setattr(skactive_io, "_parse_table", no_fallback)
    pd.DataFrame(X).to_csv(tmp_path / "a.csv")
    table = skactive_io.load_features(tmp_path / "a.csv", id_column="Unnamed: 0")
    np.testing.assert_array_equal(table.X, X.astype(np.float32))
    write_rows(tmp_path / "b.csv", X.tolist(), encoding="utf-8-sig")
    table = skactive_io.load_features(tmp_path / "b.csv")
    np.testing.assert_array_equal(table.X, X.astype(np.float32))


def test_blank_lines_before_a_0_1_2_header(tmp_path, capsys, X, reader):
    path = tmp_path / "emb.csv"
    body = "\n".join(",".join(str(float(v)) for v in r) for r in X)
    path.write_text("\n0,1,2,3\n" + body + "\n")
    status, rows, err = run(capsys, path)
    assert status == 0 and picked(rows) == expected_rows(X)
    assert "90 rows x 4 feature columns; header 0,1,2,... taken" in err
