"""LLU's regulariser rho * (||A - I||^2 + ||b||^2) (core/labels/heads/llu.py) keeps the adapter
near the identity: the larger rho, the closer (A, b) stays to (I, 0), as ProLIP's W stays near
W0 (tests/core/model/test_prolip.py)."""

from __future__ import annotations

import numpy as np
import pytest

from phototag.core.labels.heads.llu import LLU, Adapter
from phototag.core.labels.imprint import normalize_rows

DIMS = 16
WEIGHTS = (0.01, 0.1, 1.0, 10.0, 100.0)


@pytest.fixture(scope="module")
def label():
    """Six examples and three rejections around one direction, with the label's MWI weight:
    rejections as close to it as the examples, so the hinge has work to do."""
    rng = np.random.default_rng(0)
    centre = rng.normal(size=DIMS)
    spread = 0.35 * np.linalg.norm(centre) / np.sqrt(DIMS)
    positives = normalize_rows(centre + spread * rng.normal(size=(6, DIMS)))
    rejections = normalize_rows(centre + spread * rng.normal(size=(3, DIMS)))
    target = normalize_rows(positives.mean(axis=0, keepdims=True))[0]
    return positives, rejections, target


def _trained(label, regularization: float) -> Adapter:
    positives, rejections, target = label
    method = LLU()
    adapter = Adapter(target, np.vstack([positives, rejections]), method.gain, method.gamma)
    adapter.train(positives, rejections, regularization, method.steps, method.learning_rate)
    return adapter


def test_a_larger_regulariser_keeps_the_affine_map_closer_to_the_identity(label):
    adapters = [_trained(label, weight) for weight in WEIGHTS]
    matrices = [float(np.linalg.norm(a.matrix - np.eye(DIMS))) for a in adapters]
    offsets = [float(np.linalg.norm(a.offset)) for a in adapters]

    assert matrices == sorted(matrices, reverse=True)
    assert offsets == sorted(offsets, reverse=True)
    assert matrices[0] > 10 * matrices[-1]
    assert offsets[0] > 10 * offsets[-1]


def test_a_huge_regulariser_leaves_the_adapter_at_the_identity(label):
    adapter = _trained(label, 1e6)
    assert np.linalg.norm(adapter.matrix - np.eye(DIMS)) < 1e-3
    assert np.linalg.norm(adapter.offset) < 1e-3


def test_a_weak_regulariser_lets_the_adapter_learn(label):
    """The other side of the balance: with little regularisation the map really moves."""
    assert np.linalg.norm(_trained(label, WEIGHTS[0]).matrix - np.eye(DIMS)) > 0.1
