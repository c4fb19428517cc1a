# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""benchmarks/dask_scale.py keeps running: a tiny store on a LocalCluster."""

import pytest

pytest.importorskip("distributed")
pytest.importorskip("zarr")


@pytest.mark.parametrize("method", ["typiclust", "coreset"])
def test_dask_scale_measures_a_tiny_store(tmp_path, method):
    import dask_scale

    store = dask_scale.write_store(tmp_path / "pool.zarr", 6000, 8, rows_per_chunk=1000)
    result = dask_scale.measure(
        store, 5, n_workers=1, worker_memory="1GB", compare=True, method=method
    )
    assert result["same_picks"] and result["chunks"] == 6
    assert result["query_s"] > 0 and len(result["worker_peak_mib"]) == 1
    assert result["method"] == method and result["per_pick_ms"] > 0
    if method == "typiclust":
        assert any("SampledKMeans" in line for line in result["stages"])
