# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Coreset selection by k-center greedy (Sener and Savarese, ICLR 2018)."""

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array

from skactive.base import BaseSampler
from skactive.utils._compat import validate_params
from skactive.utils._distances import min_sq_dists, row_sq_norms
from skactive.utils._validation import check_budget, check_labeled_mask


def _k_center_greedy(X, X_sq, mask, budget, rng):
    """K-center greedy on a validated float32 pool; returns (indices, distances).

    ``distances[i]`` is the Euclidean distance from pick ``i`` to its nearest
    labeled or already picked point when it was picked (inf for a cold-start pick).
    """
    # d[j]: squared distance from j to its nearest center; -1 marks labeled and
    # picked points, so that they are never chosen even when every distance is 0.
    if mask.any():
        d = min_sq_dists(X, X[mask], X_sq, X_sq[mask])
    else:
        d = np.full(X.shape[0], np.inf, dtype=X.dtype)
    d[mask] = -1
    picks = np.empty(budget, dtype=np.intp)
    dists = np.empty(budget, dtype=np.float64)
    start = 0
    if not mask.any():
        # Cold start: the first center is drawn at random, then the greedy goes on.
        picks[0] = rng.choice(np.flatnonzero(~mask))
        dists[0] = np.inf
        start = 1
    new = np.empty_like(d)
    for i in range(budget):
        if i >= start:
            picks[i] = np.argmax(d)  # first maximum: ties go to the lowest index
            dists[i] = np.sqrt(d[picks[i]])
        c = picks[i]
        d[c] = -1
        if i + 1 < budget:
            np.dot(X, X[c], out=new)
            new *= -2
            new += X_sq
            new += X_sq[c]
            np.maximum(new, 0, out=new)
            np.minimum(d, new, out=d)
    return picks, dists


# budget and labeled_mask are checked by check_budget and check_labeled_mask,
# whose messages say what is wrong with the mask or the budget.
@validate_params(
    {
        "X": ["array-like"],
        "random_state": ["random_state"],
        "return_distance": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def k_center_greedy(
    X, budget, labeled_mask=None, *, random_state=None, return_distance=False
):
    """Select points by k-center greedy, the Coreset strategy.

    Each step picks the unlabeled point farthest (Euclidean) from every labeled and
    already picked point, so the selection covers the pool with balls of the
    smallest radius the greedy rule can find (a 2-approximation of the k-center
    problem).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Features of the pool, used as given (no normalisation). Converted to
        float32.
    budget : int
        Number of points to select, at most the number of unlabeled points.
    labeled_mask : array-like of shape (n_samples,) of bool, default=None
        Labeled points, the initial centers. ``None`` or all ``False`` is a cold
        start: the first point is drawn uniformly with ``random_state``.
    random_state : int, RandomState instance or None, default=None
        Seed of the cold-start draw; unused when a point is labeled.
    return_distance : bool, default=False
        Also return the distance of each pick to its nearest center when it was
        picked (``inf`` for a cold-start draw).

    Returns
    -------
    indices : ndarray of shape (budget,), dtype=intp
        Selected points, in selection order.
    distances : ndarray of shape (budget,)
        Only when ``return_distance=True``.

    See Also
    --------
    CoresetSampler : The same strategy as an estimator.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive import k_center_greedy
    >>> X = np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 0.0], [9.0, 0.0]])
    >>> k_center_greedy(X, 2, labeled_mask=[True, False, False, False])
    array([3, 2])
    """
    X = check_array(X, dtype=np.float32, order="C", ensure_min_samples=2)
    mask = check_labeled_mask(labeled_mask, X.shape[0])
    budget = check_budget(budget, X.shape[0] - np.count_nonzero(mask))
    rng = check_random_state(random_state)
    picks, dists = _k_center_greedy(X, row_sq_norms(X), mask, budget, rng)
    return (picks, dists) if return_distance else picks


class CoresetSampler(BaseSampler):
    """Coreset sampler: k-center greedy over the features as given.

    Each pick is the unlabeled point farthest from every labeled and already picked
    point (Sener and Savarese, 2018). It covers the pool, outliers included, which
    pays at high budgets; at low budgets it does no better than random.

    Parameters
    ----------
    random_state : int, RandomState instance or None, default=None
        Seed of the first pick of a cold start (no labeled point), which is drawn
        uniformly at random; the greedy takes over from there. The reference code
        needs a labeled point and has no cold start.

    Attributes
    ----------
    n_samples_fit_ : int
        Number of points in the fitted pool.
    n_features_in_ : int
        Number of features seen during :meth:`fit`.
    query_scores_ : ndarray of shape (budget,)
        Set by :meth:`query`: the Euclidean distance of each pick to its nearest
        labeled or previously picked point, at the time it was picked (``inf`` for
        the random first pick of a cold start).

    See Also
    --------
    k_center_greedy : The same selection as a function.
    TypiClustSampler : Typical points, better at low budgets.

    Notes
    -----
    Distances are computed in float32 as ``||x||^2 + ||c||^2 - 2 x.c``; ties go to
    the lowest index. Each pick reads the whole pool once (one matrix-vector
    product), so a query costs ``budget`` passes over ``n_samples x n_features``
    floats.

    References
    ----------
    .. [1] O. Sener and S. Savarese, "Active Learning for Convolutional Neural
       Networks: A Core-Set Approach", ICLR 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive import CoresetSampler
    >>> X = np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 0.0], [9.0, 0.0]])
    >>> sampler = CoresetSampler().fit(X)
    >>> sampler.query(np.array([True, False, False, False]), budget=2)
    array([3, 2])
    >>> sampler.query_scores_
    array([9., 4.])
    """

    def __init__(self, random_state=None):
        super().__init__(random_state=random_state)

    def _fit(self, X):
        self.X_fit_ = X
        self._X_sq = row_sq_norms(X)

    def _query(self, mask, budget, rng):
        return _k_center_greedy(self.X_fit_, self._X_sq, mask, budget, rng)
