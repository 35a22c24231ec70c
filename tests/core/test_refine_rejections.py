"""Rejections reach ProLIP's training targets: refining with a photo rejected for a label pushes
that photo's embedding away from the label, compared with refining without the rejection.

Measured below the library's decisions, which force a rejected photo off its label whatever
refining did: as the cosine of the photo's embedding (under the refined projection) to the
label's classifier, the fixed row ProLIP trains against."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from phototag.core.library import Library
from phototag.core.model.projection import project_rows
from phototag.core.model.prolip import refine_projection

FEATURES, EMBED = 48, 16
STEPS = 60  # as tests/core/test_refine.py: enough for the projection to move


@pytest.fixture(scope="module")
def problem():
    """Two labels of five photos each, and a look-alike of label 0 that nobody labelled."""
    rng = np.random.default_rng(0)
    projection = (rng.normal(size=(FEATURES, EMBED)) / np.sqrt(FEATURES)).astype(np.float32)
    centres = rng.normal(size=(2, FEATURES))
    labels = np.repeat(np.arange(2), 5)
    photos = centres[labels] + rng.normal(size=(len(labels), FEATURES))
    look_alike = centres[0] + rng.normal(size=(1, FEATURES))
    features = np.vstack([photos, look_alike]).astype(np.float32)
    targets = np.zeros((len(features), 2), dtype=np.float32)
    targets[np.arange(len(labels)), labels] = 1
    before = project_rows(features[: len(labels)], projection)
    classifier = np.stack([before[labels == c].mean(axis=0) for c in range(2)])
    classifier /= np.linalg.norm(classifier, axis=1, keepdims=True)
    return features, targets, classifier, projection


def _look_alike_score(problem, targets) -> float:
    features, _, classifier, projection = problem
    refined = refine_projection(features, targets, classifier, projection, steps=150)
    return float(project_rows(features[-1:], refined)[0] @ classifier[0])


def test_a_rejection_pushes_the_rejected_photo_away_from_its_label(problem):
    features, targets, classifier, projection = problem
    rejected = targets.copy()
    rejected[-1, 0] = -1
    before = float(project_rows(features[-1:], projection)[0] @ classifier[0])

    with_rejection = _look_alike_score(problem, rejected)
    without = _look_alike_score(problem, targets)

    assert with_rejection < before - 0.2
    assert with_rejection < without - 0.2


def _teach_and_refine(root, made, reject: bool, out) -> tuple[np.ndarray, float]:
    """Refine after confirming three red photos (and rejecting a red+green one for red, or not);
    red's classifier before refining, and the red+green photo's cosine to it after."""
    odd = made["red+green"][0]
    with Library(root) as library:
        library.tag("red", made["red"][:3])
        if reject:
            library.reject("red", [odd])
        classifier = library.export_pack("red", out).weight
        library.refine(steps=STEPS)
        scores = {ref.path: ref.score for ref in library.search(classifier)}
    return classifier, scores[str(odd)]


def test_a_library_refine_trains_on_its_rejections(
    library_dir, scanned_template, photo_set, tmp_path
):
    _, made = photo_set
    other = tmp_path / "without rejection"
    shutil.copytree(scanned_template, other)

    weight, rejected = _teach_and_refine(library_dir, made, True, tmp_path / "a.json")
    same_weight, unlabelled = _teach_and_refine(other, made, False, tmp_path / "b.json")

    assert np.array_equal(weight, same_weight)  # MWI imprints positives only
    assert rejected < unlabelled - 0.05
