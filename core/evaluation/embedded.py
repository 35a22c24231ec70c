"""What every method is evaluated on: labelled photos as cached vectors, no pixels.

The same structure comes from real photos through the encoder (core/evaluation/embedding.py)
and from the synthetic generator (core/evaluation/synthetic.py), so both run through one harness.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class EmbeddedSet:
    label_names: list[str]
    truth: np.ndarray
    """(photos, labels) bool."""
    embeddings: np.ndarray
    """(photos, embed_dim) L2-normalised, float32."""
    features: np.ndarray | None = None
    """(photos, feature_dim) pre-projection features, for ProLIP; None when not available."""
    projection: np.ndarray | None = None
    """(feature_dim, embed_dim): normalize(features @ projection) == embeddings."""
    priors: np.ndarray | None = None
    """(labels, embed_dim) text embeddings of each label's prompt; None without a text tower."""
    meaningless: bool = False
    """Made with a random-weight model: the numbers only show that the machinery works."""

    @property
    def single_label(self) -> bool:
        return bool((self.truth.sum(axis=1) == 1).all())

    @property
    def label_count(self) -> int:
        return len(self.label_names)
