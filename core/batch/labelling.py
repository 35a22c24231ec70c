"""`phototag batch label`: tags at scale from the embeddings `batch embed` wrote.

The labels are a library's, or a job's prepared with them (labelset.py). Each output row is the
record `predict --json` prints for a photo (interop/export.prediction_record: path and the
labels it carries, each with its score and whether the user confirmed it), scored and decided
as `predict` decides: MWI weights multiplied in scoring.EmbeddingMatrix's fixed blocks, fitted
heads scoring themselves, the library's thresholds and slopes, and the user's confirmations and
rejections found by content hash. The rows are scored in the order a library importing them
holds them, ROW_CHUNK at a time, so the scores are predict's bit for bit on a library that
imported RESULTS alone, each content once (tests/e2e/test_batch_label.py). Elsewhere in a
matrix a row can get another last bit, as OpenBLAS's sgemm gives a row other bits at another
place in a product:
by bench/batch_label.py (50,000 rows, 20 labels), 12% of the cosines differ, by at most 1.3e-7,
which moved 74 of predict's 1,000,000 4-decimal scores.

No Ray: the rows are embedded already and tagging them is one matrix product a chunk. One core
tags 23,000 rows/s into JSON lines and 32,000 into Parquet (bench/batch_label.py, load average
6.2), against about 5 photos/s a core for `batch embed`: tagging a job costs under a thousandth
of embedding it, and Ray would only add its ~5 s start and a cluster to reach. Rows are read
ROW_CHUNK at a time across the part files (a part holds one shard, 64 rows by default, and a
product that short would still cost a padded ROW_CHUNK product): memory holds one chunk, never
the whole job. Rows without an embedding (unreadable files, and files whose content the job's
library had already: `predict` tags those) are counted, not listed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from phototag.core.atomic import replacing
from phototag.core.batch import job as jobs
from phototag.core.batch.embed import manifest_of
from phototag.core.batch.labelset import LabelSet
from phototag.core.browse import LabelScore, Prediction
from phototag.core.errors import EnvironmentProblem, UserError
from phototag.core.interop.export import prediction_record
from phototag.core.labels.scoring import ROW_CHUNK, EmbeddingMatrix
from phototag.core.labels.thresholds import probability
from phototag.core.model.projection import project_rows
from phototag.core.store.database import DB_NAME

FORMATS = ("parquet", "jsonl")
Progress = Callable[[int, int], None]


@dataclass
class LabelReport:
    photos: int = 0
    in_library: int = 0
    unreadable: int = 0


def labels_at(source: Path) -> LabelSet:
    """The labels of the job or the library at source."""
    if (source / jobs.MANIFEST).exists():
        return jobs.load(source).labels()
    if not (source / DB_NAME).exists():
        raise UserError(f"{source} is neither a prepared batch job nor a library")
    from phototag.core.library import Library  # the facade imports this package

    with Library(source) as library:
        return library.batch_labels()


def label(
    source: Path, results: Path, out: Path, fmt: str = "parquet", progress: Progress | None = None
) -> LabelReport:
    """Tag every embedded row of `results` with the labels at `source`, written to `out`."""
    _pyarrow()
    if fmt not in FORMATS:
        raise UserError(f"--format is one of {', '.join(FORMATS)}, not {fmt!r}")
    if not any(results.glob("part-*.parquet")):
        raise UserError(f"no batch results in {results}")
    return label_with(labels_at(source), results, out, fmt, progress)


def label_with(
    labels: LabelSet, results: Path, out: Path, fmt: str, progress: Progress | None = None
) -> LabelReport:
    pa, pq = _pyarrow()
    parts = sorted(results.glob("part-*.parquet"))
    reproject = _projection_for(labels, results)
    total = sum(pq.ParquetFile(p).metadata.num_rows for p in parts)
    report = LabelReport()
    with _writer(fmt, out) as write:
        for chunk in _embedded_chunks(pa, pq, parts, reproject is not None, report):
            embeddings = _embeddings(chunk, "embedding")
            if reproject is not None:
                embeddings = project_rows(_embeddings(chunk, "feature"), reproject)
            paths = chunk.column("path").to_pylist()
            hashes = chunk.column("content_hash").to_pylist()
            write(list(predictions(labels, paths, hashes, embeddings)))
            report.photos += len(paths)
            if progress is not None:
                progress(report.photos + report.in_library + report.unreadable, total)
    if progress is not None:
        progress(total, total)  # rows after the last chunk had no embedding
    return report


def predictions(
    labels: LabelSet, paths: list[str], hashes: list[str], embeddings: np.ndarray
) -> Iterator[Prediction]:
    """Each photo with the labels it carries, as Browser.predictions gives them."""
    scores = EmbeddingMatrix(np.arange(len(paths)), embeddings).scores(labels.weights)
    for column, head in labels.fitted.items():
        scores[:, column] = head.scores(embeddings)
    shown = scores >= labels.thresholds[None, :]
    confirmed = np.zeros_like(shown)
    for row, digest in enumerate(hashes):
        for label, sign in labels.examples_of(digest):
            shown[row, label] = confirmed[row, label] = sign == 1
    probabilities = probability(scores, labels.thresholds[None, :], labels.slopes[None, :])
    for row, path in enumerate(paths):
        carried = {}
        for column in np.flatnonzero(shown[row]).tolist():
            score = round(float(probabilities[row, column]), 4)
            carried[labels.names[column]] = LabelScore(score, bool(confirmed[row, column]))
        yield Prediction(path, carried)


def _projection_for(labels: LabelSet, results: Path) -> np.ndarray | None:
    """None when the rows were embedded in the labels' projection; else the projection to make
    their embeddings again from their features (as `batch import` does)."""
    manifest = manifest_of(results)
    if manifest["model_key"] != labels.model_key:
        raise UserError(
            f"{results} was embedded with {manifest['model_key']}, the labels are for "
            f"{labels.model_key}"
        )
    same = np.array_equal(np.load(results / jobs.PROJECTION), labels.projection)
    return None if same else labels.projection


def _embedded_chunks(pa, pq, parts: list[Path], features: bool, report: LabelReport):
    """The rows with an embedding, ROW_CHUNK at a time (the last chunk shorter), across parts;
    the others are counted in the report."""
    columns = ["path", "content_hash", "error", "in_library", "embedding"]
    columns += ["feature"] if features else []
    pending: list[Any] = []
    count = 0
    for part in parts:
        for batch in pq.ParquetFile(part).iter_batches(batch_size=ROW_CHUNK, columns=columns):
            kept = batch.filter(_has_embedding(batch, report))
            pending.append(kept)
            count += kept.num_rows
            while count >= ROW_CHUNK:
                table = pa.Table.from_batches(pending)
                yield table.slice(0, ROW_CHUNK)
                rest = table.slice(ROW_CHUNK)
                pending, count = rest.to_batches(), rest.num_rows
    if count:
        yield pa.Table.from_batches(pending)


def _has_embedding(batch: Any, report: LabelReport) -> Any:
    import pyarrow.compute as compute

    unreadable = compute.is_valid(batch.column("error"))
    known = compute.and_not(compute.fill_null(batch.column("in_library"), False), unreadable)
    report.unreadable += compute.sum(unreadable).as_py() or 0
    report.in_library += compute.sum(known).as_py() or 0
    return compute.invert(compute.or_(unreadable, known))


def _embeddings(chunk: Any, column: str) -> np.ndarray:
    vectors = chunk.column(column).combine_chunks()
    flat = vectors.flatten().to_numpy(zero_copy_only=False)
    return np.ascontiguousarray(flat.reshape(len(chunk), -1), dtype=np.float32)


@contextmanager
def _writer(fmt: str, out: Path) -> Iterator[Callable[[list[Prediction]], None]]:
    """A function writing predictions to `out`, which is replaced whole when all are written."""
    out = out.expanduser().absolute()
    try:
        with replacing(out) as temporary:
            if fmt == "jsonl":
                with open(temporary, "w", encoding="utf-8") as lines:
                    yield lambda batch: lines.writelines(
                        json.dumps(prediction_record(p)) + "\n" for p in batch
                    )
            else:
                with _parquet_writer(temporary) as write:
                    yield write
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror or exc}") from exc


@contextmanager
def _parquet_writer(path: Path) -> Iterator[Callable[[list[Prediction]], None]]:
    """Rows of predict's record: labels is a map from a label's name to {score, confirmed}."""
    pa, pq = _pyarrow()
    score = pa.struct([("score", pa.float64()), ("confirmed", pa.bool_())])
    schema = pa.schema([("path", pa.string()), ("labels", pa.map_(pa.string(), score))])
    with pq.ParquetWriter(path, schema) as writer:
        yield lambda batch: writer.write_table(
            pa.Table.from_pylist([prediction_record(p) for p in batch], schema=schema)
        )


def _pyarrow() -> tuple[Any, Any]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise EnvironmentProblem(
            "phototag batch label needs pyarrow: pip install 'phototag[cluster]'"
        ) from None
    return pa, pq
