# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    """Benchmarks compare one thread to one thread; see the README."""
    with threadpool_limits(limits=1):
        yield
