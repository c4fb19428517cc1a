# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Checks of the arguments of ``query``: the labeled mask and the budget."""

import numbers

import numpy as np


def check_labeled_mask(labeled_mask, n_samples):
    """Return ``labeled_mask`` as a new boolean array of length ``n_samples``.

    Parameters
    ----------
    labeled_mask : array-like of shape (n_samples,) of bool, or None
        ``True`` marks a labeled point. ``None`` means that no point is labeled
        (a cold start).
    n_samples : int
        Size of the fitted pool.

    Returns
    -------
    mask : ndarray of shape (n_samples,), dtype=bool
        A copy: the caller's array is never modified.

    Raises
    ------
    TypeError
        If the mask is not boolean, for example an array of indices.
    ValueError
        If the mask is not 1-D or its length is not ``n_samples``.
    """
    if labeled_mask is None:
        return np.zeros(n_samples, dtype=bool)
    if hasattr(labeled_mask, "toarray"):
        raise TypeError(
            "labeled_mask must be a dense boolean array; got a sparse "
            f"{type(labeled_mask).__name__}."
        )
    mask = np.array(labeled_mask, copy=True)
    if mask.ndim != 1:
        raise ValueError(
            f"labeled_mask must be 1-D of length {n_samples}; got an array of "
            f"shape {mask.shape}."
        )
    if mask.shape[0] == 0 and n_samples != 0:
        # An empty list becomes a float array: the length is the problem, not the
        # dtype.
        raise ValueError(
            f"labeled_mask is empty (length 0), but the sampler was fitted on "
            f"{n_samples} samples; it must have one entry per fitted sample (or be "
            "None for a cold start)."
        )
    if mask.dtype != np.bool_:
        length = ""
        if mask.shape[0] != n_samples:
            length = f" and length {mask.shape[0]}"
        hint = ""
        if np.issubdtype(mask.dtype, np.integer):
            hint = (
                " It looks like an array of indices: build a mask with "
                "mask = np.zeros(n_samples, dtype=bool); mask[indices] = True."
            )
        raise TypeError(
            "labeled_mask must be a boolean mask of length "
            f"{n_samples}; got dtype {mask.dtype}{length}.{hint}"
        )
    if mask.shape[0] != n_samples:
        raise ValueError(
            f"labeled_mask has length {mask.shape[0]}, but the sampler was fitted "
            f"on {n_samples} samples; it must have one entry per fitted sample."
        )
    return mask


def check_budget(budget, n_unlabeled):
    """Check that ``budget`` is an integer in ``[1, n_unlabeled]``.

    Parameters
    ----------
    budget : int
        Number of points to select.
    n_unlabeled : int
        Number of points that are not labeled yet.

    Returns
    -------
    budget : int

    Raises
    ------
    TypeError
        If ``budget`` is not an integer (``bool`` included).
    ValueError
        If ``budget`` is below 1 or larger than ``n_unlabeled``.
    """
    if isinstance(budget, (bool, np.bool_)) or not isinstance(budget, numbers.Integral):
        raise TypeError(
            f"budget must be an int; got {budget!r} of type {type(budget).__name__}."
        )
    budget = int(budget)
    if budget < 1:
        raise ValueError(f"budget must be at least 1; got budget={budget}.")
    if budget > n_unlabeled:
        raise ValueError(
            f"budget={budget} is larger than the number of unlabeled samples "
            f"({n_unlabeled}); there are not enough points to select."
        )
    return budget


def check_y(y, n_samples):
    """Return the labels ``y`` of the fitted pool as a 1-D array (a copy), or None.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or None
        One label per point of the fitted pool; only the labeled points' are read.
    n_samples : int
        Size of the fitted pool.

    Returns
    -------
    y : ndarray of shape (n_samples,) or None

    Raises
    ------
    ValueError
        If ``y`` is not 1-D (a single column is accepted) or its length is not
        ``n_samples``.
    """
    if y is None:
        return None
    if hasattr(y, "toarray"):
        raise TypeError(f"y must be a dense array; got a sparse {type(y).__name__}.")
    y = np.array(y, copy=True)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(
            f"y must be 1-D, one label per fitted sample ({n_samples}); got an "
            f"array of shape {y.shape}."
        )
    if y.shape[0] != n_samples:
        raise ValueError(
            f"y has length {y.shape[0]}, but the sampler was fitted on {n_samples} "
            "samples; give one label per fitted sample (only the labeled ones are "
            "read)."
        )
    return y


def check_instances(estimator, names):
    """Raise a ``TypeError`` when one of the parameters ``names`` of ``estimator``
    holds a class where an instance is expected (``clusterer=KMeans``)."""
    for name in names:
        value = getattr(estimator, name)
        if isinstance(value, type):
            raise TypeError(
                f"{name}={value.__name__} is a class; pass an instance, for example "
                f"{name}={value.__name__}()."
            )
