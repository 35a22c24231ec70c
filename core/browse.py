"""The Library's reads: which photos carry which labels, one photo's labels, a label's review,
search, predictions and the list of labels. They only read the label state (core/labels/state.py)
and the store; the plain data they return is in core/browsing.py and here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from phototag.core.browsing import (
    NEAR_MISS_FLOOR,
    FileIndex,
    Floats,
    LabelMarks,
    LabelReview,
    PhotoDetails,
    PhotoLabel,
    PhotoRef,
    PhotoRefs,
    PhotoState,
    best_first,
)
from phototag.core.errors import UserError
from phototag.core.ingest.pairs import files_of_shot, raw_halves
from phototag.core.labels.methods import effective_method
from phototag.core.labels.names import require_label
from phototag.core.labels.readable import readable, slider_stops
from phototag.core.labels.state import LabelHead, LabelState, ModelView
from phototag.core.labels.thresholds import probability
from phototag.core.model.specs import get_spec
from phototag.core.options import LIBRARY_METHOD
from phototag.core.store import labels as stored
from phototag.core.store import photos as files
from phototag.core.store.database import Store, printable

_STATE_RANK: dict[PhotoState, int] = {"confirmed": 0, "suggested": 1, "rejected": 2}
_STATE_OF: dict[int, PhotoState] = {1: "confirmed", -1: "rejected", 0: "suggested"}


@dataclass(frozen=True)
class LabelInfo:
    name: str
    confirmed: int
    rejected: int
    suggested: int
    threshold: float | None
    threshold_is_automatic: bool
    prompt: str | None
    method: str
    method_is_own: bool
    """Whether the label chose its method itself rather than following the library's."""
    missing_confirmed: int = 0
    missing_rejected: int = 0
    """Decisions on photos no present file shows (a deleted file, a folder away): kept until a
    purge, and not in `confirmed`/`rejected`, which count what `predict` shows."""


@dataclass(frozen=True)
class Folder:
    path: str
    files: int
    watching: bool


@dataclass(frozen=True)
class ModelInfo:
    name: str
    key: str
    meaningless: bool
    embed_dim: int


@dataclass(frozen=True)
class Status:
    library: str
    model: ModelInfo | None
    folders: list[Folder]
    photos: int
    images: int
    embedded: int
    missing: int
    unreadable: list[tuple[str, str]]
    labels: list[LabelInfo]


@dataclass(frozen=True)
class LabelScore:
    score: float
    confirmed: bool


@dataclass(frozen=True)
class Prediction:
    path: str
    labels: dict[str, LabelScore]


def file_scores(index: FileIndex, image_scores: np.ndarray) -> np.ndarray:
    """Per-image scores spread to files; files not embedded yet score -inf."""
    scores = np.full(len(index.paths), -np.inf, dtype=np.float32)
    embedded = index.rows >= 0
    scores[embedded] = image_scores[index.rows[embedded]]
    return scores


class Browser:
    """Reads over one library's label state, with the file index cached between them."""

    def __init__(self, store: Store, labels: LabelState):
        self.store = store
        self.labels = labels
        self._cache: tuple[ModelView | None, tuple, FileIndex] | None = None
        self._signature: tuple[tuple, tuple] | None = None  # (write stamp, files signature)
        self._counts: tuple[tuple, dict[int, stored.ExampleCounts]] | None = None
        # label id -> (head, its revision, threshold, file index, suggested count)
        self._suggested: dict[int, tuple[LabelHead, int, float, FileIndex, int]] = {}

    def forget(self) -> None:
        """Drop the cached file index (a projection switch or a reload made it stale)."""
        self._cache = None

    def _files_signature(self) -> tuple:
        """The files' signature, read again only after a write to the database."""
        stamp = files.write_stamp(self.store)
        if self._signature is None or self._signature[0] != stamp:
            self._signature = (stamp, files.files_signature(self.store))
        return self._signature[1]

    def _example_counts(self) -> dict[int, stored.ExampleCounts]:
        """Each label's decisions, read again only after a write to the database: a tag lists
        the labels three times (9 ms of SQL each at 100k photos, load 7)."""
        stamp = files.write_stamp(self.store)
        if self._counts is None or self._counts[0] != stamp:
            self._counts = (stamp, stored.example_counts(self.store))
        return self._counts[1]

    def file_index(self) -> FileIndex:
        """Present files with their matrix rows, cached until the files or the view change."""
        view = self.labels.view()
        signature = self._files_signature()
        cached = self._cache
        if cached is not None and cached[0] is view and cached[1] == signature:
            return cached[2]
        rows = files.indexed_files(self.store)
        # A RAW+JPEG pair is one photo: listed once, under its JPEG (core/ingest/pairs.py).
        halves = raw_halves([r.path for r in rows], [r.image_id for r in rows])
        rows = [row for row, half in zip(rows, halves, strict=True) if not half]
        image_ids = np.fromiter((r.image_id for r in rows), np.int64, len(rows))
        matrix_rows = np.full(len(rows), -1, dtype=np.int64)
        if view is not None:
            for position, image_id in enumerate(image_ids):
                found = view.matrix.row(image_id)
                matrix_rows[position] = -1 if found is None else found
        index = FileIndex(
            [r.path for r in rows], [r.content_hash for r in rows], image_ids, matrix_rows
        )
        self._cache = (view, signature, index)
        return index

    def column(self, view: ModelView, label: str) -> int:
        wanted = require_label(self.store, label).id
        for column, head in enumerate(view.heads):
            if head.label_id == wanted:
                return column
        raise UserError(f"label {label!r} was made elsewhere: reload the library to see it")

    def carrying(
        self, index: FileIndex, all_of: Iterable[str], any_of: Iterable[str]
    ) -> np.ndarray:
        """Mask of files carrying all of `all_of` and any of `any_of` (no labels: all files)."""
        all_of, any_of = list(all_of), list(any_of)
        mask = np.ones(len(index.paths), dtype=bool)
        if not all_of and not any_of:
            return mask
        view = self.labels.view()
        if view is None:
            return ~mask
        decided = view.decisions()
        carried = np.zeros((len(index.paths), len(view.heads)), dtype=bool)
        embedded = index.rows >= 0
        carried[embedded] = decided[index.rows[embedded]]
        if all_of:
            mask &= carried[:, [self.column(view, n) for n in all_of]].all(axis=1)
        if any_of:
            mask &= carried[:, [self.column(view, n) for n in any_of]].any(axis=1)
        return mask

    def labels_of(self, image_id: int, for_people: bool = False) -> list[PhotoLabel]:
        """Confirmed first, then suggested, then rejected; best score first within each.
        Scores are those sidecars get (0.5 at the effective threshold, as `predict`), or with
        `for_people` on the scale the window shows (core/labels/readable.py)."""
        view = self.labels.view()
        row = None if view is None else view.matrix.row(image_id)
        if view is None or row is None:
            return []
        found = []
        for column, head in enumerate(view.heads):
            cosine = float(view.scores[row, column])
            polarity = head.examples.get(image_id, 0)
            if polarity == 0 and not cosine >= head.threshold:
                continue
            score = float(
                readable(cosine, head)
                if for_people
                else probability(cosine, head.threshold, head.calibration.slope)
            )
            found.append(PhotoLabel(head.name, round(score, 4), _STATE_OF[polarity]))
        return sorted(found, key=lambda label: (_STATE_RANK[label.state], -label.score))

    def photos(self, all_of: Iterable[str], any_of: Iterable[str], folder: str | None) -> PhotoRefs:
        index = self.file_index()
        mask = index.in_folder(folder) & self.carrying(index, all_of, any_of)
        return index.refs(np.flatnonzero(mask))

    def photo(self, path: str) -> PhotoDetails:
        facts = files.file_facts(self.store, path)
        if facts is None:
            raise UserError(f"not a photo in this library: {printable(path)}")
        return PhotoDetails(
            path=facts.path,
            content_hash=facts.content_hash,
            size=facts.size,
            mtime=None if facts.mtime_ns is None else facts.mtime_ns / 1e9,
            width=facts.width,
            height=facts.height,
            taken_at=facts.taken_at,
            labels=self.labels_of(facts.image_id, for_people=True),
            files=files_of_shot(self.store, facts.path, facts.image_id),
        )

    def review(self, label: str, near_misses: int) -> LabelReview:
        name = require_label(self.store, label).name
        view = self.labels.view()
        if view is None:
            return LabelReview(name, None, None, True, (0.0, 1.0), [], [], [], [])
        column = self.column(view, name)
        head = view.heads[column]
        index = self.file_index()
        cosine = file_scores(index, view.scores[:, column])
        closeness = probability(cosine, head.threshold, head.calibration.slope)
        score = readable(cosine, head)
        polarity = _polarity(index.image_ids, head.examples)
        free = (polarity == 0) & (index.rows >= 0)
        decided = free & (cosine >= head.threshold)
        near = free & ~decided & (closeness >= NEAR_MISS_FLOOR)
        stops = slider_stops(cosine[free], head)
        codes = np.zeros(len(index.paths), dtype=np.int8)  # into MARK_NAMES
        codes[polarity == 1], codes[decided], codes[polarity == -1] = 1, 2, 3
        return LabelReview(
            label=name,
            threshold=None if math.isinf(head.threshold) else float(head.threshold),
            automatic_threshold=(
                None if math.isinf(head.calibration.threshold) else head.calibration.threshold
            ),
            threshold_is_automatic=head.user_threshold is None,
            score_range=_score_range(view.scores[:, column]),
            confirmed=index.refs(best_first(cosine, polarity == 1), score),
            suggested=index.refs(best_first(cosine, decided), score),
            near_misses=index.refs(best_first(cosine, near, near_misses), score),
            rejected=index.refs(best_first(cosine, polarity == -1), score),
            stops=Floats(stops),
            stop_scores=Floats(readable(stops, head), digits=4),
            states=LabelMarks(index, codes, score),
        )

    def search(
        self,
        query: str | np.ndarray,
        embed_text: Callable[[str], np.ndarray],
        filters: tuple[Iterable[str], Iterable[str], str | None],
        limit: int,
        within: np.ndarray | None = None,
    ) -> Sequence[PhotoRef]:
        """`filters` is (all_of, any_of, folder), `within` a mask of the files allowed (more
        like this leaves its own photos out); the text is embedded only when there is
        something to search."""
        view = self.labels.view()
        if view is None or not len(view.matrix):
            return []
        vector = embed_text(query) if isinstance(query, str) else query
        all_of, any_of, folder = filters
        index = self.file_index()
        similarity = view.matrix.embeddings @ np.asarray(vector, dtype=np.float32)
        scores = file_scores(index, similarity)
        mask = (index.rows >= 0) & index.in_folder(folder)
        mask &= self.carrying(index, all_of, any_of)
        if within is not None:
            mask &= within
        return index.refs(best_first(scores, mask, limit), scores)

    def predictions(
        self, label: str | None, floor: float | None = None, only: set[str] | None = None
    ) -> Iterator[Prediction]:
        """Present photos (those in `only`, if given) with their labels. `floor` None lists
        the labels each photo carries; a 0..1 score lists every label scoring at least that,
        the user's confirmations always and rejections never; -inf lists every label."""
        view = self.labels.view()
        present = [f for f in files.present_photos(self.store) if only is None or f.path in only]
        if view is None:
            if label is None:
                yield from (Prediction(f.path, {}) for f in present)
            return
        columns = list(range(len(view.heads)))
        if label is not None:
            columns = [self.column(view, label)]
        scores = view.probabilities()
        shown = _shown(view, scores, floor)
        confirmed = [set(h.ids(1)) for h in view.heads]
        for file in present:
            row = view.matrix.row(file.image_id)
            carried = {}
            for column in columns if row is not None else []:
                if shown[row, column]:
                    carried[view.heads[column].name] = LabelScore(
                        round(float(scores[row, column]), 4),
                        file.image_id in confirmed[column],
                    )
            if label is None or carried:
                yield Prediction(file.path, carried)

    def _suggested_count(
        self, view: ModelView, column: int, index: FileIndex, is_shown: np.ndarray
    ) -> int:
        """Shown photos over the label's threshold that the user has not decided, counted again
        only when the label's scores, examples or threshold or the files changed: the one label
        a tag changed, not all 50 (every label's count took 39 ms of each of a tag's four
        label listings at 100k photos x 50 labels, load 13)."""
        head = view.heads[column]
        cached = self._suggested.get(head.label_id)
        if cached is not None:
            same = cached[0] is head and cached[3] is index
            if same and cached[1:3] == (head.revision, head.threshold):
                return cached[4]
        over = (view.scores[:, column] >= head.threshold) & is_shown
        over[view.matrix.rows(list(head.examples))] = False
        count = int(np.count_nonzero(over))
        self._suggested[head.label_id] = (head, head.revision, head.threshold, index, count)
        return count

    def model_info(self) -> ModelInfo | None:
        row = files.active_model(self.store)
        if row is None:
            return None
        spec = get_spec(row["name"])
        return ModelInfo(row["name"], row["key"], spec.meaningless, row["embed_dim"])

    def folders(self) -> list[Folder]:
        return [Folder(f.path, f.files, f.watching) for f in files.folder_summaries(self.store)]

    def status(self, library: str) -> Status:
        counts = files.file_counts(self.store)
        model = files.active_model(self.store)
        return Status(
            library=library,
            model=self.model_info(),
            folders=self.folders(),
            photos=counts.present,
            images=counts.images,
            embedded=0 if model is None else files.embedded_count(self.store, model["id"]),
            missing=counts.missing,
            unreadable=counts.unreadable,
            labels=self.label_infos(),
        )

    def label_infos(self) -> list[LabelInfo]:
        view = self.labels.view()
        counts = self._example_counts()
        applied: dict[int, tuple[int, LabelHead]] = {}
        if view is not None:
            # Only photos a present file shows, as `predict` and the browser show them.
            index = self.file_index()
            # A mask, not np.intersect1d per label: that sorted the 100k shown rows once per
            # label, 0.34 s of a tag's 0.67 s at 30k photos x 50 labels.
            is_shown = np.zeros(len(view.matrix), dtype=bool)
            is_shown[index.rows[index.rows >= 0]] = True
            for column, head in enumerate(view.heads):
                applied[head.label_id] = (
                    self._suggested_count(view, column, index, is_shown),
                    head,
                )
        library_method = LIBRARY_METHOD.read(self.store)
        result = []
        for row in stored.all_labels(self.store, by_name=True):
            count = counts.get(row.id, stored.ExampleCounts(0, 0))
            suggested, applied_head = applied.get(row.id, (0, None))
            threshold = (
                None
                if applied_head is None or math.isinf(applied_head.threshold)
                else applied_head.threshold
            )
            result.append(
                LabelInfo(
                    name=row.name,
                    confirmed=count.confirmed,
                    rejected=count.rejected,
                    suggested=suggested,
                    threshold=threshold,
                    threshold_is_automatic=row.threshold is None,
                    prompt=row.prompt,
                    method=effective_method(row.method, library_method),
                    method_is_own=row.method is not None,
                    missing_confirmed=count.missing_confirmed,
                    missing_rejected=count.missing_rejected,
                )
            )
        return result


def _polarity(image_ids: np.ndarray, examples: dict[int, int]) -> np.ndarray:
    """Each file's decision (1, -1, or 0 for none) from a label's examples, by a sorted lookup:
    a dict lookup per file took 77 ms of a tag at 100k photos."""
    polarity = np.zeros(len(image_ids), dtype=np.int8)
    if not examples or not len(image_ids):
        return polarity
    decided = np.fromiter(examples, np.int64, len(examples))
    signs = np.fromiter(examples.values(), np.int8, len(examples))
    order = np.argsort(decided)
    at = np.minimum(np.searchsorted(decided[order], image_ids), len(decided) - 1)
    hit = decided[order][at] == image_ids
    polarity[hit] = signs[order][at[hit]]
    return polarity


def _shown(view: ModelView, scores: np.ndarray, floor: float | None) -> np.ndarray:
    """Which (photo, label) scores a prediction lists: see Browser.predictions."""
    if floor is None:
        return view.decisions()
    if math.isinf(floor):
        return np.ones(scores.shape, dtype=bool)
    shown = scores >= floor
    for column, head in enumerate(view.heads):
        shown[view.matrix.rows(head.ids(-1)), column] = False
        shown[view.matrix.rows(head.ids(1)), column] = True
    return shown


def _score_range(column_scores: np.ndarray) -> tuple[float, float]:
    """The span of a label's cosines over the library, for a threshold slider."""
    if not len(column_scores):
        return (0.0, 1.0)
    return (float(column_scores.min()), float(column_scores.max()))
