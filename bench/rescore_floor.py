"""The floor under re-scoring 1M photos x 100 labels (issue 14's "<= 1 s, or why not").

    .venv/bin/python bench/rescore_floor.py [--photos 1000000] [--labels 100]

A full re-score is one float32 matrix product, photos x 512 @ 512 x labels (2 * 1M * 512 * 100
= 102 GFLOP), so its floor is this CPU's GEMM speed. Measured here, each with 1 and 2 BLAS
threads: this CPU's peak (a 2048^3 SGEMM, which stays in cache), the bare product at the
re-score's shape, and the real path (EmbeddingMatrix.scores: 8192-row chunks times label blocks
of 128 columns, zero-padded, for bit-stable scores). Then float16 storage: the memory it saves
and what upcasting each chunk to float32 costs and changes. Each OpenBLAS kernel set the CPU
can run is measured in a child process of its own (OPENBLAS_CORETYPE is read when numpy loads):
AVX2 (Haswell) and AVX-512 (SkylakeX, what OpenBLAS picks for this EPYC by itself).
A benchmark: it prints figures measured in one run, with the load average; it asserts nothing.

Measured on this 2-core Zen 5 EPYC at load average 3.5-4 (1M x 100, best of 2, 1 thread):
AVX2 kernels peak 115 GFLOP/s, bare product 1.10 s, EmbeddingMatrix.scores 1.51 s; AVX-512
kernels peak 228 GFLOP/s, bare product 0.63 s, scores 0.79 s. So the floor allows <= 1 s here
with the kernels OpenBLAS picks by itself, not with OPENBLAS_CORETYPE=Haswell; scores costs
1.3x the bare product (label blocks of 128 columns: 28% more FLOPs for 100 labels). float16
storage halves the matrix (1953 -> 977 MB) but numpy's float16 -> float32 cast adds 1.06 s a
pass, and only 15,690 of 100M scores keep their float32 bits (largest difference 5.1e-5).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np

PEAK_SIZE = 2048
DIMS = 512
# OpenBLAS's own choice on this EPYC is SkylakeX; the machine's environment sets Haswell.
CORETYPES = ("Haswell", "SkylakeX")


def load() -> str:
    return "load average " + " ".join(f"{value:.1f}" for value in os.getloadavg())


def cpu() -> str:
    with open("/proc/cpuinfo") as info:
        text = info.read()
    model = next(
        line.split(":", 1)[1].strip() for line in text.splitlines() if "model name" in line
    )
    flags = set(next(line for line in text.splitlines() if line.startswith("flags")).split())
    vector = [
        flag for flag in ("avx2", "fma", "avx512f", "avx512_bf16", "avx512_fp16") if flag in flags
    ]
    return f"{model}, {os.cpu_count()} cores, {' '.join(vector)}"


def best_seconds(action: Callable[[], object], repeats: int = 3) -> float:
    """The fastest of a few runs: the machine is shared, the slower runs measure the others."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def unit_rows(rng: np.random.Generator, count: int, dims: int) -> np.ndarray:
    rows = rng.standard_normal((count, dims), dtype=np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return rows


def gemm_figures(embeddings: np.ndarray, weights: np.ndarray) -> None:
    """Peak, bare product and the real path, with 1 and 2 threads."""
    from threadpoolctl import threadpool_limits

    from phototag.core.labels.scoring import EmbeddingMatrix

    rng = np.random.default_rng(2)
    square = rng.standard_normal((PEAK_SIZE, PEAK_SIZE), dtype=np.float32)
    matrix = EmbeddingMatrix(np.arange(len(embeddings)), embeddings)
    product = np.empty((len(embeddings), len(weights)), dtype=np.float32)
    flop = 2 * len(embeddings) * DIMS * len(weights)
    for threads in (1, 2):
        with threadpool_limits(threads, user_api="blas"):
            peak = best_seconds(lambda: square @ square)
            bare = best_seconds(lambda: np.matmul(embeddings, weights.T, out=product), 2)
            path = best_seconds(lambda: matrix.scores(weights), 2)
        print(
            f"  {threads} thread{'s' * (threads > 1)}: peak {2 * PEAK_SIZE**3 / peak / 1e9:.0f} "
            f"GFLOP/s; bare product {bare * 1000:.0f} ms ({flop / bare / 1e9:.0f} GFLOP/s); "
            f"EmbeddingMatrix.scores {path * 1000:.0f} ms ({load()})"
        )


def float16_figures(embeddings: np.ndarray, weights: np.ndarray) -> None:
    """Memory saved by storing float16, the per-chunk upcast's cost, and what it changes."""
    from phototag.core.labels.scoring import ROW_CHUNK, EmbeddingMatrix

    halves = embeddings.astype(np.float16)
    exact = EmbeddingMatrix(np.arange(len(embeddings)), embeddings).scores(weights)
    upcast = EmbeddingMatrix(np.arange(len(embeddings)), halves.astype(np.float32))
    from_halves = upcast.scores(weights)
    same = np.count_nonzero(from_halves.view(np.int32) == exact.view(np.int32))

    chunk = np.empty((ROW_CHUNK, DIMS), dtype=np.float32)

    def upcast_chunks() -> None:
        """Into one reused buffer, as a float16 EmbeddingMatrix would before each product."""
        for row in range(0, len(halves) - ROW_CHUNK + 1, ROW_CHUNK):
            np.copyto(chunk, halves[row : row + ROW_CHUNK])

    cost = best_seconds(upcast_chunks, 2)
    print(
        f"  matrix in memory: float32 {embeddings.nbytes / 2**20:.0f} MB, float16 "
        f"{halves.nbytes / 2**20:.0f} MB; upcasting every {ROW_CHUNK}-row chunk costs "
        f"{cost * 1000:.0f} ms a pass"
    )
    print(
        f"  scores from float16 storage vs float32: {same:,} of {exact.size:,} bit-identical, "
        f"largest difference {float(np.abs(from_halves - exact).max()):.2e}, mean "
        f"{float(np.abs(from_halves - exact).mean()):.2e} (the embeddings' own rounding; the "
        f"upcast is exact, so float16 scores are as bit-stable as float32 ones, but not the same)"
    )


def child(photos: int, labels: int) -> None:
    from threadpoolctl import threadpool_info

    blas = next(info for info in threadpool_info() if info["user_api"] == "blas")
    print(f"OpenBLAS {blas['version']}, kernels {blas.get('architecture')} ({load()})")
    rng = np.random.default_rng(1)
    embeddings = unit_rows(rng, photos, DIMS)
    weights = unit_rows(rng, labels, DIMS)
    gemm_figures(embeddings, weights)
    if os.environ["OPENBLAS_CORETYPE"] == CORETYPES[0]:
        float16_figures(embeddings, weights)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=1_000_000)
    parser.add_argument("--labels", type=int, default=100)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.photos, args.labels)
        return
    flop = 2 * args.photos * DIMS * args.labels
    print(
        f"{cpu()}; {args.photos:,} x {args.labels} = {flop / 1e9:.1f} GFLOP a re-score ({load()})"
    )
    for coretype in CORETYPES:
        environment = {**os.environ, "OPENBLAS_CORETYPE": coretype}
        command = [sys.executable, __file__, "--child", f"--photos={args.photos}"]
        subprocess.run([*command, f"--labels={args.labels}"], env=environment, check=True)


if __name__ == "__main__":
    main()
