# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Thread limits and progress output of the samplers."""

import numpy as np
import pytest
from joblib import cpu_count, parallel_config
from sklearn.datasets import make_blobs
from threadpoolctl import threadpool_info, threadpool_limits

from skactive import CoresetSampler, TypiClustSampler
from skactive.utils import all_samplers
from skactive.utils._parallel import limit_threads

# The samplers with an n_jobs parameter (Coreset, TypiClust).
N_JOBS_SAMPLERS = [cls for _, cls in all_samplers() if "n_jobs" in cls().get_params()]


def blas_threads():
    return {pool["num_threads"] for pool in threadpool_info()}


def test_n_jobs_has_scikit_learns_meaning():
    with threadpool_limits(limits=2):
        with limit_threads(1):
            assert blas_threads() == {1}
        with limit_threads(None):  # None is one thread, as in scikit-learn
            assert blas_threads() == {1}
        with parallel_config(n_jobs=2), limit_threads(None):
            assert blas_threads() == {2}
        with limit_threads(-1):
            assert blas_threads() == {cpu_count()}
        assert blas_threads() == {2}


@pytest.mark.parametrize("Sampler", N_JOBS_SAMPLERS)
def test_n_jobs_does_not_change_the_selection(Sampler):
    X, _ = make_blobs(n_samples=2000, centers=10, random_state=0)
    picks = [
        Sampler(n_jobs=n_jobs, random_state=0).fit(X).query(budget=30)
        for n_jobs in (None, 1, 2, -1)
    ]
    for other in picks[1:]:
        np.testing.assert_array_equal(picks[0], other)


@pytest.mark.parametrize("budget", [1, 7, 40])
def test_verbose_reports_progress(capsys, budget):
    X, _ = make_blobs(n_samples=500, centers=5, random_state=0)
    CoresetSampler(verbose=1, random_state=0).fit(X).query(budget=budget)
    out = capsys.readouterr().err
    assert f"[CoresetSampler] {budget} picks in" in out
    TypiClustSampler(verbose=1, random_state=0).fit(X).query(budget=budget)
    out = capsys.readouterr().err
    assert "[TypiClustSampler] KMeans:" in out
    assert f"[TypiClustSampler] typicality: {budget} picks" in out
    CoresetSampler(random_state=0).fit(X).query(budget=budget)
    assert capsys.readouterr().err == ""
    pytest.importorskip("torch")
    CoresetSampler(verbose=1, device="cpu", random_state=0).fit(X).query(budget=budget)
    assert f"[CoresetSampler] {budget} picks in" in capsys.readouterr().err
