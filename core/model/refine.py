"""ProLIP in a library: retrain the visual projection on the labelled photos, or go back to an
earlier one, recomputing every embedding and refitting every label in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from phototag.core.errors import UserError
from phototag.core.labels.state import LabelState
from phototag.core.model import projection as projections
from phototag.core.store import photos
from phototag.core.store.photos import ModelRow

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ProjectionChange:
    """What a ProLIP refinement or a revert did to the library's visual projection."""

    version: int
    previous: int
    moved: float
    """||W - W_previous||_F / ||W_previous||_F."""
    recomputed: int
    photos: int = 0
    labels: int = 0


def refine(
    labels: LabelState, model: ModelRow, progress: Progress | None, steps: int
) -> tuple[np.ndarray, str, int, int]:
    """The refined projection, its note and the photo and label counts it was trained on."""
    from phototag.core.model.prolip import refine_projection

    view = labels.view()
    if view is None:
        raise UserError("nothing is scanned yet: run 'phototag scan' first")
    heads = [h for h in view.heads if h.prototype.weight() is not None]
    images = sorted({i for h in heads for i in h.examples if view.matrix.row(i) is not None})
    if not images:
        raise UserError("nothing to refine from: confirm or reject a few photos of a label first")
    targets = np.array([[h.examples.get(i, 0) for h in heads] for i in images], dtype=np.float32)
    classifier = np.stack([w for h in heads if (w := h.prototype.weight()) is not None])
    refined = refine_projection(
        photos.features(labels.store, model, images),
        targets,
        classifier,
        projections.active_projection(model),
        steps=steps,
        progress=None if progress is None else lambda d, t: progress("refining", d, t),
    )
    note = f"ProLIP on {len(images)} photos, {len(heads)} labels"
    return refined, note, len(images), len(heads)


def revert_target(labels: LabelState, model: ModelRow, to: int | None) -> tuple[int, np.ndarray]:
    """The version a revert goes to (by default the active one's base) and its projection."""
    active = model["projection_version"]
    if to is None:
        known = {v.version: v for v in projections.versions(labels.store, model)}
        base = known[active].base
        if base is None:
            raise UserError("nothing to revert: the library uses the pretrained projection")
        to = base
    elif to == active:
        raise UserError(f"nothing to revert: projection version {to} is already active")
    return to, projections.stored_projection(labels.store, model, to)


def switch_projection(
    labels: LabelState,
    model: ModelRow,
    target: tuple[int | None, np.ndarray, str | None],
    progress: Progress | None,
) -> ProjectionChange:
    """Make the projection of `target` (version, projection, note) active, as a new version when
    the version is None; recompute the model's embeddings and refit every label, all in one
    transaction: a crash leaves the library as it was. Every Library's encoders embed with it
    from their next use on (encoders.py)."""
    version, projection, note = target
    previous = projections.active_projection(model)
    recompute = None if progress is None else lambda d, t: progress("recomputing", d, t)
    with labels.rollback_on_failure():
        if version is None:
            version = projections.add_version(labels.store, model, projection, note or "")
        count = projections.activate(labels.store, model, version, projection, recompute)
        labels.refit()
    moved = float(np.linalg.norm(projection - previous) / np.linalg.norm(previous))
    return ProjectionChange(version, model["projection_version"], moved, count)


def with_counts(change: ProjectionChange, photos_used: int, labels_used: int) -> ProjectionChange:
    return replace(change, photos=photos_used, labels=labels_used)
