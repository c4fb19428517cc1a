# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Real modAL loops with skactive strategies (no mocks of modAL)."""

import inspect
import subprocess
import sys

import numpy as np
import pytest
import sklearn.utils
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skactive import CoresetSampler, RandomSampler, TypiClustSampler

pytest.importorskip("modAL")
from modAL.models import ActiveLearner, Committee  # noqa: E402
from modAL.uncertainty import uncertainty_sampling  # noqa: E402

import skactive.integration.modal as skmodal  # noqa: E402
from skactive.integration.modal import SamplerStrategy, patch_modal  # noqa: E402


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:600], y[:600]


def run_loop(learner, X, y, rounds, step=10, remove=True):
    """A modAL pool-based loop; returns the pool indices picked each round."""
    pool_idx = np.arange(len(X))
    picked = []
    for _ in range(rounds):
        idx, rows = learner.query(X[pool_idx], n_instances=step)
        np.testing.assert_array_equal(rows, X[pool_idx][idx])
        picked.append(pool_idx[idx])
        learner.teach(X[pool_idx[idx]], y[pool_idx[idx]])
        if remove:
            pool_idx = np.delete(pool_idx, idx)
    return picked


def direct_picks(sampler, X, rounds, step=10, initial=()):
    """The same selection with the sampler alone, fitted on the full pool."""
    sampler = sampler.fit(X)
    mask = np.zeros(len(X), dtype=bool)
    mask[list(initial)] = True
    picked = []
    for _ in range(rounds):
        last = sampler[-1] if hasattr(sampler, "steps") else sampler
        picks = last.query(mask, step)
        picked.append(picks)
        mask[picks] = True
    return picked


@pytest.mark.parametrize("Sampler", [TypiClustSampler, CoresetSampler, RandomSampler])
@pytest.mark.parametrize("remove", [True, False])
def test_modal_loop_picks_what_the_sampler_picks(digits, Sampler, remove):
    X, y = digits
    strategy = SamplerStrategy(Sampler(random_state=0), X)
    learner = ActiveLearner(LogisticRegression(max_iter=500), query_strategy=strategy)
    got = run_loop(learner, X, y, rounds=4, remove=remove)
    expected = direct_picks(Sampler(random_state=0), X, rounds=4)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_array_equal(g, e)
    assert learner.X_training.shape == (40, 64)
    assert learner.score(X, y) > 0.5  # query, teach and score all work


def test_modal_learner_with_initial_training_rows(digits):
    X, y = digits
    initial = [3, 50, 77, 120, 300]
    strategy = SamplerStrategy(TypiClustSampler(random_state=1), X)
    learner = ActiveLearner(
        LogisticRegression(max_iter=500),
        query_strategy=strategy,
        X_training=X[initial],
        y_training=y[initial],
    )
    pool = np.delete(np.arange(len(X)), initial)
    idx, _ = learner.query(X[pool], n_instances=10)
    expected = direct_picks(TypiClustSampler(random_state=1), X, 1, initial=initial)
    np.testing.assert_array_equal(pool[idx], expected[0])
    assert strategy.last_labeled_mask_[initial].all()
    assert strategy.last_labeled_mask_.sum() == 5


class CountingStrategy(SamplerStrategy):
    calls = 0

    def __call__(self, learner, X_pool, n_instances=1):
        CountingStrategy.calls += 1
        return super().__call__(learner, X_pool, n_instances)


@pytest.mark.parametrize("n_instances", [1, 2, 3])
def test_strategy_is_called_once_per_query(digits, n_instances):
    X, y = digits
    CountingStrategy.calls = 0
    learner = ActiveLearner(
        LogisticRegression(max_iter=500),
        query_strategy=CountingStrategy(CoresetSampler(random_state=0), X),
    )
    idx, rows = learner.query(X, n_instances=n_instances)
    assert CountingStrategy.calls == 1
    # With 2 instances a bare index array would be unpacked as (index, score).
    assert idx.shape == (n_instances,) and rows.shape == (n_instances, 64)
    expected = CoresetSampler(random_state=0).fit(X).query(None, n_instances)
    np.testing.assert_array_equal(idx, expected)


def test_committee_loop(digits):
    X, y = digits
    strategy = SamplerStrategy(TypiClustSampler(random_state=0), X)
    members = [
        ActiveLearner(LogisticRegression(max_iter=500)),
        ActiveLearner(RandomForestClassifier(n_estimators=10, random_state=0)),
    ]
    committee = Committee(learner_list=members, query_strategy=strategy)
    got = run_loop(committee, X, y, rounds=3)
    assert committee.X_training is None  # modAL 0.4 never sets it
    expected = direct_picks(TypiClustSampler(random_state=0), X, rounds=3)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_array_equal(g, e)
    assert committee.score(X, y) > 0.5


def test_pipeline_learner_cold_start_selects_in_pipeline_space(digits):
    X, y = digits

    def selector():
        return make_pipeline(
            StandardScaler(), PCA(10, random_state=0), TypiClustSampler(random_state=0)
        )

    learner = ActiveLearner(
        make_pipeline(StandardScaler(), PCA(10, random_state=0), LogisticRegression()),
        query_strategy=SamplerStrategy(selector(), X),
    )
    got = run_loop(learner, X, y, rounds=2)
    expected = direct_picks(selector(), X, rounds=2)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_array_equal(g, e)


def test_discarded_rows_are_never_picked(digits):
    X, y = digits
    strategy = SamplerStrategy(CoresetSampler(random_state=0), X)
    learner = ActiveLearner(LogisticRegression(max_iter=500), query_strategy=strategy)
    discarded = np.arange(0, 600, 2)
    pool = np.setdiff1d(np.arange(600), discarded)
    idx, _ = learner.query(X[pool], n_instances=20)
    assert not np.isin(pool[idx], discarded).any()
    assert strategy.last_labeled_mask_[discarded].all()


def test_duplicate_rows_map_to_distinct_positions():
    rs = np.random.RandomState(0)
    X = np.repeat(rs.normal(size=(30, 4)), 3, axis=0)  # every row three times
    y = np.arange(90) % 3
    strategy = SamplerStrategy(RandomSampler(random_state=0), X)
    learner = ActiveLearner(LogisticRegression(), query_strategy=strategy)
    learner.teach(X[[0, 1]], y[[0, 1]])  # two copies of row 0 labeled
    idx, _ = learner.query(X, n_instances=88)  # all but those two
    assert len(np.unique(idx)) == 88
    picked = np.zeros(90, dtype=bool)
    picked[idx] = True
    # Exactly one copy of row 0 is left among the candidates.
    assert picked[:3].sum() == 1


def test_strategy_errors(digits):
    X, y = digits
    strategy = SamplerStrategy(TypiClustSampler(random_state=0), X)
    learner = ActiveLearner(LogisticRegression(max_iter=500), query_strategy=strategy)
    with pytest.raises(ValueError, match=r"n_instances=601 is larger .* \(600\)"):
        strategy(learner, X, n_instances=601)
    with pytest.raises(ValueError, match="X_pool has 10 features.*pool has 64"):
        strategy(learner, X[:, :10], n_instances=1)
    with pytest.raises(ValueError, match="row\\(s\\) of X_pool .* not in the strategy"):
        strategy(learner, X + 0.5, n_instances=1)
    with pytest.raises(TypeError, match="n_instances must be an int"):
        strategy(learner, X, n_instances=1.5)
    outsider = ActiveLearner(
        LogisticRegression(max_iter=500),
        query_strategy=strategy,
        X_training=X[:3] + 100.0,
        y_training=y[:3],
    )
    with pytest.raises(ValueError, match="learner.X_training .* not in the strategy"):
        strategy(outsider, X, n_instances=1)
    narrow = ActiveLearner(LogisticRegression(), X_training=X[:3, :5], y_training=y[:3])
    with pytest.raises(ValueError, match="learner.X_training has 5 features"):
        strategy(narrow, X, n_instances=1)
    with pytest.raises(TypeError, match="skactive sampler or a Pipeline"):
        SamplerStrategy(LogisticRegression(), X)(learner, X, 1)


def test_patch_is_applied_only_when_needed_and_idempotent():
    import modAL.models.learners as learners

    needed = (
        "force_all_finite" not in inspect.signature(sklearn.utils.check_X_y).parameters
    )
    assert getattr(learners.check_X_y, "_skactive_patch", False) == needed
    before = learners.check_X_y
    assert patch_modal() is False
    assert learners.check_X_y is before
    assert skmodal._needs_patch() == needed


def test_modal_uncertainty_loop_runs_on_this_scikit_learn(digits):
    """modAL's own loop (fit, teach, query, score), as the patch makes it work."""
    X, y = digits
    learner = ActiveLearner(
        LogisticRegression(max_iter=500),
        query_strategy=uncertainty_sampling,
        X_training=X[:20],
        y_training=y[:20],
    )
    pool = np.arange(20, 600)
    for _ in range(3):
        idx, _ = learner.query(X[pool], n_instances=10)
        learner.teach(X[pool[idx]], y[pool[idx]])
        pool = np.delete(pool, idx)
    assert learner.X_training.shape == (50, 64)
    assert learner.score(X, y) > 0.7


def test_importing_skactive_does_not_import_modal():
    code = "import sys, skactive; print('modAL' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


@pytest.mark.parametrize(
    "n_instances, error, message",
    [
        (0, ValueError, "n_instances must be at least 1; got n_instances=0"),
        (-2, ValueError, "n_instances must be at least 1; got n_instances=-2"),
        (True, TypeError, "n_instances must be an int; got True of type bool"),
        (2.0, TypeError, "n_instances must be an int; got 2.0 of type float"),
        (None, TypeError, "n_instances must be an int; got None"),
    ],
)
def test_bad_n_instances_is_named_n_instances(digits, n_instances, error, message):
    X, _ = digits
    strategy = SamplerStrategy(RandomSampler(random_state=0), X)
    learner = ActiveLearner(LogisticRegression(), query_strategy=strategy)
    with pytest.raises(error, match=message) as info:
        learner.query(X, n_instances=n_instances)
    assert "budget" not in str(info.value)
    idx, _ = learner.query(X, n_instances=np.int64(2))  # numpy ints are ints
    assert idx.shape == (2,)


def test_negative_zero_rows_match_their_positive_zero_copies(digits):
    X, y = digits  # digits are full of 0.0
    initial = [3, 50, 77]
    signed = np.where(X == 0, -0.0, X)
    assert np.signbit(signed[initial]).any()
    strategy = SamplerStrategy(TypiClustSampler(random_state=1), X)
    learner = ActiveLearner(
        LogisticRegression(max_iter=500),
        query_strategy=strategy,
        X_training=signed[initial],
        y_training=y[initial],
    )
    pool = np.delete(np.arange(len(X)), initial)
    idx, _ = learner.query(signed[pool], n_instances=10)
    expected = direct_picks(TypiClustSampler(random_state=1), X, 1, initial=initial)
    np.testing.assert_array_equal(pool[idx], expected[0])
    assert strategy.last_labeled_mask_.sum() == 3
    # And the other way round: a pool with -0.0 queried with +0.0 rows.
    strategy = SamplerStrategy(TypiClustSampler(random_state=1), signed)
    learner = ActiveLearner(
        LogisticRegression(max_iter=500),
        query_strategy=strategy,
        X_training=X[initial],
        y_training=y[initial],
    )
    idx, _ = learner.query(X[pool], n_instances=10)
    np.testing.assert_array_equal(pool[idx], expected[0])


@pytest.mark.parametrize(
    "pool_dtype, learner_dtype", [(np.float64, np.float32), (np.float32, np.float64)]
)
def test_float32_and_float64_copies_of_the_pool_match(pool_dtype, learner_dtype):
    rs = np.random.RandomState(0)
    X = rs.normal(size=(120, 5))  # not exactly representable in float32
    y = (X[:, 0] > 0).astype(int)
    strategy = SamplerStrategy(CoresetSampler(random_state=0), X.astype(pool_dtype))
    learner = ActiveLearner(LogisticRegression(), query_strategy=strategy)
    X_l = X.astype(learner_dtype)
    got = run_loop(learner, X_l, y, rounds=3, step=5)
    expected = direct_picks(CoresetSampler(random_state=0), X.astype(pool_dtype), 3, 5)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_array_equal(g, e)
    assert strategy.last_labeled_mask_.sum() == 10


def test_rows_are_compared_by_value_not_truncated_to_the_pool_dtype():
    X = np.arange(40).reshape(20, 2)  # an integer pool
    strategy = SamplerStrategy(RandomSampler(random_state=0), X)
    learner = ActiveLearner(LogisticRegression(), query_strategy=strategy)
    with pytest.raises(ValueError, match="20 row\\(s\\) of X_pool .* not in"):
        strategy(learner, X + 0.5, n_instances=1)  # 0.5 is not truncated to 0
    idx, _ = strategy(learner, X.astype(float), n_instances=3)
    assert len(np.unique(idx)) == 3


def direct_label_picks(sampler, X, y, rounds, step=10):
    """The selection of a label-reading sampler alone, labels given each round."""
    sampler = sampler.fit(X)
    mask = np.zeros(len(X), dtype=bool)
    picked = []
    for _ in range(rounds):
        picks = sampler.query(mask, step, y=np.where(mask, y, -1))
        picked.append(picks)
        mask[picks] = True
    return picked


@pytest.mark.parametrize("name", ["uncertainty", "switch"])
def test_modal_loop_gives_labels_and_the_learners_estimator(digits, name):
    from skactive import BudgetSwitchSampler, UncertaintySampler

    X, y = digits
    model = LogisticRegression(C=3.0, max_iter=800)
    make = {
        "uncertainty": lambda **kw: UncertaintySampler(random_state=0, **kw),
        "switch": lambda **kw: BudgetSwitchSampler(switch=20, random_state=0, **kw),
    }[name]
    user_sampler = make()
    learner = ActiveLearner(model, query_strategy=SamplerStrategy(user_sampler, X))
    got = run_loop(learner, X, y, rounds=4)
    # The learner's estimator, cloned, is the one the sampler fitted.
    expected = direct_label_picks(make(estimator=model), X, y, rounds=4)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_array_equal(g, e)
    assert user_sampler.estimator is None  # the user's object is left alone
    assert learner.query_strategy.sampler_.estimator.C == 3.0
    # A different estimator would have picked otherwise after the cold start.
    other = direct_label_picks(make(), X, y, rounds=4)
    assert any(not np.array_equal(g, o) for g, o in zip(got, other, strict=True))


def test_rows_dropped_without_a_label_are_pending_not_labeled(digits):
    from skactive import UncertaintySampler

    X, y = digits
    strategy = SamplerStrategy(UncertaintySampler(random_state=0), X)
    learner = ActiveLearner(LogisticRegression(max_iter=800), query_strategy=strategy)
    learner.teach(X[:30], y[:30])
    keep = np.arange(60, len(X))  # rows 30..59 dropped, unlabeled
    idx, _ = learner.query(X[keep], n_instances=10)
    mask = strategy.last_labeled_mask_
    assert mask[:60].all() and not mask[60:].any()
    # The model saw rows 0..29 only: the pending rows 30..59 have no label.
    direct = UncertaintySampler(estimator=LogisticRegression(max_iter=800))
    direct.fit(X)
    labels = np.where(np.arange(len(X)) < 30, y, -1)
    np.testing.assert_array_equal(keep[idx], direct.query(mask, 10, y=labels))


def test_a_label_sampler_before_any_label_with_rows_dropped(digits):
    from skactive import BudgetSwitchSampler, TypiClustSampler

    X, y = digits
    strategy = SamplerStrategy(BudgetSwitchSampler(random_state=0), X)
    learner = ActiveLearner(LogisticRegression(max_iter=500), query_strategy=strategy)
    keep = np.arange(20, len(X))  # 20 rows dropped before any label: pending
    idx, _ = learner.query(X[keep], n_instances=5)
    mask = np.zeros(len(X), dtype=bool)
    mask[:20] = True
    np.testing.assert_array_equal(
        keep[idx], TypiClustSampler(random_state=0).fit(X).query(mask, 5)
    )


@pytest.mark.parametrize("labels", ["minus-one", "uint8", "column"])
def test_modal_labels_of_any_value_and_shape_count_as_known(digits, labels):
    from skactive import BudgetSwitchSampler

    X, y = digits
    binary = (y < 5).astype(int)
    reference = {"minus-one": 2 * binary - 1, "uint8": binary.astype(np.uint8)}.get(
        labels, binary
    )

    def first_query(y_train):
        strategy = SamplerStrategy(BudgetSwitchSampler(switch=10, random_state=0), X)
        learner = ActiveLearner(
            LogisticRegression(max_iter=800),
            query_strategy=strategy,
            X_training=X[:40],
            y_training=y_train,
        )
        return learner.query(X[40:], n_instances=5)[0]

    y_train = reference[:40]
    if labels == "column":
        y_train = y_train.reshape(-1, 1)
    np.testing.assert_array_equal(first_query(y_train), first_query(binary[:40]))


def test_modal_loop_with_string_labels_needs_no_missing_label(digits):
    from skactive import UncertaintySampler

    X, y = digits
    names = np.array([f"digit {v}" for v in y])  # the annotators' class names
    strategy = SamplerStrategy(UncertaintySampler(random_state=0), X)
    learner = ActiveLearner(LogisticRegression(max_iter=800), query_strategy=strategy)
    got = run_loop(learner, X, names, rounds=3)
    # The same loop by hand: the rows without a label marked by a string.
    sampler = UncertaintySampler(
        estimator=LogisticRegression(max_iter=800), missing_label="?", random_state=0
    ).fit(X)
    mask = np.zeros(len(X), dtype=bool)
    for picks in got:
        expected = sampler.query(mask, 10, y=np.where(mask, names, "?"))
        np.testing.assert_array_equal(picks, expected)
        mask[picks] = True


@pytest.mark.parametrize("param", ["estimator", "fallback"])
def test_modal_strategy_refuses_a_wrong_estimator_or_fallback_at_once(digits, param):
    from sklearn.linear_model import LinearRegression

    from skactive import BADGESampler, UncertaintySampler

    X, y = digits
    bad = {"estimator": LinearRegression(), "fallback": BADGESampler()}[param]
    strategy = SamplerStrategy(UncertaintySampler(**{param: bad}), X)
    learner = ActiveLearner(LogisticRegression(max_iter=800), query_strategy=strategy)
    # The first query fits the sampler: refused there, not rounds later.
    with pytest.raises(TypeError, match=rf"{param}.*{type(bad).__name__}"):
        learner.query(X, n_instances=10)
