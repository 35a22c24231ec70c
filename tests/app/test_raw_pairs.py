"""RAW files in the window: a RAW+JPEG pair is one photo in the grid whose details list both
files and whose tag reaches both sidecars; a lone RAW's thumbnail comes from its preview."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from PySide6.QtCore import Qt

from phototag.app.photo_model import Role
from phototag.core.interop import xmp
from tests.app.helpers import select_paths, settle, shown_paths, wait_for_scan
from tests.photos import write_photo
from tests.raws import truncate, write_colour_dng

TAGGING_TIMEOUT_MS = 60_000


def _facts(details) -> dict[str, str]:
    rows = range(details.facts.rowCount())
    return {
        details.facts.itemAt(row, details.facts.ItemRole.LabelRole).widget().text(): (
            details.facts.itemAt(row, details.facts.ItemRole.FieldRole).widget().text()
        )
        for row in rows
    }


def test_a_pair_is_one_photo_listing_both_files_and_tagged_once(qtbot, open_window, tmp_path):
    folder = tmp_path / "shoot"
    write_colour_dng(folder / "IMG_1.CR2", ["red"], 1)  # a DNG inside, as LibRaw reads it
    write_photo(folder / "IMG_1.JPG", ["red"], 1, quality=90)
    write_colour_dng(folder / "IMG_2.dng", ["blue"], 2, size=(640, 480))
    truncate(write_colour_dng(folder / "IMG_3.dng", ["green"], 3), 0.5)
    window = open_window(tmp_path / "library")
    window.add_folder(str(folder))
    settle(window)
    wait_for_scan(qtbot, window)

    assert shown_paths(window) == [str(folder / "IMG_1.JPG"), str(folder / "IMG_2.dng")]
    select_paths(window, [folder / "IMG_1.JPG"])
    qtbot.waitUntil(lambda: window.details.title.text() == "IMG_1.JPG")
    assert _facts(window.details)["Files"] == "IMG_1.JPG\nIMG_1.CR2"

    window.sidecars_action.trigger()  # File → Write XMP Sidecars When I Confirm a Tag
    qtbot.keyClicks(window.details.tag_input, "sunset")
    qtbot.keyClick(window.details.tag_input, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: window.sidebar.item_for("label", "sunset") is not None,
        timeout=TAGGING_TIMEOUT_MS,
    )
    carrying = {Path(p.path).name for p in window.library.predictions("sunset")}
    assert {"IMG_1.JPG", "IMG_1.CR2"} <= carrying
    for sidecar in ("IMG_1.JPG.xmp", "IMG_1.CR2.xmp"):
        assert xmp.read(folder / sidecar).keywords(xmp.SUBJECT) == ["sunset"]


def test_a_raws_thumbnail_is_made_from_its_preview(qtbot, open_window, tmp_path):
    folder = tmp_path / "shoot"
    write_colour_dng(folder / "IMG_2.dng", ["blue"], 2, size=(640, 480), orientation=6)
    window = open_window(tmp_path / "library")
    window.add_folder(str(folder))
    settle(window)
    wait_for_scan(qtbot, window)
    first = window.photo_model.index(0)
    first.data(Role.THUMBNAIL)
    qtbot.waitUntil(lambda: first.data(Role.THUMBNAIL) is not None, timeout=10_000)
    assert not first.data(Role.BROKEN)
    cached = window.loader.cache.path_for(first.data(Role.HASH))
    with Image.open(cached) as thumbnail:
        assert thumbnail.size == (256, 341)  # the 640 x 480 preview, turned by the RAW's flip
