"""Photo file to a small RGB image for CLIP, or a short reason why not.

A library scan meets every kind of file a camera, a phone or a download folder can produce,
including broken and hostile ones, so one bad file must become one line in a report rather
than a traceback that stops the scan. Decoding stays small on purpose: CLIP looks at 224
pixels, so full-resolution pixels are never kept longer than one step.
"""

from __future__ import annotations

import functools
import os
import re
import stat
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePath
from typing import BinaryIO

import numpy as np
from PIL import ExifTags, Image, UnidentifiedImageError, features

from phototag.core.atomic import file_kind
from phototag.core.ingest.pairs import RAW_EXTENSIONS, is_raw_path


def _register_heif() -> None:
    """Teach Pillow HEIC/HEIF. A dependency, but without it only HEIC photos are lost; every
    other format must still work."""
    try:
        import pillow_heif
    except ImportError:  # pragma: no cover
        return
    pillow_heif.register_heif_opener()


_register_heif()


def _avif_supported() -> bool:
    """Pillow learnt AVIF in 11.2 and only when built with libavif; older ones reject the name."""
    try:
        return bool(features.check_module("avif"))
    except ValueError:
        return False


_BASE_EXTENSIONS = (
    ".jpg",
    ".jpeg",
    ".jpe",
    ".png",
    ".webp",
    ".gif",
    ".tif",
    ".tiff",
    ".bmp",
    ".heic",
    ".heif",
    ".hif",
)

IMAGE_EXTENSIONS: frozenset[str] = (
    frozenset(_BASE_EXTENSIONS + ((".avif",) if _avif_supported() else ())) | RAW_EXTENSIONS
)

# Only these decoders may see the user's files: Pillow knows ~40 formats, most of them rare,
# old and a larger attack surface than photos need. MPO (stereo JPEGs from phones) needs no
# entry of its own: Pillow's JPEG opener returns MPO images itself.
_WANTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "TIFF", "BMP", "MPO", "HEIF", "AVIF")

# Orientations 5-8 store the picture on its side; the same table as ImageOps.exif_transpose.
_TRANSPOSE_FOR_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SIDEWAYS_ORIENTATIONS = frozenset({5, 6, 7, 8})

# Image.reduce averages pixel values, which is wrong for palette indices and unsupported for
# 1-bit and 16-bit modes; images in other modes are converted to RGB before being reduced.
_REDUCIBLE_MODES = frozenset({"RGB", "RGBA", "RGBX", "L", "LA", "I", "F", "CMYK"})
_HIGH_BIT_DEPTH_MODES = frozenset({"I", "F", "I;16", "I;16L", "I;16B", "I;16N"})
# The natural full-scale values of integer and float samples, tried smallest first.
_FULL_SCALES = (1.0, 255.0, 65535.0)

_EXIF_DATETIME = re.compile(r"\s*(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")

REASON_EMPTY = "empty file (0 bytes)"
REASON_VANISHED = "file vanished during scan"
REASON_PERMISSION = "permission denied"
REASON_DIRECTORY = "is a directory"
REASON_NOT_REGULAR = "not a regular file"
REASON_UNSUPPORTED = "not an image or unsupported format"
REASON_CORRUPT = "truncated or corrupt image data"
REASON_TOO_LARGE = "too large to decode"

# What one decode may allocate for its pixels, whatever the format: JPEG decodes at 1/8 scale
# and stays far below it, but WebP, PNG and TIFF decode whole. A 342 KB WebP of 12000 x 12000
# (under Pillow's pixel limit) took a worker to 2.3 GB of memory; two of 16383 x 10900 took the
# process tree to 6.2 GB. 384 MiB keeps a 96-megapixel RGB image (Pillow stores RGB in 4 bytes
# a pixel) and refuses those.
DECODE_BUDGET_BYTES = 384 * 2**20


class UnreadableImage(Exception):
    """Carries a short human reason; str(exc) == reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class DecodedImage:
    """The small picture CLIP needs, plus the full-size facts the library records about it."""

    image: Image.Image
    width: int
    height: int
    taken_at: str | None


def is_image_path(path: PurePath) -> bool:
    """Hidden files are skipped because macOS leaves '._IMG_1234.JPG' resource forks behind."""
    return not path.name.startswith(".") and path.suffix.lower() in IMAGE_EXTENSIONS


def decode_image(path: Path, min_side: int = 224) -> DecodedImage:
    """Decode at the smallest size that still gives CLIP `min_side` pixels on the short side.

    Raises UnreadableImage for anything about the file (missing, unreadable, corrupt, not an
    image, too big); ValueError only for a bad `min_side`, which is the caller's bug.
    """
    _check_min_side(min_side)
    with _open_regular_file(path) as handle:
        if is_raw_path(path):
            return _decode_raw(path, min_side)
        return decode_stream(handle, min_side)


def decode_bytes(name: str, handle: BinaryIO, min_side: int = 224) -> DecodedImage:
    """A photo already read into memory (an object-store object), decoded as decode_image
    decodes the same bytes in a file; `name` says whether it is a RAW."""
    _check_min_side(min_side)
    if is_raw_path(Path(name)):
        return _decode_raw(handle, min_side)
    return decode_stream(handle, min_side)


def _check_min_side(min_side: int) -> None:
    if min_side < 1:
        raise ValueError(f"min_side must be at least 1, got {min_side}")


def _decode_raw(path: Path | BinaryIO, min_side: int) -> DecodedImage:
    """Imported here, not at the top: raw.py builds on this module, and a library without
    RAW files never loads LibRaw."""
    from phototag.core.ingest.raw import decode_raw

    return decode_raw(path, min_side)


def _open_regular_file(path: Path) -> BinaryIO:
    """Open without blocking, then check what was opened: a FIFO named .jpg would hang a scan."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise UnreadableImage(REASON_VANISHED) from None
    except PermissionError:
        raise UnreadableImage(REASON_PERMISSION) from None
    except IsADirectoryError:
        raise UnreadableImage(REASON_DIRECTORY) from None
    except OSError as exc:
        raise UnreadableImage(f"cannot open file ({exc.strerror or exc})") from None
    except ValueError:  # a NUL byte in the name
        raise UnreadableImage("invalid file name") from None
    try:
        _check_is_nonempty_file(os.fstat(fd))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _check_is_nonempty_file(info: os.stat_result) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise UnreadableImage(REASON_DIRECTORY)
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableImage(f"{REASON_NOT_REGULAR} ({file_kind(info.st_mode)})")
    if info.st_size == 0:
        raise UnreadableImage(REASON_EMPTY)


def decode_stream(handle: BinaryIO, min_side: int, orientation: int | None = None) -> DecodedImage:
    """Turn whatever Pillow raises into a reason: on hostile input it raises almost anything.
    `orientation` overrides the picture's own EXIF (a RAW's preview is turned by the RAW's)."""
    try:
        with warnings.catch_warnings():
            # Between 1x and 2x Pillow's pixel limit it only warns, and it warns about corrupt
            # EXIF that it then ignores; over a library of 50,000 photos those lines would bury
            # the terminal while the decoded picture is fine.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            warnings.filterwarnings("ignore", module=r"(PIL|pillow_heif)(\.|$)")
            with Image.open(handle, formats=_open_formats()) as source:
                return _decode_opened(source, min_side, orientation)
    except UnidentifiedImageError as exc:
        raise UnreadableImage(_unidentified_reason(handle)) from exc
    except Image.DecompressionBombError as exc:
        raise UnreadableImage(_too_many_pixels_reason(exc)) from exc
    except UnreadableImage:
        raise
    except MemoryError as exc:
        raise UnreadableImage(REASON_TOO_LARGE) from exc
    except OSError as exc:
        raise UnreadableImage(_os_error_reason(exc)) from exc
    except Exception as exc:
        # Chained, so a bug of ours filed under this reason still shows in a debug log.
        raise UnreadableImage(REASON_CORRUPT) from exc


def _decode_opened(source: Image.Image, min_side: int, orientation: int | None) -> DecodedImage:
    full_width, full_height = source.size
    # JPEG decodes at 1/2, 1/4 or 1/8 scale, keeping both sides >= the requested size, so a
    # square request keeps the short side >= min_side; HEIF may pick an embedded thumbnail.
    source.draft("RGB", (min_side, min_side))
    _check_decode_budget(source)
    source.load()  # the first frame only, for GIF and animated WebP
    exif = _read_exif(source)
    if orientation is None:
        orientation = _orientation(exif)
    if is_sideways(orientation):
        full_width, full_height = full_height, full_width
    image = small_upright(source, min_side, orientation)
    return DecodedImage(image, full_width, full_height, _taken_at(exif))


def small_upright(source: Image.Image, min_side: int, orientation: int) -> Image.Image:
    """A new RGB image, short side in [min_side, 2*min_side) (never upscaled), turned upright.
    Reduced before converting when the mode allows, so no full-size RGB copy is ever made."""
    small = _shrink(_to_rgb(_shrink(source, min_side)), min_side)
    image = _apply_orientation(small, orientation)
    # The info dict still holds the source's EXIF, whose Orientation no longer applies.
    image.info = {}
    return image


def is_sideways(orientation: int) -> bool:
    """Orientations 5-8 store the picture on its side: its stored width is the upright height."""
    return orientation in _SIDEWAYS_ORIENTATIONS


def _check_decode_budget(source: Image.Image) -> None:
    """Refuse, before a byte is decoded, a picture whose pixels would exceed the budget."""
    width, height = source.size
    check_budget(width, height, width * height * _bytes_per_pixel(source.mode))


def check_budget(width: int, height: int, needed: int) -> None:
    """Refuse a decode of width x height pixels that would allocate `needed` bytes."""
    if needed > DECODE_BUDGET_BYTES:
        raise UnreadableImage(
            f"{REASON_TOO_LARGE} ({width} x {height} pixels need {needed // 2**20} MB, "
            f"more than the {DECODE_BUDGET_BYTES // 2**20} MB a photo may use)"
        )


def _bytes_per_pixel(mode: str) -> int:
    """Pillow's in-memory size of one pixel: 1 for 1/L/P, 2 for 16-bit, 4 for the rest."""
    if mode in ("1", "L", "P"):
        return 1
    if mode.startswith("I;16"):
        return 2
    return 4


@functools.cache
def _open_formats() -> tuple[str, ...]:
    """Resolved lazily: Image.init() imports every plugin, and Image.open raises KeyError for
    a format name no plugin registered (MPO; HEIF without pillow-heif; AVIF without libavif)."""
    Image.init()
    return tuple(
        name
        for name in _WANTED_FORMATS
        if name in Image.OPEN and (name != "AVIF" or _avif_supported())
    )


def _unidentified_reason(handle: BinaryIO) -> str:
    """A file that starts like a photo but will not open is damaged, not of an unknown kind."""
    try:
        handle.seek(0)
        prefix = handle.read(16)
    except OSError:
        return REASON_CORRUPT
    for name in _open_formats():
        accept = Image.OPEN[name][1]
        try:
            recognised = accept is not None and accept(prefix)
        except Exception:
            continue
        if recognised and not isinstance(recognised, str):
            return REASON_CORRUPT
    return REASON_UNSUPPORTED


def _too_many_pixels_reason(exc: Image.DecompressionBombError) -> str:
    """Pillow's message names both numbers; keep them, the user may want to raise the limit."""
    numbers = re.findall(r"\d+", str(exc))
    if len(numbers) >= 2:
        return f"too many pixels ({numbers[0]} > limit {numbers[1]})"
    return "too many pixels (over the decompression-bomb limit)"


def _os_error_reason(exc: OSError) -> str:
    """Pillow's own OSErrors carry no errno; one with an errno is the disk or the network."""
    if exc.errno is not None:
        return f"cannot read file ({exc.strerror or exc})"
    if "not available" in str(exc):  # e.g. "decoder jpeg2k not available" inside a TIFF
        return REASON_UNSUPPORTED
    return REASON_CORRUPT


def _read_exif(source: Image.Image) -> Image.Exif:
    """Broken EXIF is common in edited photos and must not cost the user the picture itself."""
    try:
        return source.getexif()
    except Exception:
        return Image.Exif()


def _orientation(exif: Image.Exif) -> int:
    value = exif.get(ExifTags.Base.Orientation, 1)
    return value if isinstance(value, int) else 1


def _apply_orientation(image: Image.Image, orientation: int) -> Image.Image:
    """Rotated after shrinking, so the rotation copies the small image, not the full one."""
    method = _TRANSPOSE_FOR_ORIENTATION.get(orientation)
    return image if method is None else image.transpose(method)


def _shrink(image: Image.Image, min_side: int) -> Image.Image:
    """Box-average down to a short side in [min_side, 2*min_side); never upscale."""
    factor = min(image.size) // min_side
    if factor < 2 or image.mode not in _REDUCIBLE_MODES or "transparency" in image.info:
        return image
    return image.reduce(factor)


def _to_rgb(image: Image.Image) -> Image.Image:
    """Always a new image, detached from the file, whatever the source mode."""
    if image.mode in _HIGH_BIT_DEPTH_MODES:
        image = _to_8bit_gray(image)
    if image.has_transparency_data:
        # Transparent areas are meant to show the page behind them, which is usually white;
        # dropping alpha instead would expose whatever colour the encoder left there.
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def _to_8bit_gray(image: Image.Image) -> Image.Image:
    """Pillow clips 16-bit and float samples at 255 when converting, turning scans white."""
    values = np.nan_to_num(np.asarray(image, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    if image.mode.startswith("I;16"):
        low, high = 0.0, 65535.0
    else:
        low = min(float(values.min(initial=0.0)), 0.0)
        peak = float(values.max(initial=0.0))
        high = next((scale for scale in _FULL_SCALES if peak <= scale), peak)
    if high <= low:
        return Image.new("L", image.size, 0)
    scaled = (values - low) * (255.0 / (high - low)) + 0.5
    return Image.fromarray(np.clip(scaled, 0, 255).astype(np.uint8))


def _taken_at(exif: Image.Exif) -> str | None:
    try:
        original = exif.get_ifd(ExifTags.IFD.Exif).get(ExifTags.Base.DateTimeOriginal)
    except Exception:
        original = None
    for raw in (original, exif.get(ExifTags.Base.DateTime)):
        parsed = _parse_exif_datetime(raw)
        if parsed is not None:
            return parsed
    return None


def _parse_exif_datetime(raw: object) -> str | None:
    """Cameras write "YYYY:MM:DD HH:MM:SS", unset clocks "0000:00:00 00:00:00", editors worse."""
    if isinstance(raw, bytes):
        raw = raw.decode("ascii", "replace")
    if not isinstance(raw, str):
        return None
    match = _EXIF_DATETIME.match(raw)
    if match is None:
        return None
    try:
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        return datetime(year, month, day, hour, minute, second).isoformat()
    except ValueError:
        return None
