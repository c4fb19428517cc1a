# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""BADGE (Ash et al., ICLR 2020): diverse points of large expected gradient, for
linear models."""

import numpy as np
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from skactive._kernels._exact import row_blocks
from skactive._kernels._greedy import DSquaredSeeding, run_greedy
from skactive.base import BaseSampler, SamplerTags
from skactive.samplers._normalize import collapse_member, warn_if_collapsed
from skactive.samplers._uncertainty import (
    check_fallback,
    default_estimator,
    default_fallback,
    fallback_query,
)
from skactive.utils._compat import HasMethods
from skactive.utils._validation import check_instances


class BADGESampler(BaseSampler):
    """BADGE: k-means++ seeding on the gradient embeddings of a linear model.

    At each query a clone of ``estimator`` is fitted on the labeled points. Each
    unlabeled point ``x`` gets the gradient of the cross-entropy loss with respect
    to the last linear layer, taking the model's own prediction as its label:
    ``g(x) = (p(x) - onehot(argmax p(x))) ⊗ h(x)``, where ``p`` are the class
    probabilities and ``h(x)`` the features the final linear step sees (``x``
    itself, or its transform by the Pipeline's earlier steps). The norm of ``g``
    grows with the model's uncertainty, and its direction with the point's
    features. The first pick is the point of largest ``||g||``; each next one is
    drawn with probability proportional to its squared distance, in gradient
    space, to the nearest pick so far (k-means++ seeding): uncertain points, and
    diverse ones (Ash et al., 2020).

    The embeddings are never built: ``||g_i - g_j||^2 = ||a_i||^2 ||h_i||^2 +
    ||a_j||^2 ||h_j||^2 - 2 (a_i . a_j) (h_i . h_j)`` with ``a = p - onehot``, so a
    pick costs ``O(n (C + d))`` and memory stays ``O(n (C + d))`` for ``C`` classes
    and ``d`` features, where the embeddings would take ``n C d``.

    With fewer than two classes among the known labels, ``fallback`` answers
    (TypiClust by default).

    Parameters
    ----------
    estimator : estimator or None, default=None
        A linear classifier with ``predict_proba`` (LogisticRegression, or a
        Pipeline ending in one), cloned at each query. ``None``:
        :func:`~skactive.samplers._uncertainty.default_estimator` (fit warns when
        the rows it normalises nearly all point one way).
    fallback : sampler or None, default=None
        The feature-only sampler for fewer than two labeled classes; ``None``:
        ``TypiClustSampler(random_state=random_state)``. A sampler that reads
        labels is a ``TypeError`` at fit.
    missing_label : int, float, str or None, default=-1
        The value of ``y`` that marks a masked point as pending.
    random_state : int, RandomState instance or None, default=None
        Seeds the k-means++ draws, the default fallback, and the estimator when
        its own ``random_state`` is ``None``.

    Attributes
    ----------
    X_fit_ : ndarray of shape (n_samples, n_features)
        The pool, as validated at fit.
    fallback_ : sampler
        The fitted clone of ``fallback``.
    n_samples_fit_ : int
        Number of points in the fitted pool.
    n_features_in_ : int
        Number of features seen during :meth:`fit`.

    See Also
    --------
    UncertaintySampler : The most uncertain points, without diversity.
    CoresetSampler : Diversity alone, k-center greedy in feature space.

    Notes
    -----
    The score of a pick is its squared gradient-space distance to the nearest
    earlier pick when it was drawn (``||g||^2`` for the first). The draws use one
    uniform number per pick from ``random_state``; their thresholds are
    cumulative float64 sums, which rounding could move only for a draw within
    ``1e-16`` of a boundary. The original BADGE uses the penultimate layer of a
    network; for a linear model that layer is the input, as here.

    References
    ----------
    .. [1] J. T. Ash, C. Zhang, A. Krishnamurthy, J. Langford and A. Agarwal,
       "Deep Batch Active Learning by Diverse, Uncertain Gradient Lower Bounds",
       ICLR 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skactive import BADGESampler
    >>> X, y = load_digits(return_X_y=True)
    >>> sampler = BADGESampler(random_state=0).fit(X)
    >>> mask = np.zeros(len(X), dtype=bool)
    >>> mask[sampler.query(mask, budget=30)] = True  # a cold start: TypiClust
    >>> picks = sampler.query(mask, budget=10, y=np.where(mask, y, -1))
    >>> len(set(picks.tolist()) - set(np.flatnonzero(mask).tolist()))
    10
    """

    _parameter_constraints: dict = {
        **BaseSampler._parameter_constraints,
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "fallback": [HasMethods(["fit", "query"]), None],
        "missing_label": [int, float, str, None],
    }

    def __init__(
        self, estimator=None, fallback=None, missing_label=-1, random_state=None
    ):
        super().__init__(random_state=random_state)
        self.estimator = estimator
        self.fallback = fallback
        self.missing_label = missing_label

    def __sampler_tags__(self):
        return SamplerTags(requires_labels=True, requires_estimator=True)

    def _fit(self, X):
        check_instances(self, ("estimator", "fallback"))
        check_fallback(self.fallback)
        self.X_fit_ = X
        if self.estimator is None:
            warn_if_collapsed(self, X, by_estimator=True)
        fallback = default_fallback(self.fallback, self.random_state)
        with collapse_member("fallback"):  # checks only when the above did not
            self.fallback_ = clone(fallback).fit(X)

    def _query(self, mask, budget, rng, y):
        if y is None or len(np.unique(y.labels)) < 2:
            return fallback_query(self.fallback_, mask, budget)
        model = default_estimator() if self.estimator is None else self.estimator
        model = clone(model)
        if model.get_params().get("random_state", 0) is None:
            model.set_params(random_state=rng.randint(np.iinfo(np.int32).max))
        model.fit(self.X_fit_[y.known], y.labels)
        free = np.flatnonzero(~mask)
        A, H = self._gradient_factors(model, self.X_fit_[free])
        a_sq = np.einsum("ij,ij->i", A, A)
        h_sq = np.einsum("ij,ij->i", H, H)
        g_sq = a_sq * h_sq

        def sq_dist_to(c):
            return g_sq + g_sq[c] - 2 * (A @ A[c]) * (H @ H[c])

        state = DSquaredSeeding(len(free), sq_dist_to, rng)
        first = int(np.argmax(g_sq)), float(g_sq.max())
        picks, scores = run_greedy(state, budget, first=first)
        return free[picks], scores, {"strategy": "badge"}

    @staticmethod
    def _gradient_factors(model, X):
        """``a = p - onehot(argmax p)`` and the features ``h`` of the last step,
        in float64, in blocks."""
        head, features = model, None
        if isinstance(model, Pipeline):
            head = model[-1]
        A = np.empty((len(X), len(model.classes_)))
        H = None
        for rows in row_blocks(len(X), X.shape[1]):
            block = X[rows]
            p = model.predict_proba(block)
            a = p.copy()
            a[np.arange(len(a)), p.argmax(axis=1)] -= 1.0
            A[rows] = a
            features = model[:-1].transform(block) if head is not model else block
            features = np.asarray(features, dtype=np.float64)
            if getattr(head, "fit_intercept", False):
                features = np.hstack([features, np.ones((len(features), 1))])
            if H is None:
                H = np.empty((len(X), features.shape[1]))
            H[rows] = features
        return A, H
