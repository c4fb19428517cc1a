# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""skactive samplers as modAL query strategies, and modAL on current scikit-learn.

Needs modAL (``pip install 'skactive[modal-python]'``). Importing this module applies
:func:`patch_modal` when, and only when, the installed scikit-learn needs it.
"""

import functools
import inspect
import numbers

import numpy as np
import sklearn.utils
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_array

from skactive.base import BaseSampler, _LabelView, get_sampler_tags

try:
    import modAL.models.learners as _modal_learners
except ImportError as exc:  # pragma: no cover - exercised without the extra
    raise ImportError(
        "skactive.integration.modal needs modAL: pip install 'skactive[modal-python]'"
    ) from exc

__all__ = ["SamplerStrategy", "patch_modal"]


def _needs_patch():
    return (
        "force_all_finite" not in inspect.signature(sklearn.utils.check_X_y).parameters
    )


def patch_modal():
    """Make modAL 0.4.x's learners work on scikit-learn >= 1.8.

    modAL-python 0.4.2.1 (its last release) calls ``check_X_y(...,
    force_all_finite=...)`` in ``ActiveLearner.fit``, ``teach`` and
    ``_add_training_data``; scikit-learn 1.8 removed that keyword (renamed
    ``ensure_all_finite`` in 1.6), so every modAL loop fails with ``TypeError``.

    This replaces the ``check_X_y`` that ``modAL.models.learners`` imported by one
    that passes the value on as ``ensure_all_finite``; nothing else changes. It
    patches only when the installed scikit-learn lacks ``force_all_finite``, and at
    most once. Importing :mod:`skactive.integration.modal` calls it.

    Returns
    -------
    patched : bool
        ``True`` if this call patched modAL, ``False`` if it was not needed or done
        already.

    Examples
    --------
    >>> from skactive.integration.modal import patch_modal
    >>> patch_modal()  # already applied at import, or not needed
    False
    """
    current = _modal_learners.check_X_y
    if getattr(current, "_skactive_patch", False) or not _needs_patch():
        return False

    @functools.wraps(current)
    def check_X_y(*args, force_all_finite=True, **kwargs):
        kwargs.setdefault("ensure_all_finite", force_all_finite)
        return current(*args, **kwargs)

    check_X_y._skactive_patch = True
    _modal_learners.check_X_y = check_X_y
    return True


patch_modal()


def _key_dtype(*dtypes):
    """The dtype in which rows of these dtypes are compared.

    Integers and booleans compare as integers among themselves; with floats, at the
    precision of the least precise float (integers count as float64), so that a
    float64 row matches its float32 copy and the other way round. Other dtypes
    compare as the first one (the pool's).
    """
    if not all(d.kind in "biuf" for d in dtypes):
        return dtypes[0]
    floats = [d for d in dtypes if d.kind == "f"]
    if not floats:
        return np.result_type(*dtypes)
    return min(floats, key=lambda d: d.itemsize)


def _row_keys(X, dtype):
    """One opaque, comparable key per row: its bytes once converted to ``dtype``,
    with -0.0 turned into 0.0 (rows are finite: no NaN to canonicalise)."""
    with np.errstate(over="ignore"):  # beyond float32's range: inf, matching nothing
        X = np.ascontiguousarray(X, dtype=dtype)
    if X.dtype.kind == "f":
        X = X + X.dtype.type(0)  # -0.0 + 0.0 is +0.0; a copy, never the input
    return X.view(np.dtype((np.void, X.dtype.itemsize * X.shape[1]))).ravel()


def _group_ranks(groups, n_groups):
    """Rank of each item among the items of its group, in index order, and the
    index order grouped by group with each group's start in it."""
    order = np.argsort(groups, kind="stable")
    starts = np.concatenate([[0], np.cumsum(np.bincount(groups, minlength=n_groups))])
    ranks = np.empty(len(groups), dtype=np.intp)
    ranks[order] = np.arange(len(groups)) - starts[groups[order]]
    return ranks, order, starts


class SamplerStrategy:
    """A skactive sampler as a modAL query strategy, over a fixed pool.

    Give it the sampler (or a Pipeline ending in one) and the *whole* pool, labeled
    rows included, in the feature space the learner sees; then use it as
    ``ActiveLearner(estimator, query_strategy=strategy)`` or with a ``Committee``.
    On the first query it fits a clone of the sampler on the pool; each query then
    works out which rows are labeled and selects with
    ``sampler.query(labeled_mask, n_instances)``, so a modAL loop picks exactly
    what the sampler picks on the full pool, round by round, cold start included.

    How the strategy sees the labeled points: rows are matched by value.

    - Labeled: the pool rows equal to a row of the learner's ``X_training`` (for a
      committee, of its first learner that has training data; modAL 0.4 keeps
      ``Committee.X_training`` at ``None``). Every training row must be in the pool.
    - Candidates: the other pool rows that are in ``X_pool``, the array modAL passes
      (it may shrink as labeled rows are removed, or keep them: labeled rows are
      never picked).
    - Pool rows in neither (discarded without a label) are never picked; to the
      sampler they count as pending: masked, without a label.

    Samplers that read labels (``UncertaintySampler``, ``BudgetSwitchSampler``...)
    get the learner's ``y_training`` at the labeled rows, whatever the labels are
    (a label equal to the sampler's ``missing_label`` still counts as known). A
    sampler that fits a model and was given none (``estimator=None``) gets a clone
    of the learner's estimator (a committee's first member's) when it has
    ``predict_proba``, set on the strategy's own clone of the sampler at the first
    query; the sampler you passed is never changed.

    Duplicate rows are matched copy by copy. Values are compared, not bytes: ``-0.0``
    equals ``0.0``, and rows of different dtypes are compared at the precision of
    the least precise float among the pool, ``X_pool`` and ``X_training`` (so a
    float32 copy of a float64 pool matches it; rows that only differ beyond that
    precision count as copies of one row).

    Parameters
    ----------
    sampler : sampler or Pipeline
        An unfitted skactive sampler, or a Pipeline of unsupervised steps ending in
        one, such as ``make_pipeline(StandardScaler(), PCA(20), TypiClustSampler())``:
        the selection then happens in that pipeline's feature space (fitted on the
        pool, without labels), while rows are matched in the learner's.
    X : array-like of shape (n_samples, n_features)
        The whole pool, as the learner sees it.

    Attributes
    ----------
    sampler_ : sampler or Pipeline
        The fitted clone, after the first query.
    last_labeled_mask_ : ndarray of shape (n_samples,) of bool
        The mask given to the sampler at the last query (labeled or unavailable).

    Examples
    --------
    >>> import numpy as np
    >>> from modAL.models import ActiveLearner
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive import TypiClustSampler
    >>> from skactive.integration.modal import SamplerStrategy
    >>> X, y = load_digits(return_X_y=True)
    >>> strategy = SamplerStrategy(TypiClustSampler(random_state=0), X)
    >>> learner = ActiveLearner(LogisticRegression(max_iter=1000), strategy)
    >>> X_pool, y_pool = X.copy(), y.copy()
    >>> for _ in range(2):
    ...     idx, _ = learner.query(X_pool, n_instances=10)
    ...     learner.teach(X_pool[idx], y_pool[idx])
    ...     X_pool, y_pool = np.delete(X_pool, idx, axis=0), np.delete(y_pool, idx)
    >>> learner.X_training.shape
    (20, 64)
    """

    def __init__(self, sampler, X):
        self.sampler = sampler
        self.X = X

    def _check_sampler(self):
        last = self.sampler[-1] if isinstance(self.sampler, Pipeline) else self.sampler
        if not isinstance(last, BaseSampler):
            raise TypeError(
                "sampler must be a skactive sampler or a Pipeline ending in one; got "
                f"{type(self.sampler).__name__}."
            )

    def _fit(self, learner):
        self._check_sampler()
        self._pool = check_array(
            self.X, dtype=None, ensure_min_samples=2, input_name="X"
        )
        sampler = clone(self.sampler)
        last = sampler[-1] if isinstance(sampler, Pipeline) else sampler
        model = _learner_estimator(learner)
        if (
            model is not None
            and hasattr(model, "predict_proba")
            and get_sampler_tags(last).requires_estimator
            and last.get_params().get("estimator", False) is None
        ):
            last.set_params(estimator=clone(model))
        self.sampler_ = sampler.fit(self._pool)
        self._groupings = {}

    def _grouping(self, dtype):
        """The pool's rows grouped by key in ``dtype``: (keys, groups, ranks)."""
        if dtype not in self._groupings:
            keys, groups = np.unique(_row_keys(self._pool, dtype), return_inverse=True)
            groups = groups.ravel()
            ranks = _group_ranks(groups, len(keys))[0]
            self._groupings[dtype] = keys, groups, ranks
        return self._groupings[dtype]

    def _check_rows(self, rows, name):
        rows = check_array(rows, dtype=None, ensure_min_samples=0, input_name=name)
        if rows.shape[1] != self._pool.shape[1]:
            raise ValueError(
                f"{name} has {rows.shape[1]} features, but the strategy's pool has "
                f"{self._pool.shape[1]}."
            )
        return rows

    def _find(self, rows, name, keys, dtype):
        """Group of each row in the pool's row groups; error for rows not in it."""
        row_keys = _row_keys(rows, dtype)
        if len(row_keys) == 0:
            return np.empty(0, dtype=np.intp)
        groups = np.minimum(np.searchsorted(keys, row_keys), len(keys) - 1)
        missing = np.flatnonzero(keys[groups] != row_keys)
        if len(missing):
            raise ValueError(
                f"{len(missing)} row(s) of {name} (first at position {missing[0]}) "
                "are not in the strategy's pool; give SamplerStrategy the whole pool, "
                "the learner's initial training rows included."
            )
        return groups

    def __call__(self, learner, X_pool, n_instances=1):
        """Select ``n_instances`` rows of ``X_pool``.

        Parameters
        ----------
        learner : modAL ActiveLearner or Committee
            Its ``X_training`` (for a committee, its first member's that has
            training data) holds the labeled rows.
        X_pool : array-like of shape (n_rows, n_features)
            The rows modAL queries, all from the strategy's pool.
        n_instances : int, default=1
            How many rows to select, from 1 to the number of candidates.

        Returns
        -------
        indices : ndarray of shape (n_instances,)
            Positions in ``X_pool``, in selection order.
        scores : ndarray of shape (n_instances,)
            The sampler's scores of them (``query(..., return_scores=True)``).

        Raises
        ------
        TypeError
            If ``n_instances`` is not an int (``bool`` included).
        ValueError
            If ``n_instances`` is below 1 or above the number of candidates, or if
            a row of ``X_pool`` or ``X_training`` is not in the pool.
        """
        if isinstance(n_instances, (bool, np.bool_)) or not isinstance(
            n_instances, numbers.Integral
        ):
            raise TypeError(
                f"n_instances must be an int; got {n_instances!r} of type "
                f"{type(n_instances).__name__}."
            )
        if n_instances < 1:
            raise ValueError(
                f"n_instances must be at least 1; got n_instances={n_instances}."
            )
        if not hasattr(self, "sampler_"):
            self._fit(learner)
        X_pool = self._check_rows(X_pool, "X_pool")
        training = _training_rows(learner)
        if training is not None:
            training = self._check_rows(training, "learner.X_training")
        dtypes = [self._pool.dtype, X_pool.dtype]
        dtypes += [] if training is None else [training.dtype]
        dtype = _key_dtype(*dtypes)
        keys, pool_groups, pool_ranks = self._grouping(dtype)
        n_groups = len(keys)
        q_groups = self._find(X_pool, "X_pool", keys, dtype)
        t_groups = (
            self._find(training, "learner.X_training", keys, dtype)
            if training is not None
            else np.empty(0, dtype=np.intp)
        )
        n_pool = np.bincount(pool_groups, minlength=n_groups)
        n_train = np.bincount(t_groups, minlength=n_groups)
        n_query = np.bincount(q_groups, minlength=n_groups)
        if np.any(n_train > n_pool):
            g = np.flatnonzero(n_train > n_pool)[0]
            raise ValueError(
                f"learner.X_training holds {n_train[g]} copies of a row that the pool "
                f"holds {n_pool[g]} times; it does not match the strategy's pool."
            )
        # Copy k of a row that is neither labeled nor absent from X_pool is a
        # candidate; it maps to copy k of that row in X_pool.
        available = np.minimum(n_query, n_pool - n_train)
        rank = pool_ranks - n_train[pool_groups]
        candidate = (rank >= 0) & (rank < available[pool_groups])
        n_candidates = int(candidate.sum())
        if n_instances > n_candidates:
            raise ValueError(
                f"n_instances={n_instances} is larger than the number of unlabeled "
                f"rows of X_pool ({n_candidates})."
            )
        mask = ~candidate
        self.last_labeled_mask_ = mask
        sampler = (
            self.sampler_[-1] if isinstance(self.sampler_, Pipeline) else self.sampler_
        )
        y = None
        if get_sampler_tags(sampler).requires_labels:
            # Copy k of a training row is copy k of that row in the pool: it has
            # the label of the k-th training row of that value. Without training
            # rows every masked row is pending.
            known = pool_ranks < n_train[pool_groups]
            labels = np.empty(0)
            if training is not None:
                _, t_order, t_starts = _group_ranks(t_groups, n_groups)
                rows = np.flatnonzero(known)
                source = t_order[t_starts[pool_groups[rows]] + pool_ranks[rows]]
                y_training = np.asarray(_training_labels(learner))
                if y_training.ndim == 2 and y_training.shape[1] == 1:
                    y_training = y_training.ravel()
                labels = y_training[source]
            # Which rows are known is given as such, never as a missing-label
            # value that a real label (-1, None...) could equal.
            y = _LabelView.from_known(known, labels, mask)
        picks, scores = sampler.query(mask, n_instances, y=y, return_scores=True)
        _, q_order, q_starts = _group_ranks(q_groups, n_groups)
        positions = q_order[q_starts[pool_groups[picks]] + rank[picks]]
        return positions, scores


def _learner_estimator(learner):
    """The estimator of an ActiveLearner, or of a Committee's first member."""
    if getattr(learner, "estimator", None) is not None:
        return learner.estimator
    for member in getattr(learner, "learner_list", ()):
        return member.estimator
    return None


def _training_labels(learner):
    """The labels of the rows of :func:`_training_rows`."""
    if getattr(learner, "X_training", None) is not None:
        return learner.y_training
    for member in getattr(learner, "learner_list", ()):
        if member.X_training is not None:
            return member.y_training
    return None


def _training_rows(learner):
    """The labeled rows of an ActiveLearner or a Committee (None when none)."""
    if getattr(learner, "X_training", None) is not None:
        return learner.X_training
    for member in getattr(learner, "learner_list", ()):
        if member.X_training is not None:
            return member.X_training
    return None
