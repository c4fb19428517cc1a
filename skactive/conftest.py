# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Doctests of the package run with one BLAS/OpenMP thread, like the tests."""

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    with threadpool_limits(limits=1):
        yield
