# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""MaxHerding (Bae, Noh and Sutherland, ECCV 2024): generalised coverage, the
facility-location objective of a kernel, greedily."""

import numbers

import numpy as np
from scipy import sparse

from skactive._kernels._coverage import (
    DenseGains,
    LazyHerding,
    SparseGains,
    kernel_values,
)
from skactive._kernels._greedy import run_greedy
from skactive.base import BaseSampler, SamplerTags
from skactive.samplers._probcover import _neighbors_constraint, fit_graph, graph_reach
from skactive.utils._compat import Interval, StrOptions

# method="auto" computes every pair up to this many points, on the graph above.
_DENSE_UP_TO = 20_000
# bandwidth="auto": these factors times the median distance from a point to its
# n_neighbors-th nearest neighbour (the graph's reach). Dense: the kernel that did
# best at 10 to 60 labels on digits and MNIST-5k. Sparse: narrow enough that the
# kernel beyond the graph is negligible (exp(-8) at the reach), so the sparse
# objective stays that of the kernel: on digits and MNIST-5k the sparse method drops
# 0.4 % and 1.4 % of a median point's kernel density (see the user guide, coverage).
_AUTO_BANDWIDTH = {"dense": 1.0, "sparse": 0.35}


class MaxHerdingSampler(BaseSampler):
    """MaxHerding: greedy kernel coverage, the facility-location objective.

    The objective of a labeled set ``L`` is the mean over the pool of
    ``max_{l in L} k(x, l)``: how well the pool is covered by its nearest labeled
    point, measured by a kernel. Each pick is the point that raises it most
    (Bae et al., 2024); the objective is monotone submodular, so the greedy is
    within ``1 - 1/e`` of the best set, and its lazy form (re-evaluating only the
    candidates that could still win) selects the same points.

    Parameters
    ----------
    kernel : {"rbf", "tophat"}, default="rbf"
        ``"rbf"``: ``exp(-||x - y||^2 / h^2)``, the authors' kernel. ``"tophat"``:
        ``[||x - y|| < h]``, which gives ProbCover's objective.
    bandwidth : "auto" or float, default="auto"
        ``h``, in the units of the (normalised) features. ``"auto"``: from the
        graph's reach ``r``, the median over the pool of the distance to the
        ``n_neighbors``-th nearest neighbour: ``h = r`` for the dense method, and
        ``h = 0.35 r`` for the sparse one, where the kernel beyond the graph,
        at most ``exp(-8)`` for the median point, changes the objective little
        (a wider kernel on the graph would be a different objective). The
        authors use ``h = 1`` on unit vectors, a kernel so wide that every point
        weighs on every other. Set a float for the same kernel at every pool
        size.
    n_neighbors : int, default=50
        Size of the neighbour graph: it sets ``bandwidth="auto"``, and the sparse
        method keeps the kernel on its edges only.
    method : {"auto", "dense", "sparse"}, default="auto"
        ``"dense"``: the kernel between every pair of points, computed in blocks
        (the exact objective; no n x n matrix is held). ``"sparse"``: the kernel
        on the edges of the neighbour graph, 0 elsewhere (memory and time linear
        in the pool). ``"auto"``: dense up to 20,000 points, sparse above.
    neighbors : {"auto", "exact", "ivf", "pynndescent"} or transformer, \
default="auto"
        How the neighbour graph is found; see
        :func:`~skactive.neighbors.knn_graph`.
    normalize : bool, default=True
        L2-normalise the rows first, as the authors do.
    random_state : int, RandomState instance or None, default=None
        Seed of an approximate neighbour graph. The greedy is deterministic.

    Attributes
    ----------
    bandwidth_ : float
        The bandwidth used.
    method_ : str
        ``"dense"`` or ``"sparse"``.
    graph_ : scipy.sparse.csr_array of shape (n_samples, n_samples)
        The neighbour graph, distances on its edges.
    n_samples_fit_ : int
        Number of points in the fitted pool.
    n_features_in_ : int
        Number of features seen during :meth:`fit`.

    See Also
    --------
    ProbCoverSampler : Coverage by balls.
    TypiClustSampler : Typical points of clusters.

    Notes
    -----
    The score of a pick is its gain, the rise of the objective;
    :meth:`query_details` also gives ``coverage``, the objective after each pick,
    so a user can see when coverage saturates. A cold start's first pick is the
    point of largest kernel density, as in the paper. Once no candidate gains
    anything (possible with the top-hat kernel or on the sparse graph), the
    lowest-index point not picked yet is taken.

    Gains are float64; a pick is the lowest index among the candidates within a
    relative ``1e-9`` of the best gain, so rounding that differs between CPUs
    cannot change it. The dense method computes every pair with float64 matrix
    products. The sparse method is an approximation of the objective on large
    pools (the authors cut the pool to 35,000 random points instead): the kernel
    beyond a point's ``n_neighbors`` nearest neighbours is taken as 0 (see
    :ref:`the user guide <coverage>` for how much that changes).

    References
    ----------
    .. [1] W. Bae, J. Noh and D. J. Sutherland, "Generalized Coverage for More
       Robust Low-Budget Active Learning", ECCV 2024.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive import MaxHerdingSampler
    >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [0.2, 0.0], [5.0, 0.0], [5.1, 0.0]])
    >>> sampler = MaxHerdingSampler(bandwidth=0.5, normalize=False).fit(X)
    >>> sampler.query(budget=2)
    array([1, 3])
    >>> details = sampler.query_details(budget=2)
    >>> details.coverage.round(3)
    array([0.584, 0.976])
    """

    _parameter_constraints: dict = {
        **BaseSampler._parameter_constraints,
        "kernel": [StrOptions({"rbf", "tophat"})],
        "bandwidth": [
            StrOptions({"auto"}),
            Interval(numbers.Real, 0, None, closed="neither"),
        ],
        "n_neighbors": [Interval(numbers.Integral, 1, None, closed="left")],
        "method": [StrOptions({"auto", "dense", "sparse"})],
        "neighbors": _neighbors_constraint(),
        "normalize": ["boolean"],
    }

    def __init__(
        self,
        kernel="rbf",
        bandwidth="auto",
        *,
        n_neighbors=50,
        method="auto",
        neighbors="auto",
        normalize=True,
        random_state=None,
    ):
        super().__init__(random_state=random_state)
        self.kernel = kernel
        self.bandwidth = bandwidth
        self.n_neighbors = n_neighbors
        self.method = method
        self.neighbors = neighbors
        self.normalize = normalize

    def __sampler_tags__(self):
        return SamplerTags(prefix_stable=True)

    def _fit(self, X):
        self.X_fit_, self.graph_ = fit_graph(self, X)
        method = self.method
        if method == "auto":
            method = "dense" if X.shape[0] <= _DENSE_UP_TO else "sparse"
        self.method_ = method
        if self.bandwidth == "auto":
            reach = float(np.median(graph_reach(self.graph_)[0]))
            self.bandwidth_ = _AUTO_BANDWIDTH[method] * reach if reach > 0 else 1.0
        else:
            self.bandwidth_ = float(self.bandwidth)
        if method == "sparse":
            K = self.graph_.copy()
            K.data = kernel_values(K.data**2, self.kernel, self.bandwidth_)
            K.eliminate_zeros()
            self._kernel_graph = sparse.csr_array(K)

    def _gains(self, weights=None):
        if self.method_ == "dense":
            return DenseGains(self.X_fit_, self.kernel, self.bandwidth_, weights)
        return SparseGains(self._kernel_graph, weights)

    def _query(self, mask, budget, rng, y):
        state = LazyHerding(self._gains(), mask)
        picks, scores = run_greedy(state, budget, log=self._log)
        return picks, scores, {"coverage": np.asarray(state.coverage)}
