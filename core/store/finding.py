"""Saved smart albums and the facts their queries read that no other reader needs (the date
each present photo was taken): the SQL of core/finding/."""

from __future__ import annotations

from dataclasses import dataclass

from phototag.core.store.database import Store, now


@dataclass(frozen=True)
class AlbumRow:
    name: str
    query: str


def all_albums(store: Store) -> list[AlbumRow]:
    rows = store.conn.execute("SELECT name, query FROM albums ORDER BY name COLLATE NOCASE")
    return [AlbumRow(name, query) for name, query in rows.fetchall()]


def album_named(store: Store, name: str) -> AlbumRow | None:
    row = store.conn.execute("SELECT name, query FROM albums WHERE name = ?", (name,)).fetchone()
    return None if row is None else AlbumRow(*row)


def save_album(store: Store, name: str, query: str) -> None:
    """Create the album, or give an existing one (same name, any case) this query."""
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO albums(name, query, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET query = excluded.query",
            (name, query, now()),
        )


def delete_album(store: Store, name: str) -> bool:
    with store.transaction() as conn:
        return conn.execute("DELETE FROM albums WHERE name = ?", (name,)).rowcount > 0


def taken_dates(store: Store) -> dict[str, str | None]:
    """Each present file's EXIF date taken (ISO), by path."""
    rows = store.conn.execute(
        "SELECT files.path, images.taken_at FROM files JOIN images ON images.id = files.image_id "
        "WHERE files.status = 'ok'"
    ).fetchall()
    return dict(rows)
