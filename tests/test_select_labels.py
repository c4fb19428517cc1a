# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""``skactive select --labels``: model-based samplers on an embedding file."""

import csv
import io

import numpy as np
import pytest
from sklearn.datasets import load_digits

from skactive import BudgetSwitchSampler, UncertaintySampler
from skactive.cli import main


@pytest.fixture
def pool(tmp_path):
    X, y = load_digits(return_X_y=True)
    X, y = X[:300], y[:300]
    np.save(tmp_path / "emb.npy", X)
    return tmp_path, X, y


def rows_of(capsys):
    out = capsys.readouterr().out
    return [int(r["row"]) for r in csv.DictReader(io.StringIO(out))]


def expected(sampler, X, y, labeled, pending=(), budget=5):
    mask = np.zeros(len(X), dtype=bool)
    mask[list(labeled) + list(pending)] = True
    labels = np.full(len(X), -1)
    labels[list(labeled)] = y[list(labeled)]
    return sampler.fit(X).query(mask, budget, y=labels).tolist()


def test_labels_file_drives_uncertainty_sampling(pool, capsys):
    path, X, y = pool
    labeled = list(range(0, 60, 2))
    text = "id,label\n" + "".join(f"{r},{y[r]}\n" for r in labeled)
    (path / "labels.csv").write_text(text)
    assert (
        main(
            [
                "select",
                str(path / "emb.npy"),
                "--budget",
                "5",
                "--method",
                "uncertainty",
                "--labels",
                str(path / "labels.csv"),
                "--quiet",
            ]
        )
        == 0
    )
    assert rows_of(capsys) == expected(
        UncertaintySampler(random_state=0), X, y, labeled
    )


def test_labeled_rows_beside_labels_are_pending(pool, capsys):
    path, X, y = pool
    labeled, pending = list(range(40)), [100, 101, 102]
    (path / "labels.tsv").write_text("".join(f"{r}\t{y[r]}\n" for r in labeled))
    (path / "pending.txt").write_text("".join(f"{r}\n" for r in pending))
    argv = [
        "select",
        str(path / "emb.npy"),
        "--budget",
        "5",
        "--method",
        "budgetswitch",
        "--labels",
        str(path / "labels.tsv"),
        "--labeled",
        str(path / "pending.txt"),
        "--quiet",
    ]
    assert main(argv) == 0
    got = rows_of(capsys)
    assert not set(got) & set(pending + labeled)
    assert got == expected(BudgetSwitchSampler(random_state=0), X, y, labeled, pending)


@pytest.mark.parametrize(
    "text, message",
    [
        ("0,1\n0,2\n", "labeled more than once: \\[0\\]"),
        ("0,1\n999,2\n", "999"),
        ("0,1\nfive,2\n", "line 2: 'five' is not a row id"),
        ("0,1\n3\n", "line 2: '3'; expected a row id and a label"),
        ("id,label\n", "a header and no labels"),
        ("", "no labels"),
    ],
)
def test_bad_labels_files_are_one_line_errors(pool, capsys, text, message):
    path, _, _ = pool
    (path / "labels.csv").write_text(text)
    argv = [
        "select",
        str(path / "emb.npy"),
        "--budget",
        "2",
        "--method",
        "uncertainty",
        "--labels",
        str(path / "labels.csv"),
    ]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "labels.csv" in err
    import re

    assert re.search(message, err), err


def test_a_model_based_method_without_labels_names_the_option(pool, capsys):
    path, _, _ = pool
    (path / "labeled.txt").write_text("0\n1\n")
    argv = [
        "select",
        str(path / "emb.npy"),
        "--budget",
        "2",
        "--method",
        "uncertainty",
        "--labeled",
        str(path / "labeled.txt"),
    ]
    assert main(argv) == 1
    assert "--labels FILE" in capsys.readouterr().err
    # A cold start needs no labels: TypiClust answers.
    argv = [
        "select",
        str(path / "emb.npy"),
        "--budget",
        "2",
        "--method",
        "uncertainty",
        "--quiet",
    ]
    assert main(argv) == 0


def test_every_sampler_is_a_method(capsys):
    from skactive.utils import all_samplers

    with pytest.raises(SystemExit):
        main(["select", "--help"])
    out = capsys.readouterr().out
    for name, _ in all_samplers():
        assert name.removesuffix("Sampler").lower() in out


@pytest.mark.parametrize(
    "first, message",
    [("itme0,2", "line 1: 'itme0' is not"), ("0.0,2", "line 1: '0.0' is not")],
)
def test_a_bad_first_line_is_not_taken_for_a_header(pool, capsys, first, message):
    path, _, y = pool
    text = first + "\n" + "".join(f"{r},{y[r] % 3}\n" for r in range(1, 15))
    (path / "labels.csv").write_text(text)
    argv = [
        "select",
        str(path / "emb.npy"),
        "--budget",
        "2",
        "--method",
        "uncertainty",
        "--labels",
        str(path / "labels.csv"),
    ]
    if first.startswith("itme"):
        names = [f"item{i}" for i in range(300)]
        import pandas as pd

        pd.DataFrame(
            {"name": names, **{f"f{j}": pool[1][:, j] for j in range(64)}}
        ).to_csv(path / "emb.csv", index=False)
        text = "itme0,2\n" + "".join(f"item{r},{y[r] % 3}\n" for r in range(1, 15))
        (path / "labels.csv").write_text(text)
        argv[1] = str(path / "emb.csv")
        argv += ["--id-column", "name"]
    assert main(argv) == 1
    assert message in capsys.readouterr().err


def test_semicolons_with_quoted_commas(pool, capsys):
    path, X, y = pool
    labeled = list(range(30))
    text = "".join(f'{r};"class {y[r]}, grade A"\n' for r in labeled)
    (path / "labels.csv").write_text(text)
    argv = [
        "select",
        str(path / "emb.npy"),
        "--budget",
        "5",
        "--method",
        "uncertainty",
        "--labels",
        str(path / "labels.csv"),
        "--quiet",
    ]
    assert main(argv) == 0
    assert rows_of(capsys) == expected(
        UncertaintySampler(random_state=0), X, y, labeled
    )


def _select_with_labels(path, text, *extra):
    (path / "labels.csv").write_text(text)
    argv = ["select", str(path / "emb.npy"), "--budget", "3", "--method"]
    argv += ["uncertainty", "--labels", str(path / "labels.csv"), *extra]
    return main(argv)


@pytest.mark.parametrize("missing", ["nan", "NA", "", "NaN", "n/a", "null"])
def test_a_missing_label_is_an_error_naming_the_line(pool, capsys, missing):
    path, X, y = pool
    # pandas' na_rep and R's write.csv write a missing label as text.
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"id": range(20), "label": y[:20]})
    frame["label"] = frame["label"].astype(object)
    frame.loc[7, "label"] = None
    frame.to_csv(path / "labels.csv", index=False, na_rep=missing)
    assert _select_with_labels(path, (path / "labels.csv").read_text()) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "labels.csv: line 9:" in err
    if missing:
        assert f"the label {missing!r} of row id '7' is a missing value" in err
    else:
        assert "expected a row id and a label" in err


def test_labels_first_line_typo_is_an_error_even_with_a_new_label(pool, capsys):
    path, X, y = pool
    body = "".join(f"{r},{y[r] % 3}\n" for r in range(1, 15))
    assert _select_with_labels(path, "1o,9\n" + body) == 1
    assert "line 1: '1o' is not a row id" in capsys.readouterr().err
    # A header names its columns: taken, whatever its label column is called.
    for header in ("id,label", "row,class", "id,9", "sample,y"):
        assert _select_with_labels(path, header + "\n" + body, "-q") == 0, header
        assert rows_of(capsys) == expected(  # the command reads float32 rows
            UncertaintySampler(random_state=0),
            X.astype(np.float32),
            y % 3,
            range(1, 15),
            budget=3,
        )


def test_numeric_labels_compare_as_numbers(pool, capsys):
    path, X, y = pool
    rows = range(40)
    spelled = [f"{y[r]}.0" if r % 2 else f"{y[r]}" for r in rows]  # 3 and 3.0
    text = "".join(f"{r},{s}\n" for r, s in zip(rows, spelled, strict=True))
    assert _select_with_labels(path, text, "-q") == 0
    assert rows_of(capsys) == expected(
        UncertaintySampler(random_state=0), X.astype(np.float32), y, rows, budget=3
    )


@pytest.mark.parametrize("option", ["--labels", "--labeled"])
def test_huge_row_ids_are_unknown_rows(pool, capsys, option):
    path, _, _ = pool
    big = "99999999999999999999"
    (path / "f.txt").write_text(
        f"0,1\n1,2\n{big},3\n" if option == "--labels" else f"0\n{big}\n"
    )
    argv = ["select", str(path / "emb.npy"), "--budget", "3", "--method"]
    argv += [
        "uncertainty" if option == "--labels" else "typiclust",
        option,
        str(path / "f.txt"),
    ]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"unknown row ids [{big}]" in err
