# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""What the samplers on a neighbour graph share: the pool as they see it, its
graph, and the ``neighbors`` parameter."""

import numpy as np
from scipy import sparse

from skactive._kernels._exact import condition_pool, row_blocks, unit_rows
from skactive.base import BaseSampler, SamplerTags
from skactive.neighbors import check_knn_graph, knn_graph
from skactive.samplers._normalize import warn_if_collapsed
from skactive.utils._compat import HasMethods, StrOptions

_NEIGHBORS_OPTIONS = {"auto", "exact", "ivf", "pynndescent", "precomputed"}
# With normalize=False the pool is centred (in float64, before the rounding to
# float32) when its mean is more than this many times its spread: then float32
# would keep less than 1/32 of its precision for the differences between rows. A
# pool closer to the origin is rounded as it is, its picks unchanged to the bit.
CENTER_ABOVE = 32.0


def neighbors_constraint():
    """The ``_parameter_constraints`` entry of ``neighbors``."""
    return [StrOptions(_NEIGHBORS_OPTIONS), HasMethods("fit_transform")]


def fit_graph(sampler, X, graph=True):
    """The pool as the coverage samplers compute on it, and its neighbour graph.

    Returns ``(rows, graph, scale)``. ``rows``: float32, the rows L2-normalised
    (when ``sampler.normalize``), else ``X`` as
    :func:`~skactive._kernels._exact.condition_pool` makes it: centred in float64,
    before the rounding to float32, when its mean is more than 32 times its
    spread, and multiplied by ``scale``, a power of two, when its
    magnitudes are extreme, so that the float32 kernels neither cancel, nor
    underflow, nor overflow. A distance between ``rows`` is ``scale`` times the
    distance in ``X`` (1 when normalised). ``graph``:
    :func:`~skactive.neighbors.knn_graph` of ``rows`` at ``sampler.n_neighbors``
    (distances between ``rows``; None with ``graph=False``). With
    ``neighbors="precomputed"``, ``X`` is the graph: ``(None, graph, 1.0)``.
    """
    if sampler.neighbors == "precomputed":
        if not sparse.issparse(X):
            raise TypeError(
                'neighbors="precomputed" takes X as a sparse neighbour graph of '
                "shape (n_samples, n_samples) with distances on its edges "
                f"(KNeighborsTransformer's output); got a dense {type(X).__name__}."
            )
        return None, sparse.csr_array(check_knn_graph(X, X.shape[0])), 1.0
    scale = 1.0
    if sampler.normalize:
        warn_if_collapsed(sampler, X)
        X32 = np.empty(X.shape, dtype=np.float32)
        for rows in row_blocks(*X.shape):  # at any finite scale (see unit_rows)
            X32[rows] = unit_rows(X[rows])
    else:
        X32, _, exponent, _ = condition_pool(X, center=CENTER_ABOVE)
        scale = 2.0**exponent
    X32 = np.ascontiguousarray(X32)
    if not graph:
        return X32, None, scale
    graph = knn_graph(
        X32,
        sampler.n_neighbors,
        algorithm=sampler.neighbors,
        random_state=sampler.random_state,
    )
    return X32, sparse.csr_array(graph), scale


def in_units_of_X(graph, scale):
    """``graph`` (distances between the rows of :func:`fit_graph`) with its
    distances divided by ``scale``: in ``X``'s units (float64, exact); ``graph``
    itself when ``scale`` is 1."""
    if scale == 1.0:
        return graph
    out = graph.copy()
    out.data = out.data.astype(np.float64) / scale
    return out


def graph_reach(graph):
    """Each row's largest stored distance (its farthest neighbour), and whether the
    row holds the whole pool (then nothing lies beyond it)."""
    counts = np.diff(graph.indptr)
    last = graph.data[np.maximum(graph.indptr[1:] - 1, 0)]
    return np.where(counts > 0, last, 0.0), counts >= graph.shape[0]


class GraphSampler(BaseSampler):
    """Base of the samplers that read a neighbour graph: their picks are a
    deterministic greedy (prefix-stable), and with ``neighbors="precomputed"``
    ``fit`` takes the graph instead of the features."""

    def __sampler_tags__(self):
        return SamplerTags(prefix_stable=True)

    def _fits_a_graph(self):
        return self.neighbors == "precomputed"
