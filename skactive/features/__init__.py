# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Self-supervised features for the samplers (needs torch, imported lazily).

``pip install 'skactive[torch]'``.
"""

from skactive.features._simclr import SimCLRTransformer

__all__ = ["SimCLRTransformer"]
