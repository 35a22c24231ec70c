"""Hostile inputs, systematically: one folder of every kind of broken, odd or malicious file,
scanned by the real command line, and every kind of odd label name. Each case is handled or
refused with a reason; nothing crashes, and the rest of the work completes.

(tests/core/test_decode.py pins the exact reason for each broken format; this is the whole
pipeline's view: discovery, hashing, decoding, the database, the reports.)
"""

from __future__ import annotations

import io
import json
import os
import struct
import unicodedata
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from phototag.core.store.database import printable
from tests.e2e.conftest import run_process
from tests.photos import colour_photo, write_photo

CUTS = 40
DEPTH = 60


def _encoded(fmt: str) -> bytes:
    noise = np.random.default_rng(0).integers(0, 256, (60, 80, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, format=fmt)
    return buffer.getvalue()


def _pixel_bomb(width: int, height: int) -> bytes:
    """A valid 1x1 PNG whose header claims width x height, with a correct CRC."""
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def _hostile_folder(root: Path) -> list[Path]:
    """Writes the hostile cases; returns the good photos among them, which must be embedded."""
    rng = np.random.default_rng(7)
    for fmt, suffix in (("JPEG", "jpg"), ("PNG", "png")):
        whole = _encoded(fmt)
        for cut in np.unique(np.linspace(1, len(whole) - 1, CUTS).astype(int)):
            (root / "truncated").mkdir(parents=True, exist_ok=True)
            (root / "truncated" / f"{suffix}-{cut:06d}.{suffix}").write_bytes(whole[:cut])
    for suffix in ("jpg", "png", "heic", "webp", "JPEG", "tif"):
        (root / "random").mkdir(exist_ok=True)
        (root / "random" / f"noise.{suffix}").write_bytes(rng.bytes(int(rng.integers(1, 9000))))
        (root / "random" / f"empty.{suffix}").write_bytes(b"")
    (root / "bomb.png").write_bytes(_pixel_bomb(100_000, 100_000))
    deep = root.joinpath(*["deeper"] * DEPTH)
    good = [write_photo(deep / "bottom.jpg", ["red"], seed=1)]
    (root / "loops").mkdir()
    (root / "loops" / "parent").symlink_to(root)
    (root / "loops" / "self.jpg").symlink_to(root / "loops" / "self.jpg")
    (root / "loops" / "dangling.jpg").symlink_to(root / "nowhere.jpg")
    for index, name in enumerate(["new\nline.jpg", 'quote\'s "double".png', "🎂 emoji.jpg"]):
        good.append(write_photo(root / "names" / name, ["blue"], seed=10 + index))
    good.append(write_photo(root / "names" / "café.jpg", ["green"], seed=20))  # NFC
    decomposed = Path(unicodedata.normalize("NFD", str(root / "names" / "café2.jpg")))
    good.append(write_photo(decomposed, ["green"], seed=21))
    not_utf8 = os.fsencode(root / "names") + b"/latin1-\xe9t\xe9.jpg"
    with open(not_utf8, "wb") as handle:
        colour_photo(["yellow"], seed=30).save(handle, format="JPEG")
    return good


def _every_image_file(root: Path) -> set[str]:
    """What the scan should account for: every file with an image extension, as the library
    stores its name (undecodable bytes shown as \\xNN), not following folder links."""
    found = set()
    for directory, _, files in os.walk(os.fsencode(root)):
        for name in files:
            path = os.fsdecode(os.path.join(directory, name))
            if Path(path).suffix.lower() in {".jpg", ".jpeg", ".png", ".heic", ".webp", ".tif"}:
                found.add(printable(path))
    return found


def test_a_folder_of_hostile_files_is_scanned_reported_and_never_fatal(tmp_path):
    root = tmp_path / "hostile"
    good = _hostile_folder(root)
    library = ["--library", str(tmp_path / "library")]
    assert run_process(*library, "folders", "add", str(root)).code == 0

    scanned = run_process(*library, "scan", "--model", "tiny-random")

    assert scanned.code == 0, scanned.err
    assert "Traceback" not in scanned.err
    status = json.loads(run_process(*library, "status", "--json").out)
    reasons = {entry["path"]: entry["reason"] for entry in status["unreadable"]}
    predicted = run_process(*library, "predict", "--json")
    embedded = {json.loads(line)["path"] for line in predicted.out.splitlines()}
    assert {str(p) for p in good} <= embedded
    assert status["embedded"] == len(embedded)
    accounted = embedded | set(reasons)
    assert _every_image_file(root) <= accounted | {str(root / "loops" / "dangling.jpg")}
    assert all(reason.strip() for reason in reasons.values())
    assert reasons[str(root / "bomb.png")].startswith("too many pixels")
    assert "Too many levels of symbolic links" in reasons[str(root / "loops" / "self.jpg")]
    assert reasons[printable(str(root / "names")) + "/latin1-\\xe9t\\xe9.jpg"].startswith(
        "file name is not valid UTF-8"
    )
    for suffix in ("jpg", "png", "heic", "webp", "JPEG", "tif"):
        assert reasons[str(root / "random" / f"empty.{suffix}")] == "empty file (0 bytes)"
        assert str(root / "random" / f"noise.{suffix}") in reasons
    truncated = [p for p in accounted if "/truncated/" in p]
    assert len(truncated) >= 2 * CUTS - 2
    jpeg_cuts = [p for p in truncated if p.endswith(".jpg")]
    assert all(p in reasons for p in jpeg_cuts)  # JPEG needs every byte: never half-decoded

    again = run_process(*library, "scan")
    assert again.code == 0
    assert again.out.split(":")[1].strip().startswith("0 embedded")


ACCEPTED = [
    'Grandma\'s "best"',
    "🎂 birthday",
    "Robert'); DROP TABLE labels;--",
    "semi;colon, comma & <angle>",
    "x" * 200,
    "  padded  ",
]
REFUSED = {
    "Pets/Rex": "reserved",
    "a|b": "reserved",
    "   ": "needs a name",
    "": "needs a name",
    "x" * 201: "at most 200",
    "new\nline": "control characters",
    "bad-\udce9-bytes": "not valid UTF-8",
}


@pytest.mark.parametrize("name", ACCEPTED)
def test_odd_label_names_work_everywhere(phototag, photo_set, tmp_path, name):
    _, made = photo_set
    result = phototag("tag", name, *made["red"][:2])
    assert result.code == 0, result.err
    stored = name.strip()
    listed = [json.loads(line) for line in phototag("labels", "list", "--json").out.splitlines()]
    assert [(i["name"], i["confirmed"]) for i in listed] == [(stored, 2)]
    assert phototag("export", "--format", "json", tmp_path / "out.json").code == 0
    exported = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert any(stored in record["labels"] for record in exported)
    renamed = stored[:190] + " 2"
    assert phototag("labels", "rename", name, renamed).code == 0
    assert phototag("labels", "remove", renamed).code == 0


@pytest.mark.parametrize(("name", "message"), list(REFUSED.items()))
def test_unusable_label_names_are_refused_in_one_line(phototag, photo_set, name, message):
    _, made = photo_set
    for command in (["labels", "add", name], ["tag", name, str(made["red"][0])]):
        result = phototag(*command)
        assert result.code == 1, (command, result.out)
        assert message in result.err
        assert len(result.err.strip().splitlines()) == 1
        assert "Traceback" not in result.err
    assert phototag("labels", "list").out == ""


def test_unicode_normalisation_variants_are_one_label(phototag, photo_set):
    _, made = photo_set
    composed, decomposed = "café", unicodedata.normalize("NFD", "café")
    assert composed != decomposed
    assert phototag("tag", composed, made["red"][0]).code == 0
    assert phototag("tag", decomposed, made["red"][1]).code == 0
    assert "already exists" in phototag("labels", "add", decomposed).out
    listed = [json.loads(line) for line in phototag("labels", "list", "--json").out.splitlines()]
    assert [(i["name"], i["confirmed"]) for i in listed] == [(composed, 2)]
