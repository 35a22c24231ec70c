"""What a browser (the desktop app) reads from a Library: photos, one photo's details, one
label's review and search results. Plain data, no Qt, so the GUI stays a thin client and the
rules (what counts as suggested, what is a near miss) live in the engine with everything else.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

PhotoState = Literal["confirmed", "rejected", "suggested"]

# A near miss is a photo the model almost gave the label: its 0..1 score is at least this
# (0.12 is about one background spread below the threshold, see core/labels/thresholds.py).
NEAR_MISS_FLOOR = 0.12
NEAR_MISSES_SHOWN = 60
SEARCH_LIMIT = 200


@dataclass(frozen=True)
class PhotoRef:
    """One present file. `score` is the label's 0..1 score in a review, the cosine similarity
    to the query in a search, and None in a plain listing."""

    path: str
    content_hash: str
    score: float | None = None


@dataclass(frozen=True)
class PhotoLabel:
    name: str
    score: float
    state: PhotoState


@dataclass(frozen=True)
class PhotoDetails:
    path: str
    content_hash: str
    size: int | None
    mtime: float | None
    width: int | None
    height: int | None
    taken_at: str | None
    labels: list[PhotoLabel] = field(default_factory=list)
    # Every file of the shot that shows this photo, `path` first: a RAW+JPEG pair lists both.
    files: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LabelReview:
    """A label's photos in the three groups a person reviews, each best first.

    `threshold` is the effective cut-off (cosine), `automatic_threshold` the one the engine
    would choose; `score_range` spans the library's cosines. Both
    thresholds are None while the label has nothing to go on (no example, no prompt).

    Every score in it is on the one scale people read (core/labels/readable.py): it does not
    move when the threshold does. `stops` are the cosines a threshold slider stops at, best
    first (stops[k - 1] suggests k undecided photos), `stop_scores` the same on that scale."""

    label: str
    threshold: float | None
    automatic_threshold: float | None
    threshold_is_automatic: bool
    score_range: tuple[float, float]
    confirmed: list[PhotoRef]
    suggested: list[PhotoRef]
    near_misses: list[PhotoRef]
    rejected: list[PhotoRef]
    stops: tuple[float, ...] = ()
    stop_scores: tuple[float, ...] = ()


@dataclass(frozen=True)
class FileIndex:
    """Present files in path order with their image and their row in the embedding matrix
    (-1 when not embedded with the active model yet)."""

    paths: list[str]
    hashes: list[str]
    image_ids: np.ndarray
    rows: np.ndarray

    def refs(self, order: np.ndarray, scores: np.ndarray | None = None) -> list[PhotoRef]:
        """The files at `order`, with their scores rounded as Python rounds a float. Python
        ints and floats from tolist(), not numpy scalars: 90k refs take 0.20 s instead of 0.32 s
        (the same refs, measured in one run), on the GUI thread after every decision."""
        rows = np.asarray(order).tolist()
        if scores is None:
            return [PhotoRef(self.paths[i], self.hashes[i]) for i in rows]
        rounded = [round(score, 4) for score in np.asarray(scores)[rows].tolist()]
        return [
            PhotoRef(self.paths[i], self.hashes[i], score)
            for i, score in zip(rows, rounded, strict=True)
        ]

    def in_folder(self, folder: str | None) -> np.ndarray:
        """Mask of files below `folder` (everything for None)."""
        if folder is None:
            return np.ones(len(self.paths), dtype=bool)
        prefix = folder.rstrip(os.sep) + os.sep
        return np.fromiter((p.startswith(prefix) for p in self.paths), bool, len(self.paths))


def best_first(scores: np.ndarray, mask: np.ndarray, limit: int | None = None) -> np.ndarray:
    """Indices where mask holds, highest score first (ties by index: path order)."""
    candidates = np.flatnonzero(mask)
    order = candidates[np.argsort(-scores[candidates], kind="stable")]
    return order if limit is None else order[:limit]
