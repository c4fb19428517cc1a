# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""k-nearest-neighbour graphs of a pool, for the coverage samplers."""

from skactive.neighbors._graph import check_knn_graph, knn_graph

__all__ = ["check_knn_graph", "knn_graph"]
