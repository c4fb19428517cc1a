# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Discovery of the samplers skactive ships."""

import importlib
import inspect
import pkgutil


def all_samplers():
    """Every public sampler class of skactive, found by walking ``skactive.samplers``.

    Only the sampler modules are imported, so no optional dependency is.

    Returns
    -------
    samplers : list of (str, type)
        ``(class name, class)`` pairs, sorted by name, of the public, concrete
        subclasses of :class:`~skactive.base.BaseSampler`.

    See Also
    --------
    skactive.base.get_sampler_tags : What each sampler needs and promises.

    Examples
    --------
    >>> from skactive.utils import all_samplers
    >>> names = [name for name, _ in all_samplers()]
    >>> "TypiClustSampler" in names and names == sorted(names)
    True
    """
    from skactive import samplers
    from skactive.base import BaseSampler

    found = {}
    modules = [samplers] + [
        importlib.import_module(f"{samplers.__name__}.{info.name}")
        for info in pkgutil.iter_modules(samplers.__path__)
    ]
    for module in modules:
        for name, obj in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(obj, BaseSampler)
                and not name.startswith("_")
                and not inspect.isabstract(obj)
                and obj.__module__.startswith("skactive.")
            ):
                found[name] = obj
    return sorted(found.items())
