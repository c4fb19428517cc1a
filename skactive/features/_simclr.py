# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""SimCLR (Chen et al., 2020) as a scikit-learn transformer, sized for a CPU."""

import numbers
import sys
import time

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from skactive.backends._torch import torch_device
from skactive.utils._compat import Interval, StrOptions, _fit_context
from skactive.utils._parallel import torch_threads


def _import_torch():
    try:
        import torch

        import skactive.features._nets as nets
    except ImportError as exc:
        raise ImportError(
            f"SimCLRTransformer needs torch: pip install 'skactive[torch]' ({exc})"
        ) from exc
    return torch, nets


def _validate(estimator, X, **kwargs):
    """validate_data, float32 or float64, without the overflow warning that
    scikit-learn's quick finiteness check (a sum) gives on huge finite values."""
    with np.errstate(over="ignore", invalid="ignore"):
        return validate_data(estimator, X, dtype=[np.float32, np.float64], **kwargs)


class SimCLRTransformer(TransformerMixin, BaseEstimator):
    """Self-supervised embeddings learned on the unlabeled pool, with SimCLR.

    ``fit`` trains an encoder so that two random augmentations of a row land close
    together and far from the other rows of the batch (the NT-Xent loss of SimCLR,
    Chen et al., 2020); ``transform`` returns L2-normalised float32 embeddings,
    computed in batches without gradients. Rows are images, flattened, with
    ``image_shape`` (a small CNN and image augmentations: affine warp for crop, zoom,
    shift and rotation, colour jitter for colour images, intensity and stroke-width
    jitter for grayscale ones, noise, erasing; no flips),
    or tabular rows without it (an MLP, and SCARF-style corruption: a random subset
    of features replaced by values drawn from their marginal). It ends in a sampler
    in a Pipeline::

        make_pipeline(SimCLRTransformer(image_shape=(1, 28, 28)), TypiClustSampler())

    Parameters
    ----------
    image_shape : tuple of int, default=None
        ``(channels, height, width)`` or ``(height, width)`` of the images the rows
        flatten, in C order, with positive int sizes whose product is the number of
        features of ``X``; ``None`` for tabular rows. Pixel values may be on any
        scale, up to the largest finite float: they are mapped to [0, 1] with the
        minimum and maximum seen in fit. Tabular rows are standardised per feature,
        in float64 after an exact power-of-two rescaling, so large but finite
        values (1e18 and up) are fine.
    output : {"projection", "encoder"}, default="projection"
        Which layer ``transform`` returns. The projection head's output is the
        default because it is what pays at low budgets (its clusters follow the
        classes more closely; measurements in :ref:`the user guide <simclr>`).
    embedding_dim : int, default=128
        Size of the encoder's output.
    projection_dim : int, default=64
        Size of the projection head's output.
    temperature : float, default=1.0
        Temperature of the NT-Xent loss. Higher values tolerate similar rows of
        the batch as negatives, so similar images stay grouped; lower ones spread
        every image apart. 1.0, not the usual 0.5, is the default for what pays at
        low budgets: with 0.5, longer training splits classes into finer clusters
        (measurements, and when 0.5 pays, in :ref:`the user guide <simclr>`).
    batch_size : int, default=256
        Rows per training batch (the loss contrasts each row with the others).
    max_epochs : int, default=100
        Passes over the data at most.
    max_time : float, default=None
        Training time budget in seconds; training stops after the batch that
        exceeds it. ``None``: no limit but ``max_epochs``.
    learning_rate : float, default=1e-3
        Adam's learning rate.
    device : str or None, default=None
        Where to train and embed, as for every skactive estimator: ``None`` is
        the CPU, ``"auto"`` a GPU torch finds (CUDA, else MPS), else the CPU, and
        any other value a torch device (``"cuda"``, ``"cuda:1"``, ``"mps"``).
        Checked at fit: a name torch does not know, or a device it cannot use here
        (``"cuda"`` without CUDA), is a ``ValueError``.
    n_jobs : int or None, default=None
        CPU threads for fit and transform (torch's intra-op pool and BLAS).
        ``None`` means 1 unless in a :func:`joblib.parallel_config` context;
        ``-1`` means all cores.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, the batches and the augmentations. On the CPU a fixed
        int gives the same embeddings every time.
    verbose : int, default=0
        Show a progress bar (tqdm) with the epoch and the loss on standard error.

    Attributes
    ----------
    encoder_ : torch.nn.Module
        The trained encoder, on the CPU, in eval mode.
    projector_ : torch.nn.Module
        The trained projection head.
    loss_curve_ : list of float
        Mean training loss of each epoch (the last one may be partial).
    n_epochs_ : int
        Epochs trained (a partial last one included).
    n_features_in_ : int
        Number of features seen during :meth:`fit`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skactive.features import SimCLRTransformer
    >>> X, _ = load_digits(return_X_y=True)
    >>> simclr = SimCLRTransformer(image_shape=(8, 8), max_epochs=1, random_state=0)
    >>> Z = simclr.fit_transform(X[:300])
    >>> Z.shape, Z.dtype, bool(np.allclose(np.linalg.norm(Z, axis=1), 1, atol=1e-5))
    ((300, 64), dtype('float32'), True)
    """

    _parameter_constraints: dict = {
        "image_shape": [tuple, list, None],
        "output": [StrOptions({"projection", "encoder"})],
        "embedding_dim": [Interval(numbers.Integral, 1, None, closed="left")],
        "projection_dim": [Interval(numbers.Integral, 1, None, closed="left")],
        "temperature": [Interval(numbers.Real, 0, None, closed="neither")],
        "batch_size": [Interval(numbers.Integral, 2, None, closed="left")],
        "max_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_time": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "learning_rate": [Interval(numbers.Real, 0, None, closed="neither")],
        "device": [str, None],
        "n_jobs": [
            Interval(numbers.Integral, 1, None, closed="left"),
            Interval(numbers.Integral, None, -1, closed="right"),
            None,
        ],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        image_shape=None,
        *,
        output="projection",
        embedding_dim=128,
        projection_dim=64,
        temperature=1.0,
        batch_size=256,
        max_epochs=100,
        max_time=None,
        learning_rate=1e-3,
        device=None,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.image_shape = image_shape
        self.output = output
        self.embedding_dim = embedding_dim
        self.projection_dim = projection_dim
        self.temperature = temperature
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.max_time = max_time
        self.learning_rate = learning_rate
        self.device = device
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def _shape(self, n_features):
        """(C, H, W) of the images, checked against the row length; None if tabular."""
        if self.image_shape is None:
            return None
        shape = tuple(self.image_shape)
        if len(shape) not in (2, 3):
            raise ValueError(
                "image_shape must be (channels, height, width) or (height, width); "
                f"got image_shape={self.image_shape!r}."
            )
        for size in shape:
            if isinstance(size, (bool, np.bool_)) or not isinstance(
                size, numbers.Integral
            ):
                raise TypeError(
                    f"image_shape must hold ints; got image_shape={self.image_shape!r}"
                    f", whose {size!r} is a {type(size).__name__}."
                )
        shape = tuple(int(size) for size in shape)
        if min(shape) < 1:
            raise ValueError(
                "image_shape must hold positive sizes; got "
                f"image_shape={self.image_shape!r}."
            )
        if len(shape) == 2:
            shape = (1, *shape)
        if min(shape[1:]) < 4:
            raise ValueError(
                f"image_shape={self.image_shape!r}: images need at least 4 x 4 "
                "pixels for the convolutional encoder (two 2 x 2 poolings); pass "
                "smaller ones as tabular rows (image_shape=None)."
            )
        if int(np.prod(shape)) != n_features:
            raise ValueError(
                f"image_shape={self.image_shape!r} holds {int(np.prod(shape))} values, "
                f"but X has {n_features} features per row."
            )
        return shape

    def _device(self, torch):
        """The torch device to train on, checked: ``ValueError`` naming it if not."""
        _, device = torch_device(self.device, type(self).__name__)
        try:  # a device torch knows of but cannot use here (mps, xpu, meta, ...)
            torch.zeros(1, device=device).add_(1).cpu()
        except Exception as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise ValueError(
                f"device={self.device!r}: torch cannot compute on it here "
                f"({type(exc).__name__}: {reason})."
            ) from exc
        return device

    def _fit_scaling(self, X, shape):
        """Learn the input scaling: per feature for rows, one for images.

        Rows are first divided by a power of two (``_exponent_``: exact, so rows
        that differ by a power-of-two factor get the same inputs) that brings their
        largest magnitude into [0.5, 1), and the statistics are computed in float64:
        large but finite values (1e18 and up) would overflow float32 squares.
        """
        axis = 0 if shape is None else None
        peak = np.abs(X).max(axis=axis)
        self._exponent_ = np.frexp(np.asarray(peak, dtype=np.float64))[1]
        U = np.ldexp(X, -self._exponent_)
        if shape is None:
            self.offset_ = U.mean(axis=0, dtype=np.float64)
            std = U.std(axis=0, dtype=np.float64)
            self.scale_ = np.where(std > 0, std, 1.0)
        else:
            low, high = np.float64(U.min()), np.float64(U.max())
            self.offset_ = low
            self.scale_ = high - low if high > low else 1.0

    def _inputs(self, torch, X):
        """Scaled rows as a tensor of the encoder's input shape."""
        U = np.ldexp(X, -self._exponent_)
        # In X's dtype: U is in [-1, 1] and the scale is far from float32's limits.
        offset = np.asarray(self.offset_, dtype=U.dtype)
        scaled = (U - offset) / np.asarray(self.scale_, dtype=U.dtype)
        t = torch.from_numpy(np.ascontiguousarray(scaled, dtype=np.float32))
        shape = self._shape(X.shape[1])
        return t if shape is None else t.view(-1, *shape)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the encoder on the rows of ``X`` without labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Flattened images (with ``image_shape``) or tabular rows.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted transformer.

        Raises
        ------
        TypeError
            If ``image_shape`` holds a size that is not an int (``8.5``, ``True``).
        ValueError
            If ``image_shape`` has the wrong length, a size below 1, images
            smaller than 4 x 4, or does not hold ``n_features`` values; or if
            ``device`` is not a torch device usable here.
        """
        # float64 stays float64: values beyond float32's range are finite there.
        X = _validate(self, X, ensure_min_samples=2)
        shape = self._shape(X.shape[1])
        torch, nets = _import_torch()
        device = self._device(torch)
        self._fit_scaling(X, shape)
        seed = int(check_random_state(self.random_state).randint(2**31 - 1))
        with torch_threads(torch, self.n_jobs), torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            if shape is None:
                encoder = nets.MLPEncoder(X.shape[1], self.embedding_dim)
            else:
                encoder = nets.ConvEncoder(shape[0], self.embedding_dim)
            projector = nets.projection_head(self.embedding_dim, self.projection_dim)
            self._train(torch, nets, encoder, projector, X, device, seed)
        self.encoder_ = encoder.cpu().eval()
        self.projector_ = projector.cpu().eval()
        return self

    def _train(self, torch, nets, encoder, projector, X, device, seed):
        encoder.to(device).train()
        projector.to(device).train()
        params = list(encoder.parameters()) + list(projector.parameters())
        optimizer = torch.optim.Adam(params, lr=self.learning_rate)
        generator = torch.Generator().manual_seed(seed)
        data = self._inputs(torch, X)
        n = len(data)
        batch = min(self.batch_size, n)
        colour = data.dim() == 4 and data.shape[1] == 3
        bar = self._progress()
        start = time.perf_counter()
        self.loss_curve_ = []
        for _ in range(self.max_epochs):
            order = torch.randperm(n, generator=generator)
            losses, out_of_time = [], False
            for b0 in range(0, n, batch):
                rows = order[b0 : b0 + batch]
                if len(rows) < 2:  # BatchNorm and the loss need two rows
                    continue
                x = data[rows]
                if data.dim() == 4:
                    v1 = nets.augment_images(x, generator, colour)
                    v2 = nets.augment_images(x, generator, colour)
                else:
                    v1 = nets.corrupt_rows(x, data, generator)
                    v2 = nets.corrupt_rows(x, data, generator)
                z1 = projector(encoder(v1.to(device)))
                z2 = projector(encoder(v2.to(device)))
                loss = nets.nt_xent(z1, z2, self.temperature)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
                out_of_time = (
                    self.max_time is not None
                    and time.perf_counter() - start > self.max_time
                )
                if out_of_time:
                    break
            self.loss_curve_.append(float(np.mean(losses)))
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{self.loss_curve_[-1]:.3f}")
            if out_of_time:
                break
        if bar is not None:
            bar.close()
        self.n_epochs_ = len(self.loss_curve_)

    def _progress(self):
        if not self.verbose:
            return None
        try:
            from tqdm.auto import tqdm
        except ImportError:  # pragma: no cover - tqdm comes with the torch extra
            return None
        return tqdm(total=self.max_epochs, desc="SimCLR", unit="epoch", file=sys.stderr)

    def transform(self, X):
        """Embed the rows of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows with the features seen in :meth:`fit` (flattened images when
            ``image_shape`` is set), scaled with what fit learned.

        Returns
        -------
        Z : ndarray of shape (n_samples, projection_dim or embedding_dim)
            L2-normalised, float32.
        """
        check_is_fitted(self)
        X = _validate(self, X, reset=False)
        torch, _ = _import_torch()
        out = []
        with torch_threads(torch, self.n_jobs), torch.no_grad():
            data = self._inputs(torch, X)
            for b0 in range(0, len(data), 1024):
                z = self.encoder_(data[b0 : b0 + 1024])
                if self.output == "projection":
                    z = self.projector_(z)
                out.append(torch.nn.functional.normalize(z, dim=1).numpy())
        if not out:
            dim = (
                self.projection_dim
                if self.output == "projection"
                else self.embedding_dim
            )
            return np.empty((0, dim), dtype=np.float32)
        return np.concatenate(out).astype(np.float32, copy=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        tags.non_deterministic = False
        return tags
