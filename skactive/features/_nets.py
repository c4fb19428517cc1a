# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""The torch parts of SimCLR: encoders, augmentations and the NT-Xent loss.

Imported only when a SimCLRTransformer is fitted or used, so that skactive imports
without torch.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn


class ConvEncoder(nn.Module):
    """Three convolution blocks for small images (about 240,000 parameters).

    The last feature map is max-pooled to 3 x 3, not averaged to one value per
    channel, so that the embedding keeps where the strokes are. Measured on
    MNIST-5k (5 CPU-minutes): with global average pooling, k-means with 10
    clusters on the projections matched the digit classes for 39 % of the images,
    with the 3 x 3 map for 94 %, while linear probes were alike (94-97 %).
    """

    def __init__(self, in_channels, embedding_dim):
        super().__init__()

        def block(c_in, c_out, pool):
            layers = [
                nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
                nn.BatchNorm2d(c_out),
                nn.ReLU(inplace=True),
            ]
            return layers + ([nn.MaxPool2d(2)] if pool else [])

        self.body = nn.Sequential(
            *block(in_channels, 32, True),
            *block(32, 64, True),
            *block(64, 128, False),
            nn.AdaptiveMaxPool2d(3),
            nn.Flatten(),
            nn.Linear(128 * 9, embedding_dim),
        )

    def forward(self, x):
        return self.body(x)


class MLPEncoder(nn.Module):
    """Two hidden layers for tabular rows."""

    def __init__(self, n_features, embedding_dim, hidden=256):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(n_features, hidden),
            nn.BatchNorm1d(hidden),
            nn.ReLU(inplace=True),
            nn.Linear(hidden, hidden),
            nn.BatchNorm1d(hidden),
            nn.ReLU(inplace=True),
            nn.Linear(hidden, embedding_dim),
        )

    def forward(self, x):
        return self.body(x)


def projection_head(embedding_dim, projection_dim):
    return nn.Sequential(
        nn.ReLU(),
        nn.Linear(embedding_dim, embedding_dim),
        nn.BatchNorm1d(embedding_dim),
        nn.ReLU(inplace=True),
        nn.Linear(embedding_dim, projection_dim),
    )


def augment_images(x, generator, colour):
    """Two-view augmentation of a batch of images in [0, 1], shape (B, C, H, W).

    One affine warp per image does the random resized crop (zoom 0.8-1.25 of the
    frame), a translation of up to 12 % and a rotation of up to 15 degrees; then
    colour jitter (brightness, contrast, saturation) for colour images, or its
    grayscale counterpart for single-channel ones: stroke width (images of 16
    pixels a side and more) and intensity jitter; then Gaussian noise and a random
    erased square. No flips: they change the meaning of digits and letters.

    Stroke width and intensity matter: both views of an image share them, so
    without the jitter the features key on how thick and bright a drawing is
    (measured on MNIST-5k: k-means clusters of the embeddings then explained 60 %
    of the variance of the ink per image, the digit classes 35 %).
    """
    B = x.shape[0]

    def uniform(low, high, *shape):
        return low + (high - low) * torch.rand(*shape, generator=generator)

    angle = uniform(-math.pi / 12, math.pi / 12, B)
    scale = torch.exp(uniform(math.log(0.8), math.log(1.25), B))
    shift = uniform(-0.12, 0.12, B, 2)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [
            torch.stack([cos, -sin, shift[:, 0]], 1),
            torch.stack([sin, cos, shift[:, 1]], 1),
        ],
        1,
    )
    grid = F.affine_grid(theta, x.shape, align_corners=False)
    out = F.grid_sample(x, grid, padding_mode="zeros", align_corners=False)
    if colour:
        brightness = uniform(0.7, 1.3, B, 1, 1, 1)
        contrast = uniform(0.7, 1.3, B, 1, 1, 1)
        mean = out.mean(dim=(1, 2, 3), keepdim=True)
        out = ((out - mean) * contrast + mean) * brightness
        grey = out.mean(dim=1, keepdim=True)
        saturation = uniform(0.6, 1.4, B, 1, 1, 1)
        out = grey + (out - grey) * saturation
    else:
        if min(x.shape[2:]) >= 16:
            # Stroke width: blend towards a 3 x 3 grey-level dilation (thicker) or,
            # half as far, an erosion (thinner). Not on smaller images, where 3 x 3
            # is a large part of the drawing (measured on 8 x 8 digits: TypiClust
            # at 10 labels 83 % without it, 81 % with it).
            width = uniform(-1.0, 1.0, B, 1, 1, 1)
            thick = F.max_pool2d(out, 3, stride=1, padding=1)
            thin = -F.max_pool2d(-out, 3, stride=1, padding=1)
            out = out + width.clamp(min=0) * (thick - out)
            out = out + 0.5 * (-width).clamp(min=0) * (thin - out)
        # Intensity: gamma and gain.
        gamma = torch.exp(uniform(-0.7, 0.7, B, 1, 1, 1))
        out = out.clamp(min=0) ** gamma * uniform(0.6, 1.4, B, 1, 1, 1)
    out = out + 0.05 * torch.randn(out.shape, generator=generator)
    # Random erasing: a square of 0-30 % of the side, at a random place.
    H, W = x.shape[2:]
    side = (uniform(0.0, 0.3, B) * min(H, W)).long()
    top = (torch.rand(B, generator=generator) * (H - side + 1)).long()
    left = (torch.rand(B, generator=generator) * (W - side + 1)).long()
    rows = torch.arange(H).view(1, H, 1)
    cols = torch.arange(W).view(1, 1, W)
    erase = (
        (rows >= top.view(B, 1, 1))
        & (rows < (top + side).view(B, 1, 1))
        & (cols >= left.view(B, 1, 1))
        & (cols < (left + side).view(B, 1, 1))
    )
    return out.masked_fill(erase.unsqueeze(1), 0.0)


def corrupt_rows(x, pool, generator, rate=0.6):
    """SCARF-style view of tabular rows: each feature is replaced, with probability
    ``rate``, by its value in another row drawn from ``pool`` (its marginal)."""
    B, d = x.shape
    donors = pool[torch.randint(len(pool), (B,), generator=generator)]
    replace = torch.rand(B, d, generator=generator) < rate
    return torch.where(replace, donors, x)


def nt_xent(z1, z2, temperature):
    """The normalised temperature-scaled cross-entropy of SimCLR."""
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    sim = z @ z.T / temperature
    n = z1.shape[0]
    sim.fill_diagonal_(float("-inf"))
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(sim, target)
