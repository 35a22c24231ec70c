"""The GUI setting "Write XMP sidecars when I confirm a tag": off by default, kept in the
library, and when on, every decision updates the photo's sidecar."""

from __future__ import annotations

from phototag.core.library import Library
from tests.app.helpers import settle
from tests.exiftool import keywords


def test_confirming_writes_a_sidecar_only_when_enabled(qtbot, open_window, writable_photos):
    root, folder = writable_photos
    window = open_window(root)
    assert not window.sidecars_action.isChecked()

    window.tag_paths("red", [str(folder / "red_00.jpg")])
    settle(window)
    assert not (folder / "red_00.jpg.xmp").exists()

    window.sidecars_action.setChecked(True)
    window.tag_paths("red", [str(folder / "red_01.jpg")])
    settle(window)
    assert keywords(folder / "red_01.jpg.xmp")["XMP-dc:Subject"] == ["red"]

    window._decide("untag", "red", [str(folder / "red_01.jpg")])
    settle(window)
    assert keywords(folder / "red_01.jpg.xmp")["XMP-dc:Subject"] == []
    with Library(root) as library:
        assert library.sidecars_on_confirm
