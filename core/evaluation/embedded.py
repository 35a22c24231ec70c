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

    def prolip_inputs(self) -> tuple[np.ndarray, np.ndarray]:
        """(features, projection), which ProLIP refines and re-projects. available_approaches
        offers ProLIP only for a set that has both, so their absence here is a bug."""
        if self.features is None or self.projection is None:
            raise ValueError("this set has no pre-projection features for ProLIP")
        return self.features, self.projection

    @property
    def single_label(self) -> bool:
        return bool((self.truth.sum(axis=1) == 1).all())

    @property
    def label_count(self) -> int:
        return len(self.label_names)
