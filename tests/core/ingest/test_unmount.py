"""A library folder on a real mount that goes away mid-scan (`umount -l`, as when a drive is
pulled or a share drops): decisions stay on their photos, follow them back when the folder
returns, and no purge removes them while the folder may come back.

The drive is a tmpfs; the library folder is a bind mount of it, so the folder can be unmounted
and mounted again with its files intact (a tmpfs unmounted itself forgets them). Mounting needs
root, which CI has.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from phototag.core.library import Library
from tests.photos import write_photo

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="mounting a tmpfs needs root (CI runs the tests as root)"
)

PHOTOS = 60
# The last photos in the scan's order carry the decisions: the unmount lands before they are read.
DECIDED = [f"photo_{index:02d}.jpg" for index in range(PHOTOS - 6, PHOTOS)]


def run(*argv: str | Path) -> None:
    subprocess.run([str(a) for a in argv], check=True, capture_output=True)


class Drive:
    """A tmpfs holding the photos, bind-mounted as the library folder."""

    def __init__(self, tmp_path: Path):
        self.disk = tmp_path / "disk"
        self.folder = tmp_path / "photos"
        self.disk.mkdir()
        self.folder.mkdir()
        run("mount", "-t", "tmpfs", "-o", "size=64m,mode=0700", "phototag-test", self.disk)
        self.plug()

    def plug(self) -> None:
        run("mount", "--bind", self.disk, self.folder)

    def unplug(self) -> None:
        """Lazily, as a drive pulled while files are open: readers already in a file go on."""
        run("umount", "-l", self.folder)

    def remove(self) -> None:
        if os.path.ismount(self.folder):
            self.unplug()
        run("umount", "-l", self.disk)


@pytest.fixture
def drive(tmp_path):
    mounted = Drive(tmp_path)
    yield mounted
    mounted.remove()


@pytest.fixture
def library(tmp_path, drive):
    for index in range(PHOTOS):
        write_photo(drive.folder / f"photo_{index:02d}.jpg", ["red"], seed=index)
    opened = Library(tmp_path / "library")
    opened.add_folder(drive.folder)
    opened.scan(model="tiny-random")
    decided = [drive.folder / name for name in DECIDED]
    opened.tag("red", decided[:3])
    opened.reject("red", decided[3:])
    yield opened
    opened.close()


def edit_every_photo(folder: Path) -> None:
    for index in range(PHOTOS):
        write_photo(folder / f"photo_{index:02d}.jpg", ["red", "yellow"], seed=1000 + index)


def unplug_when(drive: Drive, done_at_least: int):
    """A progress callback that pulls the drive once the scan reports this much done (0: after
    the folder was listed, before any file was looked at)."""
    pulled: list[bool] = []

    def progress(done: int, total: int) -> None:
        if not pulled and done >= done_at_least:
            drive.unplug()
            pulled.append(True)

    return progress


def confirmed_and_rejected(library: Library) -> tuple[set[str], int, int]:
    """What predict shows confirmed, and what `labels list` counts, for the label red."""
    shown = {p.path for p in library.predictions("red") if p.labels["red"].confirmed}
    info = next(i for i in library.labels() if i.name == "red")
    return shown, info.confirmed, info.rejected


@pytest.mark.parametrize("done_at_least", [0, 1], ids=["before-any-file", "mid-embedding"])
def test_a_folder_unmounted_mid_scan_keeps_every_decision_on_its_photos(
    library, drive, done_at_least
):
    edit_every_photo(drive.folder)

    report = library.scan(progress=unplug_when(drive, done_at_least))

    assert str(drive.folder) in dict(report.unavailable)
    assert not [path for path, reason in report.unreadable if "vanished" in reason]
    assert report.vanished > 0
    assert library.purge(dry_run=True).examples == 0

    drive.plug()
    library.scan()

    decided = {str(drive.folder / name) for name in DECIDED}
    shown, confirmed, rejected = confirmed_and_rejected(library)
    assert shown == set(sorted(decided)[:3])
    assert (confirmed, rejected) == (3, 3)
    assert library.purge(dry_run=True).examples == 0


def test_purge_keeps_the_decisions_of_a_missing_photo_while_its_folder_is_unplugged(library, drive):
    (drive.folder / DECIDED[0]).unlink()
    assert library.scan().missing == 1
    drive.unplug()

    kept = library.purge()

    assert (kept.files, kept.photos, kept.examples) == ([], 0, 0)
    drive.plug()
    purged = library.purge()
    assert (purged.files, purged.photos, purged.examples) == (
        [str(drive.folder / DECIDED[0])],
        1,
        1,
    )


def test_labels_list_counts_what_predict_shows_and_missing_photos_apart(library, drive):
    (drive.folder / DECIDED[0]).unlink()
    (drive.folder / DECIDED[-1]).unlink()
    library.scan()

    shown, confirmed, rejected = confirmed_and_rejected(library)
    info = next(i for i in library.labels() if i.name == "red")
    assert len(shown) == confirmed == 2
    assert rejected == 2
    assert (info.missing_confirmed, info.missing_rejected) == (1, 1)
