"""Generated photos for end-to-end tests: each is dominated by the colour of its label(s), with
noise and random shapes so no two are alike. Even a random-weight CLIP separates them, which is
what lets the tests check real tagging behaviour without pretrained weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

COLOURS = {
    "red": (200, 30, 30),
    "green": (30, 170, 40),
    "blue": (30, 60, 200),
    "yellow": (230, 210, 40),
}


def colour_photo(colours: list[str], seed: int, size: tuple[int, int] = (320, 240)) -> Image.Image:
    """Vertical bands, one per colour, jittered, with a few small shapes of random colour."""
    rng = np.random.default_rng(seed)
    width, height = size
    pixels = np.empty((height, width, 3), dtype=np.float64)
    band = width // len(colours)
    for index, name in enumerate(colours):
        base = np.array(COLOURS[name], dtype=np.float64) + rng.normal(0, 12, 3)
        stop = width if index == len(colours) - 1 else (index + 1) * band
        pixels[:, index * band : stop] = base
    pixels += rng.normal(0, 10, pixels.shape)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(3):
        x, y = int(rng.integers(0, width - 40)), int(rng.integers(0, height - 40))
        w, h = int(rng.integers(10, 40)), int(rng.integers(10, 40))
        fill = tuple(int(v) for v in rng.integers(0, 256, 3))
        draw.ellipse([x, y, x + w, y + h], fill=fill)
    return image


def write_photo(path: Path, colours: list[str], seed: int, **save_args) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    colour_photo(colours, seed).save(path, **save_args)
    return path


def make_library_folder(root: Path, per_colour: int = 12, pairs: int = 4) -> dict[str, list[Path]]:
    """Single-colour photos per colour plus two-colour photos for each pair of colours.

    Returns paths by key: a colour name, or "red+blue" style keys for the two-colour photos.
    """
    made: dict[str, list[Path]] = {}
    seed = 0
    names = list(COLOURS)
    for name in names:
        for index in range(per_colour):
            seed += 1
            made.setdefault(name, []).append(
                write_photo(root / name / f"{name}_{index:02d}.jpg", [name], seed, quality=90)
            )
    for first, second in zip(names, names[1:] + names[:1], strict=True):
        key = f"{first}+{second}"
        for index in range(pairs):
            seed += 1
            made.setdefault(key, []).append(
                write_photo(root / "mixed" / f"{first}_{second}_{index}.jpg", [first, second], seed)
            )
    return made
