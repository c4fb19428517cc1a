# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""What the samplers on a neighbour graph share: the pool as they see it, its
graph, and the ``neighbors`` parameter."""

import numpy as np
from scipy import sparse

from skactive._kernels._exact import safe_row_norms
from skactive.base import BaseSampler, SamplerTags
from skactive.neighbors import check_knn_graph, knn_graph
from skactive.samplers._normalize import warn_if_collapsed
from skactive.utils._compat import HasMethods, StrOptions

_NEIGHBORS_OPTIONS = {"auto", "exact", "ivf", "pynndescent", "precomputed"}


def neighbors_constraint():
    """The ``_parameter_constraints`` entry of ``neighbors``."""
    return [StrOptions(_NEIGHBORS_OPTIONS), HasMethods("fit_transform")]


def fit_graph(sampler, X, graph=True):
    """The pool as the coverage samplers see it, and its neighbour graph: the
    rows L2-normalised (when ``sampler.normalize``) in float32, and
    :func:`~skactive.neighbors.knn_graph` of them at ``sampler.n_neighbors``.
    With ``neighbors="precomputed"``, ``X`` is the graph: ``(None, graph)``.
    With ``graph=False``, only the rows."""
    if sampler.neighbors == "precomputed":
        if not sparse.issparse(X):
            raise TypeError(
                'neighbors="precomputed" takes X as a sparse neighbour graph of '
                "shape (n_samples, n_samples) with distances on its edges "
                f"(KNeighborsTransformer's output); got a dense {type(X).__name__}."
            )
        return None, sparse.csr_array(check_knn_graph(X, X.shape[0]))
    X32 = np.asarray(X, dtype=np.float32)
    if sampler.normalize:
        norms = safe_row_norms(X)
        warn_if_collapsed(sampler, X, norms)
        X32 = (X / norms[:, None]).astype(np.float32)
    X32 = np.ascontiguousarray(X32)
    if not graph:
        return X32
    graph = knn_graph(
        X32,
        sampler.n_neighbors,
        algorithm=sampler.neighbors,
        random_state=sampler.random_state,
    )
    return X32, sparse.csr_array(graph)


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
