"""What a scan decides about each file, on a real library of a few photos and the tiny model:
unchanged or changed (size and mtime), the same content under a new name (a move or a copy),
gone (missing, or a stale unreadable record dropped), and a folder that cannot be read now (left
as it was). Fast: four photos, scanned in a fraction of a second."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from phototag.core.ingest import scan as scanning
from phototag.core.library import Library
from tests.photos import write_photo


@pytest.fixture
def scanned(tmp_path) -> tuple[Library, Path]:
    """(library, folder): red_0, red_1 and album/blue_0, album/blue_1, scanned."""
    folder = tmp_path / "photos"
    write_photo(folder / "red_0.jpg", ["red"], seed=1)
    write_photo(folder / "red_1.jpg", ["red"], seed=2)
    write_photo(folder / "album" / "blue_0.jpg", ["blue"], seed=3)
    write_photo(folder / "album" / "blue_1.jpg", ["blue"], seed=4)
    library = Library(tmp_path / "library")
    library.add_folder(folder)
    library.scan(model="tiny-random")
    yield library, folder
    library.close()


def counts(report) -> dict[str, int]:
    return {
        "embedded": report.embedded,
        "linked": report.linked,
        "moved": report.moved,
        "unchanged": report.unchanged,
        "missing": report.missing,
    }


def statuses(library: Library) -> dict[str, str]:
    return {r["path"]: r["status"] for r in library.store.query("SELECT path, status FROM files")}


def image_of(library: Library, path: Path) -> int:
    return library.store.scalar("SELECT image_id FROM files WHERE path = ?", (str(path),))


# ----- unchanged or changed ---------------------------------------------------------------------


def test_a_second_scan_of_nothing_changed_reads_no_file(scanned):
    library, _ = scanned
    report = library.scan()
    assert counts(report) == {"embedded": 0, "linked": 0, "moved": 0, "unchanged": 4, "missing": 0}
    assert report.files == 4


def test_a_touched_photo_is_hashed_again_and_found_to_be_the_same_content(scanned):
    library, folder = scanned
    photo = folder / "red_0.jpg"
    before = image_of(library, photo)
    stat = photo.stat()
    os.utime(photo, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))

    report = library.scan()

    # Same content, so linked to the photo it was, and neither a move nor a copy.
    assert counts(report) == {"embedded": 0, "linked": 1, "moved": 0, "unchanged": 3, "missing": 0}
    assert image_of(library, photo) == before
    assert library.status().images == 4


def test_a_photo_rewritten_with_its_old_mtime_is_caught_by_its_size(scanned):
    library, folder = scanned
    photo = folder / "red_1.jpg"
    stat = photo.stat()
    write_photo(photo, ["red"], seed=2, quality=30)
    assert photo.stat().st_size != stat.st_size
    os.utime(photo, ns=(stat.st_atime_ns, stat.st_mtime_ns))

    report = library.scan()

    assert counts(report) == {"embedded": 1, "linked": 0, "moved": 0, "unchanged": 3, "missing": 0}


def test_an_unreadable_file_is_read_again_at_every_scan_until_it_is_fixed(scanned):
    library, folder = scanned
    broken = folder / "broken.jpg"
    broken.write_bytes(b"not a picture at all")
    assert [p for p, _ in library.scan().unreadable] == [str(broken)]

    again = library.scan()

    assert [p for p, _ in again.unreadable] == [str(broken)]
    assert again.unchanged == 4
    write_photo(broken, ["green"], seed=5)
    fixed = library.scan()
    assert (fixed.embedded, fixed.unreadable) == (1, [])
    assert statuses(library)[str(broken)] == "ok"


def test_a_name_in_no_encoding_is_reported_at_every_scan_until_it_is_renamed(scanned):
    library, folder = scanned
    undecodable = os.fsencode(folder) + b"/caf\xe9.jpg"
    os.rename(folder / "red_1.jpg", undecodable)
    first = library.scan()
    second = library.scan()

    # The photos after it are looked at as usual; red_1's old name is missing (its content
    # cannot be read under a name SQLite cannot hold).
    assert (first.unchanged, first.missing, second.unchanged, second.missing) == (3, 1, 3, 0)

    for report in (first, second):
        [(path, reason)] = report.unreadable
        assert path.endswith("caf\\xe9.jpg")
        assert "not valid UTF-8" in reason
    assert len(library.status().unreadable) == 1

    os.rename(undecodable, folder / "cafe.jpg")
    renamed = library.scan()
    assert (renamed.unreadable, library.status().unreadable) == ([], [])
    assert statuses(library)[str(folder / "cafe.jpg")] == "ok"


# ----- gone -----------------------------------------------------------------------------------


def test_a_deleted_photo_is_counted_missing_once_not_at_every_scan(scanned):
    library, folder = scanned
    (folder / "red_0.jpg").unlink()

    first, second = library.scan(), library.scan()

    assert counts(first) == {"embedded": 0, "linked": 0, "moved": 0, "unchanged": 3, "missing": 1}
    assert second.missing == 0
    assert statuses(library)[str(folder / "red_0.jpg")] == "missing"
    assert library.status().missing == 1


def test_a_deleted_unreadable_file_is_forgotten_not_missing(scanned):
    library, folder = scanned
    broken = folder / "broken.jpg"
    broken.write_bytes(b"")
    library.scan()
    broken.unlink()

    report = library.scan()

    assert report.missing == 0
    assert str(broken) not in statuses(library)
    assert library.status().unreadable == []
    assert library.status().missing == 0


# ----- moves and copies -------------------------------------------------------------------------


def test_a_copy_is_linked_and_neither_moved_nor_missing(scanned):
    library, folder = scanned
    shutil.copy(folder / "red_0.jpg", folder / "copy.jpg")

    report = library.scan()

    assert counts(report) == {"embedded": 0, "linked": 1, "moved": 0, "unchanged": 4, "missing": 0}
    assert image_of(library, folder / "copy.jpg") == image_of(library, folder / "red_0.jpg")
    assert set(statuses(library).values()) == {"ok"}


def test_a_photo_moved_between_two_library_folders_is_a_move(scanned, tmp_path):
    library, folder = scanned
    other = tmp_path / "phone"
    other.mkdir()
    write_photo(other / "green.jpg", ["green"], seed=6)
    library.add_folder(other)
    library.scan()
    moved_from = folder / "red_1.jpg"
    image = image_of(library, moved_from)
    shutil.move(moved_from, other / "red_1.jpg")

    report = library.scan()

    assert counts(report) == {"embedded": 0, "linked": 1, "moved": 1, "unchanged": 4, "missing": 0}
    assert str(moved_from) not in statuses(library)
    assert image_of(library, other / "red_1.jpg") == image
    assert library.status().missing == 0


def test_the_watchers_half_of_a_move_forgets_the_old_path_at_once(scanned):
    library, folder = scanned
    old, new = folder / "album" / "blue_0.jpg", folder / "blue_0.jpg"
    shutil.move(old, new)

    report = library.ingest_paths([new])

    assert counts(report) == {"embedded": 0, "linked": 1, "moved": 1, "unchanged": 0, "missing": 0}
    assert str(old) not in statuses(library)
    assert statuses(library)[str(folder / "album" / "blue_1.jpg")] == "ok"


def test_the_watchers_half_of_a_copy_leaves_the_original_present(scanned):
    library, folder = scanned
    shutil.copy(folder / "red_0.jpg", folder / "album" / "copy.jpg")

    report = library.ingest_paths([folder / "album" / "copy.jpg"])

    assert (report.linked, report.moved, report.missing) == (1, 0, 0)
    assert statuses(library)[str(folder / "red_0.jpg")] == "ok"


def test_a_photo_whose_old_folder_is_gone_too_keeps_its_old_path_until_that_is_scanned(scanned):
    """The folder may be on an unplugged drive: only a scan of the old path itself may take the
    photo for moved."""
    library, folder = scanned
    album = folder / "album"
    shutil.move(album / "blue_0.jpg", folder / "blue_0.jpg")
    shutil.rmtree(album)

    report = library.ingest_paths([folder / "blue_0.jpg"])

    assert (report.linked, report.moved, report.missing) == (1, 0, 0)
    assert statuses(library)[str(album / "blue_0.jpg")] == "ok"
    later = library.ingest_paths([album])
    # blue_0 moved (its row goes), blue_1 is missing.
    assert (later.moved, later.missing) == (0, 1)
    assert statuses(library) == {
        str(folder / "red_0.jpg"): "ok",
        str(folder / "red_1.jpg"): "ok",
        str(folder / "blue_0.jpg"): "ok",
        str(album / "blue_1.jpg"): "missing",
    }


def test_the_move_check_looks_at_each_contents_other_paths_once_per_scan(scanned, monkeypatch):
    """test_many_links.py's rule on a few names: new names for one content are checked for a
    move once, not once each (which made many hard links quadratic)."""
    library, folder = scanned
    for index in range(3):
        os.link(folder / "red_0.jpg", folder / f"red_0 link {index}.jpg")
        os.link(folder / "red_1.jpg", folder / f"red_1 link {index}.jpg")
    looked_at: list[int] = []
    real = scanning.ingest_sql.present_files_elsewhere

    def counting(store, image_id, path):
        looked_at.append(image_id)
        return real(store, image_id, path)

    monkeypatch.setattr(scanning.ingest_sql, "present_files_elsewhere", counting)
    report = library.scan()

    assert (report.linked, report.moved, report.missing) == (6, 0, 0)
    assert sorted(looked_at) == sorted(
        {image_of(library, folder / "red_0.jpg"), image_of(library, folder / "red_1.jpg")}
    )


def test_a_path_outside_every_library_folder_is_ignored(scanned, tmp_path):
    library, _ = scanned
    outside = write_photo(tmp_path / "elsewhere" / "red.jpg", ["red"], seed=7)

    report = library.ingest_paths([outside])

    assert (report.files, report.embedded, report.unavailable) == (0, 0, [])
    assert str(outside) not in statuses(library)


# ----- folders that cannot be read now ----------------------------------------------------------


def test_a_folder_replaced_by_a_file_is_not_a_folder_and_keeps_its_photos(scanned):
    library, folder = scanned
    shutil.rmtree(folder)
    folder.write_bytes(b"a file now")

    report = library.scan()

    assert report.unavailable == [(str(folder), "not a folder")]
    assert library.folder_problem(str(folder)) == "not a folder"
    assert set(statuses(library).values()) == {"ok"}
    assert report.missing == 0


def test_a_vanished_folder_is_reported_as_not_found(scanned):
    library, folder = scanned
    shutil.rmtree(folder)

    report = library.scan()

    [(path, reason)] = report.unavailable
    assert path == str(folder)
    assert reason.startswith("not found")
    assert set(statuses(library).values()) == {"ok"}


def test_an_empty_folder_is_unavailable_only_while_the_library_has_photos_there(tmp_path):
    empty = tmp_path / "new-card"
    empty.mkdir()
    with Library(tmp_path / "library") as library:
        library.add_folder(empty)
        report = library.scan(model="tiny-random")
        assert (report.files, report.unavailable) == (0, [])
        assert library.folder_problem(str(empty)) is None

        write_photo(empty / "red.jpg", ["red"], seed=8)
        library.scan()
        (empty / "red.jpg").unlink()
        assert library.folder_problem(str(empty)) == (
            "empty, though it had photos (an unmounted drive?)"
        )
        assert library.scan().unavailable != []
        assert statuses(library) == {str(empty / "red.jpg"): "ok"}


def test_a_readable_folder_has_no_problem(scanned):
    library, folder = scanned
    assert library.folder_problem(str(folder)) is None
    assert library.scan().unavailable == []
