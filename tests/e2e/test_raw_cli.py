"""A folder of DNGs, DNG+JPEG pairs and broken RAW files through the command line: scan, tag,
export, import; ExifTool reads the keywords back from the RAW files' sidecars."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.exiftool import keywords, make_lightroom_sidecar, tags
from tests.photos import write_photo
from tests.raws import truncate, write_colour_dng


@pytest.fixture
def shoot(tmp_path) -> Path:
    folder = tmp_path / "shoot"
    write_colour_dng(folder / "IMG_1.DNG", ["red"], 1)
    write_photo(folder / "IMG_1.JPG", ["red"], 1, quality=90)
    write_colour_dng(folder / "IMG_2.dng", ["blue"], 2, preview=False)
    write_colour_dng(folder / "IMG_3.dng", ["green"], 3)
    truncate(write_colour_dng(folder / "IMG_9.dng", ["red"], 9), 0.5)
    return folder


@pytest.fixture
def library(phototag, tmp_path, shoot) -> Path:
    root = tmp_path / "raw-library"
    assert phototag("folders", "add", shoot, library=root).code == 0
    return root


def test_a_raw_folder_scans_tags_and_exports_sidecars_exiftool_reads(phototag, library, shoot):
    scanned = phototag("scan", "--model", "tiny-random", library=library)
    assert scanned.code == 0
    assert scanned.out.startswith("5 files: 3 embedded, 0 moved or copied, 0 unchanged, ")
    assert scanned.out.rstrip().endswith(", 1 RAW paired with their JPEG")
    assert "IMG_9.dng: truncated or corrupt RAW data" in scanned.err + scanned.out

    assert phototag("tag", "sunset", shoot / "IMG_1.JPG", library=library).code == 0
    assert phototag("tag", "sea", shoot / "IMG_2.dng", library=library).code == 0
    exported = phototag("export", "--format", "xmp", library=library)
    assert exported.code == 0

    both = {"XMP-dc:Subject": ["sunset"], "XMP-lr:HierarchicalSubject": ["sunset"]}
    assert keywords(shoot / "IMG_1.DNG.xmp") == {**both, "XMP-digiKam:TagsList": ["sunset"]}
    assert keywords(shoot / "IMG_1.JPG.xmp") == {**both, "XMP-digiKam:TagsList": ["sunset"]}
    assert keywords(shoot / "IMG_2.dng.xmp")["XMP-digiKam:TagsList"] == ["sea"]

    predicted = phototag("predict", "--json", library=library)
    records = [json.loads(line) for line in predicted.out.splitlines()]
    carrying = {Path(r["path"]).name for r in records if "sunset" in r["labels"]}
    assert carrying == {"IMG_1.JPG", "IMG_1.DNG"}


def test_lightroom_names_are_written_on_request_and_lightroom_sidecars_kept(
    phototag, library, shoot
):
    assert phototag("scan", "--model", "tiny-random", library=library).code == 0
    assert phototag("raw-sidecars", library=library).out.strip() == "keep-extension"
    chosen = phototag("raw-sidecars", "replace-extension", library=library)
    assert chosen.out.strip() == "replace-extension"
    make_lightroom_sidecar(shoot / "IMG_3.xmp")
    before = tags(shoot / "IMG_3.xmp")
    assert (
        phototag("tag", "forest", shoot / "IMG_2.dng", shoot / "IMG_3.dng", library=library).code
        == 0
    )

    assert phototag("export", "--format", "xmp", library=library).code == 0

    assert keywords(shoot / "IMG_2.xmp")["XMP-lr:HierarchicalSubject"] == ["forest"]
    after = tags(shoot / "IMG_3.xmp")
    assert after["XMP-lr:HierarchicalSubject"] == ["Trips|Holiday", "Beach", "forest"]
    assert after["XMP-crs:Exposure2012"] == before["XMP-crs:Exposure2012"]
    assert not (shoot / "IMG_3.dng.xmp").exists()


def test_an_unknown_sidecar_style_is_a_one_line_user_error(phototag, library):
    result = phototag("raw-sidecars", "IMG_1.xmp", library=library)
    assert result.code == 1
    assert len(result.err.strip().splitlines()) == 1
