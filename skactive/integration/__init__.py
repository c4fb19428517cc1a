# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Integrations with other libraries; each submodule imports its library itself.

- :mod:`skactive.integration.modal`: samplers as modAL query strategies
  (``pip install 'skactive[modal-python]'``).
"""
