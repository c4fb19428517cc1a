# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Utilities for users and for authors of samplers: discovery and contract checks."""

from skactive.utils.discovery import all_samplers

__all__ = ["all_samplers"]
