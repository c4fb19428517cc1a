# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""The benchmark scripts keep running: each is exercised on a tiny input."""

import importlib.util

import numpy as np
import pytest
import scale


@pytest.mark.parametrize("method", scale.METHODS)
def test_scale_measures_every_method(method):
    if method.startswith("skactiveml"):
        pytest.importorskip("skactiveml")
    result = scale.measure(method, 3000, 8, 20, 10, threads=1, timeout=120)
    assert result["seconds"] > 0 and result["pool_mib"] > 0


def test_accuracy_clustering_runs_on_digits():
    spec = importlib.util.find_spec("accuracy_clustering")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    acc = module.curves("digits", n_seeds=1)
    assert set(acc) == {"reference", "sampled", "sampled, 32 per cluster", "random"}
    assert all(a.shape == (1, 4) and np.all(a > 0.2) for a in acc.values())


def test_accuracy_typicality_runs_small():
    spec = importlib.util.find_spec("accuracy_typicality")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    agree, mean, low = module.per_cluster("digits", n_seeds=1)
    assert 0 <= agree <= 1 and 0 < low <= mean <= 1
    acc = module.curves("digits", n_seeds=1)
    assert set(acc) == {"exact", "sampled at 10 %"}
    out, sizes = module.at_scale(n=30_000, d=8, budget=2)  # clusters of ~15,000
    assert sizes.min() > 10_000
    for seconds, picks, scores in out.values():
        assert seconds > 0 and len(np.unique(picks)) == 2 and np.all(scores > 0)


@pytest.mark.parametrize("algorithm", ["exact", "ivf"])
def test_knn_graph_measures_tiny_pools(algorithm):
    import knn_graph

    result = knn_graph.measure(algorithm, "blobs", 2000, 8, k=10, n_recall=200)
    assert result["seconds"] > 0 and result["recall"] > 0.9
