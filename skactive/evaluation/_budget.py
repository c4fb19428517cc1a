# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Score a sampler by the model its picks train: the budget curve."""

import time
import warnings

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.utils import check_array

from skactive.base import _LabelView, get_sampler_tags


def _check_pair(X, y, name):
    """``X_<name>`` as a 2-D array and ``y_<name>`` as a 1-D array of its length."""
    X = check_array(X, input_name=f"X_{name}")
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y_{name} must be 1-D, got an array of shape {y.shape}")
    if len(y) != len(X):
        raise ValueError(
            f"y_{name} has {len(y)} labels for the {len(X)} rows of X_{name}"
        )
    return X, y


def _check_data(X_train, y_train, X_test, y_test):
    X_train, y_train = _check_pair(X_train, y_train, "train")
    X_test, y_test = _check_pair(X_test, y_test, "test")
    if X_test.shape[1] != X_train.shape[1]:
        raise ValueError(
            f"X_test has {X_test.shape[1]} features, X_train has {X_train.shape[1]}"
        )
    return X_train, y_train, X_test, y_test


def _check_estimator(estimator):
    if estimator is None:
        return LogisticRegression(max_iter=2000)
    if isinstance(estimator, type):
        raise TypeError(
            f"estimator={estimator.__name__} is a class; pass an instance, such "
            f"as {estimator.__name__}()"
        )
    if not (hasattr(estimator, "fit") and hasattr(estimator, "score")):
        raise TypeError(
            "estimator must be a scikit-learn estimator with fit and score, got "
            f"{type(estimator).__name__}"
        )
    return estimator


def _check_picks(picks, n_train):
    picks = np.asarray(picks)
    if picks.ndim != 1 or len(picks) == 0:
        raise ValueError(
            f"picks must be a non-empty 1-D array of indices, got shape {picks.shape}"
        )
    if picks.dtype.kind not in "iu":
        raise TypeError(
            f"picks must be integer row indices into X_train, got dtype {picks.dtype}"
        )
    outside = picks[(picks < 0) | (picks >= n_train)]
    if len(outside):
        raise ValueError(
            f"picks {outside[:5].tolist()} are not rows of X_train (0 to {n_train - 1})"
        )
    return picks


def _score(estimator, X_train, y_train, picks, X_test, y_test):
    """:func:`score_labeled` on validated arguments; ``estimator`` is not None."""
    classes = np.unique(y_train[picks])
    if len(classes) == 1 and is_classifier(estimator):
        return float(np.mean(y_test == classes[0]))
    model = clone(estimator)
    return float(model.fit(X_train[picks], y_train[picks]).score(X_test, y_test))


def score_labeled(X_train, y_train, picks, X_test, y_test, estimator=None):
    """Test score of a model trained on the picked training points only.

    Parameters
    ----------
    X_train : array-like of shape (n_train, n_features)
        The pool the points were picked from.
    y_train : array-like of shape (n_train,)
        Its labels; only those of the picks are read.
    picks : array-like of shape (n_picks,) of int
        Indices into ``X_train`` of the labeled points.
    X_test : array-like of shape (n_test, n_features)
        Held-out points.
    y_test : array-like of shape (n_test,)
        Their labels.
    estimator : estimator, default=None
        The model to train, cloned; it is scored with its ``score`` method
        (accuracy for a classifier). None is
        ``LogisticRegression(max_iter=2000)``.

    Returns
    -------
    score : float
        ``estimator.score(X_test, y_test)`` after fitting on the picks. A
        classifier cannot learn from a single class: when the picks hold one
        class only, the score is the accuracy of predicting that class
        everywhere.

    See Also
    --------
    budget_curve : The score after each round of an active-learning loop.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import train_test_split
    >>> from skactive import TypiClustSampler
    >>> from skactive.evaluation import score_labeled
    >>> X, y = load_digits(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(
    ...     X / 16, y, test_size=0.3, stratify=y, random_state=0
    ... )
    >>> picks = TypiClustSampler(random_state=0).fit(X_train).query(budget=20)
    >>> score = score_labeled(X_train, y_train, picks, X_test, y_test)
    >>> 0.5 < score <= 1
    True
    """
    X_train, y_train, X_test, y_test = _check_data(X_train, y_train, X_test, y_test)
    picks = _check_picks(picks, len(X_train))
    estimator = _check_estimator(estimator)
    return _score(estimator, X_train, y_train, picks, X_test, y_test)


def _check_n_labels(n_labels, n_train):
    values = np.asarray(n_labels)
    if values.ndim != 1 or len(values) == 0:
        raise ValueError(
            "n_labels must be a non-empty 1-D sequence of label counts, got "
            f"{n_labels!r}"
        )
    if values.dtype.kind not in "iu":
        raise TypeError(
            f"n_labels must be integers (labels after each round), got {n_labels!r}"
        )
    if values[0] < 1 or np.any(np.diff(values) <= 0):
        raise ValueError(
            "n_labels must be positive and strictly increasing (labels after each "
            f"round), got {values.tolist()}"
        )
    if values[-1] > n_train:
        raise ValueError(
            f"n_labels goes up to {values[-1]}, more than the {n_train} rows of X_train"
        )
    return values.tolist()


def _check_sampler(sampler):
    if isinstance(sampler, type):
        raise TypeError(
            f"sampler={sampler.__name__} is a class; pass an instance, such as "
            f"{sampler.__name__}()"
        )
    if not (hasattr(sampler, "fit") and hasattr(sampler, "query")):
        raise TypeError(
            "sampler must be a sampler with fit and query (such as "
            f"skactive.TypiClustSampler()), got {type(sampler).__name__}"
        )
    try:
        requires_labels = get_sampler_tags(sampler).requires_labels
    except TypeError:  # a sampler of another library: it is given no labels
        requires_labels = False
    return clone(sampler), requires_labels


def budget_curve(sampler, X_train, y_train, X_test, y_test, n_labels, estimator=None):
    """Test score after each round of a cold-start active-learning loop.

    A clone of ``sampler`` is fitted on ``X_train``, then asked, round by
    round, for the points that bring the labeled count to each entry of
    ``n_labels``; after each round a clone of ``estimator`` is trained on all
    the labeled points, as :func:`score_labeled` does, and scored on the test
    set.

    Parameters
    ----------
    sampler : sampler
        An unfitted or fitted sampler, such as
        :class:`~skactive.TypiClustSampler`; it is cloned, so it is left as it
        is. A sampler whose tags say it reads labels
        (:func:`~skactive.base.get_sampler_tags`) gets, in each query, the
        ``y_train`` labels of the rows picked so far, every one of them known (a
        label equal to the sampler's ``missing_label`` is still a label).
    X_train : array-like of shape (n_train, n_features)
        The pool to pick from.
    y_train : array-like of shape (n_train,)
        Its labels, as an annotator would give them.
    X_test : array-like of shape (n_test, n_features)
        Held-out points.
    y_test : array-like of shape (n_test,)
        Their labels.
    n_labels : array-like of int
        The number of labels after each round: positive, strictly increasing,
        at most ``n_train``.
    estimator : estimator, default=None
        The model trained after each round, cloned. None is
        ``LogisticRegression(max_iter=2000)``.

    Returns
    -------
    scores : ndarray of shape (n_rounds,)
        The test score after each round (accuracy for a classifier).
    query_seconds : float
        Time spent in the sampler's ``query``, all rounds together (not in
        ``fit``).

    See Also
    --------
    score_labeled : The score of a model trained on given picks.
    skactive.plotting.BudgetCurveDisplay : Plot such curves.

    Notes
    -----
    scikit-learn's ``ConvergenceWarning`` is silenced during the queries only:
    a sampler's k-means warns on a pool with duplicate points.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import train_test_split
    >>> from skactive import RandomSampler, TypiClustSampler
    >>> from skactive.evaluation import budget_curve
    >>> X, y = load_digits(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(
    ...     X / 16, y, test_size=0.3, stratify=y, random_state=0
    ... )
    >>> rounds = [10, 20, 30]
    >>> typiclust, _ = budget_curve(
    ...     TypiClustSampler(random_state=0), X_train, y_train, X_test, y_test, rounds
    ... )
    >>> random, _ = budget_curve(
    ...     RandomSampler(random_state=0), X_train, y_train, X_test, y_test, rounds
    ... )
    >>> typiclust.shape
    (3,)
    >>> bool(typiclust[0] > random[0])
    True
    """
    sampler, requires_labels = _check_sampler(sampler)
    X_train, y_train, X_test, y_test = _check_data(X_train, y_train, X_test, y_test)
    n_labels = _check_n_labels(n_labels, len(X_train))
    estimator = _check_estimator(estimator)

    sampler.fit(X_train)
    mask = np.zeros(len(X_train), dtype=bool)
    scores, seconds = [], 0.0
    for n in n_labels:
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # duplicate points
            # Every picked row has its label: given as known rows, not through a
            # missing-label value that a real label (-1, a string...) could match.
            query_params = (
                {"y": _LabelView.from_known(mask, y_train[mask], mask)}
                if requires_labels
                else {}
            )
            picks = sampler.query(mask, budget=n - int(mask.sum()), **query_params)
            mask[picks] = True
        seconds += time.perf_counter() - t0
        picks = np.flatnonzero(mask)
        scores.append(_score(estimator, X_train, y_train, picks, X_test, y_test))
    return np.asarray(scores, dtype=np.float64), seconds
