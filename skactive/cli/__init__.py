# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""The ``skactive`` command line.

The commands (``skactive.cli._select``, ``skactive.cli._demo``) are apart from the
reading and writing of files (``skactive.cli._io``); ``skactive.cli._main`` parses the
arguments and dispatches. Only :func:`main` is public.
"""

from skactive.cli._main import main

__all__ = ["main"]
