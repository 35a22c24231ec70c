"""Multi-label Weight Imprinting (CLIPPER): a label's classifier is the normalised sum of its
examples' normalised embeddings, so teaching a label is arithmetic, not training.

The running sum is kept in 64-bit fixed point rather than floating point. Integer addition is
exact and order-free, so adding or removing one example updates a label to exactly the same bits
as re-imprinting it from all of its examples, however long the history of edits. The 2**-40
quantum sits far below float32's own precision (2**-24), so nothing measurable is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

FIXED_POINT_SCALE = float(2**40)
PRIOR_STRENGTH = 1.0  # the text prompt counts as one example, so it fades as 1 / (n + 1)


def to_fixed_point(embeddings: np.ndarray) -> np.ndarray:
    """Rows of float embeddings as int64 fixed point; the unit every sum is kept in."""
    return np.rint(np.asarray(embeddings, dtype=np.float64) * FIXED_POINT_SCALE).astype(np.int64)


def normalize_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


@dataclass
class Prototype:
    """One label's imprint for one model: exact positive sum, count and optional text prior."""

    pos_sum: np.ndarray
    n_pos: int = 0
    prior: np.ndarray | None = None
    _cached: np.ndarray | None = field(default=None, repr=False, compare=False)

    @classmethod
    def empty(cls, dims: int, prior: np.ndarray | None = None) -> Prototype:
        return cls(np.zeros(dims, dtype=np.int64), 0, prior)

    @classmethod
    def from_examples(cls, positives: np.ndarray, prior: np.ndarray | None = None) -> Prototype:
        """The full re-imprint: what every incremental update must equal."""
        dims = positives.shape[1]
        total = to_fixed_point(positives).sum(axis=0) if len(positives) else np.zeros(dims)
        return cls(total.astype(np.int64), len(positives), prior)

    def add(self, embedding: np.ndarray) -> None:
        self.pos_sum = self.pos_sum + to_fixed_point(embedding[None])[0]
        self.n_pos += 1
        self._cached = None

    def remove(self, embedding: np.ndarray) -> None:
        self.pos_sum = self.pos_sum - to_fixed_point(embedding[None])[0]
        self.n_pos -= 1
        self._cached = None

    def _direction(self, pos_sum: np.ndarray) -> np.ndarray:
        direction = pos_sum.astype(np.float64) / FIXED_POINT_SCALE
        if self.prior is not None:
            direction = direction + PRIOR_STRENGTH * np.asarray(self.prior, dtype=np.float64)
        return direction

    def weight(self) -> np.ndarray | None:
        """The label's unit weight vector (float32), or None while it has nothing to go on."""
        if self._cached is None:
            direction = self._direction(self.pos_sum)
            norm = np.linalg.norm(direction)
            self._cached = None if norm == 0 else (direction / norm).astype(np.float32)
        return self._cached

    def strength(self) -> float:
        """The length of the sum the weight is normalised from: how many examples' worth of
        agreeing evidence it carries (a classifier pack re-enters an imprint with it)."""
        return float(np.linalg.norm(self._direction(self.pos_sum)))

    def leave_one_out_scores(self, positives: np.ndarray) -> np.ndarray:
        """Each positive's score against the weight imprinted without it.

        This is what a new, unseen photo of the label would score, so it is the honest
        evidence for where the threshold goes. Empty when one example alone defines the label.
        """
        if len(positives) == 0 or (len(positives) == 1 and self.prior is None):
            return np.empty(0, dtype=np.float32)
        held_out = self.pos_sum[None, :] - to_fixed_point(positives)
        weights = normalize_rows(self._direction(held_out))
        return np.einsum("ij,ij->i", weights, positives.astype(np.float64)).astype(np.float32)
