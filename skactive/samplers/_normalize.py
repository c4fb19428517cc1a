# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""The check that L2-normalising the pool (``normalize=True``, the default of
TypiClust, ProbCover and the herdings) left something to select on.

Rows that share an offset much larger than their spread (prices, years,
timestamps) all point the same way: divided by their norms they collapse onto
nearly one point of the unit sphere, and what told them apart is lost. TypiClust's
typicalities then differ by less than its tie band and the picks follow the row
order; the kernels of ProbCover and the herdings see one blob. Nothing in the
float arithmetic can restore it (the directions themselves are nearly equal), so
``fit`` says what to do instead.

The measure is the mean squared distance between two normalised rows,
``2 mean ||u_i - mean(u)||^2``: 2 for rows spread over every direction, 0 for rows
that all point one way. On ordinary pools it is far above the threshold: 0.62 on
digits, 1.2 on MNIST, 1.5 for the median of 1,800 ``make_blobs`` pools and 0.017
for the smallest, 0.0066 on raw wine (one column dominates). Rows sharing an
offset ``c`` times their standard deviation (per feature) give about ``2 / c^2``:
the warning fires from ``c`` of about 110 to 140 (an offset of 197 on
``make_blobs(300, centers=3)``, 603 on digits, 8,883 on MNIST), well before
TypiClust's picks become index order (``c`` of about 1,700 on those blobs, an
offset of 3,000; 23,000 on digits, an offset of 1e5).
The check costs two float64 passes over the pool (0.08 s at 200,000 x 64).
"""

import contextlib
import os
import re
import sys
import warnings

import numpy as np
import sklearn

import skactive
from skactive._kernels._exact import row_blocks

# Warn below this mean squared distance between normalised rows: an average cosine
# similarity above 0.99995 (an RMS angle of half a degree).
COLLAPSE_SPREAD = 1e-4


def unit_rows_spread(X, norms):
    """The mean squared distance between two rows of ``X / norms[:, None]``, in
    float64, in blocks of rows (two passes; no copy of the pool)."""
    n, d = X.shape
    blocks = row_blocks(n, d)
    total = np.zeros(d)
    for rows in blocks:
        total += (X[rows] / norms[rows, None]).sum(axis=0)
    mean = total / n
    sq = 0.0
    for rows in blocks:
        U = X[rows] / norms[rows, None] - mean
        sq += float(np.einsum("ij,ij->", U, U))
    return 2.0 * sq / n


def _library_dirs():
    return tuple(os.path.dirname(m.__file__) + os.sep for m in (skactive, sklearn))


def _caller_stacklevel():
    """The ``stacklevel`` of the first frame outside skactive and scikit-learn,
    counted from the function that calls this one: the user's line, however deep
    the sampler's ``fit`` (a fallback's, a member's) called the check."""
    inside = _library_dirs()
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(inside):
        frame, level = frame.f_back, level + 1
    return level


# The start of the warning, as a filter matches it.
_COLLAPSE_MATCH = r".*the rows of X, divided by their norms, all point in nearly one"


def warn_if_collapsed(sampler, X, norms, by_estimator=False, spread=None):
    """Warn when the rows of ``X`` divided by ``norms`` (what ``sampler`` selects
    on with ``normalize=True``, or what its default estimator learns from when
    ``by_estimator``) nearly all point in one direction; returns whether it
    warned (see the module's docstring for the measure). ``spread``, when given,
    is the measure computed already (a dask pool's, in its statistics pass), and
    ``X`` and ``norms`` are not read."""
    if spread is None:
        spread = unit_rows_spread(X, norms)
    if spread >= COLLAPSE_SPREAD:
        return False
    name = type(sampler).__name__
    if by_estimator:
        who = f"{name}(estimator=None), whose default estimator normalises the rows"
        other = "pass an estimator that does not divide the rows by their norms"
    else:
        who, other = f"{name}(normalize=True)", "pass normalize=False"
    warnings.warn(
        f"{who}: the rows of X, divided by their norms, all point in nearly one "
        f"direction (the mean squared distance between them is {spread:.2g}, "
        f"below {COLLAPSE_SPREAD:g}): X shares an offset much larger than its "
        "spread, and what told the rows apart is lost (picks can follow the row "
        "order). Centre or standardise the features first (X - X.mean(axis=0), "
        f"or a StandardScaler before the sampler in a Pipeline), or {other}.",
        UserWarning,
        stacklevel=_caller_stacklevel(),
    )
    return True


@contextlib.contextmanager
def collapse_told(told):
    """Silence the collapse warning of the samplers fitted inside when ``told``:
    the caller gave it already, for the same pool."""
    with warnings.catch_warnings():
        if told:
            warnings.filterwarnings("ignore", _COLLAPSE_MATCH, UserWarning)
        yield


@contextlib.contextmanager
def watch_collapse():
    """Pass on the warnings raised inside (at their own lines), and tell through
    the yielded list, once the block is left, whether the collapse warning was
    one of them: a sampler fitting two members tells it once."""
    seen = []
    with warnings.catch_warnings(record=True) as caught:
        yield seen
    for w in caught:
        if re.match(_COLLAPSE_MATCH, str(w.message)):
            seen.append(True)
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
