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


def _label_kind(value):
    """What a label value is, for type checks: ``"number"`` (bool included),
    ``"string"``, ``"None"`` or ``"other"``."""
    if value is None:
        return "None"
    if isinstance(value, (str, bytes, np.str_, np.bytes_)):
        return "string"
    if isinstance(value, (numbers.Number, np.bool_)):
        return "number"
    return "other"


def _dtype_kind(dtype):
    """:func:`_label_kind` of every value an array of ``dtype`` holds, or None for
    an object array (whose values differ)."""
    if dtype.kind in "biufc":
        return "number"
    if dtype.kind in "US":
        return "string"
    if dtype.kind == "O":
        return None
    return "other"


def _is_nan_label(value):
    return isinstance(value, (float, np.floating)) and value != value


def _rows_note(rows):
    more = len(rows) - 1
    return f"masked row {rows[0]}" + (f" (and {more} more)" if more else "")


def check_missing_label(y, mask, missing_label):
    """Which rows of ``y`` hold ``missing_label``, after checking that it can.

    ``y`` is read at the masked rows: a masked row whose label is
    ``missing_label`` is pending (no label yet), the others are known. A marker
    of another type than the labels cannot mark a row (the string ``'-1'`` is
    not the int ``-1``), and NaN and None are not labels: these are errors, not
    classes.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Labels over the fitted pool, as :func:`check_y` returns them.
    mask : ndarray of shape (n_samples,) of bool
        The masked rows (labeled or pending).
    missing_label : int, float, str or None
        The value of ``y`` that marks a pending row.

    Returns
    -------
    missing : ndarray of shape (n_samples,) of bool
        ``True`` where ``y`` holds ``missing_label`` (at any row).

    Raises
    ------
    ValueError
        If a known row (masked, not ``missing_label``) holds NaN or None, if the
        known labels mix types (numbers and strings), or if ``missing_label`` is
        of another type than the labels and equals no value of ``y``; the
        message names the row and the ``missing_label`` to pass.
    """
    if _is_nan_label(missing_label):
        missing = _nan_rows(y)
    else:
        missing = np.asarray(y == missing_label, dtype=bool).reshape(len(y))
    known = np.flatnonzero(mask & ~missing)
    kind = _known_kind(y, known, missing_label)
    marker = _label_kind(missing_label)
    if kind not in (None, "other") and kind != marker and not missing.any():
        # A marker of another type than the labels, which no value of y equals:
        # it cannot mark a pending row, and a row the user meant it for is a class.
        raise ValueError(_marker_message(y, known, missing_label, kind))
    return missing


def _known_kind(y, known, missing_label):
    """The :func:`_label_kind` of the labels of the ``known`` rows (None when an
    object array has none), after refusing NaN, None and mixed types there."""
    shown = f"missing_label={missing_label!r}"
    nan = known[_nan_rows(y[known])]
    if len(nan):
        raise ValueError(
            f"y is NaN at {_rows_note(nan)}, but {shown} does not mark NaN as "
            "pending; pass missing_label=np.nan if NaN marks the rows without a "
            "label, or give those rows their labels."
        )
    kind = _dtype_kind(y.dtype)
    if kind is not None:
        return kind
    kinds = np.array([_label_kind(v) for v in y[known]], dtype=object)
    none = known[kinds == "None"]
    if len(none):
        raise ValueError(
            f"y is None at {_rows_note(none)}, but {shown} does not mark None as "
            "pending; pass missing_label=None if None marks the rows without a "
            "label, or give those rows their labels."
        )
    found = list(dict.fromkeys(kinds.tolist()))
    if len(found) > 1:
        a, b = (known[np.flatnonzero(kinds == k)[0]] for k in found[:2])
        raise ValueError(
            f"y mixes label types at masked rows: row {a} holds {y[a]!r} "
            f"({type(y[a]).__name__}), row {b} holds {y[b]!r} "
            f"({type(y[b]).__name__}); give every label one type (all numbers or "
            "all strings)."
        )
    return found[0] if found else None


def _marker_message(y, known, missing_label, kind):
    """The error for a ``missing_label`` that cannot equal a label of ``kind``:
    naming the rows that hold it in the labels' type, if any."""
    shown = f"missing_label={missing_label!r} ({type(missing_label).__name__})"
    meant = []
    if kind == "string" and _label_kind(missing_label) == "number":
        spellings = {str(missing_label)}
        if float(missing_label).is_integer():
            spellings.add(str(int(missing_label)))
        meant = known[np.isin(y[known].astype(str), list(spellings))]
    elif kind == "number" and _label_kind(missing_label) == "string":
        try:
            value = float(missing_label)
        except ValueError:
            value = np.nan
        meant = known[y[known].astype(float) == value]
    if len(meant):
        value = y[meant[0]]
        value = value.item() if hasattr(value, "item") else value
        return (
            f"y holds {value!r} at {_rows_note(meant)}, which {shown} never "
            f"equals: the labels of y are {kind}s; pass missing_label={value!r} if "
            "it marks the rows without a label."
        )
    example = (
        "missing_label='-1', or the string at those rows"
        if kind == "string"
        else "missing_label=-1, or np.nan with NaN at those rows"
    )
    return (
        f"{shown} can never mark a row of y, whose labels are {kind}s (dtype "
        f"{y.dtype}), so no masked row counts as pending; pass a missing_label of "
        f"their type: {example}."
    )


def _nan_rows(y):
    """``True`` where ``y`` holds a float NaN (any dtype)."""
    if y.dtype.kind in "fc":
        return np.isnan(y)
    if y.dtype.kind != "O":
        return np.zeros(len(y), dtype=bool)
    return np.fromiter((_is_nan_label(v) for v in y), dtype=bool, count=len(y))
