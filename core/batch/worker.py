"""What one cluster node runs: the scan's steps for a shard of paths, without torch.

Each step is the local scan's own function, so a row carries the same bits or the same reason:
the stat checks and content hash of core/ingest/scan.py, decode_to_pixels (decode.py and the
pixel recipe of pixels.py), the ONNX tower on batches of scan.BATCH_SIZE, and project_rows with
the job's projection. ONNX Runtime gave bit-identical rows for batch sizes 1–16 and 1–2
threads on one CPU type, but promises nothing across CPU types, so a node first measures the
numerics fingerprint (numerics.py: the probe pixels and the golden photos) and refuses to work
when it is not the manifest's. A file whose content the library has already (the same content
hash under another path: moved or copied) is hashed but neither decoded nor embedded: its row
says `in_library`, and `batch import` links the path to the library's photo, as a scan does.
An s3:// path is read by the node itself (sources.read_photo: the same checks, hash and decode
on the object's bytes); the S3 filesystem is made on the first such path only.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import numpy as np

from phototag.core.atomic import file_kind
from phototag.core.batch import job as jobs
from phototag.core.batch import sources
from phototag.core.batch.numerics import checked_agreement, embed_crops, golden_embeddings
from phototag.core.batch.sources import Stated
from phototag.core.ingest.decode import REASON_EMPTY
from phototag.core.ingest.decode_pool import Pixels, decode_to_pixels
from phototag.core.ingest.hashing import content_hash
from phototag.core.ingest.scan import BATCH_SIZE, unreadable_reason
from phototag.core.model.backends import onnx_tower

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
    "in_library",
)


class ShardEmbedder:
    """A Ray Data actor: loads the job's tower once, checks its numerics, then embeds shards.

    Called with a batch of shards (columns shard, paths, reasons); returns one row a path."""

    def __init__(
        self, job_root: str, tolerance: float | None = None, s3_endpoint: str | None = None
    ):
        self.job = jobs.load(Path(job_root))
        self.s3_endpoint = s3_endpoint
        self.tower = onnx_tower(self.job.tower_path)
        self.projection = self.job.projection()
        self.recipe = self.job.recipe
        self.known_content = self.job.known_content()
        self.appends_one = bool(self.job.manifest["appends_one"])
        probe = jobs.fingerprint_of(self.tower, self.job.image_size)
        golden = golden_embeddings(self.tower, self.recipe, self.appends_one, self.projection)
        self.agreement = checked_agreement(
            {"probe": (self.job.fingerprint, probe), "golden photos": (self.job.golden, golden)},
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
        decoded: list[tuple[Stated, str, Pixels]] = []
        for path, reason in zip(paths, reasons, strict=True):
            outcome = reason or self._read(path)
            if isinstance(outcome, str):
                rows.append(self._row(shard, path, error=outcome))
                continue
            stated, digest, pixels = outcome
            if pixels is None:
                rows.append(self._in_library(shard, stated, digest))
            else:
                decoded.append((stated, digest, pixels))
        for start in range(0, len(decoded), BATCH_SIZE):
            rows += self._embedded(shard, decoded[start : start + BATCH_SIZE])
        return rows

    def _read(self, path: str) -> str | tuple[Stated, str, Pixels | None]:
        if sources.is_object_url(path):
            store = sources.filesystem(self.s3_endpoint)
            return sources.read_photo(store, path, self.recipe, self.known_content)
        return _read_file(path, self.recipe, self.known_content)

    def _embedded(self, shard: int, batch: list[tuple[Stated, str, Pixels]]) -> list[dict]:
        crops = np.stack([pixels.crop for _, _, pixels in batch])
        features, embeddings = embed_crops(
            self.tower, self.recipe, self.appends_one, self.projection, crops
        )
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

    def _in_library(self, shard: int, stated: Stated, digest: str) -> dict:
        return self._row(
            shard,
            stated.path,
            size=stated.size,
            mtime_ns=stated.mtime_ns,
            content_hash=digest,
            in_library=True,
        )

    def _row(self, shard: int, path: str, **values: Any) -> dict:
        row = dict.fromkeys(COLUMNS)
        row.update(shard=shard, path=path, agreement=self.agreement, in_library=False)
        row.update(values)
        return row


def _read_file(
    path: str, recipe, known_content: frozenset[str]
) -> str | tuple[Stated, str, Pixels | None]:
    """The scan's checks in the scan's order: stat, regular and non-empty, hash, decode (no
    pixels for content the library has already)."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            return f"not a regular file ({file_kind(info.st_mode)})"
        if info.st_size == 0:
            return REASON_EMPTY
        digest = content_hash(Path(path))
    except OSError as exc:
        return unreadable_reason(exc)
    if digest in known_content:
        return Stated(path, info.st_size, info.st_mtime_ns), digest, None
    pixels = decode_to_pixels(path, recipe)
    if isinstance(pixels, str):
        return pixels
    return Stated(path, info.st_size, info.st_mtime_ns), digest, pixels


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
            ("in_library", pa.bool_()),
        ]
    )
