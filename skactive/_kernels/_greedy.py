# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""The incremental greedy engine: per-point state, an update after each pick, a
choice rule that rounding cannot flip, and triangle-inequality pruning.

A greedy selection is a loop of ``choose`` then ``add``. :func:`run_greedy` is that
loop, with the progress report every strategy shares. A strategy is an object with

- ``choose() -> (index, score)``: the next pick, by :func:`choose_max` on its
  per-point values where they are approximate;
- ``add(index, last)``: update the state after the pick (``last`` when no pick
  follows, so the update can be skipped);
- ``scanned``: the number of points its updates have looked at, for the report.

:class:`KCenterGreedy` (Coreset) is the first; herding and coverage follow the same
protocol. Every array lives on one backend (:mod:`skactive.backends`); the float64
re-scoring of near-ties runs in numpy on the CPU.
"""

import time

import numpy as np

from skactive._kernels._exact import exact_min_sq_dists, first_max, sq_dist_error
from skactive._kernels._pairwise import BLOCK_SIZE, nearest_sq_dists
from skactive.backends import NUMPY


def near_max(values, err, backend=NUMPY, rtol=0.0):
    """Ascending positions of ``values`` (a backend array, ``-inf`` where a
    position cannot win) whose true value could be the largest, given that each
    approximation is within ``err`` of its true value: those within ``2 err`` of
    the largest approximation (``rtol`` widens the band as in :func:`choose_max`).
    """
    top = float(values.max()) - err
    return backend.nonzero(values >= top * (1 - rtol) - err)


def choose_max(values, err, exact, backend=NUMPY, rtol=0.0):
    """Position of the largest true value, from values known up to ``err``.

    ``values`` is a backend array (``-inf`` marks positions that cannot win). The
    positions within ``2 err`` of the largest approximation are the ones that could
    win (:func:`near_max`); when there is more than one, ``exact(positions)`` gives
    their float64 values, and the first of the largest (within ``rtol``) wins.
    Returns ``(position, value)``.
    """
    candidates = near_max(values, err, backend, rtol)
    if len(candidates) == 1:
        return int(candidates[0]), float(values[int(candidates[0])])
    return first_max(candidates, exact(candidates), rtol)


def exact_nearest_center(x, x_sq, centers, centers_sq, err):
    """The float64 squared distance from the float32 row ``x`` to its nearest row
    of ``centers``, as :func:`~skactive._kernels._exact.exact_min_sq_dists` gives
    it, found by computing in float64 only the centers whose float32 distance is
    within rounding (``err``) of the nearest one.

    ``x_sq`` and ``centers_sq`` are the float32 squared norms the kernels use; the
    result depends on the rows alone, not on the BLAS kernel or on how the float32
    distances were blocked.
    """
    approx = centers_sq - 2 * (centers @ x)
    approx += x_sq
    band = np.flatnonzero(approx <= float(approx.min()) + 4 * err)
    return float(exact_min_sq_dists(x[None, :], centers[band])[0])


def run_greedy(strategy, budget, first=None, log=None):
    """Pick ``budget`` points with ``strategy`` (see the module docstring).

    Parameters
    ----------
    strategy : object
        Has ``choose()``, ``add(index, last)`` and ``scanned``.
    budget : int
    first : tuple of (int, float), default=None
        The first pick and its score, when it is not the strategy's choice (the
        random first center of a cold start).
    log : callable, default=None
        Called with a progress line at each tenth of the budget and at the end.
    n_points : int
        Used in the report only.

    Returns
    -------
    picks : ndarray of shape (budget,), dtype=intp
    scores : ndarray of shape (budget,), dtype=float64
    """
    picks = np.empty(budget, dtype=np.intp)
    scores = np.empty(budget, dtype=np.float64)
    start = time.perf_counter()
    report = {budget * q // 10 for q in range(1, 10)} - {0} if log else set()
    n = getattr(strategy, "n_points", 1)
    for i in range(budget):
        if i in report:
            log(
                f"{i}/{budget} picks in {time.perf_counter() - start:.1f} s, "
                f"{100 * strategy.scanned / (i * n):.1f}% of the points scanned per "
                "pick so far"
            )
        if i == 0 and first is not None:
            picks[0], scores[0] = first
        else:
            picks[i], scores[i] = strategy.choose()
        strategy.add(int(picks[i]), last=i + 1 == budget)
    if log:
        log(f"{budget} picks in {time.perf_counter() - start:.1f} s")
    return picks, scores


class CenterGroups:
    """Which center each point is nearest to, and each center's radius, for
    triangle-inequality pruning.

    Every point remembers its nearest center (``group``) and every center the
    largest squared distance ``r`` among its points (``radius``). When a new center
    lies at distance ``D`` from a center with ``2 sqrt(r) < D``, none of that
    center's points can come closer to the new center, so an update may skip them.
    :meth:`to_scan` allows for the rounding (``err``) of ``r`` and ``D``, so
    skipping changes no true distance.
    """

    def __init__(self, group, values, n_centers, capacity, backend=NUMPY):
        self.be = backend
        self.group = group
        self.radius = backend.full(capacity, -np.inf, dtype=values.dtype)
        if n_centers:
            backend.scatter_max_(self.radius, group, values)

    def to_scan(self, sq_to_new, n_centers, err, n_points):
        """The groups and points an update must look at, given the squared
        distances from the new center to the ``n_centers`` earlier ones: ``(groups,
        points)``, each a numpy position array, or ``slice(None)`` when scanning
        everything is cheaper."""
        radius = self.radius[:n_centers]
        # Skip a group only when 2 sqrt(r) < D holds for the true values: the
        # float32 r and D are each within err of theirs.
        scan = 4 * (radius + err) * (1 + 1e-6) >= sq_to_new - err
        points = self.be.nonzero(scan[self.group])
        if 2 * len(points) > n_points:  # one pass over the pool is cheaper
            return slice(None), slice(None)
        return self.be.nonzero(scan), points

    def reset(self, groups, points, values):
        """After an update of ``points`` (which hold every point of ``groups`` and
        of the new group), recompute those groups' radii."""
        be = self.be
        groups = groups if isinstance(groups, slice) else be.index(groups)
        self.radius[groups] = -np.inf
        members = points if isinstance(points, slice) else be.index(points)
        be.scatter_max_(self.radius, self.group[members], values[members])


class KCenterGreedy:
    """The k-center greedy state: each point's squared distance to its nearest
    center, on a conditioned float32 pool (see
    :func:`skactive._kernels._exact.condition_pool`).

    ``X`` and ``X_sq`` are numpy (the float64 re-scoring reads them); the state and
    a copy of the pool live on ``backend``. Each point keeps the float32 squared
    distance to its nearest center, within ``err`` of the true one; a pick takes
    the largest by :func:`choose_max`, the near-ties settled on float64 distances
    to every center, so the picks are those of the float64 greedy on any CPU and
    backend; its score is its float64 distance to the nearest center
    (:func:`exact_nearest_center`), so the scores do not depend on the CPU either.
    With ``prune``, :class:`CenterGroups` skips the points no new center can come
    closer to; the selection is the same as without.

    The state of a part of a pool (:mod:`skactive._dask._coreset` keeps one per
    chunk) is made by :meth:`_start` and lowered by :meth:`_lower`, given the
    centers' rows.
    """

    def __init__(
        self, X, X_sq, mask, budget, backend=NUMPY, prune=True, block_size=BLOCK_SIZE
    ):
        self.be = backend
        self.X = X
        self.err = sq_dist_error(X.shape[1], np.sqrt(float(X_sq.max())))
        labeled = np.flatnonzero(mask)
        self.ids = np.empty(len(labeled) + budget, dtype=np.intp)  # the centers
        self.ids[: len(labeled)] = labeled
        # The centers' rows and squared norms, in order, for the scores.
        self.C = np.empty((len(self.ids), X.shape[1]), dtype=X.dtype)
        self.C_sq = np.empty(len(self.ids), dtype=X_sq.dtype)
        self.C[: len(labeled)], self.C_sq[: len(labeled)] = X[labeled], X_sq[labeled]
        self._start(
            X,
            X_sq,
            X[labeled],
            X_sq[labeled],
            labeled,
            len(self.ids),
            prune,
            block_size,
        )

    def _start(self, X, X_sq, centers, centers_sq, own, capacity, prune, block_size):
        """The state of the points ``X`` (numpy, float32 squared norms ``X_sq``)
        for the numpy rows ``centers`` (squared norms ``centers_sq``), of which the
        points at positions ``own`` are the ones in ``X``; room for ``capacity``
        centers in all."""
        be = self.be
        self.n_points = X.shape[0]
        self.sq = X_sq  # numpy, for the float64 scores
        self.Xt, self.X_sq = be.asarray(X), be.asarray(X_sq)
        self.step = max(1, block_size // X.shape[1])
        self.n_centers = len(centers)
        self.scanned = 0
        # d[j]: squared distance from j to its nearest center, -inf for centers
        # (never chosen, even when every distance is 0).
        if len(centers):
            group, d = nearest_sq_dists(X, centers, X_sq, centers_sq, backend=be)
            group, d = be.asarray(group.astype(np.int64)), be.asarray(d)
        else:
            group, d = be.zeros_int(self.n_points), be.full(self.n_points, np.inf)
        if len(own):
            d[be.index(own)] = -np.inf
        self.d = d
        self.groups = None
        if prune:
            self.groups = CenterGroups(group, d, len(centers), capacity, be)

    def _centers(self, n_centers):
        """The rows and squared norms of the first ``n_centers`` centers, on the
        backend."""
        at = self.be.index(self.ids[:n_centers])
        return self.Xt[at], self.X_sq[at]

    def _exact(self, candidates):  # float64 distance to the nearest center
        return exact_min_sq_dists(
            self.X[candidates], self.X[self.ids[: self.n_centers]]
        )

    def choose(self):
        c, _ = choose_max(self.d, self.err, self._exact, self.be)
        return c, np.sqrt(max(self._score(self.X[c], self.sq[c]), 0.0))

    def _score(self, x, x_sq):
        """The float64 squared distance from the row ``x`` to its nearest center."""
        k = self.n_centers
        return exact_nearest_center(x, x_sq, self.C[:k], self.C_sq[:k], self.err)

    def add(self, c, last=False):
        g_new = self.n_centers
        self.ids[g_new] = c
        self.C[g_new], self.C_sq[g_new] = self.X[c], self.sq[c]
        self.n_centers += 1
        self.d[c] = -np.inf
        if not last:
            self._lower(self.Xt[c], self.X_sq[c], g_new)

    def _lower(self, x_c, sq_c, g_new):
        """Lower the distances to the new center ``g_new`` (its row ``x_c`` and
        squared norm ``sq_c`` on the backend), skipping the groups it cannot take
        a point from. The rows (``self.Xt``) are read only when some point is
        to be looked at."""
        be, X_sq, d = self.be, self.X_sq, self.d
        groups, points = slice(None), slice(None)
        if self.groups is not None and g_new > 0:
            centers, centers_sq = self._centers(g_new)
            sq_to_new = centers_sq - 2 * be.matvec(centers, x_c)
            sq_to_new += sq_c
            groups, points = self.groups.to_scan(
                sq_to_new, g_new, self.err, self.n_points
            )
        if isinstance(points, slice):
            blocks = [
                slice(r0, r0 + self.step) for r0 in range(0, self.n_points, self.step)
            ]
            self.scanned += self.n_points
        else:
            blocks = [
                be.index(points[r0 : r0 + self.step])
                for r0 in range(0, len(points), self.step)
            ]
            self.scanned += len(points)
        group = None if self.groups is None else self.groups.group
        Xt = self.Xt if blocks else None
        for sub in blocks:
            new = X_sq[sub] - 2 * be.matvec(Xt[sub], x_c)
            new += sq_c
            be.clip0_(new)
            closer = new < d[sub]
            d[sub] = be.where(closer, new, d[sub])
            if group is not None:
                group[sub] = be.where(closer, g_new, group[sub])
        if self.groups is not None:
            # The groups looked at, and the new one, hold exactly the points looked
            # at.
            if not isinstance(groups, slice):
                groups = np.append(groups, g_new)
            self.groups.reset(groups, points, d)


def k_center_greedy(
    X,
    X_sq,
    mask,
    budget,
    rng,
    backend=NUMPY,
    prune=True,
    block_size=BLOCK_SIZE,
    log=None,
):
    """K-center greedy on a conditioned float32 pool; returns ``(indices,
    distances)``: ``distances[i]`` is the Euclidean distance from pick ``i`` to its
    nearest labeled or already picked point when it was picked (inf for the random
    first pick of a cold start), in the units of ``X``. See :class:`KCenterGreedy`.
    """
    state = KCenterGreedy(X, X_sq, mask, budget, backend, prune, block_size)
    first = None if mask.any() else (rng.choice(X.shape[0]), np.inf)
    return run_greedy(state, budget, first=first, log=log)


class DSquaredSeeding:
    """k-means++ seeding (D-squared sampling) with a distance given as a function.

    ``sq_dist_to(c)`` returns the float64 squared distances from every candidate to
    candidate ``c``; ``first`` is the first center. Each later pick is drawn with
    probability proportional to the squared distance to the nearest center so far
    (uniformly among the candidates left when every distance is 0), with one
    uniform number from ``rng`` per pick, so a seed gives the same picks. Follows
    the protocol of :func:`run_greedy`; positions are into the candidates.
    """

    def __init__(self, n_points, sq_dist_to, rng):
        self.n_points = n_points
        self.sq_dist_to = sq_dist_to
        self.rng = rng
        self.d = np.full(n_points, np.inf)
        self.taken = np.zeros(n_points, dtype=bool)
        self.scanned = 0

    def choose(self):
        d = np.where(self.taken, 0.0, self.d)
        total = float(d.sum())
        u = self.rng.random_sample()
        if not total > 0 or not np.isfinite(total):
            free = np.flatnonzero(~self.taken)
            return int(free[min(int(u * len(free)), len(free) - 1)]), 0.0
        c = int(np.searchsorted(np.cumsum(d) / total, u, side="right"))
        c = min(c, self.n_points - 1)
        while self.taken[c]:  # u at the very top: the last point with mass
            c -= 1
        return c, float(self.d[c])

    def add(self, c, last=False):
        self.taken[c] = True
        if last:
            return
        np.minimum(self.d, np.maximum(self.sq_dist_to(c), 0.0), out=self.d)
        self.scanned += self.n_points
