# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""A sampler that switches from a low-budget strategy to a high-budget one as the
labels grow (Hacohen, Dekel and Weinshall, ICML 2022: opposite strategies suit low
and high budgets)."""

import numbers
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedShuffleSplit

from skactive.base import BaseSampler, SamplerTags, _split_details, get_sampler_tags
from skactive.samplers._normalize import collapse_member
from skactive.samplers._uncertainty import UncertaintySampler, default_estimator
from skactive.utils._compat import HasMethods, Interval, StrOptions
from skactive.utils._validation import check_instances


def learning_gain(X, y, estimator=None, n_repeats=5, random_state=0):
    """What doubling its labels buys a model, measured on the labels it has.

    Each of ``n_repeats`` stratified random splits holds out a third of the
    labeled points; ``estimator`` is trained on the other two thirds and on a
    random half of them (a third of the labels), and scored on the held-out
    third. The gain is the mean difference of the two accuracies. It falls as the
    learning curve flattens, where the low-budget strategy's typical points stop
    paying (the spirit of SelectAL's derivative test, Hacohen and Weinshall,
    2023).

    Parameters
    ----------
    X : ndarray of shape (n_labeled, n_features)
        The labeled points.
    y : ndarray of shape (n_labeled,)
        Their labels.
    estimator : estimator or None, default=None
        The classifier, cloned; ``None``:
        :func:`~skactive.samplers._uncertainty.default_estimator`.
    n_repeats : int, default=5
        Random splits averaged over.
    random_state : int, default=0
        Seeds the splits.

    Returns
    -------
    gain : float
        Mean accuracy with two thirds of the labels minus mean accuracy with one
        third; ``inf`` while a class has fewer than three labels (no split holds
        every class out and in).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skactive.samplers import learning_gain
    >>> X, y = load_digits(return_X_y=True)
    >>> bool(learning_gain(X[:60], y[:60]) > learning_gain(X[:1000], y[:1000]))
    True
    """
    model = default_estimator() if estimator is None else estimator
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) < 2 or counts.min() < 3:
        return np.inf
    splits = StratifiedShuffleSplit(
        n_splits=n_repeats, test_size=len(y) // 3, random_state=random_state
    )
    gains = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for train, test in splits.split(X, y):
            third = train[: len(train) // 2]  # the splitter shuffles train
            if len(np.unique(y[third])) < 2:
                continue
            full = clone(model).fit(X[train], y[train]).score(X[test], y[test])
            part = clone(model).fit(X[third], y[third]).score(X[test], y[test])
            gains.append(full - part)
    return float(np.mean(gains)) if gains else np.inf


_MEMBERS = ("low", "high")


def _same(a, b):
    """Whether two parameter values are the same (NaN equals NaN)."""
    if a is b:
        return True
    if type(a) is not type(b) or hasattr(a, "get_params"):
        return False
    try:
        return bool(a == b) or (a != a and b != b)
    except (TypeError, ValueError):  # arrays and such: the same object only
        return False


class BudgetSwitchSampler(BaseSampler):
    """TypiClust while labels are few, uncertainty sampling once they are many.

    Hacohen, Dekel and Weinshall (2022) show that the strategies that pay at low
    budgets (typical, diverse points) and at high budgets (uncertain points) are
    opposite, with a crossover that moves with the data and the features. This
    sampler holds one of each and decides, at each query, from the labels given,
    which one answers.

    Parameters
    ----------
    low : sampler or None, default=None
        Answers below the switch; ``None``:
        ``TypiClustSampler(random_state=random_state)``.
    high : sampler or None, default=None
        Answers from the switch on; ``None``:
        ``UncertaintySampler(estimator=estimator, random_state=random_state)``.
    estimator : estimator or None, default=None
        The classifier of the default ``high`` sampler and of ``switch="auto"``'s
        rule; ``None``: :func:`~skactive.samplers._uncertainty.default_estimator`
        (a LogisticRegression with ``C=10`` on L2-normalised rows). An estimator
        with neither ``predict_proba`` nor ``decision_function`` is a
        ``TypeError`` at fit.
    switch : "auto" or int, default="auto"
        The rule.

        - An int ``n``: ``high`` answers once ``n`` points have known labels (or,
          with ``per_class=True``, once every labeled class has ``n``).
        - ``"auto"``: ``high`` answers once doubling the labels stops paying:
          when :func:`learning_gain` (the accuracy a model trained on two thirds
          of the labels has over one trained on a third, on the held-out third)
          falls below ``min_gain``. On digits and MNIST-5k it switched at 40 to
          120 labels, within a point of the better of TypiClust and margin at
          every budget (measurements in :ref:`the user guide <budgets>`).
    per_class : bool, default=False
        With an int ``switch``, count labels per class (the smallest count of
        the classes seen).
    min_gain : float, default=0.15
        The gain below which ``switch="auto"`` moves to ``high``: 15 points of
        accuracy from doubling the labels. Values from 0.12 to 0.18 did as well
        in the measurements.
    missing_label : int, float, str or None, default=-1
        The value of ``y`` that marks a masked point as pending.
    random_state : int, RandomState instance or None, default=None
        Seeds the default ``low`` and ``high`` samplers.

    Attributes
    ----------
    low_ : sampler
        The fitted clone of ``low``.
    high_ : sampler
        The fitted clone of ``high``.
    n_samples_fit_ : int
        Number of points in the fitted pool.
    n_features_in_ : int
        Number of features seen during :meth:`fit`.

    See Also
    --------
    TypiClustSampler : The default low-budget sampler.
    UncertaintySampler : The default high-budget sampler.

    Notes
    -----
    Parameters of the two samplers are set as in a Pipeline:
    ``BudgetSwitchSampler(low__n_neighbors=10)`` is not valid, but
    ``set_params(low__n_neighbors=10)`` is, and ``get_params()`` lists them, also
    with ``low=None`` or ``high=None`` (then those of the default sampler, which
    such a ``set_params`` puts in their place; see :meth:`set_params`).
    :meth:`query_details` says which one answered (``strategy``: ``"low"`` or
    ``"high"``) and, with ``switch="auto"``, the ``gain`` measured. The rule is
    decided from the labels alone, at every query: nothing is remembered between
    queries.

    References
    ----------
    .. [1] G. Hacohen, A. Dekel and D. Weinshall, "Active Learning on a Budget:
       Opposite Strategies Suit High and Low Budgets", ICML 2022.
    .. [2] G. Hacohen and D. Weinshall, "How to Select Which Active Learning
       Strategy is Best Suited for Your Specific Problem and Budget", NeurIPS
       2023.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skactive import BudgetSwitchSampler
    >>> X, y = load_digits(return_X_y=True)
    >>> sampler = BudgetSwitchSampler(switch=30, random_state=0).fit(X)
    >>> mask = np.zeros(len(X), dtype=bool)
    >>> for _ in range(4):
    ...     details = sampler.query_details(mask, 10, y=np.where(mask, y, -1))
    ...     mask[details.indices] = True
    ...     print(details.strategy, end=" ")
    low low low high
    """

    _parameter_constraints: dict = {
        **BaseSampler._parameter_constraints,
        "low": [HasMethods(["fit", "query"]), None],
        "high": [HasMethods(["fit", "query"]), None],
        "estimator": [
            HasMethods(["fit", "predict_proba"]),
            HasMethods(["fit", "decision_function"]),
            None,
        ],
        "switch": [
            StrOptions({"auto"}),
            Interval(numbers.Integral, 0, None, closed="left"),
        ],
        "per_class": ["boolean"],
        "min_gain": [Interval(numbers.Real, None, None, closed="neither")],
        "missing_label": [int, float, str, None],
    }

    def __init__(
        self,
        low=None,
        high=None,
        estimator=None,
        switch="auto",
        per_class=False,
        min_gain=0.15,
        missing_label=-1,
        random_state=None,
    ):
        super().__init__(random_state=random_state)
        self.low = low
        self.high = high
        self.estimator = estimator
        self.switch = switch
        self.per_class = per_class
        self.min_gain = min_gain
        self.missing_label = missing_label

    def __sampler_tags__(self):
        return SamplerTags(requires_labels=True, requires_estimator=True)

    def _default(self, name):
        """The sampler that ``low=None`` or ``high=None`` stands for, as the
        other parameters make it now."""
        if name == "low":
            from skactive.samplers._typiclust import TypiClustSampler

            return TypiClustSampler(random_state=self.random_state)
        return UncertaintySampler(
            estimator=self.estimator, random_state=self.random_state
        )

    def _samplers(self):
        low = self._default("low") if self.low is None else self.low
        high = self._default("high") if self.high is None else self.high
        return low, high

    def get_params(self, deep=True):
        """Get the parameters of this sampler.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of ``low`` and ``high`` as
            ``low__<name>``; with ``low=None`` (or ``high=None``), those of the
            default sampler it stands for.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        params = super().get_params(deep=deep)
        if deep:
            for name in _MEMBERS:
                if getattr(self, name) is None:
                    inner = self._default(name).get_params(deep=True)
                    params.update({f"{name}__{k}": v for k, v in inner.items()})
        return params

    def set_params(self, **params):
        """Set the parameters of this sampler.

        ``low__<name>`` sets a parameter of ``low``. With ``low=None`` it is one
        of the default sampler's: if every such value is the default's (as
        :meth:`get_params` gives them), ``low`` stays ``None``; otherwise ``low``
        becomes the default sampler, made from the current ``random_state`` (and,
        for ``high``, a clone of ``estimator``), with those values set. The same
        holds for ``high``.

        Parameters
        ----------
        **params : dict
            Parameter names mapped to their new values.

        Returns
        -------
        self : BudgetSwitchSampler
            This sampler.
        """
        nested = {}
        for name in _MEMBERS:
            if params.get(name, getattr(self, name)) is None:
                prefix = f"{name}__"
                keys = [key for key in params if key.startswith(prefix)]
                nested[name] = {key[len(prefix) :]: params.pop(key) for key in keys}
        super().set_params(**params)
        for name, values in nested.items():
            if not values:
                continue
            default = self._default(name)
            current = default.get_params(deep=True)
            if all(
                key in current and _same(current[key], value)
                for key, value in values.items()
            ):
                continue
            if name == "high" and self.estimator is not None:
                default.set_params(estimator=clone(self.estimator))
            setattr(self, name, default.set_params(**values))
        return self

    def _fit(self, X):
        check_instances(self, ("low", "high"))
        low, high = self._samplers()
        with collapse_member("low"):
            self.low_ = clone(low).fit(X)
        # Checks only when low did not; a default high member's estimator is ours.
        param = "estimator" if self.high is None else None
        with collapse_member("high", estimator_param=param):
            self.high_ = clone(high).fit(X)
        self._X = X

    def _query(self, mask, budget, rng, y):
        use_high, extra = self._use_high(y)
        sampler = self.high_ if use_high else self.low_
        # The view of the known labels is passed on as it is, so no missing-label
        # value of the inner sampler can be mistaken for a real label.
        labels = y if get_sampler_tags(sampler).requires_labels else None
        indices, scores, rest = _split_details(
            sampler.query_details(mask, budget, y=labels)
        )
        if "strategy" in rest:  # what the inner sampler did (e.g. its fallback)
            rest["inner_strategy"] = rest.pop("strategy")
        rest.update(extra)
        rest["strategy"] = "high" if use_high else "low"
        return indices, scores, rest

    def _use_high(self, y):
        if y is None or not y.known.any():
            return False, {}
        labels = y.labels
        if self.switch != "auto":
            if self.per_class:
                _, counts = np.unique(labels, return_counts=True)
                return bool(counts.min() >= self.switch and len(counts) > 1), {}
            return bool(len(labels) >= self.switch), {}
        gain = learning_gain(
            self._X[y.known], labels, estimator=self.estimator, random_state=0
        )
        return bool(gain < self.min_gain), {"gain": gain}
