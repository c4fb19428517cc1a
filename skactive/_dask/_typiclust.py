# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""TypiClust on a dask pool: SampledKMeans trained on rows gathered from the chunks,
the pool assigned chunk by chunk on the workers, and the candidate rows of the
visited clusters gathered in batches of bounded size.

The selection itself is :meth:`TypiClustSampler._select`'s, unchanged: this module
gives it the cluster labels and the rows it reads, nothing else.
"""

import numpy as np
from sklearn.utils import check_random_state

from skactive._dask._pool import condition_dask_pool
from skactive._kernels._exact import safe_row_norms

# What the candidate rows gathered to the client may hold at once (float32 rows and
# their norms): the rows of the clusters about to be visited, in visiting order, up
# to this many bytes, or one cluster's candidates when they alone are more.
_CLIENT_BYTES = 256 * 2**20


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
    return condition_dask_pool(X, sampler, center=not sampler.normalize)


def _assign_block(block, clusterer):
    """Labels of one chunk, as ``SampledKMeans.fit`` labels the rows of a pool."""
    norms = safe_row_norms(block) if clusterer.normalize else None
    return clusterer._assign(block, norms)


def _unit_rows(rows32, normalize):
    """float64 rows, divided by their float64 norm when ``normalize``, and those
    norms (None without ``normalize``), as ``SampledKMeans`` and ``TypiClustSampler``
    make them from float32 rows."""
    rows = rows32.astype(np.float64)
    norms = None
    if normalize:
        norms = safe_row_norms(rows32)
        rows /= norms[:, None]
    return rows, norms


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
    rng = check_random_state(clusterer.random_state)
    rows = clusterer._training_rows(n, rng)
    sample, _ = _unit_rows(pool.take(rows), clusterer.normalize)
    clusterer._train(sample, rng)
    clusterer.n_features_in_ = d
    labels = pool.data.map_blocks(_assign_block, clusterer, drop_axis=1, dtype=np.intp)
    clusterer.labels_ = np.asarray(labels.compute(), dtype=np.intp)
    return clusterer


class CandidateRows:
    """The rows ``TypiClustSampler._select`` reads, gathered from a dask pool.

    ``rows_of(c)`` is the ``rows(pool_indices)`` function of cluster ``c``: the
    float64 rows as TypiClust sees them (normalised if asked). The first call for a
    cluster that is not on the client drops what is and gathers, in one pass, the
    candidates of that cluster and of the clusters the selection visits next (its
    group's round robin from there, then the small clusters after the large ones),
    as long as their float32 rows and norms stay within ``client_bytes``. A pass
    over the pool thus serves many visits, and the passes of a query are about the
    candidates' bytes over ``client_bytes``.

    ``candidates`` is the selection's dict of live candidates per cluster: read
    (never written) to skip clusters that have run out. A cluster's rows are those
    of its candidates when the source was made, so the point it had picked last is
    still there when a visit asks for it.
    """

    def __init__(self, pool, normalize, groups, candidates, client_bytes=_CLIENT_BYTES):
        self.pool = pool
        self.normalize = normalize
        self.groups = [list(group) for group in groups]
        self.live = candidates
        self.members = dict(candidates)
        self.client_bytes = client_bytes
        self.row_bytes = 4 * pool.shape[1] + (8 if normalize else 0)
        self.held = set()
        self.n_passes = 0
        self._index = self._rows32 = self._norms = None

    def rows_of(self, cluster):
        """The ``rows(pool_indices)`` function of ``cluster``."""

        def rows(index):
            if cluster not in self.held:
                self._gather(cluster)
            pos = np.searchsorted(self._index, np.asarray(index, dtype=np.intp))
            out = self._rows32[pos].astype(np.float64)
            if self._norms is not None:
                out /= self._norms[pos, None]
            return out

        return rows

    def _batch(self, cluster):
        """``cluster`` and the clusters visited after it that fit the budget."""
        at = next(i for i, g in enumerate(self.groups) if cluster in g)
        group = self.groups[at]
        start = group.index(cluster)
        following = group[start + 1 :] + group[:start]
        for later in self.groups[at + 1 :]:
            following += later
        batch = [cluster]
        total = len(self.members[cluster]) * self.row_bytes
        for c in following:
            if len(self.live[c]) == 0:
                continue
            size = len(self.members[c]) * self.row_bytes
            if total + size > self.client_bytes:
                break
            batch.append(c)
            total += size
        return batch

    def _gather(self, cluster):
        self._index = self._rows32 = self._norms = None  # drop what is held first
        batch = self._batch(cluster)
        index = np.sort(np.concatenate([self.members[c] for c in batch]))
        self._rows32 = self.pool.take(index)
        self._index = index
        if self.normalize:
            self._norms = safe_row_norms(self._rows32)
        self.held = set(batch)
        self.n_passes += 1
