"""Re-scoring benchmark: how long one label change takes to re-score a whole library.

Builds a random library of unit embeddings (the cost does not depend on the values), then times
the real scoring path (EmbeddingMatrix.scores, blocked fixed-width products) against a naive
per-photo loop in the same run, and prints both, their ratio, and whether the target
(100,000 photos x 50 labels in under 200 ms on this machine) is met. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from phototag.core.labels.imprint import normalize_rows
from phototag.core.labels.scoring import EmbeddingMatrix

TARGET_MS = 200.0


def _median_ms(action, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--labels", type=int, default=50)
    parser.add_argument("--dims", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--loop-sample", type=int, default=5_000, help="photos timed in the loop")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    embeddings = normalize_rows(rng.standard_normal((args.photos, args.dims))).astype(np.float32)
    weights = normalize_rows(rng.standard_normal((args.labels, args.dims))).astype(np.float32)
    matrix = EmbeddingMatrix(np.arange(args.photos), embeddings)
    thresholds = np.full(args.labels, 0.1, dtype=np.float32)

    def rescore() -> np.ndarray:
        return matrix.scores(weights) >= thresholds

    def per_photo_loop() -> None:
        for row in embeddings[: args.loop_sample]:
            [float(row @ w) >= 0.1 for w in weights]

    rescore()
    fast = _median_ms(rescore, args.repeats)
    loop = _median_ms(per_photo_loop, 3) * args.photos / args.loop_sample
    verdict = "met" if fast < TARGET_MS else "NOT met"
    print(f"library: {args.photos} photos x {args.labels} labels x {args.dims} dims (float32)")
    print(f"re-score, blocked matrix product: {fast:8.1f} ms (median of {args.repeats})")
    print(f"re-score, per-photo Python loop:  {loop:8.1f} ms (from {args.loop_sample} photos)")
    print(f"speedup={loop / fast:.0f}x target_{TARGET_MS:.0f}ms={verdict}")


if __name__ == "__main__":
    main()
