"""The one public entry point to Phototag's engine: the command line and the GUI both drive a
Library, so every rule about photos, labels and user decisions is reached from here.

Library is a facade: the label state lives in core/labels/state.py, the reads in core/browse.py,
ProLIP in core/model/refine.py, the SQL in core/store/, and each verb here only ties them.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from phototag.core.batch import importing as batch_importing
from phototag.core.batch import job as batch_job
from phototag.core.batch import labelset as batch_labelset
from phototag.core.browse import (
    Browser,
    Folder,
    LabelInfo,
    ModelInfo,
    Prediction,
    Status,
)
from phototag.core.browsing import (
    NEAR_MISSES_SHOWN,
    SEARCH_LIMIT,
    LabelReview,
    PhotoDetails,
    PhotoRef,
)
from phototag.core.coverage import Coverage, coverage
from phototag.core.errors import UserError
from phototag.core.finding.discover import GROUPS_SHOWN
from phototag.core.finding.finder import Album, Finder, PhotoGroup
from phototag.core.history import Journal, Reversal
from phototag.core.ingest import scan as ingest
from phototag.core.interop import keywords, packs, parquet, selection
from phototag.core.labels.growing import take_in_new_photos
from phototag.core.labels.methods import (
    available_methods,
    check_method,
    effective_method,
)
from phototag.core.labels.names import (
    clean_label_name,
    find_label,
    near_match,
    require_label,
)
from phototag.core.labels.state import ExampleChange, LabelState, ModelView
from phototag.core.model import projection as projections
from phototag.core.model import refine as prolip
from phototag.core.model.backends import StageCallback
from phototag.core.model.encoders import Encoders, LibraryEncoder
from phototag.core.model.encoders import canonical as canonical_path
from phototag.core.model.prolip import DEFAULT_STEPS
from phototag.core.model.refine import ProjectionChange
from phototag.core.options import (
    LIBRARY_METHOD,
    LIBRARY_VARIABLE,
    RAW_SIDECAR_KEEP_EXTENSION,
    RAW_SIDECAR_NAME,
    RAW_SIDECAR_STYLES,
    SIDECARS_ON_CONFIRM,
)
from phototag.core.paths import default_library_dir
from phototag.core.store import batch as batch_sql
from phototag.core.store import labels as stored
from phototag.core.store import photos as files
from phototag.core.store.database import Store, is_storable, printable
from phototag.core.store.history import HistoryEntry
from phototag.core.store.labels import LabelRow
from phototag.core.store.photos import ModelRow
from phototag.core.teaching import QUEUE_SHOWN, LabelHealth, QueueItem, help_queue, label_health

__all__ = [
    "Album",
    "ExampleChange",
    "Folder",
    "LabelInfo",
    "Library",
    "ModelInfo",
    "PhotoGroup",
    "Prediction",
    "ProjectionChange",
    "Status",
    "clean_label_name",
    "library_root",
]

NOTHING_SCANNED = "nothing is scanned yet: run 'phototag scan' first"
_VERBS = {1: "tag", -1: "reject", 0: "untag"}


def library_root(root: str | Path | None = None) -> Path:
    """The library folder chosen: root, else $PHOTOTAG_LIBRARY, else the per-user default."""
    chosen = root or os.environ.get(LIBRARY_VARIABLE) or default_library_dir()
    return Path(chosen).expanduser().absolute()


class Library:
    """A photo library on disk: its folders, photos, labels, examples and the model's view."""

    def __init__(self, root: str | Path):
        self.root = Path(root).expanduser().absolute()
        self.store = Store(self.root)
        self._encoders = Encoders(self.store)
        self._labels = LabelState(self.store, self._encode_text)
        self._browser = Browser(self.store, self._labels)
        self._journal = Journal(self.store, self.reload, self._projection_for_undo)
        self._finder = Finder(self.store, self._browser, self._encode_text)

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
        canonical = canonical_path(path)
        if not os.path.isdir(canonical):
            raise UserError(f"not a folder: {path}")
        is_new = files.folder_at(self.store, canonical) is None
        if is_new:
            files.insert_folder(self.store, canonical)
        folder = next(f for f in self.folders() if f.path == canonical)
        return folder, is_new

    def remove_folder(self, path: str | Path) -> None:
        """Stop tracking a folder. Its photos' examples stay: they are the user's decisions.
        An s3:// prefix (`batch import` adds one) is named as it was added."""
        candidates = {str(path), str(Path(path).expanduser().absolute()), canonical_path(path)}
        rows = [f for f in files.all_folders(self.store) if f["path"] in candidates]
        if not rows:
            raise UserError(f"not a library folder: {path}")
        files.delete_folder(self.store, rows[0]["id"])

    def folders(self) -> list[Folder]:
        return self._browser.folders()

    # ----- model and scanning --------------------------------------------------------------

    def model_info(self) -> ModelInfo | None:
        return self._browser.model_info()

    def _active_model(self) -> ModelRow | None:
        return files.active_model(self.store)

    def _encoder(
        self, name: str | None = None, weights: str | Path | None = None
    ) -> LibraryEncoder:
        """The encoder asked for, else the one the library uses: the process's one loaded copy
        of the model (core/model/shared.py), with this library's active projection."""
        return self._encoders.get(name, weights)

    def _encode_text(self, text: str) -> np.ndarray:
        return self._encoder().encode_texts([text])[0]

    def scan(
        self,
        model: str | None = None,
        weights: str | Path | None = None,
        progress: ingest.ProgressCallback | None = None,
        stage: StageCallback | None = None,
    ) -> ingest.ScanReport:
        """Embed every new or changed photo in the library's folders, then re-fit all labels.
        stage(what, step, steps) hears the model's one-time conversion, before any photo."""
        folders = files.all_folders(self.store)
        if not folders:
            raise UserError("no folders yet: add one with 'phototag folders add PATH'")
        encoder = self._encoder(model, weights)
        encoder.prepare(stage)
        model_id = self._encoders.register(encoder, weights)
        self._labels.invalidate()
        report = ingest.scan(self.store, encoder, model_id, [dict(f) for f in folders], progress)
        self._labels.refit()
        return report

    # ----- labels --------------------------------------------------------------------------

    def add_label(self, name: str, prompt: str | None = None) -> tuple[str, bool]:
        """Create a label; with a prompt ("a photo of {}") it starts from CLIP's text embedding
        and works before its first example, the prompt fading as examples arrive."""
        existing = find_label(self.store, name)
        if existing is not None:
            if prompt:
                self._set_prompt(existing, prompt.replace("{}", existing.name))
            return existing.name, False
        cleaned = clean_label_name(name)
        text = prompt.replace("{}", cleaned) if prompt else None
        if text and self._active_model() is not None:
            self._encoder()  # fails before the label exists if the model cannot be loaded
        with self._journal.record("add label", cleaned, labels=()):
            stored.insert_label(self.store.conn, cleaned, text)
            self._labels.add_label(require_label(self.store, cleaned))
        return cleaned, True

    def _set_prompt(self, label: LabelRow, text: str) -> None:
        """Give an existing label a (new) prompt: it is re-imprinted with it at once."""
        if label.prompt == text:
            return
        if self._active_model() is not None:
            self._encoder()  # fails before anything changes if the model cannot be loaded
        with self._journal.record(
            "prompt", f"{label.name}: {text}", self._labels.affected_by(label.id)
        ):
            stored.set_label_prompt(self.store.conn, label.id, text)
            self._labels.invalidate()
            self._labels.view()

    def remove_label(self, name: str) -> None:
        """Delete a label with its examples: only ever on the user's explicit request."""
        row = require_label(self.store, name)
        with self._journal.record("remove label", row.name, {row.id}):
            stored.delete_label(self.store, row.id)
            self._labels.forget_label(row.id)

    def rename_label(self, old: str, new: str) -> str:
        row = require_label(self.store, old)
        cleaned = clean_label_name(new)
        clash = find_label(self.store, cleaned)
        if clash is not None and clash.id != row.id:
            raise UserError(f"a label named {clash.name!r} already exists")
        # The albums too: the rename rewrites their queries, and undo must give them back.
        with self._journal.record("rename", f"{row.name} to {cleaned}", {row.id}, albums=True):
            stored.rename_label(self.store, row.id, cleaned)
            self._labels.rename_label(row.id, cleaned)
            self._finder.follow_rename(row.name, cleaned)
        return cleaned

    def set_threshold(self, name: str, threshold: float | None) -> None:
        """Override a label's automatic threshold (a cosine score), or go back to it (None)."""
        row = require_label(self.store, name)
        if threshold is not None and not -1.0 <= threshold <= 1.0:
            raise UserError("a threshold is a cosine similarity between -1 and 1")
        how = "automatic" if threshold is None else f"{threshold:.3f}"
        with self._journal.record("threshold", f"{row.name}: {how}", {row.id}):
            stored.set_label_threshold(self.store, row.id, threshold)
            self._labels.set_user_threshold(row.id, threshold)

    def labels(self) -> list[LabelInfo]:
        return self._browser.label_infos()

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
        sidecars = self.sidecars_on_confirm
        found = find_label(self.store, label)
        scope = self._labels.affected_by(None if found is None else found.id)
        photos = self._photos_if(sidecars, paths)
        with self._journal.record(_VERBS[polarity], label, scope, photos=photos) as entry:
            change = self._set_examples(label, paths, polarity)
            entry.summary = f"{change.label}: {change.changed} photo(s)"
            entry.skip = change.changed == 0
            if not sidecars:
                return change
            failed = self.write_sidecars(paths).failed
        return replace(change, sidecars_failed=failed)

    def _photos_if(self, wanted: bool, paths: list[str | Path]) -> Callable[[], list[str]] | None:
        """The photos at paths, looked up inside the journal's transaction, when wanted."""
        if not wanted:
            return None
        return lambda: [path for path, _ in selection.photo_files(self.store, paths)[0]]

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
        return [f.image_id for f in files.files_at(self.store, given)]

    def _set_examples(
        self, label: str, paths: Iterable[str | Path], polarity: int
    ) -> ExampleChange:
        view = self._require_state()
        images, not_found = self._resolve_photos(paths)
        row = find_label(self.store, label)
        if row is None and polarity != 1:
            require_label(self.store, label)  # a rejection or untag never creates a label
        if row is None and not images:
            return ExampleChange(clean_label_name(label), 0, 0, not_found)
        created = row is None
        near = near_match(self.store, label) if created else None
        if row is None:
            row = require_label(self.store, self.add_label(label)[0])
        head = self._labels.head_for(view, row)
        changes = {i: polarity for i in images if head.examples.get(i, 0) != polarity}
        rescored = tuple(h.name for h in self._labels.apply_examples(head, changes))
        unchanged = len(images) - len(changes)
        return ExampleChange(
            row.name,
            len(changes),
            unchanged,
            not_found,
            created=created,
            near_match=near,
            rescored=rescored,
        )

    # ----- the model's view ----------------------------------------------------------------

    def _state(self, refit: bool = False) -> ModelView | None:
        """The label state, loaded when first needed (None while nothing is scanned); with
        `refit`, every label is re-imprinted and recalibrated first."""
        if refit:
            self._labels.refit()
        return self._labels.view()

    def _require_state(self) -> ModelView:
        view = self._state()
        if view is None:
            raise UserError(NOTHING_SCANNED)
        return view

    def _require_model(self) -> ModelRow:
        model = self._active_model()
        if model is None:
            raise UserError(NOTHING_SCANNED)
        return model

    def _refit_all(self) -> None:
        """Re-fit every label inside one write transaction: a label that another Library (the
        GUI, while the watcher works) changes meanwhile waits, rather than being overwritten
        with weights from before its change."""
        with self._labels.rollback_on_failure():
            self._labels.refit()

    # ----- heads: the method each label uses ------------------------------------------------

    def methods(self) -> dict[str, str]:
        """The methods a label can use, name -> summary, the default (MWI) first."""
        return available_methods()

    def method(self) -> str:
        """The library's method: every label without its own choice uses it."""
        return effective_method(None, LIBRARY_METHOD.read(self.store))

    def set_method(self, name: str) -> None:
        """Choose the library's method; its labels are refitted and recalibrated at once."""
        checked = check_method(name)
        with self._journal.record("method", f"library: {checked}", None, (LIBRARY_METHOD.key,)):
            LIBRARY_METHOD.write(self.store, checked)
            self._refit_all()

    def set_label_method(self, label: str, name: str | None) -> str:
        """Give one label its own method, or (None) let it follow the library's again.
        Returns the method the label now uses."""
        row = require_label(self.store, label)
        chosen = None if name is None else check_method(name)
        scope = self._labels.affected_by(row.id)
        with self._journal.record("method", row.name, scope) as entry:
            method = self._labels.set_method(row, chosen)
            entry.summary = f"{row.name}: {method}"
        return method

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
        model = self._require_model()
        with self._journal.record("refine", "ProLIP", None, model_id=model["id"]) as entry:
            refined, note, photos, labels = prolip.refine(self._labels, model, progress, steps)
            change = self._switch_projection(model, (None, refined, note), progress)
            entry.summary = f"ProLIP: projection version {change.version}"
        return prolip.with_counts(change, photos, labels)

    def revert_refinement(
        self, to: int | None = None, progress: Callable[[str, int, int], None] | None = None
    ) -> ProjectionChange:
        """Go back to the projection the active one was refined from, or to version `to`
        (0 = pretrained), recomputing every embedding and refitting every label."""
        model = self._require_model()
        version, projection = prolip.revert_target(self._labels, model, to)
        summary = f"ProLIP: back to projection version {version}"
        with self._journal.record("refine", summary, None, model_id=model["id"]):
            return self._switch_projection(model, (version, projection, None), progress)

    def _projection_for_undo(self, version: int) -> None:
        """Make a kept projection version active again (undo or redo of a refinement); the
        label rows are then restored from the journal."""
        model = self._require_model()
        if model["projection_version"] != version:
            projection = projections.stored_projection(self.store, model, version)
            self._switch_projection(model, (version, projection, None), None)

    def _switch_projection(
        self,
        model: ModelRow,
        target: tuple[int | None, np.ndarray, str | None],
        progress: Callable[[str, int, int], None] | None,
    ) -> ProjectionChange:
        change = prolip.switch_projection(self._labels, model, target, progress)
        self._browser.forget()
        return change

    # ----- reading results -----------------------------------------------------------------

    def predictions(
        self,
        label: str | None = None,
        min_score: float | None = None,
        all_scores: bool = False,
        album: str | None = None,
    ) -> Iterator[Prediction]:
        """Every present photo with the labels it carries; with `label`, only its photos. With
        `min_score` every label scoring at least that (0..1; confirmed always, rejected
        never), with `all_scores` every label's score; with `album`, only the album's photos."""
        if all_scores and min_score is not None:
            raise UserError("choose --all-scores or --min-score, not both")
        if min_score is not None and not 0.0 <= min_score <= 1.0:
            raise UserError("--min-score is a score between 0 and 1")
        floor = -math.inf if all_scores else min_score
        only = None if album is None else {p.path for p in self.album_photos(album)}
        return self._browser.predictions(label, floor, only)

    def status(self) -> Status:
        return self._browser.status(str(self.root))

    # ----- browsing (for the GUI) ----------------------------------------------------------

    @property
    def thumbnail_dir(self) -> Path:
        """Thumbnails are derived data: they live in the library's cache, keyed by content."""
        return self.root / "cache" / "thumbnails"

    def reload(self) -> None:
        """Pick up other processes' changes: forget the in-memory state so the next read sees
        what another thread or process wrote (the GUI calls this after a scan ran in its
        worker). Writes need no reload: each catches up with the database itself."""
        self._labels.invalidate()
        self._browser.forget()

    def take_in_new_photos(self) -> int:
        """Photos another Library (the GUI's scan worker) embedded since this one loaded them
        join its labels' scores now, without a refit (core/labels/growing.py); returns how many.
        Cheap while nothing was added; a model switched meanwhile means a reload instead."""
        view = self._labels.loaded
        if view is None:
            return 0
        active = self._active_model()
        if active is None or active["id"] != view.model["id"]:
            self.reload()
            return 0
        added = take_in_new_photos(self.store, view)
        if added:
            self._browser.forget()
        return added

    def coverage(self, listed: int = 0) -> Coverage:
        """How many of the library's photos the labels score now, of how many are known:
        `listed` is the files a running scan has found (its progress total), 0 when none runs."""
        return coverage(self._browser.file_index(), listed)

    def photos(
        self, all_of: Iterable[str] = (), any_of: Iterable[str] = (), folder: str | None = None
    ) -> Sequence[PhotoRef]:
        """Present photos in path order: below `folder`, carrying every label in `all_of` and
        at least one in `any_of` (confirmed or suggested)."""
        return self._browser.photos(all_of, any_of, folder)

    def photo(self, path: str | Path) -> PhotoDetails:
        """One present photo's file facts and every label it carries or was refused."""
        return self._browser.photo(str(path))

    def review(self, label: str, near_misses: int = NEAR_MISSES_SHOWN) -> LabelReview:
        """A label's confirmed, suggested (best first), near-miss and rejected photos."""
        return self._browser.review(label, near_misses)

    def search(
        self,
        query: str | np.ndarray,
        all_of: Iterable[str] = (),
        any_of: Iterable[str] = (),
        folder: str | None = None,
        limit: int = SEARCH_LIMIT,
    ) -> Sequence[PhotoRef]:
        """Photos nearest in meaning to a text, best first; `score` is the cosine similarity.

        `query` may be an embedding from embed_text(), so the model can run in another thread.
        """
        return self._browser.search(query, self.embed_text, (all_of, any_of, folder), limit)

    # ----- finding: more like this, smart albums, groups (core/finding/) --------------------

    def similar(
        self,
        paths: Iterable[str | Path],
        not_paths: Iterable[str | Path] = (),
        where: str | None = None,
        all_of: Iterable[str] = (),
        any_of: Iterable[str] = (),
        folder: str | None = None,
        limit: int = SEARCH_LIMIT,
    ) -> Sequence[PhotoRef]:
        """More like these photos (and unlike `not_paths`), best first, the given photos left
        out; `score` is the cosine similarity. `where` is a query the results also match."""
        liked, disliked = [str(p) for p in paths], [str(p) for p in not_paths]
        filters = (all_of, any_of, folder)
        return self._finder.similar(liked, disliked, where, filters, limit)

    def find(self, query: str) -> Sequence[PhotoRef]:
        """The photos a query selects (core/finding/query.py has the language); a malformed
        query raises a UserError naming the column."""
        return self._finder.find(query)

    def query_texts(self, queries: Iterable[str] | None = None) -> list[str]:
        """Texts these queries (None: every album's) search by meaning that are not embedded
        yet: the GUI embeds them on its model thread and hands them to remember_text."""
        return self._finder.texts_to_embed(
            self._finder.saved_queries() if queries is None else queries
        )

    def remember_text(self, text: str, vector: np.ndarray) -> None:
        self._finder.remember_text(text, vector)

    def albums(self, embed: bool = True) -> list[Album]:
        """Saved smart albums with their live counts (see Finder.albums for `embed`)."""
        return self._finder.albums(embed)

    def save_album(self, name: str, query: str) -> str:
        """Save a query by name (replacing an album's query); returns the stored name."""
        return self._finder.save_album(name, query)

    def remove_album(self, name: str) -> None:
        self._finder.remove_album(name)

    def album_query(self, name: str) -> str:
        return self._finder.album_query(name)

    def album_photos(self, name: str, embed: bool = True) -> Sequence[PhotoRef]:
        return self._finder.find(self._finder.album_query(name), embed)

    def discover(self, limit: int = GROUPS_SHOWN) -> list[PhotoGroup]:
        """The largest groups of look-alike photos that carry no label, largest first: each
        is a label waiting for a name (HDBSCAN, core/finding/discover.py). Seconds on a big
        library: keep it off a GUI thread."""
        return self._finder.discover(limit)

    def embed_text(self, text: str) -> np.ndarray:
        """CLIP's embedding of a text. Loads the model on first use: keep it off a GUI thread."""
        if not text.strip():
            raise UserError("type what to search for")
        return self._encode_text(text.strip())

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
        model_id = self._encoders.register(encoder, None)
        folders = [dict(f) for f in files.all_folders(self.store)]
        report = ingest.update(self.store, encoder, model_id, folders, targets, progress)
        if report.embedded:
            self._refit_all()
        return report

    def watched_folders(self) -> dict[str, bool]:
        """Every folder to keep current, each with whether it is polled rather than watched
        through the system's change events."""
        return files.watched_folders(self.store)

    def set_polling(self, path: str | Path, poll: bool) -> None:
        """Watch a folder by polling: network shares deliver no change events."""
        if not files.set_polling(self.store, canonical_path(path), poll):
            raise UserError(f"not a library folder: {path}")

    def check_database(self) -> None:
        """Raise EnvironmentProblem when the library's database was deleted or replaced since it
        was opened (the watcher asks between batches)."""
        self.store.refuse_if_replaced()

    def folder_problem(self, path: str) -> str | None:
        """Why a library folder cannot be read now (None when it can), e.g. an unplugged drive:
        such a folder is paused, never emptied."""
        folder = files.folder_at(self.store, path)
        if folder is None:
            return "not a library folder"
        return ingest.folder_problem(self.store, dict(folder))

    def purge(self, dry_run: bool = False) -> ingest.PurgeReport:
        """Forget missing files and the photos no file shows any more, with the examples given
        for them; until then a photo that comes back keeps every tag. Files in a folder that
        cannot be read now are kept (see ingest.purge for the rule). A dry run only tells."""
        with self.store.transaction():
            folders = [dict(f) for f in files.all_folders(self.store)]
            report = ingest.purge(self.store, folders, dry_run)
            if report.photos and not dry_run:
                self._refit_all()
        return report

    # ----- tags in other apps (XMP keywords) -----------------------------------------------

    def write_sidecars(
        self, paths: Iterable[str | Path] | None = None, predicted: bool = False
    ) -> keywords.WriteReport:
        """Merge labels into XMP sidecars beside the photos (all, or those at `paths`):
        confirmed labels, and with `predicted` those the model gives above the threshold."""
        chosen = selection.labels_to_write(self._browser, paths, predicted)
        return keywords.write_sidecars(self.store, chosen, self._model_key())

    def embed_keywords(
        self, paths: Iterable[str | Path] | None = None, predicted: bool = False
    ) -> keywords.WriteReport:
        """Like write_sidecars, but into the photo files themselves (XMP and IPTC keywords),
        which changes the originals: only on the user's explicit request."""
        chosen = selection.labels_to_write(self._browser, paths, predicted)
        return keywords.embed(self.store, chosen)

    def import_keywords(
        self, source: str = keywords.FROM_SIDECARS, paths: Iterable[str | Path] | None = None
    ) -> keywords.ImportReport:
        """Learn from keywords other apps wrote (sidecars, or embedded in the photos): each
        becomes a label and its photos positive examples; user rejections stay."""
        with self._journal.record("import keywords", source, None) as entry:
            report = selection.import_keywords(self.store, source, paths, clean_label_name)
            entry.skip = not (report.examples_added or report.labels_created)
            if not entry.skip:
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

    @property
    def raw_sidecar_name(self) -> str:
        """How a RAW file's new sidecar is named: RAW_SIDECAR_STYLES (options.py says which
        tools read which)."""
        return RAW_SIDECAR_NAME.read(self.store) or RAW_SIDECAR_KEEP_EXTENSION

    @raw_sidecar_name.setter
    def raw_sidecar_name(self, style: str) -> None:
        if style not in RAW_SIDECAR_STYLES:
            raise UserError(
                f"RAW sidecar names are {' or '.join(RAW_SIDECAR_STYLES)}, not {style!r}"
            )
        RAW_SIDECAR_NAME.write(self.store, style)

    def _model_key(self) -> str | None:
        model = self._active_model()
        return None if model is None else model["key"]

    # ----- batch jobs on a cluster (core/batch/) --------------------------------------------

    def prepare_batch(self, out: str | Path) -> Path:
        """Write a batch job for the active model: its ONNX tower, projection, labels and
        manifest."""
        model = self._require_model()
        encoder = self._encoder()
        known = batch_sql.known_files(self.store, model["id"])
        labels = self.batch_labels()
        return batch_job.prepare(Path(out), encoder, dict(model), known, labels).root

    def batch_labels(self) -> batch_labelset.LabelSet:
        """Every label as `batch label` applies it to embeddings outside the library."""
        view = self._require_state()
        return batch_labelset.from_view(view, batch_sql.content_examples(self.store))

    def import_batch(self, out: str | Path) -> batch_importing.ImportReport:
        """Record a batch job's rows as a scan records them, then re-fit every label."""
        self._labels.invalidate()
        report = batch_importing.import_batch(self.store, Path(out))
        self._labels.refit()
        return report

    def export_embeddings(self, out: str | Path) -> int:
        """Write every present file's embedding to a Parquet file; returns the row count."""
        model = self._require_model()
        rows = batch_sql.embedded_files(self.store, model["id"])
        return parquet.write_embeddings(Path(out), model["key"], rows)

    # ----- classifier packs (core/interop/packs.py) -----------------------------------------

    def export_pack(self, label: str, out: str | Path) -> packs.Pack:
        """Write one label's classifier to a small JSON file: no photo, no embedding of one."""
        row = require_label(self.store, label)
        view = self._require_state()
        head = view.heads[self._browser.column(view, row.name)]
        inherited = stored.imported_pack(self.store, row.id, view.model["key"])
        pack = packs.label_pack(row, head, view.model, inherited)
        packs.write(pack, Path(out))
        return pack

    def import_pack(self, path: str | Path, name: str | None = None) -> tuple[str, str | None]:
        """Add a label from a classifier pack made with this library's model; returns its name
        and a warning, if any. An existing label is never replaced."""
        with self._journal.record("import pack", str(path), labels=()) as entry:
            label, warning = packs.import_pack(self.store, Path(path).expanduser(), name)
            self._labels.add_label(label)
            entry.summary = label.name
        return label.name, warning

    # ----- teaching: what to ask next, how far to trust a label (core/teaching.py) ----------

    def help_queue(self, label: str, count: int = QUEUE_SHOWN) -> list[QueueItem]:
        """The undecided photos whose decision would teach the label most, spread over the
        library, in the order to ask (core/labels/queue.py gives the rule)."""
        return help_queue(self._browser, label, count)

    def label_health(self) -> list[LabelHealth]:
        """Per label: examples, rejections, unreviewed suggestions, a precision estimate from
        the suggestions the user decided, and plain warnings when it is weak."""
        return label_health(self._browser)

    # ----- undo and history (core/history.py) -----------------------------------------------

    def history(self) -> list[HistoryEntry]:
        """The recorded decisions, newest first; `undone` marks those redo would repeat."""
        return self._journal.entries()

    def undo(self, steps: int = 1) -> Reversal:
        """Put the library back as it was before the last `steps` recorded decisions."""
        return self._journal.undo(steps)

    def redo(self, steps: int = 1) -> Reversal:
        """Repeat the last `steps` undone decisions, giving exactly the state they made."""
        return self._journal.redo(steps)
