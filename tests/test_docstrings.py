# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""numpydoc validation of every public docstring."""

import importlib
import inspect

import pytest

numpydoc_validate = pytest.importorskip("numpydoc.validate")

PUBLIC_MODULES = [
    "skactive",
    "skactive.base",
    "skactive.cluster",
    "skactive.evaluation",
    "skactive.features",
    "skactive.integration.modal",
    "skactive.neighbors",
    "skactive.plotting",
    "skactive.utils",
    "skactive.utils.estimator_checks",
]
# Checks left out, as scikit-learn leaves them out: the extended summary (ES01),
# "See Also" (SA01), an Examples section on every method (EX01), a blank line
# after the docstring of a class (GL01/GL02: the house style), and summaries that
# start with a verb in the infinitive (SS05: "Select", not "Selects").
IGNORED = {"ES01", "SA01", "EX01", "GL01", "GL02", "SS05", "RT02", "PR02"}


def _public_objects():
    seen = set()
    for name in PUBLIC_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        names = getattr(module, "__all__", None)
        if names is None:
            names = [n for n, _ in inspect.getmembers(module) if not n.startswith("_")]
        for attr in names:
            obj = getattr(module, attr)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            owner = getattr(obj, "__module__", "")
            if not (owner == name or owner.startswith(name + "._")) and (
                name != "skactive"
            ):
                continue  # imported from elsewhere
            qualname = f"{obj.__module__}.{obj.__qualname__}"
            if qualname in seen:
                continue
            seen.add(qualname)
            yield qualname
            if inspect.isclass(obj):
                for method, value in vars(obj).items():
                    if method.startswith("_") or not callable(value):
                        continue
                    yield f"{qualname}.{method}"


OBJECTS = sorted(set(_public_objects()))


def test_every_public_module_is_validated():
    assert len(OBJECTS) > 30


@pytest.mark.parametrize("qualname", OBJECTS)
def test_docstring(qualname):
    result = numpydoc_validate.validate(qualname)
    errors = [(code, msg) for code, msg in result["errors"] if code not in IGNORED]
    assert not errors, "\n".join(f"{qualname}: {code} {msg}" for code, msg in errors)
