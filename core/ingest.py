"""Folders → files → content hashes → decoded pixels → embeddings in SQLite.

One pass per scan: a stat pass decides what changed (size, mtime); only changed or new files are
hashed; only content never embedded with this model is decoded and run through the encoder, in
batches, and each batch is committed on its own, so an interrupted scan resumes where it stopped.
Every unreadable file is recorded with its reason and the scan goes on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from phototag.core.decode import DecodedImage, UnreadableImage, decode_image, is_image_path
from phototag.core.hashing import content_hash
from phototag.core.store import Store, is_storable, now, printable

BATCH_SIZE = 32

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


@dataclass(frozen=True)
class _Candidate:
    path: str
    folder_id: int
    size: int
    mtime_ns: int
    content_hash: str = ""


def _unreadable_reason(exc: OSError) -> str:
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
            d for d in subdirs if not d.startswith(".") and os.path.join(directory, d) not in skip
        )
        for name in sorted(files):
            path = Path(directory, name)
            if not is_image_path(path):
                continue
            if is_storable(str(path)):
                yield path
            else:
                yield Path(printable(str(path))), NAME_NOT_UTF8
    while errors:
        yield _folder_failure(errors.pop())


def _folder_failure(failure: OSError) -> tuple[Path, str]:
    return Path(printable(failure.filename)), f"folder not readable: {_unreadable_reason(failure)}"


class Ingest:
    """One scan of some folders with one encoder."""

    def __init__(self, store: Store, encoder, model_id: int, progress: ProgressCallback | None):
        self.store = store
        self.encoder = encoder
        self.model_id = model_id
        self.progress = progress or (lambda done, total: None)
        self.report = ScanReport()
        self._done = 0
        self._total = 0
        self._embedded_images = {
            row[0]
            for row in store.conn.execute(
                "SELECT image_id FROM embeddings WHERE model_id = ?", (model_id,)
            )
        }

    def run(self, folders: list[dict]) -> ScanReport:
        all_paths = {f["path"] for f in folders}
        plan: list[tuple[dict, list]] = []
        for folder in folders:
            skip = all_paths - {folder["path"]}
            plan.append((folder, list(discover(Path(folder["path"]), skip))))
        self._total = sum(len(found) for _, found in plan)
        self.report.files = self._total
        self.progress(0, self._total)
        for folder, found in plan:
            self._scan_folder(folder, found)
        return self.report

    def _tick(self, count: int = 1) -> None:
        self._done += count
        self.progress(self._done, self._total)

    def _scan_folder(self, folder: dict, found: list) -> None:
        known = {
            row["path"]: row
            for row in self.store.query("SELECT * FROM files WHERE folder_id = ?", (folder["id"],))
        }
        seen: set[str] = set()
        changed: list[_Candidate] = []
        for item in found:
            if isinstance(item, tuple):
                path, reason = item
                seen.add(str(path))
                self._record_unreadable(str(path), folder["id"], reason)
                continue
            seen.add(str(item))
            candidate = self._stat(item, folder["id"])
            if candidate is None:
                continue
            if self._is_unchanged(candidate, known.get(candidate.path)):
                self.report.unchanged += 1
                self._tick()
            else:
                changed.append(candidate)
        self._embed_changed(changed)
        self._forget_vanished(known, seen)

    def _stat(self, path: Path, folder_id: int) -> _Candidate | None:
        try:
            info = path.stat()
        except OSError as exc:
            self._record_unreadable(str(path), folder_id, _unreadable_reason(exc))
            return None
        if info.st_size == 0:
            self._record_unreadable(str(path), folder_id, "empty file (0 bytes)")
            return None
        return _Candidate(str(path), folder_id, info.st_size, info.st_mtime_ns)

    def _is_unchanged(self, candidate: _Candidate, row: dict | None) -> bool:
        return (
            row is not None
            and row["status"] == "ok"
            and row["size"] == candidate.size
            and row["mtime_ns"] == candidate.mtime_ns
            and row["image_id"] in self._embedded_images
        )

    def _embed_changed(self, changed: list[_Candidate]) -> None:
        """Hash what changed; link content seen before; decode and embed the rest in batches."""
        to_embed: list[_Candidate] = []
        for candidate in changed:
            try:
                digest = content_hash(Path(candidate.path))
            except OSError as exc:
                self._record_unreadable(
                    candidate.path, candidate.folder_id, _unreadable_reason(exc)
                )
                continue
            hashed = _Candidate(**{**candidate.__dict__, "content_hash": digest})
            image_id = self.store.scalar("SELECT id FROM images WHERE content_hash = ?", (digest,))
            if image_id is not None and image_id in self._embedded_images:
                with self.store.transaction():
                    self._record_file(hashed, image_id)
                self.report.linked += 1
                self._tick()
            else:
                to_embed.append(hashed)
        workers = max(1, os.cpu_count() or 1)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for start in range(0, len(to_embed), BATCH_SIZE):
                batch = to_embed[start : start + BATCH_SIZE]
                decoded = list(pool.map(self._decode, batch))
                self._embed_batch(batch, decoded)

    def _decode(self, candidate: _Candidate) -> DecodedImage | str:
        try:
            return decode_image(Path(candidate.path), self.encoder.image_size)
        except UnreadableImage as exc:
            return exc.reason

    def _embed_batch(self, batch: list[_Candidate], decoded: list[DecodedImage | str]) -> None:
        good = [(c, d) for c, d in zip(batch, decoded, strict=True) if not isinstance(d, str)]
        features = embeddings = np.empty((0, 0), dtype=np.float32)
        if good:
            features, embeddings = self.encoder.encode_images([d.image for _, d in good])
        with self.store.transaction():
            for candidate, result in zip(batch, decoded, strict=True):
                if isinstance(result, str):
                    self._record_unreadable(candidate.path, candidate.folder_id, result)
            for (candidate, result), feature, embedding in zip(
                good, features, embeddings, strict=True
            ):
                image_id = self._upsert_image(candidate.content_hash, result)
                self.store.conn.execute(
                    "INSERT OR REPLACE INTO embeddings(image_id, model_id, embedding, feature) "
                    "VALUES (?, ?, ?, ?)",
                    (image_id, self.model_id, embedding.tobytes(), feature.tobytes()),
                )
                self._embedded_images.add(image_id)
                self._record_file(candidate, image_id)
        self.report.embedded += len(good)
        self._tick(len(good))

    def _upsert_image(self, digest: str, decoded: DecodedImage) -> int:
        conn = self.store.conn
        conn.execute(
            "INSERT INTO images(content_hash, width, height, taken_at, first_seen) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(content_hash) DO UPDATE SET "
            "width = excluded.width, height = excluded.height, taken_at = excluded.taken_at",
            (digest, decoded.width, decoded.height, decoded.taken_at, now()),
        )
        return self.store.scalar("SELECT id FROM images WHERE content_hash = ?", (digest,))

    def _record_file(self, candidate: _Candidate, image_id: int) -> None:
        self.store.conn.execute(
            "INSERT INTO files(path, folder_id, image_id, size, mtime_ns, status, reason, seen_at) "
            "VALUES (?, ?, ?, ?, ?, 'ok', NULL, ?) ON CONFLICT(path) DO UPDATE SET "
            "folder_id = excluded.folder_id, image_id = excluded.image_id, "
            "size = excluded.size, mtime_ns = excluded.mtime_ns, status = 'ok', reason = NULL, "
            "seen_at = excluded.seen_at",
            (
                candidate.path,
                candidate.folder_id,
                image_id,
                candidate.size,
                candidate.mtime_ns,
                now(),
            ),
        )

    def _record_unreadable(self, path: str, folder_id: int, reason: str) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO files(path, folder_id, image_id, status, reason, seen_at) "
                "VALUES (?, ?, NULL, 'unreadable', ?, ?) ON CONFLICT(path) DO UPDATE SET "
                "folder_id = excluded.folder_id, image_id = NULL, size = NULL, "
                "mtime_ns = NULL, status = 'unreadable', reason = excluded.reason, "
                "seen_at = excluded.seen_at",
                (path, folder_id, reason, now()),
            )
        self.report.unreadable.append((path, reason))
        self._tick()

    def _forget_vanished(self, known: dict[str, dict], seen: set[str]) -> None:
        """Files gone from disk: present ones become 'missing' (their photo and its examples
        stay until the user purges); stale 'unreadable' records are simply dropped."""
        gone = [row for path, row in known.items() if path not in seen]
        with self.store.transaction() as conn:
            for row in gone:
                if row["status"] == "ok":
                    conn.execute("UPDATE files SET status = 'missing' WHERE id = ?", (row["id"],))
                    self.report.missing += 1
                elif row["status"] == "unreadable":
                    conn.execute("DELETE FROM files WHERE id = ?", (row["id"],))


def scan(
    store: Store,
    encoder,
    model_id: int,
    folders: Iterable[dict],
    progress: ProgressCallback | None = None,
) -> ScanReport:
    """Bring the library's files and embeddings up to date with what is on disk."""
    return Ingest(store, encoder, model_id, progress).run(list(folders))
