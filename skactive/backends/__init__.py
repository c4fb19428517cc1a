# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Compute backends: the few array operations that numpy and torch spell differently.

The kernels of :mod:`skactive._kernels` are written once against a backend object;
:func:`get_backend` returns the numpy one for ``device=None`` (torch is then never
imported) and a torch one for a torch device name. A backend holds no data: arrays
are the library's own (``numpy.ndarray`` or ``torch.Tensor`` on the device).
"""

from skactive.backends._numpy import NUMPY, NumpyBackend


def get_backend(device=None, owner="skactive"):
    """The backend for ``device``, checked.

    Parameters
    ----------
    device : str or None, default=None
        ``None`` for numpy on the CPU (torch is not imported); ``"auto"`` for torch
        on a GPU it finds (CUDA, else MPS), else numpy; a torch device name
        (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``) for torch on it.
    owner : str, default="skactive"
        Named in the error messages (the estimator that was given ``device``).

    Returns
    -------
    backend : NumpyBackend or TorchBackend

    Raises
    ------
    ImportError
        If ``device`` is given and torch is not installed.
    ValueError
        If torch does not know ``device`` or cannot use it here.
    """
    if device is None:
        return NUMPY
    from skactive.backends._torch import TorchBackend, _accelerator, torch_device

    if device == "auto":
        try:
            import torch
        except ImportError:
            return NUMPY
        if _accelerator(torch) is None:
            return NUMPY
    return TorchBackend(*torch_device(device, owner))


__all__ = ["NUMPY", "NumpyBackend", "get_backend"]
