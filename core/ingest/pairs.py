"""RAW files, and the RAW+JPEG pairs a camera writes when set to shoot both.

The pair rule: `IMG_1.CR2` beside `IMG_1.JPG` (same folder, same name but for the extension,
letter case aside) is one shot, so it is one photo. The JPEG is decoded and embedded (the
camera's own rendering, and no RAW decode at all); the RAW's file row shows the JPEG's photo,
so a tag, a rejection or a label's score is the photo's and both files carry it. The grid, a
review and a search list the photo once, under the JPEG; the details list both files; `predict`,
`export` and the sidecar writer go file by file, so each file's sidecar gets the keyword.
A RAW whose JPEG is gone, unreadable or never there is a photo of its own, decoded from the RAW.

Which files pair is decided from names alone: this module imports nothing heavy (no LibRaw,
and the store only inside files_of_shot), so the browser can ask it and the decode workers,
which read RAW_EXTENSIONS through decode.py, import no SQLite layer (sqlite_utils brings pandas
and pyarrow: most of a worker's 120 MB).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from phototag.core.store.database import Store

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


class Shots:
    """The files of each shot in the folders a pass looks at, listed once per folder and pass
    (a watcher's pass may hold one file of a pair; its other file is on disk)."""

    def __init__(self) -> None:
        self._folders: dict[str, dict[str, list[str]]] = {}

    def companion(self, raw: str) -> str | None:
        """The JPEG beside the RAW file `raw` that makes the pair (None when there is none)."""
        found = [p for p in self._files_of_shot(raw) if is_companion_path(p)]
        return min(found) if found else None

    def raws(self, companion: str) -> list[str]:
        """The RAW files beside a JPEG that pair with it."""
        return [p for p in self._files_of_shot(companion) if is_raw_path(p)]

    def _files_of_shot(self, path: str) -> list[str]:
        folder, stem = shot_key(path)
        if folder not in self._folders:
            self._folders[folder] = _list_shots(folder)
        return self._folders[folder].get(stem, [])


def _list_shots(folder: str) -> dict[str, list[str]]:
    """Photo files of a folder by shot (a folder that cannot be listed has none)."""
    shots: dict[str, list[str]] = {}
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return shots
    for name in names:
        path = os.path.join(folder, name)
        if not name.startswith(".") and (is_raw_path(path) or is_companion_path(path)):
            shots.setdefault(shot_key(path)[1], []).append(path)
    return shots


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


def files_of_shot(store: Store, path: str, image_id: int) -> list[str]:
    """The file at `path` first, then the other present files of its shot that show the same
    photo (the RAW of a RAW+JPEG pair)."""
    from phototag.core.store import photos

    others = photos.present_paths_of(store, image_id)
    return [path] + [p for p in others if p != path and shot_key(p) == shot_key(path)]
