# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Uncertainty sampling: the points a model trained on the labels is least sure of."""

import numpy as np
from scipy import sparse
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import Normalizer
from sklearn.utils.validation import check_array

from skactive._kernels._exact import power_of_two_exponent, row_blocks, row_max_abs
from skactive.base import BaseSampler, SamplerTags, _split_details, get_sampler_tags
from skactive.samplers._normalize import collapse_member, warn_if_collapsed
from skactive.utils._compat import HasMethods, StrOptions
from skactive.utils._validation import check_instances

# Scores closer than this (relative to their scale) count as tied: far above the
# rounding of a float64 model, far below any difference that means something.
_TIE_RTOL = 1e-9
# RowNormalizer brings a row whose largest magnitude lies outside
# [2**-_ROW_EXP, 2**_ROW_EXP] to [0.5, 1) first: inside, Normalizer's own arithmetic
# neither underflows, nor overflows, nor takes the row for a zero row.
_ROW_EXP = 10


class RowNormalizer(Normalizer):
    """:class:`~sklearn.preprocessing.Normalizer` that divides every non-zero
    dense row by its norm, whatever the row's scale.

    scikit-learn's Normalizer leaves alone the rows whose norm is below ten
    machine epsilons (about ``2.2e-15`` in float64, ``1.2e-6`` in float32), taking
    them for zero rows, and its squared norms overflow beyond about ``1e154``
    (``1e19`` in float32). Here a row whose largest magnitude lies outside
    ``[2**-10, 2**10]`` is first multiplied by a power of two (which changes no
    bit of its normalised value) so that its largest magnitude lies in
    ``[0.5, 1)``; other rows, and sparse input, are Normalizer's own, to the bit.
    Rows of zeros stay zero.
    """

    def transform(self, X, copy=None):
        if sparse.issparse(X):
            return super().transform(X, copy=copy)
        X = check_array(X, dtype=(np.float64, np.float32))
        exponent = power_of_two_exponent(row_max_abs(X), _ROW_EXP)
        odd = np.flatnonzero(exponent)
        if len(odd):
            X = X.copy()  # never the caller's array
            X[odd] = np.ldexp(X[odd], exponent[odd, None].astype(np.int32))
            copy = False
        return super().transform(X, copy=copy)


def default_estimator():
    """The model uncertainty sampling fits when given none.

    A :class:`~sklearn.linear_model.LogisticRegression` with ``C=10`` on
    L2-normalised rows: with few labels on unit vectors the default ``C=1``
    regularises far too strongly.

    Returns
    -------
    estimator : Pipeline
        ``Pipeline([("normalizer", RowNormalizer()), ("logisticregression",
        LogisticRegression(C=10, max_iter=1000))])``: :class:`RowNormalizer`
        is scikit-learn's Normalizer, except that it also normalises the rows
        that Normalizer leaves as they are (norm below about ``2.2e-15`` in
        float64) or cannot square (beyond about ``1e154``).
    """
    return Pipeline(
        [
            ("normalizer", RowNormalizer()),
            ("logisticregression", LogisticRegression(C=10.0, max_iter=1000)),
        ]
    )


def estimator_clone(estimator, random_state):
    """An unfitted clone of ``estimator`` (:func:`default_estimator` when None),
    given ``random_state`` where its own is left None."""
    model = clone(default_estimator() if estimator is None else estimator)
    if model.get_params().get("random_state", 0) is None:
        model.set_params(random_state=random_state)
    return model


def default_fallback(fallback, random_state):
    """``fallback``, or TypiClust seeded with ``random_state`` when it is None: the
    sampler that answers a label-reading sampler's cold start."""
    if fallback is not None:
        return fallback
    from skactive.samplers._typiclust import TypiClustSampler

    return TypiClustSampler(random_state=random_state)


def check_fallback(fallback):
    """Refuse a ``fallback`` that reads labels: it answers when fewer than two
    classes are labeled, and is given no labels."""
    if fallback is None:
        return
    try:
        tags = get_sampler_tags(fallback)
    except TypeError:  # a sampler of another library: it is given no labels
        return
    if tags.requires_labels:
        raise TypeError(
            f"fallback={fallback!r} reads labels, but the fallback answers while "
            "fewer than two classes are labeled and is given none; pass a sampler "
            "that needs no labels, such as TypiClustSampler() or CoresetSampler(), "
            "or fallback=None."
        )


def fallback_query(fallback, mask, budget):
    """The ``_query`` answer of a fitted ``fallback``, with ``strategy="fallback"``."""
    indices, scores, extras = _split_details(fallback.query_details(mask, budget))
    return indices, scores, {"strategy": "fallback", **extras}


def uncertainty_scores(proba, measure="margin"):
    """Uncertainty of each row of class probabilities; larger is less certain.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)
        Class probabilities (rows sum to 1) or, for ``"margin"``, any scores
        where larger means more likely (a decision function).
    measure : {"margin", "entropy", "least_confident"}, default="margin"
        ``"margin"``: minus the gap between the two largest values;
        ``"entropy"``: the Shannon entropy in nats; ``"least_confident"``: one
        minus the largest probability.

    Returns
    -------
    scores : ndarray of shape (n_samples,), dtype=float64

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.samplers import uncertainty_scores
    >>> uncertainty_scores(np.array([[0.5, 0.4, 0.1], [0.9, 0.05, 0.05]]))
    array([-0.1 , -0.85])
    """
    proba = np.asarray(proba, dtype=np.float64)
    if measure == "margin":
        if proba.shape[1] == 1:  # a binary decision function
            return -np.abs(proba[:, 0])
        top = np.partition(proba, proba.shape[1] - 2, axis=1)[:, -2:]
        return -(top[:, 1] - top[:, 0])
    if measure == "least_confident":
        return 1.0 - proba.max(axis=1)
    if measure == "entropy":
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(proba > 0, proba * np.log(proba), 0.0)
        return -terms.sum(axis=1)
    raise ValueError(
        f"measure must be 'margin', 'entropy' or 'least_confident'; got {measure!r}."
    )


class UncertaintySampler(BaseSampler):
    """Uncertainty sampling: the unlabeled points a model is least sure of.

    At each query a clone of ``estimator`` is fitted on the labeled points of the
    pool (those of ``labeled_mask`` whose label in ``y`` is known) and the
    unlabeled points are ranked by the uncertainty of its prediction: the margin
    between the two most probable classes (the high-budget half of Hacohen et
    al., 2022, "maximal softmax response"), the entropy, or one minus the largest
    probability. The ``budget`` most uncertain points are picked, most uncertain
    first, in one batch (the model is not refitted between picks).

    With fewer than two classes among the known labels (a cold start, or one
    class so far), no model can rank the pool, and ``fallback`` answers instead
    (TypiClust by default), as its own query would.

    Parameters
    ----------
    estimator : estimator or None, default=None
        A classifier with ``predict_proba`` (or, for ``measure="margin"``,
        ``decision_function``), cloned at each query; an estimator with neither
        (a regressor, a clusterer, a Pipeline ending in a transformer) is a
        ``TypeError`` at fit. ``None``:
        :func:`default_estimator`, a LogisticRegression with ``C=10`` on
        L2-normalised rows (fit warns when those rows nearly all point one way:
        centre or standardise the features first).
    measure : {"margin", "entropy", "least_confident"}, default="margin"
        How uncertainty is scored (see :func:`uncertainty_scores`).
    fallback : sampler or None, default=None
        The feature-only sampler that answers while fewer than two classes are
        labeled; ``None``: ``TypiClustSampler(random_state=random_state)``. Fitted
        (a clone) on the pool at fit. A sampler that reads labels is a
        ``TypeError`` at fit.
    missing_label : int, float, str or None, default=-1
        The value of ``y`` that marks a masked point as pending (sent to
        annotators, no label yet): it is never picked, and the model is not
        fitted on it.
    random_state : int, RandomState instance or None, default=None
        Seeds the default fallback, and the estimator when it has a
        ``random_state`` left at ``None``.

    Attributes
    ----------
    X_fit_ : ndarray of shape (n_samples, n_features)
        The pool, as validated at fit (float32 or float64).
    fallback_ : sampler
        The fitted clone of ``fallback``.
    n_samples_fit_ : int
        Number of points in the fitted pool.
    n_features_in_ : int
        Number of features seen during :meth:`fit`.

    See Also
    --------
    TypiClustSampler : Typical points, better at low budgets.
    BudgetSwitchSampler : TypiClust first, uncertainty once labels are many.

    Notes
    -----
    The score of a pick (``query(..., return_scores=True)``) is its uncertainty
    (see :func:`uncertainty_scores`: larger is less certain), or the fallback's
    score when the fallback answered; :meth:`query_details` says which
    (``strategy``: ``"uncertainty"`` or ``"fallback"``). Scores are compared on a
    grid of a relative ``1e-9`` (equal cells count as tied, ties to the lowest
    index), so the last bits of the model's float64 arithmetic, which differ
    between BLAS kernels, reorder two picks only when their scores straddle a
    cell boundary, about once in ten million near-ties; the model's fit itself
    (lbfgs in float64) cannot be settled exactly as distances are.

    References
    ----------
    .. [1] G. Hacohen, A. Dekel and D. Weinshall, "Active Learning on a Budget:
       Opposite Strategies Suit High and Low Budgets", ICML 2022.
    .. [2] B. Settles, "Active Learning Literature Survey", University of
       Wisconsin-Madison, 2009.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skactive import UncertaintySampler
    >>> X, y = load_digits(return_X_y=True)
    >>> sampler = UncertaintySampler(random_state=0).fit(X)
    >>> mask = np.zeros(len(X), dtype=bool)
    >>> mask[sampler.query(mask, budget=20)] = True  # a cold start: TypiClust
    >>> picks = sampler.query(mask, budget=10, y=np.where(mask, y, -1))
    >>> bool(mask[picks].any())
    False
    """

    _parameter_constraints: dict = {
        **BaseSampler._parameter_constraints,
        "estimator": [
            HasMethods(["fit", "predict_proba"]),
            HasMethods(["fit", "decision_function"]),
            None,
        ],
        "measure": [StrOptions({"margin", "entropy", "least_confident"})],
        "fallback": [HasMethods(["fit", "query"]), None],
        "missing_label": [int, float, str, None],
    }

    def __init__(
        self,
        estimator=None,
        measure="margin",
        fallback=None,
        missing_label=-1,
        random_state=None,
    ):
        super().__init__(random_state=random_state)
        self.estimator = estimator
        self.measure = measure
        self.fallback = fallback
        self.missing_label = missing_label

    def __sampler_tags__(self):
        # The picks of one query are a ranking, so a prefix of a larger one, but a
        # cold start answers with the fallback's order.
        fallback = self._fallback()
        return SamplerTags(
            requires_labels=True,
            requires_estimator=True,
            prefix_stable=get_sampler_tags(fallback).prefix_stable,
        )

    def _fallback(self):
        return default_fallback(self.fallback, self.random_state)

    def _estimator(self):
        return estimator_clone(self.estimator, self.random_state)

    def _fit(self, X):
        check_instances(self, ("estimator", "fallback"))
        check_fallback(self.fallback)
        if self.measure != "margin" and self.estimator is not None:
            if not hasattr(self.estimator, "predict_proba"):
                raise ValueError(
                    f"measure={self.measure!r} needs class probabilities, but "
                    f"estimator={self.estimator!r} has no predict_proba; use "
                    "measure='margin', which can rank by decision_function."
                )
        self.X_fit_ = X
        if self.estimator is None:
            warn_if_collapsed(self, X, by_estimator=True)
        with collapse_member("fallback"):  # checks only when the above did not
            self.fallback_ = clone(self._fallback()).fit(X)

    def _query(self, mask, budget, rng, y):
        known = None if y is None else y.known
        if known is None or len(np.unique(y.labels)) < 2:
            return fallback_query(self.fallback_, mask, budget)
        model = self._estimator().fit(self.X_fit_[known], y.labels)
        free = np.flatnonzero(~mask)
        scores = np.empty(len(free))
        for rows in row_blocks(len(free), 64 * self.X_fit_.shape[1]):
            scores[rows] = uncertainty_scores(
                self._class_scores(model, self.X_fit_[free[rows]]), self.measure
            )
        order = _rank(scores)[:budget]
        return free[order], scores[order], {"strategy": "uncertainty"}

    def _class_scores(self, model, X):
        if hasattr(model, "predict_proba"):
            return model.predict_proba(X)
        if self.measure != "margin":
            raise ValueError(
                f"measure={self.measure!r} needs predict_proba, which "
                f"{type(model).__name__} does not have."
            )
        scores = np.asarray(model.decision_function(X), dtype=np.float64)
        return scores.reshape(len(X), -1)


def _rank(scores):
    """Positions of ``scores`` from the largest down; scores in one cell of a grid
    of a relative ``1e-9`` (of the largest magnitude) count as tied, and ties go in
    position order."""
    scale = max(float(np.max(np.abs(scores))), 1e-300)
    quantum = _TIE_RTOL * scale
    keys = np.floor(scores / quantum)
    return np.lexsort((np.arange(len(scores)), -keys))
