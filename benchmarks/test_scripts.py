# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""The benchmark scripts keep running: each is exercised on a tiny input."""

import importlib.util

import coverage_scale
import numpy as np
import pytest
import scale


@pytest.mark.parametrize("method", scale.METHODS)
def test_scale_measures_every_method(method):
    if method.startswith("skactiveml"):
        pytest.importorskip("skactiveml")
    result = scale.measure(method, 3000, 8, 20, 10, threads=1, timeout=120)
    assert result["seconds"] > 0 and result["pool_mib"] > 0


def test_scale_table_states_the_ratio_to_our_sampler(capsys):
    pytest.importorskip("skactiveml")
    scale.main(
        "--n 3000 --d 8 --budget 20 --methods typiclust skactiveml-typiclust "
        "--peer-timeout-ratio 1000".split()
    )
    rows = capsys.readouterr().out.strip().splitlines()[2:]
    ours, peer = (row.split(" | ") for row in rows)
    assert ours[3] == "typiclust" and peer[3] == "skactiveml-typiclust"
    # The ratio is of the unrounded seconds; the cells are rounded to 0.01 s.
    ratio = float(peer[4]) / float(ours[4])
    assert peer[-1].endswith("x |") and ours[-1] == " |"
    assert abs(float(peer[-1].split("x")[0]) - ratio) <= 0.05 * ratio + 0.1


def test_accuracy_clustering_runs_on_digits():
    spec = importlib.util.find_spec("accuracy_clustering")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    acc = module.curves("digits", n_seeds=1)
    assert set(acc) == {
        "reference",
        "sampled",
        "sampled, 32 per cluster",
        "sampled, 128 per cluster",
        "random",
    }
    n_rounds = len(module.LABELS)
    assert all(a.shape == (1, n_rounds) and np.all(a > 0.2) for a in acc.values())


def test_accuracy_typicality_runs_small():
    spec = importlib.util.find_spec("accuracy_typicality")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    agree, mean, low = module.per_cluster("digits", n_seeds=1)
    assert 0 <= agree <= 1 and 0 < low <= mean <= 1
    acc = module.curves("digits", n_seeds=1)
    assert set(acc) == {"exact", "sampled at 10 %"}
    # Above 50,000 points "auto" samples: clusters of about 30,000.
    out, sizes = module.at_scale(n=60_000, d=8, budget=2)
    assert sizes.min() > 10_000
    for seconds, picks, scores in out.values():
        assert seconds > 0 and len(np.unique(picks)) == 2 and np.all(scores > 0)


@pytest.mark.parametrize("algorithm", ["exact", "ivf"])
def test_knn_graph_measures_tiny_pools(algorithm):
    import knn_graph

    result = knn_graph.measure(algorithm, "blobs", 2000, 8, k=10, n_recall=200)
    assert result["seconds"] > 0 and result["recall"] > 0.9


@pytest.mark.parametrize("method", coverage_scale.METHODS)
def test_coverage_scale_measures_every_method(method):
    if method.startswith("skactiveml"):
        pytest.importorskip("skactiveml")
    r = coverage_scale.measure(method, 3000, 8, 20, timeout=120, memory_gb=16)
    assert "error" not in r, r
    assert r["seconds"] > 0 and r["from_start_s"] >= r["seconds"]
    assert r["hwm_mib"] >= r["above_mib"] >= 0
    assert "| 3,000 x 8 | 20 |" in coverage_scale.row(3000, 8, 20, method, r)


def test_coverage_quality_runs_small():
    pytest.importorskip("skactiveml")
    import coverage_quality

    X, y = coverage_quality.load("digits")
    X, y = X[:400], y[:400]
    curves, info, _ = coverage_quality.one_seed(X, y, 0, verify=True)
    assert set(curves) == {
        "random",
        "TypiClust",
        "ProbCover",
        "MaxHerding",
        "scikit-activeml ProbCover",
        "scikit-activeml MaxHerding",
    }
    for acc in curves.values():
        assert isinstance(acc, str) or (acc.shape == (6,) and np.all(acc > 0))
    assert info["ProbCover"][0] > 0 and info["MaxHerding"][0] > 0
    assert "gain over random" in coverage_quality.table([curves], [10, 20])
    sens, h = coverage_quality.sensitivity_seed(X, y, 0)
    assert h > 0 and len(sens) == 9
    assert "purity=0.8" in coverage_quality.table([sens], [10, 60], gain=False)


def test_dask_coreset_runs_small():
    import subprocess
    import sys
    from pathlib import Path

    pytest.importorskip("distributed")
    script = Path(__file__).with_name("dask_coreset.py")
    args = ["--n", "3000", "--d", "8", "--chunk", "700", "--budget", "6"]
    out = subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    lines = [line for line in out.stdout.splitlines() if " shards, load " in line]
    assert len(lines) == 6  # 3 kinds of shards, a round trip per pick or batched
    assert all(
        line.endswith("same picks and scores as in memory: True") for line in lines
    )


def test_every_sampler_saves_runs_and_builds_tables(tmp_path, capsys):
    import every_sampler

    if importlib.util.find_spec("skactiveml") is None:
        names = [n for n in every_sampler.strategies() if not n.startswith("skact")]
    else:
        names = list(every_sampler.strategies())
    args = ["--data", "blobs", "--seeds", "0,1", "--max-labels", "20"]
    every_sampler.main([*args, "--out", str(tmp_path), "--strategies", *names])
    saved = sorted(tmp_path.glob("blobs/*/seed*.json"))
    assert len(saved) == 2 * len(names)
    # A second run finds every run saved and computes nothing.
    capsys.readouterr()
    every_sampler.main([*args, "--out", str(tmp_path), "--strategies", *names])
    assert capsys.readouterr().out == ""
    every_sampler.main(["--table", "--data", "blobs", "--out", str(tmp_path)])
    table = capsys.readouterr().out
    assert "mean over seeds 0-1 (2)" in table and "| 10 | 20 | mean |" in table
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    assert len(rows) == len(names) + 2  # the header, each strategy, the best
