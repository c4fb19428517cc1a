# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Display objects in the style of scikit-learn's: ``from_*`` builds, ``plot`` draws."""

from collections.abc import Mapping

import numpy as np
from sklearn.decomposition import PCA
from sklearn.utils import Bunch
from sklearn.utils.validation import check_array, check_is_fitted

from skactive.utils._validation import check_labeled_mask


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "skactive.plotting needs matplotlib: pip install 'skactive[matplotlib]'"
        ) from exc
    return plt


def _axes(ax):
    if ax is None:
        _, ax = _pyplot().subplots()
    return ax


def _two_d(X):
    """Coordinates to draw ``X`` with: itself, the feature and zeros, or PCA."""
    if X.shape[1] == 2:
        return X
    if X.shape[1] == 1:
        # On a line at y = 0: a circle around a point then cuts the line in the
        # true 1-D ball, so the coverage view stays exact.
        return np.column_stack([X[:, 0], np.zeros(len(X))])
    return PCA(2, random_state=0).fit_transform(X)


def _check_picks(picks, n_samples):
    """``picks`` as distinct intp indices into a pool of ``n_samples``."""
    array = np.asarray(picks)
    if array.size == 0:
        array = array.astype(np.intp)
    if array.ndim != 1:
        raise ValueError(
            f"picks must be a 1-D array of indices; got an array of shape "
            f"{array.shape}."
        )
    if array.dtype == np.bool_ or not np.issubdtype(array.dtype, np.integer):
        raise TypeError(
            f"picks must be int indices into the pool; got dtype {array.dtype} "
            f"(picks={_preview(array)})."
        )
    out = (array < 0) | (array >= n_samples)
    if out.any():
        raise ValueError(
            f"picks must be indices in [0, {n_samples}); got "
            f"{array[np.flatnonzero(out)[0]]} (picks={_preview(array)})."
        )
    values, counts = np.unique(array, return_counts=True)
    if (counts > 1).any():
        raise ValueError(
            f"picks must be distinct; {values[counts > 1][0]} appears "
            f"{counts.max()} times (picks={_preview(array)})."
        )
    return array.astype(np.intp, copy=False)


def _preview(array, n=10):
    items = ", ".join(str(v) for v in array[:n].tolist())
    return f"[{items}{', ...' if len(array) > n else ''}]"


def _covering_radius(X, centers):
    """Largest distance from a row of 1-D or 2-D ``X`` to its nearest center, in
    float64 without squares (``hypot``), so huge coordinates do not overflow."""
    C = X[centers]
    best = np.empty(len(X))
    step = max(1, 2**20 // len(C))
    for r0 in range(0, len(X), step):
        diff = X[r0 : r0 + step, None, :] - C[None, :, :]
        dist = (
            np.abs(diff[..., 0])
            if X.shape[1] == 1
            else np.hypot(diff[..., 0], diff[..., 1])
        )
        best[r0 : r0 + step] = dist.min(axis=1)
    return float(best.max())


class SelectionDisplay:
    """What a sampler picked, drawn on a 2-D view of the pool.

    Build it with :meth:`from_sampler`. The pool is drawn as small dots (coloured by
    cluster when given TypiClust's ``query_details``), the
    labeled points as black crosses, and the picks as large markers numbered in
    selection order. With ``coverage=True`` each labeled or picked point gets a
    circle of the covering radius, the largest distance from a pool point to its
    nearest center: Coreset's objective (drawn only for 1-D or 2-D features,
    where circles are the true balls). Pools of one feature are drawn on the x
    axis, at y = 0. Give the pool's features as ``X=``: the display draws your
    coordinates, not the sampler's stored copy.

    Parameters
    ----------
    X_2d : ndarray of shape (n_samples, 2)
        Coordinates of the pool in the plot.
    picks : ndarray of shape (n_picks,)
        Selected indices, in order.
    labeled_mask : ndarray of shape (n_samples,) of bool or None
        Points labeled before the selection.
    clusters : ndarray of shape (n_samples,) or None
        Cluster of each point, for the colours.
    radius : float or None
        Covering radius for the coverage circles, or None for no circles.
    title : str or None
        Title of the axes.

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import make_blobs
    >>> from skactive import TypiClustSampler
    >>> from skactive.plotting import SelectionDisplay
    >>> X, _ = make_blobs(n_samples=200, centers=4, random_state=0)
    >>> sampler = TypiClustSampler(random_state=0).fit(X)
    >>> picks = sampler.query(budget=4)
    >>> display = SelectionDisplay.from_sampler(sampler, picks, X=X)
    >>> len(display.picks)
    4
    """

    def __init__(
        self, X_2d, picks, labeled_mask=None, clusters=None, radius=None, title=None
    ):
        self.X_2d = X_2d
        self.picks = picks
        self.labeled_mask = labeled_mask
        self.clusters = clusters
        self.radius = radius
        self.title = title

    @classmethod
    def from_sampler(
        cls,
        sampler,
        picks,
        *,
        X=None,
        labeled_mask=None,
        X_2d=None,
        coverage=False,
        title=None,
        ax=None,
    ):
        """Draw the picks of a fitted sampler.

        Parameters
        ----------
        sampler : fitted sampler
            Any fitted skactive sampler; its ``n_samples_fit_`` gives the pool
            size.
        picks : array-like of shape (n_picks,) or Bunch
            What ``sampler.query`` returned: distinct int indices into the pool;
            or what ``sampler.query_details`` returned, whose
            ``cluster_labels`` (TypiClust's) then colour the points.
        X : array-like of shape (n_samples, n_features), default=None
            The pool's features, as passed to ``fit``: your own coordinates, the
            ones drawn (and measured, for ``coverage``). Pass it. Without it the
            sampler's stored ``X_fit_`` is used when it has one (RandomSampler
            has none), which a sampler may keep centred or rescaled, so the axes
            may not be in your units.
        labeled_mask : array-like of shape (n_samples,) of bool, default=None
            The mask given to ``query``.
        X_2d : array-like of shape (n_samples, 2), default=None
            Coordinates to draw; by default the features themselves when they are
            2-D, the feature on the x axis (and 0 on y) when there is one, else
            their first two principal components. With ``X_2d`` and without
            ``coverage``, ``X`` is not needed.
        coverage : bool, default=False
            Draw the covering balls (1-D or 2-D features only).
        title : str, default=None
            Title; by default the sampler's class name.
        ax : matplotlib Axes, default=None
            Where to draw; a new figure when None.

        Returns
        -------
        display : SelectionDisplay

        Raises
        ------
        ValueError
            If ``X`` or ``labeled_mask`` does not have one row per fitted sample,
            ``X_2d`` is not of shape (n_samples, 2), ``picks`` are not distinct
            indices into the pool, neither ``X`` nor ``X_fit_`` is there when
            needed, or ``coverage=True`` on more than 2 features.
        TypeError
            If ``picks`` are not integers or ``labeled_mask`` is not boolean.
        """
        check_is_fitted(sampler)
        clusters = None
        if isinstance(picks, Bunch):
            clusters = picks.get("cluster_labels")
            picks = picks.indices
        n_samples = getattr(sampler, "n_samples_fit_", None)
        if X is not None:
            X = check_array(X, dtype=np.float64, input_name="X")
            if n_samples is not None and len(X) != n_samples:
                raise ValueError(
                    f"X has {len(X)} rows, but the sampler was fitted on {n_samples} "
                    "samples; pass the pool as given to fit."
                )
        elif (X_2d is None or coverage) and hasattr(sampler, "X_fit_"):
            X = np.asarray(sampler.X_fit_, dtype=np.float64)
        elif X_2d is None or coverage:
            raise ValueError(
                f"{type(sampler).__name__} keeps no copy of the pool (no X_fit_): "
                "pass the pool's features as X=..., as given to fit (or X_2d=...)."
            )
        if n_samples is None:
            n_samples = len(X) if X is not None else len(np.asarray(X_2d))
        if X_2d is None:
            X_2d = _two_d(X)
        X_2d = check_array(X_2d, dtype=np.float64, input_name="X_2d")
        if X_2d.shape != (n_samples, 2):
            raise ValueError(
                f"X_2d must have shape ({n_samples}, 2); got {X_2d.shape}."
            )
        if clusters is not None and len(clusters) != n_samples:
            raise ValueError(
                f"picks.cluster_labels has {len(clusters)} entries, but the sampler "
                f"was fitted on {n_samples} samples: these details are from another "
                "pool."
            )
        picks = _check_picks(picks, n_samples)
        mask = (
            None
            if labeled_mask is None
            else check_labeled_mask(labeled_mask, n_samples)
        )
        radius = None
        if coverage:
            if X.shape[1] > 2:
                raise ValueError(
                    "coverage=True needs 1-D or 2-D features: balls in a projection "
                    f"are not balls; the sampler was fitted on {X.shape[1]} features."
                )
            centers = picks if mask is None else np.r_[np.flatnonzero(mask), picks]
            radius = _covering_radius(X, centers) if len(centers) else None
        display = cls(
            X_2d,
            picks,
            labeled_mask=mask,
            clusters=clusters,
            radius=radius,
            title=type(sampler).__name__ if title is None else title,
        )
        return display.plot(ax=ax)

    def plot(self, ax=None):
        """Draw the pool, the labeled points and the numbered picks.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; a new figure when None.

        Returns
        -------
        display : SelectionDisplay
            This display, with ``ax_`` and ``figure_`` set.
        """
        ax = _axes(ax)
        plt = _pyplot()
        X, picks = self.X_2d, self.picks
        if self.clusters is None:
            ax.scatter(X[:, 0], X[:, 1], s=6, c="0.7", alpha=0.5)
        else:
            ax.scatter(X[:, 0], X[:, 1], s=6, c=self.clusters, cmap="tab20", alpha=0.5)
        if self.labeled_mask is not None and self.labeled_mask.any():
            L = X[self.labeled_mask]
            ax.scatter(L[:, 0], L[:, 1], marker="x", c="k", s=40, label="labeled")
        ax.scatter(
            X[picks, 0],
            X[picks, 1],
            s=90,
            facecolors="white",
            edgecolors="crimson",
            linewidths=1.5,
            label="picked",
            zorder=3,
        )
        for rank, p in enumerate(picks):
            ax.annotate(
                str(rank + 1), X[p], ha="center", va="center", fontsize=7, zorder=4
            )
        if self.radius is not None:
            centers = picks
            if self.labeled_mask is not None:
                centers = np.r_[np.flatnonzero(self.labeled_mask), picks]
            for c in centers:
                ax.add_patch(
                    plt.Circle(
                        X[c], self.radius, fill=False, color="crimson", alpha=0.3
                    )
                )
            ax.set_aspect("equal", adjustable="datalim")
        if self.title:
            ax.set_title(self.title)
        ax.legend(loc="best", fontsize=8)
        self.ax_, self.figure_ = ax, ax.figure
        return self


class BudgetCurveDisplay:
    """Accuracy against the number of labels, one curve per strategy.

    Each curve is the mean over seeds, with a band of one standard deviation.

    Parameters
    ----------
    n_labels : array-like of shape (n_rounds,)
        Labels after each round.
    scores : dict of str to array-like of shape (n_seeds, n_rounds), or array-like
        Score of each strategy at each round, one row per seed (lists of lists
        are fine; a 1-D array-like of shape (n_rounds,) is one seed). A bare
        array-like instead of a dict draws one curve, without a legend.
    score_name : str, default="accuracy"
        Label of the y axis.

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skactive.plotting import BudgetCurveDisplay
    >>> scores = {"TypiClust": [[0.7, 0.8], [0.72, 0.82]],
    ...           "Random": [[0.4, 0.55], [0.38, 0.5]]}
    >>> display = BudgetCurveDisplay([10, 20], scores).plot()
    >>> [line.get_label() for line in display.ax_.get_lines()]
    ['TypiClust', 'Random']
    """

    def __init__(self, n_labels, scores, score_name="accuracy"):
        self.n_labels = n_labels
        self.scores = scores
        self.score_name = score_name

    def plot(self, ax=None, title=None):
        """Draw mean curves with a band of one standard deviation over seeds.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; a new figure when None.
        title : str, default=None
            Title of the axes.

        Returns
        -------
        display : BudgetCurveDisplay
            This display, with ``ax_`` and ``figure_`` set.

        Raises
        ------
        ValueError
            If ``n_labels`` is not a non-empty 1-D array of numbers, ``scores``
            is empty, or a strategy's scores are not numbers of shape
            (n_seeds, n_rounds) or (n_rounds,) with one round per ``n_labels``.
        """
        n, curves = _check_curves(self.n_labels, self.scores)
        ax = _axes(ax)
        for name, values in curves:
            mean, std = values.mean(axis=0), values.std(axis=0)
            ax.plot(n, mean, marker="o", label=name)
            ax.fill_between(n, mean - std, mean + std, alpha=0.2)
        ax.set(xlabel="labeled points", ylabel=self.score_name)
        if title:
            ax.set_title(title)
        ax.grid(alpha=0.3)
        if any(name is not None for name, _ in curves):
            ax.legend()
        self.ax_, self.figure_ = ax, ax.figure
        return self


def _check_curves(n_labels, scores):
    """``n_labels`` as a 1-D float array, ``scores`` as (name, 2-D array) pairs."""
    try:
        n = np.asarray(n_labels, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"n_labels must be a 1-D array-like of numbers; got {n_labels!r} ({exc})."
        ) from exc
    if n.ndim != 1 or len(n) == 0:
        raise ValueError(
            "n_labels must be a non-empty 1-D array-like of numbers; got an array "
            f"of shape {n.shape}."
        )
    items = list(scores.items()) if isinstance(scores, Mapping) else [(None, scores)]
    if not items:
        raise ValueError("scores is empty: give at least one strategy's scores.")
    curves = []
    for name, values in items:
        where = "scores" if name is None else f"scores[{name!r}]"
        try:
            values = np.asarray(values, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"{where} must be numbers of shape (n_seeds, n_rounds) or "
                f"(n_rounds,), with as many rounds in every row ({exc})."
            ) from exc
        if values.ndim == 1:
            values = values[None, :]
        if values.ndim != 2 or values.shape[0] == 0:
            raise ValueError(
                f"{where} must have shape (n_seeds, n_rounds) or (n_rounds,) with "
                f"at least one seed; got shape {values.shape}."
            )
        if values.shape[1] != len(n):
            raise ValueError(
                f"{where} has {values.shape[1]} rounds, n_labels {len(n)}."
            )
        curves.append((name, values))
    return n, curves
