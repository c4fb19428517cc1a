# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""The distance kernels of :mod:`skactive.utils._distances` in torch, on a device.

Used only when a sampler is given ``device=``; torch is imported then, never on the
default (numpy) path. Each kernel takes and returns numpy arrays, computes in
float32 on the device in bounded blocks, and follows its numpy twin exactly (same
formula, same tie rules), so that results agree up to float32 rounding.
"""

import time

import numpy as np

from skactive.utils._distances import BLOCK_SIZE, _row_step
from skactive.utils._exact import exact_min_sq_dists, first_max, sq_dist_error


def torch_device(device, owner):
    """Import torch and check ``device``; return ``(torch, torch.device)``."""
    try:
        import torch
    except ImportError as exc:
        raise ImportError(
            f"{owner}(device={device!r}) needs torch: pip install 'skactive[torch]' "
            f"({exc})"
        ) from exc
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device={device!r} is not a torch device: {exc}") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r}: torch finds no CUDA device here.")
    return torch, dev


class TorchKernels:
    """The blocked kernels on one torch device."""

    def __init__(self, torch, device, block_size=BLOCK_SIZE):
        self.torch = torch
        self.device = device
        self.block_size = block_size

    def tensor(self, array):
        return self.torch.from_numpy(np.ascontiguousarray(array)).to(self.device)

    def knn_sq_dist_stats(self, X, n_neighbors, rows=None, ref=None, center=True):
        """See :func:`skactive.utils._distances.knn_sq_dist_stats`."""
        torch = self.torch
        n = X.shape[0]
        rows = np.arange(n) if rows is None else np.asarray(rows)
        # Centred as on the numpy path; the mean in float64 on the CPU, as some
        # devices (MPS) have no float64.
        Xt = self.tensor(X)
        if center:
            Xt = Xt - self.tensor(X.mean(axis=0, dtype=np.float64).astype(X.dtype))
        X_sq = (Xt * Xt).sum(dim=1)
        if ref is None:
            R, R_sq = Xt, X_sq
        else:
            R, R_sq = Xt[self.tensor(ref)], X_sq[self.tensor(ref)]
        if ref is not None:
            at = np.minimum(np.searchsorted(ref, rows), len(ref) - 1)
            own = ref[at] == rows
        sums = np.empty(len(rows), dtype=np.float64)
        kth = np.empty(len(rows), dtype=X.dtype)
        step = _row_step(len(R), self.block_size)
        for r0 in range(0, len(rows), step):
            q = self.tensor(rows[r0 : r0 + step])
            D = Xt[q] @ R.T
            D *= -2
            D += R_sq[None, :]
            if ref is None:
                D[torch.arange(len(q), device=self.device), q] = torch.inf
            else:
                hit = np.flatnonzero(own[r0 : r0 + step])
                D[self.tensor(hit), self.tensor(at[r0 : r0 + step][hit])] = torch.inf
            near = torch.topk(D, n_neighbors, dim=1, largest=False).values
            near += X_sq[q][:, None]
            near = near.clamp_(min=0).cpu().numpy()  # rows x K: small
            sums[r0 : r0 + step] = near.sum(axis=1, dtype=np.float64)
            kth[r0 : r0 + step] = near.max(axis=1)
        return sums, kth

    def nearest_sq_dists(
        self, X, C, X_sq=None, C_sq=None, norms=None, offset=None, return_runners=False
    ):
        """See :func:`skactive.utils._distances.nearest_sq_dists`."""
        torch = self.torch
        transform = norms is not None or offset is not None
        Ct = self.tensor(C)
        C_sq = (Ct * Ct).sum(dim=1) if C_sq is None else self.tensor(C_sq)
        off = None if offset is None else self.tensor(offset)
        n = X.shape[0]
        nearest = np.empty(n, dtype=np.intp)
        best = np.empty(n, dtype=X.dtype)
        runner = np.zeros(n, dtype=np.intp)
        second = np.full(n, np.inf, dtype=X.dtype)
        third = np.full(n, np.inf, dtype=X.dtype)
        max_sq = 0.0
        step = _row_step(max(C.shape[0], X.shape[1]), self.block_size)
        for r0 in range(0, n, step):
            Xb = self.tensor(X[r0 : r0 + step])  # may share the caller's memory
            if norms is not None:
                Xb = Xb / self.tensor(norms[r0 : r0 + step])[:, None]
            if off is not None:
                Xb = Xb - off
            if X_sq is None or transform:
                Xb_sq = (Xb * Xb).sum(dim=1)
            else:
                Xb_sq = self.tensor(X_sq[r0 : r0 + step])
            if len(Xb_sq):
                max_sq = max(max_sq, float(Xb_sq.max()))
            D = Xb @ Ct.T
            D *= -2
            D += Xb_sq[:, None]
            D += C_sq[None, :]
            D.clamp_(min=0)
            if return_runners and C.shape[0] > 1:
                # Sorted; equal values may come in any order, which the float64
                # settling of near-ties makes harmless.
                top = min(3, C.shape[0])
                vals, args = torch.topk(D, top, dim=1, largest=False, sorted=True)
                dist, arg = vals[:, 0], args[:, 0]
                runner[r0 : r0 + step] = args[:, 1].cpu().numpy()
                second[r0 : r0 + step] = vals[:, 1].cpu().numpy()
                if top > 2:
                    third[r0 : r0 + step] = vals[:, 2].cpu().numpy()
            else:
                dist, arg = D.min(dim=1)  # first minimum: ties to the lowest index
            nearest[r0 : r0 + step] = arg.cpu().numpy()
            best[r0 : r0 + step] = dist.cpu().numpy()
        if return_runners:
            return nearest, best, (runner, second, third, max_sq)
        return nearest, best

    def k_center_greedy(self, X, X_sq, mask, budget, rng, log=None):
        """K-center greedy without pruning: one pass over the pool per pick, which a
        GPU makes cheap. Same rules as the numpy greedy, near-ties settled in
        float64 on the CPU; returns (picks, dists)."""
        torch = self.torch
        n = X.shape[0]
        err = sq_dist_error(X.shape[1], np.sqrt(float(X_sq.max())))
        Xt, Xt_sq = self.tensor(X), self.tensor(X_sq)
        labeled = np.flatnonzero(mask)
        ids = list(labeled)
        if len(labeled):
            d = self.tensor(
                self.nearest_sq_dists(X, X[labeled], X_sq, X_sq[labeled])[1]
            )
        else:
            d = torch.full((n,), torch.inf, device=self.device)
        d[self.tensor(labeled)] = -torch.inf
        picks = np.empty(budget, dtype=np.intp)
        dists = np.empty(budget, dtype=np.float64)
        step = max(1, self.block_size // X.shape[1])
        start = time.perf_counter()
        for i in range(budget):
            if log and i and i % max(1, budget // 10) == 0:
                log(f"{i}/{budget} picks in {time.perf_counter() - start:.1f} s")
            if i == 0 and len(labeled) == 0:
                picks[0], dists[0] = rng.choice(n), np.inf
            else:
                top = float(d.max())
                near = torch.nonzero(d >= top - 2 * err).flatten().cpu().numpy()
                if len(near) == 1:
                    c, sq = int(near[0]), top
                else:
                    scores = exact_min_sq_dists(X[near], X[np.asarray(ids)])
                    c, sq = first_max(near, scores)
                picks[i], dists[i] = c, np.sqrt(max(sq, 0.0))
            c = int(picks[i])
            ids.append(c)
            d[c] = -torch.inf
            if i + 1 == budget:
                break
            x_c = Xt[c]
            for r0 in range(0, n, step):
                new = Xt_sq[r0 : r0 + step] - 2 * (Xt[r0 : r0 + step] @ x_c)
                new += Xt_sq[c]
                new.clamp_(min=0)
                torch.minimum(d[r0 : r0 + step], new, out=d[r0 : r0 + step])
        if log:
            seconds = time.perf_counter() - start
            log(f"{budget} picks in {seconds:.1f} s on {self.device}")
        return picks, dists
