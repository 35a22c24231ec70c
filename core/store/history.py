"""The journal of the user's decisions (undo and redo): every SQL statement about it lives here.

An entry keeps two snapshots of the rows an action touched, before and after it: the labels'
rows and every row keyed by those labels (examples, weights, fitted heads, imported packs),
the settings the action changed, and the sidecars it wrote with the keywords Phototag recorded
in them. Undo writes the "before" rows back, redo the "after" rows, so both restore the
database's state exactly (weights as the same bytes), without replaying any arithmetic.

A snapshot is JSON (bytes as base64, floats in Python's round-trip repr) compressed with zlib:
it is portable, needs no unpickling of a file that came from elsewhere, and travels with the
database into backups.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import zlib
from dataclasses import dataclass, field
from typing import Any

from phototag.core.store.database import Store, now

LABEL_TABLES = ("examples", "label_weights", "label_heads", "label_packs")
"""Every table whose rows belong to one label (label_id, ON DELETE CASCADE)."""

HISTORY_KEPT = 1000
"""Entries kept: older ones are dropped as new ones arrive."""

Row = dict[str, Any]


@dataclass
class Snapshot:
    """The state of some labels, settings and sidecars at one moment."""

    labels: dict[int, Row | None] = field(default_factory=dict)
    """Label id -> its labels row, None when the label does not exist."""
    owned: dict[int, dict[str, list[Row]]] = field(default_factory=dict)
    """Label id -> table -> the label's rows in it."""
    settings: dict[str, str | None] = field(default_factory=dict)
    sidecars: dict[str, bytes | None] = field(default_factory=dict)
    """Sidecar path -> its bytes, None when there was no file."""
    written: dict[str, list[Row]] = field(default_factory=dict)
    """Sidecar path -> the xmp_written rows recording what Phototag wrote into it."""
    projection: list[int] | None = None
    """[model id, active projection version] when the action refines or reverts (ProLIP):
    the embeddings follow the version, so undo switches it back before restoring rows."""
    albums: list[Row] | None = None
    """Every smart album's row, when the action rewrites album queries (a label's rename)."""


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    action: str
    summary: str
    created_at: str
    undone: bool


# ----- snapshots ---------------------------------------------------------------------------


def _rows(conn: sqlite3.Connection, sql: str, params: tuple) -> list[Row]:
    cursor = conn.execute(sql, params)
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def label_ids(conn: sqlite3.Connection) -> set[int]:
    return {row[0] for row in conn.execute("SELECT id FROM labels")}


def capture(
    conn: sqlite3.Connection,
    labels: set[int],
    settings: tuple[str, ...] = (),
    sidecars: dict[str, bytes | None] | None = None,
    model_id: int | None = None,
    albums: bool = False,
) -> Snapshot:
    """The rows of these labels and settings now, with the given sidecars' contents, with
    `model_id` that model's active projection version, and with `albums` every album row."""
    snapshot = Snapshot(sidecars=dict(sidecars or {}))
    if albums:
        snapshot.albums = _rows(conn, "SELECT * FROM albums ORDER BY name", ())
    if model_id is not None:
        row = conn.execute("SELECT projection_version FROM models WHERE id = ?", (model_id,))
        snapshot.projection = [model_id, int(row.fetchone()[0])]
    for label in sorted(labels):
        found = _rows(conn, "SELECT * FROM labels WHERE id = ?", (label,))
        snapshot.labels[label] = found[0] if found else None
        snapshot.owned[label] = {
            table: _rows(conn, f"SELECT * FROM {table} WHERE label_id = ?", (label,))
            for table in LABEL_TABLES
        }
    for key in settings:
        row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        snapshot.settings[key] = None if row is None else row[0]
    for path in snapshot.sidecars:
        snapshot.written[path] = _rows(conn, "SELECT * FROM xmp_written WHERE path = ?", (path,))
    return snapshot


def _insert(conn: sqlite3.Connection, table: str, row: Row) -> None:
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    conn.execute(f"INSERT INTO {table}({columns}) VALUES ({marks})", tuple(row.values()))


def _restore_label_row(conn: sqlite3.Connection, label: int, row: Row | None) -> None:
    """Update in place rather than delete and insert: a delete would cascade to the label's
    rows and set other labels' `parent` to NULL."""
    if row is None:
        conn.execute("DELETE FROM labels WHERE id = ?", (label,))
        return
    exists = conn.execute("SELECT 1 FROM labels WHERE id = ?", (label,)).fetchone()
    if exists is None:
        _insert(conn, "labels", row)
        return
    assignments = ", ".join(f"{column} = ?" for column in row)
    conn.execute(f"UPDATE labels SET {assignments} WHERE id = ?", (*row.values(), label))


def restore(conn: sqlite3.Connection, snapshot: Snapshot) -> None:
    """Write a snapshot's rows back (inside the caller's transaction). Labels are removed first
    and created last, so a label name that moved between labels never clashes midway."""
    order = sorted(snapshot.labels, key=lambda label: snapshot.labels[label] is not None)
    for label in order:
        _restore_label_row(conn, label, snapshot.labels[label])
        if snapshot.labels[label] is None:
            continue
        for table, rows in snapshot.owned[label].items():
            conn.execute(f"DELETE FROM {table} WHERE label_id = ?", (label,))
            for row in rows:
                _insert(conn, table, row)
    for key, value in snapshot.settings.items():
        conn.execute("DELETE FROM settings WHERE key = ?", (key,))
        if value is not None:
            conn.execute("INSERT INTO settings(key, value) VALUES (?, ?)", (key, value))
    for path, rows in snapshot.written.items():
        conn.execute("DELETE FROM xmp_written WHERE path = ?", (path,))
        for row in rows:
            _insert(conn, "xmp_written", row)
    if snapshot.albums is not None:
        conn.execute("DELETE FROM albums")
        for row in snapshot.albums:
            _insert(conn, "albums", row)


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"$b": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {str(key): _encode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_encode(item) for item in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$b"}:
            return base64.b64decode(value["$b"])
        return {key: _decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode(item) for item in value]
    return value


def to_blob(snapshot: Snapshot) -> bytes:
    record = {
        "labels": snapshot.labels,
        "owned": snapshot.owned,
        "settings": snapshot.settings,
        "sidecars": snapshot.sidecars,
        "written": snapshot.written,
        "projection": snapshot.projection,
        "albums": snapshot.albums,
    }
    return zlib.compress(json.dumps(_encode(record)).encode("utf-8"))


def from_blob(blob: bytes) -> Snapshot:
    record = _decode(json.loads(zlib.decompress(blob)))
    return Snapshot(
        labels={int(k): v for k, v in record["labels"].items()},
        owned={int(k): v for k, v in record["owned"].items()},
        settings=record["settings"],
        sidecars=record["sidecars"],
        written=record["written"],
        projection=record.get("projection"),
        albums=record.get("albums"),
    )


# ----- the journal -------------------------------------------------------------------------


def append(
    conn: sqlite3.Connection, action: str, summary: str, before: Snapshot, after: Snapshot
) -> int:
    """Record an action (inside its own transaction). What was undone can no longer be redone
    once a new action is recorded, as in every editor."""
    conn.execute("DELETE FROM history WHERE undone = 1")
    cursor = conn.execute(
        "INSERT INTO history(action, summary, created_at, undone, before, after) "
        "VALUES (?, ?, ?, 0, ?, ?)",
        (action, summary, now(), to_blob(before), to_blob(after)),
    )
    conn.execute(
        "DELETE FROM history WHERE id <= (SELECT MAX(id) FROM history) - ?", (HISTORY_KEPT,)
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def _entry(row: tuple) -> HistoryEntry:
    entry_id, action, summary, created_at, undone = row
    return HistoryEntry(entry_id, action, summary, created_at, bool(undone))


def entries(store: Store) -> list[HistoryEntry]:
    """Every kept entry, newest first."""
    rows = store.conn.execute(
        "SELECT id, action, summary, created_at, undone FROM history ORDER BY id DESC"
    )
    return [_entry(row) for row in rows.fetchall()]


def next_to_reverse(conn: sqlite3.Connection, undo: bool) -> HistoryEntry | None:
    """For undo, the newest entry not undone; for redo, the oldest undone one."""
    order = "DESC" if undo else "ASC"
    row = conn.execute(
        "SELECT id, action, summary, created_at, undone FROM history WHERE undone = ? "
        f"ORDER BY id {order} LIMIT 1",
        (int(not undo),),
    ).fetchone()
    return None if row is None else _entry(row)


def snapshots(conn: sqlite3.Connection, entry_id: int) -> tuple[Snapshot, Snapshot]:
    before, after = conn.execute(
        "SELECT before, after FROM history WHERE id = ?", (entry_id,)
    ).fetchone()
    return from_blob(before), from_blob(after)


def mark(conn: sqlite3.Connection, entry_id: int, undone: bool) -> None:
    conn.execute("UPDATE history SET undone = ? WHERE id = ?", (int(undone), entry_id))
