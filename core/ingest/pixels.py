"""A decoded photo to the model's input array, without torch.

open_clip preprocesses with torchvision transforms, which would pull torch into every decode
worker process (hundreds of MB each, seconds to start). The same steps are done here with PIL
and numpy from a small picklable recipe read off open_clip's own transform once: PIL resize
(torchvision calls PIL for PIL images), centre crop with torchvision's rounding, then /255 and
mean/std in float32 — the same IEEE operations, so the result is bit-identical.

Workers produce uint8 crops (a quarter of the bytes of float32 to send between processes);
`normalize` turns a batch of them into float32 in the process running the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class PixelRecipe:
    """Resize (short side to an int, or squash to (height, width)), centre crop, normalize."""

    resize: int | tuple[int, int]
    resample: int  # a PIL resampling filter
    crop: tuple[int, int]  # (height, width)
    mean: tuple[float, ...]  # one per channel, as Normalize holds them
    std: tuple[float, ...]

    @property
    def min_side(self) -> int:
        """The short side a decoder must keep at least, so nothing is ever upscaled."""
        return self.resize if isinstance(self.resize, int) else min(self.resize)

    def crop_of(self, image: Image.Image) -> np.ndarray:
        """The model's view of an RGB image: (height, width, 3) uint8."""
        resized = image.resize(_resized_size(image.size, self.resize), self.resample)
        return np.asarray(_centre_crop(resized, self.crop))

    def normalize(self, crops: np.ndarray) -> np.ndarray:
        """(n, height, width, 3) uint8 crops to the model's (n, 3, height, width) float32."""
        scaled = crops.astype(np.float32) / np.float32(255)
        scaled -= np.asarray(self.mean, dtype=np.float32)
        scaled /= np.asarray(self.std, dtype=np.float32)
        return np.ascontiguousarray(scaled.transpose(0, 3, 1, 2))


def _resized_size(size: tuple[int, int], resize: int | tuple[int, int]) -> tuple[int, int]:
    """(width, height) after resizing, with torchvision's rounding."""
    if not isinstance(resize, int):
        return resize[1], resize[0]
    width, height = size
    if width <= height:
        return resize, int(resize * height / width)
    return int(resize * width / height), resize


def _centre_crop(image: Image.Image, crop: tuple[int, int]) -> Image.Image:
    height, width = crop
    top = round((image.height - height) / 2.0)
    left = round((image.width - width) / 2.0)
    # open_clip resizes to at least the crop, so the box never leaves the image.
    return image.crop((left, top, left + width, top + height))


class _RecipeFields(TypedDict, total=False):
    """PixelRecipe's fields as the transform's steps give them, one step at a time. A missing
    one (no Normalize, say) still fails in PixelRecipe(), as it should."""

    resize: int | tuple[int, int]
    resample: int
    crop: tuple[int, int]
    mean: tuple[float, ...]
    std: tuple[float, ...]


def recipe_of(transform) -> PixelRecipe:
    """Read the recipe off open_clip's torchvision Compose (Resize, CenterCrop, convert to RGB,
    ToTensor, Normalize). Any other step would be silently skipped, so it is refused."""
    from torchvision import transforms
    from torchvision.transforms.functional import pil_modes_mapping

    found: _RecipeFields = {}
    for step in transform.transforms:
        if isinstance(step, transforms.Resize) and step.max_size is None:
            found["resize"] = _resize_target(step.size)
            found["resample"] = int(pil_modes_mapping[step.interpolation])
        elif isinstance(step, transforms.CenterCrop):
            found["crop"] = _pair(step.size)
        elif isinstance(step, transforms.Normalize):
            found["mean"] = tuple(float(v) for v in step.mean)
            found["std"] = tuple(float(v) for v in step.std)
        elif not _converts_to_rgb_tensor(step):
            raise NotImplementedError(f"no numpy equivalent of preprocessing step {step!r}")
    resize = found.get("resize")
    if "crop" not in found and isinstance(resize, tuple):
        found["crop"] = resize  # 'squash' resizes to the exact size and crops nothing
    return PixelRecipe(**found)


def _resize_target(size) -> int | tuple[int, int]:
    """torchvision's Resize size: an int or a 1-sequence sets the short side, a pair both."""
    if isinstance(size, int):
        return size
    return int(size[0]) if len(size) == 1 else (int(size[0]), int(size[1]))


def _pair(size) -> tuple[int, int]:
    return (size, size) if isinstance(size, int) else (int(size[0]), int(size[-1]))


def _converts_to_rgb_tensor(step) -> bool:
    """open_clip's RGB conversion (a class or a function, by version) and its ToTensor."""
    from torchvision import transforms

    name = getattr(step, "__name__", type(step).__name__)
    return isinstance(step, transforms.ToTensor) or name in {"MaybeConvertMode", "_convert_to_rgb"}
