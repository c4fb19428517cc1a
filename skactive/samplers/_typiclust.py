# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""TypiClust (Hacohen, Dekel and Weinshall, ICML 2022): typical points of large
clusters that hold few labels."""

import numbers
import time
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.utils.validation import check_array

from skactive.base import BaseSampler
from skactive.cluster import SampledKMeans
from skactive.utils._compat import HasMethods, Interval, StrOptions, validate_params
from skactive.utils._distances import (
    knn_sq_dist_stats,
    mean_knn_sq_dist,
    nearest_sq_dists,
    row_sq_norms,
)
from skactive.utils._exact import (
    argmax_bounded,
    condition_pool,
    exact_sq_dists,
    row_blocks,
    smallest_within,
    sq_dist_error,
)
from skactive.utils._parallel import limit_threads
from skactive.utils._torch import TorchKernels, torch_device

# Added to the mean squared distance before inverting it, as the authors do.
_EPS = 1e-5
# Typicalities this close (relative) count as tied.
_TIE_RTOL = 1e-5
# clusterer="auto" switches from the authors' k-means to SampledKMeans above this.
AUTO_SAMPLED_ABOVE = 50_000
# typicality="auto" switches from exact to sampled typicality in a cluster of m
# candidates of d features when exact typicality, m * m * d multiply-adds, would cost
# more than this (about a third of a second on one core).
AUTO_SAMPLED_TYPICALITY_ABOVE = 16e9
# Sampled typicality: reference points and exact candidates per cluster of m points,
# max(TYPICALITY_SAMPLE, m // 10) of each.
TYPICALITY_SAMPLE = 1024


def _typicality(X, n_neighbors):
    return 1.0 / (mean_knn_sq_dist(X, n_neighbors) + _EPS)


@validate_params(
    {
        "X": ["array-like"],
        "n_neighbors": [Interval(numbers.Integral, 1, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def typicality(X, n_neighbors=20):
    """Typicality of each point: the inverse of its mean squared distance to its
    nearest neighbours.

    ``typicality(x) = 1 / (mean of ||x - y||^2 over the n_neighbors nearest other
    points y + 1e-5)``. Dense regions give high typicality, outliers low. The
    squared distance and the ``1e-5`` follow the authors' code (the paper writes the
    plain distance). Computed exactly, in blocks of rows, without an n x n matrix.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Features, used as given (normalise them first if wanted). Converted to
        float32.
    n_neighbors : int, default=20
        Number of nearest other points to average over; below ``n_samples``.

    Returns
    -------
    typicality : ndarray of shape (n_samples,), dtype=float64

    See Also
    --------
    TypiClustSampler : Uses typicality inside k-means clusters.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive import typicality
    >>> X = np.array([[0.0], [0.1], [0.2], [3.0]])
    >>> int(np.argmax(typicality(X, n_neighbors=2)))
    1
    """
    X = check_array(X, dtype=np.float32, order="C", ensure_min_samples=2)
    if n_neighbors >= X.shape[0]:
        raise ValueError(
            f"n_neighbors={n_neighbors} must be below n_samples={X.shape[0]}: a "
            "point has only n_samples - 1 other points."
        )
    return _typicality(X, n_neighbors)


class TypiClustSampler(BaseSampler):
    """TypiClust: the most typical point of each large cluster with few labels.

    Designed for low budgets, where typical points from dense, diverse regions
    teach a model more than hard ones (Hacohen et al., 2022). A query does:

    1. Cluster the whole pool (labeled and unlabeled) into
       ``n_clusters = min(n_labeled + budget, max_clusters)`` clusters.
    2. Drop clusters of at most ``min_cluster_size`` points.
    3. Order the clusters once: fewest labeled points first, then largest first,
       then lowest cluster id.
    4. Pick ``i`` uses the next cluster in that order, round robin when the budget
       exceeds the number of clusters. In it, among its ``m`` points that are
       neither labeled nor already picked, take the one of highest typicality (see
       :func:`typicality`) with ``K = min(n_neighbors, m // 2)`` neighbours taken
       among those ``m`` points.

    Parameters
    ----------
    n_neighbors : int, default=20
        Neighbours used for typicality (``K`` above, capped at ``m // 2``).
    max_clusters : int, default=500
        Upper bound on the number of clusters.
    min_cluster_size : int, default=5
        Clusters of this size or smaller are used only when every larger cluster
        has run out of unlabeled points.
    normalize : bool, default=True
        L2-normalise the rows of ``X``, as the authors do. With ``False`` the
        features are used as given; typicality then adds ``1e-5`` to mean squared
        distances in the units of ``X``, which flattens it for features of very
        small scale (fit warns when the mean squared distance between points is
        below ``1e-2``).
    typicality : {"auto", "exact", "sampled"}, default="auto"
        How typicality is computed in a picked cluster of ``m`` candidates.

        - ``"exact"``: the definition, ``m^2 d`` arithmetic.
        - ``"sampled"``: a two-pass search for the most typical point. Every
          candidate's density is estimated from its nearest points in a random
          sample of ``s = max(1024, m // 10)`` candidates (``K * s / m`` of them,
          at least one); the ``s`` candidates of highest estimate then get their
          exact typicality among all ``m``, and the best of them is picked. About
          ``2 s m d`` arithmetic instead of ``m^2 d``: 5 times less from
          ``m = 10,240`` up. It picks the exact method's point unless that point
          falls outside the shortlist; its score is always the exact typicality
          of the point it picks.
        - ``"auto"``: sampled where exact typicality would cost more than
          ``1.6e10`` multiply-adds (``m^2 d``, about a third of a second on one
          core: clusters of more than 5,590 candidates at ``d = 512``, 15,811 at
          ``d = 64``), exact elsewhere. A million points at a budget of 100 make
          clusters of about 10,000 points, which it samples.
    clusterer : {"auto", "reference", "sampled"} or estimator, default="auto"
        How to cluster.

        - ``"reference"``: the authors' choice, ``KMeans(n_init=10)`` up to 50
          clusters, ``MiniBatchKMeans(batch_size=5000, n_init=3)`` above.
        - ``"sampled"``: :class:`~skactive.cluster.SampledKMeans`, k-means trained on
          256 points per cluster, then every point assigned to its nearest
          centroid; its cost hardly grows with the pool.
        - ``"auto"``: ``"reference"`` for pools of up to 50,000 points (CIFAR-10's
          size, where the published numbers come from), ``"sampled"`` above.
        - An estimator with an ``n_clusters`` parameter and a ``labels_`` attribute
          after fit: cloned at each query, its ``n_clusters`` set as in step 1 and
          its ``random_state`` (if any) set from this sampler's ``random_state``.
    device : str or None, default=None
        Where the distance kernels run (the assignment of every point to a
        centroid with :class:`~skactive.cluster.SampledKMeans`, and typicality).
        ``None``: numpy on the CPU, and torch is never imported. A torch device
        (``"cuda"``, ``"cuda:1"``, ``"mps"``, ``"cpu"``): the same kernels in torch
        on it, with the same formulas and tie rules, so the picks agree with the
        CPU path but for float32 near-ties. The authors' k-means and the
        training of ``SampledKMeans`` on its sample stay on the CPU.
    n_jobs : int or None, default=None
        BLAS and OpenMP threads during a query (k-means, distances); ``-1`` means
        all cores, ``None`` leaves the libraries' own setting.
    verbose : int, default=0
        Print the time of each stage of a query on standard error when positive.
    random_state : int, RandomState instance or None, default=None
        Seeds the clustering. With an int, the same mask and budget give the same
        selection.

    Attributes
    ----------
    X_fit_ : ndarray of shape (n_samples, n_features), dtype=float32
        The pool in float32. With ``normalize=True``, ``X`` as given (no copy when
        it was float32 in C order already), its rows divided by their norm as they
        are used; a normalised copy of the pool is made only for a clusterer other
        than :class:`~skactive.cluster.SampledKMeans`, for the time of the
        clustering. With ``normalize=False``, ``X`` minus its column means
        (computed in float64, so the picks do not move when ``X`` is translated).
        Either is scaled by a power of two when its magnitudes lie outside
        ``[2**-20, 2**20]`` (an exact change of units; scores stay in ``X``'s).
    n_samples_fit_ : int
        Number of points in the fitted pool.
    n_features_in_ : int
        Number of features seen during :meth:`fit`.
    labels_ : ndarray of shape (n_samples,)
        Set by :meth:`query`: the cluster of each pool point in the last query.
    n_clusters_ : int
        Set by :meth:`query`: the number of clusters asked of the clusterer.
    query_clusters_ : ndarray of shape (budget,)
        Set by :meth:`query`: the cluster each pick came from.
    query_scores_ : ndarray of shape (budget,)
        Set by :meth:`query`: the typicality of each pick among the candidates of
        its cluster at the time (NaN when it was the only candidate left).

    See Also
    --------
    typicality : The density score used inside each cluster.
    CoresetSampler : Better at high budgets.

    Notes
    -----
    Where the authors' code fails, this implementation goes on, and selects exactly
    what the code selects wherever the code does not fail:

    - when no cluster is larger than ``min_cluster_size`` (the code divides by
      zero), or every larger cluster has run out of unlabeled points, the small
      clusters are used, in the same order;
    - a cluster with no unlabeled point left is skipped for the next one in the
      round robin (the code crashes);
    - the clustering is seeded from ``random_state`` (the code has no seed): the
      clusterer gets ``check_random_state(random_state).randint(2**31 - 1)``.

    Typicality is computed only for the clusters picked, exactly (but see
    ``typicality`` for very large clusters), in blocks, in float32 on rows centred
    on the cluster's mean. Typicalities within a relative ``1e-5`` of the largest
    count as tied, and ties go to the lowest index: two mutual nearest neighbours
    have the same typicality. The rule is decided on float64 values: the
    candidates that float32 rounding could place on either side of it get their
    typicality again in float64, so the picks are those of a float64 computation
    on every CPU and BLAS kernel. For the same reason the authors' k-means (and a
    clusterer given as an estimator) gets the rows in float64 on pools of up to
    50,000 points, and :class:`~skactive.cluster.SampledKMeans` settles its
    near-tied assignments, in training and for the pool, the same way.

    References
    ----------
    .. [1] G. Hacohen, A. Dekel and D. Weinshall, "Active Learning on a Budget:
       Opposite Strategies Suit High and Low Budgets", ICML 2022,
       arXiv:2202.02794.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from skactive import TypiClustSampler
    >>> X, y = make_blobs(n_samples=300, centers=3, random_state=0)
    >>> sampler = TypiClustSampler(random_state=0).fit(X)
    >>> picks = sampler.query(budget=3)
    >>> sorted(y[picks].tolist())
    [0, 1, 2]
    """

    _parameter_constraints: dict = {
        **BaseSampler._parameter_constraints,
        "n_neighbors": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_clusters": [Interval(numbers.Integral, 1, None, closed="left")],
        "min_cluster_size": [Interval(numbers.Integral, 0, None, closed="left")],
        "normalize": ["boolean"],
        "typicality": [StrOptions({"auto", "exact", "sampled"})],
        "clusterer": [
            StrOptions({"auto", "reference", "sampled"}),
            HasMethods(["fit", "get_params"]),
        ],
        "device": [str, None],
        "n_jobs": [
            Interval(numbers.Integral, 1, None, closed="left"),
            Interval(numbers.Integral, None, -1, closed="right"),
            None,
        ],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_neighbors=20,
        max_clusters=500,
        min_cluster_size=5,
        normalize=True,
        typicality="auto",
        clusterer="auto",
        device=None,
        n_jobs=None,
        verbose=0,
        random_state=None,
    ):
        super().__init__(random_state=random_state)
        self.device = device
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.n_neighbors = n_neighbors
        self.max_clusters = max_clusters
        self.min_cluster_size = min_cluster_size
        self.normalize = normalize
        self.typicality = typicality
        self.clusterer = clusterer

    def _fit(self, X):
        if isinstance(self.clusterer, type):
            raise TypeError(
                f"clusterer={self.clusterer.__name__} is a class; pass an instance, "
                f"for example clusterer={self.clusterer.__name__}()."
            )
        if not isinstance(self.clusterer, str) and "n_clusters" not in (
            self.clusterer.get_params()
        ):
            raise ValueError(
                f"clusterer={self.clusterer!r} has no n_clusters parameter; "
                "TypiClust sets the number of clusters at each query."
            )
        # Normalised rows do not depend on the offset or scale of X: only an
        # extreme scale is brought back (exactly, by a power of two).
        self.X_fit_, _, exponent, sq_norms = condition_pool(
            X, center=not self.normalize
        )
        self._norms = None
        self._sq_unit = 1.0
        if self.normalize:
            # As sklearn.preprocessing.normalize does: zero rows stay zero.
            norms = np.sqrt(sq_norms)
            self._norms = np.where(norms == 0, 1.0, norms)
        else:
            self._sq_unit = 4.0**-exponent  # squared distances back in X's units
            # The pool is centred: its mean squared norm is its total variance.
            spread = 2 * float(sq_norms.mean()) * self._sq_unit
            if spread < 1e-2:
                warnings.warn(
                    f"TypiClustSampler(normalize=False): the mean squared distance "
                    f"between points is {spread:.2g}, so the 1e-5 that typicality "
                    "adds to the mean squared distance to the neighbours flattens "
                    "it, and picks follow the row order more than the density. "
                    "Rescale the features or use normalize=True.",
                    UserWarning,
                    stacklevel=3,
                )

    def _rows(self, index=slice(None)):
        """Rows of the pool as TypiClust sees them (normalised if asked), a float64
        copy: the values every decision is defined on."""
        rows = self.X_fit_[index].astype(np.float64)
        if self._norms is not None:
            rows /= self._norms[index, None]
        return rows

    def _rows32(self):
        """All rows as TypiClust sees them, a float32 copy made in blocks."""
        if self._norms is None:
            return self.X_fit_
        out = np.empty_like(self.X_fit_)
        for rows in row_blocks(*out.shape):
            out[rows] = self._rows(rows)
        return out

    def _make_clusterer(self, n_clusters, seed):
        kind = self.clusterer
        if kind == "auto":
            kind = (
                "reference" if self.n_samples_fit_ <= AUTO_SAMPLED_ABOVE else "sampled"
            )
        if kind == "sampled":
            return SampledKMeans(n_clusters, random_state=seed)
        if kind == "reference":
            if n_clusters <= 50:
                return KMeans(n_clusters, n_init=10, random_state=seed)
            return MiniBatchKMeans(
                n_clusters, batch_size=5000, n_init=3, random_state=seed
            )
        clusterer = clone(self.clusterer).set_params(n_clusters=n_clusters)
        if "random_state" in clusterer.get_params():
            clusterer.set_params(random_state=seed)
        return clusterer

    def _query(self, mask, budget, rng):
        with limit_threads(self.n_jobs):
            return self._select(mask, budget, rng)

    def _select(self, mask, budget, rng):
        X = self.X_fit_
        knn, nearest = knn_sq_dist_stats, nearest_sq_dists
        if self.device is not None:
            kernels = TorchKernels(*torch_device(self.device, type(self).__name__))
            knn, nearest = kernels.knn_sq_dist_stats, kernels.nearest_sq_dists
        n_clusters = min(int(np.count_nonzero(mask)) + budget, self.max_clusters)
        seed = rng.randint(np.iinfo(np.int32).max)
        start = time.perf_counter()
        clusterer = self._make_clusterer(n_clusters, seed)
        if isinstance(clusterer, SampledKMeans):
            clusterer._fit_rows(X, self._norms, nearest)
        elif len(X) <= AUTO_SAMPLED_ABOVE:
            # float64: float32 k-means labels near-tied points differently on
            # different CPUs.
            clusterer.fit(self._rows())
        else:
            clusterer.fit(self._rows32())
        labels = np.asarray(clusterer.labels_)
        self._log(
            f"{type(clusterer).__name__}: {n_clusters} clusters of {len(X)} points "
            f"in {time.perf_counter() - start:.1f} s"
        )
        start = time.perf_counter()

        ids = np.unique(labels)
        sizes = np.bincount(np.searchsorted(ids, labels), minlength=len(ids))
        n_labeled = np.bincount(np.searchsorted(ids, labels[mask]), minlength=len(ids))
        order = ids[np.lexsort((ids, -sizes, n_labeled))]
        large = np.isin(order, ids[sizes > self.min_cluster_size])

        # Candidates of each cluster: its unlabeled members, in index order.
        unlabeled = np.flatnonzero(~mask)
        by_cluster = unlabeled[np.argsort(labels[unlabeled], kind="stable")]
        bounds = np.searchsorted(labels[by_cluster], ids, side="right")
        candidates = dict(zip(ids, np.split(by_cluster, bounds[:-1]), strict=True))
        picks, scores, clusters, n_sampled = [], [], [], 0
        for group in (order[large], order[~large]):
            alive = sum(len(candidates[c]) > 0 for c in group)
            state = {}
            pos = 0
            while alive and len(picks) < budget:
                c = group[pos % len(group)]
                pos += 1
                if len(candidates[c]) == 0:
                    continue  # this cluster ran out: the round robin moves on
                if c not in state:
                    state[c] = self._cluster_typicality(candidates[c], rng, knn)
                    n_sampled += isinstance(state[c], _SampledClusterTypicality)
                pick, score = state[c].pop_most_typical(self.n_neighbors)
                picks.append(pick)
                scores.append(score)
                clusters.append(c)
                candidates[c] = state[c].candidates
                if len(candidates[c]) == 0:
                    alive -= 1
                    del state[c]

        self._log(
            f"typicality: {budget} picks from {len(set(clusters))} clusters "
            f"({n_sampled} of them with sampled typicality) "
            f"in {time.perf_counter() - start:.1f} s"
        )
        self.labels_ = labels
        self.n_clusters_ = n_clusters
        self.query_clusters_ = np.asarray(clusters, dtype=labels.dtype)
        return np.asarray(picks, dtype=np.intp), np.asarray(scores)

    def _cluster_typicality(self, candidates, rng, knn):
        m, d = len(candidates), self.X_fit_.shape[1]
        sampled = self.typicality == "sampled" or (
            self.typicality == "auto" and m * m * d > AUTO_SAMPLED_TYPICALITY_ABOVE
        )
        if sampled:
            return _SampledClusterTypicality(
                self._rows, candidates, knn, self._sq_unit, rng
            )
        return _ClusterTypicality(self._rows, candidates, knn, self._sq_unit)


class _ClusterTypicality:
    """Typicality among the candidates of one cluster, as they get picked.

    The rows are shifted to the candidates' mean (in float64) and rounded once to
    float32, where the matrix-product distances keep their precision. The first
    visit computes, for every candidate, the sum of the squared distances to its
    ``K`` nearest other candidates and the ``K``-th of them. When a point is
    picked, only the candidates that had it within their ``K``-th nearest distance
    lose a neighbour: a later visit finds them with one matrix-vector product and
    recomputes just their rows. When ``K`` itself changes (``m // 2`` below
    ``n_neighbors``), everything is recomputed. The pick is then settled by
    :func:`_most_typical`, on float64 values wherever float32 could decide wrongly.
    """

    def __init__(self, rows, candidates, knn, sq_unit):
        self.rows = rows  # rows(index) -> float64 rows as TypiClust sees them
        self.candidates = candidates  # live candidates, ascending pool indices
        self.knn = knn  # the kernel: knn_sq_dist_stats, or its torch twin
        self.sq_unit = sq_unit  # squared distances of rows() times this: X's units
        self.shift, self.err = _shift_and_error(rows, candidates)
        self.k = None
        self.removed = None  # the point picked last, not yet accounted for

    def _update(self, n_neighbors):
        m = len(self.candidates)
        k = min(n_neighbors, m // 2)
        X = _working_rows(self.rows, self.candidates, self.shift)
        if k != self.k:
            self.k = k
            self.sums, self.kth = self.knn(X, k, center=False)
        elif self.removed is not None:
            y = (self.rows([self.removed])[0] - self.shift).astype(np.float32)
            d_y = row_sq_norms(X) - 2 * (X @ y) + y @ y
            # The picked point may have been among these rows' K nearest: both
            # float32 distances are within err of the true ones.
            stale = np.flatnonzero(d_y <= self.kth + 2 * self.err)
            if len(stale):
                sums, kth = self.knn(X, k, rows=stale, center=False)
                self.sums[stale], self.kth[stale] = sums, kth
        self.removed = None

    def pop_most_typical(self, n_neighbors):
        """Remove the most typical candidate; return it and its typicality."""
        if len(self.candidates) == 1:  # a single candidate: nothing to compare
            only = self.candidates[0]
            self.candidates = self.candidates[1:]
            return only, np.nan
        self._update(n_neighbors)
        rows, candidates, k = self.rows, self.candidates, self.k
        best, score = _most_typical(
            self.sums,
            k,
            self.err,
            self.sq_unit,
            lambda pos: _exact_typicality(rows, candidates, pos, k, self.sq_unit),
        )
        pick = self.candidates[best]
        keep = np.arange(len(self.candidates)) != best
        self.candidates, self.sums, self.kth = (
            self.candidates[keep],
            self.sums[keep],
            self.kth[keep],
        )
        self.removed = pick
        return pick, score


def _shift_and_error(rows, candidates):
    """The mean of the float64 rows of ``candidates``, and the rounding bound of a
    float32 squared distance between rows shifted by it; in blocks of rows, so a
    large cluster is never held in float64 whole."""
    blocks = row_blocks(len(candidates), rows(candidates[:1]).shape[1])
    shift = sum(rows(candidates[b]).sum(axis=0) for b in blocks) / len(candidates)
    radius_sq = 0.0
    for b in blocks:
        block = rows(candidates[b]) - shift
        radius_sq = max(radius_sq, float(np.square(block).sum(axis=1).max()))
    return shift, sq_dist_error(len(shift), np.sqrt(radius_sq))


def _working_rows(rows, candidates, shift):
    """The rows of ``candidates`` shifted by ``shift`` and rounded once to float32,
    made in blocks."""
    out = np.empty((len(candidates), len(shift)), dtype=np.float32)
    for b in row_blocks(*out.shape):
        out[b] = rows(candidates[b]) - shift
    return out


def _typicality_of_sums(sums, k, sq_unit):
    return 1.0 / (sums * (sq_unit / k) + _EPS)


def _most_typical(sums, k, err, sq_unit, exact):
    """Position and typicality of the most typical row, from the float32-based sums
    of the ``k`` nearest squared distances, each distance within ``err``.

    Typicalities within a relative ``1e-5`` of the largest count as tied, and ties
    go to the lowest position: two mutual nearest neighbours have the same
    typicality. The rule is applied to float64 typicalities (from ``exact``) for
    the rows float32 rounding leaves in doubt, so no CPU decides it differently.
    """
    t = _typicality_of_sums(sums, k, sq_unit)
    lower = _typicality_of_sums(sums + k * err, k, sq_unit)
    upper = _typicality_of_sums(np.maximum(sums - k * err, 0), k, sq_unit)
    return argmax_bounded(t, lower, upper, exact, rtol=_TIE_RTOL)


def _exact_knn_sums(rows, candidates, positions, k, ref=None):
    """Float64 sums of the ``k`` smallest squared distances from the candidates at
    ``positions`` to those at ``ref`` (all when None), a candidate never counting as
    its own neighbour; ``rows(index)`` gives the float64 rows."""
    ref = np.arange(len(candidates)) if ref is None else np.asarray(ref)
    positions = np.asarray(positions)
    R = rows(candidates[ref])
    sums = np.empty(len(positions))
    for b in row_blocks(len(positions), len(ref)):
        pos = positions[b]
        D = exact_sq_dists(rows(candidates[pos]), R)
        D[pos[:, None] == ref[None, :]] = np.inf
        near = np.sort(np.partition(D, k - 1, axis=1)[:, :k], axis=1)
        sums[b] = near.sum(axis=1)
    return sums


def _exact_typicality(rows, candidates, positions, k, sq_unit):
    sums = _exact_knn_sums(rows, candidates, positions, k)
    return _typicality_of_sums(sums, k, sq_unit)


class _SampledClusterTypicality:
    """The most typical candidate of a large cluster, found in two passes.

    Pass one estimates every candidate's density from its ``K * s / m`` nearest
    points (at least one) in a random sample of ``s`` candidates, which keeps the
    neighbourhood radius about the same as ``K`` among all ``m``. Pass two computes
    the exact typicality, among all ``m`` candidates, of the ``s`` candidates with
    the densest estimates; the best of them is picked. Each visit starts over on
    the candidates left. Both the shortlist and the pick are settled on float64
    values where float32 rounding leaves them in doubt.
    """

    def __init__(self, rows, candidates, knn, sq_unit, rng):
        self.rows = rows
        self.candidates = candidates
        self.knn = knn
        self.sq_unit = sq_unit
        self.rng = rng
        self.shift, self.err = _shift_and_error(rows, candidates)

    def pop_most_typical(self, n_neighbors):
        """Remove the most typical candidate of the shortlist; return it and its
        exact typicality."""
        m = len(self.candidates)
        if m == 1:
            only = self.candidates[0]
            self.candidates = self.candidates[1:]
            return only, np.nan
        k = min(n_neighbors, m // 2)
        s = min(m, max(TYPICALITY_SAMPLE, m // 10, k + 1))
        rows, candidates, sq_unit = self.rows, self.candidates, self.sq_unit
        X = _working_rows(rows, candidates, self.shift)
        ref = np.sort(self.rng.choice(m, s, replace=False))
        k_ref = min(max(1, round(k * s / m)), s - 1)
        estimate, _ = self.knn(X, k_ref, ref=ref, center=False)
        shortlist = smallest_within(
            estimate,
            k_ref * self.err,
            s,
            lambda pos: _exact_knn_sums(rows, candidates, pos, k_ref, ref=ref),
        )
        self.shortlist = candidates[shortlist]
        sums, _ = self.knn(X, k, rows=shortlist, center=False)
        best, score = _most_typical(
            sums,
            k,
            self.err,
            sq_unit,
            lambda pos: _exact_typicality(rows, candidates, shortlist[pos], k, sq_unit),
        )
        best = shortlist[best]
        pick = self.candidates[best]
        self.candidates = np.delete(self.candidates, best)
        return pick, score
