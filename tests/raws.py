"""Real RAW files made at test time: DNGs written by tifffile with the DNG tags LibRaw needs.

A DNG here is a Bayer (RGGB) mosaic of a generated colour photo, 12-bit, as a camera's sensor
would record it, and optionally the JPEG preview a camera embeds: IFD 0 is then a small RGB
thumbnail whose SubIFDs are the sensor data and the preview, the layout Adobe's converter and
cameras write. Without a preview, IFD 0 is the sensor data itself and nothing else.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import tifffile
from PIL import Image

from tests.photos import colour_photo

WHITE_LEVEL = 4095
TAKEN = "2021:06:05 14:30:00"
TAKEN_ISO = "2021-06-05T14:30:00"

# tifffile type codes of the tags below.
_BYTE, _SHORT, _LONG, _RATIONAL, _SRATIONAL, _ASCII = "B", "H", "I", "2I", "2i", "s"


def mosaic(rgb: np.ndarray) -> np.ndarray:
    """The RGGB Bayer mosaic of an 8-bit RGB picture, scaled to 12 bits."""
    cfa = np.empty(rgb.shape[:2], dtype=np.uint16)
    cfa[0::2, 0::2] = rgb[0::2, 0::2, 0]
    cfa[0::2, 1::2] = rgb[0::2, 1::2, 1]
    cfa[1::2, 0::2] = rgb[1::2, 0::2, 1]
    cfa[1::2, 1::2] = rgb[1::2, 1::2, 2]
    return (cfa.astype(np.uint32) * WHITE_LEVEL // 255).astype(np.uint16)


def _camera_tags(orientation: int, taken: str | None) -> list[tuple]:
    identity = (1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1)
    tags = [
        (50706, _BYTE, 4, (1, 4, 0, 0), True),  # DNGVersion
        (50707, _BYTE, 4, (1, 1, 0, 0), True),  # DNGBackwardVersion
        (271, _ASCII, 0, "Phototag", True),  # Make
        (272, _ASCII, 0, "Test Camera", True),  # Model
        (50708, _ASCII, 0, "Phototag Test Camera", True),  # UniqueCameraModel
        (274, _SHORT, 1, orientation, True),  # Orientation
        (50721, _SRATIONAL, 9, identity, True),  # ColorMatrix1
        (50778, _SHORT, 1, 21, True),  # CalibrationIlluminant1: D65
        (50728, _RATIONAL, 3, (1, 1, 1, 1, 1, 1), True),  # AsShotNeutral
    ]
    if taken is not None:
        tags.append((306, _ASCII, 0, taken, True))  # DateTime
    return tags


_SENSOR_TAGS = [
    (33421, _SHORT, 2, (2, 2), True),  # CFARepeatPatternDim
    (33422, _BYTE, 4, (0, 1, 1, 2), True),  # CFAPattern: RGGB
    (50717, _LONG, 1, WHITE_LEVEL, True),  # WhiteLevel
]


def write_dng(
    path: Path,
    picture: Image.Image,
    preview: bool = True,
    orientation: int = 1,
    taken: str | None = TAKEN,
    preview_scale: int = 1,
    uncompressed_preview: bool = False,
) -> Path:
    """A DNG of `picture` (stored as the sensor saw it: not turned by `orientation`), with a
    JPEG preview when `preview`, 1/preview_scale of the picture's size; with
    `uncompressed_preview`, the preview is IFD 0's RGB picture itself, as older DNGs have."""
    rgb = np.asarray(picture.convert("RGB"))
    path.parent.mkdir(parents=True, exist_ok=True)
    cfa_args = {"photometric": 32803, "subfiletype": 0}  # CFA
    with tifffile.TiffWriter(path) as dng:
        if not preview:
            dng.write(
                mosaic(rgb), **cfa_args, extratags=_camera_tags(orientation, taken) + _SENSOR_TAGS
            )
            return path
        thumbnail = np.asarray(picture.convert("RGB").reduce(1 if uncompressed_preview else 8))
        dng.write(
            thumbnail,
            photometric="rgb",
            subfiletype=1,
            subifds=1 if uncompressed_preview else 2,
            extratags=_camera_tags(orientation, taken),
        )
        dng.write(mosaic(rgb), **cfa_args, extratags=_SENSOR_TAGS)
        if uncompressed_preview:
            return path
        jpeg = io.BytesIO()
        shown = picture.convert("RGB").reduce(preview_scale)
        shown.save(jpeg, "JPEG", quality=90)
        dng.write(
            iter([jpeg.getvalue()]),
            shape=(shown.height, shown.width, 3),
            dtype=np.uint8,
            photometric="rgb",
            compression="jpeg",
            subfiletype=1,
            rowsperstrip=shown.height,
        )
    return path


def write_colour_dng(
    path: Path, colours: list[str], seed: int, size: tuple[int, int] = (320, 240), **kwargs
) -> Path:
    """A DNG of the same generated photo tests/photos.py makes for these colours."""
    return write_dng(path, colour_photo(colours, seed, size), **kwargs)


def truncate(path: Path, keep: float = 0.5) -> Path:
    """Cut the file after `keep` of its bytes, as an interrupted copy leaves it."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path
