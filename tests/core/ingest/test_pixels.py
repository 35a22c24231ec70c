"""The decode workers' torch-free preprocessing against open_clip's own transforms."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from open_clip.transform import image_transform
from PIL import Image

from phototag.core.ingest.pixels import recipe_of

SIZES = [(320, 240), (240, 320), (225, 224), (224, 224), (501, 333), (333, 501), (1000, 230)]


def photo(size: tuple[int, int], seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    return Image.fromarray(pixels)


@pytest.mark.parametrize(
    "options",
    [
        {},  # ViT-B-32 as open_clip builds it: bicubic, CLIP mean and std
        {"interpolation": "bilinear", "mean": (0.0, 0.0, 0.0), "std": (1.0, 1.0, 1.0)},
        {"resize_mode": "squash"},
    ],
)
def test_worker_preprocessing_is_bit_identical_to_open_clip(options):
    transform = image_transform(224, is_train=False, **options)
    recipe = recipe_of(transform)
    images = [photo(size, seed) for seed, size in enumerate(SIZES)]

    expected = torch.stack([transform(image) for image in images]).numpy()
    crops = np.stack([recipe.crop_of(image) for image in images])

    assert crops.dtype == np.uint8
    assert np.array_equal(recipe.normalize(crops), expected)


def test_a_step_without_a_numpy_equivalent_is_refused():
    transform = image_transform(224, is_train=False, resize_mode="longest")
    with pytest.raises(NotImplementedError, match="preprocessing step"):
        recipe_of(transform)
