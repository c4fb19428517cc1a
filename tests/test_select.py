# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""``skactive select`` end to end, through the command line's main()."""

import subprocess
import sys

import numpy as np
import pytest

import skactive.cli._io as skactive_io
import skactive.cli._select as select
from skactive import CoresetSampler, TypiClustSampler
from skactive.cli import main


@pytest.fixture
def features(tmp_path):
    X = np.random.RandomState(0).normal(size=(300, 6)).astype(np.float32)
    path = tmp_path / "emb.npy"
    np.save(path, X)
    return X, path


def read_csv(text):
    lines = text.strip().splitlines()
    header = lines[0].split(",")
    return header, [
        dict(zip(header, line.split(","), strict=True)) for line in lines[1:]
    ]


def test_select_npy_to_stdout_matches_the_sampler(features, capsys):
    X, path = features
    assert main(["select", str(path), "--budget", "7", "--quiet"]) == 0
    out, err = capsys.readouterr()
    header, rows = read_csv(out)
    assert header == ["rank", "row", "score", "cluster"]
    sampler = TypiClustSampler(random_state=0).fit(X)
    expected = sampler.query_details(None, 7)
    assert [int(r["row"]) for r in rows] == expected.indices.tolist()
    assert [int(r["rank"]) for r in rows] == list(range(7))
    assert [int(r["cluster"]) for r in rows] == expected.pick_clusters.tolist()
    np.testing.assert_allclose(
        [float(r["score"]) for r in rows], expected.scores, rtol=1e-5
    )
    assert err == ""


@pytest.mark.parametrize("labeled_as", ["ids", "mask"])
def test_select_with_labeled_rows_to_a_file(features, tmp_path, capsys, labeled_as):
    X, path = features
    labeled = tmp_path / ("labeled.npy" if labeled_as == "mask" else "labeled.txt")
    mask = np.zeros(300, dtype=bool)
    mask[[4, 50, 299]] = True
    if labeled_as == "mask":
        np.save(labeled, mask)
    else:
        labeled.write_text("# already labeled\n4\n50\n299\n")
    out = tmp_path / "picks.csv"
    argv = ["select", str(path), "--budget", "5", "--method", "coreset"]
    argv += ["--labeled", str(labeled), "-o", str(out), "--random-state", "3"]
    assert main(argv) == 0
    header, rows = read_csv(out.read_text())
    assert header == ["rank", "row", "score"]
    expected = CoresetSampler(random_state=3).fit(X).query(mask, 5)
    assert [int(r["row"]) for r in rows] == expected.tolist()
    err = capsys.readouterr().err
    assert "[skactive select] coreset on 300 rows x 6 features, 3 labeled" in err
    assert f"wrote {out}" in err


def test_select_reads_npz_and_tables(tmp_path, capsys):
    X = np.random.RandomState(1).normal(size=(50, 3))
    np.savez(tmp_path / "one.npz", emb=X)
    np.savez(tmp_path / "two.npz", emb=X, other=X[:, :2])
    np.savetxt(tmp_path / "t.csv", X, delimiter=",", header="a,b,c", comments="")
    np.savetxt(tmp_path / "t.tsv", X, delimiter="\t")
    runs = [
        ["one.npz"],
        ["two.npz", "--key", "emb"],
        ["t.csv"],
        ["t.tsv"],
    ]
    outputs = []
    for run in runs:
        argv = ["select", str(tmp_path / run[0]), *run[1:], "--budget", "4", "-q"]
        argv += ["--method", "random"]
        assert main(argv) == 0, run
        outputs.append(capsys.readouterr().out)
    assert all(o == outputs[0] for o in outputs)  # the same rows every time
    assert read_csv(outputs[0])[1][0]["score"] == ""  # random has no score


def test_select_reads_parquet(tmp_path, capsys):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    X = np.random.RandomState(2).normal(size=(40, 3))
    pd.DataFrame(X, columns=list("abc")).to_parquet(tmp_path / "t.parquet")
    assert main(["select", str(tmp_path / "t.parquet"), "--budget", "3", "-q"]) == 0
    assert len(read_csv(capsys.readouterr().out)[1]) == 3


@pytest.mark.parametrize(
    "setup, argv_extra, message",
    [
        (lambda d: None, [], "no such file"),
        (lambda d: np.save(d / "f.npy", np.zeros(5)), [], "must be a 2-D table"),
        (
            lambda d: np.save(d / "f.npy", np.array([[0, 1], [np.nan, 2], [3, 4]])),
            [],
            "rows with NaN or infinite values: 1",
        ),
        (
            lambda d: np.save(d / "f.npy", np.ones((4, 2))),
            ["--budget", "9"],
            "--budget 9 is larger than the number of unlabeled rows \\(4\\)",
        ),
        (
            lambda d: (
                np.save(d / "f.npy", np.ones((4, 2))),
                (d / "l.txt").write_text("1\n7\n"),
            ),
            ["--labeled", "{d}/l.txt"],
            "unknown row ids \\[7\\]; rows go from 0 to 3",
        ),
        (
            lambda d: (
                np.save(d / "f.npy", np.ones((4, 2))),
                np.save(d / "l.npy", np.ones(3, dtype=bool)),
            ),
            ["--labeled", "{d}/l.npy"],
            "a mask needs one entry per row \\(4\\)",
        ),
        (
            lambda d: (
                np.save(d / "f.npy", np.ones((4, 2))),
                (d / "l.txt").write_text("one\n"),
            ),
            ["--labeled", "{d}/l.txt"],
            "expected one integer row id per line",
        ),
        (
            lambda d: np.savez(d / "f.npz", a=np.ones((4, 2)), b=np.ones((4, 2))),
            [],
            "holds arrays \\['a', 'b'\\]; choose one with --key",
        ),
        (lambda d: (d / "f.json").write_text("{}"), [], "unknown file type '.json'"),
    ],
)
def test_select_errors_are_one_line_and_write_nothing(
    tmp_path, capsys, setup, argv_extra, message
):
    setup(tmp_path)
    names = [p.name for p in tmp_path.iterdir() if p.name.startswith("f.")]
    features = tmp_path / (names[0] if names else "f.npy")
    out = tmp_path / "out.csv"
    argv = ["select", str(features), "--budget", "2", "-o", str(out)]
    argv += [a.format(d=tmp_path) for a in argv_extra]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("skactive select: error: ")
    assert pytest.importorskip("re").search(message, err), err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.csv")]


def test_select_keeps_an_existing_output_on_failure(features, tmp_path):
    _, path = features
    out = tmp_path / "out.csv"
    out.write_text("previous\n")
    assert main(["select", str(path), "--budget", "1000", "-o", str(out), "-q"]) == 1
    assert out.read_text() == "previous\n"


def test_help_is_complete():
    run = [sys.executable, "-m", "skactive"]
    top = subprocess.run([*run, "--help"], capture_output=True, text=True).stdout
    assert "demo" in top and "select" in top
    sel = subprocess.run([*run, "select", "--help"], capture_output=True, text=True)
    for option in (
        "--budget",
        "--method",
        "--labeled",
        "--output",
        "--key",
        "--random-state",
        "--quiet",
        "typiclust,coreset,random",
    ):
        assert option in sel.stdout, option
    missing = subprocess.run([*run, "select", "x.npy"], capture_output=True, text=True)
    assert missing.returncode == 2 and "--budget" in missing.stderr


def test_select_reads_csv_without_pandas(tmp_path, capsys, monkeypatch):
    X = np.random.RandomState(3).normal(size=(30, 2))
    np.savetxt(tmp_path / "h.csv", X, delimiter=",", header="x,y", comments="")
    np.savetxt(tmp_path / "n.csv", X, delimiter=",")
    outputs = {}
    for pandas in (None, "real"):
        if pandas is None:
            monkeypatch.setattr(skactive_io, "_pandas", lambda: None)
        else:
            monkeypatch.undo()
        for name in ("h.csv", "n.csv"):
            argv = ["select", str(tmp_path / name), "--budget", "3", "-q"]
            assert main(argv) == 0
            outputs[pandas, name] = capsys.readouterr().out
    assert len(set(outputs.values())) == 1
    monkeypatch.setattr(skactive_io, "_pandas", lambda: None)
    import pandas as pd

    pd.DataFrame(X).to_parquet(tmp_path / "t.parquet")
    assert main(["select", str(tmp_path / "t.parquet"), "--budget", "3"]) == 1
    assert "pip install 'skactive[pyarrow]'" in capsys.readouterr().err


def test_version_is_the_package_version(capsys):
    import skactive

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == f"skactive {skactive.__version__}\n"


def test_ctrl_c_is_one_line_and_exit_130(features, capsys, monkeypatch):
    _, path = features

    def interrupt(self, X, y=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(TypiClustSampler, "fit", interrupt)
    assert main(["select", str(path), "--budget", "3"]) == 130
    assert capsys.readouterr().err.splitlines()[-1] == "skactive: interrupted"
    # A real SIGINT, as Ctrl-C sends, in the middle of a long demo. The child
    # takes SIGINT as a terminal's foreground job does: a shell starts a background
    # job (a CI script run with &) with SIGINT ignored, and Python keeps that.
    code = (
        "import os, signal, threading, sys\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "from skactive.cli import main\n"
        "threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT)).start()\n"
        "sys.exit(main(['demo', '--no-plot', '--seeds', '50']))\n"
    )
    child = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert child.returncode == 130
    assert child.stderr == "skactive: interrupted\n"


class WarningSampler(TypiClustSampler):
    """Warns the way scikit-learn and numpy do while fitting."""

    def fit(self, X, y=None):
        import warnings

        from sklearn.exceptions import ConvergenceWarning

        message = "Number of distinct clusters found smaller"
        warnings.warn(message, ConvergenceWarning, stacklevel=2)
        np.log(np.zeros(1))  # numpy's RuntimeWarning: divide by zero
        return super().fit(X, y)


def test_quiet_silences_library_warnings(features, capsys, monkeypatch):
    X, path = features
    monkeypatch.setitem(select.METHODS, "typiclust", WarningSampler)
    argv = ["select", str(path), "--budget", "3"]
    assert main([*argv, "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert [int(r["row"]) for r in read_csv(out)[1]] == expected_picks(X)
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "skactive select: warning: ConvergenceWarning: Number of distinct" in err
    assert "skactive select: warning: RuntimeWarning: divide by zero" in err
    # The warnings are silenced in the command only, not in the library.
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        WarningSampler(random_state=0).fit(X)
    assert len(caught) == 2


def test_quiet_with_real_duplicate_points(tmp_path, capsys):
    # KMeans warns when a pool has fewer distinct points than clusters.
    path = tmp_path / "dup.npy"
    np.save(path, np.repeat(np.eye(3, 4), 20, axis=0))
    assert main(["select", str(path), "--budget", "5", "-q"]) == 0
    assert capsys.readouterr().err == ""


def expected_picks(X, budget=3):
    return TypiClustSampler(random_state=0).fit(X).query(None, budget).tolist()


def test_help_documents_the_header_rule_and_new_flags():
    run = [sys.executable, "-m", "skactive", "select", "--help"]
    text = " ".join(subprocess.run(run, capture_output=True, text=True).stdout.split())
    for option in ("--header", "--no-header", "--id-column NAME", "pandas' default"):
        assert option in text, option
    assert "ambiguous" in text and "0s and 1s" in text


def fresh_python(code):
    """What ``code`` prints in a new interpreter (nothing of skactive loaded)."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_cli_module_imports_nothing_heavy():
    # The console script imports skactive.cli before main() can catch a Ctrl-C:
    # numpy, scipy, scikit-learn and the samplers load inside main().
    code = (
        "import sys, skactive.cli; "
        "print(sorted(m for m in ('numpy', 'scipy', 'sklearn', 'skactive.base') "
        "if m in sys.modules))"
    )
    assert fresh_python(code) == "[]"


def test_ctrl_c_during_the_imports_of_main_is_one_line(features, monkeypatch, capsys):
    _, path = features

    class Interrupt:
        """A Ctrl-C while ``main`` imports the select command."""

        def find_spec(self, name, *args):
            if name == "skactive.cli._select":
                raise KeyboardInterrupt
            return None

    monkeypatch.delitem(sys.modules, "skactive.cli._select")
    monkeypatch.setattr(sys, "meta_path", [Interrupt(), *sys.meta_path])
    assert main(["select", str(path), "--budget", "2"]) == 130
    assert capsys.readouterr().err == "skactive: interrupted\n"


def test_public_names_and_subpackages_load_on_first_use():
    code = (
        "import skactive; "
        "assert skactive.utils.all_samplers(); "
        "assert skactive.base.BaseSampler is skactive.BaseSampler; "
        "assert skactive.cluster.SampledKMeans and skactive.neighbors.knn_graph; "
        "from skactive import TypiClustSampler, typicality; "
        "assert set(skactive.__all__) <= set(dir(skactive)); "
        "print('ok')"
    )
    assert fresh_python(code) == "ok"


def test_lazy_names_are_the_samplers_own():
    # skactive/__init__.py names, without importing them, what skactive.samplers
    # exports: every lazy name resolves to that object.
    import skactive
    import skactive.samplers

    for name in skactive.__all__:
        if name in ("__version__", "BaseSampler"):
            continue
        assert name in skactive.samplers.__all__, name
        assert getattr(skactive, name) is getattr(skactive.samplers, name)
