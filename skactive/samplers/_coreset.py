# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Coreset selection by k-center greedy (Sener and Savarese, ICLR 2018)."""

import numbers

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array

from skactive._dask import is_dask_array
from skactive._kernels._exact import condition_pool
from skactive._kernels._greedy import k_center_greedy as _k_center_greedy
from skactive.backends import get_backend
from skactive.base import BaseSampler, SamplerTags
from skactive.utils._compat import Interval, validate_params
from skactive.utils._parallel import limit_threads
from skactive.utils._validation import check_budget, check_labeled_mask


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
    X : array-like or dask.array.Array of shape (n_samples, n_features)
        Features of the pool, used as given (no normalisation). Converted to
        float32. A dask array stays on the dask workers, as in
        :class:`CoresetSampler` (a ``distributed`` Client must be running).
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
    if is_dask_array(X):  # kept on the dask workers
        sampler = CoresetSampler(random_state=random_state).fit(X)
        picks, dists = sampler.query(labeled_mask, budget, return_scores=True)
        return (picks, dists) if return_distance else picks
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
        Where the greedy runs. ``None``: numpy on the CPU, and torch is never
        imported. ``"auto"``: torch on a GPU it finds (CUDA, else MPS), else
        numpy. A torch device (``"cuda"``, ``"cuda:1"``, ``"mps"``, ``"cpu"``):
        the pool is copied to it for the query and the same greedy (the same
        kernel, pruning included) runs in torch; near-ties are settled in float64
        on the CPU as on the numpy path, so the picks are the same. With a dask
        array as ``X``, ``None`` or ``"auto"`` (the greedy runs on the dask
        workers' CPUs); a torch device is refused.
    n_jobs : int or None, default=None
        CPU threads for the greedy (BLAS). ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context; ``-1`` means all cores. Each pick
        is a memory-bound pass, which more threads rarely speed up (see
        :ref:`the user guide <threads>`). Unused with a dask array: the workers'
        threads are the cluster's.
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
        Fitted on a dask array: the same pool as a lazy dask array, computed
        chunk by chunk on the workers.
    n_samples_fit_ : int
        Number of points in the fitted pool.
    n_features_in_ : int
        Number of features seen during :meth:`fit`.

    See Also
    --------
    k_center_greedy : The same selection as a function.
    TypiClustSampler : Typical points, better at low budgets.

    Notes
    -----
    The score of a pick (``query(..., return_scores=True)``) is its Euclidean
    distance to the nearest labeled or previously picked point when it was picked
    (``inf`` for the random first pick of a cold start).

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
    most points are skipped at most picks. The score of a pick is its float64
    distance to the nearest center (found among the centers within float32
    rounding of the nearest), so scores do not depend on the CPU either.

    **On a dask array** (``fit(X)`` with ``X`` a ``dask.array.Array``, rows chunked;
    a ``distributed`` Client running), the pool never comes to the client. ``fit``
    reads the chunks once (validation, the largest norm and the column sums; once
    more for means added in the in-memory order when the pool is centred). Each
    ``query`` loads every conditioned float32 chunk into the memory of the worker
    that reads it (4 bytes per value; a worker whose rows would take more than half
    its memory limit keeps only its state and reads its chunks again from the pool's
    source at each round trip) and starts one ``distributed`` actor per worker,
    which keeps, for each of its chunks, the state the in-memory greedy keeps for
    the pool: each row's float32 squared distance to its nearest center and the
    pruning groups and radii (16 bytes per row with the squared norm, and the
    centers' rows, ``(n_labeled + budget) x n_features`` float32, once per worker).
    The labeled rows are gathered to the client (they are few) and broadcast; each
    chunk starts from its rows' nearest labeled point. A round trip is one direct
    call to each actor, with no scheduler task: the client sends the picks the actor
    has not seen (``4 n_features + 16`` bytes each), the actor lowers its chunks'
    distances (one pass per pick over the rows pruning does not skip, as in memory)
    and answers with the rows that could be its farthest (those within twice the
    float32 rounding bound of its largest distance) and its 32 farthest rows, with a
    bound on the distances of the others. Right after a round trip the client picks
    as in memory: the largest, the near-ties settled on float64 distances to every
    center, with the rounding bound of the whole pool's largest norm, ties to the
    lowest index. It keeps the float64 distances of the rows it holds up to date
    with its own picks; while the largest of them exceeds every actor's bound by
    more than the rounding bound, no other row can be the next pick, and it picks
    again without a round trip. So the picks and the scores are those of the
    in-memory path for the same ``random_state``, and several picks share a round
    trip. A pick thus costs a pass over ``4 n_samples n_features / n_workers`` bytes
    on each worker (less where pruning skips groups), and at most one round trip of
    a few hundred bytes out and about ``32 (4 n_features + 16)`` bytes back per
    worker (plus a read of the chunks from their source per round trip, for workers
    that do not keep them); figures in ``benchmarks/README.md``.

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
    >>> mask = np.array([True, False, False, False])
    >>> sampler.query(mask, budget=2)
    array([3, 2])
    >>> picks, scores = sampler.query(mask, budget=2, return_scores=True)
    >>> scores
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

    def __sampler_tags__(self):
        return SamplerTags(prefix_stable=True, devices=("cpu", "torch"), dask=True)

    def _fit(self, X):
        self._dask_pool = None
        if is_dask_array(X):
            from skactive._dask._coreset import fit_dask_pool

            self._dask_pool = fit_dask_pool(X, self)
            self.X_fit_, self._exponent = self._dask_pool.data, self._dask_pool.exponent
            return
        self.X_fit_, _, self._exponent, sq_norms = condition_pool(X, center="auto")
        self._X_sq = sq_norms.astype(np.float32)

    def _query(self, mask, budget, rng, y):
        if getattr(self, "_dask_pool", None) is not None:
            from skactive._dask._coreset import query_dask_pool

            picks, dists = query_dask_pool(self._dask_pool, mask, budget, rng, self)
            return picks, dists * 2.0**-self._exponent
        backend = get_backend(self.device, type(self).__name__)
        with limit_threads(self.n_jobs):
            picks, dists = _k_center_greedy(
                self.X_fit_, self._X_sq, mask, budget, rng, backend, log=self._log
            )
        return picks, dists * 2.0**-self._exponent
