"""`phototag export --format parquet`: every present file's embedding, for comparing a batch
run with a local scan (or for tools of one's own). Columns: path, content_hash, model_key,
embedding (a list of float32: the stored bits). pyarrow comes with `phototag[cluster]`."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from phototag.core.atomic import replacing
from phototag.core.errors import EnvironmentProblem
from phototag.core.store.batch import EmbeddedFile


def write_embeddings(out: Path, model_key: str, rows: list[EmbeddedFile]) -> int:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise EnvironmentProblem(
            "--format parquet needs pyarrow: pip install 'phototag[cluster]'"
        ) from None
    vectors = [np.frombuffer(row.embedding, dtype=np.float32) for row in rows]
    table = pa.table(
        {
            "path": pa.array([row.path for row in rows], pa.string()),
            "content_hash": pa.array([row.content_hash for row in rows], pa.string()),
            "model_key": pa.array([model_key] * len(rows), pa.string()),
            "embedding": pa.array(vectors, pa.list_(pa.float32())),
        }
    )
    with replacing(out) as temporary:
        pq.write_table(table, temporary)
    return len(rows)
