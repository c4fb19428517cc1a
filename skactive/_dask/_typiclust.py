# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""TypiClust on a dask pool: SampledKMeans trained on rows gathered from the chunks,
the pool assigned chunk by chunk on the workers, and the candidate rows of the
visited clusters staged on the workers a bounded window at a time, then brought to
the client one cluster at a time.

The selection itself is :meth:`TypiClustSampler._select`'s, unchanged: this module
gives it the cluster labels and the rows it reads, nothing else.
"""

import sys
import warnings

import numpy as np
from sklearn.utils import check_random_state

from skactive._dask._pool import condition_dask_pool
from skactive._kernels._exact import safe_row_norms
from skactive.cluster._kmeans import working_exponent

# The candidate rows one pass over the pool stages, in visiting order, when no
# distributed client is the scheduler (they are then staged in this process), or one
# cluster's candidates when they alone are more.
_CLIENT_BYTES = 256 * 2**20
# On a distributed cluster: this fraction of the workers' memory limits in total.
_STAGED_FRACTION = 0.25


def check_typiclust_pool(sampler, X):
    """Check the parameters that a dask pool restricts, and condition it as
    ``TypiClustSampler._fit`` conditions an in-memory pool."""
    if not (isinstance(sampler.clusterer, str) and sampler.clusterer != "reference"):
        raise ValueError(
            f"clusterer={sampler.clusterer!r} is not supported with a dask array "
            "pool: only SampledKMeans trains on a sample of the chunks and assigns "
            "them on the workers; use clusterer='sampled' (what 'auto' means on a "
            "dask pool)."
        )
    if sampler.device is not None:
        raise ValueError(
            f"device={sampler.device!r} is not supported with a dask array pool: "
            "the kernels run in numpy on the dask workers; use device=None."
        )
    return condition_dask_pool(
        X, sampler, center=not sampler.normalize, unit_spread=sampler.normalize
    )


def _assign_block(block, clusterer):
    """Labels of one chunk, as ``SampledKMeans.fit`` labels the rows of a pool."""
    block = np.ascontiguousarray(block)  # as validate_data(order="C") makes it
    block = clusterer._working(block)
    norms = safe_row_norms(block) if clusterer.normalize else None
    return clusterer._assign(block, norms)


def _training_sample(rows32, normalize):
    """The float64 training rows, divided by their norm when ``normalize``, as
    ``SampledKMeans.fit`` makes them from the float32 pool."""
    rows = rows32.astype(np.float64)
    if normalize:
        rows /= safe_row_norms(rows32)[:, None]
    return rows


def fit_sampled_kmeans(clusterer, pool):
    """Fit the :class:`~skactive.cluster.SampledKMeans` ``clusterer`` on the
    conditioned dask ``pool`` as ``clusterer.fit`` fits it on the pool in memory.

    The same random draws in the same order: the training rows, gathered (one
    pass over the chunks that hold them, at most ``samples_per_cluster *
    n_clusters`` rows), then the same seeding and Lloyd iterations on the client.
    The assignment of every row runs on the workers, chunk by chunk; the labels are
    exact (near-ties settled in float64), so chunk boundaries do not change them.
    ``labels_`` (one integer per row) comes to the client.
    """
    n, d = pool.shape
    # The power of two fit finds from the largest magnitude of its input.
    clusterer._exponent = working_exponent(pool.largest_magnitude())
    rng = check_random_state(clusterer.random_state)
    rows = clusterer._training_rows(n, rng)
    sample = _training_sample(clusterer._working(pool.take(rows)), clusterer.normalize)
    clusterer._train(sample, rng)
    clusterer._centers_in_units_of_X()
    clusterer.n_features_in_ = d
    labels = pool.data.map_blocks(_assign_block, clusterer, drop_axis=1, dtype=np.intp)
    clusterer.labels_ = np.asarray(labels.compute(), dtype=np.intp)
    return clusterer


def staging_bytes():
    """Bytes of candidate rows one pass over the pool may stage: a quarter of the
    workers' memory limits in total when a ``distributed`` client is the scheduler
    (256 MiB a worker where a worker has no limit), else 256 MiB (the rows are then
    staged in this process)."""
    if "distributed" not in sys.modules:  # no client can be running
        return _CLIENT_BYTES
    import dask
    import distributed

    try:
        client = distributed.default_client()
    except ValueError:
        return _CLIENT_BYTES
    if getattr(dask.base.get_scheduler(), "__self__", None) is not client:
        return _CLIENT_BYTES  # a client exists, but another scheduler is in use
    workers = client.scheduler_info(n_workers=-1)["workers"].values()
    limits = [w.get("memory_limit") or 0 for w in workers]
    if not limits or not all(limits):
        return _CLIENT_BYTES * max(1, len(limits))
    return max(_CLIENT_BYTES, int(sum(limits) * _STAGED_FRACTION))


class CandidateRows:
    """The rows ``TypiClustSampler._select`` reads, gathered from a dask pool.

    ``rows_of(c)`` is the ``rows(pool_indices)`` function of cluster ``c``: the
    float64 rows as TypiClust sees them (normalised if asked). Rows move in two
    steps:

    - staged: when a visit needs a cluster that is not staged, what is staged is
      dropped and one pass over the pool extracts the candidates of that cluster
      and of the clusters the selection visits next (its group's round robin from
      there, then the small clusters after the large ones), as long as their
      float32 rows stay within ``stage_bytes`` (default :func:`staging_bytes`), and
      persists them where dask computes: in the workers' memory on a distributed
      cluster, in this process otherwise. The passes of a query are thus about the
      candidates' bytes over ``stage_bytes``.
    - held: the client holds one cluster's rows at a time, fetched from the staged
      ones (worker memory, not the pool) at the first visit that needs them.

    ``candidates`` is the selection's dict of live candidates per cluster: read
    (never written) to skip clusters that have run out. A cluster's rows are those
    of its candidates when the source was made, so the point it had picked last is
    still there when a visit asks for it.
    """

    def __init__(self, pool, normalize, groups, candidates, stage_bytes=None):
        self.pool = pool
        self.normalize = normalize
        self.groups = [list(group) for group in groups]
        self.live = candidates
        self.members = dict(candidates)
        self.stage_bytes = staging_bytes() if stage_bytes is None else stage_bytes
        self.row_bytes = 4 * pool.shape[1]
        self.staged = {}
        self.n_passes = 0
        self.held = None
        self._rows32 = self._norms = None

    def rows_of(self, cluster):
        """The ``rows(pool_indices)`` function of ``cluster``."""

        def rows(index):
            if self.held != cluster:
                self._fetch(cluster)
            index = np.asarray(index, dtype=np.intp)
            pos = np.searchsorted(self.members[cluster], index)
            out = self._rows32[pos].astype(np.float64)
            if self._norms is not None:
                out /= self._norms[pos, None]
            return out

        return rows

    def _window(self, cluster):
        """``cluster`` and the clusters visited after it that fit ``stage_bytes``."""
        at = next(i for i, g in enumerate(self.groups) if cluster in g)
        group = self.groups[at]
        start = group.index(cluster)
        following = group[start + 1 :] + group[:start]
        for later in self.groups[at + 1 :]:
            following += later
        window = [cluster]
        total = len(self.members[cluster]) * self.row_bytes
        for c in following:
            if len(self.live[c]) == 0:
                continue
            size = len(self.members[c]) * self.row_bytes
            if total + size > self.stage_bytes:
                break
            window.append(c)
            total += size
        return window

    def _stage(self, cluster):
        import dask

        self.staged = {}  # released on the workers before the next pass
        window = self._window(cluster)
        rows = [self.pool.data[self.members[c]] for c in window]
        with warnings.catch_warnings():
            # The graph holds the staged candidates' row numbers, 8 bytes each (30
            # MiB for 4 million rows): what the stage needs, not data to scatter.
            warnings.filterwarnings("ignore", "Sending large graph", UserWarning)
            self.staged = dict(zip(window, dask.persist(*rows), strict=True))
        self.n_passes += 1

    def _fetch(self, cluster):
        self.held = self._rows32 = self._norms = None  # drop what is held first
        if cluster not in self.staged:
            self._stage(cluster)
        self._rows32 = np.asarray(self.staged[cluster].compute(), dtype=np.float32)
        if self.normalize:
            self._norms = safe_row_norms(self._rows32)
        self.held = cluster
