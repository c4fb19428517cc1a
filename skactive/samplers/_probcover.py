# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""ProbCover (Yehuda, Dekel, Hacohen and Weinshall, NeurIPS 2022): the points whose
delta-balls cover the most uncovered points, on a sparse neighbour graph."""

import numbers
import warnings

import numpy as np
from scipy import sparse

from skactive._kernels._coverage import MaxCoverage
from skactive._kernels._exact import (
    condition_pool,
    exact_min_sq_dists,
    exact_sq_dists,
    row_blocks,
    sq_dist_error,
)
from skactive._kernels._greedy import run_greedy
from skactive._kernels._knn import within_radius
from skactive.cluster import SampledKMeans
from skactive.samplers._graph import (
    GraphSampler,
    fit_graph,
    graph_reach,
    in_units_of_X,
    neighbors_constraint,
)
from skactive.utils._compat import Interval, StrOptions

# Warn when more than this share of the balls reaches past the graph.
_TRUNCATED_WARN = 0.1
# balls="auto" finds every point of every ball up to this many points, while the
# balls hold at most _EXACT_BALLS_MEAN points on average.
_EXACT_BALLS_UP_TO = 20_000
_EXACT_BALLS_MEAN = 1_000
# Multiply-adds the exact searches of delta="auto" may take (seconds at most).
_EXACT_PURITY_WORK = 2e10
# Floats of one block of those searches (128 MiB of float64).
_SEARCH_BLOCK = 1 << 24


def purity_radius(graph, labels):
    """For each point, its distance to the nearest point of another cluster where
    the graph holds one (inf where its row holds the whole pool), whether that
    value is exact, and each row's reach (its farthest neighbour), a lower bound
    where it is not."""
    n = graph.shape[0]
    rows = np.repeat(np.arange(n), np.diff(graph.indptr))
    other = labels[graph.indices] != labels[rows]
    radius = np.full(n, np.inf)
    np.minimum.at(radius, rows[other], graph.data[other])
    exact = np.isfinite(radius)
    reach, whole = graph_reach(graph)
    exact |= whole
    return radius, exact, reach


def _bisector_bounds(X, labels, centers, points):
    """Lower bounds of the distance from ``X[points]`` to any point of another
    cluster: a point labeled by its nearest centroid ``c'`` lies on the side of
    ``c'`` of the bisector between ``c`` and ``c'``, so it is at least as far as
    that half-space."""
    bounds = np.full(len(points), np.inf)
    gaps = exact_sq_dists(centers, centers)
    for block in row_blocks(len(points), 4 * len(centers)):
        rows = points[block]
        sq = exact_sq_dists(X[rows], centers)  # rows x clusters
        own = labels[rows]
        gap = np.sqrt(gaps[own])  # ||c - c'|| for every c'
        with np.errstate(divide="ignore", invalid="ignore"):
            dist = (sq - sq[np.arange(len(rows)), own][:, None]) / (2 * gap)
        dist[np.arange(len(rows)), own] = np.inf
        dist[gap == 0] = 0.0  # a centroid shared by two clusters: no bound
        bounds[block] = np.maximum(dist.min(axis=1), 0.0)
    return bounds


def _nearest_other(X, labels, points):
    """The float64 distance from each of ``X[points]`` to its nearest point of
    another cluster."""
    out = np.empty(len(points))
    for c in np.unique(labels[points]):
        here = np.flatnonzero(labels[points] == c)
        others = X[labels != c].astype(np.float64)
        if not len(others):
            out[here] = np.inf
            continue
        sq = np.square(others).sum(axis=1)
        out[here] = np.sqrt(
            exact_min_sq_dists(X[points[here]], others, sq, block=_SEARCH_BLOCK)
        )
    return out


def auto_delta(X, graph, labels, centers, purity, max_work=_EXACT_PURITY_WORK):
    """The purity rule's delta (see :class:`ProbCoverSampler`): from the graph
    where it holds a point of another cluster, from exact searches where the
    answer depends on a point it does not hold. Returns ``(delta, exact)``;
    ``exact`` is False when the searches would have cost more than ``max_work``
    multiply-adds and lower bounds were used for the rest (delta is then no
    larger than the rule's)."""
    radius, known, reach = purity_radius(graph, labels)
    todo = np.flatnonzero(~known)
    radius[todo] = np.maximum(reach[todo], _bisector_bounds(X, labels, centers, todo))
    work = 0.0
    while True:
        delta = purity_delta(radius, purity)
        # A lower bound at or below delta may hide a larger true value.
        todo = np.flatnonzero(~known & (radius <= delta))
        if not len(todo):
            return delta, True
        todo = todo[np.argsort(radius[todo], kind="stable")]
        cost = X.shape[0] * X.shape[1]
        room = int((max_work - work) // cost)
        if room < 1:
            return delta, False
        todo = todo[:room]
        radius[todo] = _nearest_other(X, labels, todo)
        known[todo] = True
        work += len(todo) * cost


def purity_delta(radius, purity):
    """The largest delta for which at least ``purity`` of the balls ``{y : ||x - y||
    < delta}`` are pure, a ball being pure when ``delta <= radius[x]``."""
    n = len(radius)
    need = int(np.ceil(purity * n - 1e-9))
    return float(np.sort(radius)[n - need])


class ProbCoverSampler(GraphSampler):
    """ProbCover: the points whose delta-balls cover the most uncovered points.

    Every point's ball holds the points closer than ``delta`` to it (itself
    included). Labeled points cover their balls first; each pick is the point
    whose ball holds the most points not covered yet (the lowest index on ties),
    and its ball is then covered (Yehuda et al., 2022). The balls are sparse
    rows, found in blocks on small pools and restricted to each point's
    ``n_neighbors`` nearest neighbours on large ones, so no n x n matrix is
    formed.

    Parameters
    ----------
    delta : "auto" or float, default="auto"
        Radius of the balls, in the units of the (normalised) features.
        ``"auto"``: the paper's rule, the largest radius at which at least
        ``purity`` of the balls are pure, a ball being pure when every point in it
        has the k-means cluster of its centre (k-means with ``n_classes``
        clusters). A ball is pure exactly when ``delta`` is at most its centre's
        distance to the nearest point of another cluster, so delta is a quantile
        of those distances: read from the graph where it holds such a point,
        bounded below by the graph's reach and by the bisectors of the
        centroids where it does not, and searched exactly only for the points
        whose bound falls below the quantile (no grid of radii).
    purity : float, default=0.95
        The share of pure balls ``delta="auto"`` asks for (the paper's alpha).
    n_classes : int, default=10
        Number of k-means clusters for ``delta="auto"``: the number of classes the
        pool is thought to hold. At a cold start the labels cannot tell it, so it
        is a parameter; the paper uses the true number of classes. Unused with a
        float ``delta``.
    balls : {"auto", "exact", "graph"}, default="auto"
        ``"exact"``: every point closer than ``delta`` is in the ball, found in
        blocks (memory grows with the balls). ``"graph"``: the balls are
        restricted to the ``n_neighbors`` nearest neighbours. ``"auto"``: exact
        up to 20,000 points while the balls hold at most 1,000 points on
        average, the graph otherwise.
    n_neighbors : int, default=50
        Neighbours of the graph, which ``delta="auto"`` reads and ``"graph"``
        balls are restricted to. A ball that would hold more points is
        truncated; ``n_truncated_`` counts them, and ``fit`` warns when more than
        a tenth are.
    neighbors : {"auto", "exact", "ivf", "pynndescent", "precomputed"} or \
transformer, default="auto"
        How the neighbour graph is found; see
        :func:`~skactive.neighbors.knn_graph` (``"auto"``: exact on small pools,
        an inverted file on large ones). A transformer such as
        :class:`~sklearn.neighbors.KNeighborsTransformer` with
        ``mode="distance"`` is cloned and fitted on the pool. ``"precomputed"``:
        ``fit`` takes the graph itself, a sparse matrix of distances (such a
        transformer's output; see :func:`~skactive.neighbors.check_knn_graph`),
        and ``delta`` must be a float.
    normalize : bool, default=True
        L2-normalise the rows first, as the authors do on embeddings; fit warns
        when the normalised rows nearly all point one way (rows sharing an
        offset much larger than their spread: centre or standardise them
        first). With ``False`` the features are used as given, in their units
        (``delta``, ``balls_``); an offset or a scale of ``X`` changes no pick
        (but ties within rounding).
    verbose : int, default=0
        Print progress (picks done, time) on standard error when positive.
    random_state : int, RandomState instance or None, default=None
        Seed of the k-means of ``delta="auto"`` and of an approximate graph. The
        greedy itself is deterministic.

    Attributes
    ----------
    delta_ : float
        The radius used.
    balls_ : scipy.sparse.csr_array of shape (n_samples, n_samples)
        Row ``i`` holds the points of ``i``'s ball, with their distances.
    balls_method_ : str
        ``"exact"`` or ``"graph"``.
    n_truncated_ : int
        Balls whose radius reaches past the graph (more points may lie within
        ``delta`` than the ball holds); 0 for exact balls.
    n_samples_fit_ : int
        Number of points in the fitted pool.
    n_features_in_ : int
        Number of features seen during :meth:`fit`.

    See Also
    --------
    MaxHerdingSampler : The same coverage with a smooth kernel instead of balls.
    TypiClustSampler : Typical points of clusters, the same group's earlier method.

    Notes
    -----
    Deviations from the authors' code, all on purpose: above 20,000 points (or
    with ``balls="graph"``) balls are restricted to the ``n_neighbors`` nearest
    neighbours (the authors compare every pair on a GPU);
    the last ``n mod 500`` points get balls too (the authors' blocked loop skips
    them); once every point is covered, the coverage starts again with only the
    labeled and picked points covered, so a second round of picks covers the pool
    a second time, where the authors' code returns a labeled point again; and
    ``delta`` can be found by the paper's purity rule, exactly rather than on a
    grid (the authors' code takes it by hand). Should those exact searches cost
    more than about ``2e10`` multiply-adds (a very large pool whose clusters
    are not separated), ``fit`` warns and keeps lower bounds for the rest, which
    can only make ``delta`` smaller.

    The score of a pick is the number of points it newly covered;
    :meth:`query_details` also gives ``coverage``, the share of the pool covered
    after each pick, so a user can see when coverage saturates.

    The whole selection costs one pass over the edges: a pick marks its ball
    covered and takes one off the count of every ball holding a newly covered
    point (a reverse adjacency).

    References
    ----------
    .. [1] O. Yehuda, A. Dekel, G. Hacohen and D. Weinshall, "Active Learning
       Through a Covering Lens", NeurIPS 2022.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive import ProbCoverSampler
    >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [0.2, 0.0], [5.0, 0.0], [5.1, 0.0]])
    >>> sampler = ProbCoverSampler(delta=0.15, normalize=False).fit(X)
    >>> sampler.query(budget=2)
    array([1, 3])
    >>> details = sampler.query_details(budget=2)
    >>> details.scores, details.coverage
    (array([3., 2.]), array([0.6, 1. ]))
    """

    _parameter_constraints: dict = {
        **GraphSampler._parameter_constraints,
        "delta": [
            StrOptions({"auto"}),
            Interval(numbers.Real, 0, None, closed="neither"),
        ],
        "purity": [Interval(numbers.Real, 0, 1, closed="right")],
        "n_classes": [Interval(numbers.Integral, 1, None, closed="left")],
        "balls": [StrOptions({"auto", "exact", "graph"})],
        "n_neighbors": [Interval(numbers.Integral, 1, None, closed="left")],
        "neighbors": neighbors_constraint(),
        "normalize": ["boolean"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        delta="auto",
        *,
        purity=0.95,
        n_classes=10,
        balls="auto",
        n_neighbors=50,
        neighbors="auto",
        normalize=True,
        verbose=0,
        random_state=None,
    ):
        super().__init__(random_state=random_state)
        self.delta = delta
        self.purity = purity
        self.n_classes = n_classes
        self.balls = balls
        self.n_neighbors = n_neighbors
        self.neighbors = neighbors
        self.normalize = normalize
        self.verbose = verbose

    def _fit(self, X):
        precomputed = self.neighbors == "precomputed"
        if precomputed and (self.delta == "auto" or self.balls == "exact"):
            name = "delta" if self.delta == "auto" else "balls"
            value = getattr(self, name)
            raise ValueError(
                f"{name}={value!r} needs the features, which "
                'neighbors="precomputed" does not give: pass delta as a float '
                'and balls="graph" or "auto".'
            )
        # Distances between the rows X32 are `scale` times those of X.
        X32, graph, scale = fit_graph(self, X)
        if self.delta == "auto":
            n_classes = min(self.n_classes, X.shape[0])
            km = SampledKMeans(n_classes, random_state=self.random_state).fit(X32)
            delta, exact = auto_delta(
                X32, graph, km.labels_, km.cluster_centers_, self.purity
            )
            if not exact:
                warnings.warn(
                    'delta="auto": finding every point\'s nearest point of another '
                    "cluster exactly would take too long on this pool, so lower "
                    f"bounds were used for some; delta={delta / scale:.4g} is at "
                    "most the purity rule's.",
                    UserWarning,
                    stacklevel=3,
                )
            if not delta > 0:  # duplicates: the smallest ball holding another point
                positive = graph.data[graph.data > 0]
                delta = float(positive.min()) * 1.5 if len(positive) else 1.0
            if not np.isfinite(delta):  # one cluster: every ball is pure
                delta = float(graph_reach(graph)[0].max()) * (1 + 1e-9) or 1.0
        else:
            delta = float(self.delta) * scale
        self.delta_ = delta / scale
        self.balls_ = None
        n = graph.shape[0]
        if self.balls == "exact" or (
            self.balls == "auto" and not precomputed and n <= _EXACT_BALLS_UP_TO
        ):
            cap = None if self.balls == "exact" else _EXACT_BALLS_MEAN * n
            # Not a repeat of fit_graph's conditioning: that one centres only far
            # offsets (or none, on normalised rows); this one centres the rows the
            # ball kernel works on whenever their mean exceeds their spread (it does
            # on digits, normalised or not), so its float32 rounding bound is of the
            # spread, not of the norms.
            Xw, _, exponent, sq = condition_pool(X32, center="auto")
            err = sq_dist_error(X32.shape[1], float(np.sqrt(sq.max())))
            self.balls_ = within_radius(Xw, X32, delta, err, cap, unit=2.0**exponent)
        if self.balls_ is not None:
            self.balls_ = in_units_of_X(self.balls_, scale)
            self.balls_method_, self.n_truncated_ = "exact", 0
            return
        self.balls_method_ = "graph"
        keep = graph.data < delta
        rows = np.repeat(np.arange(n), np.diff(graph.indptr))
        self.balls_ = in_units_of_X(
            sparse.csr_array(
                (graph.data[keep], (rows[keep], graph.indices[keep])),
                shape=graph.shape,
            ),
            scale,
        )
        reach, whole = graph_reach(graph)
        self.n_truncated_ = int(np.count_nonzero((reach < delta) & ~whole))
        if self.n_truncated_ > _TRUNCATED_WARN * X.shape[0]:
            warnings.warn(
                f"{self.n_truncated_} of {X.shape[0]} balls of radius delta="
                f"{self.delta_:.4g} reach past their n_neighbors={self.n_neighbors} "
                "nearest neighbours and are truncated; raise n_neighbors or "
                "lower delta.",
                UserWarning,
                stacklevel=3,
            )

    def _query(self, mask, budget, rng, y):
        state = MaxCoverage(self.balls_, mask)
        picks, scores = run_greedy(state, budget, log=self._log)
        return picks, scores, {"coverage": np.asarray(state.coverage)}
