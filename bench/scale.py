"""Scale benchmark: a 100,000-photo library opened to scores, and a 1M x 100 re-score.

A library with the real schema is filled with random embeddings and features (their values do not
change the cost) and labels with examples, built in a child process so that this process's peak
resident memory is that of opening it. Prints: the time from opening the library to every label's
scores being ready (target < 2 s), the peak resident memory (< 1.5 GB), and the time to re-score
1,000,000 photos against 100 labels through EmbeddingMatrix.scores (< 1 s). A benchmark, not a
test: it prints figures and verdicts, it asserts nothing.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from phototag.core.labels.scoring import EmbeddingMatrix
from phototag.core.library import Library
from phototag.core.store.database import now

EMBED_DIM, FEATURE_DIM = 512, 768
CHUNK = 10_000
TARGETS = {"open": 2.0, "rss_gb": 1.5, "rescore": 1.0}


def unit_rows(rng: np.random.Generator, count: int, dims: int) -> np.ndarray:
    rows = rng.standard_normal((count, dims), dtype=np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def build(root: Path, photos: int, labels: int, examples: int) -> None:
    """The library as a scan and some teaching would leave it, written straight to SQLite."""
    rng = np.random.default_rng(0)
    with Library(root) as library:
        conn = library.store.conn
        with library.store.transaction():
            conn.execute("INSERT INTO folders(path, added_at) VALUES ('/photos', ?)", (now(),))
            projection = rng.standard_normal((FEATURE_DIM, EMBED_DIM), dtype=np.float32)
            conn.execute(
                "INSERT INTO models(key, name, embed_dim, feature_dim, projection, added_at) "
                "VALUES ('ViT-B-32/bench', 'ViT-B-32', ?, ?, ?, ?)",
                (EMBED_DIM, FEATURE_DIM, projection.tobytes(), now()),
            )
            conn.execute("INSERT INTO settings VALUES ('active_model', 'ViT-B-32/bench')")
            for first in range(1, photos + 1, CHUNK):
                ids = range(first, min(first + CHUNK, photos + 1))
                _add_photos(conn, ids, rng)
            for label in range(1, labels + 1):
                conn.execute(
                    "INSERT INTO labels(id, name, created_at) VALUES (?, ?, ?)",
                    (label, f"label {label}", now()),
                )
                chosen = rng.choice(photos, examples, replace=False) + 1
                conn.executemany(
                    "INSERT INTO examples(label_id, image_id, polarity, created_at) "
                    "VALUES (?, ?, 1, ?)",
                    [(label, int(image), now()) for image in chosen],
                )
        library.labels()  # the first open fits and saves every label, as a scan would


def _add_photos(conn, ids: range, rng: np.random.Generator) -> None:
    stamp = now()
    embeddings = unit_rows(rng, len(ids), EMBED_DIM)
    features = rng.standard_normal((len(ids), FEATURE_DIM), dtype=np.float32)
    conn.executemany(
        "INSERT INTO images(id, content_hash, width, height, first_seen) "
        "VALUES (?, ?, 4000, 3000, ?)",
        [(i, f"{i:064x}", stamp) for i in ids],
    )
    conn.executemany(
        "INSERT INTO files(path, folder_id, image_id, size, mtime_ns, status, seen_at) "
        "VALUES (?, 1, ?, 4000000, 0, 'ok', ?)",
        [(f"/photos/{i:07d}.jpg", i, stamp) for i in ids],
    )
    conn.executemany(
        "INSERT INTO embeddings(image_id, model_id, embedding, feature) VALUES (?, 1, ?, ?)",
        [(i, e.tobytes(), f.tobytes()) for i, e, f in zip(ids, embeddings, features, strict=True)],
    )


def open_to_scores(root: Path) -> float:
    start = time.perf_counter()
    with Library(root) as library:
        library.labels()  # needs every label's scores over the whole library
    return time.perf_counter() - start


def rescore_seconds(photos: int, labels: int, repeats: int) -> float:
    rng = np.random.default_rng(1)
    matrix = EmbeddingMatrix(np.arange(photos), unit_rows(rng, photos, EMBED_DIM))
    weights = unit_rows(rng, labels, EMBED_DIM)
    matrix.scores(weights)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        matrix.scores(weights)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def verdict(value: float, target: float) -> str:
    return "met" if value < target else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--labels", type=int, default=20, help="labels in the library")
    parser.add_argument("--examples", type=int, default=8, help="examples per label")
    parser.add_argument("--rescore-photos", type=int, default=1_000_000)
    parser.add_argument("--rescore-labels", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="phototag-bench-scale-") as scratch:
        root = Path(scratch) / "library"
        started = time.perf_counter()
        with ProcessPoolExecutor(1) as child:
            child.submit(build, root, args.photos, args.labels, args.examples).result()
        print(
            f"built {args.photos} photos, {args.labels} labels in "
            f"{time.perf_counter() - started:.0f} s"
        )
        opened = [open_to_scores(root) for _ in range(args.repeats)]
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    rescore = rescore_seconds(args.rescore_photos, args.rescore_labels, args.repeats)

    seconds = statistics.median(opened)
    print(
        f"open library -> scores ready ({args.photos} photos, {args.labels} labels): "
        f"median {seconds:.2f} s "
        f"(target < {TARGETS['open']} s: {verdict(seconds, TARGETS['open'])})"
    )
    print(
        f"peak resident memory while opening: {rss_gb:.2f} GB "
        f"(target < {TARGETS['rss_gb']} GB: {verdict(rss_gb, TARGETS['rss_gb'])})"
    )
    print(
        f"re-score {args.rescore_photos} photos x {args.rescore_labels} labels (float32): "
        f"median {rescore:.2f} s (target < {TARGETS['rescore']} s: "
        f"{verdict(rescore, TARGETS['rescore'])})"
    )


if __name__ == "__main__":
    main()
