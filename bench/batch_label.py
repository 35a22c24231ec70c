"""`phototag batch label` on synthetic batch results: rows/s, and how much a row's place matters.

Writes ROWS embedded rows (512 wide, as ViT-B/32's) as `batch embed` writes them, in parts of
PART_ROWS rows (a shard each), then tags them with LABELS MWI labels into JSON lines and into
Parquet, printing rows/s of each with the load average (every figure measured in one run). Then
scores the same rows in reverse order and prints how many cosines got other bits, and how many
of predict's 4-decimal scores moved: the difference between a photo's score in a batch run and
in a library that holds it at another place in its matrix.

    .venv/bin/python bench/batch_label.py [--rows 50000] [--part-rows 64] [--labels 20]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from phototag.core.batch.labelling import label_with
from phototag.core.batch.labelset import LabelSet
from phototag.core.batch.worker import row_schema
from phototag.core.labels.scoring import EmbeddingMatrix
from phototag.core.labels.thresholds import probability

DIMS = 512


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def write_results(root: Path, embeddings: np.ndarray, part_rows: int) -> Path:
    results = root / "results"
    results.mkdir()
    (results / "manifest.json").write_text(json.dumps({"model_key": "bench"}))
    np.save(results / "projection.npy", np.eye(DIMS, dtype=np.float32))
    for shard, start in enumerate(range(0, len(embeddings), part_rows)):
        rows = [
            {
                "shard": shard,
                "path": f"/archive/{start + i:07d}.jpg",
                "content_hash": f"{start + i:064x}",
                "embedding": embedding,
                "in_library": False,
            }
            for i, embedding in enumerate(embeddings[start : start + part_rows])
        ]
        table = pa.Table.from_pylist(rows, schema=row_schema())
        pq.write_table(table, results / f"part-{shard:05d}.parquet")
    return results


def labels_of(count: int, rng: np.random.Generator) -> LabelSet:
    return LabelSet(
        model_key="bench",
        projection=np.eye(DIMS, dtype=np.float32),
        names=[f"label{i}" for i in range(count)],
        methods=["mwi"] * count,
        weights=unit(rng.standard_normal((count, DIMS))),
        thresholds=np.full(count, 0.05),
        slopes=np.full(count, 30.0),
        fitted={},
        examples=[{} for _ in range(count)],
    )


def timed(labels: LabelSet, results: Path, out: Path, fmt: str) -> float:
    started = time.perf_counter()
    label_with(labels, results, out, fmt)
    return time.perf_counter() - started


def place_matters(labels: LabelSet, embeddings: np.ndarray) -> tuple[float, float, int]:
    """(share of cosines with other bits, largest difference, printed scores that moved)."""
    forward = EmbeddingMatrix(np.arange(len(embeddings)), embeddings).scores(labels.weights)
    reverse = EmbeddingMatrix(np.arange(len(embeddings)), embeddings[::-1].copy())
    backward = reverse.scores(labels.weights)[::-1]
    printed = [
        np.round(probability(s, labels.thresholds[None, :], labels.slopes[None, :]), 4)
        for s in (forward, backward)
    ]
    moved = int((printed[0] != printed[1]).sum())
    return float((forward != backward).mean()), float(np.abs(forward - backward).max()), moved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--part-rows", type=int, default=64)
    parser.add_argument("--labels", type=int, default=20)
    options = parser.parse_args()
    rng = np.random.default_rng(0)
    embeddings = unit(rng.standard_normal((options.rows, DIMS)))
    labels = labels_of(options.labels, rng)
    with tempfile.TemporaryDirectory(prefix="phototag-bench-label-") as folder:
        root = Path(folder)
        results = write_results(root, embeddings, options.part_rows)
        seconds = {
            fmt: timed(labels, results, root / f"tags.{fmt}", fmt) for fmt in ("jsonl", "parquet")
        }
    share, largest, moved = place_matters(labels, embeddings)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"{options.rows} rows in parts of {options.part_rows}, {options.labels} labels")
    for fmt, took in seconds.items():
        print(f"batch label --format {fmt}: {took:.2f} s, {options.rows / took:,.0f} rows/s")
    print(
        f"rows scored elsewhere in the matrix: {share:.0%} of cosines other bits (at most "
        f"{largest:.1e}), {moved} of {options.rows * options.labels} printed scores moved"
    )
    print(f"load average {load}")


if __name__ == "__main__":
    main()
