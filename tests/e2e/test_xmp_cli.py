"""`phototag export --format xmp` and `phototag import-keywords` end to end, on photos of the
test's own, with ExifTool as the independent reader and writer of keywords."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from phototag.core.library import Library
from phototag.core.store.keywords import keywords_written_to
from tests.exiftool import (
    exiftool,
    keywords,
    make_digikam_sidecar,
    make_lightroom_sidecar,
    tags,
)
from tests.mounts import fill, tmpfs
from tests.photos import write_photo


@pytest.fixture
def own(writable_photos):
    return writable_photos


def labels_of(root: Path) -> dict[str, str | None]:
    """Each label with its parent's name."""
    with Library(root) as library:
        rows = library.store.query(
            "SELECT l.name, p.name AS parent FROM labels l LEFT JOIN labels p ON p.id = l.parent"
        )
    return {r["name"]: r["parent"] for r in rows}


def examples_of(root: Path) -> set[tuple[str, str, int, str]]:
    """(file name, label, polarity, source) for every example."""
    with Library(root) as library:
        rows = library.store.query(
            "SELECT files.path, labels.name, examples.polarity, examples.source FROM examples "
            "JOIN labels ON labels.id = examples.label_id "
            "JOIN files ON files.image_id = examples.image_id"
        )
    return {(Path(r["path"]).name, r["name"], r["polarity"], r["source"]) for r in rows}


def test_export_xmp_writes_sidecars_and_says_what_it_did(phototag, own):
    root, folder = own
    assert phototag("tag", "red", folder / "red_00.jpg", library=root).code == 0
    (folder / "red_01.jpg.xmp").write_text("<broken", encoding="utf-8")
    assert phototag("tag", "red", folder / "red_01.jpg", library=root).code == 0

    result = phototag("export", "--format", "xmp", library=root)

    assert result.code == 1
    assert result.out.strip() == "sidecars: 1 written, 4 unchanged, 1 failed"
    assert f"cannot write {folder / 'red_01.jpg.xmp'}: not valid XML" in result.err
    assert keywords(folder / "red_00.jpg.xmp")["XMP-dc:Subject"] == ["red"]

    (folder / "red_01.jpg.xmp").unlink()
    again = phototag("export", "--format", "xmp", library=root)
    assert again.code == 0
    assert again.out.strip() == "sidecars: 1 written, 5 unchanged, 0 failed"


def test_export_xmp_updates_an_adobe_style_sidecar_instead_of_adding_one(phototag, own):
    root, folder = own
    adobe = make_lightroom_sidecar(folder / "blue_00.xmp")
    before = tags(adobe)
    phototag("tag", "sky", folder / "blue_00.jpg", library=root)

    assert phototag("export", "--format", "xmp", library=root).code == 0

    assert not (folder / "blue_00.jpg.xmp").exists()
    after = tags(adobe)
    assert after["XMP-dc:Subject"] == ["Holiday", "Beach", "sky"]
    assert after["XMP-crs:Exposure2012"] == before["XMP-crs:Exposure2012"]


def test_predicted_and_embed_belong_to_xmp(phototag, own):
    result = phototag("export", "--format", "csv", "--predicted", library=own[0])
    assert result.code == 1
    assert "apply to --format xmp" in result.err


def test_import_keywords_from_sidecars_learns_labels_with_their_hierarchy(phototag, own):
    root, folder = own
    make_digikam_sidecar(folder / "blue_00.jpg.xmp")  # Places/Home, People/Ann
    make_lightroom_sidecar(folder / "blue_01.xmp")  # Trips|Holiday, Beach (Adobe-style name)
    phototag("labels", "add", "Ann", library=root)  # a rejection never creates a label
    phototag("reject", "Ann", folder / "blue_00.jpg", library=root)

    result = phototag("import-keywords", library=root)

    assert result.code == 0, result.err
    assert result.out.startswith(
        "2 photos with keywords: 3 examples added, 0 already confirmed, 1 kept rejected; "
        "6 new labels"
    )
    assert f"kept your rejection: {folder / 'blue_00.jpg'} is not Ann" in result.err
    assert labels_of(root) == {
        "Ann": "People",
        "People": None,
        "Home": "Places",
        "Places": None,
        "Holiday": "Trips",
        "Trips": None,
        "Beach": None,
    }
    assert examples_of(root) == {
        ("blue_00.jpg", "Ann", -1, "user"),
        ("blue_00.jpg", "Home", 1, "import"),
        ("blue_01.jpg", "Holiday", 1, "import"),
        ("blue_01.jpg", "Beach", 1, "import"),
    }
    listed = phototag("labels", "list", library=root).out
    assert "Home\t1 confirmed" in listed

    again = phototag("import-keywords", library=root)
    assert again.out.startswith("2 photos with keywords: 0 examples added, 3 already confirmed")
    assert examples_of(root) == {
        ("blue_00.jpg", "Ann", -1, "user"),
        ("blue_00.jpg", "Home", 1, "import"),
        ("blue_01.jpg", "Holiday", 1, "import"),
        ("blue_01.jpg", "Beach", 1, "import"),
    }


def test_keywords_phototag_wrote_are_not_imported_back(phototag, own):
    root, folder = own
    phototag("tag", "red", *(folder / f"red_0{i}.jpg" for i in range(2)), library=root)
    phototag("export", "--format", "xmp", "--predicted", library=root)

    result = phototag("import-keywords", library=root)

    assert result.out.startswith("0 photos with keywords: 0 examples added")
    assert examples_of(root) == {
        ("red_00.jpg", "red", 1, "user"),
        ("red_01.jpg", "red", 1, "user"),
    }


def test_import_keywords_embedded_in_photos(phototag, tmp_path):
    folder = tmp_path / "embedded"
    photo = write_photo(folder / "sunset.jpg", ["yellow"], seed=7, quality=90)
    write_photo(folder / "plain.jpg", ["green"], seed=8, quality=90)
    exiftool(
        "-q",
        "-overwrite_original",
        "-XMP-dc:Subject=Sunset",
        "-XMP-dc:Subject=Nature",
        "-XMP-lr:HierarchicalSubject=Nature|Sunset",
        "-IPTC:Keywords=Sea",
        str(photo),
    )
    root = tmp_path / "library"
    phototag("folders", "add", folder, library=root)
    phototag("scan", "--model", "tiny-random", library=root)

    result = phototag("import-keywords", "--from", "embedded", photo, library=root)

    assert result.code == 0, result.err
    assert labels_of(root) == {"Nature": None, "Sunset": "Nature", "Sea": None}
    assert examples_of(root) == {
        ("sunset.jpg", "Sunset", 1, "import"),
        ("sunset.jpg", "Sea", 1, "import"),
    }


def test_embed_writes_keywords_into_the_photo_and_removes_only_its_own(phototag, own):
    root, folder = own
    photo = folder / "red_00.jpg"
    exiftool("-q", "-overwrite_original", "-XMP-dc:Subject=mine", "-IPTC:Keywords=mine", str(photo))
    phototag("tag", "red", photo, library=root)

    first = phototag("export", "--format", "xmp", "--embed", library=root)
    assert first.code == 0, first.err
    assert first.out.strip() == "photos: 1 written, 5 unchanged, 0 failed"
    found = tags(photo)
    assert found["XMP-dc:Subject"] == ["mine", "red"]
    assert found["IPTC:Keywords"] == ["mine", "red"]
    assert found["XMP-lr:HierarchicalSubject"] == ["red"]
    assert not (folder / "red_00.jpg.xmp").exists()

    phototag("scan", library=root)  # the photo's content changed; its tags follow it
    phototag("untag", "red", photo, library=root)
    assert phototag("export", "--format", "xmp", "--embed", library=root).code == 0
    found = tags(photo)
    assert found["XMP-dc:Subject"] == ["mine"]
    assert found["IPTC:Keywords"] == "mine"
    assert "XMP-lr:HierarchicalSubject" not in found


def test_embedding_without_exiftool_says_how_to_get_it(phototag, own, monkeypatch):
    monkeypatch.setenv("PATH", str(own[1]))
    result = phototag("export", "--format", "xmp", "--embed", library=own[0])
    assert result.code == 2
    assert "needs ExifTool, which is not installed" in result.err
    assert "libimage-exiftool-perl" in result.err


def test_tag_writes_sidecars_when_the_library_asks_for_it(phototag, own):
    """The GUI's "Write XMP sidecars when I confirm" is the library's setting: `phototag tag`,
    `reject` and `untag` follow it too, and the setting off writes nothing."""
    from phototag.core.interop import xmp

    root, folder = own
    assert phototag("tag", "red", folder / "red_00.jpg", library=root).code == 0
    assert not (folder / "red_00.jpg.xmp").exists()
    with Library(root) as library:
        library.sidecars_on_confirm = True

    assert phototag("tag", "red", folder / "red_01.jpg", library=root).code == 0
    sidecar = folder / "red_01.jpg.xmp"
    assert xmp.read(sidecar).keywords(xmp.SUBJECT) == ["red"]
    assert keywords(sidecar)["XMP-dc:Subject"] == ["red"]

    assert phototag("untag", "red", folder / "red_01.jpg", library=root).code == 0
    assert keywords(sidecar)["XMP-dc:Subject"] == []
    assert not (folder / "red_00.jpg.xmp").exists()


def test_tag_reports_a_sidecar_it_cannot_write(phototag, own):
    root, folder = own
    with Library(root) as library:
        library.sidecars_on_confirm = True
    (folder / "red_02.jpg.xmp").write_text("<broken", encoding="utf-8")

    result = phototag("tag", "red", folder / "red_02.jpg", library=root)

    assert result.code == 1
    assert result.out.strip() == "red: 1 photos confirmed, 0 already so"
    assert f"cannot write {folder / 'red_02.jpg.xmp'}: not valid XML" in result.err


def _recorded(root: Path, sidecar: Path) -> set[str]:
    """The keywords the library believes it wrote into sidecar."""
    with Library(root) as library:
        return {row.keyword for row in keywords_written_to(library.store, str(sidecar))}


def test_a_full_disk_writes_no_sidecar_and_records_none_as_written(phototag, photo_set, tmp_path):
    """An export that hit ENOSPC recorded keywords as written that never were: Phototag would
    then take a keyword the user later typed for its own and remove it."""
    root = tmp_path / "own library"
    with tmpfs(tmp_path / "small disk", "2m") as folder:
        for path in photo_set[1]["red"][:3]:
            shutil.copy(path, folder / path.name)
        with Library(root) as library:
            library.add_folder(folder)
            library.scan(model="tiny-random")
        red, other, third = (folder / f"red_0{i}.jpg" for i in range(3))
        assert phototag("tag", "red", red, library=root).code == 0
        assert phototag("export", "--format", "xmp", library=root).code == 0
        written = (folder / "red_00.jpg.xmp").read_bytes()
        assert phototag("tag", "warm", red, other, third, library=root).code == 0
        filler = fill(folder)

        result = phototag("export", "--format", "xmp", library=root)

        assert result.code == 1
        assert result.out.strip() == "sidecars: 0 written, 0 unchanged, 3 failed"
        failures = result.err.strip().splitlines()
        assert len(failures) == 3
        assert all("No space left on device" in failure for failure in failures)
        assert (folder / "red_00.jpg.xmp").read_bytes() == written
        assert _recorded(root, folder / "red_00.jpg.xmp") == {"red"}
        for photo in (other, third):
            assert not Path(f"{photo}.xmp").exists()
            assert _recorded(root, Path(f"{photo}.xmp")) == set()
        assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]

        filler.unlink()
        again = phototag("export", "--format", "xmp", library=root)
        assert again.code == 0, again.err
        assert _recorded(root, folder / "red_00.jpg.xmp") == {"red", "warm"}
        assert keywords(other.with_name("red_01.jpg.xmp"))["XMP-dc:Subject"] == ["warm"]
