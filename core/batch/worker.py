"""What one cluster node runs: the scan's steps for a shard of paths, without torch.

Each step is the local scan's own function, so a row carries the same bits or the same reason:
the stat checks and content hash of core/ingest/scan.py, decode_to_pixels (decode.py and the
pixel recipe of pixels.py), the ONNX tower on batches of scan.BATCH_SIZE, and project_rows with
the job's projection. ONNX Runtime gave bit-identical rows for batch sizes 1–16 and 1–2
threads on one CPU type, but promises nothing across CPU types, so a node first runs the tower
on the probe pixels and refuses to work when its output is not the manifest's fingerprint.
"""

from __future__ import annotations

import os
import socket
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from phototag.core.atomic import file_kind
from phototag.core.batch import job as jobs
from phototag.core.errors import EnvironmentProblem
from phototag.core.ingest.decode import REASON_EMPTY
from phototag.core.ingest.decode_pool import Pixels, decode_to_pixels
from phototag.core.ingest.hashing import content_hash
from phototag.core.ingest.scan import BATCH_SIZE, unreadable_reason
from phototag.core.model.backends import agreement, onnx_tower
from phototag.core.model.projection import project_rows

COLUMNS = (
    "shard",
    "path",
    "size",
    "mtime_ns",
    "content_hash",
    "width",
    "height",
    "taken_at",
    "error",
    "feature",
    "embedding",
    "agreement",
)


class NumericsDiffer(EnvironmentProblem):
    """A node whose tower output is not the manifest's: its embeddings would differ."""


def checked_agreement(
    fingerprint: np.ndarray, measured: np.ndarray, tolerance: float | None
) -> float:
    """1.0 for the same bits; else the least cosine, accepted only at or above --tolerance."""
    if measured.shape == fingerprint.shape and np.array_equal(measured, fingerprint):
        return 1.0
    cosine = agreement(measured, fingerprint) if measured.shape == fingerprint.shape else 0.0
    if tolerance is None or not cosine >= tolerance:
        raise NumericsDiffer(
            f"node {socket.gethostname()}: the image tower's numerics differ from the "
            f"library's machine (least cosine {cosine:.9f} on the probe); "
            "pass --tolerance COS to accept it"
        )
    return cosine


@dataclass(frozen=True)
class _Stated:
    path: str
    size: int
    mtime_ns: int


class ShardEmbedder:
    """A Ray Data actor: loads the job's tower once, checks its numerics, then embeds shards.

    Called with a batch of shards (columns shard, paths, reasons); returns one row a path."""

    def __init__(self, job_root: str, tolerance: float | None = None):
        self.job = jobs.load(Path(job_root))
        self.tower = onnx_tower(self.job.tower_path)
        self.projection = self.job.projection()
        self.recipe = self.job.recipe
        self.agreement = checked_agreement(
            self.job.fingerprint,
            jobs.fingerprint_of(self.job.tower_path, self.job.image_size),
            tolerance,
        )

    def __call__(self, batch: Any) -> Any:
        import pyarrow as pa

        rows: list[dict[str, Any]] = []
        for shard, paths, reasons in zip(
            batch.column("shard").to_pylist(),
            batch.column("paths").to_pylist(),
            batch.column("reasons").to_pylist(),
            strict=True,
        ):
            rows += self.embed_shard(shard, paths, reasons)
        return pa.Table.from_pylist(rows, schema=row_schema())

    def embed_shard(self, shard: int, paths: list[str], reasons: list[str | None]) -> list[dict]:
        rows: list[dict] = []
        decoded: list[tuple[_Stated, str, Pixels]] = []
        for path, reason in zip(paths, reasons, strict=True):
            outcome = reason or _read(path, self.recipe)
            if isinstance(outcome, str):
                rows.append(self._row(shard, path, error=outcome))
            else:
                decoded.append(outcome)
        for start in range(0, len(decoded), BATCH_SIZE):
            rows += self._embedded(shard, decoded[start : start + BATCH_SIZE])
        return rows

    def _embedded(self, shard: int, batch: list[tuple[_Stated, str, Pixels]]) -> list[dict]:
        crops = np.stack([pixels.crop for _, _, pixels in batch])
        features = self.tower(self.recipe.normalize(crops))
        if self.job.manifest["appends_one"]:
            features = np.hstack([features, np.ones((len(features), 1), features.dtype)])
        embeddings = project_rows(features, self.projection)
        return [
            self._row(
                shard,
                stated.path,
                size=stated.size,
                mtime_ns=stated.mtime_ns,
                content_hash=digest,
                width=pixels.width,
                height=pixels.height,
                taken_at=pixels.taken_at,
                feature=feature,
                embedding=embedding,
            )
            for (stated, digest, pixels), feature, embedding in zip(
                batch, features, embeddings, strict=True
            )
        ]

    def _row(self, shard: int, path: str, **values: Any) -> dict:
        row = dict.fromkeys(COLUMNS)
        row.update(shard=shard, path=path, agreement=self.agreement, **values)
        return row


def _read(path: str, recipe) -> str | tuple[_Stated, str, Pixels]:
    """The scan's checks in the scan's order: stat, regular and non-empty, hash, decode."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            return f"not a regular file ({file_kind(info.st_mode)})"
        if info.st_size == 0:
            return REASON_EMPTY
        digest = content_hash(Path(path))
    except OSError as exc:
        return unreadable_reason(exc)
    pixels = decode_to_pixels(path, recipe)
    if isinstance(pixels, str):
        return pixels
    return _Stated(path, info.st_size, info.st_mtime_ns), digest, pixels


def row_schema() -> Any:
    """Embeddings as lists of float32, so a Parquet reader gets the stored bits back."""
    import pyarrow as pa

    vector = pa.list_(pa.float32())
    return pa.schema(
        [
            ("shard", pa.int32()),
            ("path", pa.string()),
            ("size", pa.int64()),
            ("mtime_ns", pa.int64()),
            ("content_hash", pa.string()),
            ("width", pa.int32()),
            ("height", pa.int32()),
            ("taken_at", pa.string()),
            ("error", pa.string()),
            ("feature", vector),
            ("embedding", vector),
            ("agreement", pa.float64()),
        ]
    )
