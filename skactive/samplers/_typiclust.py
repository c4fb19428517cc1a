# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""TypiClust (Hacohen, Dekel and Weinshall, ICML 2022): typical points of large
clusters that hold few labels."""

import numbers
import time
import warnings

import numpy as np
from sklearn import config_context
from sklearn.base import clone
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.utils.validation import check_array

from skactive._dask import is_dask_array
from skactive._dask._typiclust import (
    CandidateRows,
    check_typiclust_pool,
    fit_sampled_kmeans,
)
from skactive._kernels._exact import condition_pool, row_blocks, safe_row_norms
from skactive._kernels._pairwise import mean_knn_sq_dist
from skactive._kernels._typicality import (
    EPS,
    ClusterTypicality,
    SampledClusterTypicality,
)
from skactive.backends import get_backend
from skactive.base import BaseSampler, SamplerTags
from skactive.cluster import SampledKMeans
from skactive.samplers._graph import CENTER_ABOVE
from skactive.samplers._normalize import warn_if_collapsed
from skactive.utils._compat import HasMethods, Interval, StrOptions, validate_params
from skactive.utils._parallel import limit_threads
from skactive.utils._validation import check_instances

# clusterer="auto" switches from the authors' k-means to SampledKMeans above this
# many points, and the authors' k-means gets float64 rows up to it.
_AUTO_SAMPLED_ABOVE = 50_000
# typicality="auto" switches from exact to sampled typicality in a cluster of m
# candidates of d features when exact typicality, m * m * d multiply-adds, would cost
# more than this (measured: about a third of a second on one core)...
_AUTO_SAMPLED_TYPICALITY_ABOVE = 16e9
# ... and, on pools of more than _AUTO_SAMPLED_ABOVE points, in every cluster of more
# than this many candidates (where sampling costs a fifth of exact typicality).
_AUTO_SAMPLED_CLUSTER_ABOVE = 1000


def _typicality(X, n_neighbors):
    # Before the one rounding to float32: a large offset is taken off in float64
    # (rounded first, X + 1e5 keeps 1e-2 of its unit differences), and an extreme
    # scale is brought back by a power of two (exact), its square taken out again
    # in float64 (beyond about 1e19 the squares overflow float32, below 1e-19 they
    # vanish). Other pools are rounded as they are. The offset rule is the coverage
    # samplers' (skactive.samplers._graph.CENTER_ABOVE).
    Xw, _, exponent, _ = condition_pool(X, center=CENTER_ABOVE)
    mean_sq, two = mean_knn_sq_dist(Xw, n_neighbors), 2 * exponent
    if exponent < 0:
        # A large pool: 1 / (m 2**-two + EPS) = 2**two / (m + EPS 2**two), the same
        # bits where both are normal floats, and no overflow of m 2**-two beyond
        # about 1e154 (the values are then subnormal, 0 beyond about 1e162).
        return np.ldexp(1.0 / (mean_sq + np.ldexp(EPS, two)), two)
    return 1.0 / (np.ldexp(mean_sq, -two) + EPS)


@validate_params(
    {
        "X": ["array-like"],
        "n_neighbors": [Interval(numbers.Integral, 1, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def typicality(X, n_neighbors=20):
    """Typicality of each point, the inverse mean squared distance to its neighbours.

    ``typicality(x) = 1 / (mean of ||x - y||^2 over the n_neighbors nearest other
    points y + 1e-5)``. Dense regions give high typicality, outliers low. The
    squared distance and the ``1e-5`` follow the authors' code (the paper writes the
    plain distance). Computed exactly, in blocks of rows, without an n x n matrix.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Features, used as given (normalise them first if wanted). Computed in
        float32, after centring in float64 when the mean is more than 32 times
        the spread and a power-of-two rescaling when the magnitudes are extreme
        (outside about ``[1e-6, 1e6]``), so any finite offset and scale work.
    n_neighbors : int, default=20
        Number of nearest other points to average over; below ``n_samples``.

    Returns
    -------
    typicality : ndarray of shape (n_samples,), dtype=float64
        The typicality of each row of ``X``; larger is denser.

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
    X = check_array(X, dtype=(np.float32, np.float64), order="C", ensure_min_samples=2)
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
        below ``1e-2``). With ``True``, fit warns when the normalised rows nearly
        all point one way (rows sharing an offset much larger than their spread:
        centre or standardise them first).
    typicality : {"auto", "exact", "sampled"}, default="auto"
        How typicality is computed in a picked cluster of ``m`` candidates.

        - ``"exact"``: the definition, ``m^2 d`` arithmetic.
        - ``"sampled"``: a two-pass search for the most typical point. Every
          candidate's density is estimated from its nearest points in a random
          sample of ``s = min(typicality_sample_size, m // 10)`` candidates
          (``K * s / m`` of them, at least one); the ``s`` candidates of highest
          estimate then get their exact typicality among all ``m``, and the best
          of them is picked. About ``2 s m d`` arithmetic instead of ``m^2 d``:
          a fifth of it up to ``m = 10 * typicality_sample_size``, and linear in
          ``m`` beyond. It picks the exact method's point unless that point falls
          outside the shortlist; its score is always the exact typicality of the
          point it picks.
        - ``"auto"``: on pools of up to 50,000 points, sampled where exact
          typicality would cost more than ``1.6e10`` multiply-adds (``m^2 d``:
          clusters of more than 5,590 candidates at ``d = 512``, 15,811 at
          ``d = 64``), exact elsewhere; on larger pools (where ``clusterer="auto"``
          leaves the authors' k-means too), sampled in every cluster of more than
          1,000 candidates. Times and accuracy: :ref:`the user guide <scale>`.
    typicality_sample_size : int, default=1024
        The largest size ``s`` of the sample and of the shortlist of sampled
        typicality (see above); ``0`` samples 10 % of every cluster, however
        large.
    clusterer : {"auto", "reference", "sampled"} or estimator, default="auto"
        How to cluster.

        - ``"reference"``: the authors' choice, ``KMeans(n_init=10)`` up to 50
          clusters, ``MiniBatchKMeans(batch_size=5000, n_init=3)`` above.
        - ``"sampled"``: :class:`~skactive.cluster.SampledKMeans`, k-means trained on
          256 points per cluster, then every point assigned to its nearest
          centroid; its cost hardly grows with the pool.
        - ``"auto"``: ``"reference"`` for pools of up to 50,000 points (CIFAR-10's
          size, where the published numbers come from), ``"sampled"`` above and
          on a dask array pool, whatever its size.
        - An estimator with an ``n_clusters`` parameter and a ``labels_`` attribute
          after fit: cloned at each query, its ``n_clusters`` set as in step 1 and
          its ``random_state`` (if any) set from this sampler's ``random_state``.

        A dask array pool supports ``"auto"`` and ``"sampled"`` only (a
        ``ValueError`` otherwise).
    device : str or None, default=None
        Where the distance kernels run (the assignment of every point to a
        centroid with :class:`~skactive.cluster.SampledKMeans`, and typicality).
        ``None``: numpy on the CPU, and torch is never imported. ``"auto"``:
        torch on a GPU it finds (CUDA, else MPS), else numpy. A torch device
        (``"cuda"``, ``"cuda:1"``, ``"mps"``, ``"cpu"``): the same kernels in torch
        on it, with the same formulas and tie rules, so the picks agree with the
        CPU path but for float32 near-ties. The authors' k-means and the
        training of ``SampledKMeans`` on its sample stay on the CPU. A dask
        array pool needs ``None`` (numpy on the workers).
    n_jobs : int or None, default=None
        CPU threads during a query (k-means, distances: BLAS and OpenMP).
        ``None`` means 1 unless in a :func:`joblib.parallel_config` context;
        ``-1`` means all cores.
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
        When ``X`` is a ``dask.array.Array``, the same float32 pool as a lazy dask
        array, made chunk by chunk on the workers.
    n_samples_fit_ : int
        Number of points in the fitted pool.
    n_features_in_ : int
        Number of features seen during :meth:`fit`.
    labels_ : ndarray of shape (n_samples,)
        Deprecated (removed in 0.2): the cluster of each pool point in the last
        query; use ``query_details(...).cluster_labels``.
    n_clusters_ : int
        Deprecated (removed in 0.2): use ``query_details(...).n_clusters``.
    query_clusters_ : ndarray of shape (budget,)
        Deprecated (removed in 0.2): use ``query_details(...).pick_clusters``.

    See Also
    --------
    typicality : The density score used inside each cluster.
    CoresetSampler : Better at high budgets.

    Notes
    -----
    The score of a pick (``query(..., return_scores=True)``) is its typicality
    among the candidates of its cluster at the time (NaN when it was the only
    candidate left). :meth:`query_details` also returns ``pick_clusters`` (the
    cluster each pick came from), ``cluster_labels`` (the cluster of every pool
    point) and ``n_clusters`` (the number of clusters asked of the clusterer).

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

    A ``dask.array.Array`` pool (see :ref:`larger-than-memory`) stays on the dask
    workers and gives the picks, scores and clusters of the in-memory pool with
    ``clusterer="sampled"`` and the same ``random_state``: ``fit`` makes one pass
    over the chunks (finiteness and the conditioning's statistics; a second one
    with ``normalize=False``, for the mean squared norm). A query gathers the
    k-means training rows (at most 256 per cluster), assigns every row on the
    workers and brings the cluster labels (one integer per row) to the client.
    Then each pass over the pool stages, on the workers, the candidates of the
    clusters visited next, in visiting order, up to a quarter of the workers'
    memory (256 MiB in this process without a distributed client; one cluster's
    candidates when they alone are more), and the client fetches one cluster's
    candidates at a time from there. With ``normalize=False`` the column means
    are summed chunk by chunk, which can move them by a float64 ulp, and an
    element of the float32 pool by one float32 ulp where it lies that close to a
    rounding boundary.

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
        "typicality_sample_size": [Interval(numbers.Integral, 0, None, closed="left")],
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
        typicality_sample_size=1024,
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
        self.typicality_sample_size = typicality_sample_size
        self.clusterer = clusterer

    def _fit(self, X):
        check_instances(self, ("clusterer",))
        if not isinstance(self.clusterer, str) and "n_clusters" not in (
            self.clusterer.get_params()
        ):
            raise ValueError(
                f"clusterer={self.clusterer!r} has no n_clusters parameter; "
                "TypiClust sets the number of clusters at each query."
            )
        self._norms = None
        self._sq_unit = 1.0
        if is_dask_array(X):
            # The pool stays on the workers; rows are normalised as they are read.
            self._pool = check_typiclust_pool(self, X)
            self.X_fit_, exponent = self._pool.data, self._pool.exponent
            if self.normalize:
                warn_if_collapsed(self, None, None, spread=self._pool.unit_spread)

            def mean_sq_norm():  # one more pass, for normalize=False only
                return float(self._pool.sq_norms().mean().compute())

        else:
            self._pool = None
            # Normalised rows do not depend on the offset or scale of X: only an
            # extreme scale is brought back (exactly, by a power of two).
            self.X_fit_, _, exponent, sq_norms = condition_pool(
                X, center=not self.normalize
            )
            if self.normalize:
                # As sklearn.preprocessing.normalize does: zero rows stay zero.
                self._norms = safe_row_norms(self.X_fit_)
                warn_if_collapsed(self, self.X_fit_, self._norms)

            def mean_sq_norm():
                return float(sq_norms.mean())

        if not self.normalize:
            self._sq_unit = 4.0**-exponent  # squared distances back in X's units
            # The pool is centred: its mean squared norm is its total variance.
            spread = 2 * mean_sq_norm() * self._sq_unit
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
            small = self.n_samples_fit_ <= _AUTO_SAMPLED_ABOVE
            kind = "reference" if small and self._pool is None else "sampled"
        if kind == "sampled":
            return SampledKMeans(
                n_clusters,
                normalize=self.normalize,
                device=self.device,
                random_state=seed,
            )
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

    def __sampler_tags__(self):
        return SamplerTags(devices=("cpu", "torch"), dask=True)

    def _query(self, mask, budget, rng, y):
        with limit_threads(self.n_jobs):
            return self._select(mask, budget, rng)

    def _select(self, mask, budget, rng):
        X = self.X_fit_
        backend = get_backend(self.device, type(self).__name__)
        n_clusters = min(int(np.count_nonzero(mask)) + budget, self.max_clusters)
        seed = rng.randint(np.iinfo(np.int32).max)
        start = time.perf_counter()
        clusterer = self._make_clusterer(n_clusters, seed)
        if self._pool is not None:
            fit_sampled_kmeans(clusterer, self._pool)
        elif isinstance(clusterer, SampledKMeans):
            # It divides the rows by their norms itself, a block at a time; the
            # pool was checked at fit.
            with config_context(assume_finite=True):
                clusterer.fit(X)
        elif len(X) <= _AUTO_SAMPLED_ABOVE:
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
        rows_of = self._row_source((order[large], order[~large]), candidates)
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
                    state[c] = self._cluster_typicality(
                        candidates[c], rng, backend, rows_of(c)
                    )
                    n_sampled += isinstance(state[c], SampledClusterTypicality)
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
        details = {
            "pick_clusters": np.asarray(clusters, dtype=labels.dtype),
            "cluster_labels": labels,
            "n_clusters": n_clusters,
        }
        return np.asarray(picks, dtype=np.intp), np.asarray(scores), details

    @property
    def labels_(self):
        """Deprecated: use ``query_details(...).cluster_labels``."""
        return self._deprecated_last(
            "labels_", "cluster_labels", "query_details(...).cluster_labels"
        )

    @property
    def n_clusters_(self):
        """Deprecated: use ``query_details(...).n_clusters``."""
        return self._deprecated_last(
            "n_clusters_", "n_clusters", "query_details(...).n_clusters"
        )

    @property
    def query_clusters_(self):
        """Deprecated: use ``query_details(...).pick_clusters``."""
        return self._deprecated_last(
            "query_clusters_", "pick_clusters", "query_details(...).pick_clusters"
        )

    def _row_source(self, groups, candidates):
        """``rows_of(cluster)``: the ``rows(pool_indices)`` function typicality
        reads a cluster's rows with. In memory, :meth:`_rows`; on a dask pool, the
        candidates of the clusters visited next, gathered in batches of bounded
        size (``groups``: the clusters in visiting order)."""
        if self._pool is None:
            return lambda cluster: self._rows
        return CandidateRows(self._pool, self.normalize, groups, candidates).rows_of

    def _cluster_typicality(self, candidates, rng, backend, rows=None):
        rows = self._rows if rows is None else rows
        if _samples_typicality(self.typicality, len(candidates), *self.X_fit_.shape):
            return SampledClusterTypicality(
                rows,
                candidates,
                self._sq_unit,
                rng,
                backend,
                sample_size=self.typicality_sample_size,
            )
        return ClusterTypicality(rows, candidates, self._sq_unit, backend)


def _samples_typicality(kind, m, n, d):
    """Whether ``typicality=kind`` samples in a cluster of ``m`` candidates, in a
    pool of ``n`` points of ``d`` features."""
    if kind != "auto":
        return kind == "sampled"
    if n > _AUTO_SAMPLED_ABOVE:
        return m > _AUTO_SAMPLED_CLUSTER_ABOVE
    return m * m * d > _AUTO_SAMPLED_TYPICALITY_ABOVE
