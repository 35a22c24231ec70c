"""ProLIP's projection refinement: numpy with hand-written gradients vs the torch original.

A realistic refine: 200 labelled photos, ViT-B features (768) to 512-d embeddings, 20 labels,
300 steps. Prints each implementation's time, their ratio, and how far apart the two results
are (the same loss and optimiser, so they should agree up to float rounding). Run:
    .venv/bin/python bench/prolip.py
"""

from __future__ import annotations

import time

import numpy as np

from phototag.core.model.prolip import (
    DEFAULT_LEARNING_RATE,
    default_regularization,
    refine_projection,
)

PHOTOS, FEATURES, EMBED, LABELS, STEPS = 200, 768, 512, 20, 300


def refine_with_torch(features, targets, classifier, projection, steps, learning_rate):
    """The first implementation (torch autograd), kept here as the baseline."""
    import torch

    lam = default_regularization(targets)
    h = torch.as_tensor(features)
    fixed = torch.nn.functional.normalize(torch.as_tensor(classifier), dim=-1)
    y = torch.as_tensor((targets > 0).astype(np.float32))
    mask = torch.as_tensor((targets != 0).astype(np.float32))
    w0 = torch.as_tensor(projection)
    w = w0.clone().requires_grad_(True)
    bias = torch.zeros(classifier.shape[0], requires_grad=True)
    optimizer = torch.optim.Adam([w, bias], lr=learning_rate, eps=1e-4)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, max(steps, 1))
    for _ in range(steps):
        optimizer.zero_grad()
        z = torch.nn.functional.normalize(h @ w, dim=-1)
        logits = 10.0 * (z @ fixed.T) + bias
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
    return w.detach().numpy()


def problem(seed: int = 0):
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(PHOTOS, FEATURES)).astype(np.float32)
    projection = (rng.normal(size=(FEATURES, EMBED)) / np.sqrt(FEATURES)).astype(np.float32)
    classifier = rng.normal(size=(LABELS, EMBED)).astype(np.float32)
    classifier /= np.linalg.norm(classifier, axis=1, keepdims=True)
    targets = np.zeros((PHOTOS, LABELS), dtype=np.float32)
    targets[np.arange(PHOTOS), rng.integers(0, LABELS, PHOTOS)] = 1
    targets[np.arange(PHOTOS), rng.integers(0, LABELS, PHOTOS)] = -1
    return features, targets, classifier, projection


def timed(function, *args):
    started = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - started


def main() -> None:
    import torch

    args = problem()
    ours, numpy_seconds = timed(lambda: refine_projection(*args, steps=STEPS))
    threads = torch.get_num_threads()
    theirs, torch_seconds = timed(refine_with_torch, *args, STEPS, DEFAULT_LEARNING_RATE)
    torch.set_num_threads(1)
    _, torch_one_seconds = timed(refine_with_torch, *args, STEPS, DEFAULT_LEARNING_RATE)
    torch.set_num_threads(threads)
    moved = np.linalg.norm(ours - args[3])
    gap = np.linalg.norm(ours - theirs)
    print(f"{PHOTOS} photos x {FEATURES}-d features -> {EMBED}-d, {LABELS} labels, {STEPS} steps")
    print(
        f"numpy (subspace, 1 thread): {numpy_seconds:.2f} s   torch ({threads} threads): "
        f"{torch_seconds:.2f} s   torch (1 thread): {torch_one_seconds:.2f} s"
    )
    print(
        f"torch {threads} threads / numpy: {torch_seconds / numpy_seconds:.1f}   "
        f"torch 1 thread / numpy: {torch_one_seconds / numpy_seconds:.1f}"
    )
    print(f"||W - W0||: numpy {moved:.4f}, torch {np.linalg.norm(theirs - args[3]):.4f}")
    print(f"||W_numpy - W_torch|| / ||W_torch - W0||: {gap / np.linalg.norm(theirs - args[3]):.3f}")


if __name__ == "__main__":
    main()
