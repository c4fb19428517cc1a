# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Uniform random selection: the baseline every strategy must beat."""

import numpy as np

from skactive.base import BaseSampler, SamplerTags


class RandomSampler(BaseSampler):
    """Select unlabeled points uniformly at random, without replacement.

    The baseline against which every active-learning strategy is measured.

    Parameters
    ----------
    random_state : int, RandomState instance or None, default=None
        Seed of the draw. With an int, the same mask gives the same points; a larger
        budget extends the selection of a smaller one (the order is one random
        permutation of the unlabeled points). Scores
        (``query(..., return_scores=True)``) are NaN: a random draw has none.

    Attributes
    ----------
    n_samples_fit_ : int
        Number of points in the fitted pool.
    n_features_in_ : int
        Number of features seen during :meth:`fit`.

    See Also
    --------
    TypiClustSampler : Typical points of large clusters, for low budgets.
    CoresetSampler : K-center greedy covering, for high budgets.

    Notes
    -----
    ``X`` may be a ``dask.array.Array`` (see :ref:`larger-than-memory`): ``fit``
    reads only its shape, so it computes nothing and, unlike in memory, does not
    check that the values are finite; ``query`` draws exactly what it draws for an
    in-memory pool of the same size.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive import RandomSampler
    >>> X = np.arange(20, dtype=float).reshape(10, 2)
    >>> sampler = RandomSampler(random_state=0).fit(X)
    >>> mask = np.zeros(10, dtype=bool)
    >>> mask[[0, 1]] = True
    >>> picks = sampler.query(mask, budget=3)
    >>> picks.shape, bool(mask[picks].any())
    ((3,), False)
    """

    def __init__(self, random_state=None):
        super().__init__(random_state=random_state)

    def __sampler_tags__(self):
        return SamplerTags(prefix_stable=True, dask=True)

    def _fit(self, X):
        # A random draw needs only the pool size, which fit already stores.
        pass

    def _query(self, mask, budget, rng, y):
        picks = rng.permutation(np.flatnonzero(~mask))[:budget]
        return picks, np.full(budget, np.nan)
