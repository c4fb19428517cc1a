# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Greedy coverage: ProbCover's max coverage and herding's facility location.

Both follow the protocol of :func:`skactive._kernels._greedy.run_greedy` (``choose``,
``add``, ``scanned``), so the loop and its progress report are the engine's.

- :class:`MaxCoverage` (ProbCover): each point's ball is a row of a sparse graph;
  the gain of a candidate is the number of uncovered points in its ball, an integer.
  A pick marks its ball covered and takes one off the gain of every ball holding a
  newly covered point (the reverse adjacency), so the whole selection costs one pass
  over the edges.
- :class:`LazyHerding` (MaxHerding, UHerding): the gain of a candidate ``j`` is
  ``sum_i u_i max(k(x_i, x_j) - m_i, 0) / n`` with ``m_i`` the largest kernel value
  between ``x_i`` and a chosen point. Gains only fall as points are chosen (the
  objective is submodular), so a gain computed earlier bounds the current one from
  above; a pick re-evaluates only the candidates whose bound could still win
  (Minoux's lazy greedy). The gains come from a :class:`SparseGains` (kernel values
  on the edges of a neighbour graph) or a :class:`DenseGains` (every candidate
  against every point, or a sample of them, in blocks of matrix products).

Gains are float64 sums of float64 kernel values; the winner is the lowest index
among the candidates within a relative ``TIE_RTOL`` of the best, so a last-bit
difference between machines (``exp`` is vectorised differently by CPU) cannot flip
a pick.
"""

import heapq

import numpy as np
from scipy import sparse

from skactive._kernels._exact import sq_dist_error
from skactive._kernels._pairwise import BLOCK_SIZE

# Gains within this relative distance of the best are a tie (lowest index wins).
TIE_RTOL = 1e-9
# Candidates re-evaluated together when the best bound is stale.
_LAZY_BATCH = 32


def kernel_values(sq_dists, kernel, bandwidth):
    """``k`` at the given squared distances: ``exp(-d^2 / h^2)`` (``"rbf"``) or
    ``[d < h]`` (``"tophat"``), float64."""
    sq_dists = np.asarray(sq_dists, dtype=np.float64)
    if kernel == "tophat":
        return (sq_dists < bandwidth**2).astype(np.float64)
    return np.exp(-sq_dists / bandwidth**2)


def row_positions(indptr, rows):
    """The positions in a CSR's ``indices``/``data`` of the given rows' entries,
    row after row, and the row each belongs to (a position in ``rows``)."""
    starts, stops = indptr[rows], indptr[np.asarray(rows) + 1]
    lengths = stops - starts
    owner = np.repeat(np.arange(len(lengths)), lengths)
    offsets = np.arange(int(lengths.sum())) - np.repeat(
        np.cumsum(lengths) - lengths, lengths
    )
    return np.repeat(starts, lengths) + offsets, owner


class MaxCoverage:
    """ProbCover's greedy on a sparse graph of balls.

    ``balls`` is a CSR matrix whose row ``j`` holds the points ``j`` covers (its
    stored entries; the values are ignored). Labeled points cover their balls
    first and are never chosen. Each pick is the point whose ball holds the most
    uncovered points, the lowest index on ties.

    When no candidate covers anything new (every point is covered), the coverage
    starts again: only the labeled and chosen points themselves count as covered,
    and the greedy goes on as before, so a second round of picks covers the pool a
    second time, densest balls first. A labeled or already chosen point is never
    returned.

    ``coverage`` lists, after each pick, the fraction of the pool covered (1 from
    the pick that completed it on).
    """

    def __init__(self, balls, labeled):
        balls = sparse.csr_array(balls)
        self.n_points = balls.shape[0]
        self.indptr, self.indices = balls.indptr, balls.indices
        ones = np.ones(len(self.indices), dtype=np.int32)
        self.balls = sparse.csr_array((ones, self.indices, self.indptr), balls.shape)
        owners = sparse.csr_array(balls.T)  # row y: the balls holding y
        self.owner_ptr, self.owner_idx = owners.indptr, owners.indices
        self.taken = np.asarray(labeled, dtype=bool).copy()
        self.covered = np.zeros(self.n_points, dtype=bool)
        pos, _ = row_positions(self.indptr, np.flatnonzero(self.taken))
        self.covered[self.indices[pos]] = True
        self.n_covered = int(np.count_nonzero(self.covered))
        self.full = self.n_covered == self.n_points
        self.scanned = 0
        self._count()
        self.coverage = []
        self.restarts = 0

    def _count(self):
        """Each ball's number of uncovered points, from scratch."""
        self.gain = self.balls @ (~self.covered).astype(np.int32)
        self.scanned += len(self.indices)

    def choose(self):
        gain = np.where(self.taken, -1, self.gain)
        j = int(np.argmax(gain))
        if gain[j] <= 0:  # everything is covered: start again
            self.restarts += 1
            self.covered = self.taken.copy()
            self.n_covered = int(np.count_nonzero(self.covered))
            self._count()
            gain = np.where(self.taken, -1, self.gain)
            j = int(np.argmax(gain))
        return j, float(gain[j])

    def add(self, j, last=False):
        self.taken[j] = True
        ball = self.indices[self.indptr[j] : self.indptr[j + 1]]
        new = ball[~self.covered[ball]]
        self.covered[new] = True
        self.n_covered += len(new)
        self.full = self.full or self.n_covered == self.n_points
        self.coverage.append(1.0 if self.full else self.n_covered / self.n_points)
        if last or not len(new):
            return
        pos, _ = row_positions(self.owner_ptr, new)
        np.subtract.at(self.gain, self.owner_idx[pos], 1)
        self.scanned += len(pos)


class SparseGains:
    """Herding gains on the edges of a neighbour graph.

    ``K`` is a CSR matrix: row ``j`` holds ``k(x_j, x_i)`` for the points ``i`` it
    reaches (itself included); the kernel is taken as 0 elsewhere. ``weights`` is
    ``u`` (None for 1 everywhere).
    """

    def __init__(self, K, weights=None):
        K = sparse.csr_array(K)
        self.n_points = K.shape[0]
        self.indptr, self.indices, self.data = K.indptr, K.indices, K.data
        owners = sparse.csr_array(K.T)
        self.owner_ptr, self.owner_idx = owners.indptr, owners.indices
        self.weights = None if weights is None else np.asarray(weights, np.float64)
        self.m = np.zeros(self.n_points)

    def cover(self, points):
        """Set ``m`` from chosen points before the greedy starts."""
        for j in points:
            self.update(j)

    def gains(self, rows):
        rows = np.asarray(rows, dtype=np.intp)
        pos, owner = row_positions(self.indptr, rows)
        cols = self.indices[pos]
        excess = np.maximum(self.data[pos] - self.m[cols], 0.0)
        if self.weights is not None:
            excess *= self.weights[cols]
        out = np.bincount(owner, weights=excess, minlength=len(rows))
        return out / self.n_points, len(pos)

    def update(self, j):
        """``m <- max(m, k(., x_j))``; returns the candidates whose gain fell (None
        for every candidate)."""
        lo, hi = self.indptr[j], self.indptr[j + 1]
        cols, vals = self.indices[lo:hi], self.data[lo:hi]
        rise = vals > self.m[cols]
        changed = cols[rise]
        self.m[changed] = vals[rise]
        pos, _ = row_positions(self.owner_ptr, changed)
        return np.unique(self.owner_idx[pos])

    def objective(self):
        m = self.m if self.weights is None else self.m * self.weights
        return float(m.sum()) / self.n_points


class DenseGains:
    """Herding gains with the kernel between every candidate and every point of
    ``cols`` (all points by default), never holding an n x n matrix.

    With ``cols`` a uniform sample of the pool, the objective is its mean over
    the sample, an unbiased estimate of the pool's; every point stays a
    candidate. ``weights`` are those of the points of ``cols``.

    Gains are float64, from float64 matrix products in blocks of rows: their
    rounding (about ``1e-16`` of the squared norms) differs between BLAS kernels,
    far below the relative ``TIE_RTOL`` under which gains tie. The first bounds of
    the lazy greedy (:meth:`upper_bounds`) come from float32 products, raised by
    their rounding bound so that they stay above the true gains.
    """

    def __init__(
        self, X, kernel, bandwidth, weights=None, cols=None, block_size=BLOCK_SIZE
    ):
        self.X = X
        self.n_points = X.shape[0]
        self.cols = np.arange(self.n_points) if cols is None else np.asarray(cols)
        self.C = X[self.cols].astype(np.float64)
        self.C_sq = np.einsum("ij,ij->i", self.C, self.C)
        self.n_cols = len(self.cols)
        self.kernel, self.bandwidth = kernel, bandwidth
        self.weights = None if weights is None else np.asarray(weights, np.float64)
        self.step = max(1, block_size // max(1, self.n_cols))
        self.m = np.zeros(self.n_cols)
        top = float(np.einsum("ij,ij->i", X, X).max()) if len(X) else 0.0
        # the largest row norm, for the rounding bounds of both precisions
        self._radius = np.sqrt(max(float(self.C_sq.max()), top, 1e-30))
        self._err64 = 2 * sq_dist_error(X.shape[1], self._radius, unit=2.0**-53)

    def _k(self, rows):
        """Kernel values between the given rows and the columns, float64."""
        A = self.X[rows].astype(np.float64)
        sq = A @ self.C.T
        sq *= -2
        sq += np.einsum("ij,ij->i", A, A)[:, None]
        sq += self.C_sq[None, :]
        np.maximum(sq, 0, out=sq)
        if self.kernel == "tophat":
            # [d < h] jumps at h: pairs within the float64 rounding bound of it are
            # decided on elementwise differences, the same on every CPU
            near = np.abs(sq - self.bandwidth**2) <= self._err64
            i, j = np.nonzero(near)
            if len(i):
                sq[i, j] = np.square(A[i] - self.C[j]).sum(axis=1)
        return kernel_values(sq, self.kernel, self.bandwidth)

    def cover(self, points):
        points = np.asarray(points, dtype=np.intp)
        for r0 in range(0, len(points), self.step):
            block = self._k(points[r0 : r0 + self.step])
            np.maximum(self.m, block.max(axis=0), out=self.m)

    def _sum_excess(self, K):
        K -= self.m[None, :]
        np.maximum(K, 0.0, out=K)
        if self.weights is not None:
            K *= self.weights[None, :]
        return K.sum(axis=1, dtype=np.float64) / self.n_cols

    def gains(self, rows):
        rows = np.asarray(rows, dtype=np.intp)
        out = np.empty(len(rows))
        for r0 in range(0, len(rows), self.step):
            out[r0 : r0 + self.step] = self._sum_excess(
                self._k(rows[r0 : r0 + self.step])
            )
        return out, len(rows) * self.n_cols

    def upper_bounds(self, rows):
        """Bounds at least the true gains of ``rows``, from float32 products."""
        X, C = self.X, self.C.astype(np.float32)
        C_sq = np.einsum("ij,ij->i", C, C)
        err = sq_dist_error(X.shape[1], self._radius)
        m32 = self.m.astype(np.float32)
        w32 = None if self.weights is None else self.weights.astype(np.float32)
        out = np.empty(len(rows))
        h2 = np.float32(self.bandwidth**2)
        for r0 in range(0, len(rows), self.step):
            A = X[rows[r0 : r0 + self.step]]
            D = A @ C.T
            D *= -2
            D += np.einsum("ij,ij->i", A, A)[:, None]
            D += C_sq[None, :]
            D -= np.float32(err)  # every distance at most the true one
            np.maximum(D, 0, out=D)
            if self.kernel == "tophat":
                K = (D < h2).astype(np.float32)
            else:
                D /= -h2
                K = np.exp(D, out=D)
            K -= m32[None, :]
            np.maximum(K, 0, out=K)
            if w32 is not None:
                K *= w32[None, :]
            out[r0 : r0 + self.step] = K.sum(axis=1, dtype=np.float64)
        # float32 exp, subtraction and products: a few units of 2**-24 each
        return (out * (1 + 1e-5) + self.n_cols * 1e-6) / self.n_cols

    def update(self, j):
        np.maximum(self.m, self._k([j])[0], out=self.m)
        return None  # every gain may have fallen

    def objective(self):
        m = self.m if self.weights is None else self.m * self.weights
        return float(m.sum()) / self.n_cols


class LazyHerding:
    """Facility-location greedy with lazy evaluation (Minoux), on ``gains`` (a
    :class:`SparseGains` or :class:`DenseGains`).

    Every candidate keeps its last computed gain, an upper bound of its current
    one, in a heap; a candidate is fresh when nothing changed since. A pick
    re-evaluates stale candidates from the top until the top is fresh, which makes
    it the best, then re-evaluates every candidate whose bound lies within
    ``TIE_RTOL`` of it, and takes the lowest index among those within ``TIE_RTOL``:
    the pick of the greedy that evaluates every gain at every step. Labeled points
    are never chosen; once no candidate gains anything (the pool is saturated),
    the lowest-index point not chosen yet is taken.

    ``coverage`` lists the objective after each pick.
    """

    def __init__(self, gains, labeled):
        self.g = gains
        self.n_points = gains.n_points
        self.taken = np.asarray(labeled, dtype=bool).copy()
        gains.cover(np.flatnonzero(self.taken))
        self.scanned = 0
        self.upper = np.full(self.n_points, -np.inf)
        self.fresh = np.zeros(self.n_points, dtype=bool)
        self.heap = []
        free = np.flatnonzero(~self.taken)
        if hasattr(gains, "upper_bounds"):  # bounds now, gains when needed
            self.upper[free] = gains.upper_bounds(free)
        else:
            self._evaluate(free, push=False)
        self.heap = list(zip((-self.upper[free]).tolist(), free.tolist(), strict=True))
        heapq.heapify(self.heap)
        self.coverage = []
        self._objective = gains.objective()

    def _evaluate(self, rows, push=True):
        rows = np.asarray(rows, dtype=np.intp)
        for r0 in range(0, len(rows), 1 << 16):
            sub = rows[r0 : r0 + (1 << 16)]
            vals, scanned = self.g.gains(sub)
            self.scanned += scanned
            self.upper[sub] = vals
            self.fresh[sub] = True
            if push:
                for v, j in zip(vals.tolist(), sub.tolist(), strict=True):
                    heapq.heappush(self.heap, (-v, j))

    def _pop(self, floor=None):
        """Pop and return the best current entry (an index), skipping the ones a
        later evaluation or a pick made obsolete; None when the heap is empty or
        its best is below ``floor``."""
        heap = self.heap
        while heap:
            neg, j = heap[0]
            if self.taken[j] or -neg != self.upper[j]:
                heapq.heappop(heap)
                continue
            if floor is not None and -neg < floor:
                return None
            heapq.heappop(heap)
            return j
        return None

    def _push(self, rows):
        for j in rows:
            heapq.heappush(self.heap, (-float(self.upper[j]), int(j)))

    def choose(self):
        while True:  # until the best bound is a fresh gain
            batch = []
            while len(batch) < _LAZY_BATCH:
                j = self._pop()
                if j is None:
                    break
                batch.append(j)
                if self.fresh[j] and len(batch) == 1:
                    break
            if not batch:
                free = np.flatnonzero(~self.taken)
                return int(free[0]), 0.0
            if len(batch) == 1 and self.fresh[batch[0]]:
                top = batch[0]
                self._push(batch)
                break
            batch = np.array(batch)
            stale = batch[~self.fresh[batch]]
            self._push(batch[self.fresh[batch]])
            self._evaluate(stale)
        best = float(self.upper[top])
        if best <= 0:  # saturated: nothing gains
            free = np.flatnonzero(~self.taken)
            return int(free[0]), 0.0
        floor = best - TIE_RTOL * best
        while True:  # every candidate that could tie, evaluated
            band = []
            while (j := self._pop(floor)) is not None:
                band.append(j)
            band = np.unique(np.array(band, dtype=np.intp))
            stale = band[~self.fresh[band]]
            self._push(band[self.fresh[band]])
            if not len(stale):
                break
            self._evaluate(stale)
        return int(band.min()), float(self.upper[band.min()])

    def add(self, j, last=False):
        self.taken[j] = True
        self._objective += max(float(self.upper[j]), 0.0)
        self.coverage.append(self._objective)
        if last:
            return
        changed = self.g.update(j)
        if changed is None:
            self.fresh[:] = False
        else:
            self.fresh[changed] = False
