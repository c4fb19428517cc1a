# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Samplers on a ``dask.array.Array`` pool: the pool stays on the workers.

Imported only when a dask array is given to ``fit``; importing skactive never
imports dask.
"""

import sys


def is_dask_array(X):
    """Whether ``X`` is a ``dask.array.Array``, found without importing dask: an
    array of dask exists only once ``dask.array`` has been imported."""
    module = sys.modules.get("dask.array")
    return module is not None and isinstance(X, module.Array)
