"""ProLIP's refinement: stays near W0 as the regulariser says, and learns what it is shown."""

from __future__ import annotations

import numpy as np
import pytest

from phototag.core.model.projection import project_rows
from phototag.core.model.prolip import refine_projection

FEATURES, EMBED, LABELS = 48, 16, 3


@pytest.fixture(scope="module")
def problem():
    """Three labels of noisy photos, each confirmed for its label and rejected for the next."""
    rng = np.random.default_rng(0)
    projection = (rng.normal(size=(FEATURES, EMBED)) / np.sqrt(FEATURES)).astype(np.float32)
    centres = rng.normal(size=(LABELS, FEATURES))
    labels = np.repeat(np.arange(LABELS), 6)
    features = (centres[labels] + 1.5 * rng.normal(size=(len(labels), FEATURES))).astype(np.float32)
    targets = np.zeros((len(labels), LABELS), dtype=np.float32)
    targets[np.arange(len(labels)), labels] = 1
    targets[np.arange(len(labels)), (labels + 1) % LABELS] = -1
    before = project_rows(features, projection)
    classifier = np.stack([before[labels == c].mean(axis=0) for c in range(LABELS)])
    classifier /= np.linalg.norm(classifier, axis=1, keepdims=True)
    return features, targets, classifier, projection


def separation(features, targets, classifier, projection) -> float:
    """Mean score of confirmed pairs minus mean score of rejected pairs."""
    scores = project_rows(features, projection) @ classifier.T
    return float(scores[targets > 0].mean() - scores[targets < 0].mean())


def distance(problem, regularization) -> float:
    refined = refine_projection(*problem, regularization=regularization, steps=150)
    return float(np.linalg.norm(refined - problem[3]))


def test_a_larger_regulariser_keeps_w_closer_to_w0(problem):
    distances = [distance(problem, lam) for lam in (0.01, 0.1, 1.0, 10.0)]
    assert distances == sorted(distances, reverse=True)
    assert distances[0] > 3 * distances[-1]


def test_a_huge_regulariser_leaves_w_at_w0(problem):
    assert distance(problem, 1e6) < 1e-3 * np.linalg.norm(problem[3])


def test_training_separates_the_confirmed_from_the_rejected(problem):
    refined = refine_projection(*problem, steps=150)
    assert refined.shape == problem[3].shape
    assert refined.dtype == np.float32
    assert separation(*problem[:3], refined) > separation(*problem) + 0.05


def test_directions_no_labelled_photo_has_keep_the_pretrained_projection(problem):
    features, targets, classifier, projection = problem
    few = features[:5]
    refined = refine_projection(few, targets[:5], classifier, projection, steps=50)
    rng = np.random.default_rng(1)
    outside = rng.normal(size=FEATURES)
    basis, _ = np.linalg.qr(few.T.astype(np.float64))
    outside -= basis @ (basis.T @ outside)
    assert not np.allclose(refined, projection)
    np.testing.assert_allclose(outside @ refined, outside @ projection, atol=1e-5)


def test_nothing_known_returns_w0_unchanged(problem):
    features, targets, classifier, projection = problem
    refined = refine_projection(features, np.zeros_like(targets), classifier, projection)
    assert np.array_equal(refined, projection)


def test_project_gives_unit_rows(problem):
    embeddings = project_rows(problem[0], problem[3])
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, rtol=1e-5)
