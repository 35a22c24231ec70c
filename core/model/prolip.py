"""ProLIP: refine only the last visual projection of CLIP from the user's examples.

Everything before the projection stays frozen, so the library's cached pre-projection features
`h` are all training needs, no backbone pass: about 2 s on one core for 200 labelled photos,
768-d features to 512-d, 20 labels, 300 steps (bench/prolip.py, on a busy machine).
Afterwards every stored embedding is recomputed as normalize(h @ W), one matrix product.

ProLIP itself is single-label softmax against fixed text classifiers. A photo library is
multi-label and positive-unlabelled, so here each known (photo, label) pair is a binary target:
a positive pulls the photo's embedding towards its label's fixed classifier row, a rejection
pushes it away, and unlabelled pairs contribute nothing. The regulariser lambda * ||W - W0||_F^2
(lambda = 1/N, N the number of labelled photos per label) keeps W near the pretrained projection,
which is what keeps everything the user did not teach behaving like CLIP.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from phototag.core.labels.imprint import normalize_rows
from phototag.core.model.adam import Adam, single_threaded

LOGIT_SCALE = 10.0
DEFAULT_STEPS = 300
DEFAULT_LEARNING_RATE = 1e-3


def default_regularization(targets: np.ndarray) -> float:
    """lambda = 1/N, with N the mean number of labelled photos per label (ProLIP's default)."""
    per_label = np.count_nonzero(targets, axis=0)
    shots = float(per_label[per_label > 0].mean()) if per_label.any() else 1.0
    return 1.0 / max(shots, 1.0)


def refine_projection(
    features: np.ndarray,
    targets: np.ndarray,
    classifier: np.ndarray,
    projection: np.ndarray,
    *,
    regularization: float | None = None,
    steps: int = DEFAULT_STEPS,
    learning_rate: float = DEFAULT_LEARNING_RATE,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """The refined projection W (feature_dim x embed_dim, float32).

    features: (n, feature_dim) pre-projection features of the labelled photos.
    targets: (n, labels) with 1 = confirmed, -1 = rejected, 0 = unknown.
    classifier: (labels, embed_dim) fixed unit rows (the labels' weights before refining).
    projection: W0, the projection to start from and stay near.

    W changes only within the span of the labelled photos' features: W = W0 + Q B, with Q an
    orthonormal basis of that span (from a QR decomposition of features^T) and B trained. The
    loss cannot see any other direction, and Adam's per-coordinate steps on W itself would move
    those too, by noise that the regulariser then has to pull back; here everything the user did
    not show keeps the pretrained projection exactly. It is also what makes refining fast: with n
    labelled photos and n < feature_dim, a step costs two (n x n x embed_dim) products instead
    of two (n x feature_dim x embed_dim) ones. Plain numpy with the gradient written out, on one
    BLAS thread: at this size a second thread gains little on an idle machine and loses more
    than 10x on a busy one, where the threads spin waiting for each other (bench/prolip.py).
    """
    known = targets != 0
    if not known.any():
        return np.array(projection, dtype=np.float32, copy=True)
    lam = default_regularization(targets) if regularization is None else regularization
    h = np.asarray(features, np.float32)
    w0 = np.asarray(projection, np.float32)
    basis, coordinates = np.linalg.qr(h.T)  # h = coordinates.T @ basis.T
    problem = _Problem(
        start=h @ w0,
        coordinates=coordinates.astype(np.float32),
        classes=normalize_rows(np.asarray(classifier, np.float32)),
        positive=(targets > 0).astype(np.float32),
        weight=known.astype(np.float32) / np.float32(known.sum()),
        lam=lam,
    )
    change = np.zeros((basis.shape[1], w0.shape[1]), np.float32)
    bias = np.zeros(problem.classes.shape[0], np.float32)
    optimizer = Adam([change, bias], learning_rate, steps, eps=1e-4)
    with single_threaded():
        for step in range(steps):
            optimizer.step(problem.gradients(change, bias))
            if progress is not None:
                progress(step + 1, steps)
    return (w0 + basis.astype(np.float32) @ change).astype(np.float32)


@dataclass(frozen=True)
class _Problem:
    """The training objective in the coordinates B of W - W0 = Q B."""

    start: np.ndarray
    coordinates: np.ndarray
    classes: np.ndarray
    positive: np.ndarray
    weight: np.ndarray
    lam: float

    def gradients(self, change: np.ndarray, bias: np.ndarray) -> list[np.ndarray]:
        """Of the masked mean BCE of LOGIT_SCALE * cos(h W, c) + b, plus lam * ||B||^2."""
        raw = self.start + self.coordinates.T @ change
        norms = np.maximum(np.linalg.norm(raw, axis=1, keepdims=True), 1e-12)
        z = raw / norms
        logits = LOGIT_SCALE * (z @ self.classes.T) + bias
        error = self.weight * (_sigmoid(logits) - self.positive)
        grad_z = LOGIT_SCALE * (error @ self.classes)
        grad_raw = (grad_z - (grad_z * z).sum(axis=1, keepdims=True) * z) / norms
        grad_change = self.coordinates @ grad_raw + (2.0 * self.lam) * change
        return [grad_change.astype(np.float32), error.sum(axis=0).astype(np.float32)]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))
