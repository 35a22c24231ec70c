"""The visual projection W that turns a photo's pre-projection feature h into its embedding,
normalize(h @ W), and the library's versions of it.

ProLIP (core/model/prolip.py) retrains W from the user's examples; the library then recomputes every
stored embedding from its stored h by one matrix product, with no backbone pass. Version 0 is the
model's pretrained projection; models.projection holds the active one, which also embeds every
photo scanned later, and any earlier version can be made active again.

Every embedding, fresh from the encoder or recomputed here, goes through `project_rows`, which
projects each photo by its own vector-matrix product. In a matrix-matrix product OpenBLAS gives a
row different bits depending on where in the batch it sits (measured here: even in blocks of one
fixed shape), while one row times W always takes the same path: a photo's embedding never depends
on which photos shared its batch. That is what makes a recomputed embedding equal a fresh encode
and a revert restore embeddings bit for bit. It costs about 3x a single matrix product (measured
by bench/refine.py), still seconds for 100,000 photos.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from phototag.core.errors import UserError
from phototag.core.store import projections as projections_sql
from phototag.core.store.database import Store
from phototag.core.store.photos import ModelRow

RECOMPUTE_CHUNK = 4096  # rows read, projected and written back per step
PRETRAINED = 0


@dataclass(frozen=True)
class ProjectionVersion:
    version: int
    base: int | None
    """The version it was refined from (None for the pretrained projection)."""
    created_at: str
    note: str | None
    active: bool


def project_rows(features: np.ndarray, projection: np.ndarray) -> np.ndarray:
    """normalize(h @ W) for every row, float32, the same bits whatever the batch."""
    features = np.asarray(features, dtype=np.float32)
    projection = np.asarray(projection, dtype=np.float32)
    out = np.empty((len(features), projection.shape[1]), dtype=np.float32)
    for row, feature in enumerate(features):
        np.dot(feature, projection, out=out[row])
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    out /= np.where(norms == 0, 1, norms)
    return out


def active_projection(model: ModelRow) -> np.ndarray:
    """The models row's active projection as a (feature_dim, embed_dim) float32 array."""
    flat = np.frombuffer(model["projection"], dtype=np.float32)
    return flat.reshape(model["feature_dim"], model["embed_dim"]).copy()


def versions(store: Store, model: ModelRow) -> list[ProjectionVersion]:
    """Every stored version, oldest first; before any refinement, just the pretrained one."""
    rows = projections_sql.projection_rows(store, model["id"])
    if not rows:
        rows = [projections_sql.ProjectionRow(PRETRAINED, None, model["added_at"], None)]
    active = model["projection_version"]
    return [
        ProjectionVersion(r.version, r.base, r.created_at, r.note, active=r.version == active)
        for r in rows
    ]


def stored_projection(store: Store, model: ModelRow, version: int) -> np.ndarray:
    if version == model["projection_version"]:
        return active_projection(model)
    blob = projections_sql.projection_bytes(store, model["id"], version)
    if blob is None:
        raise UserError(f"no projection version {version} (see 'phototag refine --list')")
    flat = np.frombuffer(blob, dtype=np.float32)
    return flat.reshape(model["feature_dim"], model["embed_dim"]).copy()


def add_version(store: Store, model: ModelRow, projection: np.ndarray, note: str) -> int:
    """Store a refined projection as the next version, refined from the active one (call inside
    a transaction). The pretrained projection is kept as version 0 the first time."""
    projections_sql.keep_pretrained(
        store, model["id"], PRETRAINED, model["projection"], model["added_at"]
    )
    version = projections_sql.next_version(store, model["id"])
    projections_sql.add_projection(
        store,
        model["id"],
        version,
        model["projection_version"],
        np.asarray(projection, dtype=np.float32).tobytes(),
        note,
    )
    return version


def activate(
    store: Store,
    model: ModelRow,
    version: int,
    projection: np.ndarray,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Make a version the model's active projection and recompute every stored embedding of the
    model from its feature (call inside a transaction). Returns how many were recomputed."""
    total = projections_sql.count_embeddings(store, model["id"])
    done, after = 0, -1
    while True:
        # Keyset pages: each page is read completely before its rows are written back.
        rows = projections_sql.features_after(store, model["id"], after, RECOMPUTE_CHUNK)
        if not rows:
            break
        features = np.frombuffer(b"".join(r.feature for r in rows), dtype=np.float32)
        embeddings = project_rows(features.reshape(len(rows), -1), projection)
        projections_sql.replace_embeddings(
            store,
            model["id"],
            ((r.image_id, e.tobytes()) for r, e in zip(rows, embeddings, strict=True)),
        )
        done += len(rows)
        after = rows[-1].image_id
        if progress is not None:
            progress(done, total)
    projections_sql.set_active_projection(
        store, model["id"], version, np.asarray(projection, dtype=np.float32).tobytes()
    )
    return done
