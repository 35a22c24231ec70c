"""ProLIP: refine only the last visual projection of CLIP from the user's examples.

Everything before the projection stays frozen, so the library's cached pre-projection features
`h` are all training needs: a few seconds on a CPU, no backbone pass. Afterwards every stored
embedding is recomputed as normalize(h @ W), one matrix product.

ProLIP itself is single-label softmax against fixed text classifiers. A photo library is
multi-label and positive-unlabelled, so here each known (photo, label) pair is a binary target:
a positive pulls the photo's embedding towards its label's fixed classifier row, a rejection
pushes it away, and unlabelled pairs contribute nothing. The regulariser lambda * ||W - W0||_F^2
(lambda = 1/N, N the number of labelled photos per label) keeps W near the pretrained projection,
which is what keeps everything the user did not teach behaving like CLIP.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

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
    """
    import torch

    known = targets != 0
    if not known.any():
        return np.array(projection, dtype=np.float32, copy=True)
    lam = default_regularization(targets) if regularization is None else regularization
    h = torch.as_tensor(np.asarray(features, np.float32))
    w_fixed = torch.nn.functional.normalize(
        torch.as_tensor(np.asarray(classifier, np.float32)), dim=-1
    )
    y = torch.as_tensor((targets > 0).astype(np.float32))
    mask = torch.as_tensor(known.astype(np.float32))
    w0 = torch.as_tensor(np.asarray(projection, np.float32))
    w = w0.clone().requires_grad_(True)
    bias = torch.zeros(classifier.shape[0], requires_grad=True)
    optimizer = torch.optim.Adam([w, bias], lr=learning_rate, eps=1e-4)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, max(steps, 1))
    for step in range(steps):
        optimizer.zero_grad()
        z = torch.nn.functional.normalize(h @ w, dim=-1)
        logits = LOGIT_SCALE * (z @ w_fixed.T) + bias
        loss = (
            torch.nn.functional.binary_cross_entropy_with_logits(
                logits, y, weight=mask, reduction="sum"
            )
            / mask.sum()
            + lam * ((w - w0) ** 2).sum()
        )
        loss.backward()
        optimizer.step()
        schedule.step()
        if progress is not None:
            progress(step + 1, steps)
    return w.detach().numpy().astype(np.float32)


def project(features: np.ndarray, projection: np.ndarray) -> np.ndarray:
    """Embeddings from pre-projection features: normalize(h @ W), float32."""
    embeddings = np.asarray(features, np.float32) @ np.asarray(projection, np.float32)
    norms = np.linalg.norm(embeddings, axis=1, keepdims=True)
    return (embeddings / np.where(norms == 0, 1, norms)).astype(np.float32)
