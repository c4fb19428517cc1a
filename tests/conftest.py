# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
import os

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    """One BLAS/OpenMP thread: on a busy 2-core machine two threads in a tight loop
    ran several times slower than one."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    with threadpool_limits(limits=1):
        yield
