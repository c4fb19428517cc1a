# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Measure a sampler by the model its picks train: budget curves and scores."""

from skactive.evaluation._budget import budget_curve, score_labeled

__all__ = ["budget_curve", "score_labeled"]
