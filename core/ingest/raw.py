"""A RAW file (CR2, CR3, NEF, ARW, DNG, RAF, ORF, RW2 ...) to the small picture CLIP needs,
through LibRaw (rawpy), or a short reason why not.

Cameras embed a JPEG preview of the shot, the camera's own rendering, which decodes like any
JPEG at 1/8 scale: when its short side is at least what the model needs, it is used and no RAW
data is unpacked at all. Otherwise the sensor data is demosaiced at half size (LibRaw's 2x2
binning, no interpolation), which is enough for 224 pixels. Measured on 12-MP DNGs on 2 loaded
cores (`bench/ingest.py --raw-only`): 61 ms of CPU a photo from the preview, 145 ms by half-size
demosaic (a full demosaic took 800-960 ms), against 35 ms for a 12-MP JPEG.

Whatever the picture came from, the facts recorded are the RAW's own: its orientation (LibRaw's
`flip`, which a preview does not carry), its size and the time it was taken.
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import numpy as np
import rawpy
from PIL import Image

from phototag.core.ingest.decode import (
    REASON_TOO_LARGE,
    DecodedImage,
    UnreadableImage,
    check_budget,
    decode_stream,
    is_sideways,
    small_upright,
)

REASON_RAW_UNSUPPORTED = "not a RAW file LibRaw can read (unknown camera or not a RAW file)"
REASON_RAW_CORRUPT = "truncated or corrupt RAW data"

# LibRaw's `flip` to the EXIF orientation it came from: dcraw maps orientation 1-8 to flip
# with "50132467"; this is the inverse.
_ORIENTATION_OF_FLIP = {0: 1, 1: 2, 3: 3, 2: 4, 4: 5, 6: 6, 7: 7, 5: 8}

# Bytes a half-size demosaic holds per pixel of the half-size picture: LibRaw's 4-channel
# 16-bit work image (8) and the 8-bit RGB result (3); the 16-bit sensor data comes on top.
_HALF_SIZE_BYTES_PER_PIXEL = 8 + 3

# LibRaw reports damaged data through a handler that prints to file descriptor 2 ("Unexpected
# end of file"), which rawpy cannot replace: over a folder of damaged RAWs those lines would
# bury the scan's progress, while each file's reason is in the report anyway.
_quiet_lock = threading.Lock()
_quiet_decodes = 0
_saved_stderr = -1


def decode_raw(path: Path | BinaryIO, min_side: int) -> DecodedImage:
    """The RAW's preview when it is large enough, else its half-size demosaic, upright; from
    a file, or from bytes already read (an object-store object, which LibRaw reads as a buffer).

    Raises UnreadableImage for a file LibRaw does not recognise, damaged data or a picture
    over the decode budget.
    """
    try:
        with _libraw_quiet(), rawpy.imread(str(path) if isinstance(path, Path) else path) as raw:
            return _decode_opened(raw, min_side)
    except rawpy.LibRawFileUnsupportedError as exc:
        raise UnreadableImage(REASON_RAW_UNSUPPORTED) from exc
    except (rawpy.LibRawError, rawpy.NotSupportedError) as exc:
        raise UnreadableImage(_libraw_reason(exc)) from exc
    except UnreadableImage:
        raise
    except MemoryError as exc:
        raise UnreadableImage(REASON_TOO_LARGE) from exc
    except Exception as exc:
        # As in decode.py: hostile input must cost one line, never the scan; chained, so a bug
        # of ours filed under this reason still shows in a debug log.
        raise UnreadableImage(REASON_RAW_CORRUPT) from exc


def _decode_opened(raw: rawpy.RawPy, min_side: int) -> DecodedImage:
    sizes = raw.sizes
    orientation = _ORIENTATION_OF_FLIP.get(sizes.flip, 1)
    width, height = (
        (sizes.height, sizes.width) if is_sideways(orientation) else (sizes.width, sizes.height)
    )
    image = _from_preview(raw, min_side, orientation)
    if image is None:
        image = _from_sensor(raw, min_side, orientation)
    return DecodedImage(image, width, height, _taken_at(raw))


def _from_preview(raw: rawpy.RawPy, min_side: int, orientation: int) -> Image.Image | None:
    """The embedded preview, when there is one at least as large as what is needed: min_side
    on the short side, or the half-size demosaic's short side if that is smaller."""
    try:
        thumb = raw.extract_thumb()
    except rawpy.LibRawError:
        return None  # none, of a kind LibRaw cannot give, or damaged: the sensor data may do
    wanted = min(min_side, min(raw.sizes.width, raw.sizes.height) // 2)
    # JPEG previews come as bytes, uncompressed ones (BITMAP) as an RGB array.
    if isinstance(thumb.data, bytes):
        return _from_jpeg_preview(thumb.data, wanted, min_side, orientation)
    if thumb.data.ndim == 3 and thumb.data.shape[2] == 3 and min(thumb.data.shape[:2]) >= wanted:
        bitmap = Image.fromarray(np.ascontiguousarray(thumb.data))
        return small_upright(bitmap, min_side, orientation)
    return None


def _from_jpeg_preview(
    data: bytes, wanted: int, min_side: int, orientation: int
) -> Image.Image | None:
    try:
        with Image.open(io.BytesIO(data), formats=["JPEG"]) as header:
            if min(header.size) < wanted:
                return None
        return decode_stream(io.BytesIO(data), min_side, orientation).image
    except (UnreadableImage, OSError):
        return None  # a damaged preview: the sensor data may still be whole


def _from_sensor(raw: rawpy.RawPy, min_side: int, orientation: int) -> Image.Image:
    """Half-size demosaic with the camera's white balance, turned upright here (after
    shrinking, so the rotation copies the small picture)."""
    sizes = raw.sizes
    half_pixels = (sizes.width // 2) * (sizes.height // 2)
    check_budget(
        sizes.width,
        sizes.height,
        sizes.raw_width * sizes.raw_height * 2 + half_pixels * _HALF_SIZE_BYTES_PER_PIXEL,
    )
    rgb = raw.postprocess(half_size=True, use_camera_wb=True, output_bps=8, user_flip=0)
    return small_upright(Image.fromarray(rgb), min_side, orientation)


def _taken_at(raw: rawpy.RawPy) -> str | None:
    """LibRaw's timestamp (EXIF DateTimeOriginal, else the file's own date), local time as the
    camera wrote it; 0 means the RAW has none."""
    taken = raw.other.timestamp
    if taken == datetime.fromtimestamp(0):
        return None
    return taken.replace(microsecond=0).isoformat()


def _libraw_reason(exc: Exception) -> str:
    """One line: what LibRaw said, after the kind of trouble."""
    said = exc.args[0] if exc.args else ""
    said = said.decode("ascii", "replace") if isinstance(said, bytes) else str(said)
    said = said.strip().rstrip(".").lower()
    return f"{REASON_RAW_CORRUPT} (LibRaw: {said})" if said else REASON_RAW_CORRUPT


@contextlib.contextmanager
def _libraw_quiet() -> Iterator[None]:
    """File descriptor 2 points at /dev/null while any decode of the process runs in LibRaw
    (process-wide, so counted: the first decode in redirects, the last one out restores)."""
    global _quiet_decodes, _saved_stderr
    with _quiet_lock:
        if _quiet_decodes == 0:
            _saved_stderr = os.dup(2)
            with open(os.devnull, "wb") as null:
                os.dup2(null.fileno(), 2)
        _quiet_decodes += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_decodes -= 1
            if _quiet_decodes == 0:
                os.dup2(_saved_stderr, 2)
                os.close(_saved_stderr)
