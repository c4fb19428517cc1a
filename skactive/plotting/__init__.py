# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Displays of selections and budget curves (needs matplotlib, imported lazily).

``pip install 'skactive[matplotlib]'``.
"""

from skactive.plotting._displays import BudgetCurveDisplay, SelectionDisplay

__all__ = ["BudgetCurveDisplay", "SelectionDisplay"]
