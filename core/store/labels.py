"""The user's labels and examples, and what is derived from them per model (imprint weights,
stored non-MWI heads, imported classifier packs): every SQL statement about labels lives here.

Examples are the precious part; weights and heads are caches that any re-fit rewrites.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from phototag.core.store.database import Store, now


@dataclass(frozen=True)
class LabelRow:
    id: int
    name: str
    prompt: str | None
    threshold: float | None
    """The user's own threshold; None follows the automatic one."""
    method: str | None
    """The label's own method; None follows the library's."""


@dataclass(frozen=True)
class ExampleCounts:
    """A label's decisions on photos a present file shows, and on missing photos apart."""

    confirmed: int
    rejected: int
    missing_confirmed: int = 0
    missing_rejected: int = 0


@dataclass(frozen=True)
class SavedWeights:
    """A label's imprint and calibration for one model, as the last re-fit left them."""

    pos_sum: np.ndarray
    n_pos: int
    prior: np.ndarray | None
    threshold: float
    slope: float


@dataclass(frozen=True)
class StoredHead:
    """A fitted non-MWI head, valid only for the inputs whose digest it carries."""

    method: str
    examples_digest: str
    blob: bytes


@dataclass(frozen=True)
class PackRow:
    """An imported classifier pack: the user's decision, so kept apart from label_weights."""

    weight: np.ndarray
    strength: float
    n_pos: int
    threshold: float
    slope: float
    meta: str


_LABEL_COLUMNS = "id, name, prompt, threshold, method"


def _label(row: tuple) -> LabelRow:
    return LabelRow(*row)


def label_named(store: Store, name: str) -> LabelRow | None:
    """The label of that name (names compare case-insensitively), if there is one."""
    row = store.conn.execute(
        f"SELECT {_LABEL_COLUMNS} FROM labels WHERE name = ?", (name,)
    ).fetchone()
    return None if row is None else _label(row)


def all_labels(store: Store, by_name: bool = False) -> list[LabelRow]:
    """Every label, in creation order (the heads' order) or by name for people."""
    order = "name COLLATE NOCASE" if by_name else "id"
    rows = store.conn.execute(f"SELECT {_LABEL_COLUMNS} FROM labels ORDER BY {order}")
    return [_label(row) for row in rows.fetchall()]


def insert_label(conn: sqlite3.Connection, name: str, prompt: str | None = None) -> int:
    """Create a label (inside the caller's transaction); returns its id."""
    cursor = conn.execute(
        "INSERT INTO labels(name, created_at, prompt) VALUES (?, ?, ?)", (name, now(), prompt)
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def delete_label(store: Store, label_id: int) -> None:
    """Remove a label; its examples, weights and heads go with it (ON DELETE CASCADE)."""
    with store.transaction() as conn:
        conn.execute("DELETE FROM labels WHERE id = ?", (label_id,))


def rename_label(store: Store, label_id: int, name: str) -> None:
    with store.transaction() as conn:
        conn.execute("UPDATE labels SET name = ? WHERE id = ?", (name, label_id))


def set_label_threshold(store: Store, label_id: int, threshold: float | None) -> None:
    with store.transaction() as conn:
        conn.execute("UPDATE labels SET threshold = ? WHERE id = ?", (threshold, label_id))


def set_label_prompt(conn: sqlite3.Connection, label_id: int, prompt: str) -> None:
    """A new prompt, inside the caller's transaction; the label's weights, which hold the old
    prompt's embedding as their prior, go with it, so the next load imprints them afresh."""
    conn.execute("UPDATE labels SET prompt = ? WHERE id = ?", (prompt, label_id))
    conn.execute("DELETE FROM label_weights WHERE label_id = ?", (label_id,))
    conn.execute("DELETE FROM label_heads WHERE label_id = ?", (label_id,))


def set_label_method(conn: sqlite3.Connection, label_id: int, method: str | None) -> None:
    """Inside the caller's transaction, which refits the label with it."""
    conn.execute("UPDATE labels SET method = ? WHERE id = ?", (method, label_id))


def example_counts(store: Store) -> dict[int, ExampleCounts]:
    """Per label id, how many photos the user confirmed and rejected: those a present file
    shows (what `predict` and the browser show), and apart those no present file shows (kept
    until a purge, and back as soon as their folder is)."""
    rows = store.conn.execute(
        "SELECT label_id, SUM(polarity = 1 AND shown), SUM(polarity = -1 AND shown), "
        "SUM(polarity = 1 AND NOT shown), SUM(polarity = -1 AND NOT shown) FROM ("
        " SELECT label_id, polarity, EXISTS(SELECT 1 FROM files WHERE files.image_id = "
        " examples.image_id AND files.status = 'ok') AS shown FROM examples"
        ") GROUP BY label_id"
    ).fetchall()
    return {row[0]: ExampleCounts(*(int(n or 0) for n in row[1:])) for row in rows}


def examples_of(store: Store, label_id: int) -> dict[int, int]:
    """The label's examples as image id -> polarity (+1 confirmed, -1 rejected)."""
    rows = store.conn.execute(
        "SELECT image_id, polarity FROM examples WHERE label_id = ? ORDER BY image_id",
        (label_id,),
    )
    return dict(rows.fetchall())


def write_examples(
    conn: sqlite3.Connection,
    label_id: int,
    changes: dict[int, int],
    suggested: Collection[int] = (),
) -> None:
    """Record decisions (polarity 0 withdraws one) inside the caller's transaction; `suggested`
    are the photos the model gave the label when the user decided them."""
    for image, polarity in changes.items():
        if polarity == 0:
            conn.execute(
                "DELETE FROM examples WHERE label_id = ? AND image_id = ?", (label_id, image)
            )
        else:
            conn.execute(
                "INSERT INTO examples(label_id, image_id, polarity, source, created_at, "
                "suggested) VALUES (?, ?, ?, 'user', ?, ?) ON CONFLICT(label_id, image_id) "
                "DO UPDATE SET polarity = excluded.polarity, created_at = excluded.created_at, "
                "suggested = excluded.suggested",
                (label_id, image, polarity, now(), int(image in suggested)),
            )


@dataclass(frozen=True)
class ReviewedSuggestions:
    """Of the photos the model suggested for a label and the user then decided: how many
    the user confirmed and how many they rejected."""

    confirmed: int
    rejected: int


def reviewed_suggestions(store: Store) -> dict[int, ReviewedSuggestions]:
    """Per label id, the user's verdicts on the model's suggestions."""
    rows = store.conn.execute(
        "SELECT label_id, SUM(polarity = 1), SUM(polarity = -1) FROM examples "
        "WHERE suggested = 1 GROUP BY label_id"
    ).fetchall()
    return {label: ReviewedSuggestions(int(pos or 0), int(neg or 0)) for label, pos, neg in rows}


def saved_weights(store: Store, model_id: int) -> dict[int, SavedWeights]:
    """Per label id, its weights for the model as last saved."""
    rows = store.conn.execute(
        "SELECT label_id, pos_sum, n_pos, prior, threshold, slope FROM label_weights "
        "WHERE model_id = ?",
        (model_id,),
    ).fetchall()
    return {
        label: SavedWeights(
            np.frombuffer(pos_sum, np.int64).copy(),
            n_pos,
            None if prior is None else np.frombuffer(prior, np.float32),
            threshold,
            slope,
        )
        for label, pos_sum, n_pos, prior, threshold, slope in rows
    }


def save_weights(
    conn: sqlite3.Connection,
    label_id: int,
    model_id: int,
    weight: np.ndarray | None,
    weights: SavedWeights,
) -> None:
    """Replace a label's weights for the model, inside the caller's transaction."""
    conn.execute(
        "INSERT OR REPLACE INTO label_weights(label_id, model_id, weight, pos_sum, n_pos, "
        "prior, threshold, slope, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            label_id,
            model_id,
            None if weight is None else np.asarray(weight, np.float32).tobytes(),
            np.asarray(weights.pos_sum, np.int64).tobytes(),
            weights.n_pos,
            None if weights.prior is None else np.asarray(weights.prior, np.float32).tobytes(),
            weights.threshold,
            weights.slope,
            now(),
        ),
    )


def stored_heads(store: Store, model_id: int) -> dict[int, StoredHead]:
    """Per label id, the non-MWI head last fitted for the model."""
    rows = store.conn.execute(
        "SELECT label_id, method, examples_digest, blob FROM label_heads WHERE model_id = ?",
        (model_id,),
    ).fetchall()
    return {label: StoredHead(method, digest, blob) for label, method, digest, blob in rows}


def save_head(conn: sqlite3.Connection, label_id: int, model_id: int, head: StoredHead) -> None:
    """Replace a label's stored head for the model, inside the caller's transaction."""
    conn.execute(
        "INSERT OR REPLACE INTO label_heads(label_id, model_id, method, examples_digest, blob, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        (label_id, model_id, head.method, head.examples_digest, head.blob, now()),
    )


def imported_pack(store: Store, label_id: int, model_key: str) -> PackRow | None:
    """The label's imported classifier for that model, if it has one."""
    row = store.conn.execute(
        "SELECT weight, strength, n_pos, threshold, slope, meta FROM label_packs "
        "WHERE label_id = ? AND model_key = ?",
        (label_id, model_key),
    ).fetchone()
    if row is None:
        return None
    weight, strength, n_pos, threshold, slope, meta = row
    return PackRow(np.frombuffer(weight, np.float32), strength, n_pos, threshold, slope, meta)


def insert_pack(
    conn: sqlite3.Connection,
    label_id: int,
    model_key: str,
    projection_version: int,
    pack: PackRow,
) -> None:
    """Store an imported classifier for a new label, inside the caller's transaction."""
    conn.execute(
        "INSERT INTO label_packs(label_id, model_key, projection_version, weight, strength, "
        "n_pos, threshold, slope, meta, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            label_id,
            model_key,
            projection_version,
            np.asarray(pack.weight, np.float32).tobytes(),
            pack.strength,
            pack.n_pos,
            pack.threshold,
            pack.slope,
            pack.meta,
            now(),
        ),
    )
