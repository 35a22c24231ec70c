"""What a browser (the desktop app) reads from a Library: photos, one photo's details, one
label's review and search results. Plain data, no Qt, so the GUI stays a thin client and the
rules (what counts as suggested, what is a near miss) live in the engine with everything else.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, MutableMapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal, overload

import numpy as np

PhotoState = Literal["confirmed", "rejected", "suggested"]
Mark = tuple[str, float | None]
"""How the grid marks a photo for the focused label: (confirmed, suggested, rejected or near,
its 0..1 score)."""

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
    confirmed: Sequence[PhotoRef]
    suggested: Sequence[PhotoRef]
    near_misses: Sequence[PhotoRef]
    rejected: Sequence[PhotoRef]
    stops: Sequence[float] = ()
    stop_scores: Sequence[float] = ()
    states: LabelMarks | None = field(default=None, compare=False, repr=False)
    """Every reviewed photo's mark, read per path (marks())."""

    def marks(self) -> LabelMarks | dict[str, Mark]:
        """A fresh, writable map of path -> (confirmed | suggested | rejected, score) over this
        review's photos, read per path: nothing is built for the rows no one looks at."""
        return {} if self.states is None else self.states.copy()


@dataclass(frozen=True)
class FileIndex:
    """Present files in path order with their image and their row in the embedding matrix
    (-1 when not embedded with the active model yet)."""

    paths: list[str]
    hashes: list[str]
    image_ids: np.ndarray
    rows: np.ndarray

    def refs(self, order: np.ndarray, scores: np.ndarray | None = None) -> PhotoRefs:
        """The files at `order`, each with its score rounded as Python rounds a float; a ref is
        made when it is read (PhotoRefs)."""
        return PhotoRefs(self, np.asarray(order, dtype=np.int64), scores)

    @cached_property
    def positions(self) -> dict[str, int]:
        """Path -> position, built once per index (the index outlives every decision)."""
        return {path: position for position, path in enumerate(self.paths)}

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


class PhotoRefs(Sequence[PhotoRef]):
    """The files of an index at `order`, best first or in path order: a list whose PhotoRefs
    are made when read. A review of 100k photos after every tag built them all, 0.33 s of a
    1.4 s tag at 100k photos x 50 labels, while the grid reads the few dozen on screen."""

    def __init__(self, index: FileIndex, order: np.ndarray, scores: np.ndarray | None):
        self.files = index
        self.order = order
        self.scores = None if scores is None else np.asarray(scores)

    def __len__(self) -> int:
        return len(self.order)

    @overload
    def __getitem__(self, item: int) -> PhotoRef: ...
    @overload
    def __getitem__(self, item: slice) -> PhotoRefs: ...
    def __getitem__(self, item: int | slice) -> PhotoRef | PhotoRefs:
        if isinstance(item, slice):
            return PhotoRefs(self.files, self.order[item], self.scores)
        return self._ref(int(self.order[item]))

    def __iter__(self) -> Iterator[PhotoRef]:
        return map(self._ref, self.order.tolist())

    def _ref(self, position: int) -> PhotoRef:
        index = self.files
        if self.scores is None:
            return PhotoRef(index.paths[position], index.hashes[position])
        score = round(float(self.scores[position]), 4)
        return PhotoRef(index.paths[position], index.hashes[position], score)

    def row_of(self, path: str) -> int | None:
        """The row showing this path, without making a ref."""
        position = self.files.positions.get(path)
        if position is None:
            return None
        rows = np.flatnonzero(self.order == position)
        return int(rows[0]) if len(rows) else None

    def rows_of(self, paths: set[str]) -> list[int]:
        """The rows showing any of these paths, in row order."""
        positions = [self.files.positions[p] for p in paths if p in self.files.positions]
        return np.flatnonzero(np.isin(self.order, positions)).tolist()

    def same_rows(self, other: object) -> bool:
        """Whether `other` lists the same files in the same order (scores aside)."""
        if isinstance(other, PhotoRefs) and other.files is self.files:
            return np.array_equal(other.order, self.order)
        if not isinstance(other, Sequence) or len(other) != len(self):
            return False
        return [p.path for p in other] == [p.path for p in self]

    def __add__(self, other: Sequence[PhotoRef]) -> list[PhotoRef]:
        return [*self, *other]  # joined as lists join, e.g. a review's confirmed + suggested

    def __radd__(self, other: Sequence[PhotoRef]) -> list[PhotoRef]:
        return [*other, *self]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(other) == len(self) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # mutable-looking like a list: unhashable

    def __repr__(self) -> str:
        return f"PhotoRefs({list(self)!r})"


class Floats(Sequence[float]):
    """Floats read from an array when read, rounded to `digits` places as Python rounds them
    (None: as they are); np.asarray takes the array itself. A slider's stops over 90k photos
    cost 10 ms as a tuple, 6 ms back to an array and 90k round() calls for their scores after
    every decision."""

    def __init__(self, values: np.ndarray, digits: int | None = None):
        self.values = np.asarray(values, dtype=np.float64)
        self.digits = digits

    def __len__(self) -> int:
        return len(self.values)

    @overload
    def __getitem__(self, item: int) -> float: ...
    @overload
    def __getitem__(self, item: slice) -> Floats: ...
    def __getitem__(self, item: int | slice) -> float | Floats:
        if isinstance(item, slice):
            return Floats(self.values[item], self.digits)
        value = float(self.values[item])
        return value if self.digits is None else round(value, self.digits)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        if self.digits is not None:
            return np.asarray(list(self), dtype=dtype)
        return self.values if dtype is None else self.values.astype(dtype, copy=False)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Floats({list(self)!r})"


MARK_NAMES: tuple[str | None, ...] = (None, "confirmed", "suggested", "rejected")


class LabelMarks(MutableMapping[str, Mark]):
    """path -> (mark, score) for the files of one index, read per path from two arrays (a code
    into MARK_NAMES and the score, per file position); marks written on top (the near misses,
    a query's similarity) are kept apart. Comparing two LabelMarks of one index is vectorised, so a
    grid finds the rows a decision changed without reading every row."""

    def __init__(self, index: FileIndex, codes: np.ndarray, scores: np.ndarray):
        self.files = index
        self.codes = codes
        self.scores = scores
        self._written: dict[str, Mark | None] = {}  # None: deleted

    def copy(self) -> LabelMarks:
        marks = LabelMarks(self.files, self.codes, self.scores)
        marks._written = dict(self._written)
        return marks

    def __getitem__(self, path: str) -> Mark:
        if path in self._written:
            written = self._written[path]
            if written is None:
                raise KeyError(path)
            return written
        position = self.files.positions[path]
        name = MARK_NAMES[self.codes[position]]
        if name is None:
            raise KeyError(path)
        return name, round(float(self.scores[position]), 4)

    def __setitem__(self, path: str, mark: Mark) -> None:
        self._written[path] = mark

    def __delitem__(self, path: str) -> None:
        self[path]  # KeyError when absent, as a dict
        self._written[path] = None

    def __iter__(self) -> Iterator[str]:
        paths = self.files.paths
        from_arrays = (paths[i] for i in np.flatnonzero(self.codes).tolist())
        unwritten = (path for path in from_arrays if path not in self._written)
        written = (path for path, mark in self._written.items() if mark is not None)
        yield from unwritten
        yield from written

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def differs(self, other: LabelMarks) -> np.ndarray | None:
        """Per file position, whether the two give another mark (None: not of one index)."""
        if other.files is not self.files:
            return None
        changed = (self.codes != other.codes) | (self.codes != 0) & (self.scores != other.scores)
        for path in {*self._written, *other._written}:
            position = self.files.positions.get(path)
            if position is not None:
                changed[position] = self.get(path) != other.get(path)
        return changed
