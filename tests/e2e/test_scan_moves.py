"""A photo moved inside its folder between two scans is a move, nothing else: `phototag scan`
reports it linked and nothing newly missing, `status` counts no missing photo, and the photo
keeps its tags at its new path without being embedded again."""

from __future__ import annotations

import json
import shutil

import pytest

from phototag.core.ingest.watch import describe
from phototag.core.library import Library
from tests.photos import write_photo


@pytest.fixture
def scanned(phototag, tmp_path):
    """(library, folder): three red photos and a blue one, scanned, the red ones confirmed."""
    folder = tmp_path / "photos"
    for index in range(3):
        write_photo(folder / f"red_{index}.jpg", ["red"], seed=index)
    write_photo(folder / "blue_0.jpg", ["blue"], seed=100)
    library = tmp_path / "moves-library"  # not "library": the phototag fixture copies one there
    assert phototag("folders", "add", folder, library=library).code == 0
    assert phototag("scan", "--model", "tiny-random", library=library).code == 0
    assert phototag("tag", "red", *sorted(folder.glob("red_*.jpg")), library=library).code == 0
    return library, folder


def _confirmed(phototag, library) -> dict[str, set[str]]:
    records = [
        json.loads(line) for line in phototag("predict", "--json", library=library).out.splitlines()
    ]
    return {
        r["path"]: {name for name, label in r["labels"].items() if label["confirmed"]}
        for r in records
    }


def test_a_photo_moved_within_its_folder_is_reported_moved_and_keeps_its_tags(phototag, scanned):
    library, folder = scanned
    old, new = folder / "red_0.jpg", folder / "kept" / "renamed.jpg"
    new.parent.mkdir()
    shutil.move(old, new)

    result = phototag("scan", library=library)

    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == (
        "4 files: 0 embedded, 1 moved or copied, 3 unchanged, 0 unreadable, 0 newly missing"
    )
    status = json.loads(phototag("status", "--json", library=library).out)
    assert (status["photos"], status["images"], status["missing"]) == (4, 4, 0)
    assert status["folders"][0]["files"] == 4
    confirmed = _confirmed(phototag, library)
    assert str(old) not in confirmed
    assert confirmed[str(new)] == {"red"}
    assert [r["confirmed"] for r in status["labels"] if r["name"] == "red"] == [3]
    # Nothing is left for a purge to forget: the old path went with the move.
    purge = phototag("purge", "--dry-run", library=library).out
    assert purge == "would remove 0 missing files, 0 photos and 0 examples\n"


def test_the_scan_report_counts_the_move_as_moved_not_copied(phototag, scanned):
    library, folder = scanned
    (folder / "red_1.jpg").rename(folder / "red_1 (renamed).jpg")

    with Library(library) as opened:
        report = opened.scan()

    assert (report.linked, report.moved, report.missing, report.embedded) == (1, 1, 0, 0)
    assert describe(report) == "1 moved"
