"""ExifTool as the independent reader (and fixture maker) for the XMP tests.

The sidecars other programs leave next to photos are made here, by ExifTool, in the shapes
darktable (edit history), digiKam (TagsList) and Lightroom (Adobe-style name.xmp with crs:
develop settings) write; nothing is copied from elsewhere. `make test` installs ExifTool.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

CONFIG = Path(__file__).parent / "fixtures" / "xmp" / "darktable.config"
KEYWORD_TAGS = ("XMP-dc:Subject", "XMP-lr:HierarchicalSubject", "XMP-digiKam:TagsList")
# Groups describing the file rather than its metadata.
FILE_GROUPS = ("SourceFile", "ExifTool:", "System:", "File:")


def exiftool(*args: str) -> str:
    program = shutil.which("exiftool")
    if program is None:
        pytest.fail("the XMP tests need exiftool: run them through 'make test', which installs it")
    completed = subprocess.run(
        [program, "-config", str(CONFIG), *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return completed.stdout


def tags(path: Path) -> dict:
    """Every metadata tag ExifTool reads in the file, by group:name, values as text."""
    record = json.loads(
        exiftool("-json", "-G1", "-struct", str(path)), parse_int=str, parse_float=str
    )[0]
    return {key: value for key, value in record.items() if not key.startswith(FILE_GROUPS)}


def keywords(path: Path) -> dict[str, list[str]]:
    """The three keyword fields as ExifTool reads them (missing ones as empty lists)."""
    found = tags(path)
    return {tag: _as_list(found.get(tag)) for tag in KEYWORD_TAGS}


def without_keywords(found: dict) -> dict:
    """Everything but the keyword fields, Phototag's namespace and the toolkit that wrote it."""
    return {
        key: value
        for key, value in found.items()
        if key not in KEYWORD_TAGS and not key.startswith("XMP-phototag:")
    }


def _as_list(value) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


HISTORY = (
    "{num=0,operation=exposure,enabled=1,modversion=6,params=0000000000000000,multi_name=,"
    "multi_priority=0,blendop_version=13,blendop_params=gz11eJxjYGBgkGAAgRNODGiAEV0AJ2iwh+CROwhY}"
)
HISTORY_2 = (
    "{num=1,operation=colorin,enabled=1,modversion=7,params=gz48eJzjYhgFo2AUjAIEAAW4AAE=,"
    "multi_name=,multi_priority=0}"
)


def make_darktable_sidecar(path: Path) -> Path:
    """darktable: name.ext.xmp with an edit history, its own tags, a rating."""
    exiftool(
        "-q",
        "-o",
        str(path),
        "-XMP-darktable:xmp_version=5",
        "-XMP-darktable:history_end=2",
        f"-XMP-darktable:history={HISTORY}",
        f"-XMP-darktable:history+={HISTORY_2}",
        "-XMP-darktable:auto_presets_applied=1",
        "-XMP-dc:Subject=darktable",
        "-XMP-dc:Subject=format",
        "-XMP-lr:HierarchicalSubject=darktable|format|jpg",
        "-XMP-xmp:Rating=3",
        "-XMP-exif:DateTimeOriginal=2024:05:01 10:11:12",
        "-XMP-xmpMM:DocumentID=xmp.did:0123456789abcdef",
    )
    return path


def make_digikam_sidecar(path: Path) -> Path:
    """digiKam: name.ext.xmp with TagsList, the same keywords in dc/lr, a colour label."""
    exiftool(
        "-q",
        "-o",
        str(path),
        "-XMP-digiKam:TagsList=Places/Home",
        "-XMP-digiKam:TagsList=People/Ann",
        "-XMP-dc:Subject=Home",
        "-XMP-dc:Subject=Ann",
        "-XMP-lr:HierarchicalSubject=Places|Home",
        "-XMP-lr:HierarchicalSubject=People|Ann",
        "-XMP-digiKam:ColorLabel=3",
        "-XMP-xmp:Rating=4",
        "-XMP-tiff:Orientation#=6",
        "-XMP-microsoft:LastKeywordXMP=Places/Home",
    )
    return path


def make_lightroom_sidecar(path: Path) -> Path:
    """Lightroom: Adobe-style name.xmp with Camera Raw develop settings (crs:) and keywords."""
    exiftool(
        "-q",
        "-o",
        str(path),
        "-XMP-crs:Version=15.0",
        "-XMP-crs:ProcessVersion=11.0",
        "-XMP-crs:WhiteBalance=As Shot",
        "-XMP-crs:Exposure2012=+0.35",
        "-XMP-crs:Contrast2012=+12",
        "-XMP-crs:ToneCurvePV2012=0, 0",
        "-XMP-crs:ToneCurvePV2012+=255, 255",
        "-XMP-crs:HasSettings=True",
        "-XMP-xmpMM:DocumentID=xmp.did:fedcba9876543210",
        "-XMP-xmpMM:InstanceID=xmp.iid:fedcba9876543210",
        "-XMP-photoshop:DateCreated=2024:05:01 10:11:12",
        "-XMP-dc:Subject=Holiday",
        "-XMP-dc:Subject=Beach",
        "-XMP-lr:HierarchicalSubject=Trips|Holiday",
        "-XMP-lr:HierarchicalSubject=Beach",
        "-XMP-xmp:Label=Red",
    )
    return path
