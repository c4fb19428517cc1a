# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""SimCLRTransformer with real torch training on tiny data (seconds)."""

import pickle
import subprocess
import sys

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from skactive import TypiClustSampler
from skactive.features import SimCLRTransformer

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # two threads on a busy 2-core machine ran slower
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:400], y[:400]


def small(**params):
    defaults = dict(
        embedding_dim=16, projection_dim=8, batch_size=64, max_epochs=2, random_state=0
    )
    return SimCLRTransformer(**{**defaults, **params})


# The common checks feed 2-D data of many widths, which a fixed image_shape cannot
# fit: they run on the tabular path; the image path has its own tests below.
@parametrize_with_checks([small(max_epochs=1, batch_size=16)])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_training_lowers_the_loss_and_embeddings_are_unit_norm(digits):
    X, _ = digits
    simclr = small(image_shape=(8, 8), max_epochs=6).fit(X)
    assert simclr.n_epochs_ == 6 and len(simclr.loss_curve_) == 6
    assert simclr.loss_curve_[-1] < simclr.loss_curve_[0] - 0.1
    Z = simclr.transform(X)
    assert Z.shape == (400, 8) and Z.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(Z, axis=1), 1.0, atol=1e-5)
    encoder = simclr.set_params(output="encoder").transform(X)
    assert encoder.shape == (400, 16)


def test_fit_is_deterministic_for_a_fixed_random_state(digits):
    X, _ = digits
    a = small(image_shape=(1, 8, 8)).fit_transform(X)
    b = small(image_shape=(1, 8, 8)).fit_transform(X)
    np.testing.assert_array_equal(a, b)
    c = small(image_shape=(1, 8, 8), random_state=1).fit_transform(X)
    assert not np.allclose(a, c)
    before = torch.random.get_rng_state()
    small(image_shape=(8, 8), max_epochs=1).fit(X)
    assert torch.equal(before, torch.random.get_rng_state())  # global RNG untouched


def test_tabular_rows_and_colour_images_train():
    rs = np.random.RandomState(0)
    rows = rs.normal(size=(120, 7)) * [1, 10, 100, 1, 1, 1, 1]
    Z = small(max_epochs=3).fit_transform(rows)
    assert Z.shape == (120, 8) and np.isfinite(Z).all()
    images = rs.uniform(0, 255, size=(60, 3 * 8 * 8))
    Z = small(image_shape=(3, 8, 8), max_epochs=1).fit_transform(images)
    assert Z.shape == (60, 8)


def test_pipeline_with_a_sampler_end_to_end(digits):
    X, y = digits
    pipe = make_pipeline(
        small(image_shape=(8, 8), max_epochs=3), TypiClustSampler(random_state=0)
    )
    pipe.fit(X)
    picks = pipe[-1].query(budget=10)
    assert len(np.unique(picks)) == 10
    direct = TypiClustSampler(random_state=0).fit(pipe[0].transform(X))
    np.testing.assert_array_equal(picks, direct.query(budget=10))


def test_pickle_joblib_and_clone(digits, tmp_path):
    X, _ = digits
    simclr = small(image_shape=(8, 8)).fit(X)
    Z = simclr.transform(X)
    again = pickle.loads(pickle.dumps(simclr))
    np.testing.assert_array_equal(again.transform(X), Z)
    joblib.dump(simclr, tmp_path / "simclr.joblib")
    np.testing.assert_array_equal(
        joblib.load(tmp_path / "simclr.joblib").transform(X), Z
    )
    fresh = clone(simclr)
    assert not hasattr(fresh, "encoder_") and fresh.get_params() == simclr.get_params()


def test_max_time_stops_training(digits):
    X, _ = digits
    simclr = small(image_shape=(8, 8), max_epochs=1000, max_time=0.01).fit(X)
    assert simclr.n_epochs_ == 1


def test_verbose_shows_a_progress_bar(digits, capsys):
    X, _ = digits
    small(image_shape=(8, 8), max_epochs=2, verbose=1).fit(X)
    err = capsys.readouterr().err
    assert "SimCLR" in err and "loss=" in err


@pytest.mark.parametrize(
    "params, X, error, message",
    [
        (
            {"image_shape": (1, 28, 28)},
            np.zeros((5, 64)),
            ValueError,
            r"image_shape=\(1, 28, 28\) holds 784 values, but X has 64 features",
        ),
        (
            {"image_shape": (2, 2, 2, 2)},
            np.zeros((5, 16)),
            ValueError,
            "image_shape must be",
        ),
        (
            {"image_shape": (3, 3)},
            np.zeros((5, 9)),
            ValueError,
            r"image_shape=\(3, 3\): images need at least 4 x 4 pixels",
        ),
        (
            {"image_shape": (8.5, 8)},
            np.zeros((5, 68)),
            TypeError,
            r"image_shape must hold ints; got image_shape=\(8.5, 8\), whose 8.5",
        ),
        (
            {"image_shape": (8, True)},
            np.zeros((5, 8)),
            TypeError,
            r"image_shape=\(8, True\), whose True is a bool",
        ),
        (
            {"image_shape": (0, 8, 8)},
            np.zeros((5, 64)),
            ValueError,
            r"image_shape must hold positive sizes; got image_shape=\(0, 8, 8\)",
        ),
        (
            {"image_shape": (-8, -8)},
            np.zeros((5, 64)),
            ValueError,
            r"positive sizes; got image_shape=\(-8, -8\)",
        ),
        (
            {"image_shape": (8,)},
            np.zeros((5, 8)),
            ValueError,
            r"image_shape must be .*; got image_shape=\(8,\)",
        ),
        (
            {"device": "tpu"},
            np.zeros((5, 3)),
            ValueError,
            "device='tpu' is not a torch",
        ),
        ({"device": "meta"}, np.zeros((5, 3)), ValueError, "device='meta': torch"),
        ({}, np.array([[0.0, np.nan], [1.0, 2.0]]), ValueError, "NaN"),
        ({}, np.zeros(5), ValueError, "Expected 2D array"),
        ({"temperature": 0}, np.zeros((5, 3)), ValueError, "temperature"),
    ],
)
def test_bad_input(params, X, error, message):
    with pytest.raises(error, match=message):
        small(**params).fit(X)


def test_transform_checks_the_feature_count(digits):
    X, _ = digits
    simclr = small(image_shape=(8, 8), max_epochs=1).fit(X)
    with pytest.raises(ValueError, match="X has 10 features"):
        simclr.transform(X[:, :10])


def test_torch_is_imported_only_when_used():
    code = (
        "import sys, skactive, skactive.features; "
        "from skactive.features import SimCLRTransformer; SimCLRTransformer(); "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


def test_missing_torch_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match=r"pip install 'skactive\[torch\]'"):
        small().fit(np.zeros((4, 3)))


def test_numpy_int_and_list_image_shapes_are_accepted(digits):
    X, _ = digits
    for shape in [(np.int64(8), np.int32(8)), [1, 8, 8]]:
        Z = small(image_shape=shape, max_epochs=1).fit_transform(X[:64])
        assert Z.shape == (64, 8)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
@pytest.mark.parametrize("device", ["cuda", "cuda:1"])
def test_cuda_without_cuda_is_a_clear_error(device):
    simclr = small(device=device)  # nothing is checked before fit
    with pytest.raises(ValueError, match=rf"device='{device}': torch finds no CUDA"):
        simclr.fit(np.zeros((5, 3)))


def test_auto_and_cpu_devices_train():
    X = np.random.RandomState(0).normal(size=(40, 3))
    a = small(device="auto", max_epochs=1).fit_transform(X)
    b = small(device="cpu", max_epochs=1).fit_transform(X)
    if not torch.cuda.is_available():
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("factor", [1e18, 2.0**200, 1e300])
def test_huge_tabular_rows_embed_like_the_same_rows_scaled_down(factor):
    # Float32 squares overflow from about 1e19 (1e18 with a few hundred rows): the
    # scale became inf and every embedding the same.
    X = np.random.RandomState(0).normal(size=(300, 5))
    reference = small(max_epochs=1).fit_transform(X)
    Z = small(max_epochs=1).fit_transform(X * factor)
    assert np.ptp(Z, axis=0).max() > 0.1  # not all identical
    np.testing.assert_allclose(Z, reference, atol=1e-5)
    big32 = (X * 1e18).astype(np.float32)  # float32 input, as large
    Z32 = small(max_epochs=1).fit(big32).transform(big32)
    assert np.ptp(Z32, axis=0).max() > 0.1


def test_power_of_two_scaling_gives_the_same_embeddings():
    X = np.random.RandomState(0).normal(size=(100, 5)).astype(np.float32)
    reference = small(max_epochs=1).fit_transform(X)
    np.testing.assert_array_equal(
        small(max_epochs=1).fit_transform(X * 2.0**100), reference
    )


def test_images_of_any_pixel_scale_up_to_the_float32_limit():
    rs = np.random.RandomState(0)
    images = rs.uniform(-1.9, 1.9, size=(60, 64)).astype(np.float32)
    reference = small(image_shape=(8, 8), max_epochs=1).fit_transform(images)
    huge = np.ldexp(images, 127)  # up to 3.2e38: max - min overflows float32
    Z = small(image_shape=(8, 8), max_epochs=1).fit_transform(huge)
    assert np.ptp(Z, axis=0).max() > 0.01
    np.testing.assert_array_equal(Z, reference)
