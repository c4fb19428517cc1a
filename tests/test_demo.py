# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""The demo, through the real command line."""

import os
import stat
import subprocess
import sys

import numpy as np
import pytest

from skactive.cli import main
from skactive.cli._demo import format_table, run_demo


def test_run_demo_shapes_and_learning():
    results = run_demo(n_seeds=2, step=10, max_labels=30)
    np.testing.assert_array_equal(results["n_labels"], [10, 20, 30])
    names = [
        *("TypiClust", "Coreset", "Random", "BADGE", "BudgetSwitch"),
        *("MaxHerding", "ProbCover", "UHerding", "Uncertainty"),
    ]
    for name in names:
        assert results[name].shape == (2, 3)
        assert np.all((results[name] > 0) & (results[name] <= 1))
    # More labels help every strategy on average.
    for name in names:
        assert results[name][:, -1].mean() > results[name][:, 0].mean()
    # Uncertainty sampling starts from TypiClust's first round (its fallback).
    np.testing.assert_array_equal(
        results["Uncertainty"][:, 0], results["TypiClust"][:, 0]
    )
    table = format_table(results)
    assert table.splitlines()[0].split() == ["labels", *names]
    assert len(table.splitlines()) == 4


def test_demo_command_prints_table_and_writes_png(tmp_path, capsys):
    plot = tmp_path / "curves.png"
    assert (
        main(["demo", "--seeds", "1", "--max-labels", "20", "--plot", str(plot)]) == 0
    )
    out = capsys.readouterr().out
    assert "TypiClust" in out and f"written to {plot}" in out
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_rejects_bad_arguments(capsys):
    assert main(["demo", "--step", "20", "--max-labels", "10", "--no-plot"]) == 2
    assert "--max-labels must be at least --step" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--seeds", "0"])
    assert exc.value.code == 2


def test_python_dash_m_entry_point_shows_help():
    out = subprocess.run(
        [sys.executable, "-m", "skactive", "demo", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "--plot PATH" in out and "--seeds" in out


@pytest.fixture
def no_run(monkeypatch):
    """Fail the test if the demo runs: arguments are checked before."""
    import skactive.cli._demo

    def refuse(**kwargs):
        raise AssertionError("the demo ran")

    monkeypatch.setattr(skactive.cli._demo, "run_demo", refuse)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--plot", "{d}/missing/x.png"], "--plot {d}/missing/x.png: folder"),
        (["--plot", "{d}/x.foo"], "--plot {d}/x.foo: unknown format 'foo'; use one"),
        (["--plot", "{d}"], "--plot {d}: is a directory"),
        (["--max-labels", "2000"], "--max-labels 2000 is larger than the training"),
    ],
)
def test_demo_checks_arguments_before_running(tmp_path, capsys, no_run, argv, message):
    pytest.importorskip("matplotlib")
    argv = [a.format(d=tmp_path) for a in argv]
    assert main(["demo", *argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith(f"skactive demo: error: {message.format(d=tmp_path)}")


def test_demo_max_labels_equal_to_the_pool_is_accepted(capsys, no_run):
    from skactive.cli._demo import pool_size

    assert pool_size() == 1257
    with pytest.raises(AssertionError, match="the demo ran"):
        main(["demo", "--max-labels", "1257", "--step", "1257", "--no-plot"])


def test_demo_plot_keeps_the_umask_mode(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "curves.svg"
    old = os.umask(0o027)
    try:
        argv = ["demo", "--seeds", "1", "--max-labels", "10", "--plot", str(plot)]
        assert main(argv) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(plot.stat().st_mode) == 0o640
    assert b"<svg" in plot.read_bytes()[:500]
