"""Ingest benchmark: a first scan of 12-MP photos against the naive way and the machine limit.

ViT-B-32 with random weights (the compute of the real ones; none can be downloaded here), saved
to a file and scanned through `Library.scan(weights=...)`, the `phototag scan --weights` path.
In one run it measures:
  (a) naive: full-size PIL decode + open_clip preprocess + torch fp32, one photo at a time;
  (b) the pipeline as `phototag scan` runs it, default backend (and int8, reported);
  (c) decode alone and model alone, in CPU-seconds per photo (all threads counted), which give
      the limit: cores / (decode CPU-s + model CPU-s) photos per second if nothing else ran.
  (r) RAW files (12-MP DNGs written by tests/raws.py), both ways core/ingest/raw.py decodes
      them: from the full-size embedded JPEG preview, and by half-size demosaic of a RAW
      without one: decode CPU and wall time per photo in one process, and the pipeline's rate.
The last line reads `speedup=<b/a> limit_fraction=<b/limit>`. A benchmark, not a test.
`--raw-only` runs (r) alone.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from phototag.core.ingest.decode_pool import decode_to_pixels
from phototag.core.library import Library
from phototag.core.model import backends

ARCH = "ViT-B-32"
PHOTO_SIZE = (4000, 3000)
BATCH = 8


def camera_picture(seed: int) -> Image.Image:
    """Smooth colour fields with fine noise, of a 12-MP camera photo's size."""
    rng = np.random.default_rng(seed)
    width, height = PHOTO_SIZE
    coarse = Image.fromarray(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8))
    field = np.asarray(coarse.resize(PHOTO_SIZE, Image.Resampling.BICUBIC), dtype=np.int16)
    noise = rng.integers(-12, 13, (height, width, 1), dtype=np.int16)
    return Image.fromarray(np.clip(field + noise, 0, 255).astype(np.uint8))


def write_photo(path: Path, seed: int) -> None:
    """A JPEG of about the size of a 12-MP camera photo."""
    camera_picture(seed).save(path, quality=90)


def write_raw(path: Path, seed: int, preview: bool) -> None:
    """A 12-MP DNG, with the full-size JPEG preview most cameras embed, or without one, by
    the tests' DNG writer (the checkout's root is put on the path for `python bench/...`)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.raws import write_dng

    write_dng(path, camera_picture(seed), preview=preview)


def photo_folder(count: int) -> Path:
    """Generated once per count and kept in the temporary folder: it takes a while."""
    return _generated(f"phototag-bench-ingest-{count}", ".jpg", count, write_photo)


def raw_folder(count: int, preview: bool) -> Path:
    kind = "preview" if preview else "sensor"
    write = write_raw_with_preview if preview else write_raw_without_preview
    return _generated(f"phototag-bench-raw-{kind}-{count}", ".dng", count, write)


def write_raw_with_preview(path: Path, seed: int) -> None:
    write_raw(path, seed, preview=True)


def write_raw_without_preview(path: Path, seed: int) -> None:
    write_raw(path, seed, preview=False)


def _generated(name: str, suffix: str, count: int, write) -> Path:
    folder = Path(tempfile.gettempdir()) / name
    folder.mkdir(exist_ok=True)
    missing = [i for i in range(count) if not (folder / f"{i:05d}{suffix}").exists()]
    with ProcessPoolExecutor() as pool:
        list(pool.map(write, [folder / f"{i:05d}{suffix}" for i in missing], missing))
    return folder


def random_weights() -> Path:
    """ViT-B-32 at random init with a fixed seed, so the cached ONNX export stays valid."""
    import open_clip
    import torch
    from safetensors.torch import save_file

    path = Path(tempfile.gettempdir()) / f"phototag-bench-{ARCH}-random.safetensors"
    if not path.exists():
        torch.manual_seed(0)
        model = open_clip.create_model(ARCH, pretrained=None)
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))
    return path


def cpu_seconds() -> float:
    """This process's CPU time, every thread included (ONNX Runtime's and torch's)."""
    times = os.times()
    return times.user + times.system


def naive(photos: list[Path], weights: Path) -> tuple[float, np.ndarray]:
    """(photos/s, embeddings): what a straightforward script does."""
    import open_clip
    import torch

    model, _, preprocess = open_clip.create_model_and_transforms(ARCH, pretrained=str(weights))
    model.eval()

    def embed(path: Path) -> np.ndarray:
        with Image.open(path) as image:
            pixels = preprocess(ImageOps.exif_transpose(image).convert("RGB"))
        return model.encode_image(pixels[None], normalize=True)[0].numpy()

    with torch.inference_mode():
        embed(photos[0])  # first calls pay for allocation and kernel selection
        start = time.perf_counter()
        embeddings = [embed(path) for path in photos]
    return len(photos) / (time.perf_counter() - start), np.stack(embeddings)


def pipeline(
    photos: list[Path], weights: Path, backend: str, scratch: Path, profile: Path | None
) -> tuple[float, np.ndarray]:
    """(photos/s, embeddings by photo) of Library.scan on a fresh library. A first scan of one
    photo loads the model, builds the ONNX tower (cached) and starts the decode workers."""
    backends.prefer(backend)
    warm, folder = scratch / f"warm-{backend}", scratch / f"photos-{backend}"
    warm.mkdir()
    folder.mkdir()
    os.link(photos[0], warm / f"first{photos[0].suffix}")
    for path in photos[1:]:
        os.link(path, folder / path.name)
    with Library(scratch / f"library-{backend}") as library:
        library.add_folder(warm)
        library.scan(weights=weights, model=ARCH)
        library.add_folder(folder)
        profiler = _start_profiler() if profile else None
        start = time.perf_counter()
        report = library.scan(weights=weights, model=ARCH)
        seconds = time.perf_counter() - start
        if profiler is not None:
            _save_profile(profiler, profile)
        assert report.embedded == len(photos) - 1, report
        embeddings = _embeddings_by_name(library)
    return report.embedded / seconds, np.stack([embeddings[p.name] for p in photos[1:]])


def _embeddings_by_name(library: Library) -> dict[str, np.ndarray]:
    rows = library.store.conn.execute(
        "SELECT files.path, embeddings.embedding FROM files JOIN embeddings USING (image_id)"
    )
    return {Path(path).name: np.frombuffer(blob, np.float32) for path, blob in rows}


def decode_cost(photos: list[Path], recipe) -> float:
    """CPU-seconds per photo of a decode worker's work, in this process."""
    return decode_costs(photos, recipe)[0]


def decode_costs(photos: list[Path], recipe) -> tuple[float, float]:
    """(CPU-seconds, wall seconds) per photo of a decode worker's work, in this process."""
    start, wall = cpu_seconds(), time.perf_counter()
    for path in photos:
        decoded = decode_to_pixels(str(path), recipe)
        assert not isinstance(decoded, str), f"{path}: {decoded}"
    return (cpu_seconds() - start) / len(photos), (time.perf_counter() - wall) / len(photos)


def raw_rates(count: int, weights: Path) -> None:
    """(r): each RAW decode path alone and through the pipeline (default backend)."""
    from phototag.core.model.encoder import load_encoder

    recipe = load_encoder(ARCH, weights).pixel_recipe
    for kind, preview in (("embedded preview", True), ("half-size demosaic", False)):
        photos = sorted(raw_folder(count, preview).glob("*.dng"))[:count]
        cpu, wall = decode_costs(photos[: min(len(photos), 8)], recipe)
        with tempfile.TemporaryDirectory(prefix="phototag-bench-raw-") as scratch:
            rate, _ = pipeline(photos, weights, backends.DEFAULT_BACKEND, Path(scratch), None)
        print(
            f"(r) RAW, {kind}: decode {cpu * 1000:.0f} ms CPU, {wall * 1000:.0f} ms wall per "
            f"photo ({1 / wall:.2f} photos/s in one process); pipeline {rate:.2f} photos/s"
        )


def model_cost(encoder, crops: np.ndarray, backend: str) -> float:
    """CPU-seconds per photo of the forward pass and projection, batches of 8."""
    backends.prefer(backend)
    encoder.encode_crops(crops[:BATCH])  # session start-up is not per photo
    start = cpu_seconds()
    for first in range(0, len(crops), BATCH):
        encoder.encode_crops(crops[first : first + BATCH])
    return (cpu_seconds() - start) / len(crops)


def _start_profiler():
    from pyinstrument import Profiler

    profiler = Profiler()
    profiler.start()
    return profiler


def _save_profile(profiler, path: Path) -> None:
    profiler.stop()
    path.write_text(profiler.output_text(unicode=False, color=False, show_all=False))
    print(f"profile of the {path.stem} pipeline run written to {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=200, help="12-MP JPEGs to generate")
    parser.add_argument("--folder", type=Path, help="use these JPEGs instead of generated ones")
    parser.add_argument("--naive-photos", type=int, default=40, help="photos for baseline (a)")
    parser.add_argument("--profile", type=Path, help="write a pyinstrument profile of (b) here")
    parser.add_argument("--raw", type=int, default=12, help="12-MP DNGs per RAW decode path")
    parser.add_argument("--raw-only", action="store_true", help="measure (r) alone")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # open_clip announces random init
    if args.raw_only:
        _measure_raw(args.raw)
        return
    folder = args.folder or photo_folder(args.photos)
    photos = sorted(folder.glob("*.jpg"))[: args.photos]
    weights = random_weights()
    cores = os.cpu_count() or 1
    default = backends.DEFAULT_BACKEND
    print(f"{len(photos)} photos from {folder}, {ARCH} random weights, {cores} cores")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    naive_rate, naive_embeddings = naive(photos[1 : 1 + args.naive_photos], weights)
    print(f"(a) naive, full decode + torch fp32 per photo: {naive_rate:.2f} photos/s")

    rates, embeddings = {}, {}
    with tempfile.TemporaryDirectory(prefix="phototag-bench-ingest-") as scratch:
        for backend in (default, "onnx-int8"):
            profile = args.profile if backend == default else None
            rates[backend], embeddings[backend] = pipeline(
                photos, weights, backend, Path(scratch), profile
            )
            print(f"(b) pipeline, {backend}: {rates[backend]:.2f} photos/s")

    from phototag.core.model.encoder import load_encoder

    encoder = load_encoder(ARCH, weights)
    sample = photos[1 : 1 + min(len(photos) - 1, 64)]
    decode_s = decode_cost(sample, encoder.pixel_recipe)
    crops = np.stack([decode_to_pixels(str(p), encoder.pixel_recipe).crop for p in sample])
    model_s = {b: model_cost(encoder, crops, b) for b in (default, "onnx-int8")}
    print(f"(c) decode alone: {decode_s * 1000:.1f} ms CPU per photo")
    limits = {}
    for backend, seconds in model_s.items():
        limits[backend] = cores / (decode_s + seconds)
        print(
            f"(c) model alone, {backend}: {seconds * 1000:.1f} ms CPU per photo; limit "
            f"{limits[backend]:.2f} photos/s, pipeline reaches "
            f"{rates[backend] / limits[backend]:.2f} of it"
        )
    agree = backends.agreement
    count = len(naive_embeddings)
    print(
        f"agreement (least cosine per photo): {default} pipeline vs naive torch "
        f"{agree(embeddings[default][:count], naive_embeddings):.6f} (draft decode included); "
        f"int8 vs {default} {agree(embeddings['onnx-int8'], embeddings[default]):.6f}"
    )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"int8: speedup={rates['onnx-int8'] / naive_rate:.2f} "
        f"limit_fraction={rates['onnx-int8'] / limits['onnx-int8']:.2f}"
    )
    if args.raw:
        raw_rates(args.raw, weights)
        print(f"load average after (r): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"speedup={rates[default] / naive_rate:.2f} "
        f"limit_fraction={rates[default] / limits[default]:.2f}"
    )


def _measure_raw(count: int) -> None:
    print(f"{count} 12-MP DNGs per path, {ARCH} random weights, {os.cpu_count()} cores")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    raw_rates(count, random_weights())
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
