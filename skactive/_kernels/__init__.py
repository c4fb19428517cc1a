# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Kernels: arrays in, arrays out; no validation, no estimators, no logging.

Each kernel is written once against a backend of :mod:`skactive.backends`.
"""
