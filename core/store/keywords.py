"""The statements keyword import and export (core/interop/keywords.py) run: which keywords
Phototag wrote where (table xmp_written), the label tree, and the examples an import adds.

No function here opens a transaction: an import learns every photo's keywords in one, and
each sidecar's record of what Phototag wrote is replaced in one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from phototag.core.store.database import Store, now


@dataclass(frozen=True)
class LabelNode:
    """A label and the label above it in the tree (None at the top)."""

    id: int
    name: str
    parent: int | None


@dataclass(frozen=True)
class WrittenKeyword:
    """A keyword Phototag wrote into one field of a sidecar (or of a photo, when embedding)."""

    field: str
    keyword: str


def label_tree(store: Store) -> list[LabelNode]:
    return [LabelNode(**row) for row in store.query("SELECT id, name, parent FROM labels")]


def label_named(store: Store, name: str) -> LabelNode | None:
    """The label of that name (names compare without case, as the labels table says)."""
    found = store.query("SELECT id, name, parent FROM labels WHERE name = ?", (name,))
    return LabelNode(**found[0]) if found else None


def label_parent(store: Store, label_id: int) -> int | None:
    return store.scalar("SELECT parent FROM labels WHERE id = ?", (label_id,))


def create_label(store: Store, name: str, parent: int | None) -> int:
    """A new label below parent (None: at the top); returns its id."""
    store.conn.execute(
        "INSERT INTO labels(name, created_at, parent) VALUES (?, ?, ?)", (name, now(), parent)
    )
    created = label_named(store, name)
    assert created is not None, "the row was written just above"
    return created.id


def set_label_parent(store: Store, label_id: int, parent: int) -> None:
    store.conn.execute("UPDATE labels SET parent = ? WHERE id = ?", (parent, label_id))


def example_polarity(store: Store, label_id: int, image_id: int) -> int | None:
    """1 or -1 when the photo is an example for the label, None when it is neither."""
    return store.scalar(
        "SELECT polarity FROM examples WHERE label_id = ? AND image_id = ?", (label_id, image_id)
    )


def add_imported_example(store: Store, label_id: int, image_id: int) -> None:
    """A positive example that came from a keyword (source 'import', not the user's click)."""
    store.conn.execute(
        "INSERT INTO examples(label_id, image_id, polarity, source, created_at) "
        "VALUES (?, ?, 1, 'import', ?)",
        (label_id, image_id, now()),
    )


def keywords_written_to(store: Store, path: str) -> list[WrittenKeyword]:
    return [
        WrittenKeyword(**row)
        for row in store.query("SELECT field, keyword FROM xmp_written WHERE path = ?", (path,))
    ]


def replace_keywords_written_to(store: Store, path: str, written: Iterable[WrittenKeyword]) -> None:
    """What Phototag wrote to path is now exactly `written` (call inside a transaction)."""
    store.conn.execute("DELETE FROM xmp_written WHERE path = ?", (path,))
    store.conn.executemany(
        "INSERT INTO xmp_written(path, field, keyword) VALUES (?, ?, ?)",
        [(path, row.field, row.keyword) for row in written],
    )
