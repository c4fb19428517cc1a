# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""The sampler checks pass on a correct third-party sampler and fail on broken ones."""

import time

import numpy as np
import pytest

from skactive import RandomSampler
from skactive.base import BaseSampler, SamplerTags
from skactive.utils.estimator_checks import (
    check_sampler_contract,
    check_sampler_labels_read_only_at_masked_rows,
    check_sampler_prefix_stable,
    check_sampler_query_is_pure,
    check_sampler_requires_labels,
    check_sampler_threads,
    parametrize_with_sampler_checks,
    sampler_checks,
)


class NearestClassMeanSampler(BaseSampler):
    """A toy label-using sampler: the unlabeled points farthest from the mean of
    the labeled points of their nearest class; random at a cold start."""

    missing_label = -1

    def __init__(self, random_state=None):
        super().__init__(random_state=random_state)

    def __sampler_tags__(self):
        return SamplerTags(requires_labels=True, prefix_stable=True)

    def _fit(self, X):
        self.X_fit_ = X

    def _query(self, mask, budget, rng, y):
        free = np.flatnonzero(~mask)
        if y is None or not y.known.any():
            return rng.permutation(free)[:budget], np.full(budget, np.nan)
        X, labels = self.X_fit_, y.labels
        known = np.flatnonzero(y.known)
        means = np.array([X[known[labels == c]].mean(0) for c in np.unique(labels)])
        d = ((X[free, None, :] - means[None]) ** 2).sum(-1).min(1)
        order = np.lexsort((free, -d))[:budget]
        return free[order], d[order]


def test_a_correct_label_using_sampler_passes_every_check():
    sampler = NearestClassMeanSampler()
    names = [c.func.__name__ for c in sampler_checks(sampler)]
    assert "check_sampler_requires_labels" in names
    assert "check_sampler_prefix_stable" in names
    for check in sampler_checks(sampler):
        check(sampler)


def test_random_sampler_gets_no_label_checks():
    names = [c.func.__name__ for c in sampler_checks(RandomSampler())]
    assert "check_sampler_requires_labels" not in names
    assert "check_sampler_prefix_stable" in names


@parametrize_with_sampler_checks([RandomSampler(random_state=0)])
def test_parametrize_with_sampler_checks_runs(sampler, check):
    check(sampler)


class _PicksMasked(RandomSampler):
    def _query(self, mask, budget, rng, y):
        return np.flatnonzero(mask | True)[:budget], np.zeros(budget)


class _Leaky(RandomSampler):
    def _query(self, mask, budget, rng, y):
        self.last_mask_ = mask
        return super()._query(mask, budget, rng, y)


class _Racy(RandomSampler):
    def _query(self, mask, budget, rng, y):
        self._mask = mask
        time.sleep(0.02)
        return super()._query(self._mask, budget, rng, y)


class _NotPrefix(RandomSampler):
    def _query(self, mask, budget, rng, y):
        picks = np.flatnonzero(~mask)[:budget][::-1]
        return picks, np.zeros(budget)


class _ReadsEveryLabel(NearestClassMeanSampler):
    def query_details(self, labeled_mask=None, budget=1, *, y=None):
        details = super().query_details(labeled_mask, budget, y=y)
        if y is not None and labeled_mask is not None:
            # Labels of unlabeled rows leak in.
            rows = np.flatnonzero(~np.asarray(labeled_mask))
            details.indices = np.roll(rows, int(np.sum(y[rows])) % 7)[:budget]
        return details


class _NeedsLabelsSilently(NearestClassMeanSampler):
    def __sampler_tags__(self):
        return SamplerTags(requires_labels=False)


@pytest.mark.parametrize(
    "sampler, check",
    [
        (_PicksMasked(), check_sampler_contract),
        (_Leaky(), check_sampler_query_is_pure),
        (_Racy(), check_sampler_threads),
        (_NotPrefix(), check_sampler_prefix_stable),
        (_ReadsEveryLabel(), check_sampler_labels_read_only_at_masked_rows),
        (_NeedsLabelsSilently(), check_sampler_labels_read_only_at_masked_rows),
    ],
    ids=["masked", "leaky", "racy", "not-prefix", "reads-every-label", "untagged"],
)
def test_checks_fail_on_broken_samplers(sampler, check):
    with pytest.raises(AssertionError):
        check(sampler)


def test_requires_labels_check_fails_when_labels_are_not_demanded():
    class Lenient(NearestClassMeanSampler):
        def __sampler_tags__(self):
            return SamplerTags(requires_labels=True)

        def query_details(self, labeled_mask=None, budget=1, *, y=None):
            return RandomSampler().fit(self.X_fit_).query_details(labeled_mask, budget)

    with pytest.raises(pytest.fail.Exception):
        check_sampler_requires_labels(Lenient())
