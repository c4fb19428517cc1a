# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Thread control: the one meaning of ``n_jobs`` across skactive.

``n_jobs`` is the number of CPU threads an estimator's work runs on (BLAS, OpenMP
and torch's intra-op pool), read as scikit-learn reads it: ``None`` means 1 unless
inside a :func:`joblib.parallel_config` context that says otherwise, ``-1`` all
cores, ``-2`` all but one, and so on.
"""

from contextlib import contextmanager

from joblib import effective_n_jobs
from threadpoolctl import threadpool_limits


def n_threads(n_jobs):
    """The number of threads ``n_jobs`` stands for."""
    return max(1, int(effective_n_jobs(n_jobs)))


def limit_threads(n_jobs):
    """A context that runs BLAS and OpenMP on ``n_threads(n_jobs)`` threads."""
    return threadpool_limits(limits=n_threads(n_jobs))


@contextmanager
def torch_threads(torch, n_jobs):
    """A context that runs torch's CPU ops (and BLAS) on ``n_threads(n_jobs)``
    threads, restoring torch's setting after."""
    before = torch.get_num_threads()
    torch.set_num_threads(n_threads(n_jobs))
    try:
        with limit_threads(n_jobs):
            yield
    finally:
        torch.set_num_threads(before)
