"""Which image tower should be the default model on a CPU: ViT-B-32 or MobileCLIP2-S0?

MobileCLIP2 is sold as the mobile-friendly choice, but on a desktop CPU with MKL the plain ViT's
large matrix products may win. Both run with random weights (the same compute as the real ones,
no download), MobileCLIP2 reparameterized as Phototag runs it, on a fixed number of threads.
Repeats are interleaved across models and batch sizes so that drift in the machine's speed hits
every cell alike; each cell is the median of the repeats.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time

import open_clip
import torch
from timm.utils.model import reparameterize_model

MODELS = ("ViT-B-32", "MobileCLIP2-S0")
BATCHES = (1, 8, 32)


def build(arch: str) -> tuple[torch.nn.Module, int]:
    model = open_clip.create_model(arch, pretrained=None).eval()
    model = reparameterize_model(model, inplace=True)  # fuses MobileOne branches; ViT: no-op
    size = open_clip.get_model_preprocess_cfg(model)["size"]
    return model, size if isinstance(size, int) else size[0]


def images_per_second(model: torch.nn.Module, batch: torch.Tensor, seconds: float) -> float:
    done = 0
    start = time.perf_counter()
    with torch.inference_mode():
        while (elapsed := time.perf_counter() - start) < seconds:
            model.encode_image(batch)
            done += len(batch)
    return done / elapsed


def measure(seconds: float, repeats: int) -> dict[tuple[str, int], float]:
    models = {arch: build(arch) for arch in MODELS}
    inputs = {
        (arch, n): torch.randn(n, 3, size, size)
        for arch, (_, size) in models.items()
        for n in BATCHES
    }
    with torch.inference_mode():  # first calls pay for allocation and kernel selection
        for (arch, _), batch in inputs.items():
            models[arch][0].encode_image(batch)
    runs: dict[tuple[str, int], list[float]] = {cell: [] for cell in inputs}
    for _ in range(repeats):
        for (arch, n), batch in inputs.items():
            runs[arch, n].append(images_per_second(models[arch][0], batch, seconds))
    return {cell: statistics.median(values) for cell, values in runs.items()}


def report(speeds: dict[tuple[str, int], float]) -> None:
    width = max(map(len, MODELS))
    print(f"{'img/s':<{width}}" + "".join(f"{f'b{n}':>8}" for n in BATCHES))
    for arch in MODELS:
        print(f"{arch:<{width}}" + "".join(f"{speeds[arch, n]:8.1f}" for n in BATCHES))
    best = {arch: max(BATCHES, key=lambda n, a=arch: speeds[a, n]) for arch in MODELS}
    vit, mobile = MODELS
    ratio = speeds[mobile, best[mobile]] / speeds[vit, best[vit]]
    faster = mobile if ratio > 1 else vit
    print(
        f"\nbest batch: {vit} b{best[vit]}, {mobile} b{best[mobile]}; "
        f"{mobile}/{vit} = {ratio:.2f} -> {faster} is faster"
    )


def print_load(when: str) -> None:
    """Other processes on the cores distort small batches most; the load shows whether they ran."""
    print(f"load average {when}: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="time per measurement")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    logging.disable(logging.WARNING)  # open_clip announces every random init
    print(f"torch {torch.__version__}, open_clip {open_clip.__version__}, {args.threads} threads")
    print_load("before")
    speeds = measure(args.seconds, args.repeats)
    print_load("after")
    report(speeds)


if __name__ == "__main__":
    main()
