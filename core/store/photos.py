"""The folders, files, images, models and embeddings the Library reads and writes: every SQL
statement of the library about photos lives here, with its rows typed.

Model and folder rows stay dicts at run time (TypedDict), as the ingest and projection code
that receives them indexes them by column name.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypedDict

import numpy as np

from phototag.core.options import ACTIVE_MODEL
from phototag.core.store.database import Store, now


class ModelRow(TypedDict):
    id: int
    key: str
    name: str
    weights_path: str | None
    embed_dim: int
    feature_dim: int
    projection: bytes
    projection_version: int
    added_at: str


class FolderRow(TypedDict):
    id: int
    path: str


@dataclass(frozen=True)
class FolderSummary:
    path: str
    files: int
    watching: bool


@dataclass(frozen=True)
class PhotoFile:
    """A present file and the image (content) it shows."""

    path: str
    image_id: int


@dataclass(frozen=True)
class FileFacts:
    path: str
    size: int | None
    mtime_ns: int | None
    image_id: int
    content_hash: str
    width: int | None
    height: int | None
    taken_at: str | None


@dataclass(frozen=True)
class IndexedFile:
    path: str
    content_hash: str
    image_id: int


@dataclass(frozen=True)
class FileCounts:
    present: int
    missing: int
    images: int
    unreadable: list[tuple[str, str]]


# ----- folders -----------------------------------------------------------------------------


def folder_at(store: Store, path: str) -> FolderRow | None:
    row = store.conn.execute("SELECT id, path FROM folders WHERE path = ?", (path,)).fetchone()
    return None if row is None else FolderRow(id=row[0], path=row[1])


def all_folders(store: Store) -> list[FolderRow]:
    rows = store.conn.execute("SELECT id, path FROM folders ORDER BY path").fetchall()
    return [FolderRow(id=r[0], path=r[1]) for r in rows]


def insert_folder(store: Store, path: str) -> None:
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO folders(path, watching, added_at) VALUES (?, 1, ?)", (path, now())
        )


def delete_folder(store: Store, folder_id: int) -> None:
    """Its files go with it (ON DELETE CASCADE); examples never do."""
    with store.transaction() as conn:
        conn.execute("DELETE FROM folders WHERE id = ?", (folder_id,))


def folder_summaries(store: Store) -> list[FolderSummary]:
    rows = store.conn.execute(
        "SELECT folders.path, "
        "(SELECT COUNT(*) FROM files WHERE files.folder_id = folders.id "
        " AND files.status = 'ok'), folders.watching FROM folders ORDER BY folders.path"
    ).fetchall()
    return [FolderSummary(path, files, bool(watching)) for path, files, watching in rows]


def watched_folders(store: Store) -> dict[str, bool]:
    """Each watched folder with whether it is polled."""
    rows = store.conn.execute(
        "SELECT path, poll FROM folders WHERE watching = 1 ORDER BY path"
    ).fetchall()
    return {path: bool(poll) for path, poll in rows}


def set_polling(store: Store, path: str, poll: bool) -> bool:
    """Whether a folder at that path existed to change."""
    with store.transaction() as conn:
        changed = conn.execute(
            "UPDATE folders SET poll = ? WHERE path = ?", (int(poll), path)
        ).rowcount
    return bool(changed)


# ----- models ------------------------------------------------------------------------------


def model_with_key(store: Store, key: str) -> ModelRow | None:
    cursor = store.conn.execute(
        "SELECT id, key, name, weights_path, embed_dim, feature_dim, projection, "
        "projection_version, added_at FROM models WHERE key = ?",
        (key,),
    )
    row = cursor.fetchone()
    if row is None:
        return None
    return ModelRow(
        id=row[0],
        key=row[1],
        name=row[2],
        weights_path=row[3],
        embed_dim=row[4],
        feature_dim=row[5],
        projection=row[6],
        projection_version=row[7],
        added_at=row[8],
    )


def active_model(store: Store) -> ModelRow | None:
    """The model the library embeds with now (the last one a scan used)."""
    key = ACTIVE_MODEL.read(store)
    return None if key is None else model_with_key(store, key)


def register_model(
    store: Store,
    key: str,
    name: str,
    weights_path: str | None,
    dims: tuple[int, int],
    projection: np.ndarray,
) -> None:
    """Record a model (once) and make it the library's; dims is (embed_dim, feature_dim)."""
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO models(key, name, weights_path, embed_dim, feature_dim, projection, "
            "added_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO NOTHING",
            (
                key,
                name,
                weights_path,
                dims[0],
                dims[1],
                np.asarray(projection, dtype=np.float32).tobytes(),
                now(),
            ),
        )
        conn.execute(
            "INSERT INTO settings(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (ACTIVE_MODEL.key, key),
        )


# ----- files -------------------------------------------------------------------------------


def present_photos(store: Store) -> list[PhotoFile]:
    """Every present, decoded photo file in path order."""
    rows = store.conn.execute(
        "SELECT path, image_id FROM files WHERE status = 'ok' AND image_id IS NOT NULL "
        "ORDER BY path"
    ).fetchall()
    return [PhotoFile(path, image_id) for path, image_id in rows]


def present_paths_of(store: Store, image_id: int) -> list[str]:
    """Every present file that shows this photo, in path order."""
    rows = store.conn.execute(
        "SELECT path FROM files WHERE image_id = ? AND status = 'ok' ORDER BY path", (image_id,)
    ).fetchall()
    return [path for (path,) in rows]


def photos_at(store: Store, path: str) -> list[PhotoFile]:
    """Present photo files at a path: the file itself, or every file below a folder. The folder's
    files are a range of the path index (from 'dir/' up to 'dir0', the byte after the
    separator): comparing a prefix of every path scanned the whole table, 58 ms of a tag at
    100k files."""
    below = path.rstrip(os.sep) + os.sep
    rows = store.conn.execute(
        "SELECT path, image_id FROM files WHERE image_id IS NOT NULL AND status = 'ok' "
        "AND (path = ? OR (path >= ? AND path < ?)) ORDER BY path",
        (path, below, below[:-1] + chr(ord(os.sep) + 1)),
    ).fetchall()
    return [PhotoFile(p, image_id) for p, image_id in rows]


def file_facts(store: Store, path: str) -> FileFacts | None:
    row = store.conn.execute(
        "SELECT files.path, files.size, files.mtime_ns, files.image_id, images.content_hash, "
        "images.width, images.height, images.taken_at FROM files "
        "JOIN images ON images.id = files.image_id WHERE files.path = ? AND status = 'ok'",
        (path,),
    ).fetchone()
    return None if row is None else FileFacts(*row)


def write_stamp(store: Store) -> tuple:
    """Equal on two calls only if no connection wrote to the database in between: SQLite's
    data_version moves on another connection's commit, total_changes on this one's writes (and
    the connection itself is part of it, for a reopened store). One PRAGMA instead of
    files_signature's scan of every file row (10 ms at 100k, 6 times in a tag)."""
    conn = store.conn
    return (conn, conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes)


def files_signature(store: Store) -> tuple:
    """Changes whenever a file is added, seen again or changes status: a cache key."""
    return tuple(
        store.conn.execute(
            "SELECT COUNT(*), MAX(id), MAX(seen_at), SUM(status = 'ok') FROM files"
        ).fetchone()
    )


def indexed_files(store: Store) -> list[IndexedFile]:
    """Present files in path order with their image's content hash."""
    rows = store.conn.execute(
        "SELECT files.path, images.content_hash, files.image_id FROM files "
        "JOIN images ON images.id = files.image_id WHERE files.status = 'ok' "
        "ORDER BY files.path"
    ).fetchall()
    return [IndexedFile(*row) for row in rows]


def file_counts(store: Store) -> FileCounts:
    by_status = dict(
        store.conn.execute("SELECT status, COUNT(*) FROM files GROUP BY status").fetchall()
    )
    unreadable = store.conn.execute(
        "SELECT path, reason FROM files WHERE status = 'unreadable' ORDER BY path"
    ).fetchall()
    images = store.conn.execute("SELECT COUNT(*) FROM images").fetchone()[0]
    return FileCounts(
        present=by_status.get("ok", 0),
        missing=by_status.get("missing", 0),
        images=images,
        unreadable=[(path, reason) for path, reason in unreadable],
    )


# ----- embeddings --------------------------------------------------------------------------


def embedded_count(store: Store, model_id: int) -> int:
    return store.conn.execute(
        "SELECT COUNT(*) FROM embeddings WHERE model_id = ?", (model_id,)
    ).fetchone()[0]


def embedded_ids_above(store: Store, model_id: int, image_id: int) -> list[int]:
    """Images embedded with the model whose id is above image_id, in id order: a range of the
    (model_id, image_id) index, so what a scan added to a loaded matrix costs only itself."""
    rows = store.conn.execute(
        "SELECT image_id FROM embeddings WHERE model_id = ? AND image_id > ? ORDER BY image_id",
        (model_id, image_id),
    )
    return [row[0] for row in rows]


EMBEDDING_READ_CHUNK = 8192  # rows read from SQLite at a time into the embedding matrix


@dataclass(frozen=True)
class StoredEmbeddings:
    """The model's sound embeddings, by image id, and the ids of rows that are not: a blob of
    the wrong size or type, a feature of the wrong size, or a value that is not finite (a
    damaged page or a foreign write; integrity_check passes on all of them)."""

    ids: np.ndarray
    matrix: np.ndarray
    damaged: list[int]


def embeddings(store: Store, model: ModelRow) -> StoredEmbeddings:
    """Every image embedded with the model, by id; damaged rows are left out and named.

    Read EMBEDDING_READ_CHUNK rows at a time into the matrix, its rows counted first in the
    same snapshot: all rows fetched at once, then joined, held the embeddings twice at the peak
    (100,000 photos: 461 MB of Python allocations for a 195 MB matrix, now 252 MB; the same time,
    about 3 s at load average 9)."""
    with store.snapshot() as conn:
        (count,) = conn.execute(
            "SELECT count(*) FROM embeddings WHERE model_id = ?", (model["id"],)
        ).fetchone()
        cursor = conn.execute(
            "SELECT image_id, embedding, length(feature) FROM embeddings WHERE model_id = ? "
            "ORDER BY image_id",
            (model["id"],),
        )
        return _sound(iter(lambda: cursor.fetchmany(EMBEDDING_READ_CHUNK), []), count, model)


# Image ids per query of embeddings_of: well below SQLite's limit on bound parameters.
IDS_PER_QUERY = 500


def embeddings_of(store: Store, model: ModelRow, image_ids: list[int]) -> StoredEmbeddings:
    """These images' embeddings with the model, by id (those a running scan added since a
    reader loaded the rest); damaged rows are left out and named."""
    rows = []
    for start in range(0, len(image_ids), IDS_PER_QUERY):
        chunk = image_ids[start : start + IDS_PER_QUERY]
        rows += store.conn.execute(
            "SELECT image_id, embedding, length(feature) FROM embeddings WHERE model_id = ? "
            f"AND image_id IN ({','.join('?' * len(chunk))}) ORDER BY image_id",
            (model["id"], *chunk),
        ).fetchall()
    return _sound([rows], len(rows), model)


def _sound(chunks: Iterable[list], count: int, model: ModelRow) -> StoredEmbeddings:
    """The sound rows of `count` (image_id, embedding, feature length) rows read in chunks,
    copied chunk by chunk into one matrix; the others' ids are named as damaged."""
    size, feature_size = 4 * model["embed_dim"], 4 * model["feature_dim"]
    ids = np.empty(count, dtype=np.int64)
    matrix = np.empty((count, model["embed_dim"]), dtype=np.float32)
    kept, damaged = 0, []
    for rows in chunks:
        shaped = []
        for row in rows:
            if isinstance(row[1], bytes) and len(row[1]) == size and row[2] == feature_size:
                shaped.append(row)
            else:
                damaged.append(row[0])
        end = kept + len(shaped)
        ids[kept:end] = [r[0] for r in shaped]
        flat = np.frombuffer(b"".join(r[1] for r in shaped), dtype=np.float32)
        matrix[kept:end] = flat.reshape(len(shaped), model["embed_dim"])
        kept = end
    ids, matrix = ids[:kept], matrix[:kept]
    finite = np.isfinite(matrix).all(axis=1)
    if not finite.all():
        damaged += ids[~finite].tolist()
        ids, matrix = ids[finite], matrix[finite]
    return StoredEmbeddings(ids, matrix, sorted(damaged))


def forget_embeddings(store: Store, model: ModelRow, image_ids: list[int]) -> None:
    """Drop these images' embeddings (derived data): the next scan embeds them again."""
    with store.transaction() as conn:
        conn.executemany(
            "DELETE FROM embeddings WHERE model_id = ? AND image_id = ?",
            [(model["id"], image_id) for image_id in image_ids],
        )


def features(store: Store, model: ModelRow, images: list[int]) -> np.ndarray:
    """The stored pre-projection features of these images, one row each, in order."""
    blobs = dict(
        store.conn.execute(
            "SELECT image_id, feature FROM embeddings WHERE model_id = ? "
            f"AND image_id IN ({','.join('?' * len(images))})",
            (model["id"], *images),
        ).fetchall()
    )
    flat = np.frombuffer(b"".join(blobs[i] for i in images), dtype=np.float32)
    return flat.reshape(len(images), model["feature_dim"]).copy()  # torch wants it writable


def files_at(store: Store, given: str) -> list[PhotoFile]:
    """Present photo files at a path as typed (a file, or a folder's files), matched as given
    and with symbolic links resolved; a URL (an object `batch import` brought in) as given."""
    expanded = os.path.expanduser(given)
    candidates = (
        [given] if "://" in given else [os.path.abspath(expanded), os.path.realpath(expanded)]
    )
    for candidate in dict.fromkeys(candidates):
        found = photos_at(store, candidate)
        if found:
            return found
    return []
