# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Thread control for the BLAS and OpenMP pools the kernels run in."""

from contextlib import nullcontext

from joblib import effective_n_jobs
from threadpoolctl import threadpool_limits


def limit_threads(n_jobs, default=None):
    """A context that limits BLAS and OpenMP to ``n_jobs`` threads.

    ``n_jobs`` follows joblib: ``-1`` means all cores. ``None`` means ``default``
    threads, and no limit at all when ``default`` is None.
    """
    n_threads = default if n_jobs is None else effective_n_jobs(n_jobs)
    return nullcontext() if n_threads is None else threadpool_limits(limits=n_threads)
