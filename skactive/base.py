# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""The base class shared by every sampler."""

import sys
from abc import ABCMeta, abstractmethod

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from skactive.utils._compat import _fit_context
from skactive.utils._validation import check_budget, check_labeled_mask


class BaseSampler(BaseEstimator, metaclass=ABCMeta):
    """Base class for active-learning samplers.

    A sampler is fitted once on the features of the whole pool (labeled and unlabeled
    points together), then asked which points to label next::

        sampler.fit(X)
        indices = sampler.query(labeled_mask, budget)

    ``fit`` validates ``X``, stores it as float32 in C order and does the work that
    depends on the data alone. ``query`` validates its arguments and delegates to the
    subclass. Subclasses implement ``_fit(X)`` and ``_query(mask, budget, rng)``;
    ``_query`` returns the selected indices and one score per selected point.

    Contract of ``query``: it returns ``budget`` distinct indices into the fitted
    pool, none of them labeled, in selection order. ``labeled_mask=None`` (or all
    ``False``) is a cold start. A fresh random generator is made from
    ``random_state`` on every call, so an int ``random_state`` and the same mask give
    the same selection. Inputs are never modified.
    """

    _parameter_constraints: dict = {"random_state": ["random_state"]}

    @abstractmethod
    def __init__(self, random_state=None):
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Store and prepare the pool of candidate points.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features of every point of the pool, labeled or not. Sparse matrices
            are not supported. Converted to float32.
        y : None
            Ignored; present so that the sampler can end a Pipeline.

        Returns
        -------
        self : object
            The fitted sampler.
        """
        X = validate_data(
            self, X, dtype=(np.float64, np.float32), order="C", ensure_min_samples=2
        )
        # What a query of an earlier fit left describes another pool.
        for name in ("query_scores_", "labels_", "n_clusters_", "query_clusters_"):
            self.__dict__.pop(name, None)
        self.n_samples_fit_ = X.shape[0]
        self._fit(X)
        return self

    def query(self, labeled_mask=None, budget=1):
        """Select the next points to label.

        Parameters
        ----------
        labeled_mask : array-like of shape (n_samples,) of bool, default=None
            ``True`` for the points of the fitted pool that are labeled already
            (``n_samples`` is ``n_samples_fit_``). ``None`` means no
            point is labeled (cold start). Never modified.
        budget : int, default=1
            How many points to select, from 1 to the number of unlabeled points.

        Returns
        -------
        indices : ndarray of shape (budget,), dtype=intp
            Distinct indices into the fitted pool, none of them labeled, in the
            order they were selected.
        """
        check_is_fitted(self)
        mask = check_labeled_mask(labeled_mask, self.n_samples_fit_)
        budget = check_budget(budget, self.n_samples_fit_ - np.count_nonzero(mask))
        rng = check_random_state(self.random_state)
        indices, scores = self._query(mask, budget, rng)
        self.query_scores_ = np.asarray(scores, dtype=np.float64)
        return np.asarray(indices, dtype=np.intp)

    def _log(self, message):
        """Print a progress line when ``verbose`` is set."""
        if getattr(self, "verbose", 0):
            print(f"[{type(self).__name__}] {message}", file=sys.stderr, flush=True)

    @abstractmethod
    def _fit(self, X):
        """Do the data-only work on the validated float32 pool ``X``."""

    @abstractmethod
    def _query(self, mask, budget, rng):
        """Return ``(indices, scores)`` for a validated mask and budget."""
