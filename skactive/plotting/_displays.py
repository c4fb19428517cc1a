# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Display objects in the style of scikit-learn's: ``from_*`` builds, ``plot`` draws."""

import numpy as np
from sklearn.decomposition import PCA
from sklearn.utils.validation import check_is_fitted

from skactive.utils._distances import min_sq_dists


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


class SelectionDisplay:
    """What a sampler picked, drawn on a 2-D view of the pool.

    Build it with :meth:`from_sampler`. The pool is drawn as small dots (coloured by
    cluster when the sampler has clusters, such as TypiClust after a query), the
    labeled points as black crosses, and the picks as large markers numbered in
    selection order. With ``coverage=True`` each labeled or picked point gets a
    circle of the covering radius, the largest distance from a pool point to its
    nearest center: Coreset's objective (drawn only for 2-D features, where
    circles are the true balls).

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
    >>> display = SelectionDisplay.from_sampler(sampler, picks)
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
            Its ``X_fit_`` (or ``X_2d``) gives the coordinates; TypiClust's
            ``labels_`` the colours.
        picks : array-like of shape (n_picks,)
            What ``sampler.query`` returned.
        labeled_mask : array-like of shape (n_samples,) of bool, default=None
            The mask given to ``query``.
        X_2d : array-like of shape (n_samples, 2), default=None
            Coordinates to draw; by default the features themselves when they are
            2-D, else their first two principal components.
        coverage : bool, default=False
            Draw the covering balls (2-D features only).
        title : str, default=None
            Title; by default the sampler's class name.
        ax : matplotlib Axes, default=None
            Where to draw; a new figure when None.

        Returns
        -------
        display : SelectionDisplay
        """
        check_is_fitted(sampler)
        picks = np.asarray(picks)
        X = np.asarray(sampler.X_fit_)
        if X_2d is None:
            X_2d = X if X.shape[1] == 2 else PCA(2, random_state=0).fit_transform(X)
        X_2d = np.asarray(X_2d)
        if X_2d.shape != (len(X), 2):
            raise ValueError(f"X_2d must have shape ({len(X)}, 2); got {X_2d.shape}.")
        mask = None if labeled_mask is None else np.asarray(labeled_mask, dtype=bool)
        radius = None
        if coverage:
            if X.shape[1] != 2:
                raise ValueError(
                    "coverage=True needs 2-D features: balls in a projection are "
                    f"not balls; the sampler was fitted on {X.shape[1]} features."
                )
            centers = picks if mask is None else np.r_[np.flatnonzero(mask), picks]
            X32 = X.astype(np.float32)
            radius = float(np.sqrt(min_sq_dists(X32, X32[centers]).max()))
        clusters = getattr(sampler, "labels_", None)
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
        """Draw on ``ax`` (a new figure when None); returns the display."""
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
    """Accuracy against the number of labels, one curve per strategy, with the
    spread over seeds.

    Parameters
    ----------
    n_labels : array-like of shape (n_rounds,)
        Labels after each round.
    scores : dict of str to array-like of shape (n_seeds, n_rounds)
        Score of each strategy at each round, one row per seed.
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
        """
        ax = _axes(ax)
        n = np.asarray(self.n_labels)
        for name, values in self.scores.items():
            values = np.atleast_2d(np.asarray(values, dtype=float))
            if values.shape[1] != len(n):
                raise ValueError(
                    f"scores[{name!r}] has {values.shape[1]} rounds, n_labels {len(n)}."
                )
            mean, std = values.mean(axis=0), values.std(axis=0)
            ax.plot(n, mean, marker="o", label=name)
            ax.fill_between(n, mean - std, mean + std, alpha=0.2)
        ax.set(xlabel="labeled points", ylabel=self.score_name)
        if title:
            ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend()
        self.ax_, self.figure_ = ax, ax.figure
        return self
