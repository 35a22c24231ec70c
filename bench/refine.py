"""ProLIP refinement benchmark: training the projection, and recomputing a library's embeddings.

Builds a synthetic library in a real SQLite file (random pre-projection features, ViT-B/16 sizes:
768 -> 512; the cost does not depend on the values), then times in one run:
- the recompute that `phototag refine` and `--revert` do (projection.activate: read every feature,
  project it, write the embedding back, one transaction), as embeddings per second;
- the in-memory projection alone: project_rows (one vector-matrix product per photo, so a photo's
  bits never depend on its batch) against one plain matrix product of all features (the baseline);
- refine_projection itself on a typical teaching set (labels x shots photos), on one torch thread
  as Library.refine runs it, against the default thread count.
Ratios within this run are what to compare; absolute times depend on the machine's load.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from phototag.core.model.projection import activate, project_rows
from phototag.core.store.database import Store, now


def _synthetic_library(root: Path, photos: int, feature_dim: int, embed_dim: int):
    rng = np.random.default_rng(0)
    store = Store(root)
    projection = (rng.standard_normal((feature_dim, embed_dim)) / feature_dim**0.5).astype(
        np.float32
    )
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO models(key, name, embed_dim, feature_dim, projection, added_at) "
            "VALUES ('bench', 'bench', ?, ?, ?, ?)",
            (embed_dim, feature_dim, projection.tobytes(), now()),
        )
        conn.executemany(
            "INSERT INTO images(id, content_hash, first_seen) VALUES (?, ?, ?)",
            ((i, f"hash{i}", now()) for i in range(1, photos + 1)),
        )
        for start in range(0, photos, 10_000):
            count = min(10_000, photos - start)
            features = rng.standard_normal((count, feature_dim)).astype(np.float32)
            conn.executemany(
                "INSERT INTO embeddings(image_id, model_id, embedding, feature) "
                "VALUES (?, 1, ?, ?)",
                (
                    (start + i + 1, bytes(4 * embed_dim), features[i].tobytes())
                    for i in range(count)
                ),
            )
    model = store.query("SELECT * FROM models")[0]
    return store, model, projection


def _timed(action) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def _refine_seconds(labels: int, shots: int, feature_dim: int, embed_dim: int, threads: int):
    import torch

    from phototag.core.model.prolip import refine_projection

    rng = np.random.default_rng(1)
    photos = labels * shots
    features = rng.standard_normal((photos, feature_dim)).astype(np.float32)
    targets = np.zeros((photos, labels), dtype=np.float32)
    targets[np.arange(photos), np.arange(photos) % labels] = 1
    classifier = rng.standard_normal((labels, embed_dim)).astype(np.float32)
    projection = (rng.standard_normal((feature_dim, embed_dim)) / feature_dim**0.5).astype(
        np.float32
    )
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        seconds, _ = _timed(lambda: refine_projection(features, targets, classifier, projection))
    finally:
        torch.set_num_threads(previous)
    return seconds


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--feature-dim", type=int, default=768)
    parser.add_argument("--embed-dim", type=int, default=512)
    parser.add_argument("--labels", type=int, default=10)
    parser.add_argument("--shots", type=int, default=16)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        build, (store, model, projection) = _timed(
            lambda: _synthetic_library(Path(folder), args.photos, args.feature_dim, args.embed_dim)
        )
        print(
            f"library: {args.photos} photos, {args.feature_dim} -> {args.embed_dim} "
            f"(built in {build:.1f} s)"
        )
        refined = projection * 1.01
        with store.transaction():
            recompute, count = _timed(lambda: activate(store, model, 1, refined))
        print(
            f"recompute in SQLite (activate): {recompute:6.2f} s for {count} embeddings = "
            f"{count / recompute:,.0f} embeddings/s"
        )
        blobs = store.conn.execute("SELECT feature FROM embeddings").fetchall()
        features = np.frombuffer(b"".join(b[0] for b in blobs), np.float32).reshape(len(blobs), -1)
        store.close()
    rows, _ = _timed(lambda: project_rows(features, refined))
    plain, _ = _timed(lambda: features @ refined)
    print(f"project_rows in memory:           {rows:6.2f} s")
    print(f"one plain matrix product:         {plain:6.2f} s (baseline)")
    print(
        f"project_rows/plain={rows / plain:.1f}x recompute/plain={recompute / plain:.1f}x "
        f"(database reads and writes are the rest)"
    )
    default_threads = torch.get_num_threads()
    one = _refine_seconds(args.labels, args.shots, args.feature_dim, args.embed_dim, 1)
    many = _refine_seconds(
        args.labels, args.shots, args.feature_dim, args.embed_dim, default_threads
    )
    print(
        f"refine_projection, {args.labels} labels x {args.shots} shots, 300 steps: "
        f"{one:.2f} s on 1 thread, {many:.2f} s on {default_threads} (ratio {many / one:.1f}x)"
    )


if __name__ == "__main__":
    main()
