# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""The numpy backend: arrays are numpy arrays on the CPU."""

import numpy as np


class NumpyBackend:
    """Array operations in numpy; see :mod:`skactive.backends`."""

    name = "numpy"
    inf = np.inf

    def asarray(self, a):
        """A numpy array as the backend's array (no copy)."""
        return a

    def to_numpy(self, a):
        """The backend's array as a numpy array (no copy)."""
        return a

    def astype(self, a, dtype):
        """``a`` in the numpy ``dtype`` (no copy when it is already)."""
        return a.astype(dtype, copy=False)

    def index(self, idx):
        """Integer positions (numpy) in the form that indexes the backend's arrays."""
        return idx

    def full(self, n, value, dtype=np.float32):
        return np.full(n, value, dtype=dtype)

    def zeros_int(self, n):
        return np.zeros(n, dtype=np.intp)

    def sq_norms(self, A):
        """Squared L2 norm of each row, in the dtype of ``A``."""
        return np.einsum("ij,ij->i", A, A)

    def matmul_t(self, A, B):
        """``A @ B.T``."""
        return A @ B.T

    def matvec(self, A, x):
        """``A @ x``."""
        return A @ x

    def clip0_(self, D):
        """``max(D, 0)`` in place; returns ``D``."""
        np.maximum(D, 0, out=D)
        return D

    def where(self, cond, a, b):
        return np.where(cond, a, b)

    def nonzero(self, cond):
        """Ascending positions where the 1-D ``cond`` holds, as numpy ``intp``."""
        return np.flatnonzero(cond)

    def scatter_max_(self, target, index, values):
        """``target[index[i]] = max(target[index[i]], values[i])`` for every ``i``."""
        np.maximum.at(target, index, values)

    def first_min(self, D):
        """Row minima of ``D`` and their first columns, as numpy arrays."""
        arg = D.argmin(axis=1)
        return D[np.arange(len(D)), arg], arg

    def smallest3(self, D, third=True):
        """The three smallest values of each row of ``D`` (``inf`` where it has
        fewer columns) and the columns of the first two, as numpy arrays.

        Destroys ``D``: the first two are set to ``inf`` in it, so that with
        ``third=False`` (the third left at ``inf``) the caller can take the third
        smallest of the rows it needs as their minimum. Equal values come in
        column order.
        """
        n, k = D.shape
        rows = np.arange(n)
        first = D.argmin(axis=1)
        vals = np.full((n, 3), np.inf, dtype=D.dtype)
        args = np.zeros((n, 2), dtype=np.intp)
        vals[:, 0], args[:, 0] = D[rows, first], first
        if k > 1:
            D[rows, first] = np.inf
            second = D.argmin(axis=1)
            vals[:, 1], args[:, 1] = D[rows, second], second
            if k > 2:
                D[rows, second] = np.inf
                if third:
                    vals[:, 2] = D.min(axis=1)
        return vals, args

    def smallest_k(self, D, k):
        """The ``k`` smallest values of each row of ``D``, in any order; reorders
        ``D``."""
        if k == 1:  # a reduction: several times faster than a partition
            return D.min(axis=1, keepdims=True)
        D.partition(k - 1, axis=1)  # in place: D is the caller's scratch block
        return D[:, :k]


NUMPY = NumpyBackend()
