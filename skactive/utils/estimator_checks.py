# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""The sampler contract as a check, for skactive's samplers and third-party ones."""

import numpy as np
from sklearn.base import clone


def check_query_contract(sampler, X, labeled_mask, budget):
    """Check that ``sampler`` keeps the ``query`` contract on one input.

    Fits a clone of ``sampler`` on ``X`` and queries it twice. Raises
    ``AssertionError`` unless ``query``

    - returns ``budget`` distinct ``intp`` indices into ``X``, none labeled;
    - returns the same indices, in the same order, when asked again and after
      fitting a second clone (so give the sampler an int ``random_state``);
    - leaves ``X`` and ``labeled_mask`` unchanged.

    Parameters
    ----------
    sampler : estimator
        An unfitted sampler with an int ``random_state``.
    X : ndarray of shape (n_samples, n_features)
        The pool.
    labeled_mask : ndarray of shape (n_samples,) of bool or None
        The labeled points.
    budget : int
        The number of points to ask for.

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
    fitted = clone(sampler).fit(X)
    picks = fitted.query(labeled_mask, budget)
    name = type(sampler).__name__

    assert isinstance(picks, np.ndarray) and picks.dtype == np.intp, (
        f"{name}.query must return an intp array, got {type(picks)} {picks.dtype}"
    )
    assert picks.shape == (budget,), f"{name}: {picks.shape} picks for {budget=}"
    assert len(np.unique(picks)) == budget, f"{name}: repeated picks {picks}"
    assert np.all((picks >= 0) & (picks < len(X))), f"{name}: out of range {picks}"
    if labeled_mask is not None:
        labeled = np.flatnonzero(np.asarray(labeled_mask))
        assert not np.isin(picks, labeled).any(), f"{name} picked labeled points"
    again = fitted.query(labeled_mask, budget)
    np.testing.assert_array_equal(picks, again, err_msg=f"{name}: query not repeatable")
    refit = clone(sampler).fit(X).query(labeled_mask, budget)
    np.testing.assert_array_equal(picks, refit, err_msg=f"{name}: refit differs")
    np.testing.assert_array_equal(X, X_before, err_msg=f"{name} modified X")
    if labeled_mask is not None:
        np.testing.assert_array_equal(
            labeled_mask, mask_before, err_msg=f"{name} modified labeled_mask"
        )
    return picks
