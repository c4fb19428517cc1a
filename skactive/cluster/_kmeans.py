# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""k-means for large pools: train on a sample, then assign every point."""

import numbers

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import kmeans_plusplus
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from skactive._kernels._exact import (
    EPS32,
    power_of_two_exponent,
    row_blocks,
    row_max_abs,
    safe_row_norms,
    settle_nearest,
    sq_dist_error,
)
from skactive._kernels._pairwise import nearest_sq_dists, row_sq_norms
from skactive.backends import NUMPY, get_backend
from skactive.utils._compat import Interval, StrOptions, _fit_context

# k-means++ seeds on all the training points up to this many.
_SEED_POINTS = 20_000
# fit brings data whose largest magnitude lies outside [2**-_SCALE_EXP, 2**_SCALE_EXP]
# to [0.5, 1) by a power of two (exact) first: float32 squares of 1e20 overflow, and
# those of 1e-30 vanish. Inside, the data is used as it is.
_SCALE_EXP = 32


def working_exponent(largest):
    """The power of two ``fit`` multiplies the data by, from its largest magnitude
    ``largest``: 0 unless that is extreme."""
    return power_of_two_exponent(largest, _SCALE_EXP)


class SampledKMeans(ClusterMixin, BaseEstimator):
    """K-means trained on a uniform sample of the data, then applied to all of it.

    Large pools need few points per centroid to place the centroids well: this
    estimator draws ``samples_per_cluster * n_clusters`` points, seeds k-means++ on
    them (on 20,000 of them, or 16 per centroid where that is more, when there are
    more), runs Lloyd's iterations on the sample (stopping as
    scikit-learn's ``KMeans`` does: no label changes, or the centroids move less
    than ``1e-4`` of the features' mean variance), and assigns every point to its
    nearest centroid in blocks of float32 distances. The cost of training then does
    not grow with the pool, and the assignment is one pass of matrix products over
    it. With fewer points than the sample size, it is k-means on all of them.

    Lloyd's iterations on the sample and the final assignment compute distances in
    float32; a point whose two nearest centroids are within the float32 rounding
    bound of each other is assigned by a computation whose sign is proved, or in
    float64 (ties to the lowest index), and the means are float64 sums in a fixed
    order, so neither the centroids nor the labels depend on the CPU or the BLAS
    kernel. An empty cluster keeps its centroid.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    samples_per_cluster : int, default=256
        Training points drawn per centroid.
    n_init : "auto" or int, default="auto"
        Runs from different seedings; the one of lowest inertia on the sample is
        kept. ``"auto"``: 10 up to 50 clusters, where runs are cheap and vary most,
        else 1 (the authors' reference k-means also restarts 10 times up to 50).
    max_iter : int, default=20
        Lloyd iterations on the sample at most, per run.
    normalize : bool, default=False
        Cluster the rows of ``X`` divided by their L2 norm (zero rows stay zero),
        as :func:`sklearn.preprocessing.normalize` would make them, without making
        that copy of ``X``: only the training sample and one block of rows at a
        time are divided. :meth:`predict` divides its rows the same way, and
        ``cluster_centers_`` are in the normalised space.
    device : str or None, default=None
        Where the assignment of every row to its centroid runs. ``None``: numpy,
        and torch is never imported. A torch device (``"cuda"``, ``"mps"``,
        ``"cpu"``): the same blocked kernel in torch, near-ties settled in float64
        on the CPU, so the labels are those of the numpy path. The training on the
        sample stays in numpy.
    random_state : int, RandomState instance or None, default=None
        Seeds the sample, the k-means++ seeding and the k-means.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features), dtype=float64
        The centroids.
    labels_ : ndarray of shape (n_samples,)
        Nearest centroid of each training point.
    n_training_samples_ : int
        Points the centroids were trained on.
    inertia_ : float
        Sum of squared distances from the training points to their centroids, in
        float64.
    n_iter_ : int
        Lloyd iterations of the kept run.
    n_features_in_ : int
        Number of features seen during :meth:`fit`.

    See Also
    --------
    sklearn.cluster.KMeans : K-means on every point.
    sklearn.cluster.MiniBatchKMeans : K-means on a stream of small batches.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from skactive.cluster import SampledKMeans
    >>> from sklearn.metrics import adjusted_rand_score
    >>> centers = [[0, 0], [10, 0], [0, 10]]
    >>> X, y = make_blobs(n_samples=5000, centers=centers, random_state=0)
    >>> km = SampledKMeans(n_clusters=3, samples_per_cluster=100, random_state=0)
    >>> km.fit(X).n_training_samples_
    300
    >>> float(adjusted_rand_score(y, km.labels_))  # the blobs, found from 300 points
    1.0
    """

    _parameter_constraints: dict = {
        "n_clusters": [Interval(numbers.Integral, 1, None, closed="left")],
        "samples_per_cluster": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_init": [
            StrOptions({"auto"}),
            Interval(numbers.Integral, 1, None, closed="left"),
        ],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "normalize": ["boolean"],
        "device": [str, None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        samples_per_cluster=256,
        n_init="auto",
        max_iter=20,
        normalize=False,
        device=None,
        random_state=None,
    ):
        self.n_clusters = n_clusters
        self.samples_per_cluster = samples_per_cluster
        self.n_init = n_init
        self.max_iter = max_iter
        self.normalize = normalize
        self.device = device
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the centroids on a sample of ``X`` and label every row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; float32 and float64 are kept as they are, other types
            converted to float64.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        X = validate_data(self, X, dtype=(np.float64, np.float32), order="C")
        backend = get_backend(self.device, type(self).__name__)
        # Extreme magnitudes: the rows times a power of two, centroids and inertia
        # brought back to X's units after the training.
        self._exponent = working_exponent(row_max_abs(X).max(initial=0.0))
        X = self._working(X)
        norms = safe_row_norms(X) if self.normalize else None
        rng = check_random_state(self.random_state)
        rows = self._training_rows(X.shape[0], rng)
        # The training runs in float64: it is small, and float32 Lloyd iterations
        # assign near-tied points differently on different CPUs.
        sample = X[rows].astype(np.float64)
        if norms is not None:
            sample /= norms[rows, None]
        self._train(sample, rng)
        self._centers_in_units_of_X()
        self.labels_ = self._assign(X, norms, backend)
        return self

    def _centers_in_units_of_X(self):
        """Bring the centroids and the inertia trained on the working rows back to
        ``X``'s units (normalised rows have none to bring back)."""
        if self._exponent and not self.normalize:
            self.cluster_centers_ = np.ldexp(self.cluster_centers_, -self._exponent)
            self.inertia_ = float(np.ldexp(self.inertia_, -2 * self._exponent))

    def _working(self, X):
        """``X`` times the power of two of the fit (``X`` itself when none)."""
        if self._exponent == 0:
            return X
        return np.ldexp(X, self._exponent).astype(X.dtype, copy=False)

    def _training_rows(self, n, rng):
        """The ascending rows of a pool of ``n`` the centroids are trained on (all
        of them when the sample would be the pool), drawn with ``rng``."""
        if n < self.n_clusters:
            raise ValueError(
                f"n_samples={n} should be >= n_clusters={self.n_clusters}."
            )
        n_train = min(n, self.samples_per_cluster * self.n_clusters)
        if n_train < n:
            return np.sort(rng.choice(n, n_train, replace=False))
        return np.arange(n)

    def _train(self, sample, rng):
        """k-means++ seedings and Lloyd's iterations on the float64 ``sample``
        (normalised already when asked), the best of ``n_init`` runs; sets the
        fitted attributes but ``labels_``."""
        n_train = len(sample)
        # k-means++ costs n_clusters passes over its input: seed it on at most
        # _SEED_POINTS points, or 16 per centroid where that is more. (Seeding on 16
        # per centroid cost accuracy on small pools: benchmarks/README.md.)
        n_seed = min(n_train, max(16 * self.n_clusters, _SEED_POINTS))
        n_init = self.n_init
        if n_init == "auto":
            n_init = 10 if self.n_clusters <= 50 else 1
        best = None
        for _ in range(n_init):
            seed_set = sample
            if n_seed < n_train:
                seed_set = sample[np.sort(rng.choice(n_train, n_seed, replace=False))]
            init, _ = kmeans_plusplus(seed_set, self.n_clusters, random_state=rng)
            run = _lloyd(sample, init, self.max_iter)
            if best is None or run[1] < best[1]:  # equal inertia: the first run
                best = run
        self.cluster_centers_, self.inertia_, self.n_iter_ = best
        self.n_training_samples_ = n_train

    def _assign(self, X, norms=None, backend=NUMPY):
        """Nearest centroid of each row of ``X`` (divided by ``norms`` if given),
        ``X`` in the units of the fit's working rows (:meth:`_working`).

        The distances are float32, on rows and centroids shifted by the centroids'
        mean (so the matrix-product form keeps its precision); a row whose two
        nearest centroids are within the rounding bound of each other is assigned
        again in float64, so the labels are the same on every CPU.
        """
        centers = self.cluster_centers_
        if self._exponent and not self.normalize:
            centers = np.ldexp(centers, self._exponent)  # in the units of X here
        shift = centers.mean(axis=0)
        C = (centers - shift).astype(np.float32)
        norms32 = None if norms is None else norms.astype(np.float32)
        labels, best, runners = nearest_sq_dists(
            X,
            C,
            norms=norms32,
            offset=shift.astype(np.float32),
            return_runners=True,
            backend=backend,
        )
        radius = max(np.sqrt(runners[3]), np.sqrt(float(row_sq_norms(C).max())))
        raw = radius + float(np.sqrt(shift @ shift))  # |x| <= |x - shift| + |shift|
        err = sq_dist_error(X.shape[1], radius, raw=raw)

        def exact_rows(positions):
            rows = X[positions].astype(np.float64)
            return rows if norms is None else rows / norms[positions, None]

        shift32 = shift.astype(np.float32)

        def working(positions):  # the rows as the float32 kernel made them
            rows = X[positions]
            if norms32 is not None:
                rows = rows / norms32[positions, None]
            return (rows - shift32).astype(np.float32), 16 * EPS32 * raw

        return settle_nearest(
            labels, best, runners, err, exact_rows, centers, working, shift
        )

    def predict(self, X):
        """Index of the nearest centroid of each row of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to label, with the features seen in :meth:`fit` (normalised
            first when ``normalize=True``).

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Index of the nearest row of ``cluster_centers_``, ties to the lowest.
        """
        check_is_fitted(self)
        X = validate_data(
            self, X, dtype=(np.float64, np.float32), order="C", reset=False
        )
        X = self._working(X)
        norms = safe_row_norms(X) if self.normalize else None
        return self._assign(X, norms, get_backend(self.device, type(self).__name__))


def _lloyd(sample, init, max_iter, tol=1e-4, bounds=True):
    """Lloyd's iterations on the float64 ``sample`` from the centroids ``init``.

    Each assignment is float32 distances on the sample shifted by its mean, with
    the rows whose two nearest centroids are within the rounding bound assigned
    again in float64 (so no CPU assigns a point differently); each update is a
    float64 mean, summed in a fixed order; an empty cluster keeps its centroid. It
    stops when no label changes, when the centroids move by at most ``tol`` times
    the mean variance of the features (scikit-learn's rule), or after
    ``max_iter`` updates. Returns ``(centers, inertia, n_iter)``; the inertia is
    the float64 sum of squared distances to the nearest centroid.

    With ``bounds`` (Hamerly's algorithm), each row keeps an upper bound on its
    distance to its centroid and a lower bound on its distance to every other,
    both proved from the rounding bound of the float32 distances and moved by how
    far the centroids move; a row whose upper bound stays below its lower bound
    keeps its centroid without any distance computed. The labels, hence the
    centroids, are those of the plain iterations.
    """
    n, d = sample.shape
    blocks = row_blocks(n, d)
    shift = sample.mean(axis=0)
    S = np.empty((n, d), dtype=np.float32)
    variance = np.zeros(d)
    for rows in blocks:
        block = sample[rows] - shift
        S[rows] = block
        variance += np.square(block).sum(axis=0)
    threshold = tol * float(np.mean(variance / n))
    S_sq = row_sq_norms(S)
    radius = np.sqrt(float(S_sq.max()))
    upper = np.full(n, np.inf)  # >= the distance to the row's centroid
    lower = np.zeros(n)  # <= the distance to every other centroid

    def assign(centers, labels=None):
        C = (centers - shift).astype(np.float32)
        r = max(radius, np.sqrt(float(row_sq_norms(C).max())))
        err = sq_dist_error(d, r)
        rows = slice(None)
        if labels is not None:
            rows = np.flatnonzero(upper >= lower)
            # Hamerly's second test: the distance to the row's own centroid, in
            # float64 (a margin for its rounding), for its upper bound; in blocks.
            for b in row_blocks(len(rows), d):
                own = sample[rows[b]] - centers[labels[rows[b]]]
                own_sq = np.einsum("ij,ij->i", own, own)
                upper[rows[b]] = np.sqrt(own_sq) * (1 + 1e-12)
            rows = rows[upper[rows] >= lower[rows]]
            if 2 * len(rows) > n:  # most rows: one pass in order is cheaper
                rows = slice(None)
        new = np.empty(n, dtype=np.intp) if labels is None else labels.copy()
        S_r, S_sq_r = S[rows], S_sq[rows]
        at = np.arange(n)[rows]  # pool positions of the rows computed
        # The third nearest matters only where the first two are in doubt.
        nearest, best, runners = nearest_sq_dists(
            S_r, C, S_sq_r, return_runners=True, third_within=4 * err
        )
        second = runners[1]
        new[rows] = settle_nearest(
            nearest,
            best,
            runners,
            err,
            lambda p: sample[at[p]],
            centers,
            lambda p: (S_r[p], 2 * EPS32 * float(np.sqrt(S_sq_r[p].max()))),
            shift,
        )
        # The true squared distances are within err of the float32 ones; a row in
        # doubt (which settle_nearest may have moved) gets no bounds.
        sure = second - best > 2 * err
        upper[rows] = np.where(sure, np.sqrt(best + err), np.inf)
        lower[rows] = np.where(sure, np.sqrt(np.maximum(second - err, 0)), 0.0)
        return new

    def move_bounds(labels, old, new):
        step = np.sqrt(np.square(new - old).sum(axis=1))
        step = step * (1 + 1e-9) + 1e-300  # the float64 rounding of the steps
        order = np.argsort(step)
        top, runner_up = step[order[-1]], step[order[-2]] if len(step) > 1 else 0.0
        upper[:] += step[labels]
        lower[:] -= np.where(labels == order[-1], runner_up, top)

    centers = np.array(init, dtype=np.float64)
    labels = assign(centers)
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        counts = np.bincount(labels, minlength=len(centers))
        members = sparse.csr_matrix(
            (np.ones(n), (labels, np.arange(n))), shape=(len(centers), n)
        )
        sums = members @ sample  # row by row, in index order: the same everywhere
        moved = centers.copy()
        full = counts > 0
        moved[full] = sums[full] / counts[full, None]
        shift_sq = float(np.square(moved - centers).sum())
        if bounds:
            move_bounds(labels, centers, moved)
        else:
            upper[:], lower[:] = np.inf, 0.0
        centers = moved
        new = assign(centers, labels)
        if np.array_equal(new, labels) or shift_sq <= threshold:
            labels = new
            break
        labels = new
    inertia = 0.0
    for rows in blocks:
        inertia += float(np.square(sample[rows] - centers[labels[rows]]).sum())
    return centers, inertia, n_iter
