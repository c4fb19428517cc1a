# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""
TypiClust picks typical points, Coreset picks outliers
======================================================

Ten labels, chosen on a 2-D mixture of Gaussians of different spread with a few
scattered outliers, by TypiClust and by Coreset (k-center greedy), both from a cold
start. TypiClust takes the most typical point of the ten largest clusters: the dense
centres of the components. Coreset covers the plane: it goes for the extremes first,
which at a budget this low means outliers, the classic picture of the TypiClust
paper (Hacohen et al., 2022).
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_blobs

from skactive import CoresetSampler, TypiClustSampler
from skactive.plotting import SelectionDisplay

X, _ = make_blobs(
    n_samples=[300, 250, 200, 150, 100],
    centers=[[0, 0], [6, 1], [2, 6], [-5, 5], [-4, -4]],
    cluster_std=[1.0, 0.8, 1.2, 0.6, 0.9],
    random_state=0,
)
outliers = np.random.RandomState(0).uniform(-12, 12, size=(25, 2))
X = np.vstack([X, outliers])

fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
# TypiClust on raw 2-D coordinates: normalising them would keep only the angle.
typiclust = TypiClustSampler(normalize=False, random_state=0).fit(X)
# X= gives the display the pool in our own coordinates (a sampler's stored copy
# may be centred or rescaled); query_details also gives the clusters, the colours.
SelectionDisplay.from_sampler(
    typiclust, typiclust.query_details(budget=10), X=X, title="TypiClust", ax=axes[0]
)
coreset = CoresetSampler(random_state=0).fit(X)
SelectionDisplay.from_sampler(
    coreset,
    coreset.query(budget=10),
    X=X,
    coverage=True,
    title="Coreset",
    ax=axes[1],
)
fig.tight_layout()
plt.show()
