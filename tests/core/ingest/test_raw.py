"""RAW decoding (core/ingest/raw.py) on real DNGs written at test time (tests/raws.py), checked
against what LibRaw itself reads from them."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import rawpy
from PIL import Image

from phototag.core.ingest.decode import UnreadableImage, decode_image, is_image_path
from phototag.core.ingest.raw import REASON_RAW_CORRUPT, REASON_RAW_UNSUPPORTED
from phototag.core.ingest.thumbnails import make_thumbnail
from tests.photos import colour_photo
from tests.raws import TAKEN_ISO, truncate, write_colour_dng, write_dng


def _mean_colour(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.float64).reshape(-1, 3).mean(axis=0)


def test_libraw_reads_the_written_dngs_as_raw_files(tmp_path):
    with_preview = write_colour_dng(tmp_path / "a.dng", ["red"], 1, size=(640, 480))
    without = write_colour_dng(tmp_path / "b.dng", ["red"], 1, preview=False)
    with rawpy.imread(str(with_preview)) as raw:
        assert raw.raw_type == rawpy.RawType.Flat  # a Bayer mosaic
        assert (raw.sizes.width, raw.sizes.height) == (640, 480)
        thumb = raw.extract_thumb()
        assert thumb.format == rawpy.ThumbFormat.JPEG
    with rawpy.imread(str(without)) as raw, pytest.raises(rawpy.LibRawNoThumbnailError):
        raw.extract_thumb()


def test_a_raw_with_a_large_preview_decodes_from_it_with_the_raws_facts(tmp_path):
    picture = colour_photo(["blue"], 3, (640, 480))
    path = write_dng(tmp_path / "IMG_1.DNG", picture)
    decoded = decode_image(path, 224)
    assert (decoded.width, decoded.height) == (640, 480)
    assert decoded.taken_at == TAKEN_ISO
    # The preview is the picture itself (JPEG quality 90): colours match closely.
    assert np.abs(_mean_colour(decoded.image) - _mean_colour(picture)).max() < 3
    assert min(decoded.image.size) >= 224


def test_a_raw_without_a_preview_is_demosaiced_at_half_size(tmp_path):
    picture = colour_photo(["green"], 4, (640, 480))
    path = write_dng(tmp_path / "b.dng", picture, preview=False)
    decoded = decode_image(path, 224)
    assert (decoded.width, decoded.height) == (640, 480)
    assert decoded.image.size == (320, 240)  # half size, already in [224, 448)
    red, green, blue = _mean_colour(decoded.image)
    assert green > red + 30
    assert green > blue + 30


def test_a_preview_smaller_than_the_half_size_demosaic_gives_way_to_the_sensor_data(tmp_path):
    picture = colour_photo(["yellow"], 5, (640, 480))
    path = write_dng(tmp_path / "c.dng", picture, preview_scale=4)  # a 160 x 120 preview
    assert decode_image(path, 224).image.size == (320, 240)  # the half-size demosaic


def test_a_preview_short_of_the_side_but_larger_than_the_demosaic_is_used(tmp_path):
    picture = colour_photo(["yellow"], 5, (320, 240))
    path = write_dng(tmp_path / "c.dng", picture)  # a 240-pixel preview; demosaic gives 120
    assert make_thumbnail(path).size == (320, 240)


def test_an_uncompressed_preview_serves_like_a_jpeg_one(tmp_path):
    picture = colour_photo(["blue"], 3, (640, 480))
    path = write_dng(tmp_path / "u.dng", picture, uncompressed_preview=True)
    with rawpy.imread(str(path)) as raw:
        assert raw.extract_thumb().format == rawpy.ThumbFormat.BITMAP
    decoded = decode_image(path, 224)
    assert decoded.image.size == (320, 240)  # the 640 x 480 preview halved
    # The preview's own pixels: the demosaic (same size) is further off in colour.
    assert np.abs(_mean_colour(decoded.image) - _mean_colour(picture)).max() < 1


def test_the_raws_orientation_turns_the_picture_and_its_dimensions(tmp_path):
    picture = colour_photo(["red", "blue"], 6, (640, 480))  # red left, blue right
    for preview in (True, False):
        path = write_dng(tmp_path / f"o{preview}.dng", picture, preview=preview, orientation=6)
        decoded = decode_image(path, 224)
        assert (decoded.width, decoded.height) == (480, 640)
        image = np.asarray(decoded.image, dtype=np.float64)
        assert image.shape[0] > image.shape[1]
        top, bottom = image[: image.shape[0] // 4], image[-image.shape[0] // 4 :]
        # Turned 90 degrees clockwise: the left (red) band is at the top.
        assert top[..., 0].mean() > top[..., 2].mean()
        assert bottom[..., 2].mean() > bottom[..., 0].mean()


def test_a_raw_without_a_date_has_none(tmp_path):
    path = write_colour_dng(tmp_path / "d.dng", ["red"], 7, taken=None, preview=False)
    assert decode_image(path, 224).taken_at is None


@pytest.mark.parametrize("preview", [True, False])
def test_a_truncated_raw_gets_a_one_line_reason(tmp_path, preview):
    path = truncate(write_colour_dng(tmp_path / "t.dng", ["red"], 8, preview=preview), 0.6)
    with pytest.raises(UnreadableImage) as raised:
        decode_image(path, 224)
    assert raised.value.reason.startswith(REASON_RAW_CORRUPT)
    assert "\n" not in raised.value.reason


def test_a_file_named_like_a_raw_that_is_not_one_is_refused(tmp_path):
    path = tmp_path / "notes.nef"
    path.write_bytes(b"not a raw file at all, just text" * 10)
    with pytest.raises(UnreadableImage, match=re.escape(REASON_RAW_UNSUPPORTED)):
        decode_image(path, 224)


def test_raw_extensions_are_photos_in_any_case():
    for name in ("a.CR2", "a.cr3", "a.NEF", "a.arw", "a.dng", "a.RAF", "a.orf", "a.RW2"):
        assert is_image_path(Path(name))


def test_libraw_says_nothing_on_stderr_about_damaged_files(tmp_path, capfd):
    path = truncate(write_colour_dng(tmp_path / "t.dng", ["red"], 9, preview=False), 0.6)
    with pytest.raises(UnreadableImage):
        decode_image(path, 224)
    assert capfd.readouterr().err == ""
