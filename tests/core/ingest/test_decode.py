"""decode_image against real files written by Pillow: every format a library holds, and the
broken and hostile files a scan must survive with a readable reason."""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from phototag.core.ingest.decode import (
    IMAGE_EXTENSIONS,
    DecodedImage,
    UnreadableImage,
    decode_image,
    is_image_path,
)
from tests.privileges import without_file_privileges

RED = (255, 0, 0)
GREEN = (0, 255, 0)
BLUE = (0, 0, 255)
WHITE = (255, 255, 255)


def _close_to(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 40) -> bool:
    """Lossy encoders (JPEG, WebP, HEIC) move colours a little; the tests only need the hue."""
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def _centre(decoded: DecodedImage) -> tuple[int, ...]:
    width, height = decoded.image.size
    return decoded.image.getpixel((width // 2, height // 2))


def _reason(path: Path) -> str:
    with pytest.raises(UnreadableImage) as caught:
        decode_image(path)
    assert str(caught.value) == caught.value.reason
    return caught.value.reason


def _marked_image(size: tuple[int, int]) -> Image.Image:
    """Blue with a red top-left corner, so any rotation or mirror shows where that corner went."""
    image = Image.new("RGB", size, BLUE)
    image.paste(RED, (0, 0, size[0] // 4, size[1] // 4))
    return image


def _corner_colours(image: Image.Image) -> dict[str, tuple[int, ...]]:
    width, height = image.size
    inset_x, inset_y = width // 16, height // 16
    return {
        "top-left": image.getpixel((inset_x, inset_y)),
        "top-right": image.getpixel((width - 1 - inset_x, inset_y)),
        "bottom-left": image.getpixel((inset_x, height - 1 - inset_y)),
        "bottom-right": image.getpixel((width - 1 - inset_x, height - 1 - inset_y)),
    }


def _exif(orientation: int | None = None, original: str | None = None, plain: str | None = None):
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    if plain is not None:
        exif[0x0132] = plain
    if original is not None:
        exif.get_ifd(0x8769)[0x9003] = original
    return exif


@pytest.fixture(scope="module")
def big_jpeg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 12-MP photo: the common case the JPEG draft exists for. Written once, it costs 0.2 s."""
    path = tmp_path_factory.mktemp("big") / "IMG_0001.JPG"
    _marked_image((4000, 3000)).save(path, quality=85)
    return path


# --- the public surface ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("IMG_0001.JPG", True),
        ("photo.jpeg", True),
        ("scan.TIFF", True),
        ("iphone.HEIC", True),
        ("phone.hif", True),
        ("a.Png", True),
        ("anim.GIF", True),
        ("old.jpe", True),
        ("notes.txt", False),
        ("archive.jpg.zip", False),
        ("README", False),
        ("._IMG_0001.JPG", False),
        (".hidden.png", False),
        (".jpg", False),
    ],
)
def test_is_image_path(name: str, expected: bool) -> None:
    assert is_image_path(Path("/photos") / name) is expected


def test_image_extensions_are_lowercase_with_a_dot() -> None:
    assert {".jpg", ".jpeg", ".png", ".webp", ".heic", ".tif", ".bmp", ".gif"} <= IMAGE_EXTENSIONS
    assert all(ext.startswith(".") and ext == ext.lower() for ext in IMAGE_EXTENSIONS)


def test_unreadable_image_str_is_the_reason() -> None:
    error = UnreadableImage("permission denied")
    assert str(error) == "permission denied"
    assert error.reason == "permission denied"


# --- JPEG: draft, orientation, dates -------------------------------------------------------


def test_large_jpeg_decodes_reduced_but_reports_full_size(big_jpeg: Path) -> None:
    decoded = decode_image(big_jpeg)
    assert (decoded.width, decoded.height) == (4000, 3000)
    assert decoded.image.mode == "RGB"
    assert 224 <= min(decoded.image.size) < 3000
    assert min(decoded.image.size) < 2 * 224
    assert decoded.taken_at is None
    assert _close_to(_corner_colours(decoded.image)["top-left"], RED)
    assert _close_to(_corner_colours(decoded.image)["bottom-right"], BLUE)


@pytest.mark.parametrize("min_side", [64, 224, 500, 1000])
def test_jpeg_draft_keeps_the_short_side_at_least_min_side(big_jpeg: Path, min_side: int) -> None:
    decoded = decode_image(big_jpeg, min_side=min_side)
    assert min(decoded.image.size) >= min_side
    assert decoded.image.size[0] > decoded.image.size[1]


def test_panorama_short_side_survives_the_draft(tmp_path: Path) -> None:
    path = tmp_path / "pano.jpg"
    Image.new("RGB", (6000, 500), GREEN).save(path)
    decoded = decode_image(path)
    assert min(decoded.image.size) >= 224
    assert (decoded.width, decoded.height) == (6000, 500)


def test_orientation_6_on_a_large_jpeg_reports_portrait(tmp_path: Path) -> None:
    path = tmp_path / "portrait.jpg"
    _marked_image((4000, 3000)).save(path, exif=_exif(orientation=6), quality=80)
    decoded = decode_image(path)
    assert (decoded.width, decoded.height) == (3000, 4000)
    assert decoded.image.size[1] > decoded.image.size[0]
    assert min(decoded.image.size) >= 224
    assert _close_to(_corner_colours(decoded.image)["top-right"], RED)
    assert _close_to(_corner_colours(decoded.image)["top-left"], BLUE)


@pytest.mark.parametrize(
    ("orientation", "red_corner", "sideways"),
    [
        (1, "top-left", False),
        (2, "top-right", False),
        (3, "bottom-right", False),
        (4, "bottom-left", False),
        (5, "top-left", True),
        (6, "top-right", True),
        (7, "bottom-right", True),
        (8, "bottom-left", True),
    ],
)
def test_exif_orientation_moves_pixels_and_dimensions(
    tmp_path: Path, orientation: int, red_corner: str, sideways: bool
) -> None:
    path = tmp_path / f"o{orientation}.jpg"
    _marked_image((400, 300)).save(path, exif=_exif(orientation=orientation), quality=90)
    decoded = decode_image(path)
    expected_size = (300, 400) if sideways else (400, 300)
    assert (decoded.width, decoded.height) == expected_size
    assert decoded.image.size == expected_size
    for corner, colour in _corner_colours(decoded.image).items():
        assert _close_to(colour, RED if corner == red_corner else BLUE), corner
    # The rotation is done; a consumer calling exif_transpose again must not rotate twice.
    assert decoded.image.getexif().get(0x0112) is None


@pytest.mark.parametrize(
    ("exif", "expected"),
    [
        (_exif(original="2021:07:04 12:30:00"), "2021-07-04T12:30:00"),
        (_exif(plain="2019:12:31 23:59:59"), "2019-12-31T23:59:59"),
        (
            _exif(original="2021:07:04 12:30:00", plain="2023:01:01 00:00:00"),
            "2021-07-04T12:30:00",
        ),
        (_exif(original="0000:00:00 00:00:00", plain="2020:02:29 08:00:00"), "2020-02-29T08:00:00"),
        (_exif(original="0000:00:00 00:00:00"), None),
        (_exif(original="yesterday"), None),
        (_exif(original="2021:13:45 99:00:00"), None),
        (_exif(orientation=1), None),
    ],
)
def test_taken_at_from_exif(tmp_path: Path, exif: Image.Exif, expected: str | None) -> None:
    path = tmp_path / "dated.jpg"
    Image.new("RGB", (64, 48), GREEN).save(path, exif=exif)
    assert decode_image(path).taken_at == expected


def test_corrupt_exif_keeps_the_picture_and_stays_quiet(tmp_path: Path) -> None:
    path = tmp_path / "edited.jpg"
    # A TIFF header whose only IFD entry points past the end of the block.
    broken = b"Exif\x00\x00II*\x00\x08\x00\x00\x00\xff\xff" + b"\x00" * 20
    Image.new("RGB", (64, 48), GREEN).save(path, exif=broken)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        decoded = decode_image(path)
    assert (decoded.width, decoded.height) == (64, 48)
    assert decoded.taken_at is None


def test_cmyk_jpeg_becomes_rgb(tmp_path: Path) -> None:
    path = tmp_path / "print.jpg"
    Image.new("CMYK", (300, 250), (0, 255, 255, 0)).save(path, quality=95)
    decoded = decode_image(path)
    assert decoded.image.mode == "RGB"
    assert _close_to(_centre(decoded), RED)


def test_grayscale_jpeg_becomes_rgb(tmp_path: Path) -> None:
    path = tmp_path / "bw.jpg"
    Image.new("L", (300, 250), 90).save(path)
    decoded = decode_image(path)
    assert decoded.image.mode == "RGB"
    assert _close_to(_centre(decoded), (90, 90, 90), tolerance=3)


def test_returned_image_outlives_the_file(tmp_path: Path) -> None:
    path = tmp_path / "gone.png"
    Image.new("RGB", (50, 40), GREEN).save(path)
    decoded = decode_image(path)
    path.unlink()
    assert decoded.image.getpixel((10, 10)) == GREEN
    assert decoded.image.copy().size == (50, 40)


# --- other formats and modes ----------------------------------------------------------------


def test_rgba_png_composites_on_white(tmp_path: Path) -> None:
    path = tmp_path / "logo.png"
    image = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    image.paste((255, 0, 0, 255), (0, 0, 50, 100))
    image.save(path)
    decoded = decode_image(path)
    assert decoded.image.mode == "RGB"
    assert decoded.image.getpixel((10, 50)) == RED
    assert decoded.image.getpixel((90, 50)) == WHITE


def test_palette_png_with_transparency_composites_on_white(tmp_path: Path) -> None:
    path = tmp_path / "icon.png"
    image = Image.new("P", (80, 60), 0)
    image.putpalette([*RED, *BLUE] + [0] * (256 - 2) * 3)
    image.paste(1, (40, 0, 80, 60))
    image.save(path, transparency=0)
    decoded = decode_image(path)
    assert decoded.image.mode == "RGB"
    assert decoded.image.getpixel((10, 30)) == WHITE
    assert decoded.image.getpixel((70, 30)) == BLUE


@pytest.mark.parametrize(("mode", "value", "expected"), [("L", 77, (77, 77, 77)), ("1", 1, WHITE)])
def test_single_channel_png_becomes_rgb(
    tmp_path: Path, mode: str, value: int, expected: tuple[int, int, int]
) -> None:
    path = tmp_path / f"{mode}.png"
    Image.new(mode, (60, 40), value).save(path)
    decoded = decode_image(path)
    assert decoded.image.mode == "RGB"
    assert _centre(decoded) == expected


def _assert_gradient_survived(decoded: DecodedImage) -> None:
    row = np.asarray(decoded.image)[0, :, 0].astype(int)
    assert row.min() <= 5
    assert row.max() >= 250
    assert len(np.unique(row)) > 100, "the gradient was clipped to a few values"
    assert np.all(np.diff(row) >= 0)
    assert 100 <= row[len(row) // 2] <= 155


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_16_bit_gradient_stays_a_gradient(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"scan16{suffix}"
    ramp = np.tile(np.linspace(0, 65535, 256).astype(np.uint16), (32, 1))
    image = Image.fromarray(ramp)
    assert image.mode == "I;16"
    image.save(path)
    _assert_gradient_survived(decode_image(path))


def test_float_tiff_gradient_stays_a_gradient(tmp_path: Path) -> None:
    path = tmp_path / "hdr.tif"
    Image.fromarray(np.tile(np.linspace(0, 1, 256, dtype=np.float32), (32, 1))).save(path)
    _assert_gradient_survived(decode_image(path))


@pytest.mark.parametrize(("suffix", "tolerance"), [(".bmp", 0), (".tif", 0), (".webp", 12)])
def test_plain_formats(tmp_path: Path, suffix: str, tolerance: int) -> None:
    path = tmp_path / f"plain{suffix}"
    Image.new("RGB", (120, 90), GREEN).save(path)
    decoded = decode_image(path)
    assert (decoded.width, decoded.height) == (120, 90)
    assert decoded.image.size == (120, 90)
    assert _close_to(_centre(decoded), GREEN, tolerance)


@pytest.mark.parametrize("suffix", [".gif", ".webp"])
def test_animation_gives_its_first_frame(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"anim{suffix}"
    frames = [Image.new("RGB", (64, 64), colour) for colour in (RED, BLUE, GREEN)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    decoded = decode_image(path)
    assert decoded.image.mode == "RGB"
    assert _close_to(_centre(decoded), RED)


def test_heic(tmp_path: Path) -> None:
    pytest.importorskip("pillow_heif")
    path = tmp_path / "IMG_0002.HEIC"
    try:
        # As bytes: given an Exif object, pillow-heif stores no rotation (irot) for the tag.
        exif = _exif(6, "2022:05:06 07:08:09").tobytes()
        _marked_image((400, 300)).save(path, format="HEIF", exif=exif)
    except (OSError, RuntimeError, ValueError, KeyError) as exc:
        pytest.skip(f"no HEIF encoder here: {exc}")
    decoded = decode_image(path)
    # libheif applies the rotation itself and clears the tag: still portrait, rotated once.
    assert (decoded.width, decoded.height) == (300, 400)
    assert decoded.image.size == (300, 400)
    assert _close_to(_corner_colours(decoded.image)["top-right"], RED)
    assert _close_to(_corner_colours(decoded.image)["top-left"], BLUE)
    assert decoded.taken_at == "2022-05-06T07:08:09"


@pytest.mark.skipif(".avif" not in IMAGE_EXTENSIONS, reason="this Pillow has no AVIF support")
def test_avif(tmp_path: Path) -> None:
    path = tmp_path / "photo.avif"
    Image.new("RGB", (120, 90), GREEN).save(path)
    decoded = decode_image(path)
    assert (decoded.width, decoded.height) == (120, 90)
    assert _close_to(_centre(decoded), GREEN)


@pytest.mark.parametrize("mode", ["RGB", "P", "RGBA"])
def test_big_non_jpeg_is_shrunk_but_not_below_min_side(tmp_path: Path, mode: str) -> None:
    path = tmp_path / f"big_{mode}.png"
    Image.new("RGB", (1600, 1200), GREEN).convert(mode).save(path)
    decoded = decode_image(path)
    assert (decoded.width, decoded.height) == (1600, 1200)
    assert 224 <= min(decoded.image.size) < 2 * 224
    assert decoded.image.size[0] > decoded.image.size[1]
    assert _centre(decoded) == GREEN


def test_small_image_is_not_upscaled(tmp_path: Path) -> None:
    path = tmp_path / "thumb.png"
    Image.new("RGB", (100, 50), GREEN).save(path)
    assert decode_image(path).image.size == (100, 50)


# --- failures -------------------------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.touch()
    assert _reason(path) == "empty file (0 bytes)"


def test_missing_file(tmp_path: Path) -> None:
    assert _reason(tmp_path / "never-there.jpg") == "file vanished during scan"


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "album.jpg"
    folder.mkdir()
    assert _reason(folder) == "is a directory"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_named_pipe_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    assert _reason(fifo) == "not a regular file (a FIFO)"


def test_a_device_is_named_for_what_it_is_not_read(tmp_path: Path) -> None:
    """/dev/zero behind a photo's name (swapped in after the scan's check) would never end."""
    zero = tmp_path / "zero.jpg"
    zero.symlink_to("/dev/zero")
    assert _reason(zero) == "not a regular file (a character device)"


DECODE_ONE = """
import sys
from pathlib import Path
from phototag.core.ingest.decode import UnreadableImage, decode_image
try:
    decode_image(Path(sys.argv[1]))
except UnreadableImage as exc:
    print(exc.reason)
else:
    print("decoded")
"""


def _reason_without_file_privileges(path: Path) -> str:
    """decode_image's verdict in a process that file permissions bind, root or not."""
    argv = without_file_privileges([sys.executable, "-c", DECODE_ONE, str(path)])
    completed = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.strip()


def test_permission_denied(tmp_path: Path) -> None:
    path = tmp_path / "locked.jpg"
    Image.new("RGB", (10, 10)).save(path)
    assert _reason_without_file_privileges(path) == "decoded"  # the same process can read
    path.chmod(0)
    try:
        assert _reason_without_file_privileges(path) == "permission denied"
    finally:
        path.chmod(0o644)


@pytest.mark.parametrize(
    "content",
    [
        b"\x00" * 1,
        b"hello, this is a text file with the wrong name\n",
        bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8)),
        b"\xff\xd8",  # too short for Pillow to call it a JPEG
    ],
)
def test_not_an_image(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "fake.jpg"
    path.write_bytes(content)
    assert _reason(path) == "not an image or unsupported format"


def test_jpeg_signature_followed_by_garbage_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "damaged.jpg"
    path.write_bytes(b"\xff\xd8\xff" + bytes(range(256)) * 4)
    assert _reason(path) == "truncated or corrupt image data"


# How many leading bytes Pillow needs before it recognises each format at all.
_SIGNATURE_LENGTH = {".jpg": 3, ".png": 8, ".gif": 6, ".webp": 12}


@pytest.fixture(scope="module")
def whole_files() -> dict[str, bytes]:
    """Incompressible pixels, so half the file really is half the image data; encoded once
    because quantising noise for GIF is the slowest thing in this file."""
    rng = np.random.default_rng(0)
    noise = Image.fromarray(rng.integers(0, 256, (120, 160, 3), dtype=np.uint8))
    encoded = {}
    for suffix in _SIGNATURE_LENGTH:
        buffer = io.BytesIO()
        noise.save(buffer, format=Image.registered_extensions()[suffix])
        encoded[suffix] = buffer.getvalue()
    return encoded


@pytest.mark.parametrize("suffix", list(_SIGNATURE_LENGTH))
@pytest.mark.parametrize("keep", [3, 10, 100, 0.5, -2])
def test_truncated_files_are_reported_not_half_decoded(
    tmp_path: Path, whole_files: dict[str, bytes], suffix: str, keep: float
) -> None:
    data = whole_files[suffix]
    cut = int(len(data) * keep) if isinstance(keep, float) else keep % len(data)
    path = tmp_path / f"cut{suffix}"
    path.write_bytes(data[:cut])
    if suffix in (".png", ".gif") and keep == -2:
        # Losing only the end marker (PNG's IEND, GIF's trailer) loses no pixels: Pillow
        # decodes the whole picture, and so do we.
        assert decode_image(path).image.size == (160, 120)
    elif cut < _SIGNATURE_LENGTH[suffix]:
        assert _reason(path) == "not an image or unsupported format"
    else:
        # JPEG and WebP need every byte, down to JPEG's 2-byte end marker.
        assert _reason(path) == "truncated or corrupt image data"


def _png_with_claimed_size(path: Path, width: int, height: int) -> None:
    """A real 1x1 PNG whose IHDR lies about its size, with a valid CRC, as an attacker would."""
    Image.new("RGB", (1, 1), RED).save(path)
    data = bytearray(path.read_bytes())
    # Signature (8) + chunk length (4) + b"IHDR" (4), then width and height, big-endian.
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(data[12:29]))
    path.write_bytes(bytes(data))


def test_pixel_bomb_header(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    _png_with_claimed_size(path, 20000, 20000)
    reason = _reason(path)
    assert reason.startswith("too many pixels")
    assert "400000000" in reason
    assert f"limit {2 * Image.MAX_IMAGE_PIXELS}" in reason


def test_pixel_limit_is_pillows_and_its_warning_stays_quiet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A small limit stands in for Pillow's 89-megapixel one, so the test need not decode one.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    warned = tmp_path / "warned.png"
    Image.new("RGB", (40, 40), GREEN).save(warned)  # 1600 px: over 1x, under 2x the limit
    refused = tmp_path / "refused.png"
    Image.new("RGB", (50, 50), GREEN).save(refused)  # 2500 px: over 2x
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert decode_image(warned).image.size == (40, 40)
    assert _reason(refused) == "too many pixels (2500 > limit 2000)"


def test_bad_min_side_is_a_programming_error(big_jpeg: Path) -> None:
    with pytest.raises(ValueError, match="min_side"):
        decode_image(big_jpeg, min_side=0)


def test_a_picture_over_the_decode_budget_is_refused_before_it_is_decoded(tmp_path: Path) -> None:
    """12000 x 12000 is under Pillow's pixel-bomb limit (it only warns there) but would take
    over 500 MB to decode; the budget refuses it from the header alone, whatever the format."""
    path = tmp_path / "wide.png"
    _png_with_claimed_size(path, 12000, 12000)
    assert 2 * Image.MAX_IMAGE_PIXELS > 12000 * 12000
    assert _reason(path) == (
        "too large to decode (12000 x 12000 pixels need 549 MB, more than the 384 MB a photo "
        "may use)"
    )


def test_a_large_jpeg_decodes_within_the_budget_thanks_to_draft_scaling(tmp_path: Path) -> None:
    """Draft decoding at 1/8 scale keeps camera JPEGs far under the budget: a 10000 x 8000
    JPEG (320 MB at full size in RGB) is embedded as usual."""
    path = tmp_path / "camera.jpg"
    Image.new("RGB", (10000, 8000), GREEN).save(path, quality=50)
    decoded = decode_image(path)
    assert (decoded.width, decoded.height) == (10000, 8000)
