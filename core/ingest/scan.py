"""Folders → files → content hashes → decoded pixels → embeddings in SQLite.

One pipeline for a scan (every library folder) and for the watcher (just the paths that changed):
a stat pass decides what changed (size, mtime); only changed or new files are hashed; content seen
before is linked, so a moved or copied file keeps its identity and tags; only content never
embedded with this model is decoded (in worker processes, decode_pool.py) and run through the
encoder, in batches, and each batch is committed on its own, so an interrupted pass resumes
where it stopped (a progress callback may raise to stop a pass: what was committed stays, a
transaction in progress is rolled back). What needs embedding is embedded in a spread over every
folder, not folder after folder (order.py), so labels taught during a first scan see the whole
library early; RAW pairs and files gone from disk are settled once everything is embedded.
Every unreadable file is recorded with its reason and the pass goes on. A folder that cannot be
read at all (an unplugged drive) is left exactly as it was and reported as unavailable; so is a
file that was listed and then vanished before it was read, since a drive pulled or a share
unmounted mid-scan looks exactly so, file after file.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from phototag.core.atomic import file_kind
from phototag.core.batch.sources import is_object_url
from phototag.core.ingest.decode import REASON_VANISHED, is_image_path
from phototag.core.ingest.decode_pool import Pixels, decode_in_order
from phototag.core.ingest.hashing import content_hash
from phototag.core.ingest.order import spread_order
from phototag.core.ingest.pairs import Shots, is_companion_path, is_raw_path
from phototag.core.store import ingest as ingest_sql
from phototag.core.store.database import Store, is_storable, printable
from phototag.core.store.ingest import FileRow

# Photos per forward pass and per committed transaction: ONNX Runtime is fastest at 8 here
# (perf-anchors.md), and a crash loses at most one batch of work.
BATCH_SIZE = 8
OBJECT_STORE_FOLDER = "an object-store prefix: phototag batch embed and batch import update it"
# Photos handed to the decode workers ahead of the model: enough to keep them busy through a
# forward pass, few enough that memory stays flat (a crop is 150 KB).
IN_FLIGHT = 3 * BATCH_SIZE

NAME_NOT_UTF8 = "file name is not valid UTF-8; rename the file to include it"

ProgressCallback = Callable[[int, int], None]


@dataclass
class ScanReport:
    """What one scan did, for the command line summary and the GUI's status bar."""

    files: int = 0
    embedded: int = 0
    linked: int = 0
    unchanged: int = 0
    missing: int = 0
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    # Of the linked files, those whose content left another path (the rest are copies).
    moved: int = 0
    # (folder, reason): folders that could not be read and were left untouched.
    unavailable: list[tuple[str, str]] = field(default_factory=list)
    # RAW files that joined the JPEG of their shot (core/ingest/pairs.py), not read at all.
    paired: int = 0
    # Files listed, then gone when read (an unmount mid-scan, or deleted meanwhile): left exactly
    # as they were, for the next scan to settle.
    vanished: int = 0


@dataclass(frozen=True)
class PurgeReport:
    """What a purge removed (for a dry run: would remove)."""

    files: list[str]
    photos: int
    examples: int


@dataclass(frozen=True)
class _Candidate:
    path: str
    folder_id: int
    size: int
    mtime_ns: int
    content_hash: str = ""


def _path_of(candidate: _Candidate) -> str:
    return candidate.path


# How the changed files of a scan are put in order before they are embedded (order.py).
Ordering = Callable[[Sequence[_Candidate], Callable[[_Candidate], str]], list[_Candidate]]


@dataclass
class _FolderPass:
    """One library folder's part of a pass, between its stat and its finish."""

    folder: dict
    known: dict[str, FileRow]
    seen: set[str] = field(default_factory=set)
    changed: list[_Candidate] = field(default_factory=list)
    paired: list[_Candidate] = field(default_factory=list)


@dataclass(frozen=True)
class _Forward:
    """A batch of decoded photos and the model's pass over it, running or done."""

    batch: list[tuple[_Candidate, Pixels]]
    result: Future


def unreadable_reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "file vanished during scan"
    if isinstance(exc, PermissionError):
        return "permission denied"
    return exc.strerror or str(exc)


def discover(root: Path, skip: set[str]) -> Iterator[Path | tuple[Path, str]]:
    """Image files below root (hidden folders and nested library folders left out).

    Unreadable folders are yielded as (path, reason) so they are reported, not skipped silently.
    Symbolic links to folders are not followed, which also keeps link loops harmless.
    """
    errors: list[OSError] = []
    for directory, subdirs, files in os.walk(root, onerror=errors.append):
        while errors:
            failure = errors.pop()
            yield _folder_failure(failure)
        subdirs[:] = sorted(
            d for d in subdirs if not _is_hidden(d) and os.path.join(directory, d) not in skip
        )
        for name in sorted(files):
            path = Path(directory, name)
            if is_image_path(path):
                yield _found(path)
    while errors:
        yield _folder_failure(errors.pop())


def in_scope(path: str, root: str, skip: set[str], is_dir: bool = False) -> bool:
    """Whether discover(root, skip) would look at this one path: nothing hidden on the way down
    from root and no skipped folder, and a file only with an image extension, which leaves out
    partial downloads and temporary files (.part, .crdownload, .tmp, a trailing ~) and sidecars.
    """
    if not is_within(path, root) or any(is_within(path, other) for other in skip):
        return False
    if any(_is_hidden(part) for part in Path(os.path.relpath(path, root)).parts):
        return False
    return is_dir or is_image_path(Path(path))


def skipped_inside(root: str, dirs: set[str]) -> set[str]:
    """Of the other library folders and the library's own folder (thumbnails, caches), those
    inside root: their files belong to them, not to root."""
    return {d for d in dirs if d != root and is_within(d, root)}


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


def is_within(path: str, folder: str) -> bool:
    """Whether path is folder or below it (by name: nothing is looked up on disk)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _found(path: Path) -> Path | tuple[Path, str]:
    """SQLite keeps only UTF-8 text, so a file whose name is not becomes a reported problem."""
    if is_storable(str(path)):
        return path
    return Path(printable(str(path))), NAME_NOT_UTF8


def _find(target: str, skip: set[str]) -> Iterator[Path | tuple[Path, str]]:
    """What one path holds now: every photo below a folder, the photo itself, or nothing (gone,
    or not a photo). A path that cannot even be looked at is reported, never taken for gone."""
    try:
        info = os.stat(target)
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as exc:
        if is_image_path(Path(target)):
            yield Path(printable(target)), unreadable_reason(exc)
        return
    if stat.S_ISDIR(info.st_mode):
        yield from discover(Path(target), skip)
    elif is_image_path(Path(target)):
        yield _found(Path(target))


def folder_problem(store: Store, folder: dict) -> str | None:
    """Why a library folder cannot be read now (None when it can).

    An unplugged drive or an unmounted share must leave the folder's photos as they are, never
    make them all 'missing'. An empty mount point looks like a folder whose photos were all
    deleted, so a folder with nothing at all in it counts as unavailable while the library
    still has photos there. An s3:// prefix (`batch import` adds one) is not a folder a scan
    or the watcher can read: its photos are left as they are.
    """
    if is_object_url(folder["path"]):
        return OBJECT_STORE_FOLDER
    try:
        with os.scandir(folder["path"]) as entries:
            empty = next(entries, None) is None
    except FileNotFoundError:
        return "not found (an unplugged drive or an unmounted share?)"
    except NotADirectoryError:
        return "not a folder"
    except OSError as exc:
        return unreadable_reason(exc)
    if empty and ingest_sql.folder_has_present_files(store, folder["id"]):
        return "empty, though it had photos (an unmounted drive?)"
    return None


def _owner(path: str, folders: list[dict]) -> dict | None:
    """The innermost library folder holding path: a nested library folder is scanned as its own."""
    holding = [f for f in folders if is_within(path, f["path"])]
    return max(holding, key=lambda f: len(f["path"]), default=None)


def _folder_failure(failure: OSError) -> tuple[Path, str]:
    return Path(printable(failure.filename)), f"folder not readable: {unreadable_reason(failure)}"


@dataclass(frozen=True)
class EmbeddedPhoto:
    """The facts the library keeps about one embedded content, whoever decoded it."""

    content_hash: str
    width: int
    height: int
    taken_at: str | None


def record_photo(
    store: Store, model_id: int, photo: EmbeddedPhoto, feature: np.ndarray, embedding: np.ndarray
) -> int:
    """Keep one embedded content (inside the caller's transaction); returns its image id. The
    scan and `phototag batch import` both record through here, so they store the same rows."""
    image_id = ingest_sql.upsert_image(
        store, photo.content_hash, photo.width, photo.height, photo.taken_at
    )
    ingest_sql.save_embedding(store, image_id, model_id, embedding, feature)
    return image_id


def record_file(
    store: Store, path: str, folder_id: int, image_id: int, size: int, mtime_ns: int
) -> None:
    """The file at path shows this photo now (inside the caller's transaction)."""
    _carry_examples(store, path, image_id)
    ingest_sql.record_present_file(store, path, folder_id, image_id, size, mtime_ns)


def _carry_examples(store: Store, path: str, image_id: int) -> None:
    """An edited photo is new content at the same path: the labels the user gave it move to
    the new content, unless another file still shows the old one (then they stay there).
    A path marked missing counts too: a photo edited while its folder was away (or saved by
    deleting the old file first) comes back as new content where the old one was."""
    previous = ingest_sql.last_image_at(store, path)
    if previous is None or previous == image_id:
        return
    if ingest_sql.is_shown_elsewhere(store, previous, path):
        return
    ingest_sql.move_examples(store, previous, image_id)


class Ingest:
    """One scan of some folders with one encoder."""

    def __init__(
        self,
        store: Store,
        encoder,
        model_id: int,
        progress: ProgressCallback | None,
        order: Ordering = spread_order,
    ):
        self.store = store
        self.order = order
        self.encoder = encoder
        self.model_id = model_id
        self.progress = progress or (lambda done, total: None)
        self.report = ScanReport()
        self._done = 0
        self._total = 0
        self._newly_missing: set[int] = set()
        self._linked_images: list[int] = []
        self._embedded_images = ingest_sql.embedded_image_ids(store, model_id)
        self._roots: list[str] = []
        self._moves_checked: set[int] = set()
        self._shots = Shots()
        self._folders: dict[int, dict] = {}
        self._unplugged: set[int] = set()

    def run(self, folders: list[dict], targets: list[str]) -> ScanReport:
        """Update every target (a file or folder, present or gone) inside a library folder."""
        inner_dirs = {f["path"] for f in folders} | {os.path.realpath(self.store.root)}
        self._roots = [os.path.realpath(f["path"]) for f in folders]
        self._folders = {f["id"]: f for f in folders}
        plan: list[tuple[dict, list[str], list]] = []
        for folder, paths in self._by_folder(folders, targets):
            problem = folder_problem(self.store, folder)
            if problem is not None:
                self.report.unavailable.append((folder["path"], problem))
                continue
            skip = skipped_inside(folder["path"], inner_dirs)
            paths = [p for p in paths if in_scope(p, folder["path"], skip, is_dir=True)]
            # Each photo once, in the order found, though two targets may both hold it.
            found_once = dict.fromkeys(item for path in paths for item in _find(path, skip))
            plan.append((folder, paths, list(found_once)))
        self._total = sum(len(found) for _, _, found in plan)
        self.report.files = self._total
        self.progress(0, self._total)
        passes = [self._stat_folder(folder, paths, found) for folder, paths, found in plan]
        self._embed_changed(self.order([c for p in passes for c in p.changed], _path_of))
        for folder_pass in passes:
            self._finish_folder(folder_pass)
        self._settle_moves()
        return self.report

    @staticmethod
    def _by_folder(folders: list[dict], targets: list[str]) -> list[tuple[dict, list[str]]]:
        """Targets grouped by the folder holding them; a target outside every folder is dropped."""
        grouped: dict[int, tuple[dict, list[str]]] = {}
        for target in dict.fromkeys(targets):
            folder = _owner(target, folders)
            if folder is not None:
                grouped.setdefault(folder["id"], (folder, []))[1].append(target)
        return list(grouped.values())

    def _rows_under(self, folder: dict, target: str) -> list[FileRow]:
        """The folder's file rows at target or below it."""
        under = ingest_sql.files_at_or_below(self.store, printable(target))
        return [row for row in under if row.folder_id == folder["id"]]

    def _tick(self, count: int = 1) -> None:
        self._done += count
        self.progress(self._done, self._total)

    def _stat_folder(self, folder: dict, paths: list[str], found: list) -> _FolderPass:
        """Stat what was found: the unchanged are done, the changed wait to be embedded with
        every other folder's (in self.order), a RAW of a RAW+JPEG pair until its JPEG is in."""
        known = {row.path: row for path in paths for row in self._rows_under(folder, path)}
        folder_pass = _FolderPass(folder, known)
        for item in found:
            if isinstance(item, tuple):
                path, reason = item
                folder_pass.seen.add(str(path))
                self._record_unreadable(str(path), folder["id"], reason)
                continue
            folder_pass.seen.add(str(item))
            candidate = self._stat(item, folder["id"])
            if candidate is None:
                continue
            if self._is_paired_raw(candidate.path):
                folder_pass.paired.append(candidate)
            elif self._is_unchanged(candidate, known.get(candidate.path)):
                self.report.unchanged += 1
                self._tick()
            else:
                folder_pass.changed.append(candidate)
        return folder_pass

    def _finish_folder(self, folder_pass: _FolderPass) -> None:
        """Once everything changed is embedded: RAWs join their JPEGs, and files no longer on
        disk are forgotten (unless the folder went away meanwhile)."""
        folder, seen = folder_pass.folder, folder_pass.seen
        left_behind = self._raws_left_behind(folder_pass.changed, seen, folder["id"])
        paired = folder_pass.paired + left_behind
        self._join_pairs(folder, paired, folder_pass.known)
        if not self._is_unplugged(folder["id"]):
            self._forget_vanished(folder_pass.known, seen)

    def _is_paired_raw(self, path: str) -> bool:
        return is_raw_path(path) and self._shots.companion(path) is not None

    def _raws_left_behind(
        self, changed: list[_Candidate], seen: set[str], folder_id: int
    ) -> list[_Candidate]:
        """The RAW halves of JPEGs new in this pass that the pass did not hold (the watcher saw
        the RAW arrive first, alone): they join their JPEG now, not at the next scan."""
        left: list[_Candidate] = []
        for jpeg in changed:
            if not is_companion_path(jpeg.path):
                continue
            for raw in self._shots.raws(jpeg.path):
                if raw in seen:
                    continue
                seen.add(raw)
                self._total += 1
                self.report.files += 1
                candidate = self._stat(Path(raw), folder_id)
                if candidate is not None:
                    left.append(candidate)
        return left

    def _join_pairs(self, folder: dict, paired: list[_Candidate], known: dict) -> None:
        """Each RAW shows its JPEG's photo, without being read; a RAW whose JPEG could not be
        read is a photo of its own, decoded from the RAW."""
        alone: list[_Candidate] = []
        for candidate in paired:
            companion = self._shots.companion(candidate.path) or ""
            image_id = ingest_sql.present_image_at(self.store, companion)
            row = known.get(candidate.path) or self._row_at(folder, candidate.path)
            if image_id is None or image_id not in self._embedded_images:
                if self._is_unchanged(candidate, row):
                    self.report.unchanged += 1
                    self._tick()
                else:
                    alone.append(candidate)
            elif (
                self._is_unchanged(candidate, row) and row is not None and row.image_id == image_id
            ):
                self.report.unchanged += 1
                self._tick()
            else:
                with self.store.transaction():
                    self._record_file(candidate, image_id)
                self.report.paired += 1
                self._tick()
        self._embed_changed(alone)

    def _row_at(self, folder: dict, path: str) -> FileRow | None:
        return next((row for row in self._rows_under(folder, path) if row.path == path), None)

    def _stat(self, path: Path, folder_id: int) -> _Candidate | None:
        if folder_id in self._unplugged:
            self._vanished(folder_id)
            return None
        try:
            info = path.stat()
        except FileNotFoundError:
            self._vanished(folder_id)
            return None
        except OSError as exc:
            self._record_unreadable(str(path), folder_id, unreadable_reason(exc))
            return None
        refusal = self._refusal(path, info.st_mode)
        if refusal is not None:
            self._record_unreadable(str(path), folder_id, refusal)
            return None
        if info.st_size == 0:
            self._record_unreadable(str(path), folder_id, "empty file (0 bytes)")
            return None
        return _Candidate(str(path), folder_id, info.st_size, info.st_mtime_ns)

    def _refusal(self, path: Path, mode: int) -> str | None:
        """Why a name is not read as a photo although it looks like one. Only regular files
        inside the library's folders are read: a link is followed when its target is in one of
        them (the same photo under another name), never out of them, so `passwd.jpg` linked to
        /etc/passwd is listed, not read; FIFOs and devices would block or never end."""
        if not stat.S_ISREG(mode):
            return f"not a regular file ({file_kind(mode)})"
        if path.is_symlink():
            target = os.path.realpath(path)
            if not any(is_within(target, root) for root in self._roots):
                return "a symbolic link to a file outside the library's folders"
        return None

    def _is_unchanged(self, candidate: _Candidate, row: FileRow | None) -> bool:
        return (
            row is not None
            and row.status == "ok"
            and row.size == candidate.size
            and row.mtime_ns == candidate.mtime_ns
            and row.image_id in self._embedded_images
        )

    def _embed_changed(self, changed: list[_Candidate]) -> None:
        """Decode the content never embedded in worker processes while this thread hashes and
        links what follows; embed in batches, each committed on its own.

        The model runs one batch on its own thread while this one keeps the decode workers fed
        for the next: fed only between batches, each worker finished one photo per forward pass
        and then sat idle (measured: a fifth of a scan's time spent waiting for them)."""
        decoded = decode_in_order(
            self._new_content(changed), _path_of, self.encoder.pixel_recipe, IN_FLIGHT
        )
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="phototag-model") as model:
            running: _Forward | None = None
            batch: list[tuple[_Candidate, Pixels]] = []
            for candidate, result in decoded:
                if result == REASON_VANISHED:
                    self._vanished(candidate.folder_id)
                    continue
                if isinstance(result, str):
                    self._record_unreadable(candidate.path, candidate.folder_id, result)
                    continue
                batch.append((candidate, result))
                if len(batch) == BATCH_SIZE:
                    running = self._forward_next(model, running, batch)
                    batch = []
            if batch:
                running = self._forward_next(model, running, batch)
            if running is not None:
                self._record_batch(running)

    def _forward_next(
        self, model: ThreadPoolExecutor, running: _Forward | None, batch: list
    ) -> _Forward:
        """Record the batch the model is on (waiting for it), then start it on `batch`."""
        if running is not None:
            self._record_batch(running)
        crops = np.stack([pixels.crop for _, pixels in batch])
        return _Forward(batch, model.submit(self.encoder.encode_crops, crops))

    def _new_content(self, changed: list[_Candidate]) -> Iterator[_Candidate]:
        """Hash each changed file; link content seen before; yield the rest, to be embedded.
        Drawn lazily, a few photos ahead of the decoders, so each file is read twice in a row
        (hash, then decode) and the second read comes from the disk cache."""
        for candidate in changed:
            if candidate.folder_id in self._unplugged:
                self._vanished(candidate.folder_id)
                continue
            try:
                digest = content_hash(Path(candidate.path))
            except FileNotFoundError:
                self._vanished(candidate.folder_id)
                continue
            except OSError as exc:
                self._record_unreadable(candidate.path, candidate.folder_id, unreadable_reason(exc))
                continue
            hashed = _Candidate(**{**candidate.__dict__, "content_hash": digest})
            image_id = ingest_sql.image_id_for_content(self.store, digest)
            if image_id is not None and image_id in self._embedded_images:
                with self.store.transaction():
                    self._record_file(hashed, image_id)
                    self._forget_moved_from(image_id, hashed.path)
                self.report.linked += 1
                self._linked_images.append(image_id)
                self._tick()
            else:
                yield hashed

    def _record_batch(self, forward: _Forward) -> None:
        batch = forward.batch
        features, embeddings = forward.result.result()
        with self.store.transaction():
            for (candidate, pixels), feature, embedding in zip(
                batch, features, embeddings, strict=True
            ):
                photo = EmbeddedPhoto(
                    candidate.content_hash, pixels.width, pixels.height, pixels.taken_at
                )
                image_id = record_photo(self.store, self.model_id, photo, feature, embedding)
                self._embedded_images.add(image_id)
                self._record_file(candidate, image_id)
        self.report.embedded += len(batch)
        self._tick(len(batch))

    def _record_file(self, candidate: _Candidate, image_id: int) -> None:
        record_file(
            self.store,
            candidate.path,
            candidate.folder_id,
            image_id,
            candidate.size,
            candidate.mtime_ns,
        )

    def _vanished(self, folder_id: int) -> None:
        """A file listed a moment ago is gone when read. Its row is left exactly as it was, its
        photo, embedding and decisions with it: only a listing of the whole folder (the next
        scan's) tells a deleted file from a folder that went away. Recording it as unreadable
        would cut the row from its photo, and an edited photo read again after the folder came
        back would then not take its decisions along (a lazy unmount mid-scan once left 200 of
        200 decisions on photos no file showed, for a purge to delete)."""
        self.report.vanished += 1
        self._is_unplugged(folder_id)
        self._tick()

    def _is_unplugged(self, folder_id: int) -> bool:
        """Whether the folder went away during this pass (reported once; the rest of its files
        are then left as they are, unread): the unplugged-drive case, as at the start."""
        if folder_id in self._unplugged:
            return True
        folder = self._folders[folder_id]
        problem = folder_problem(self.store, folder)
        if problem is None:
            return False
        self._unplugged.add(folder_id)
        self.report.unavailable.append((folder["path"], problem))
        return True

    def _record_unreadable(self, path: str, folder_id: int, reason: str) -> None:
        with self.store.transaction():
            ingest_sql.record_unreadable_file(self.store, path, folder_id, reason)
        self.report.unreadable.append((path, reason))
        self._tick()

    def _forget_vanished(self, known: dict[str, FileRow], seen: set[str]) -> None:
        self._forget([row for path, row in known.items() if path not in seen])

    def _forget_moved_from(self, image_id: int, path: str) -> None:
        """Content just linked at path whose other present paths are gone from disk moved from
        there: forget those now, as the watcher may see the two halves of a move (into a new
        folder, say) in different batches. A path whose folder is gone too is left alone: that
        may be an unplugged drive.

        Once per content and scan: every other path it had was looked at the first time, and
        later ones were just recorded present. Checking again for each new path made 100,001
        hard links to 2 files quadratic (18,841 recorded after 900 s)."""
        if image_id in self._moves_checked:
            return
        self._moves_checked.add(image_id)
        others = ingest_sql.present_files_elsewhere(self.store, image_id, path)
        self._forget(
            [
                row
                for row in others
                if not os.path.lexists(row.path) and os.path.isdir(os.path.dirname(row.path))
            ]
        )

    def _forget(self, gone: list[FileRow]) -> None:
        """Files gone from disk: present ones become 'missing' (their photo and its examples
        stay until the user purges); stale 'unreadable' records are simply dropped."""
        with self.store.transaction():
            for row in gone:
                if row.id in self._newly_missing:
                    continue
                if row.status == "ok":
                    ingest_sql.mark_file_missing(self.store, row.id)
                    self.report.missing += 1
                    self._newly_missing.add(row.id)
                elif row.status == "unreadable":
                    ingest_sql.delete_file(self.store, row.id)

    def _settle_moves(self) -> None:
        """A missing file whose photo is present at another path was moved (or one of two copies
        went): its row goes, so nothing is reported lost. Run after every folder is done, as a
        move between folders is seen as a vanished file in one and a new file in the other."""
        with self.store.transaction():
            dropped = ingest_sql.drop_missing_files_shown_elsewhere(self.store)
        self.report.missing -= sum(1 for row in dropped if row.file_id in self._newly_missing)
        left = {row.image_id for row in dropped}
        self.report.moved += sum(1 for image_id in self._linked_images if image_id in left)


def scan(
    store: Store,
    encoder,
    model_id: int,
    folders: Iterable[dict],
    progress: ProgressCallback | None = None,
    order: Ordering = spread_order,
) -> ScanReport:
    """Bring the library's files and embeddings up to date with what is on disk; what needs
    embedding is embedded in `order` (by default a spread over every folder, order.py)."""
    folders = list(folders)
    paths = [f["path"] for f in folders]
    return update(store, encoder, model_id, folders, paths, progress, order)


def update(
    store: Store,
    encoder,
    model_id: int,
    folders: Iterable[dict],
    paths: Iterable[str],
    progress: ProgressCallback | None = None,
    order: Ordering = spread_order,
) -> ScanReport:
    """Bring just these paths up to date: files or folders, present or gone (the watcher's
    entry point). Paths outside the library's folders are ignored; a folder's own path gets
    exactly the full scan of that folder."""
    targets = [p if is_object_url(p) else os.path.abspath(p) for p in paths]
    return Ingest(store, encoder, model_id, progress, order).run(list(folders), targets)


def purge(store: Store, folders: Iterable[dict], dry_run: bool = False) -> PurgeReport:
    """Forget missing files, and the photos no file shows any more with every example given for
    them. Examples are the user's decisions, so this runs only when the user asks for it.

    The rule: a decision goes only with a photo that cannot come back. A missing file in a
    library folder that cannot be read now (unplugged, unmounted, empty though it had photos)
    may be on that drive, so it is kept, and so is every photo such a file showed, with its
    decisions, until the folder is back (or removed from the library). A photo goes when every
    file of its is missing from a folder that can be read, or it has no file at all."""
    away = [f["id"] for f in folders if folder_problem(store, f) is not None]
    with store.transaction():
        files = ingest_sql.missing_file_paths(store, away)
        photos = ingest_sql.count_gone_photos(store, away)
        examples = ingest_sql.count_examples_of_gone_photos(store, away)
        if not dry_run:
            ingest_sql.delete_missing_files_and_gone_photos(store, away)
    return PurgeReport(files, photos, examples)
