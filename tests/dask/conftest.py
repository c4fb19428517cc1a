# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""The dask cluster of the tests: a ``LocalCluster`` of 2 worker processes with one
thread each, started by each test module that asks for it and closed after it."""

import pytest


@pytest.fixture(scope="module")
def dask_client():
    """A ``distributed.Client`` on a fresh 2-process ``LocalCluster``, the default
    client while the module runs."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        worker_dashboard_address=None,
    ) as cluster:
        with distributed.Client(cluster) as client:
            yield client
