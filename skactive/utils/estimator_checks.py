# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""The sampler contract as checks, for skactive's samplers and third-party ones.

:func:`sampler_checks` yields the checks that apply to a sampler, chosen by its
tags (:func:`~skactive.base.get_sampler_tags`), and
:func:`parametrize_with_sampler_checks` turns them into a pytest parametrisation,
as scikit-learn's :func:`~sklearn.utils.estimator_checks.parametrize_with_checks`
does for its estimator checks. Run both: a sampler is an estimator too.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import joblib
import numpy as np
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skactive.base import get_sampler_tags

# What the deprecated attributes read; the one thing query may write.
_QUERY_SLOT = "_last_query"


def _pool(n_samples=90, n_features=5, seed=0):
    """A pool of four blobs with their classes, and a mask of 12 labeled rows."""
    X, y = make_blobs(
        n_samples=n_samples, n_features=n_features, centers=4, random_state=seed
    )
    mask = np.zeros(n_samples, dtype=bool)
    mask[np.random.RandomState(seed).choice(n_samples, 12, replace=False)] = True
    return X, y, mask


def _seeded(sampler):
    """An unfitted clone with ``random_state=0`` where the sampler has one."""
    sampler = clone(sampler)
    if "random_state" in sampler.get_params():
        sampler.set_params(random_state=0)
    return sampler


def _labels_for(sampler, y, mask):
    """``y`` for a sampler that reads labels (None for the others)."""
    return y if get_sampler_tags(sampler).requires_labels else None


def check_query_contract(sampler, X, labeled_mask, budget, *, y=None):
    """Check that ``sampler`` keeps the ``query`` contract on one input.

    Fits a clone of ``sampler`` on ``X`` and queries it twice. Raises
    ``AssertionError`` unless ``query``

    - returns ``budget`` distinct ``intp`` indices into ``X``, none masked;
    - returns the same indices, in the same order, when asked again and after
      fitting a second clone (so give the sampler an int ``random_state``);
    - returns the same indices with ``return_scores=True``, and one float score
      per pick, as :meth:`~skactive.base.BaseSampler.query_details` does;
    - leaves ``X``, ``labeled_mask`` and ``y`` unchanged.

    Parameters
    ----------
    sampler : estimator
        An unfitted sampler with an int ``random_state``.
    X : ndarray of shape (n_samples, n_features)
        The pool.
    labeled_mask : ndarray of shape (n_samples,) of bool or None
        The masked points.
    budget : int
        The number of points to ask for.
    y : ndarray of shape (n_samples,), default=None
        Labels, for samplers that read them.

    Returns
    -------
    indices : ndarray of shape (budget,)
        The selection, for further checks.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive import CoresetSampler
    >>> from skactive.utils.estimator_checks import check_query_contract
    >>> X = np.random.RandomState(0).normal(size=(20, 3))
    >>> check_query_contract(CoresetSampler(random_state=0), X, None, 5).shape
    (5,)
    """
    X_before = np.array(X, copy=True)
    mask_before = None if labeled_mask is None else np.array(labeled_mask, copy=True)
    y_before = None if y is None else np.array(y, copy=True)
    fitted = clone(sampler).fit(X)
    picks = fitted.query(labeled_mask, budget, y=y)
    name = type(sampler).__name__

    assert isinstance(picks, np.ndarray) and picks.dtype == np.intp, (
        f"{name}.query must return an intp array, got {type(picks)} {picks.dtype}"
    )
    assert picks.shape == (budget,), f"{name}: {picks.shape} picks for {budget=}"
    assert len(np.unique(picks)) == budget, f"{name}: repeated picks {picks}"
    assert np.all((picks >= 0) & (picks < len(X))), f"{name}: out of range {picks}"
    if labeled_mask is not None:
        labeled = np.flatnonzero(np.asarray(labeled_mask))
        assert not np.isin(picks, labeled).any(), f"{name} picked masked points"
    again = fitted.query(labeled_mask, budget, y=y)
    np.testing.assert_array_equal(picks, again, err_msg=f"{name}: query not repeatable")
    with_scores, scores = fitted.query(labeled_mask, budget, y=y, return_scores=True)
    np.testing.assert_array_equal(
        picks, with_scores, err_msg=f"{name}: return_scores changed the picks"
    )
    assert isinstance(scores, np.ndarray) and scores.shape == (budget,), (
        f"{name}: scores of shape {getattr(scores, 'shape', None)} for {budget=}"
    )
    assert scores.dtype == np.float64, f"{name}: scores of dtype {scores.dtype}"
    details = fitted.query_details(labeled_mask, budget, y=y)
    np.testing.assert_array_equal(details.indices, picks, err_msg=name)
    np.testing.assert_array_equal(details.scores, scores, err_msg=name)
    refit = clone(sampler).fit(X).query(labeled_mask, budget, y=y)
    np.testing.assert_array_equal(picks, refit, err_msg=f"{name}: refit differs")
    np.testing.assert_array_equal(X, X_before, err_msg=f"{name} modified X")
    if labeled_mask is not None:
        np.testing.assert_array_equal(
            labeled_mask, mask_before, err_msg=f"{name} modified labeled_mask"
        )
    if y is not None:
        np.testing.assert_array_equal(y, y_before, err_msg=f"{name} modified y")
    return picks


def check_sampler_contract(sampler):
    """Check the contract of :func:`check_query_contract` on three inputs.

    A cold start, a pool with labeled points, and a budget of one.

    Parameters
    ----------
    sampler : estimator
        An unfitted sampler.
    """
    X, y, mask = _pool()
    sampler = _seeded(sampler)
    y = _labels_for(sampler, y, mask)
    check_query_contract(sampler, X, None, 6, y=y)
    check_query_contract(sampler, X, mask, 6, y=y)
    check_query_contract(sampler, X, mask, 1, y=y)


def check_sampler_cold_start(sampler):
    """Check that ``labeled_mask=None`` and an all-``False`` mask are one cold start.

    Parameters
    ----------
    sampler : estimator
        An unfitted sampler.
    """
    X, y, _ = _pool()
    fitted = _seeded(sampler).fit(X)
    cold = fitted.query(None, 5)
    np.testing.assert_array_equal(
        cold,
        fitted.query(np.zeros(len(X), dtype=bool), 5, y=_labels_for(sampler, y, None)),
        err_msg=f"{type(sampler).__name__}: an all-False mask is not a cold start",
    )


def check_sampler_prefix_stable(sampler):
    """Check that a smaller budget selects a prefix of a larger one.

    For samplers tagged ``prefix_stable``.

    Parameters
    ----------
    sampler : estimator
        An unfitted sampler.
    """
    X, y, mask = _pool()
    fitted = _seeded(sampler).fit(X)
    y = _labels_for(sampler, y, mask)
    for m in (None, mask):
        full = fitted.query(m, 12, y=y)
        for b in (1, 5, 11):
            np.testing.assert_array_equal(
                fitted.query(m, b, y=y),
                full[:b],
                err_msg=f"{type(sampler).__name__} is tagged prefix_stable",
            )


def check_sampler_query_is_pure(sampler):
    """Check that ``query`` and ``query_details`` leave the sampler unchanged.

    The one slot the deprecated query attributes read is left out.

    Parameters
    ----------
    sampler : estimator
        An unfitted sampler.
    """
    X, y, mask = _pool()
    fitted = _seeded(sampler).fit(X)
    y = _labels_for(sampler, y, mask)

    def state():
        return {k: v for k, v in vars(fitted).items() if k != _QUERY_SLOT}

    before = joblib.hash(state())
    fitted.query(mask, 4, y=y)
    fitted.query_details(None, 3, y=y)
    assert joblib.hash(state()) == before, (
        f"{type(sampler).__name__}.query changed the sampler's attributes"
    )


def check_sampler_threads(sampler):
    """Check that a fitted sampler answers two threads at once as it answers one.

    Parameters
    ----------
    sampler : estimator
        An unfitted sampler.
    """
    X, y, mask = _pool()
    fitted = _seeded(sampler).fit(X)
    y = _labels_for(sampler, y, mask)
    masks = [None, mask]
    expected = [fitted.query_details(m, 5, y=y) for m in masks]
    barrier = threading.Barrier(2)

    def ask(i):
        barrier.wait()
        return [fitted.query_details(masks[i], 5, y=y) for _ in range(3)]

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(ask, range(2)))
    for i, runs in enumerate(answers):
        for got in runs:
            np.testing.assert_array_equal(
                got.indices,
                expected[i].indices,
                err_msg=f"{type(sampler).__name__}: another thread changed a query",
            )
            np.testing.assert_array_equal(got.scores, expected[i].scores)


def check_sampler_bad_arguments(sampler):
    """Check that bad budgets, masks, labels and features are clear errors.

    Parameters
    ----------
    sampler : estimator
        An unfitted sampler.
    """
    import pytest  # the checks run under pytest

    X, y, mask = _pool()
    name = type(sampler).__name__
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        _seeded(sampler).fit(bad)
    bad[3, 1] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        _seeded(sampler).fit(bad)
    fitted = _seeded(sampler).fit(X)
    y = _labels_for(sampler, y, mask)
    free = int((~mask).sum())
    for budget in (0, -3):
        with pytest.raises(ValueError, match="budget"):
            fitted.query(mask, budget, y=y)
    with pytest.raises(ValueError, match=f"budget={free + 1}"):
        fitted.query(mask, free + 1, y=y)
    for budget in (2.0, True, "3"):
        with pytest.raises(TypeError, match="budget"):
            fitted.query(mask, budget, y=y)
    with pytest.raises(ValueError, match="labeled_mask has length"):
        fitted.query(mask[:-1], 2, y=y)
    with pytest.raises(TypeError, match="labeled_mask"):
        fitted.query(np.flatnonzero(mask), 2, y=y)
    with pytest.raises(ValueError, match="y has length"):
        fitted.query(mask, 2, y=np.zeros(len(X) - 1))
    assert fitted.query(mask, free, y=y).shape == (free,), name


def check_sampler_labels_read_only_at_masked_rows(sampler):
    """Check that labels are read only at masked rows.

    Labels of unmasked rows must not change a selection, a sampler that is not
    tagged ``requires_labels`` must select the same with and without ``y``, and a
    masked row whose label is missing (pending) is never picked.

    Parameters
    ----------
    sampler : estimator
        An unfitted sampler.
    """
    X, y, mask = _pool()
    fitted = _seeded(sampler).fit(X)
    missing = getattr(fitted, "missing_label", -1)
    noisy = y.copy()
    noisy[~mask] = np.random.RandomState(1).choice(y, np.count_nonzero(~mask))
    picks = fitted.query(mask, 6, y=y)
    if not get_sampler_tags(sampler).requires_labels:
        np.testing.assert_array_equal(
            fitted.query(mask, 6),
            picks,
            err_msg=f"{type(sampler).__name__} reads labels but is not tagged so",
        )
    np.testing.assert_array_equal(
        fitted.query(mask, 6, y=noisy),
        picks,
        err_msg=f"{type(sampler).__name__} read labels of unmasked rows",
    )
    pending = mask.copy()
    pending[np.flatnonzero(~mask)[:5]] = True
    partial_y = y.astype(np.float64) if isinstance(missing, float) else y.copy()
    partial_y[pending & ~mask] = missing
    picks = fitted.query(pending, 6, y=partial_y)
    assert not pending[picks].any(), f"{type(sampler).__name__} picked a pending row"


def check_sampler_requires_labels(sampler):
    """Check that a sampler tagged ``requires_labels`` asks for ``y``.

    Labeled rows without ``y`` are a ``ValueError`` naming ``y``; a cold start
    needs no labels.

    Parameters
    ----------
    sampler : estimator
        An unfitted sampler.
    """
    import pytest

    X, _, mask = _pool()
    fitted = _seeded(sampler).fit(X)
    with pytest.raises(ValueError, match="y="):
        fitted.query(mask, 3)
    assert fitted.query(None, 3).shape == (3,)


def check_sampler_in_pipeline(sampler):
    """Check that the sampler ends a Pipeline, whose tags are the sampler's.

    Parameters
    ----------
    sampler : estimator
        An unfitted sampler.
    """
    X, y, mask = _pool()
    sampler = _seeded(sampler)
    pipe = make_pipeline(StandardScaler(), sampler).fit(X)
    assert get_sampler_tags(pipe) == get_sampler_tags(sampler)
    direct = clone(sampler).fit(StandardScaler().fit_transform(X))
    y = _labels_for(sampler, y, mask)
    np.testing.assert_array_equal(
        pipe[-1].query(mask, 4, y=y), direct.query(mask, 4, y=y)
    )


def sampler_checks(sampler):
    """The checks that apply to ``sampler``, chosen by its tags.

    Parameters
    ----------
    sampler : estimator
        An unfitted sampler.

    Yields
    ------
    check : callable
        A :func:`functools.partial` of one ``check_sampler_*`` function that
        takes the sampler: ``check(sampler)`` raises when the sampler fails it.

    Examples
    --------
    >>> from skactive import RandomSampler
    >>> from skactive.utils.estimator_checks import sampler_checks
    >>> for check in sampler_checks(RandomSampler()):
    ...     check(RandomSampler())
    """
    tags = get_sampler_tags(sampler)
    checks = [
        check_sampler_contract,
        check_sampler_cold_start,
        check_sampler_query_is_pure,
        check_sampler_threads,
        check_sampler_bad_arguments,
        check_sampler_labels_read_only_at_masked_rows,
        check_sampler_in_pipeline,
    ]
    if tags.prefix_stable:
        checks.append(check_sampler_prefix_stable)
    if tags.requires_labels:
        checks.append(check_sampler_requires_labels)
    for check in checks:
        yield partial(check)


def parametrize_with_sampler_checks(samplers):
    """A pytest parametrisation over every sampler and every check that applies.

    Parameters
    ----------
    samplers : list of estimators
        Unfitted samplers.

    Returns
    -------
    decorator : pytest.mark.parametrize
        Gives the test two arguments, ``sampler`` and ``check``: call
        ``check(sampler)``.

    Examples
    --------
    >>> from skactive import CoresetSampler
    >>> from skactive.utils.estimator_checks import parametrize_with_sampler_checks
    >>> @parametrize_with_sampler_checks([CoresetSampler()])
    ... def test_sampler(sampler, check):
    ...     check(sampler)
    """
    import pytest

    cases, ids = [], []
    for sampler in samplers:
        for check in sampler_checks(sampler):
            cases.append((sampler, check))
            ids.append(f"{type(sampler).__name__}-{check.func.__name__}")
    return pytest.mark.parametrize("sampler, check", cases, ids=ids)
