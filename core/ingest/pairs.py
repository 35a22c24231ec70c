"""RAW files, and the RAW+JPEG pairs a camera writes when set to shoot both.

The pair rule: `IMG_1.CR2` beside `IMG_1.JPG` (same folder, same name but for the extension,
letter case aside) is one shot, so it is one photo. The JPEG is decoded and embedded (the
camera's own rendering, and no RAW decode at all); the RAW's file row shows the JPEG's photo,
so a tag, a rejection or a label's score is the photo's and both files carry it. The grid, a
review and a search list the photo once, under the JPEG; the details list both files; `predict`,
`export` and the sidecar writer go file by file, so each file's sidecar gets the keyword.
A RAW whose JPEG is gone, unreadable or never there is a photo of its own, decoded from the RAW.

Which files pair is decided from names alone: this module imports nothing heavy, so the
browser can ask it without loading LibRaw.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

# What LibRaw reads and cameras write (Canon, Nikon, Sony, Fujifilm, Olympus/OM, Panasonic,
# Pentax, Samsung, Leica, Hasselblad, Phase One, Sigma, Kodak, Minolta, Epson, Mamiya) and
# Adobe's DNG, which phones write too.
RAW_EXTENSIONS: frozenset[str] = frozenset(
    {
        ".3fr",
        ".arw",
        ".cr2",
        ".cr3",
        ".crw",
        ".dcr",
        ".dng",
        ".erf",
        ".fff",
        ".iiq",
        ".kdc",
        ".mef",
        ".mos",
        ".mrw",
        ".nef",
        ".nrw",
        ".orf",
        ".pef",
        ".raf",
        ".rw2",
        ".rwl",
        ".sr2",
        ".srf",
        ".srw",
        ".x3f",
    }
)

# The JPEG a camera writes beside a RAW (HEIF on recent Canon and Sony bodies).
COMPANION_EXTENSIONS: frozenset[str] = frozenset({".jpg", ".jpeg", ".heic", ".heif", ".hif"})


def is_raw_path(path: str | Path) -> bool:
    return os.path.splitext(str(path))[1].lower() in RAW_EXTENSIONS


def shot_key(path: str | Path) -> tuple[str, str]:
    """What the two files of one shot share: their folder and their name without extension."""
    folder, name = os.path.split(str(path))
    return folder, os.path.splitext(name)[0].casefold()


def is_companion_path(path: str | Path) -> bool:
    return os.path.splitext(str(path))[1].lower() in COMPANION_EXTENSIONS


def companion_of(raw: str, paths: Sequence[str]) -> str | None:
    """The JPEG among `paths` that pairs with the RAW file `raw` (None when there is none)."""
    key = shot_key(raw)
    found = sorted(p for p in paths if is_companion_path(p) and shot_key(p) == key)
    return found[0] if found else None


def raw_halves(paths: Sequence[str], image_ids: Sequence[int]) -> list[bool]:
    """For each file, whether it is the RAW half of a pair: a RAW that shows the same photo as
    a JPEG of its shot. Listings leave these out, so a pair is one photo in the grid."""
    shown_by_companion = {
        (shot_key(path), image_id)
        for path, image_id in zip(paths, image_ids, strict=True)
        if is_companion_path(path)
    }
    return [
        is_raw_path(path) and (shot_key(path), image_id) in shown_by_companion
        for path, image_id in zip(paths, image_ids, strict=True)
    ]
