# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Clustering for large pools."""

from skactive.cluster._kmeans import SampledKMeans

__all__ = ["SampledKMeans"]
