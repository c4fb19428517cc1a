# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Typicality inside one cluster: the state TypiClust keeps per cluster as its
points get picked, and the tie rule that rounding cannot flip."""

from functools import partial

import numpy as np

from skactive._kernels._exact import (
    argmax_bounded,
    exact_sq_dists,
    row_blocks,
    smallest_within,
    sq_dist_error,
)
from skactive._kernels._pairwise import knn_sq_dist_stats, row_sq_norms
from skactive.backends import NUMPY

# Added to the mean squared distance before inverting it, as the authors do.
EPS = 1e-5
# Typicalities this close (relative) count as tied.
TIE_RTOL = 1e-5
# Sampled typicality: reference points and exact candidates per cluster of m points,
# min(TYPICALITY_SAMPLE, m // 10) of each (at least K + 1).
TYPICALITY_SAMPLE = 1024


class ClusterTypicality:
    """Typicality among the candidates of one cluster, as they get picked.

    The rows are shifted to the candidates' mean (in float64) and rounded once to
    float32, where the matrix-product distances keep their precision. The first
    visit computes, for every candidate, the sum of the squared distances to its
    ``K`` nearest other candidates and the ``K``-th of them. When a point is
    picked, only the candidates that had it within their ``K``-th nearest distance
    lose a neighbour: a later visit finds them with one matrix-vector product and
    recomputes just their rows. When ``K`` itself changes (``m // 2`` below
    ``n_neighbors``), everything is recomputed. The pick is then settled by
    :func:`most_typical`, on float64 values wherever float32 could decide wrongly.
    """

    def __init__(self, rows, candidates, sq_unit, backend=NUMPY):
        self.rows = rows  # rows(index) -> float64 rows as TypiClust sees them
        self.candidates = candidates  # live candidates, ascending pool indices
        self.knn = partial(knn_sq_dist_stats, backend=backend)
        self.sq_unit = sq_unit  # squared distances of rows() times this: X's units
        # X: the candidates' working rows for the first visit only (a state kept
        # for a later visit holds one value per candidate, not its rows).
        self.shift, self.err, self.X = centred_rows(rows, candidates)
        self.k = None
        self.removed = None  # the point picked last, not yet accounted for

    def _update(self, n_neighbors):
        m = len(self.candidates)
        k = min(n_neighbors, m // 2)
        X = self.X
        if X is None:
            X = working_rows(self.rows, self.candidates, self.shift)
        self.X = None
        if k != self.k:
            self.k = k
            self.sums, self.kth = self.knn(X, k, center=False)
        elif self.removed is not None:
            y = (self.rows([self.removed])[0] - self.shift).astype(np.float32)
            d_y = row_sq_norms(X) - 2 * (X @ y) + y @ y
            # The picked point may have been among these rows' K nearest: both
            # float32 distances are within err of the true ones.
            stale = np.flatnonzero(d_y <= self.kth + 2 * self.err)
            if len(stale):
                sums, kth = self.knn(X, k, rows=stale, center=False)
                self.sums[stale], self.kth[stale] = sums, kth
        self.removed = None

    def pop_most_typical(self, n_neighbors):
        """Remove the most typical candidate; return it and its typicality."""
        if len(self.candidates) == 1:  # a single candidate: nothing to compare
            only = self.candidates[0]
            self.candidates = self.candidates[1:]
            return only, np.nan
        self._update(n_neighbors)
        rows, candidates, k = self.rows, self.candidates, self.k
        best, score = most_typical(
            self.sums,
            k,
            self.err,
            self.sq_unit,
            lambda pos: exact_typicality(rows, candidates, pos, k, self.sq_unit),
        )
        pick = self.candidates[best]
        keep = np.arange(len(self.candidates)) != best
        self.candidates, self.sums, self.kth = (
            self.candidates[keep],
            self.sums[keep],
            self.kth[keep],
        )
        self.removed = pick
        return pick, score


def centred_rows(rows, candidates):
    """The rows of ``candidates`` as the float32 kernels use them: shifted by their
    float64 mean and rounded once to float32. Returns ``(shift, err, X)``, ``err``
    bounding the rounding of a float32 squared distance between two of them. Two
    passes of blocks of rows, so a large cluster is never held in float64 whole."""
    d = rows(candidates[:1]).shape[1]
    blocks = row_blocks(len(candidates), d)
    if len(blocks) == 1:  # the common case: one block, read once
        whole = rows(candidates)
        shift = whole.sum(axis=0) / len(candidates)
    else:
        shift = sum(rows(candidates[b]).sum(axis=0) for b in blocks) / len(candidates)
    X = np.empty((len(candidates), d), dtype=np.float32)
    radius_sq = 0.0
    for b in blocks:
        block = (whole if len(blocks) == 1 else rows(candidates[b])) - shift
        radius_sq = max(radius_sq, float(np.einsum("ij,ij->i", block, block).max()))
        X[b] = block
    return shift, sq_dist_error(d, np.sqrt(radius_sq)), X


def working_rows(rows, candidates, shift):
    """The rows of ``candidates`` shifted by ``shift`` and rounded once to float32,
    as :func:`centred_rows` makes them, in blocks."""
    out = np.empty((len(candidates), len(shift)), dtype=np.float32)
    for b in row_blocks(*out.shape):
        out[b] = rows(candidates[b]) - shift
    return out


def typicality_of_sums(sums, k, sq_unit):
    return 1.0 / (sums * (sq_unit / k) + EPS)


def most_typical(sums, k, err, sq_unit, exact):
    """Position and typicality of the most typical row, from the float32-based sums
    of the ``k`` nearest squared distances, each distance within ``err``.

    Typicalities within a relative ``1e-5`` of the largest count as tied, and ties
    go to the lowest position: two mutual nearest neighbours have the same
    typicality. The rule is applied to float64 typicalities (from ``exact``) for
    the rows float32 rounding leaves in doubt, so no CPU decides it differently.
    """
    t = typicality_of_sums(sums, k, sq_unit)
    lower = typicality_of_sums(sums + k * err, k, sq_unit)
    upper = typicality_of_sums(np.maximum(sums - k * err, 0), k, sq_unit)
    return argmax_bounded(t, lower, upper, exact, rtol=TIE_RTOL)


def exact_knn_sums(rows, candidates, positions, k, ref=None):
    """Float64 sums of the ``k`` smallest squared distances from the candidates at
    ``positions`` to those at ``ref`` (all when None), a candidate never counting as
    its own neighbour; ``rows(index)`` gives the float64 rows."""
    ref = np.arange(len(candidates)) if ref is None else np.asarray(ref)
    positions = np.asarray(positions)
    R = rows(candidates[ref])
    sums = np.empty(len(positions))
    for b in row_blocks(len(positions), len(ref)):
        pos = positions[b]
        D = exact_sq_dists(rows(candidates[pos]), R)
        D[pos[:, None] == ref[None, :]] = np.inf
        near = np.sort(np.partition(D, k - 1, axis=1)[:, :k], axis=1)
        sums[b] = near.sum(axis=1)
    return sums


def exact_typicality(rows, candidates, positions, k, sq_unit):
    sums = exact_knn_sums(rows, candidates, positions, k)
    return typicality_of_sums(sums, k, sq_unit)


def sample_count(m, k, sample_size):
    """The sample and shortlist size of sampled typicality in a cluster of ``m``
    candidates with ``k`` neighbours: ``m // 10``, at most ``sample_size`` (no
    bound when 0), at least ``k + 1``, at most ``m``."""
    s = m // 10 if sample_size == 0 else min(sample_size, m // 10)
    return min(m, max(s, k + 1))


class SampledClusterTypicality:
    """The most typical candidate of a large cluster, found in two passes of a
    cost linear in the cluster's size.

    ``s = min(sample_size, m // 10)`` (at least ``K + 1``, at most ``m``; with
    ``sample_size=0``, ``m // 10`` whatever ``m``). Pass one estimates every
    candidate's density from its ``K * s / m`` nearest points (at least one) in a
    random sample of ``s`` candidates, which keeps the neighbourhood radius about
    the same as ``K`` among all ``m``. Pass two computes the exact typicality,
    among all ``m`` candidates, of the ``s`` candidates with the densest
    estimates; the best of them is picked. Both passes cost ``s m d``
    multiply-adds, against ``m^2 d`` for exact typicality. Each visit starts over
    on the candidates left. Both the shortlist and the pick are settled on float64
    values where float32 rounding leaves them in doubt.
    """

    def __init__(
        self,
        rows,
        candidates,
        sq_unit,
        rng,
        backend=NUMPY,
        sample_size=TYPICALITY_SAMPLE,
    ):
        self.rows = rows
        self.candidates = candidates
        self.knn = partial(knn_sq_dist_stats, backend=backend)
        self.sample_size = sample_size
        self.sq_unit = sq_unit
        self.rng = rng
        self.shift, self.err, self.X = centred_rows(rows, candidates)

    def pop_most_typical(self, n_neighbors):
        """Remove the most typical candidate of the shortlist; return it and its
        exact typicality."""
        m = len(self.candidates)
        if m == 1:
            only = self.candidates[0]
            self.candidates = self.candidates[1:]
            return only, np.nan
        k = min(n_neighbors, m // 2)
        s = sample_count(m, k, self.sample_size)
        rows, candidates, sq_unit, X = self.rows, self.candidates, self.sq_unit, self.X
        if X is None:  # a later visit: the rows of the candidates left
            X = working_rows(rows, candidates, self.shift)
        self.X = None
        ref = np.sort(self.rng.choice(m, s, replace=False))
        k_ref = min(max(1, round(k * s / m)), s - 1)
        estimate, _ = self.knn(X, k_ref, ref=ref, center=False)
        shortlist = smallest_within(
            estimate,
            k_ref * self.err,
            s,
            lambda pos: exact_knn_sums(rows, candidates, pos, k_ref, ref=ref),
        )
        self.shortlist = candidates[shortlist]
        sums, _ = self.knn(X, k, rows=shortlist, center=False)
        best, score = most_typical(
            sums,
            k,
            self.err,
            sq_unit,
            lambda pos: exact_typicality(rows, candidates, shortlist[pos], k, sq_unit),
        )
        best = shortlist[best]
        pick = self.candidates[best]
        self.candidates = np.delete(self.candidates, best)
        return pick, score
