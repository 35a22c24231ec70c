"""`phototag batch import`: a batch job's rows into the library, as a scan records them.

Rows are recorded through scan.record_photo and scan.record_file (and the store's
record_unreadable_file), one transaction a shard, by content hash and path: what a local scan
of the same folders stores. A row `in_library` (content the job's library had embedded, found
under another path) carries no embedding: its path is linked to the library's photo with that
content hash, as a scan links a moved or copied file. A library that never scanned takes the
job's model; a library whose active projection changed since the job was prepared gets
embeddings re-projected from the stored features (h @ W, as a ProLIP refinement recomputes
them). Rows read from an object store keep their s3:// URL as the file's path, under a library
folder for the prefix: predict and export list them by URL, while a scan and the watcher leave
that folder as it is (they cannot read it) and no sidecar is written for them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from phototag.core.batch import job as jobs
from phototag.core.batch import listing
from phototag.core.batch import sources as object_store
from phototag.core.batch.embed import manifest_of, read_parts
from phototag.core.errors import UserError
from phototag.core.ingest.scan import EmbeddedPhoto, is_within, record_file, record_photo
from phototag.core.model.projection import active_projection, project_rows
from phototag.core.store import batch as batch_sql
from phototag.core.store import ingest as ingest_sql
from phototag.core.store import photos
from phototag.core.store.database import Store


@dataclass
class ImportReport:
    embedded: int = 0
    unreadable: int = 0
    linked: int = 0
    """Files of content the library had already (moved or copied): linked, not embedded."""
    folders_added: list[str] = field(default_factory=list)
    not_in_library: list[str] = field(default_factory=list)
    """Paths of rows the job skipped as known content this library does not have (a job
    prepared from another library): a scan of them embeds them."""


def import_batch(store: Store, out: Path) -> ImportReport:
    manifest = manifest_of(out)
    table = read_parts(out)
    model_id, projection = _model_for(store, out, manifest)
    report = ImportReport()
    folders = _folders_for(store, listing.sources_of(out), table.column("path").to_pylist(), report)
    by_shard: dict[int, list[dict]] = {}
    for row in table.to_pylist():
        by_shard.setdefault(row["shard"], []).append(row)
    for rows in by_shard.values():
        with store.transaction():
            for row in rows:
                _record(store, model_id, projection, folders, row, report)
    return report


def _model_for(store: Store, out: Path, manifest: dict) -> tuple[int, np.ndarray | None]:
    """The job's model, registered when the library never used it (which makes it the active
    one, as a first scan does); returns its id and the projection to re-project with, or None
    when the job's projection is the library's."""
    key = manifest["model_key"]
    job_projection = np.load(out / jobs.PROJECTION)
    if photos.model_with_key(store, key) is None:
        photos.register_model(
            store, key, manifest["model_name"], None, tuple(manifest["dims"]), job_projection
        )
    active = photos.active_model(store)
    if active is None or active["key"] != key:
        raise UserError(
            f"the batch job embedded with {key}, the library uses "
            f"{None if active is None else active['key']}; scan with that model first"
        )
    library_projection = active_projection(active)
    same = np.array_equal(library_projection, job_projection)
    return active["id"], None if same else library_projection


def _folders_for(
    store: Store, sources: list[str], paths: list[str], report: ImportReport
) -> list[dict]:
    """The library folders the rows belong in; a source folder or s3:// prefix outside all of
    them is added, and so is the prefix of an object named by itself (or in a file list)."""
    named = set(paths)
    wanted = [_folder_of(source, named) for source in sources]
    wanted += [_parent(path) for path in paths if object_store.is_object_url(path)]
    held = [f["path"] for f in photos.all_folders(store)]
    for folder in wanted:
        if not any(is_within(folder, path) for path in held):
            photos.insert_folder(store, folder)
            report.folders_added.append(folder)
            held.append(folder)
    return [dict(f) for f in photos.all_folders(store)]


def _folder_of(source: str, named: set[str]) -> str:
    """A source prefix is a folder; an object source, as a file source, goes in its parent."""
    if object_store.is_object_url(source):
        return _parent(source) if source in named else source
    return source if os.path.isdir(source) else os.path.dirname(source)


def _parent(url: str) -> str:
    return url.rsplit("/", 1)[0]


def _record(store, model_id, projection, folders, row, report) -> None:
    holding = [f for f in folders if is_within(row["path"], f["path"])]
    if not holding:
        return
    folder_id = max(holding, key=lambda f: len(f["path"]))["id"]
    if row["error"] is not None:
        ingest_sql.record_unreadable_file(store, row["path"], folder_id, row["error"])
        report.unreadable += 1
        return
    if row["in_library"]:
        _link(store, model_id, folder_id, row, report)
        return
    feature = np.asarray(row["feature"], dtype=np.float32)
    embedding = np.asarray(row["embedding"], dtype=np.float32)
    if projection is not None:
        embedding = project_rows(feature[None, :], projection)[0]
    photo = EmbeddedPhoto(row["content_hash"], row["width"], row["height"], row["taken_at"])
    image_id = record_photo(store, model_id, photo, feature, embedding)
    record_file(store, row["path"], folder_id, image_id, row["size"], row["mtime_ns"])
    report.embedded += 1


def _link(store, model_id, folder_id, row, report) -> None:
    image_id = batch_sql.embedded_image_with_content(store, model_id, row["content_hash"])
    if image_id is None:
        report.not_in_library.append(row["path"])
        return
    record_file(store, row["path"], folder_id, image_id, row["size"], row["mtime_ns"])
    report.linked += 1
