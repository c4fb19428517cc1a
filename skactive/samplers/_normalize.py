# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""The check that L2-normalising the pool (``normalize=True``, the default of
TypiClust, ProbCover and the herdings, and the default estimator of the
label-reading samplers) left something to select on.

Rows that share an offset much larger than their spread (prices, years,
timestamps) all point the same way: divided by their norms they collapse onto
nearly one point of the unit sphere, and what told them apart is lost. TypiClust's
typicalities then differ by less than its tie band and the picks follow the row
order; the kernels of ProbCover and the herdings see one blob. Nothing in the
float arithmetic can restore it (the directions themselves are nearly equal), so
``fit`` says what to do instead.

The measure is the mean squared distance between two normalised rows,
``2 mean ||u_i - mean(u)||^2``: 2 for rows spread over every direction, 0 for rows
that all point one way. Rows sharing an offset ``c`` times their standard
deviation give about ``2 / c^2``. Its values on ordinary and shifted pools, and
where the picks become index order, are in the user guide
(:ref:`collapse-warning`).

A sampler that fits others on the same pool (a fallback, the members of
BudgetSwitchSampler) measures once and warns once: every ``fit`` of a sampler
opens :func:`collapse_check`, and the check of the first sampler inside that
normalises decides; the checks after it, by the members of the same fit, are
skipped. The state lives in a :class:`contextvars.ContextVar`, one per thread (and
asyncio task): no warning filter is touched.
"""

import contextlib
import contextvars
import os
import sys
import warnings
from dataclasses import dataclass, field

import numpy as np
import sklearn

import skactive
from skactive._kernels._exact import row_blocks, unit_rows

# Warn below this mean squared distance between normalised rows: an average cosine
# similarity above 0.99995 (an RMS angle of half a degree).
COLLAPSE_SPREAD = 1e-4


def unit_rows_spread(X, norms=None):
    """The mean squared distance between two rows of ``X`` divided by their norms,
    in float64, in blocks of rows (two passes; no copy of the pool). ``norms``:
    what the rows are divided by (safe ones, :func:`~skactive._kernels._exact.
    safe_row_norms`); None: :func:`~skactive._kernels._exact.unit_rows`, at any
    finite scale."""
    n, d = X.shape
    blocks = row_blocks(n, d)

    def units(rows):
        return unit_rows(X[rows]) if norms is None else X[rows] / norms[rows, None]

    total = np.zeros(d)
    for rows in blocks:
        total += units(rows).sum(axis=0)
    mean = total / n
    sq = 0.0
    for rows in blocks:
        U = units(rows) - mean
        sq += float(np.einsum("ij,ij->", U, U))
    return 2.0 * sq / n


@dataclass
class _Check:
    """The collapse check of one ``fit`` the user called: its sampler, the path of
    parameter names to the member being fitted, the parameter of ``owner`` that
    sets that member's estimator (when it has its own), and whether a check ran."""

    owner: object
    members: list = field(default_factory=list)
    estimator_param: str | None = None
    done: bool = False


_CHECK = contextvars.ContextVar("skactive_collapse_check", default=None)


@contextlib.contextmanager
def collapse_check(sampler):
    """Around the ``fit`` of ``sampler``: the outermost one opens the check of the
    fit (the samplers fitted inside it, its members, share it)."""
    if _CHECK.get() is not None:
        yield
        return
    token = _CHECK.set(_Check(sampler))
    try:
        yield
    finally:
        _CHECK.reset(token)


@contextlib.contextmanager
def collapse_member(name, estimator_param=None):
    """Around the fit of the member ``name`` (a parameter of the sampler being
    fitted, such as ``"fallback"`` or ``"low"``): a warning it gives names the
    member as the user reaches it (``high__fallback`` from the outer sampler).
    ``estimator_param``: the parameter of the outermost sampler that sets this
    member's estimator, when there is one (BudgetSwitchSampler's ``estimator``)."""
    check = _CHECK.get()
    if check is None:
        yield
        return
    outer = check.estimator_param
    check.members.append(name)
    if not outer and len(check.members) == 1:
        check.estimator_param = estimator_param
    try:
        yield
    finally:
        check.members.pop()
        check.estimator_param = outer


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


def _advice(sampler, by_estimator, check):
    """Who normalises, as the user built it, and what to change: a parameter of
    the object the user fitted."""
    name = type(sampler).__name__
    if by_estimator:
        who = f"{name}(estimator=None), whose default estimator normalises the rows"
    else:
        who = f"{name}(normalize=True)"
    if check is None or not check.members:
        if by_estimator:
            return who, "pass an estimator that does not divide the rows by their norms"
        return who, "pass normalize=False"
    path = "__".join(check.members)
    if by_estimator:
        param = check.estimator_param or f"{path}__estimator"
        value = "an estimator that does not divide the rows by their norms"
        how = f"give {param}= {value}"
    else:
        param, value = path, f"{name}(normalize=False)"
        how = f"pass {param}={value}"
    if "__" in param:
        how += " (with set_params)"
    return f"{type(check.owner).__name__}: its {path} {who}", how


def warn_if_collapsed(sampler, X, norms=None, by_estimator=False, spread=None):
    """Warn when the rows of ``X`` divided by their norms (what ``sampler`` selects
    on with ``normalize=True``, or what its default estimator learns from when
    ``by_estimator``) nearly all point in one direction; returns whether it
    warned (see the module's docstring for the measure). ``norms``: as in
    :func:`unit_rows_spread`. ``spread``, when given, is the measure computed
    already (a dask pool's, in its statistics pass), and ``X`` and ``norms`` are
    not read.

    Within one ``fit`` (see :func:`collapse_check`) only the first call measures:
    the later ones, by members fitted on the same pool, return False at once."""
    check = _CHECK.get()
    if check is not None:
        if check.done:
            return False
        check.done = True
    if spread is None:
        spread = unit_rows_spread(X, norms)
    if spread >= COLLAPSE_SPREAD:
        return False
    who, other = _advice(sampler, by_estimator, check)
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
