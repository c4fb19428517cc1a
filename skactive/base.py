# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""The base class shared by every sampler, and the sampler tags."""

import sys
import warnings
from abc import ABCMeta, abstractmethod
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import Bunch, check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from skactive._dask import is_dask_array
from skactive.utils._compat import _fit_context
from skactive.utils._validation import (
    check_budget,
    check_labeled_mask,
    check_missing_label,
    check_y,
)

__all__ = ["BaseSampler", "SamplerTags", "get_sampler_tags"]


@dataclass(frozen=True)
class SamplerTags:
    """What a sampler needs and promises, read by :func:`get_sampler_tags`.

    The contract checks of :mod:`skactive.utils.estimator_checks`, the command
    line and the modAL adapter decide from these what to give a sampler and what
    to check of it.

    Parameters
    ----------
    requires_labels : bool, default=False
        ``query`` reads the labels ``y`` of the labeled rows (a model-based
        sampler). Such a sampler still answers a cold start, as documented, and
        raises a ``ValueError`` when rows are labeled but ``y`` is not given.
    requires_estimator : bool, default=False
        The sampler has an ``estimator`` parameter that it fits on the labeled
        rows inside ``query``.
    prefix_stable : bool, default=False
        A smaller budget selects a prefix of a larger one for the same mask:
        ``query(mask, a)`` equals ``query(mask, b)[:a]`` for ``a <= b``.
    devices : tuple of str, default=("cpu",)
        Where the sampler can compute: ``"cpu"`` (numpy), ``"torch"`` (any torch
        device through a ``device`` parameter).
    dask : bool, default=False
        ``fit`` accepts a ``dask.array.Array`` and keeps the pool on the dask
        workers (see :ref:`larger-than-memory`).

    Examples
    --------
    >>> from skactive import CoresetSampler
    >>> from skactive.base import get_sampler_tags
    >>> get_sampler_tags(CoresetSampler()).prefix_stable
    True
    """

    requires_labels: bool = False
    requires_estimator: bool = False
    prefix_stable: bool = False
    devices: tuple = ("cpu",)
    dask: bool = False


def get_sampler_tags(sampler):
    """The :class:`SamplerTags` of a sampler, or of the last step of a Pipeline.

    Parameters
    ----------
    sampler : BaseSampler or Pipeline
        A sampler (fitted or not), or a Pipeline that ends with one.

    Returns
    -------
    tags : SamplerTags
        The tags of ``sampler`` (of its last step, for a Pipeline).

    Raises
    ------
    TypeError
        If ``sampler`` is neither a sampler nor a Pipeline ending with one.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skactive import TypiClustSampler
    >>> from skactive.base import get_sampler_tags
    >>> pipe = make_pipeline(StandardScaler(), TypiClustSampler())
    >>> get_sampler_tags(pipe).requires_labels
    False
    """
    last = sampler
    steps = getattr(sampler, "steps", None)
    if steps:
        last = steps[-1][1]
    tags = getattr(last, "__sampler_tags__", None)
    if tags is None:
        raise TypeError(
            f"{type(sampler).__name__} is not a skactive sampler (no "
            "__sampler_tags__); pass a sampler or a Pipeline ending with one."
        )
    return tags()


def _collapse_check(sampler):
    # Imported here: skactive.samplers imports this module.
    from skactive.samplers._normalize import collapse_check

    return collapse_check(sampler)


class BaseSampler(BaseEstimator, metaclass=ABCMeta):
    """Base class for active-learning samplers.

    A sampler is fitted once on the features of the whole pool (labeled and unlabeled
    points together), then asked which points to label next::

        sampler.fit(X)
        indices = sampler.query(labeled_mask, budget)

    ``fit`` validates ``X`` and does the work that depends on the data alone.
    ``query`` validates its arguments and delegates to the subclass. Subclasses
    implement ``_fit(X)`` and ``_query(mask, budget, rng, y)``; ``_query`` returns
    the selected indices, one score per selected point and, optionally, a dict of
    further details (see :meth:`query_details`). Tags are declared by overriding
    ``__sampler_tags__``.

    Contract of ``query``: it returns ``budget`` distinct indices into the fitted
    pool, none of them masked, in selection order. ``labeled_mask=None`` (or all
    ``False``) is a cold start. A fresh random generator is made from
    ``random_state`` on every call, so an int ``random_state`` and the same
    arguments give the same selection. Inputs are never modified, and ``query``
    sets no attribute the library reads: a fitted sampler can answer from several
    threads at once.

    Parameters
    ----------
    random_state : int, RandomState instance or None, default=None
        Seeds what the sampler draws at random; a fresh generator is made from it
        at every query.
    """

    _parameter_constraints: dict = {"random_state": ["random_state"]}

    @abstractmethod
    def __init__(self, random_state=None):
        self.random_state = random_state

    def __sampler_tags__(self):
        """The sampler's :class:`SamplerTags`; subclasses override it."""
        return SamplerTags()

    def _fits_a_graph(self):
        """Whether ``fit`` takes a sparse neighbour graph instead of features (a
        coverage sampler with ``neighbors="precomputed"``)."""
        return False

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Store and prepare the pool of candidate points.

        Parameters
        ----------
        X : array-like or dask.array.Array of shape (n_samples, n_features)
            Features of every point of the pool, labeled or not. Sparse matrices
            are not supported. A ``dask.array.Array`` (rows chunked) is kept on
            the dask workers by the samplers whose tag ``dask`` is set (see
            :ref:`larger-than-memory`); others raise a ``TypeError``.
        y : None
            Ignored; present so that the sampler can end a Pipeline. Labels are
            given to :meth:`query`, which is where they change.

        Returns
        -------
        self : object
            The fitted sampler.
        """
        if is_dask_array(X):
            return self._fit_dask_pool(X)
        X = validate_data(
            self,
            X,
            dtype=(np.float64, np.float32),
            order="C",
            ensure_min_samples=2,
            accept_sparse="csr" if self._fits_a_graph() else False,
        )
        # What a query of an earlier fit left describes another pool.
        self.__dict__.pop("_last_query", None)
        self.n_samples_fit_ = X.shape[0]
        with _collapse_check(self):  # its members' fits share the check
            self._fit(X)
        return self

    def _fit_dask_pool(self, X):
        """``fit`` on a ``dask.array.Array``: validated lazily (shape and dtype
        here; the values by the sampler's one pass over the chunks, if it reads
        them), never gathered to the client."""
        if not self.__sampler_tags__().dask:
            from skactive.utils.discovery import all_samplers

            able = [
                name for name, cls in all_samplers() if cls().__sampler_tags__().dask
            ]
            raise TypeError(
                f"{type(self).__name__} does not support a dask array as X; the "
                f"samplers that do are {', '.join(able)}. Pass a numpy array, or "
                "X.compute() if the pool fits in memory."
            )
        from skactive._dask._pool import check_dask_pool

        X = check_dask_pool(X, self)
        self.__dict__.pop("_last_query", None)
        self.__dict__.pop("feature_names_in_", None)  # a dask array has no names
        self.n_features_in_ = X.shape[1]
        self.n_samples_fit_ = X.shape[0]
        with _collapse_check(self):  # its members' fits share the check
            self._fit(X)
        return self

    def query(self, labeled_mask=None, budget=1, *, y=None, return_scores=False):
        """Select the next points to label.

        Parameters
        ----------
        labeled_mask : array-like of shape (n_samples,) of bool, default=None
            ``True`` for the points of the fitted pool (``n_samples`` is
            ``n_samples_fit_``) that are labeled, or pending (sent to annotators,
            set aside): such a point is never picked and counts as covered.
            ``None`` means no point is masked (cold start).
        budget : int, default=1
            How many points to select, from 1 to the number of unmasked points.
        y : array-like of shape (n_samples,), default=None
            Labels over the whole fitted pool, read only where ``labeled_mask`` is
            ``True``; a masked point whose label is the sampler's
            ``missing_label`` (-1 unless the sampler has that parameter) is
            pending. Samplers that do not use labels accept and ignore it
            (its length is still checked). For a sampler that reads them, a
            ``missing_label`` of another type than the labels (``-1`` for
            strings), NaN or None at a masked row that it does not mark, and
            labels mixing numbers and strings are a ``ValueError`` naming the
            row.
        return_scores : bool, default=False
            Also return each pick's score.

        Returns
        -------
        indices : ndarray of shape (budget,), dtype=intp
            Distinct indices into the fitted pool, none of them masked, in the
            order they were selected.
        scores : ndarray of shape (budget,), dtype=float64
            Only with ``return_scores=True``: the score of each pick when it was
            picked, as the sampler defines it (NaN where it has none).
        """
        details = self.query_details(labeled_mask, budget, y=y)
        # Kept for the deprecated attributes only; the library never reads it.
        self._last_query = details
        if return_scores:
            return details.indices, details.scores
        return details.indices

    def query_details(self, labeled_mask=None, budget=1, *, y=None):
        """Select as :meth:`query` does, and return what the selection is made of.

        Parameters
        ----------
        labeled_mask : array-like of shape (n_samples,) of bool, default=None
            As in :meth:`query`.
        budget : int, default=1
            As in :meth:`query`.
        y : array-like of shape (n_samples,), default=None
            As in :meth:`query`.

        Returns
        -------
        details : :class:`~sklearn.utils.Bunch`
            ``indices`` and ``scores`` as :meth:`query` returns them, and the
            sampler's own details (TypiClust: ``pick_clusters``,
            ``cluster_labels`` and ``n_clusters``). Nothing is stored on the
            sampler.
        """
        check_is_fitted(self)
        n_samples = self.n_samples_fit_
        mask = check_labeled_mask(labeled_mask, n_samples)
        budget = check_budget(budget, n_samples - np.count_nonzero(mask))
        requires_labels = self.__sampler_tags__().requires_labels
        if isinstance(y, _LabelView):  # from a sampler or adapter of skactive
            y = y.within(mask)
        else:
            y = check_y(y, n_samples)
            if y is not None:
                y = _LabelView.from_labels(
                    y, mask, getattr(self, "missing_label", -1), check=requires_labels
                )
        if y is None and requires_labels and mask.any():
            raise ValueError(
                f"{type(self).__name__} fits a model on the labeled points: "
                f"{np.count_nonzero(mask)} points are labeled (or pending), so pass "
                "their labels as query(labeled_mask, budget, y=labels): labels over "
                "the whole pool, read only at masked rows, with the missing label "
                "(-1 by default) at pending ones."
            )
        rng = check_random_state(self.random_state)
        result = self._query(mask, budget, rng, y)
        indices, scores = result[0], result[1]
        extra = result[2] if len(result) > 2 else {}
        return Bunch(
            indices=np.asarray(indices, dtype=np.intp),
            scores=np.asarray(scores, dtype=np.float64),
            **extra,
        )

    @property
    def query_scores_(self):
        """Deprecated: use ``query(..., return_scores=True)``.

        The scores of the last :meth:`query`.
        """
        return self._deprecated_last(
            "query_scores_", "scores", "query(..., return_scores=True)"
        )

    def _deprecated_last(self, name, key, replacement):
        last = self.__dict__.get("_last_query")
        if last is None or key not in last:
            raise AttributeError(
                f"{type(self).__name__!r} object has no attribute {name!r}"
            )
        warnings.warn(
            f"{name} is deprecated since skactive 0.1 and will be removed in 0.2: "
            f"it is shared by every caller of query; use {replacement}.",
            DeprecationWarning,
            stacklevel=3,
        )
        return last[key]

    def _log(self, message):
        """Print a progress line when ``verbose`` is set."""
        if getattr(self, "verbose", 0):
            print(f"[{type(self).__name__}] {message}", file=sys.stderr, flush=True)

    @abstractmethod
    def _fit(self, X):
        """Do the data-only work on the validated pool ``X``."""

    @abstractmethod
    def _query(self, mask, budget, rng, y):
        """Return ``(indices, scores)`` or ``(indices, scores, details)`` for a
        validated mask and budget; ``y`` is None or a :class:`_LabelView`."""


class _LabelView:
    """The labels a query may read: those of the masked rows.

    ``known`` marks the masked rows whose label is known (the rows a model is
    fitted on), ``pending`` the masked rows without a label, and ``labels`` holds
    the labels of the ``known`` rows in index order. Only those labels are kept,
    so no sampler can read the label of an unmasked row. Samplers and adapters
    that hold a view pass it on as ``y`` as it is: which rows are known is then
    never encoded in a missing-label value that a real label could equal.
    """

    def __init__(self, known, labels, mask):
        self.known = known
        self.pending = mask & ~known
        self.labels = _tight_labels(labels)

    @classmethod
    def from_labels(cls, y, mask, missing_label, check=True):
        """The view of ``y`` (labels over the pool) at the masked rows; see
        :func:`~skactive.utils._validation.check_missing_label` for what is an
        error. ``check=False`` (a sampler that reads no labels, and has no
        ``missing_label`` to pass) takes the rows equal to ``missing_label`` as
        pending and raises nothing."""
        if check:
            missing = check_missing_label(y, mask, missing_label)
        else:
            missing = np.asarray(y == missing_label, dtype=bool).reshape(len(y))
        known = mask & ~missing
        return cls(known, y[known], mask)

    @classmethod
    def from_known(cls, known, labels, mask):
        """The view of the rows ``known`` (within ``mask``) labeled ``labels``."""
        labels = np.asarray(labels)
        if labels.ndim == 2 and labels.shape[1] == 1:
            labels = labels.ravel()
        return cls(np.asarray(known, dtype=bool), labels, mask)

    def within(self, mask):
        """This view for a query with ``mask``, whose masked rows hold ``known``."""
        if self.known.shape != mask.shape or np.any(self.known & ~mask):
            raise ValueError(
                "labels were given for rows that are not in labeled_mask; a labeled "
                "row must be masked."
            )
        return _LabelView(self.known, self.labels, mask)


def _tight_labels(labels):
    """Labels in an array scikit-learn reads: an object array of numbers or
    booleans (what a missing value of another type leaves) becomes numeric."""
    labels = np.asarray(labels)
    if labels.dtype == object and not any(isinstance(v, str) for v in labels):
        tight = np.asarray(labels.tolist())
        if tight.dtype != object and tight.shape == labels.shape:
            return tight
    return labels


def _split_details(details):
    """``(indices, scores, extras)`` of a ``query_details`` Bunch, for a sampler
    that answers with another sampler's selection."""
    extras = {k: v for k, v in details.items() if k not in ("indices", "scores")}
    return details.indices, details.scores, extras
