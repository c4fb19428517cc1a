# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from skactive import BADGESampler, TypiClustSampler
from skactive.samplers._uncertainty import default_estimator


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:400], y[:400]


def brute_force_badge(model, X, y, mask, budget, seed):
    """BADGE as written: the gradient embeddings built, then k-means++ seeding."""
    rng = np.random.RandomState(seed)
    model.set_params(random_state=rng.randint(np.iinfo(np.int32).max))
    model.fit(X[mask], y[mask])
    free = np.flatnonzero(~mask)
    p = model.predict_proba(X[free])
    a = p.copy()
    a[np.arange(len(a)), p.argmax(1)] -= 1
    h = np.hstack([X[free], np.ones((len(free), 1))])  # the intercept's gradient
    G = (a[:, :, None] * h[:, None, :]).reshape(len(free), -1)
    picks = [int(np.argmax((G**2).sum(1)))]
    for _ in range(budget - 1):
        d = ((G[:, None, :] - G[None, picks, :]) ** 2).sum(-1).min(1)
        u = rng.random_sample()
        picks.append(int(np.searchsorted(np.cumsum(d) / d.sum(), u, side="right")))
    return free[picks]


@pytest.mark.parametrize("seed", [0, 1])
def test_badge_is_kmeans_plus_plus_on_the_gradient_embeddings(digits, seed):
    X, y = digits
    mask = np.zeros(len(y), dtype=bool)
    mask[np.random.RandomState(seed).choice(len(y), 40, replace=False)] = True
    model = LogisticRegression(max_iter=2000)
    got = (
        BADGESampler(estimator=model, random_state=seed)
        .fit(X)
        .query(mask, 15, y=np.where(mask, y, -1))
    )
    expected = brute_force_badge(
        LogisticRegression(max_iter=2000), X, y, mask, 15, seed
    )
    np.testing.assert_array_equal(got, expected)


def test_badge_with_the_default_pipeline_uses_its_features(digits):
    X, y = digits
    mask = np.zeros(len(y), dtype=bool)
    mask[:50] = True
    sampler = BADGESampler(random_state=3).fit(X)
    got = sampler.query(mask, 10, y=np.where(mask, y, -1))
    # The Pipeline's random_state is not a parameter of its own: the draws alone
    # use the generator after the seed for the model.
    rng = np.random.RandomState(3)
    model = default_estimator()
    model.fit(X[mask], y[mask])
    free = np.flatnonzero(~mask)
    p = model.predict_proba(X[free])
    a = p.copy()
    a[np.arange(len(a)), p.argmax(1)] -= 1
    h = np.hstack([model[:-1].transform(X[free]), np.ones((len(free), 1))])
    G = (a[:, :, None] * h[:, None, :]).reshape(len(free), -1)
    picks = [int(np.argmax((G**2).sum(1)))]
    for _ in range(9):
        d = ((G[:, None, :] - G[None, picks, :]) ** 2).sum(-1).min(1)
        picks.append(
            int(np.searchsorted(np.cumsum(d) / d.sum(), rng.random_sample(), "right"))
        )
    np.testing.assert_array_equal(got, free[picks])


def test_badge_falls_back_to_typiclust_and_skips_pending_rows(digits):
    X, y = digits
    sampler = BADGESampler(random_state=0).fit(X)
    np.testing.assert_array_equal(
        sampler.query(None, 8), TypiClustSampler(random_state=0).fit(X).query(None, 8)
    )
    mask = np.zeros(len(y), dtype=bool)
    mask[:60] = True
    labels = np.where(mask, y, -1)
    labels[50:60] = -1  # pending
    details = sampler.query_details(mask, 10, y=labels)
    assert details.strategy == "badge" and not mask[details.indices].any()
