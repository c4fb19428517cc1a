# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    """Benchmarks compare one thread to one thread; see the README."""
    with threadpool_limits(limits=1):
        yield


def pytest_configure(config):
    """Make the benchmark scripts importable by name."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
