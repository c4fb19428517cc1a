# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""The command line's samplers come from all_samplers(), not from a list."""

import numpy as np

import skactive.cli._samplers as cli_samplers
from skactive.base import BaseSampler, SamplerTags, get_sampler_tags
from skactive.cli._demo import STRATEGIES
from skactive.cli._main import build_parser
from skactive.cli._select import METHODS
from skactive.utils import all_samplers


class HerdingSampler(BaseSampler):
    """A feature-only sampler skactive does not ship (yet)."""

    def __init__(self, random_state=None):
        super().__init__(random_state=random_state)

    def _fit(self, X):
        pass

    def _query(self, mask, budget, rng, y):
        picks = np.flatnonzero(~mask)[:budget]
        return picks, np.full(budget, np.nan)


class UncertaintySampler(HerdingSampler):
    """A sampler that reads labels: no command can give it any."""

    def __sampler_tags__(self):
        return SamplerTags(requires_labels=True)


class ExpectedErrorSampler(HerdingSampler):
    """A sampler that needs an estimator: no command can give it one."""

    def __sampler_tags__(self):
        return SamplerTags(requires_estimator=True)


def test_feature_samplers_are_every_shipped_sampler_in_the_commands_order():
    found = cli_samplers.feature_samplers()
    assert [name for name, _ in found][:3] == ["TypiClust", "Coreset", "Random"]
    for name, cls in found:
        assert name == cls.__name__.removesuffix("Sampler")
    wanted = set()
    for _, cls in all_samplers():
        tags = get_sampler_tags(cls())
        if not (tags.requires_labels or tags.requires_estimator):
            wanted.add(cls)
    assert {cls for _, cls in found} == wanted


def test_feature_samplers_skip_samplers_needing_labels_or_an_estimator(monkeypatch):
    shipped = all_samplers()
    extra = [
        ("FakeUncertaintySampler", UncertaintySampler),
        ("HerdingSampler", HerdingSampler),
        ("ExpectedErrorSampler", ExpectedErrorSampler),
    ]
    monkeypatch.setattr(cli_samplers, "all_samplers", lambda: sorted(shipped + extra))
    names = [name for name, _ in cli_samplers.feature_samplers()]
    assert names[:3] == ["TypiClust", "Coreset", "Random"]
    assert "Herding" in names[3:]
    assert "FakeUncertainty" not in names and "ExpectedError" not in names
    assert "Uncertainty" not in names and "BudgetSwitch" not in names


def test_select_methods_are_the_lower_cased_short_names():
    assert list(METHODS)[:3] == ["typiclust", "coreset", "random"]
    expected = {name.lower(): cls for name, cls in cli_samplers.command_samplers()}
    assert METHODS == expected
    assert {cls for cls in METHODS.values()} == {cls for _, cls in all_samplers()}
    parser = build_parser()
    argv = ["select", "pool.npy", "--budget", "1"]
    assert parser.parse_args(argv).method == "typiclust"
    for name in METHODS:
        assert parser.parse_args([*argv, "--method", name]).method == name


def test_demo_strategies_are_the_short_names_typiclust_first():
    assert list(STRATEGIES)[:3] == ["TypiClust", "Coreset", "Random"]
    assert STRATEGIES == dict(cli_samplers.command_samplers())
