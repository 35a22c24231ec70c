"""ProLIP's refinement: stays near W0 as the regulariser says, and learns what it is shown."""

from __future__ import annotations

import numpy as np
import pytest

from phototag.core.labels.imprint import normalize_rows
from phototag.core.model.projection import project_rows
from phototag.core.model.prolip import (
    LOGIT_SCALE,
    _Problem,
    default_regularization,
    refine_projection,
)

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


def _objective(problem, change: np.ndarray, bias: np.ndarray) -> float:
    """The loss the module docstring states, computed directly in float64: the mean, over the
    known (photo, label) pairs, of BCE(10 * cos(h W, c) + b), plus lambda * ||W - W0||^2."""
    features, targets, classifier, projection = (np.asarray(a, np.float64) for a in problem)
    lam = default_regularization(targets)
    basis, _ = np.linalg.qr(features.T)
    embedded = features @ (projection + basis @ change)
    z = embedded / np.linalg.norm(embedded, axis=1, keepdims=True)
    classes = classifier / np.linalg.norm(classifier, axis=1, keepdims=True)
    logits = LOGIT_SCALE * (z @ classes.T) + bias
    positive = targets > 0
    bce = np.logaddexp(0.0, logits) - positive * logits
    known = targets != 0
    return float(bce[known].sum() / known.sum() + lam * np.sum(change**2))


def test_the_gradients_are_those_of_the_stated_objective(problem):
    """Checked against central differences of the objective, at a point away from W0."""
    features, targets, classifier, projection = problem
    rng = np.random.default_rng(3)
    basis, coordinates = np.linalg.qr(features.T)
    known = targets != 0
    stated = _Problem(
        start=features @ projection,
        coordinates=coordinates.astype(np.float32),
        classes=normalize_rows(classifier),
        positive=(targets > 0).astype(np.float32),
        weight=known.astype(np.float32) / np.float32(known.sum()),
        lam=default_regularization(targets),
    )
    change = 0.05 * rng.normal(size=(basis.shape[1], EMBED))
    bias = 0.3 * rng.normal(size=LABELS)
    grad_change, grad_bias = stated.gradients(change.astype(np.float32), bias.astype(np.float32))
    step = 1e-5
    for index in [(0, 0), (3, 5), (10, 15), (17, 2)]:
        moved = np.zeros_like(change)
        moved[index] = step
        numeric = (
            _objective(problem, change + moved, bias) - _objective(problem, change - moved, bias)
        ) / (2 * step)
        assert grad_change[index] == pytest.approx(numeric, rel=1e-2, abs=1e-5)
    for label in range(LABELS):
        moved = np.zeros(LABELS)
        moved[label] = step
        numeric = (
            _objective(problem, change, bias + moved) - _objective(problem, change, bias - moved)
        ) / (2 * step)
        assert grad_bias[label] == pytest.approx(numeric, rel=1e-2, abs=1e-5)


@pytest.mark.parametrize(
    ("targets", "expected"),
    [
        ([[1, 0], [1, -1], [0, 1], [-1, 0]], 1 / 2.5),  # 3 and 2 labelled photos: N = 2.5
        ([[1, 0], [1, 0]], 1 / 2),  # a label nobody labelled does not count
        ([[0, 0]], 1.0),
    ],
)
def test_the_default_regulariser_is_one_over_the_shots_per_label(targets, expected):
    assert default_regularization(np.array(targets)) == pytest.approx(expected)


def test_progress_is_reported_after_every_step(problem):
    seen: list[tuple[int, int]] = []
    refine_projection(*problem, steps=4, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_nothing_known_returns_a_float32_copy_of_w0(problem):
    features, targets, classifier, projection = problem
    unknown = np.zeros_like(targets)
    kept = refine_projection(features, unknown, classifier, projection)
    assert kept is not projection
    assert not np.shares_memory(kept, projection)
    from_float64 = refine_projection(features, unknown, classifier, projection.astype(np.float64))
    assert from_float64.dtype == np.float32
    assert np.array_equal(from_float64, projection)
