"""A folder of RAW files, RAW+JPEG pairs and broken RAWs through the Library: scan, listing,
details, tagging and sidecars (core/ingest/pairs.py, core/ingest/scan.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from phototag.core.interop import xmp
from phototag.core.library import Library
from phototag.core.options import RAW_SIDECAR_REPLACE_EXTENSION
from tests.photos import write_photo
from tests.raws import truncate, write_colour_dng


def _keywords(sidecar: Path) -> list[str]:
    return xmp.read(sidecar).keywords(xmp.SUBJECT)


@pytest.fixture
def raw_folder(tmp_path) -> Path:
    folder = tmp_path / "shoot"
    write_colour_dng(folder / "IMG_1.DNG", ["red"], 1)
    write_photo(folder / "IMG_1.JPG", ["red"], 1, quality=90)
    # A pair whose RAW sorts after its JPEG (LibRaw reads the DNG inside whatever its name).
    write_colour_dng(folder / "IMG_2.RW2", ["blue"], 2)
    write_photo(folder / "IMG_2.jpg", ["blue"], 2, quality=90)
    write_colour_dng(folder / "IMG_3.dng", ["green"], 3)
    write_colour_dng(folder / "IMG_4.dng", ["yellow"], 4, preview=False)
    truncate(write_colour_dng(folder / "broken.dng", ["red"], 5), 0.5)
    return folder


@pytest.fixture
def raw_library(tmp_path, raw_folder):
    with Library(tmp_path / "library") as library:
        library.add_folder(raw_folder)
        yield library


def test_a_pair_is_embedded_once_from_the_jpeg_and_a_broken_raw_gets_a_reason(
    raw_library, raw_folder
):
    report = raw_library.scan(model="tiny-random")
    assert report.files == 7
    assert report.embedded == 4  # two JPEGs, two lone RAWs
    assert (report.paired, report.linked) == (2, 0)  # the two RAW halves, not copies
    assert [(Path(p).name, r.split(" (")[0]) for p, r in report.unreadable] == [
        ("broken.dng", "truncated or corrupt RAW data")
    ]
    shown = [Path(ref.path).name for ref in raw_library.photos()]
    assert shown == ["IMG_1.JPG", "IMG_2.jpg", "IMG_3.dng", "IMG_4.dng"]
    assert raw_library.photo(raw_folder / "IMG_1.JPG").files == [
        str(raw_folder / "IMG_1.JPG"),
        str(raw_folder / "IMG_1.DNG"),
    ]
    again = raw_library.scan(model="tiny-random")
    assert (again.embedded, again.paired, again.unchanged) == (0, 0, 6)


def test_a_lone_raw_has_its_own_facts(raw_library, raw_folder):
    raw_library.scan(model="tiny-random")
    details = raw_library.photo(raw_folder / "IMG_4.dng")
    assert (details.width, details.height, details.taken_at) == (320, 240, "2021-06-05T14:30:00")
    assert details.files == [str(raw_folder / "IMG_4.dng")]


def test_one_tag_reaches_both_files_of_a_pair_and_their_sidecars(raw_library, raw_folder):
    raw_library.scan(model="tiny-random")
    raw_library.sidecars_on_confirm = True
    change = raw_library.tag("sunset", [raw_folder / "IMG_1.JPG"])
    assert not change.sidecars_failed
    assert _keywords(raw_folder / "IMG_1.JPG.xmp") == ["sunset"]
    assert _keywords(raw_folder / "IMG_1.DNG.xmp") == ["sunset"]
    predicted = {Path(p.path).name: set(p.labels) for p in raw_library.predictions("sunset")}
    assert predicted == {"IMG_1.JPG": {"sunset"}, "IMG_1.DNG": {"sunset"}}


def test_lightroom_style_names_a_raws_new_sidecar_and_never_the_jpegs(raw_library, raw_folder):
    raw_library.scan(model="tiny-random")
    raw_library.raw_sidecar_name = RAW_SIDECAR_REPLACE_EXTENSION
    raw_library.tag("sunset", [raw_folder / "IMG_1.JPG", raw_folder / "IMG_3.dng"])
    report = raw_library.write_sidecars()
    assert sorted(Path(p).name for p in report.written) == [
        "IMG_1.JPG.xmp",
        "IMG_1.xmp",
        "IMG_3.xmp",
    ]
    # Written again, each file's sidecar is found under the name it has.
    again = raw_library.write_sidecars()
    assert (again.written, again.unchanged) == ([], 6)


def test_an_existing_sidecar_of_either_name_is_the_one_updated(raw_library, raw_folder):
    raw_library.scan(model="tiny-random")
    (raw_folder / "IMG_3.xmp").write_bytes(xmp.Packet.new().serialize())
    raw_library.tag("sunset", [raw_folder / "IMG_3.dng"])
    raw_library.write_sidecars([raw_folder / "IMG_3.dng"])
    assert _keywords(raw_folder / "IMG_3.xmp") == ["sunset"]
    assert not (raw_folder / "IMG_3.dng.xmp").exists()


def test_a_raw_seen_before_its_jpeg_joins_it_and_keeps_its_tags(tmp_path, raw_folder):
    folder = tmp_path / "card"
    folder.mkdir()
    shutil.copy(raw_folder / "IMG_1.DNG", folder / "IMG_1.DNG")
    with Library(tmp_path / "watched") as library:
        library.add_folder(folder)
        library.scan(model="tiny-random")
        library.tag("sunset", [folder / "IMG_1.DNG"])
        shutil.copy(raw_folder / "IMG_1.JPG", folder / "IMG_1.JPG")
        report = library.ingest_paths([folder / "IMG_1.JPG"])  # the watcher's next batch
        assert (report.embedded, report.paired) == (1, 1)
        assert [Path(ref.path).name for ref in library.photos()] == ["IMG_1.JPG"]
        assert [label.name for label in library.photo(folder / "IMG_1.JPG").labels] == ["sunset"]


def test_a_raw_whose_jpeg_is_broken_is_a_photo_of_its_own(tmp_path, raw_folder):
    folder = tmp_path / "card"
    folder.mkdir()
    shutil.copy(raw_folder / "IMG_1.DNG", folder / "IMG_1.DNG")
    (folder / "IMG_1.JPG").write_bytes(b"\xff\xd8\xff not really")
    with Library(tmp_path / "lib") as library:
        library.add_folder(folder)
        report = library.scan(model="tiny-random")
        assert (report.embedded, len(report.unreadable)) == (1, 1)
        assert [Path(ref.path).name for ref in library.photos()] == ["IMG_1.DNG"]
