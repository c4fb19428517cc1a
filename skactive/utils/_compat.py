# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""The one place that imports private scikit-learn API.

scikit-learn keeps parameter validation (``_fit_context``, ``Interval``...) in private
modules. Importing them here keeps a future move in scikit-learn a one-file fix.
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
    validate_params,
)

__all__ = ["HasMethods", "Interval", "StrOptions", "_fit_context", "validate_params"]
