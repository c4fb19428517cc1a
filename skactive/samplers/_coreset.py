# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Coreset selection by k-center greedy (Sener and Savarese, ICLR 2018)."""

import numbers
import time

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array

from skactive.base import BaseSampler
from skactive.utils._compat import Interval, validate_params
from skactive.utils._distances import BLOCK_SIZE, nearest_sq_dists
from skactive.utils._exact import (
    argmax_within,
    condition_pool,
    exact_min_sq_dists,
    sq_dist_error,
)
from skactive.utils._parallel import limit_threads
from skactive.utils._torch import TorchKernels, torch_device
from skactive.utils._validation import check_budget, check_labeled_mask


def _k_center_greedy(
    X, X_sq, mask, budget, rng, prune=True, block_size=BLOCK_SIZE, log=None
):
    """K-center greedy on a conditioned float32 pool; returns (indices, distances).

    ``X`` is the working pool of :func:`~skactive.utils._exact.condition_pool`
    (centred where its offset exceeds its spread) and ``X_sq`` its squared
    row norms. ``distances[i]`` is the Euclidean distance from pick ``i`` to its
    nearest labeled or already picked point when it was picked (inf for a cold-start
    pick), in the units of ``X``.

    Each point keeps the float32 squared distance to its nearest center, which is
    within ``err`` of the true one. A pick takes the float32 maximum; when other
    points lie within ``2 err`` of it, those candidates get their distance again in
    float64 against every center, and the largest float64 distance wins (then the
    lowest index). The picks are thus those of the float64 greedy on any CPU.

    With ``prune``, every point remembers its nearest center and every center the
    largest squared distance ``r`` among its points. When a new center lies at
    distance ``D`` from a center with ``2 sqrt(r) < D``, none of that center's points
    can come closer to the new center (triangle inequality), so they are skipped.
    The test allows for the rounding of ``r`` and ``D``, so the true distances, and
    therefore the selection, are those of the greedy without pruning.
    """
    n = X.shape[0]
    err = sq_dist_error(X.shape[1], np.sqrt(float(X_sq.max())))
    labeled = np.flatnonzero(mask)
    ids = np.empty(len(labeled) + budget, dtype=np.intp)  # the centers, in order
    centers = np.empty((len(ids), X.shape[1]), dtype=X.dtype)
    centers_sq = np.empty(len(ids), dtype=X.dtype)
    n_centers = len(labeled)
    ids[:n_centers] = labeled
    centers[:n_centers], centers_sq[:n_centers] = X[labeled], X_sq[labeled]
    # d[j]: squared distance from j to its nearest center, -inf for centers (never
    # chosen, even when every distance is 0); group[j]: that center.
    if n_centers:
        group, d = nearest_sq_dists(
            X, centers[:n_centers], X_sq, centers_sq[:n_centers]
        )
    else:
        group, d = np.zeros(n, dtype=np.intp), np.full(n, np.inf, dtype=X.dtype)
    d[mask] = -np.inf
    radius = np.full(len(centers), -np.inf, dtype=X.dtype)
    if n_centers:
        np.maximum.at(radius, group, d)

    def exact(candidates):  # float64 distance to the nearest center
        return exact_min_sq_dists(X[candidates], X[ids[:n_centers]])

    picks = np.empty(budget, dtype=np.intp)
    dists = np.empty(budget, dtype=np.float64)
    start, scanned = time.perf_counter(), 0
    report = {budget * q // 10 for q in range(1, 10)} - {0} if log else set()
    for i in range(budget):
        if i in report:
            log(
                f"{i}/{budget} picks in {time.perf_counter() - start:.1f} s, "
                f"{100 * scanned / (i * n):.1f}% of the points scanned per pick so far"
            )
        if i == 0 and n_centers == 0:
            # Cold start: the first center is drawn at random, then the greedy.
            picks[0], dists[0] = rng.choice(n), np.inf
        else:
            picks[i], sq = argmax_within(d, err, exact)
            dists[i] = np.sqrt(max(sq, 0.0))
        c = picks[i]
        ids[n_centers] = c
        centers[n_centers], centers_sq[n_centers] = X[c], X_sq[c]
        g_new = n_centers
        n_centers += 1
        d[c] = -np.inf
        if i + 1 == budget:
            break
        reset, members = slice(None, n_centers), slice(None)  # every group
        if prune and n_centers > 1:
            D = centers_sq[: n_centers - 1] - 2 * (centers[: n_centers - 1] @ X[c])
            D += X_sq[c]
            # Skip a group only when 2 sqrt(r) < D holds for the true values: the
            # float32 r and D are each within err of theirs.
            scan = 4 * (radius[: n_centers - 1] + err) * (1 + 1e-6) >= D - err
            rows = np.flatnonzero(scan[group])
            if 2 * len(rows) <= n:  # else one pass over the pool is cheaper
                reset, members = np.flatnonzero(scan), rows
        step = max(1, block_size // X.shape[1])
        if isinstance(members, slice):
            blocks = [slice(r0, r0 + step) for r0 in range(0, n, step)]
        else:
            blocks = [members[r0 : r0 + step] for r0 in range(0, len(members), step)]
        scanned += n if isinstance(members, slice) else len(members)
        for sub in blocks:
            new = X_sq[sub] - 2 * (X[sub] @ X[c])
            new += X_sq[c]
            np.maximum(new, 0, out=new)
            closer = new < d[sub]
            d[sub] = np.where(closer, new, d[sub])
            group[sub] = np.where(closer, g_new, group[sub])
        # The groups looked at, and the new one, hold exactly the points looked at.
        radius[reset] = -np.inf
        np.maximum.at(radius, group[members], d[members])
    if log:
        log(f"{budget} picks in {time.perf_counter() - start:.1f} s")
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
    X = check_array(X, dtype=(np.float64, np.float32), order="C", ensure_min_samples=2)
    mask = check_labeled_mask(labeled_mask, X.shape[0])
    budget = check_budget(budget, X.shape[0] - np.count_nonzero(mask))
    rng = check_random_state(random_state)
    Xw, _, exponent, sq_norms = condition_pool(X, center="auto")
    picks, dists = _k_center_greedy(Xw, sq_norms.astype(np.float32), mask, budget, rng)
    return (picks, dists * 2.0**-exponent) if return_distance else picks


class CoresetSampler(BaseSampler):
    """Coreset sampler: k-center greedy over the features as given.

    Each pick is the unlabeled point farthest from every labeled and already picked
    point (Sener and Savarese, 2018). It covers the pool, outliers included, which
    pays at high budgets; at low budgets it does no better than random.

    Parameters
    ----------
    device : str or None, default=None
        Where the greedy runs. ``None``: numpy on the CPU, with triangle-inequality
        pruning, and torch is never imported. A torch device (``"cuda"``,
        ``"cuda:1"``, ``"mps"``, ``"cpu"``): the pool is copied to it for the
        query and each pick is one pass over it in torch, without pruning (a
        GPU's bandwidth makes the pass cheap); near-ties are settled in float64
        on the CPU as on the numpy path, so the picks are the same.
    n_jobs : int or None, default=None
        BLAS threads in the per-pick loop; ``-1`` means all cores. ``None`` means
        one: each pick is a memory-bound pass, and on a busy 2-core machine two
        threads ran 4-11x slower than one.
    verbose : int, default=0
        Print progress (picks done, time, share of points scanned) on standard
        error when positive.
    random_state : int, RandomState instance or None, default=None
        Seed of the first pick of a cold start (no labeled point), which is drawn
        uniformly at random; the greedy takes over from there. The reference code
        needs a labeled point and has no cold start.

    Attributes
    ----------
    X_fit_ : ndarray of shape (n_samples, n_features), dtype=float32
        The pool the greedy works on: ``X`` in float32 (no copy when it was float32
        in C order already), or, when its column means are larger than its spread,
        ``X`` minus them (computed in float64) rounded once to float32; also scaled
        by a power of two when its magnitudes lie outside ``[2**-20, 2**20]``.
        Distances are those of ``X`` (scores are reported in the units of ``X``).
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
    Distances are computed in float32 as ``||x||^2 + ||c||^2 - 2 x.c`` on the
    centred pool, where this form keeps its precision whatever the offset of the
    data (so the picks do not change when ``X`` is translated), and where the
    squared norms can neither overflow nor vanish. The picks are those of the
    greedy in float64 on every CPU and BLAS kernel: when points other than the
    float32 farthest one lie within the float32 rounding bound of it, those few get
    their distances again in float64, and the largest wins; ties go to the lowest
    index. A pick reads at most the whole pool once (one matrix-vector
    product). Every point remembers its nearest center and every center the
    radius of its points; a center whose radius is below half its distance to the
    new center cannot lose a point to it (triangle inequality), so its points are
    skipped. The selection is the same as without this pruning; for large budgets
    most points are skipped at most picks.

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

    _parameter_constraints: dict = {
        **BaseSampler._parameter_constraints,
        "device": [str, None],
        "n_jobs": [
            Interval(numbers.Integral, 1, None, closed="left"),
            Interval(numbers.Integral, None, -1, closed="right"),
            None,
        ],
        "verbose": ["verbose"],
    }

    def __init__(self, device=None, n_jobs=None, verbose=0, random_state=None):
        super().__init__(random_state=random_state)
        self.device = device
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _fit(self, X):
        self.X_fit_, _, self._exponent, sq_norms = condition_pool(X, center="auto")
        self._X_sq = sq_norms.astype(np.float32)

    def _query(self, mask, budget, rng):
        greedy = _k_center_greedy
        if self.device is not None:
            kernels = TorchKernels(*torch_device(self.device, type(self).__name__))
            greedy = kernels.k_center_greedy
        with limit_threads(self.n_jobs, default=1):
            picks, dists = greedy(
                self.X_fit_, self._X_sq, mask, budget, rng, log=self._log
            )
        return picks, dists * 2.0**-self._exponent
