"""Which sidecar belongs to a RAW file (core/interop/xmp.py SidecarNames), by names alone."""

from __future__ import annotations

from phototag.core.interop.xmp import SidecarNames
from phototag.core.options import RAW_SIDECAR_REPLACE_EXTENSION


def _touch(folder, *names):
    for name in names:
        (folder / name).write_bytes(b"")


def test_beside_a_pair_the_adobe_sidecar_is_the_raws_and_never_the_jpegs(tmp_path):
    _touch(tmp_path, "IMG_1.CR2", "IMG_1.JPG", "IMG_1.xmp")
    names = SidecarNames()
    assert names.to_read(tmp_path / "IMG_1.CR2") == [tmp_path / "IMG_1.xmp"]
    assert names.to_write(tmp_path / "IMG_1.CR2") == tmp_path / "IMG_1.xmp"
    assert names.to_read(tmp_path / "IMG_1.JPG") == []
    assert names.to_write(tmp_path / "IMG_1.JPG") == tmp_path / "IMG_1.JPG.xmp"


def test_two_raws_of_one_name_leave_the_adobe_sidecar_to_neither(tmp_path):
    _touch(tmp_path, "IMG_1.CR2", "IMG_1.DNG", "IMG_1.xmp")
    names = SidecarNames(RAW_SIDECAR_REPLACE_EXTENSION)
    assert names.to_read(tmp_path / "IMG_1.CR2") == []
    assert names.to_write(tmp_path / "IMG_1.CR2") == tmp_path / "IMG_1.xmp"  # the style's name
    assert names.to_read(tmp_path / "IMG_1.DNG") == []


def test_the_style_names_only_a_raws_new_sidecar(tmp_path):
    _touch(tmp_path, "IMG_1.NEF", "IMG_2.NEF", "IMG_2.NEF.xmp", "IMG_3.jpg")
    lightroom = SidecarNames(RAW_SIDECAR_REPLACE_EXTENSION)
    assert lightroom.to_write(tmp_path / "IMG_1.NEF") == tmp_path / "IMG_1.xmp"
    assert lightroom.to_write(tmp_path / "IMG_2.NEF") == tmp_path / "IMG_2.NEF.xmp"  # exists
    assert lightroom.to_write(tmp_path / "IMG_3.jpg") == tmp_path / "IMG_3.jpg.xmp"
    assert SidecarNames().to_write(tmp_path / "IMG_1.NEF") == tmp_path / "IMG_1.NEF.xmp"
