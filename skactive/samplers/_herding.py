# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""MaxHerding (Bae, Noh and Sutherland, ECCV 2024): generalised coverage, the
facility-location objective of a kernel, greedily."""

import numbers

import numpy as np
from scipy import sparse
from sklearn.utils import check_random_state

from skactive._kernels._coverage import (
    DenseGains,
    LazyHerding,
    SparseGains,
    kernel_values,
)
from skactive._kernels._exact import exact_sq_dists, row_blocks
from skactive._kernels._greedy import run_greedy
from skactive.base import SamplerTags
from skactive.samplers._graph import (
    GraphSampler,
    fit_graph,
    graph_reach,
    in_units_of_X,
    neighbors_constraint,
)
from skactive.samplers._uncertainty import estimator_clone, uncertainty_scores
from skactive.utils._compat import HasMethods, Interval, StrOptions
from skactive.utils._validation import check_instances

# method="auto" is dense up to this many points, sparse above.
_DENSE_UP_TO = 20_000
# bandwidth="auto" on the dense method: the authors' h on unit vectors.
_DENSE_BANDWIDTH = 1.0
# bandwidth="auto" on the sparse method: this factor times the median distance from
# a point to its n_neighbors-th nearest neighbour (the graph's reach), narrow
# enough that the kernel beyond the graph is negligible (exp(-8) at the reach): on
# digits and MNIST-5k the sparse method drops 0.4 % and 1.4 % of a median point's
# kernel density (see the user guide, coverage).
_SPARSE_REACH_FACTOR = 0.35


class MaxHerdingSampler(GraphSampler):
    """MaxHerding: greedy kernel coverage, the facility-location objective.

    The objective of a labeled set ``L`` is the mean over the pool of
    ``max_{l in L} k(x, l)``: how well the pool is covered by its nearest labeled
    point, measured by a kernel. Each pick is the point that raises it most
    (Bae et al., 2024); the objective is monotone submodular, so the greedy is
    within ``1 - 1/e`` of the best set, and its lazy form (re-evaluating only the
    candidates that could still win) selects the same points.

    Parameters
    ----------
    kernel : {"rbf", "tophat"}, default="rbf"
        ``"rbf"``: ``exp(-||x - y||^2 / h^2)``, the authors' kernel. ``"tophat"``:
        ``[||x - y|| < h]``, which gives ProbCover's objective.
    bandwidth : "auto" or float, default="auto"
        ``h``, in the units of the (normalised) features. ``"auto"``: the
        authors' ``h = 1`` for the dense method; for the sparse one, ``0.35 r``
        with ``r`` the graph's reach (the median over the pool of the distance
        to the ``n_neighbors``-th nearest neighbour), where the kernel beyond the
        graph, at most ``exp(-8)`` for the median point, changes the objective
        little: a kernel as wide as the authors' on a 50-neighbour graph would
        be another objective.
    method : {"auto", "dense", "sparse"}, default="auto"
        ``"dense"``: the kernel between every candidate and every point of the
        pool, or of a uniform sample of ``sample_size`` of them on larger pools,
        in blocks (no n x n matrix is held). ``"sparse"``: the kernel on the
        edges of the neighbour graph, 0 elsewhere (memory and time linear in the
        pool, faithful for narrow kernels). ``"auto"``: dense up to 20,000
        points, sparse above.
    sample_size : int, default=20000
        With ``method="dense"`` on a larger pool, the objective is the mean over
        this many points drawn uniformly without replacement (with
        ``random_state``), an unbiased estimate of the pool's mean; every point
        stays a candidate. The authors cut the pool itself to 35,000 random
        points instead. A wide kernel makes many candidates' gains fall at each
        pick, so a pick may re-evaluate thousands of them (minutes per hundred
        picks at 200,000 points).
    n_neighbors : int, default=50
        Size of the neighbour graph of the sparse method.
    neighbors : {"auto", "exact", "ivf", "pynndescent", "precomputed"} or \
transformer, default="auto"
        How the neighbour graph is found; see
        :func:`~skactive.neighbors.knn_graph`. ``"precomputed"``: ``fit`` takes
        the graph itself, a sparse matrix of distances (see
        :func:`~skactive.neighbors.check_knn_graph`); the method is then sparse.
    normalize : bool, default=True
        L2-normalise the rows first, as the authors do; fit warns when the
        normalised rows nearly all point one way (rows sharing an offset much
        larger than their spread: centre or standardise them first). With
        ``False`` the features are used as given, in their units (``bandwidth``,
        ``graph_``); an offset or a scale of ``X`` changes no pick (but ties
        within rounding).
    verbose : int, default=0
        Print progress (picks done, time) on standard error when positive.
    random_state : int, RandomState instance or None, default=None
        Seed of the dense method's sample and of an approximate neighbour graph.
        The greedy is deterministic.

    Attributes
    ----------
    bandwidth_ : float
        The bandwidth used.
    method_ : str
        ``"dense"`` or ``"sparse"``.
    sample_indices_ : ndarray of int or None
        The dense objective's points (ascending), None when it is the whole
        pool or the method is sparse.
    graph_ : scipy.sparse.csr_array of shape (n_samples, n_samples) or None
        The sparse method's neighbour graph, distances on its edges.
    X_fit_ : ndarray of shape (n_samples, n_features), or None
        The pool: its L2-normalised rows in float32, or with ``normalize=False``
        ``X`` as validated (float32 or float64); None with
        ``neighbors="precomputed"``.
    n_samples_fit_ : int
        Number of points in the fitted pool.
    n_features_in_ : int
        Number of features seen during :meth:`fit`.

    See Also
    --------
    ProbCoverSampler : Coverage by balls.
    TypiClustSampler : Typical points of clusters.

    Notes
    -----
    The score of a pick is its gain, the rise of the objective;
    :meth:`query_details` also gives ``coverage``, the objective after each pick,
    so a user can see when coverage saturates. A cold start's first pick is the
    point of largest kernel density, as in the paper. Once no candidate gains
    anything (possible with the top-hat kernel or on the sparse graph), the
    lowest-index point not picked yet is taken.

    Gains are float64; a pick is the lowest index among the candidates within a
    relative ``1e-9`` of the best gain, so rounding that differs between CPUs
    cannot change it. The dense method computes the gains it needs with float64
    matrix products, after first bounds from float32 ones. Above
    ``sample_size`` points its objective is the mean over a uniform sample. The
    sparse method, the default above 20,000 points, approximates the objective
    instead by taking the kernel as 0 beyond a point's ``n_neighbors`` nearest
    neighbours, which only narrow kernels survive, and narrow kernels select
    worse at low budgets (see :ref:`the user guide <coverage>`).

    References
    ----------
    .. [1] W. Bae, J. Noh and D. J. Sutherland, "Generalized Coverage for More
       Robust Low-Budget Active Learning", ECCV 2024.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive import MaxHerdingSampler
    >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [0.2, 0.0], [5.0, 0.0], [5.1, 0.0]])
    >>> sampler = MaxHerdingSampler(bandwidth=0.5, normalize=False).fit(X)
    >>> sampler.query(budget=2)
    array([1, 3])
    >>> details = sampler.query_details(budget=2)
    >>> details.coverage.round(3)
    array([0.584, 0.976])
    """

    _parameter_constraints: dict = {
        **GraphSampler._parameter_constraints,
        "kernel": [StrOptions({"rbf", "tophat"})],
        "bandwidth": [
            StrOptions({"auto"}),
            Interval(numbers.Real, 0, None, closed="neither"),
        ],
        "n_neighbors": [Interval(numbers.Integral, 1, None, closed="left")],
        "method": [StrOptions({"auto", "dense", "sparse"})],
        "sample_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "neighbors": neighbors_constraint(),
        "normalize": ["boolean"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        kernel="rbf",
        bandwidth="auto",
        *,
        method="auto",
        sample_size=20_000,
        n_neighbors=50,
        neighbors="auto",
        normalize=True,
        verbose=0,
        random_state=None,
    ):
        super().__init__(random_state=random_state)
        self.kernel = kernel
        self.bandwidth = bandwidth
        self.method = method
        self.sample_size = sample_size
        self.n_neighbors = n_neighbors
        self.neighbors = neighbors
        self.normalize = normalize
        self.verbose = verbose

    def _fit(self, X):
        precomputed = self.neighbors == "precomputed"
        if precomputed and self.method == "dense":
            raise ValueError(
                'method="dense" computes the kernel from the features, which '
                'neighbors="precomputed" does not give; use method="sparse".'
            )
        method = self.method
        if method == "auto":
            small = X.shape[0] <= _DENSE_UP_TO and not precomputed
            method = "dense" if small else "sparse"
        self.method_ = method
        self.graph_ = self.sample_indices_ = None
        # The rows the kernel is computed on; their distances are `_scale` times
        # those of X (see fit_graph). Everything public is in X's units.
        self._rows, graph, self._scale = fit_graph(self, X, graph=method != "dense")
        self.X_fit_ = X if not self.normalize and not precomputed else self._rows
        if method == "dense":
            n = X.shape[0]
            if n > self.sample_size:
                rng = check_random_state(self.random_state)
                self.sample_indices_ = np.sort(
                    rng.choice(n, self.sample_size, replace=False)
                )
            self.bandwidth_ = (
                _DENSE_BANDWIDTH if self.bandwidth == "auto" else float(self.bandwidth)
            )
            return
        self.graph_ = in_units_of_X(graph, self._scale)
        if self.bandwidth == "auto":
            reach = float(np.median(graph_reach(self.graph_)[0]))
            self.bandwidth_ = _SPARSE_REACH_FACTOR * reach if reach > 0 else 1.0
        else:
            self.bandwidth_ = float(self.bandwidth)
        K = self.graph_.copy()
        K.data = kernel_values(K.data**2, self.kernel, self.bandwidth_)
        K.eliminate_zeros()
        self._kernel_graph = sparse.csr_array(K)

    def _gains(self, weights=None, bandwidth=None):
        """The gains of the fitted method; ``weights`` over the pool,
        ``bandwidth`` in X's units."""
        h = self.bandwidth_ if bandwidth is None else bandwidth
        if self.method_ == "dense":
            cols = self.sample_indices_
            if weights is not None and cols is not None:
                weights = weights[cols]
            return DenseGains(self._rows, self.kernel, h * self._scale, weights, cols)
        K = self._kernel_graph
        if bandwidth is not None:
            K = self.graph_.copy()
            K.data = kernel_values(K.data**2, self.kernel, h)
            K.eliminate_zeros()
        return SparseGains(K, weights)

    def _query(self, mask, budget, rng, y):
        state = LazyHerding(self._gains(), mask)
        picks, scores = run_greedy(state, budget, log=self._log)
        return picks, scores, {"coverage": np.asarray(state.coverage)}


def _softmax_temperature(proba, temperature):
    """``softmax(log(proba) / T)``, the class probabilities at temperature ``T``."""
    logits = np.log(np.clip(proba, 1e-300, None)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    out = np.exp(logits)
    return out / out.sum(axis=1, keepdims=True)


def expected_calibration_error(proba, y_true, classes, n_bins=15):
    """ECE of class probabilities: the mean over equal-width confidence bins of
    ``|accuracy - confidence|``, weighted by the bin's share of the points."""
    confidence = proba.max(axis=1)
    correct = classes[proba.argmax(axis=1)] == y_true
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    total = 0.0
    for b in np.unique(bins):
        inside = bins == b
        total += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(total)


# The temperatures tried (the authors' grid).
_TEMPERATURES = np.round(np.arange(1.0, 20.0, 0.1), 1)


class UHerdingSampler(MaxHerdingSampler):
    """UHerding: MaxHerding's coverage weighted by the model's uncertainty.

    The gain of a candidate ``j`` is ``sum_i u_i max(k(x_i, x_j) - m_i, 0) / n``:
    MaxHerding's, where each covered point ``i`` counts by its margin uncertainty
    ``u_i = 1 - (p_1 - p_2)`` under the model fitted on the labels (0 on labeled
    and pending points). With few labels the weights are flat and it is
    MaxHerding; as labels accumulate the bandwidth narrows to the smallest
    distance between labeled points and the gain tends to the uncertainty of the
    candidate itself (Bae, Oliveira and Sutherland, ICLR 2025), so one sampler
    serves every budget.

    Parameters
    ----------
    estimator : estimator with predict_proba, default=None
        Cloned and fitted on the known labels at each query. None: a
        LogisticRegression (C=10) on L2-normalised rows.
    kernel : {"rbf", "tophat"}, default="rbf"
        As in :class:`MaxHerdingSampler`.
    bandwidth : "auto" or float, default="auto"
        As in :class:`MaxHerdingSampler`: the widest kernel used (see Notes).
    temperature : "auto" or float, default="auto"
        ``T`` of ``softmax(log p / T)``. ``"auto"``: the temperature from 1.0 to
        19.9 (step 0.1) that minimises the expected calibration error of a model
        fitted on the first 70 % of the labeled points (in index order) and
        scored on the last 30 %, as the authors do; 1 when those hold fewer than
        two classes.
    method : {"auto", "dense", "sparse"}, default="auto"
        As in :class:`MaxHerdingSampler`.
    sample_size : int, default=20000
        As in :class:`MaxHerdingSampler`.
    n_neighbors : int, default=50
        As in :class:`MaxHerdingSampler`.
    neighbors : {"auto", "exact", "ivf", "pynndescent"} or transformer, \
default="auto"
        As in :class:`MaxHerdingSampler`.
    normalize : bool, default=True
        As in :class:`MaxHerdingSampler`. The estimator is fitted on the
        normalised rows, or with ``False`` on ``X`` as given.
    missing_label : int, float, str or None, default=-1
        The label of a masked row whose label is not known yet (pending).
    verbose : int, default=0
        Print progress on standard error when positive.
    random_state : int, RandomState instance or None, default=None
        Seed of the estimator (when it has a ``random_state`` left None) and of
        an approximate graph.

    Attributes
    ----------
    bandwidth_ : float
        The bandwidth of a cold start (see :class:`MaxHerdingSampler`).
    method_ : str
        ``"dense"`` or ``"sparse"``.
    graph_ : scipy.sparse.csr_array of shape (n_samples, n_samples)
        The neighbour graph.
    n_samples_fit_ : int
        Number of points in the fitted pool.
    n_features_in_ : int
        Number of features seen during :meth:`fit`.

    See Also
    --------
    MaxHerdingSampler : The unweighted objective, UHerding's cold start.
    UncertaintySampler : The margin alone.

    Notes
    -----
    With fewer than two classes among the known labels, the weights are 1 and
    the bandwidth is ``bandwidth_``: MaxHerding. Otherwise the bandwidth is the
    smaller of ``bandwidth_`` and the smallest non-zero distance between labeled
    points; the authors' rule is that distance alone, which at a cold start can
    exceed what the sparse graph holds. :meth:`query_details` gives
    ``temperature``, ``bandwidth`` and ``coverage`` (the weighted objective after
    each pick).

    References
    ----------
    .. [1] W. Bae, G. L. Oliveira and D. J. Sutherland, "Uncertainty Herding:
       One Active Learning Method for All Label Budgets", ICLR 2025.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skactive import UHerdingSampler
    >>> X, y = load_digits(return_X_y=True)
    >>> sampler = UHerdingSampler(random_state=0).fit(X)
    >>> mask = np.zeros(len(X), dtype=bool)
    >>> mask[sampler.query(mask, budget=20)] = True  # a cold start: MaxHerding
    >>> details = sampler.query_details(mask, budget=10, y=np.where(mask, y, -1))
    >>> bool(mask[details.indices].any()), details.bandwidth <= sampler.bandwidth_
    (False, True)
    """

    _parameter_constraints: dict = {
        **MaxHerdingSampler._parameter_constraints,
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "temperature": [
            StrOptions({"auto"}),
            Interval(numbers.Real, 0, None, closed="neither"),
        ],
        "missing_label": [int, float, str, None],
    }

    def __init__(
        self,
        estimator=None,
        kernel="rbf",
        bandwidth="auto",
        *,
        temperature="auto",
        method="auto",
        sample_size=20_000,
        n_neighbors=50,
        neighbors="auto",
        normalize=True,
        missing_label=-1,
        verbose=0,
        random_state=None,
    ):
        super().__init__(
            kernel=kernel,
            bandwidth=bandwidth,
            method=method,
            sample_size=sample_size,
            n_neighbors=n_neighbors,
            neighbors=neighbors,
            normalize=normalize,
            verbose=verbose,
            random_state=random_state,
        )
        self.estimator = estimator
        self.temperature = temperature
        self.missing_label = missing_label

    def __sampler_tags__(self):
        # The weights and the bandwidth depend on the labels, not the budget.
        return SamplerTags(
            requires_labels=True, requires_estimator=True, prefix_stable=True
        )

    def _fit(self, X):
        check_instances(self, ("estimator",))
        if self.neighbors == "precomputed":
            raise ValueError(
                "UHerdingSampler fits its estimator on the features, which "
                'neighbors="precomputed" does not give; pass the features.'
            )
        super()._fit(X)

    def _model(self):
        return estimator_clone(self.estimator, self.random_state)

    def _temperature(self, X, labels):
        if self.temperature != "auto":
            return float(self.temperature)
        cut = int(0.7 * len(labels))
        train, valid = labels[:cut], labels[cut:]
        if len(np.unique(train)) < 2 or not len(valid):
            return 1.0
        model = self._model().fit(X[:cut], train)
        proba = model.predict_proba(X[cut:])
        errors = [
            expected_calibration_error(
                _softmax_temperature(proba, t), valid, model.classes_
            )
            for t in _TEMPERATURES
        ]
        return float(_TEMPERATURES[int(np.argmin(errors))])

    def _query(self, mask, budget, rng, y):
        known = None if y is None else y.known
        if known is None or len(np.unique(y.labels)) < 2:
            picks, scores, extra = super()._query(mask, budget, rng, y)
            return (
                picks,
                scores,
                {**extra, "temperature": 1.0, "bandwidth": self.bandwidth_},
            )
        X, rows = self.X_fit_, np.flatnonzero(known)
        temperature = self._temperature(X[rows], y.labels)
        model = self._model().fit(X[rows], y.labels)
        weights = np.empty(X.shape[0])
        for block in row_blocks(X.shape[0], 64 * X.shape[1]):
            proba = _softmax_temperature(model.predict_proba(X[block]), temperature)
            weights[block] = 1.0 + uncertainty_scores(proba, "margin")
        weights = np.clip(weights, 0.0, 1.0)
        weights[mask] = 0.0
        # In X's units: the distance between the kernel's rows, over their scale.
        nearest = _smallest_distance(self._rows[np.flatnonzero(mask)]) / self._scale
        bandwidth = min(self.bandwidth_, nearest)
        gains = self._gains(weights, bandwidth)
        state = LazyHerding(gains, mask)
        picks, scores = run_greedy(state, budget, log=self._log)
        extra = {"coverage": np.asarray(state.coverage)}
        return (
            picks,
            scores,
            {**extra, "temperature": temperature, "bandwidth": bandwidth},
        )


def _smallest_distance(X):
    """The smallest non-zero distance between rows of ``X`` (inf for fewer than
    two distinct rows), in float64."""
    best = np.inf
    X = np.asarray(X, dtype=np.float64)
    for rows in row_blocks(len(X), len(X)):
        D = exact_sq_dists(X[rows], X)
        D = D[D > 0]
        if len(D):
            best = min(best, float(np.sqrt(D.min())))
    return best
