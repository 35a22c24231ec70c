"""The one public entry point to Phototag's engine: the command line and the GUI both drive a
Library, so every rule about photos, labels and user decisions lives here once.
"""

from __future__ import annotations

import json
import math
import os
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from phototag.core.browsing import (
    NEAR_MISS_FLOOR,
    NEAR_MISSES_SHOWN,
    SEARCH_LIMIT,
    FileIndex,
    LabelReview,
    PhotoDetails,
    PhotoLabel,
    PhotoRef,
    best_first,
)
from phototag.core.errors import UserError
from phototag.core.ingest import scan as ingest
from phototag.core.interop import keywords, packs
from phototag.core.labels.heads import DEFAULT_METHOD, Head
from phototag.core.labels.imprint import Prototype
from phototag.core.labels.methods import (
    available_methods,
    check_method,
    effective_method,
    fit_head,
    uses_others,
)
from phototag.core.labels.scoring import EmbeddingMatrix
from phototag.core.labels.thresholds import Calibration, calibrate, probability
from phototag.core.model import projection as projections
from phototag.core.model.prolip import DEFAULT_STEPS
from phototag.core.model.specs import get_spec
from phototag.core.options import (
    ACTIVE_MODEL,
    DEFAULT_MODEL,
    LIBRARY_METHOD,
    LIBRARY_VARIABLE,
    SIDECARS_ON_CONFIRM,
)
from phototag.core.paths import default_library_dir
from phototag.core.store.database import Store, is_storable, now, printable

LABEL_NAME_MAX = 200
# lr:hierarchicalSubject and digiKam:TagsList use these as hierarchy separators, so a label
# containing one could not be written to XMP unambiguously.
LABEL_FORBIDDEN = "|/"
NO_DECISION = Calibration(threshold=math.inf, slope=1.0)
NOTHING_SCANNED = "nothing is scanned yet: run 'phototag scan' first"


@dataclass(frozen=True)
class Folder:
    path: str
    files: int
    watching: bool


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


@dataclass(frozen=True)
class LabelScore:
    score: float
    confirmed: bool


@dataclass(frozen=True)
class Prediction:
    path: str
    labels: dict[str, LabelScore]


@dataclass(frozen=True)
class ModelInfo:
    name: str
    key: str
    meaningless: bool
    embed_dim: int


@dataclass(frozen=True)
class ExampleChange:
    label: str
    changed: int
    unchanged: int
    not_found: list[str]
    sidecars_failed: list[tuple[str, str]] = field(default_factory=list)
    """(path, reason) of sidecars the library's sidecars-on-confirm setting could not write."""


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


def clean_label_name(name: str) -> str:
    """Labels become XMP keywords and file-system-safe names elsewhere, so some are refused."""
    cleaned = unicodedata.normalize("NFC", name).strip()
    if not cleaned:
        raise UserError("a label needs a name")
    if len(cleaned) > LABEL_NAME_MAX:
        raise UserError(f"label names are at most {LABEL_NAME_MAX} characters")
    if any(ch in cleaned for ch in LABEL_FORBIDDEN):
        raise UserError(f"label {cleaned!r}: '|' and '/' are reserved for label hierarchies")
    if not is_storable(cleaned):
        raise UserError(f"label {printable(cleaned)!r} is not valid UTF-8 text")
    if any(unicodedata.category(ch) == "Cc" for ch in cleaned):
        raise UserError(f"label {cleaned!r} contains control characters")
    return cleaned


def library_root(root: str | Path | None = None) -> Path:
    """The library folder chosen: root, else $PHOTOTAG_LIBRARY, else the per-user default."""
    chosen = root or os.environ.get(LIBRARY_VARIABLE) or default_library_dir()
    return Path(chosen).expanduser().absolute()


def _canonical(path: str | Path) -> str:
    return os.path.realpath(os.path.expanduser(str(path)))


@dataclass
class _Head:
    """One label's classifier for the active model, with the user's examples it came from."""

    label_id: int
    name: str
    user_threshold: float | None
    examples: dict[int, int]
    prototype: Prototype
    calibration: Calibration = NO_DECISION
    # An imported classifier pack's calibration: it decides until the user gives an example.
    preset: Calibration | None = None
    method: str = DEFAULT_METHOD
    fitted: Head | None = None
    """The fitted head when the label uses another method than MWI; its scores replace the
    prototype's. The prototype is kept up to date either way."""

    @property
    def threshold(self) -> float:
        return self.calibration.threshold if self.user_threshold is None else self.user_threshold

    def ids(self, polarity: int) -> list[int]:
        return [image for image, sign in self.examples.items() if sign == polarity]


class _ModelState:
    """The active model's in-memory view: embedding matrix, label heads and their scores."""

    def __init__(self, model: dict, matrix: EmbeddingMatrix, heads: list[_Head]):
        self.model = model
        self.matrix = matrix
        self.heads = heads
        self.scores = np.empty((len(matrix), 0), dtype=np.float32)

    def head(self, label_id: int) -> _Head | None:
        return next((h for h in self.heads if h.label_id == label_id), None)

    def weights(self) -> np.ndarray:
        """One row per label; a label with nothing to go on scores 0 and decides nothing."""
        weights = np.zeros((len(self.heads), self.matrix.dims), dtype=np.float32)
        for row, head in enumerate(self.heads):
            weight = head.prototype.weight()
            if weight is not None:
                weights[row] = weight
        return weights

    def rescore(self) -> None:
        """One (blocked) matrix product over the whole library; fitted heads score themselves."""
        self.scores = self.matrix.scores(self.weights())
        for column, head in enumerate(self.heads):
            if head.fitted is not None:
                self.scores[:, column] = head.fitted.scores(self.matrix.embeddings)

    def decisions(self) -> np.ndarray:
        """Which photo carries which label: score over threshold, overridden by the user."""
        thresholds = np.array([h.threshold for h in self.heads], dtype=np.float64)
        decided = self.scores >= thresholds[None, :]
        for column, head in enumerate(self.heads):
            decided[self.matrix.rows(head.ids(-1)), column] = False
            decided[self.matrix.rows(head.ids(1)), column] = True
        return decided

    def probabilities(self) -> np.ndarray:
        thresholds = np.array([h.threshold for h in self.heads], dtype=np.float64)
        slopes = np.array([h.calibration.slope for h in self.heads], dtype=np.float64)
        return probability(self.scores, thresholds[None, :], slopes[None, :])

    def calibrate(self, head: _Head) -> None:
        """Set a head's threshold from the current scores (call after rescore)."""
        if head.prototype.weight() is None:
            head.calibration = NO_DECISION
            return
        if head.preset is not None and not head.examples:
            head.calibration = head.preset
            return
        scores = self.scores[:, self.heads.index(head)]
        positive_rows = self.matrix.rows(head.ids(1))
        rejected_rows = self.matrix.rows(head.ids(-1))
        unlabeled = np.ones(len(scores), dtype=bool)
        unlabeled[positive_rows] = False
        unlabeled[rejected_rows] = False
        if head.fitted is not None:
            held_out = head.fitted.held_out_scores()
        else:
            held_out = head.prototype.leave_one_out_scores(self.matrix.embeddings[positive_rows])
        head.calibration = calibrate(scores[unlabeled], held_out, scores[rejected_rows])


class Library:
    """A photo library on disk: its folders, photos, labels, examples and the model's view."""

    def __init__(self, root: str | Path):
        self.root = Path(root).expanduser().absolute()
        self.store = Store(self.root)
        self._encoders: dict[tuple[str, str | None], object] = {}
        self._loaded: _ModelState | None = None

    @classmethod
    def open(cls, root: str | Path | None = None) -> Library:
        """The library at root, else $PHOTOTAG_LIBRARY, else the per-user default."""
        return cls(library_root(root))

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ----- folders -------------------------------------------------------------------------

    def add_folder(self, path: str | Path) -> tuple[Folder, bool]:
        """Add a folder to watch and scan; returns it and whether it was new."""
        canonical = _canonical(path)
        if not os.path.isdir(canonical):
            raise UserError(f"not a folder: {path}")
        existing = self.store.scalar("SELECT id FROM folders WHERE path = ?", (canonical,))
        if existing is None:
            with self.store.transaction() as conn:
                conn.execute(
                    "INSERT INTO folders(path, watching, added_at) VALUES (?, 1, ?)",
                    (canonical, now()),
                )
        folder = next(f for f in self.folders() if f.path == canonical)
        return folder, existing is None

    def remove_folder(self, path: str | Path) -> None:
        """Stop tracking a folder. Its photos' examples stay: they are the user's decisions."""
        candidates = {str(Path(path).expanduser().absolute()), _canonical(path)}
        rows = [
            r for r in self.store.query("SELECT id, path FROM folders") if r["path"] in candidates
        ]
        if not rows:
            raise UserError(f"not a library folder: {path}")
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM folders WHERE id = ?", (rows[0]["id"],))

    def folders(self) -> list[Folder]:
        rows = self.store.query(
            "SELECT folders.path, folders.watching, "
            "(SELECT COUNT(*) FROM files WHERE files.folder_id = folders.id "
            " AND files.status = 'ok') AS files FROM folders ORDER BY folders.path"
        )
        return [Folder(r["path"], r["files"], bool(r["watching"])) for r in rows]

    # ----- model and scanning --------------------------------------------------------------

    def model_info(self) -> ModelInfo | None:
        row = self._active_model()
        if row is None:
            return None
        spec = get_spec(row["name"])
        return ModelInfo(row["name"], row["key"], spec.meaningless, row["embed_dim"])

    def _active_model(self) -> dict | None:
        key = self.store.setting(ACTIVE_MODEL.key)
        rows = self.store.query("SELECT * FROM models WHERE key = ?", (key,)) if key else []
        return rows[0] if rows else None

    def _encoder(self, name: str | None = None, weights: str | Path | None = None):
        """Load (once per process) the encoder asked for, else the one the library uses."""
        if name is None:
            active = self._active_model()
            name = DEFAULT_MODEL if active is None else active["name"]
            if weights is None and active is not None:
                weights = active["weights_path"]
        weights_key = None if weights is None else _canonical(weights)
        key = (get_spec(name).name, weights_key)
        if key not in self._encoders:
            from phototag.core.model.encoder import load_encoder

            encoder = load_encoder(key[0], Path(weights_key) if weights_key else None)
            self._use_active_projection(encoder)
            self._encoders[key] = encoder
        return self._encoders[key]

    def _use_active_projection(self, encoder) -> int | None:
        """Embed with the library's active projection (ProLIP may have refined it); returns the
        model's id, None for a model the library has not used yet."""
        rows = self.store.query("SELECT * FROM models WHERE key = ?", (encoder.model_key,))
        if not rows:
            return None
        encoder.projection = projections.active_projection(rows[0])
        return rows[0]["id"]

    def _register_model(self, encoder, weights: str | Path | None) -> int:
        """Record the model and make it the library's; `weights` is what the user passed, so
        later commands reload the same file (models from the cache need no path)."""
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO models(key, name, weights_path, embed_dim, feature_dim, projection, "
                "added_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO NOTHING",
                (
                    encoder.model_key,
                    encoder.spec.name,
                    None if weights is None else _canonical(weights),
                    encoder.embed_dim,
                    encoder.feature_dim,
                    np.asarray(encoder.projection, dtype=np.float32).tobytes(),
                    now(),
                ),
            )
            conn.execute(
                "INSERT INTO settings(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (ACTIVE_MODEL.key, encoder.model_key),
            )
        return self._use_active_projection(encoder)

    def scan(
        self,
        model: str | None = None,
        weights: str | Path | None = None,
        progress: ingest.ProgressCallback | None = None,
    ) -> ingest.ScanReport:
        """Embed every new or changed photo in the library's folders, then re-fit all labels."""
        folders = self.store.query("SELECT id, path FROM folders ORDER BY path")
        if not folders:
            raise UserError("no folders yet: add one with 'phototag folders add PATH'")
        encoder = self._encoder(model, weights)
        model_id = self._register_model(encoder, weights)
        self._loaded = None
        report = ingest.scan(self.store, encoder, model_id, folders, progress)
        self._state(refit=True)
        return report

    # ----- labels --------------------------------------------------------------------------

    def _label_row(self, name: str) -> dict | None:
        rows = self.store.query("SELECT * FROM labels WHERE name = ?", (clean_label_name(name),))
        return rows[0] if rows else None

    def _require_label(self, name: str) -> dict:
        row = self._label_row(name)
        if row is None:
            raise UserError(f"no label named {name!r} (see 'phototag labels list')")
        return row

    def add_label(self, name: str, prompt: str | None = None) -> tuple[str, bool]:
        """Create a label; with a prompt ("a photo of {}") it starts from CLIP's text embedding
        and works before its first example, the prompt fading as examples arrive."""
        existing = self._label_row(name)
        if existing is not None:
            return existing["name"], False
        cleaned = clean_label_name(name)
        text = prompt.replace("{}", cleaned) if prompt else None
        if text and self._active_model() is not None:
            self._encoder()  # fails before the label exists if the model cannot be loaded
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO labels(name, created_at, prompt) VALUES (?, ?, ?)",
                (cleaned, now(), text),
            )
        if self._loaded is not None:
            self._add_head(self._label_row(cleaned))
        return cleaned, True

    def remove_label(self, name: str) -> None:
        """Delete a label with its examples: only ever on the user's explicit request."""
        row = self._require_label(name)
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM labels WHERE id = ?", (row["id"],))
        if self._loaded is not None:
            self._loaded.heads = [h for h in self._loaded.heads if h.label_id != row["id"]]
            self._loaded.rescore()

    def rename_label(self, old: str, new: str) -> str:
        row = self._require_label(old)
        cleaned = clean_label_name(new)
        clash = self._label_row(cleaned)
        if clash is not None and clash["id"] != row["id"]:
            raise UserError(f"a label named {clash['name']!r} already exists")
        with self.store.transaction() as conn:
            conn.execute("UPDATE labels SET name = ? WHERE id = ?", (cleaned, row["id"]))
        if self._loaded is not None:
            self._loaded.head(row["id"]).name = cleaned
        return cleaned

    def set_threshold(self, name: str, threshold: float | None) -> None:
        """Override a label's automatic threshold (a cosine score), or go back to it (None)."""
        row = self._require_label(name)
        if threshold is not None and not -1.0 <= threshold <= 1.0:
            raise UserError("a threshold is a cosine similarity between -1 and 1")
        with self.store.transaction() as conn:
            conn.execute("UPDATE labels SET threshold = ? WHERE id = ?", (threshold, row["id"]))
        if self._loaded is not None:
            self._loaded.head(row["id"]).user_threshold = threshold

    def labels(self) -> list[LabelInfo]:
        state = self._state()
        rows = self.store.query("SELECT * FROM labels ORDER BY name COLLATE NOCASE")
        counts = self.store.query(
            "SELECT label_id, SUM(polarity = 1) AS pos, SUM(polarity = -1) AS neg "
            "FROM examples GROUP BY label_id"
        )
        by_label = {c["label_id"]: c for c in counts}
        applied = {}
        if state is not None:
            decided = state.decisions().sum(axis=0)
            for column, head in enumerate(state.heads):
                confirmed_rows = len(state.matrix.rows(head.ids(1)))
                applied[head.label_id] = (int(decided[column]) - confirmed_rows, head)
        result = []
        library_method = self.store.setting(LIBRARY_METHOD.key)
        for row in rows:
            count = by_label.get(row["id"], {"pos": 0, "neg": 0})
            suggested, head = applied.get(row["id"], (0, None))
            threshold = None if head is None or math.isinf(head.threshold) else head.threshold
            result.append(
                LabelInfo(
                    name=row["name"],
                    confirmed=int(count["pos"] or 0),
                    rejected=int(count["neg"] or 0),
                    suggested=suggested,
                    threshold=threshold,
                    threshold_is_automatic=row["threshold"] is None,
                    prompt=row["prompt"],
                    method=effective_method(row["method"], library_method),
                    method_is_own=row["method"] is not None,
                )
            )
        return result

    # ----- examples ------------------------------------------------------------------------

    def tag(self, label: str, paths: Iterable[str | Path]) -> ExampleChange:
        """Confirm that these photos carry the label (creating the label if it is new)."""
        return self._decide(label, paths, polarity=1)

    def reject(self, label: str, paths: Iterable[str | Path]) -> ExampleChange:
        """Record that these photos do not carry the label: the model may not give it to them,
        and the label's threshold moves away from them."""
        return self._decide(label, paths, polarity=-1)

    def untag(self, label: str, paths: Iterable[str | Path]) -> ExampleChange:
        """Withdraw a confirmation or a rejection: the photo goes back to the model's judgement."""
        return self._decide(label, paths, polarity=0)

    def _decide(self, label: str, paths: Iterable[str | Path], polarity: int) -> ExampleChange:
        """Record a decision, then keep the photos' sidecars in step when the library asks for
        it, so a decision from the command line reaches Lightroom as one from the GUI does."""
        paths = list(paths)
        change = self._set_examples(label, paths, polarity)
        if not self.sidecars_on_confirm:
            return change
        failed = self.write_sidecars(paths).failed
        return replace(change, sidecars_failed=failed)

    def _resolve_photos(self, paths: Iterable[str | Path]) -> tuple[list[int], list[str]]:
        """Image ids for paths (files, or folders meaning every photo below them)."""
        images: dict[int, None] = {}
        not_found: list[str] = []
        for given in paths:
            found = self._images_at(str(given)) if is_storable(str(given)) else []
            if not found:
                not_found.append(printable(str(given)))
            images.update(dict.fromkeys(found))
        return list(images), not_found

    def _images_at(self, given: str) -> list[int]:
        return [r["image_id"] for r in self._files_at(given)]

    def _files_at(self, given: str) -> list[dict]:
        """Present photo files (path, image_id) at a path: a file, or a folder's files."""
        for candidate in dict.fromkeys(
            [os.path.abspath(os.path.expanduser(given)), _canonical(given)]
        ):
            rows = self.store.query(
                "SELECT path, image_id FROM files WHERE image_id IS NOT NULL AND status = 'ok' "
                "AND (path = ? OR substr(path, 1, ?) = ?) ORDER BY path",
                (candidate, len(candidate) + 1, candidate.rstrip(os.sep) + os.sep),
            )
            if rows:
                return rows
        return []

    def _set_examples(
        self, label: str, paths: Iterable[str | Path], polarity: int
    ) -> ExampleChange:
        state = self._require_state()
        images, not_found = self._resolve_photos(paths)
        row = self._label_row(label)
        if row is None and polarity == 0:
            raise UserError(f"no label named {label!r} (see 'phototag labels list')")
        if row is None and not images:
            return ExampleChange(clean_label_name(label), 0, 0, not_found)
        if row is None:
            row = self._label_row(self.add_label(label)[0])
        head = state.head(row["id"]) or self._add_head(row)
        changes = {i: polarity for i in images if head.examples.get(i, 0) != polarity}
        self._apply_examples(head, changes)
        return ExampleChange(row["name"], len(changes), len(images) - len(changes), not_found)

    def _apply_examples(self, head: _Head, changes: dict[int, int]) -> None:
        """Write the decisions and update the label incrementally, in one transaction."""
        try:
            self._update_head(head, changes)
        except BaseException:
            self._loaded = None  # the in-memory view may be ahead of the database: reload it
            raise

    def _update_head(self, head: _Head, changes: dict[int, int]) -> None:
        state = self._loaded
        with self.store.transaction() as conn:
            self._catch_up(head)
            for image, polarity in changes.items():
                row = state.matrix.row(image)
                if row is not None and head.examples.get(image) == 1:
                    head.prototype.remove(state.matrix.embeddings[row])
                if row is not None and polarity == 1:
                    head.prototype.add(state.matrix.embeddings[row])
                if polarity == 0:
                    head.examples.pop(image, None)
                else:
                    head.examples[image] = polarity
            affected = [head, *self._refit_after_change(head)]
            state.rescore()
            for changed in affected:
                state.calibrate(changed)
            for image, polarity in changes.items():
                if polarity == 0:
                    conn.execute(
                        "DELETE FROM examples WHERE label_id = ? AND image_id = ?",
                        (head.label_id, image),
                    )
                else:
                    conn.execute(
                        "INSERT INTO examples(label_id, image_id, polarity, source, created_at) "
                        "VALUES (?, ?, ?, 'user', ?) ON CONFLICT(label_id, image_id) DO UPDATE "
                        "SET polarity = excluded.polarity, created_at = excluded.created_at",
                        (head.label_id, image, polarity, now()),
                    )
            for changed in affected:
                self._save_head(changed)

    def _catch_up(self, head: _Head) -> None:
        """Start from the database's examples when another process (the app, the command line,
        the watcher) changed them since this one loaded the label: its saved imprint would
        otherwise leave their examples out. Call inside the write transaction."""
        stored = self._examples_of(head.label_id)
        if stored == head.examples:
            return
        state = self._loaded
        positives = state.matrix.rows([i for i, sign in stored.items() if sign == 1])
        head.examples = stored
        head.prototype = Prototype.from_examples(
            state.matrix.embeddings[positives], head.prototype.prior
        )

    # ----- the model's view ----------------------------------------------------------------

    def _state(self, refit: bool = False) -> _ModelState | None:
        """Load the active model's matrix and heads; refit all heads after the library changed."""
        if self._loaded is not None and not refit:
            return self._loaded
        model = self._active_model()
        if model is None:
            return None
        matrix = self._load_matrix(model)
        self._loaded = _ModelState(model, matrix, [])
        labels = self.store.query("SELECT * FROM labels ORDER BY id")
        saved = {
            r["label_id"]: r
            for r in self.store.query(
                "SELECT * FROM label_weights WHERE model_id = ?", (model["id"],)
            )
        }
        to_save = []
        for label in labels:
            head = self._head_from_saved(label, saved.get(label["id"]))
            if head is None or refit:
                head = self._imprint(label, saved.get(label["id"]))
                to_save.append(head)
            self._loaded.heads.append(head)
        for head in self._loaded.heads:
            self._fit(head)
        self._loaded.rescore()
        for head in to_save:
            self._loaded.calibrate(head)
        if to_save:
            with self.store.transaction():
                for head in to_save:
                    self._save_head(head)
        return self._loaded

    def _load_matrix(self, model: dict) -> EmbeddingMatrix:
        rows = self.store.conn.execute(
            "SELECT image_id, embedding FROM embeddings WHERE model_id = ? ORDER BY image_id",
            (model["id"],),
        ).fetchall()
        if not rows:
            return EmbeddingMatrix.empty(model["embed_dim"])
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        flat = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32)
        return EmbeddingMatrix(ids, flat.reshape(len(rows), model["embed_dim"]))

    def _examples_of(self, label_id: int) -> dict[int, int]:
        rows = self.store.conn.execute(
            "SELECT image_id, polarity FROM examples WHERE label_id = ? ORDER BY image_id",
            (label_id,),
        )
        return dict(rows.fetchall())

    def _prior(self, label: dict, saved: dict | None = None) -> np.ndarray | None:
        """The prompt's text embedding plus an imported pack's pseudo-example: saved with the
        label's weights, computed only once."""
        if saved is not None and saved["prior"] is not None:
            return np.frombuffer(saved["prior"], np.float32)
        pack = self._imported_pack(label["id"])
        text = self._encoder().encode_texts([label["prompt"]])[0] if label["prompt"] else None
        if pack is None:
            return text
        vector = np.frombuffer(pack["weight"], np.float32) * np.float32(pack["strength"])
        return vector if text is None else text + vector

    def _head_from_saved(self, label: dict, saved: dict | None) -> _Head | None:
        if saved is None:
            return None
        prototype = Prototype(
            np.frombuffer(saved["pos_sum"], np.int64).copy(),
            saved["n_pos"],
            self._prior(label, saved),
        )
        return _Head(
            label_id=label["id"],
            name=label["name"],
            user_threshold=label["threshold"],
            examples=self._examples_of(label["id"]),
            prototype=prototype,
            calibration=Calibration(saved["threshold"], saved["slope"]),
            preset=self._pack_calibration(label["id"]),
            method=self._method_for(label),
        )

    def _imprint(self, label: dict, saved: dict | None = None) -> _Head:
        """The full re-imprint of a label from its stored examples."""
        state = self._loaded
        examples = self._examples_of(label["id"])
        positives = state.matrix.rows([i for i, sign in examples.items() if sign == 1])
        prior = self._prior(label, saved)
        prototype = Prototype.from_examples(state.matrix.embeddings[positives], prior)
        return _Head(
            label["id"],
            label["name"],
            label["threshold"],
            examples,
            prototype,
            preset=self._pack_calibration(label["id"]),
            method=self._method_for(label),
        )

    def _add_head(self, label: dict) -> _Head:
        head = self._imprint(label)
        self._loaded.heads.append(head)
        self._fit(head)
        self._loaded.rescore()
        self._loaded.calibrate(head)
        with self.store.transaction():
            self._save_head(head)
        return head

    def _save_head(self, head: _Head) -> None:
        weight = head.prototype.weight()
        prior = head.prototype.prior
        self.store.conn.execute(
            "INSERT OR REPLACE INTO label_weights(label_id, model_id, weight, pos_sum, n_pos, "
            "prior, threshold, slope, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                head.label_id,
                self._loaded.model["id"],
                None if weight is None else weight.tobytes(),
                head.prototype.pos_sum.astype(np.int64).tobytes(),
                head.prototype.n_pos,
                None if prior is None else np.asarray(prior, np.float32).tobytes(),
                head.calibration.threshold,
                head.calibration.slope,
                now(),
            ),
        )

    # ----- heads: the method each label uses ------------------------------------------------

    def methods(self) -> dict[str, str]:
        """The methods a label can use, name -> summary, the default (MWI) first."""
        return available_methods()

    def method(self) -> str:
        """The library's method: every label without its own choice uses it."""
        return effective_method(None, self.store.setting(LIBRARY_METHOD.key))

    def set_method(self, name: str) -> None:
        """Choose the library's method; its labels are refitted and recalibrated at once."""
        self.store.set_setting(LIBRARY_METHOD.key, check_method(name))
        self._refit_all()

    def set_label_method(self, label: str, name: str | None) -> str:
        """Give one label its own method, or (None) let it follow the library's again.
        Returns the method the label now uses."""
        row = self._require_label(label)
        chosen = None if name is None else check_method(name)
        state = self._state()
        method = self._method_for({**row, "method": chosen})
        head = None if state is None else state.head(row["id"])
        with self.store.transaction() as conn:
            conn.execute("UPDATE labels SET method = ? WHERE id = ?", (chosen, row["id"]))
            if head is not None:
                head.method = method
                self._apply_examples(head, {})  # refit and recalibrate it, then save
        return method

    def _method_for(self, label: dict) -> str:
        return effective_method(label["method"], self.store.setting(LIBRARY_METHOD.key))

    def _fit(self, head: _Head) -> None:
        """Fit a non-MWI head from its examples as the library is embedded now (MWI needs
        nothing: its prototype is the classifier)."""
        state = self._loaded
        if head.method == DEFAULT_METHOD:
            head.fitted = None
            return
        others = [image for other in state.heads if other is not head for image in other.ids(1)]
        head.fitted = fit_head(
            head.method, head.examples, state.matrix, head.prototype.prior, others
        )

    def _refit_after_change(self, changed: _Head) -> list[_Head]:
        """Refit the changed label's head, and every other head fitted with other labels'
        positives; returns those others (their thresholds move too)."""
        self._fit(changed)
        dependents = [h for h in self._loaded.heads if h is not changed and uses_others(h.method)]
        for head in dependents:
            self._fit(head)
        return dependents

    # ----- ProLIP: refining the visual projection -------------------------------------------

    def refinements(self) -> list[projections.ProjectionVersion]:
        """The active model's projection versions, oldest first (0 = pretrained)."""
        return projections.versions(self.store, self._require_model())

    def refine(
        self,
        progress: Callable[[str, int, int], None] | None = None,
        steps: int = DEFAULT_STEPS,
    ) -> ProjectionChange:
        """Retrain the visual projection on the labelled photos (ProLIP), then recompute every
        embedding with it and refit every label. progress(stage, done, total) reports the
        stages "refining" (training steps) and "recomputing" (embeddings)."""
        from phototag.core.model.prolip import refine_projection

        model = self._require_model()
        state = self._state()
        heads = [h for h in state.heads if h.prototype.weight() is not None]
        images = sorted({i for h in heads for i in h.examples if state.matrix.row(i) is not None})
        if not images:
            raise UserError(
                "nothing to refine from: confirm or reject a few photos of a label first"
            )
        targets = np.array(
            [[h.examples.get(i, 0) for h in heads] for i in images], dtype=np.float32
        )
        classifier = np.stack([h.prototype.weight() for h in heads])
        start = projections.active_projection(model)
        refined = refine_projection(
            self._features(model, images),
            targets,
            classifier,
            start,
            steps=steps,
            progress=None if progress is None else lambda d, t: progress("refining", d, t),
        )
        note = f"ProLIP on {len(images)} photos, {len(heads)} labels"
        change = self._switch_projection(model, None, refined, note, progress)
        return ProjectionChange(**{**change.__dict__, "photos": len(images), "labels": len(heads)})

    def revert_refinement(
        self, to: int | None = None, progress: Callable[[str, int, int], None] | None = None
    ) -> ProjectionChange:
        """Go back to the projection the active one was refined from, or to version `to`
        (0 = pretrained), recomputing every embedding and refitting every label."""
        model = self._require_model()
        active = model["projection_version"]
        if to is None:
            known = {v.version: v for v in projections.versions(self.store, model)}
            to = known[active].base
            if to is None:
                raise UserError("nothing to revert: the library uses the pretrained projection")
        elif to == active:
            raise UserError(f"nothing to revert: projection version {to} is already active")
        projection = projections.stored_projection(self.store, model, to)
        return self._switch_projection(model, to, projection, None, progress)

    def _require_model(self) -> dict:
        model = self._active_model()
        if model is None:
            raise UserError(NOTHING_SCANNED)
        return model

    def _require_state(self) -> _ModelState:
        state = self._state()
        if state is None:
            raise UserError(NOTHING_SCANNED)
        return state

    def _features(self, model: dict, images: list[int]) -> np.ndarray:
        """The stored pre-projection features of these images, one row each, in order."""
        blobs = dict(
            self.store.conn.execute(
                "SELECT image_id, feature FROM embeddings WHERE model_id = ? "
                f"AND image_id IN ({','.join('?' * len(images))})",
                (model["id"], *images),
            ).fetchall()
        )
        flat = np.frombuffer(b"".join(blobs[i] for i in images), dtype=np.float32)
        return flat.reshape(len(images), model["feature_dim"]).copy()  # torch wants it writable

    def _switch_projection(
        self,
        model: dict,
        version: int | None,
        projection: np.ndarray,
        note: str | None,
        progress: Callable[[str, int, int], None] | None,
    ) -> ProjectionChange:
        """Make `projection` active (as a new version when `version` is None), recompute the
        model's embeddings and refit every label, all in one transaction: a crash leaves the
        library as it was."""
        previous = projections.active_projection(model)
        recompute = None if progress is None else lambda d, t: progress("recomputing", d, t)
        try:
            with self.store.transaction():
                if version is None:
                    version = projections.add_version(self.store, model, projection, note)
                count = projections.activate(self.store, model, version, projection, recompute)
                self._state(refit=True)
        except BaseException:
            self._loaded = None  # the view may be ahead of the rolled-back database
            raise
        self._browse_cache = None
        for encoder in self._encoders.values():
            if encoder.model_key == model["key"]:
                encoder.projection = np.array(projection, dtype=np.float32)
        moved = float(np.linalg.norm(projection - previous) / np.linalg.norm(previous))
        return ProjectionChange(version, model["projection_version"], moved, count)

    # ----- reading results -----------------------------------------------------------------

    def predictions(self, label: str | None = None) -> Iterator[Prediction]:
        """Every present photo with the labels it carries; with `label`, only its photos."""
        state = self._state()
        files = self.store.query(
            "SELECT path, image_id FROM files WHERE status = 'ok' AND image_id IS NOT NULL "
            "ORDER BY path"
        )
        if state is None:
            if label is None:
                yield from (Prediction(f["path"], {}) for f in files)
            return
        columns = list(range(len(state.heads)))
        if label is not None:
            columns = [self._column(state, label)]
        decided = state.decisions()
        scores = state.probabilities()
        confirmed = [set(h.ids(1)) for h in state.heads]
        for file in files:
            row = state.matrix.row(file["image_id"])
            carried = {}
            for column in columns if row is not None else []:
                if decided[row, column]:
                    carried[state.heads[column].name] = LabelScore(
                        round(float(scores[row, column]), 4),
                        file["image_id"] in confirmed[column],
                    )
            if label is None or carried:
                yield Prediction(file["path"], carried)

    def status(self) -> Status:
        counts = dict(
            self.store.conn.execute("SELECT status, COUNT(*) FROM files GROUP BY status").fetchall()
        )
        unreadable = [
            (r["path"], r["reason"])
            for r in self.store.query(
                "SELECT path, reason FROM files WHERE status = 'unreadable' ORDER BY path"
            )
        ]
        model = self._active_model()
        embedded = 0
        if model is not None:
            embedded = self.store.scalar(
                "SELECT COUNT(*) FROM embeddings WHERE model_id = ?", (model["id"],)
            )
        return Status(
            library=str(self.root),
            model=self.model_info(),
            folders=self.folders(),
            photos=counts.get("ok", 0),
            images=self.store.scalar("SELECT COUNT(*) FROM images"),
            embedded=embedded,
            missing=counts.get("missing", 0),
            unreadable=unreadable,
            labels=self.labels(),
        )

    # ----- browsing (for the GUI) ----------------------------------------------------------

    _browse_cache: tuple[_ModelState | None, tuple, FileIndex] | None = None

    @property
    def thumbnail_dir(self) -> Path:
        """Thumbnails are derived data: they live in the library's cache, keyed by content."""
        return self.root / "cache" / "thumbnails"

    def reload(self) -> None:
        """Forget the in-memory view so the next read sees what another thread or process
        wrote (the GUI calls this after a scan ran in its worker)."""
        self._loaded = None
        self._browse_cache = None

    def photos(
        self, all_of: Iterable[str] = (), any_of: Iterable[str] = (), folder: str | None = None
    ) -> list[PhotoRef]:
        """Present photos in path order: below `folder`, carrying every label in `all_of` and
        at least one in `any_of` (confirmed or suggested)."""
        index = self._file_index()
        mask = index.in_folder(folder) & self._carrying(index, all_of, any_of)
        return index.refs(np.flatnonzero(mask))

    def photo(self, path: str | Path) -> PhotoDetails:
        """One present photo's file facts and every label it carries or was refused."""
        rows = self.store.query(
            "SELECT files.path, files.size, files.mtime_ns, files.image_id, images.content_hash, "
            "images.width, images.height, images.taken_at FROM files "
            "JOIN images ON images.id = files.image_id WHERE files.path = ? AND status = 'ok'",
            (str(path),),
        )
        if not rows:
            raise UserError(f"not a photo in this library: {printable(str(path))}")
        row = rows[0]
        mtime = None if row["mtime_ns"] is None else row["mtime_ns"] / 1e9
        return PhotoDetails(
            path=row["path"],
            content_hash=row["content_hash"],
            size=row["size"],
            mtime=mtime,
            width=row["width"],
            height=row["height"],
            taken_at=row["taken_at"],
            labels=self._labels_of(row["image_id"]),
        )

    def review(self, label: str, near_misses: int = NEAR_MISSES_SHOWN) -> LabelReview:
        """A label's confirmed, suggested (best first), near-miss and rejected photos."""
        name = self._require_label(label)["name"]
        state = self._state()
        if state is None:
            return LabelReview(name, None, None, True, (0.0, 1.0), [], [], [], [])
        column = self._column(state, name)
        head = state.heads[column]
        index = self._file_index()
        cosine = self._file_scores(index, state.scores[:, column])
        score = probability(cosine, head.threshold, head.calibration.slope)
        polarity = np.fromiter(
            (head.examples.get(int(i), 0) for i in index.image_ids), np.int8, len(index.paths)
        )
        free = (polarity == 0) & (index.rows >= 0)
        decided = free & (cosine >= head.threshold)
        near = free & ~decided & (score >= NEAR_MISS_FLOOR)
        column_scores = state.scores[:, column]
        score_range = (
            (float(column_scores.min()), float(column_scores.max()))
            if len(column_scores)
            else (0.0, 1.0)
        )
        return LabelReview(
            label=name,
            threshold=None if math.isinf(head.threshold) else float(head.threshold),
            automatic_threshold=(
                None if math.isinf(head.calibration.threshold) else head.calibration.threshold
            ),
            threshold_is_automatic=head.user_threshold is None,
            score_range=score_range,
            confirmed=index.refs(best_first(cosine, polarity == 1), score),
            suggested=index.refs(best_first(cosine, decided), score),
            near_misses=index.refs(best_first(cosine, near, near_misses), score),
            rejected=index.refs(best_first(cosine, polarity == -1), score),
        )

    def search(
        self,
        query: str | np.ndarray,
        all_of: Iterable[str] = (),
        any_of: Iterable[str] = (),
        folder: str | None = None,
        limit: int = SEARCH_LIMIT,
    ) -> list[PhotoRef]:
        """Photos nearest in meaning to a text, best first; `score` is the cosine similarity.

        `query` may be an embedding from embed_text(), so the model can run in another thread.
        """
        state = self._state()
        if state is None or not len(state.matrix):
            return []
        vector = self.embed_text(query) if isinstance(query, str) else query
        index = self._file_index()
        similarity = state.matrix.embeddings @ np.asarray(vector, dtype=np.float32)
        scores = self._file_scores(index, similarity)
        mask = (index.rows >= 0) & index.in_folder(folder)
        mask &= self._carrying(index, all_of, any_of)
        return index.refs(best_first(scores, mask, limit), scores)

    def embed_text(self, text: str) -> np.ndarray:
        """CLIP's embedding of a text. Loads the model on first use: keep it off a GUI thread."""
        if not text.strip():
            raise UserError("type what to search for")
        return self._encoder().encode_texts([text.strip()])[0]

    def _file_index(self) -> FileIndex:
        """Present files with their matrix rows, cached until the files or the view change."""
        state = self._state()
        signature = tuple(
            self.store.conn.execute(
                "SELECT COUNT(*), MAX(id), MAX(seen_at), SUM(status = 'ok') FROM files"
            ).fetchone()
        )
        cached = self._browse_cache
        if cached is not None and cached[0] is state and cached[1] == signature:
            return cached[2]
        rows = self.store.conn.execute(
            "SELECT files.path, images.content_hash, files.image_id FROM files "
            "JOIN images ON images.id = files.image_id WHERE files.status = 'ok' "
            "ORDER BY files.path"
        ).fetchall()
        image_ids = np.fromiter((r[2] for r in rows), np.int64, len(rows))
        lookup = (lambda _: None) if state is None else state.matrix.row
        matrix_rows = np.fromiter(
            (-1 if (found := lookup(i)) is None else found for i in image_ids),
            np.int64,
            len(rows),
        )
        index = FileIndex([r[0] for r in rows], [r[1] for r in rows], image_ids, matrix_rows)
        self._browse_cache = (state, signature, index)
        return index

    @staticmethod
    def _file_scores(index: FileIndex, image_scores: np.ndarray) -> np.ndarray:
        """Per-image scores spread to files; files not embedded yet score -inf."""
        scores = np.full(len(index.paths), -np.inf, dtype=np.float32)
        embedded = index.rows >= 0
        scores[embedded] = image_scores[index.rows[embedded]]
        return scores

    def _column(self, state: _ModelState, label: str) -> int:
        wanted = self._require_label(label)["id"]
        for column, head in enumerate(state.heads):
            if head.label_id == wanted:
                return column
        raise UserError(f"label {label!r} was made elsewhere: reload the library to see it")

    def _carrying(self, index: FileIndex, all_of: Iterable[str], any_of: Iterable[str]):
        """Mask of files carrying all of `all_of` and any of `any_of` (no labels: all files)."""
        all_of, any_of = list(all_of), list(any_of)
        mask = np.ones(len(index.paths), dtype=bool)
        if not all_of and not any_of:
            return mask
        state = self._state()
        if state is None:
            return ~mask
        decided = state.decisions()
        carried = np.zeros((len(index.paths), len(state.heads)), dtype=bool)
        embedded = index.rows >= 0
        carried[embedded] = decided[index.rows[embedded]]
        if all_of:
            mask &= carried[:, [self._column(state, n) for n in all_of]].all(axis=1)
        if any_of:
            mask &= carried[:, [self._column(state, n) for n in any_of]].any(axis=1)
        return mask

    def _labels_of(self, image_id: int) -> list[PhotoLabel]:
        """Confirmed first, then suggested, then rejected; best score first within each."""
        state = self._state()
        row = None if state is None else state.matrix.row(image_id)
        if row is None:
            return []
        found = []
        for column, head in enumerate(state.heads):
            cosine = float(state.scores[row, column])
            polarity = head.examples.get(image_id, 0)
            if polarity == 0 and not cosine >= head.threshold:
                continue
            score = float(probability(cosine, head.threshold, head.calibration.slope))
            state_name = {1: "confirmed", -1: "rejected", 0: "suggested"}[polarity]
            found.append(PhotoLabel(head.name, round(score, 4), state_name))
        rank = {"confirmed": 0, "suggested": 1, "rejected": 2}
        return sorted(found, key=lambda label: (rank[label.state], -label.score))

    # ----- watching ------------------------------------------------------------------------

    def ingest_paths(
        self, paths: Iterable[str | Path], progress: ingest.ProgressCallback | None = None
    ) -> ingest.ScanReport:
        """Bring just these paths up to date, files or folders, present or gone: the watcher's
        batch of settled changes, or a folder that came back. The same pipeline and model as a
        scan; labels are re-fit only when photos were embedded, as only those move thresholds."""
        targets = [str(p) for p in paths]
        if not targets:
            return ingest.ScanReport()
        encoder = self._encoder()
        model_id = self._register_model(encoder, None)
        folders = self.store.query("SELECT id, path FROM folders ORDER BY path")
        report = ingest.update(self.store, encoder, model_id, folders, targets, progress)
        if report.embedded:
            self._refit_all()
        return report

    def _refit_all(self) -> None:
        """Re-fit every label inside one write transaction: a label that another Library (the
        GUI, while the watcher works) changes meanwhile waits, rather than being overwritten
        with weights from before its change."""
        try:
            with self.store.transaction():
                self._state(refit=True)
        except BaseException:
            self._loaded = None  # the view may be ahead of the rolled-back database
            raise

    def watched_folders(self) -> dict[str, bool]:
        """Every folder to keep current, each with whether it is polled rather than watched
        through the system's change events."""
        rows = self.store.query("SELECT path, poll FROM folders WHERE watching = 1 ORDER BY path")
        return {row["path"]: bool(row["poll"]) for row in rows}

    def set_polling(self, path: str | Path, poll: bool) -> None:
        """Watch a folder by polling: network shares deliver no change events."""
        canonical = _canonical(path)
        with self.store.transaction() as conn:
            changed = conn.execute(
                "UPDATE folders SET poll = ? WHERE path = ?", (int(poll), canonical)
            ).rowcount
        if not changed:
            raise UserError(f"not a library folder: {path}")

    def folder_problem(self, path: str) -> str | None:
        """Why a library folder cannot be read now (None when it can), e.g. an unplugged drive:
        such a folder is paused, never emptied."""
        rows = self.store.query("SELECT id, path FROM folders WHERE path = ?", (path,))
        if not rows:
            return "not a library folder"
        return ingest.folder_problem(self.store, rows[0])

    def purge(self, dry_run: bool = False) -> ingest.PurgeReport:
        """Forget missing files and the photos no file shows any more, with the examples given
        for them; until then a photo that comes back keeps every tag. A dry run only tells."""
        with self.store.transaction():
            report = ingest.purge(self.store, dry_run)
            if report.photos and not dry_run:
                self._refit_all()
        return report

    # ----- tags in other apps (XMP keywords) -----------------------------------------------

    def write_sidecars(
        self, paths: Iterable[str | Path] | None = None, predicted: bool = False
    ) -> keywords.WriteReport:
        """Merge labels into XMP sidecars beside the photos (all, or those at `paths`):
        confirmed labels, and with `predicted` those the model gives above the threshold."""
        return keywords.write_sidecars(
            self.store, self._labels_to_write(paths, predicted), self._model_key()
        )

    def embed_keywords(
        self, paths: Iterable[str | Path] | None = None, predicted: bool = False
    ) -> keywords.WriteReport:
        """Like write_sidecars, but into the photo files themselves (XMP and IPTC keywords),
        which changes the originals: only on the user's explicit request."""
        return keywords.embed(self.store, self._labels_to_write(paths, predicted))

    def import_keywords(
        self, source: str = keywords.FROM_SIDECARS, paths: Iterable[str | Path] | None = None
    ) -> keywords.ImportReport:
        """Learn from keywords other apps wrote (sidecars, or embedded in the photos): each
        becomes a label and its photos positive examples; user rejections stay."""
        if source not in keywords.IMPORT_SOURCES:
            raise UserError(f"keywords come from {' or '.join(keywords.IMPORT_SOURCES)}")
        photos, not_found = self._photo_files(paths)
        reader = {
            keywords.FROM_SIDECARS: keywords.read_sidecar_keywords,
            keywords.FROM_EMBEDDED: keywords.read_embedded_keywords,
        }[source]
        report = keywords.ImportReport(
            skipped=[(path, "", "not a photo in the library") for path in not_found]
        )
        keywords.learn(self.store, reader(self.store, photos, report), clean_label_name, report)
        if report.examples_added or report.labels_created:
            self._refit_all()
        return report

    @property
    def sidecars_on_confirm(self) -> bool:
        """Whether tag, reject and untag update the photos' XMP sidecars (the GUI's File menu
        switch; kept in the library, so the command line follows it too)."""
        return bool(SIDECARS_ON_CONFIRM.read(self.store))

    @sidecars_on_confirm.setter
    def sidecars_on_confirm(self, enabled: bool) -> None:
        SIDECARS_ON_CONFIRM.write(self.store, enabled)

    def _model_key(self) -> str | None:
        model = self._active_model()
        return None if model is None else model["key"]

    def _photo_files(
        self, paths: Iterable[str | Path] | None
    ) -> tuple[list[tuple[str, int]], list[str]]:
        """(path, image id) of present photo files at `paths` (all when None), and the paths
        that name none."""
        if paths is None:
            rows = self.store.query(
                "SELECT path, image_id FROM files WHERE status = 'ok' AND image_id IS NOT NULL "
                "ORDER BY path"
            )
            return [(r["path"], r["image_id"]) for r in rows], []
        found: dict[str, int] = {}
        not_found = []
        for given in paths:
            rows = self._files_at(str(given)) if is_storable(str(given)) else []
            if not rows:
                not_found.append(printable(str(given)))
            found.update((r["path"], r["image_id"]) for r in rows)
        return list(found.items()), not_found

    def _labels_to_write(
        self, paths: Iterable[str | Path] | None, predicted: bool
    ) -> Iterator[keywords.PhotoLabels]:
        """Each photo with the labels to write for it: confirmed, and suggested if asked."""
        if paths is None:
            for prediction in self.predictions():
                yield (
                    prediction.path,
                    [
                        (name, label.score, label.confirmed)
                        for name, label in prediction.labels.items()
                        if predicted or label.confirmed
                    ],
                )
            return
        wanted = {"confirmed", "suggested"} if predicted else {"confirmed"}
        for path, image_id in self._photo_files(paths)[0]:
            yield (
                path,
                [
                    (label.name, label.score, label.state == "confirmed")
                    for label in self._labels_of(image_id)
                    if label.state in wanted
                ],
            )

    # ----- classifier packs (core/interop/packs.py) -----------------------------------------

    def export_pack(self, label: str, out: str | Path) -> packs.Pack:
        """Write one label's classifier to a small JSON file: no photo, no embedding of one."""
        row = self._require_label(label)
        state = self._require_state()
        head = state.heads[self._column(state, row["name"])]
        weight = head.prototype.weight()
        if weight is None or math.isinf(head.threshold):
            raise UserError(f"label {row['name']!r} has nothing to share yet: tag a few examples")
        inherited = self._imported_pack(row["id"])
        pack = packs.Pack(
            label=row["name"],
            weight=weight,
            strength=head.prototype.strength(),
            n_pos=head.prototype.n_pos + (inherited["n_pos"] if inherited else 0),
            calibration=Calibration(head.threshold, head.calibration.slope),
            model_key=state.model["key"],
            model_name=state.model["name"],
            projection_version=state.model["projection_version"],
            prompt=row["prompt"]
            or (json.loads(inherited["meta"])["prompt"] if inherited else None),
        )
        packs.write(pack, Path(out))
        return pack

    def import_pack(self, path: str | Path, name: str | None = None) -> tuple[str, str | None]:
        """Add a label from a classifier pack made with this library's model; returns its name
        and a warning, if any. An existing label is never replaced."""
        pack = packs.read(Path(path).expanduser())
        model = self._active_model()
        if model is None:
            raise UserError("this library has no model yet: run 'phototag scan' first")
        warning = packs.check_model(pack, model)
        cleaned = clean_label_name(name or pack.label)
        existing = self._label_row(cleaned)
        if existing is not None:
            raise UserError(
                f"a label named {existing['name']!r} already exists; "
                "import the pack under another name with --name NEW"
            )
        with self.store.transaction() as conn:
            label_id = conn.execute(
                "INSERT INTO labels(name, created_at) VALUES (?, ?)", (cleaned, now())
            ).lastrowid
            conn.execute(
                "INSERT INTO label_packs(label_id, model_key, projection_version, weight, "
                "strength, n_pos, threshold, slope, meta, imported_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    label_id,
                    pack.model_key,
                    pack.projection_version,
                    np.asarray(pack.weight, np.float32).tobytes(),
                    pack.strength,
                    pack.n_pos,
                    pack.calibration.threshold,
                    pack.calibration.slope,
                    packs.meta(pack),
                    now(),
                ),
            )
        if self._loaded is not None:
            self._add_head(self._label_row(cleaned))
        return cleaned, warning

    def _imported_pack(self, label_id: int) -> dict | None:
        """The label's imported classifier for the active model, if it has one."""
        model = self._loaded.model if self._loaded is not None else self._active_model()
        rows = self.store.query(
            "SELECT * FROM label_packs WHERE label_id = ? AND model_key = ?",
            (label_id, model["key"]),
        )
        return rows[0] if rows else None

    def _pack_calibration(self, label_id: int) -> Calibration | None:
        pack = self._imported_pack(label_id)
        return None if pack is None else Calibration(pack["threshold"], pack["slope"])
