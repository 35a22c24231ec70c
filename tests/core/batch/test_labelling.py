"""batch label's streaming: chunks across part files give what one pass over every row gives."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from phototag.core.batch.labelling import label_with, predictions
from phototag.core.batch.labelset import LabelSet
from phototag.core.interop.export import prediction_record
from phototag.core.labels.heads import Examples, get_method
from phototag.core.labels.heads.linear_probe import ProbeHead
from phototag.core.labels.scoring import ROW_CHUNK
from phototag.core.model.projection import project_rows

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

DIMS, FEATURES = 16, 20
PART_ROWS = 5000  # three parts: more rows than ROW_CHUNK, chunks cross part boundaries


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    rng = np.random.default_rng(7)
    features = rng.standard_normal((3 * PART_ROWS, FEATURES)).astype(np.float32)
    made = []
    for index, feature in enumerate(features):
        unreadable = index % 97 == 3
        made.append(
            {
                "shard": index // PART_ROWS,
                "path": f"/archive/{index:05d}.jpg",
                "content_hash": f"hash{index}",
                "error": "cannot decode" if unreadable else None,
                "in_library": not unreadable and index % 131 == 5,
                "feature": feature,
            }
        )
    return made


@pytest.fixture(scope="module")
def labels() -> LabelSet:
    rng = np.random.default_rng(11)
    probe = ProbeHead(
        rng.standard_normal(DIMS).astype(np.float32),
        -0.2,
        get_method("linear-probe"),
        Examples(np.empty((0, DIMS)), np.empty((0, DIMS))),
    )
    return LabelSet(
        model_key="tiny",
        projection=rng.standard_normal((FEATURES, DIMS)).astype(np.float32),
        names=["sea", "sky", "boat"],
        methods=["mwi", "mwi", "linear-probe"],
        weights=_unit(rng.standard_normal((3, DIMS))),
        thresholds=np.array([0.1, 0.3, 0.0]),
        slopes=np.array([20.0, 35.0, 8.0]),
        fitted={2: probe},
        examples=[{"hash10": 1, "hash12": -1}, {}, {"hash40": -1}],
    )


def _results(tmp_path: Path, rows: list[dict], projection: np.ndarray) -> Path:
    from phototag.core.batch.worker import row_schema

    out = tmp_path / "results"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"model_key": "tiny"}))
    np.save(out / "projection.npy", projection)
    embedded = project_rows(np.stack([r["feature"] for r in rows]), projection)
    for shard in range(3):
        part = []
        for row, embedding in zip(rows, embedded, strict=True):
            if row["shard"] == shard:
                readable = row["error"] is None and not row["in_library"]
                part.append(
                    {
                        **row,
                        "feature": row["feature"] if readable else None,
                        "embedding": embedding if readable else None,
                    }
                )
        table = pa.Table.from_pylist(part, schema=row_schema())
        pq.write_table(table, out / f"part-{shard:05d}.parquet")
    return out


def _in_one_pass(labels: LabelSet, rows: list[dict], projection: np.ndarray) -> dict[str, dict]:
    """Every embedded row scored in one matrix, as a library that imported them holds them."""
    kept = [r for r in rows if r["error"] is None and not r["in_library"]]
    embeddings = project_rows(np.stack([r["feature"] for r in kept]), projection)
    found = predictions(
        labels, [r["path"] for r in kept], [r["content_hash"] for r in kept], embeddings
    )
    return {p.path: prediction_record(p) for p in found}


def _jsonl(path: Path) -> dict[str, dict]:
    records = [json.loads(line) for line in path.read_text().splitlines()]
    return {r["path"]: r for r in records}


def test_streamed_chunks_across_parts_tag_as_one_pass_over_every_row(tmp_path, rows, labels):
    results = _results(tmp_path, rows, labels.projection)
    seen: list[tuple[int, int]] = []
    report = label_with(
        labels, results, tmp_path / "tags.jsonl", "jsonl", lambda d, t: seen.append((d, t))
    )
    expected = _in_one_pass(labels, rows, labels.projection)
    assert len(expected) > ROW_CHUNK
    assert report.photos == len(expected)
    assert report.unreadable == sum(r["error"] is not None for r in rows)
    assert report.in_library == sum(r["in_library"] for r in rows)
    assert seen[-1] == (len(rows), len(rows))
    assert len(seen) == -(-len(expected) // ROW_CHUNK) + 1  # each chunk of ROW_CHUNK rows, the end

    written = _jsonl(tmp_path / "tags.jsonl")
    assert written == expected
    assert written["/archive/00010.jpg"]["labels"]["sea"]["confirmed"] is True
    assert "sea" not in written["/archive/00012.jpg"]["labels"]
    assert any("boat" in r["labels"] for r in written.values())

    label_with(labels, results, tmp_path / "tags.parquet", "parquet")
    table = pq.read_table(tmp_path / "tags.parquet").to_pylist()
    as_records = {r["path"]: {"path": r["path"], "labels": dict(r["labels"])} for r in table}
    assert as_records == expected


def test_rows_embedded_in_another_projection_are_projected_again_from_their_features(
    tmp_path, rows, labels
):
    older = np.random.default_rng(3).standard_normal((FEATURES, DIMS)).astype(np.float32)
    results = _results(tmp_path, rows[:300], older)
    label_with(labels, results, tmp_path / "tags.jsonl", "jsonl")
    assert _jsonl(tmp_path / "tags.jsonl") == _in_one_pass(labels, rows[:300], labels.projection)
