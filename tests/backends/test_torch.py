# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""The torch backend behind ``device=``, checked on torch's CPU device against the
numpy backend (no GPU on the test machines: the code is the same on any device).
The kernels are written once; these tests show the two backends' operations agree."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from skactive import CoresetSampler, TypiClustSampler
from skactive._kernels._exact import condition_pool
from skactive._kernels._greedy import k_center_greedy
from skactive._kernels._pairwise import knn_sq_dist_stats, nearest_sq_dists
from skactive.backends import NUMPY, get_backend
from skactive.cluster import SampledKMeans

torch = pytest.importorskip("torch")


@pytest.fixture
def backend():
    return get_backend("cpu", "test")


def test_knn_kernel_matches_numpy(backend):
    X = np.random.RandomState(0).normal(size=(120, 5)).astype(np.float32)
    before = X.copy()
    for kwargs in (
        {},
        {"rows": np.array([3, 0, 119, 50])},
        {"rows": np.array([3, 0, 119, 50]), "ref": np.array([0, 1, 2, 3, 70, 119])},
        {"ref": np.arange(0, 120, 3)},
    ):
        expected = knn_sq_dist_stats(X, 4, **kwargs)
        got = knn_sq_dist_stats(X, 4, block_size=64, backend=backend, **kwargs)
        for e, g in zip(expected, got, strict=True):
            assert g.dtype == e.dtype and g.shape == e.shape
            np.testing.assert_allclose(g, e, rtol=1e-4)
    np.testing.assert_array_equal(X, before)


def test_nearest_kernel_matches_numpy_and_leaves_the_pool_alone(backend):
    rs = np.random.RandomState(1)
    X = rs.normal(size=(300, 6)).astype(np.float32)
    C = rs.normal(size=(7, 6)).astype(np.float32)
    norms = np.linalg.norm(X, axis=1).astype(np.float32)
    before = X.copy()
    for kwargs in (
        {},
        {"X_sq": np.ones(300, np.float32), "norms": norms},
        {"offset": C.mean(axis=0), "return_runners": True},
    ):
        expected = nearest_sq_dists(X, C, **kwargs)
        got = nearest_sq_dists(X, C, block_size=64, backend=backend, **kwargs)
        np.testing.assert_array_equal(got[0], expected[0])
        np.testing.assert_allclose(got[1], expected[1], rtol=1e-4, atol=1e-5)
        if "return_runners" in kwargs:
            np.testing.assert_array_equal(got[2][0], expected[2][0])
            for g, e in zip(got[2][1:], expected[2][1:], strict=True):
                np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(X, before)  # CPU tensors share numpy's memory


@pytest.mark.parametrize("n_labeled", [0, 20])
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"clusterer": "sampled"},
        {"typicality": "sampled", "max_clusters": 4},  # revisits, sampled search
        {"max_clusters": 4},  # revisits, kept neighbour lists
    ],
)
def test_typiclust_on_a_torch_device_picks_what_numpy_picks(params, n_labeled):
    X, _ = make_blobs(n_samples=800, centers=8, n_features=6, random_state=0)
    mask = np.zeros(len(X), dtype=bool)
    mask[np.random.RandomState(0).choice(len(X), n_labeled, replace=False)] = True
    cpu = TypiClustSampler(random_state=0, **params).fit(X)
    dev = TypiClustSampler(random_state=0, device="cpu", **params).fit(X)
    got, expected = dev.query_details(mask, 30), cpu.query_details(mask, 30)
    np.testing.assert_array_equal(got.indices, expected.indices)
    np.testing.assert_array_equal(got.cluster_labels, expected.cluster_labels)
    np.testing.assert_allclose(got.scores, expected.scores, rtol=1e-4)


@pytest.mark.parametrize("prune", [True, False])
@pytest.mark.parametrize("n_labeled", [0, 30])
def test_greedy_engine_on_torch_picks_what_numpy_picks(backend, n_labeled, prune):
    X, _ = make_blobs(n_samples=1500, centers=6, n_features=5, random_state=1)
    Xw, _, _, sq = condition_pool(X, center="auto")
    mask = np.zeros(len(X), dtype=bool)
    mask[:n_labeled] = True
    runs = [
        k_center_greedy(
            Xw, sq.astype(np.float32), mask, 150, np.random.RandomState(0), be, prune
        )
        for be in (NUMPY, backend)
    ]
    np.testing.assert_array_equal(runs[1][0], runs[0][0])
    np.testing.assert_allclose(runs[1][1], runs[0][1], rtol=1e-4)


def test_sampled_kmeans_on_a_torch_device_labels_as_numpy():
    X, _ = make_blobs(n_samples=3000, centers=12, n_features=6, random_state=0)
    for normalize in (False, True):
        params = {"n_clusters": 12, "normalize": normalize, "random_state": 0}
        cpu = SampledKMeans(samples_per_cluster=50, **params).fit(X)
        dev = SampledKMeans(samples_per_cluster=50, device="cpu", **params).fit(X)
        np.testing.assert_array_equal(dev.labels_, cpu.labels_)
        np.testing.assert_array_equal(dev.predict(X[:100]), cpu.predict(X[:100]))


def test_device_auto_is_numpy_without_a_gpu():
    if torch.cuda.is_available():
        pytest.skip("a GPU is here")
    assert get_backend("auto") is NUMPY
    X, _ = make_blobs(n_samples=300, centers=3, random_state=0)
    np.testing.assert_array_equal(
        CoresetSampler(device="auto", random_state=0).fit(X).query(budget=20),
        CoresetSampler(random_state=0).fit(X).query(budget=20),
    )


@pytest.mark.parametrize("n_labeled", [0, 20])
def test_coreset_on_a_torch_device_picks_what_numpy_picks(n_labeled):
    X, _ = make_blobs(n_samples=2000, centers=8, n_features=6, random_state=0)
    mask = np.zeros(len(X), dtype=bool)
    mask[np.random.RandomState(0).choice(len(X), n_labeled, replace=False)] = True
    cpu = CoresetSampler(random_state=0).fit(X)
    dev = CoresetSampler(random_state=0, device="cpu").fit(X)
    got, got_scores = dev.query(mask, 200, return_scores=True)
    expected, expected_scores = cpu.query(mask, 200, return_scores=True)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_allclose(got_scores, expected_scores, rtol=1e-4)


@pytest.mark.parametrize("sampler", [TypiClustSampler, CoresetSampler])
def test_bad_devices_are_named(sampler):
    X, _ = make_blobs(n_samples=50, random_state=0)
    with pytest.raises(ValueError, match="device='warp-drive' is not a torch device"):
        sampler(device="warp-drive").fit(X).query(budget=2)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device='cuda'.*no CUDA device"):
            sampler(device="cuda").fit(X).query(budget=2)


@pytest.mark.parametrize("sampler", [TypiClustSampler, CoresetSampler])
def test_a_device_without_torch_names_the_extra(sampler, monkeypatch):
    X, _ = make_blobs(n_samples=50, random_state=0)
    fitted = sampler(device="cpu").fit(X)
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match=r"pip install 'skactive\[torch\]'"):
        fitted.query(budget=2)


def test_the_default_path_never_imports_torch():
    code = (
        "import sys; import numpy as np; "
        "from skactive import CoresetSampler, TypiClustSampler; "
        "X = np.random.RandomState(0).normal(size=(300, 4)); "
        "TypiClustSampler(random_state=0, clusterer='sampled').fit(X).query(budget=3); "
        "CoresetSampler(random_state=0).fit(X).query(budget=3); "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr
