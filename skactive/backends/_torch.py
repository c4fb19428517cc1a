# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""The torch backend: arrays are tensors on one torch device.

Imported only when an estimator is given ``device=``; never on the default path.
"""

import numpy as np


def _accelerator(torch):
    """The GPU torch finds (CUDA, else MPS), or None."""
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return None


def torch_device(device, owner):
    """Import torch and check ``device``; return ``(torch, torch.device)``.

    ``None`` is the CPU and ``"auto"`` a GPU torch finds, else the CPU.
    """
    try:
        import torch
    except ImportError as exc:
        raise ImportError(
            f"{owner}(device={device!r}) needs torch: pip install 'skactive[torch]' "
            f"({exc})"
        ) from exc
    if device is None:
        device = "cpu"
    elif device == "auto":
        device = _accelerator(torch) or "cpu"
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device={device!r} is not a torch device: {exc}") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r}: torch finds no CUDA device here.")
    return torch, dev


class TorchBackend:
    """Array operations in torch on ``device``; see :mod:`skactive.backends`."""

    name = "torch"

    def __init__(self, torch, device):
        self.torch = torch
        self.device = device
        self.inf = torch.inf

    def asarray(self, a):
        """A numpy array on the device (shares memory on the CPU)."""
        return self.torch.from_numpy(np.ascontiguousarray(a)).to(self.device)

    def to_numpy(self, a):
        return a.cpu().numpy()

    def astype(self, a, dtype):
        return a.to(self._dtype(dtype))

    def _dtype(self, dtype):
        if isinstance(dtype, self.torch.dtype):
            return dtype
        return {np.float32: self.torch.float32, np.float64: self.torch.float64}[
            np.dtype(dtype).type
        ]

    def index(self, idx):
        if isinstance(idx, slice):
            return idx
        return self.asarray(np.asarray(idx, dtype=np.int64))

    def full(self, n, value, dtype=np.float32):
        return self.torch.full(
            (n,), value, dtype=self._dtype(dtype), device=self.device
        )

    def zeros_int(self, n):
        return self.torch.zeros(n, dtype=self.torch.int64, device=self.device)

    def sq_norms(self, A):
        return (A * A).sum(dim=1)

    def matmul_t(self, A, B):
        return A @ B.T

    def matvec(self, A, x):
        return A @ x

    def clip0_(self, D):
        return D.clamp_(min=0)

    def where(self, cond, a, b):
        if not isinstance(a, self.torch.Tensor):
            a = self.torch.as_tensor(a, device=self.device)
        return self.torch.where(cond, a, b)

    def nonzero(self, cond):
        return cond.nonzero().flatten().cpu().numpy().astype(np.intp)

    def scatter_max_(self, target, index, values):
        target.scatter_reduce_(0, index, values, reduce="amax")

    def first_min(self, D):
        dist, arg = D.min(dim=1)
        return dist.cpu().numpy(), arg.cpu().numpy().astype(np.intp)

    def smallest3(self, D, third=True):  # topk finds the third at no extra cost
        n, k = D.shape
        top = min(3, k)
        vals, args = self.torch.topk(D, top, dim=1, largest=False, sorted=True)
        out_vals = np.full((n, 3), np.inf, dtype=np.float32)
        out_args = np.zeros((n, 2), dtype=np.intp)
        out_vals[:, :top] = vals.cpu().numpy()
        out_args[:, : min(2, top)] = args[:, :2].cpu().numpy()
        return out_vals, out_args

    def smallest_k(self, D, k):
        return self.torch.topk(D, k, dim=1, largest=False).values
