"""The statements behind the versions of a model's visual projection (core/model/projection.py):
table projections, the model's active projection, and the stored features and embeddings a
change of projection recomputes.

Projections travel as float32 bytes, as they are stored. No function here opens a
transaction: a refinement or a revert stores, activates and recomputes in one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from phototag.core.store.database import Store, now


@dataclass(frozen=True)
class ProjectionRow:
    """One stored version of a model's projection, without the matrix itself."""

    version: int
    base: int | None
    created_at: str
    note: str | None


@dataclass(frozen=True)
class StoredFeature:
    """A photo's pre-projection feature as the scan stored it (float32 bytes)."""

    image_id: int
    feature: bytes


def projection_rows(store: Store, model_id: int) -> list[ProjectionRow]:
    """The model's stored versions, oldest first (none before the first refinement)."""
    found = store.query(
        "SELECT version, base, created_at, note FROM projections WHERE model_id = ? "
        "ORDER BY version",
        (model_id,),
    )
    return [ProjectionRow(**row) for row in found]


def projection_bytes(store: Store, model_id: int, version: int) -> bytes | None:
    return store.scalar(
        "SELECT projection FROM projections WHERE model_id = ? AND version = ?",
        (model_id, version),
    )


def keep_pretrained(
    store: Store, model_id: int, version: int, projection: bytes, added_at: str
) -> None:
    """Store the pretrained projection as `version`, unless it is stored already."""
    store.conn.execute(
        "INSERT OR IGNORE INTO projections(model_id, version, base, projection, created_at, note) "
        "VALUES (?, ?, NULL, ?, ?, 'pretrained')",
        (model_id, version, projection, added_at),
    )


def next_version(store: Store, model_id: int) -> int:
    """One past the newest stored version (keep the pretrained one first: it is version 0)."""
    newest = store.scalar("SELECT MAX(version) FROM projections WHERE model_id = ?", (model_id,))
    return 0 if newest is None else newest + 1


def add_projection(
    store: Store, model_id: int, version: int, base: int, projection: bytes, note: str
) -> None:
    """A refined projection, made from version `base`."""
    store.conn.execute(
        "INSERT INTO projections(model_id, version, base, projection, created_at, note) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (model_id, version, base, projection, now(), note),
    )


def count_embeddings(store: Store, model_id: int) -> int:
    return store.scalar("SELECT COUNT(*) FROM embeddings WHERE model_id = ?", (model_id,))


def features_after(store: Store, model_id: int, after: int, limit: int) -> list[StoredFeature]:
    """A keyset page: up to `limit` features of the model's photos with image_id > after, in
    image_id order, read completely before anything is written back."""
    found = store.conn.execute(
        "SELECT image_id, feature FROM embeddings WHERE model_id = ? AND image_id > ? "
        "ORDER BY image_id LIMIT ?",
        (model_id, after, limit),
    ).fetchall()
    return [StoredFeature(image_id, feature) for image_id, feature in found]


def replace_embeddings(
    store: Store, model_id: int, embeddings: Iterable[tuple[int, bytes]]
) -> None:
    """Overwrite the model's embeddings of these photos: (image_id, float32 bytes) pairs."""
    store.conn.executemany(
        "UPDATE embeddings SET embedding = ? WHERE image_id = ? AND model_id = ?",
        ((embedding, image_id, model_id) for image_id, embedding in embeddings),
    )


def set_active_projection(store: Store, model_id: int, version: int, projection: bytes) -> None:
    """The projection the model embeds with from now on (models.projection), and its version."""
    store.conn.execute(
        "UPDATE models SET projection = ?, projection_version = ? WHERE id = ?",
        (projection, version, model_id),
    )
