"""The statements the ingest (core/ingest/scan.py) runs on files, images, embeddings and, when
an edited photo takes its labels along, examples.

Only the SQL lives here: which file is which photo, what moved and when to forget a file is
decided in core/ingest. No function here opens a transaction; the ingest commits one per
batch, so a crash loses at most one batch of work.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from phototag.core.store.database import Store, now


@dataclass(frozen=True)
class FileRow:
    """One row of the files table: a path, what it shows (image_id) and how it was last seen."""

    id: int
    path: str
    folder_id: int | None
    image_id: int | None
    size: int | None
    mtime_ns: int | None
    status: str
    reason: str | None
    seen_at: str


@dataclass(frozen=True)
class DroppedFile:
    """A missing file's row that was deleted because its photo is present at another path."""

    file_id: int
    image_id: int


def _file_rows(store: Store, sql: str, params: tuple) -> list[FileRow]:
    return [FileRow(**row) for row in store.query(sql, params)]


# ----- reading ----------------------------------------------------------------------------


def folder_has_present_files(store: Store, folder_id: int) -> bool:
    """Whether the library knows a present file in the folder (an empty folder then means an
    unmounted drive, not deleted photos)."""
    return bool(
        store.scalar(
            "SELECT EXISTS(SELECT 1 FROM files WHERE folder_id = ? AND status = 'ok')",
            (folder_id,),
        )
    )


def embedded_image_ids(store: Store, model_id: int) -> set[int]:
    """The photos this model has embedded already: their content is never decoded again."""
    rows = store.conn.execute("SELECT image_id FROM embeddings WHERE model_id = ?", (model_id,))
    return {row[0] for row in rows}


def files_at_or_below(store: Store, path: str) -> list[FileRow]:
    """The file rows at path or below it, as a range on the path index (no LIKE, so no escaping
    of '%' or '_' in folder names)."""
    prefix = path.rstrip(os.sep) + os.sep
    after_prefix = prefix[:-1] + chr(ord(os.sep) + 1)
    return _file_rows(
        store,
        "SELECT * FROM files WHERE path = ? OR (path >= ? AND path < ?)",
        (path, prefix, after_prefix),
    )


def image_id_for_content(store: Store, content_hash: str) -> int | None:
    return store.scalar("SELECT id FROM images WHERE content_hash = ?", (content_hash,))


def last_image_at(store: Store, path: str) -> int | None:
    """The photo the file at path showed when last read, present or missing since (None for no
    file, or an unreadable one)."""
    return store.scalar(
        "SELECT image_id FROM files WHERE path = ? AND status IN ('ok', 'missing')", (path,)
    )


def present_image_at(store: Store, path: str) -> int | None:
    """The photo a present file at path shows (None for no file, or a missing/unreadable one)."""
    return store.scalar("SELECT image_id FROM files WHERE path = ? AND status = 'ok'", (path,))


def is_shown_elsewhere(store: Store, image_id: int, path: str) -> bool:
    """Whether a present file other than path shows this photo."""
    return bool(
        store.scalar(
            "SELECT EXISTS(SELECT 1 FROM files WHERE image_id = ? AND status = 'ok' AND path != ?)",
            (image_id, path),
        )
    )


def present_files_elsewhere(store: Store, image_id: int, path: str) -> list[FileRow]:
    """The present files other than path that show this photo (candidates for a move)."""
    return _file_rows(
        store,
        "SELECT * FROM files WHERE image_id = ? AND status = 'ok' AND path != ?",
        (image_id, path),
    )


# ----- writing (inside the caller's transaction) ------------------------------------------


def save_embedding(
    store: Store, image_id: int, model_id: int, embedding: np.ndarray, feature: np.ndarray
) -> None:
    """Keep the embedding and the pre-projection feature it came from (ProLIP re-projects it)."""
    store.conn.execute(
        "INSERT OR REPLACE INTO embeddings(image_id, model_id, embedding, feature) "
        "VALUES (?, ?, ?, ?)",
        (image_id, model_id, embedding.tobytes(), feature.tobytes()),
    )


def upsert_image(
    store: Store, content_hash: str, width: int, height: int, taken_at: str | None
) -> int:
    """The photo with this content, created or with its decoded size and date refreshed."""
    store.conn.execute(
        "INSERT INTO images(content_hash, width, height, taken_at, first_seen) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT(content_hash) DO UPDATE SET "
        "width = excluded.width, height = excluded.height, taken_at = excluded.taken_at",
        (content_hash, width, height, taken_at, now()),
    )
    image_id = image_id_for_content(store, content_hash)
    assert image_id is not None, "the row was written just above"
    return image_id


def record_present_file(
    store: Store, path: str, folder_id: int, image_id: int, size: int, mtime_ns: int
) -> None:
    """The file at path shows this photo now, with the size and mtime it was read at."""
    store.conn.execute(
        "INSERT INTO files(path, folder_id, image_id, size, mtime_ns, status, reason, seen_at) "
        "VALUES (?, ?, ?, ?, ?, 'ok', NULL, ?) ON CONFLICT(path) DO UPDATE SET "
        "folder_id = excluded.folder_id, image_id = excluded.image_id, "
        "size = excluded.size, mtime_ns = excluded.mtime_ns, status = 'ok', reason = NULL, "
        "seen_at = excluded.seen_at",
        (path, folder_id, image_id, size, mtime_ns, now()),
    )


def record_unreadable_file(store: Store, path: str, folder_id: int, reason: str) -> None:
    """The file at path could not be read; it shows no photo until it can."""
    store.conn.execute(
        "INSERT INTO files(path, folder_id, image_id, status, reason, seen_at) "
        "VALUES (?, ?, NULL, 'unreadable', ?, ?) ON CONFLICT(path) DO UPDATE SET "
        "folder_id = excluded.folder_id, image_id = NULL, size = NULL, "
        "mtime_ns = NULL, status = 'unreadable', reason = excluded.reason, "
        "seen_at = excluded.seen_at",
        (path, folder_id, reason, now()),
    )


def move_examples(store: Store, from_image: int, to_image: int) -> None:
    """Every example given for one photo now belongs to another (an edit made new content);
    one the new photo already has is kept as it is."""
    store.conn.execute(
        "INSERT OR IGNORE INTO examples(label_id, image_id, polarity, source, created_at) "
        "SELECT label_id, ?, polarity, source, created_at FROM examples WHERE image_id = ?",
        (to_image, from_image),
    )
    store.conn.execute("DELETE FROM examples WHERE image_id = ?", (from_image,))


def mark_file_missing(store: Store, file_id: int) -> None:
    """Gone from disk: the row, its photo and the photo's examples stay until a purge."""
    store.conn.execute("UPDATE files SET status = 'missing' WHERE id = ?", (file_id,))


def delete_file(store: Store, file_id: int) -> None:
    store.conn.execute("DELETE FROM files WHERE id = ?", (file_id,))


def drop_missing_files_shown_elsewhere(store: Store) -> list[DroppedFile]:
    """Delete every missing file whose photo a present file shows, returning what went."""
    # SELECT then DELETE rather than DELETE ... RETURNING, which needs SQLite 3.35.
    dropped = [
        DroppedFile(file_id, image_id)
        for file_id, image_id in store.conn.execute(
            "SELECT id, image_id FROM files WHERE status = 'missing' AND image_id IN "
            "(SELECT image_id FROM files WHERE status = 'ok')"
        )
    ]
    store.conn.executemany("DELETE FROM files WHERE id = ?", [(row.file_id,) for row in dropped])
    return dropped


# ----- purging ----------------------------------------------------------------------------

# Each takes the ids of the library folders that cannot be read now (`away`): their missing files
# may come back, so they are kept, and a photo one of them showed is not gone.


def _purgeable(away: list[int]) -> str:
    """A condition on files: a missing file in a folder that can be read (or in none)."""
    marks = ", ".join("?" * len(away))
    return (
        "(files.status = 'missing' AND "
        f"(files.folder_id IS NULL OR files.folder_id NOT IN ({marks})))"
    )


def _gone_photos(away: list[int]) -> str:
    """Photos no file shows any more, nor may show again: every file they have is purgeable."""
    return (
        "SELECT id FROM images WHERE NOT EXISTS (SELECT 1 FROM files "
        f"WHERE files.image_id = images.id AND NOT {_purgeable(away)})"
    )


def missing_file_paths(store: Store, away: list[int]) -> list[str]:
    rows = store.conn.execute(
        f"SELECT path FROM files WHERE {_purgeable(away)} ORDER BY path", away
    )
    return [row[0] for row in rows]


def count_gone_photos(store: Store, away: list[int]) -> int:
    return store.conn.execute(f"SELECT COUNT(*) FROM ({_gone_photos(away)})", away).fetchone()[0]


def count_examples_of_gone_photos(store: Store, away: list[int]) -> int:
    return store.conn.execute(
        f"SELECT COUNT(*) FROM examples WHERE image_id IN ({_gone_photos(away)})", away
    ).fetchone()[0]


def delete_missing_files_and_gone_photos(store: Store, away: list[int]) -> None:
    """Forget purgeable missing files, then the photos no file shows any more, with their
    examples."""
    store.conn.execute(f"DELETE FROM examples WHERE image_id IN ({_gone_photos(away)})", away)
    store.conn.execute(f"DELETE FROM files WHERE {_purgeable(away)}", away)
    # Embeddings follow by cascade; nothing else refers to an image.
    store.conn.execute(f"DELETE FROM images WHERE id IN ({_gone_photos(away)})", away)
