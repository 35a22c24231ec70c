"""Undo and redo: after any recorded action, undo gives the database state before it, row for
row and byte for byte, and redo the state after it; the history survives reopening."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from phototag.core.errors import UserError
from phototag.core.library import Library

DECIDED_TABLES = (
    "labels",
    "examples",
    "label_weights",
    "label_heads",
    "label_packs",
    "settings",
    "xmp_written",
)


def decided_state(library: Library) -> dict[str, list[tuple]]:
    """Every row that holds a decision or is derived from one, read straight from the file."""
    with sqlite3.connect(library.store.path) as conn:
        return {
            table: sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
            for table in DECIDED_TABLES
        }


def _taught(library: Library, photo_set) -> None:
    """A library with two labels that have examples and a rejection."""
    photos = photo_set[1]
    library.tag("red", photos["red"][:3])
    library.reject("red", photos["red+green"][:1])
    library.tag("blue", photos["blue"][:2])


def _export_pack(library: Library, tmp: Path) -> Path:
    out = tmp / "red.json"
    library.export_pack("red", out)
    return out


ANOTHER_APPS_SIDECAR = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:subject><rdf:Bag><rdf:li>sea</rdf:li>'
    "</rdf:Bag></dc:subject></rdf:Description></rdf:RDF></x:xmpmeta>"
)

ACTIONS: dict[str, Callable[[Library, dict, Path], object]] = {
    "tag": lambda lib, photos, _: lib.tag("red", photos["red"][3:6]),
    "tag a new label": lambda lib, photos, _: lib.tag("green", photos["green"][:2]),
    "reject": lambda lib, photos, _: lib.reject("red", photos["yellow"][:2]),
    "untag": lambda lib, photos, _: lib.untag("red", photos["red"][:1]),
    "threshold": lambda lib, photos, _: lib.set_threshold("red", 0.5),
    "rename": lambda lib, photos, _: lib.rename_label("red", "crimson"),
    "remove label": lambda lib, photos, _: lib.remove_label("red"),
    "add label": lambda lib, photos, _: lib.add_label("sky"),
    "prompt": lambda lib, photos, _: lib.add_label("red", prompt="a photo of {}"),
    "label method": lambda lib, photos, _: lib.set_label_method("red", "linear-probe"),
    "library method": lambda lib, photos, _: lib.set_method("tip"),
    "import pack": lambda lib, photos, tmp: lib.import_pack(_export_pack(lib, tmp), "red copy"),
}


@pytest.mark.parametrize("action", list(ACTIONS))
def test_undo_restores_the_exact_state_before_each_action_and_redo_the_one_after(
    library, photo_set, tmp_path, action
):
    _taught(library, photo_set)
    if action == "import pack":
        _export_pack(library, tmp_path)
    before = decided_state(library)
    ACTIONS[action](library, photo_set[1], tmp_path)
    after = decided_state(library)
    assert after != before

    library.undo()
    assert decided_state(library) == before
    library.redo()
    assert decided_state(library) == after


def test_the_label_state_in_memory_follows_an_undo(library, photo_set):
    _taught(library, photo_set)
    suggested_before = {p.path for p in library.review("red").suggested}
    library.remove_label("red")
    library.undo()
    assert {p.path for p in library.review("red").suggested} == suggested_before
    assert len(library.review("red").confirmed) == 3


def test_import_keywords_is_undone_with_the_labels_it_created(writable_photos):
    root, folder = writable_photos
    with Library(root) as library:
        library.tag("red", sorted(folder.glob("red_*.jpg"))[:2])
        for photo in sorted(folder.glob("blue_*.jpg"))[:2]:
            Path(f"{photo}.xmp").write_text(ANOTHER_APPS_SIDECAR)
        before = decided_state(library)
        report = library.import_keywords()
        assert report.labels_created == ["sea"]
        after = decided_state(library)
        library.undo()
        assert decided_state(library) == before
        library.redo()
        assert decided_state(library) == after


def test_steps_undo_several_actions_newest_first_and_history_survives_reopening(
    library_dir, photo_set
):
    photos = photo_set[1]
    with Library(library_dir) as library:
        start = decided_state(library)
        library.tag("red", photos["red"][:2])
        library.set_threshold("red", 0.4)
        library.rename_label("red", "scarlet")
    with Library(library_dir) as library:
        assert [e.action for e in library.history()] == ["rename", "threshold", "tag"]
        reversal = library.undo(steps=3)
        assert [e.action for e in reversal.entries] == ["rename", "threshold", "tag"]
        assert decided_state(library) == start
        assert all(e.undone for e in library.history())
        with pytest.raises(UserError, match="nothing to undo"):
            library.undo()
        library.redo(steps=2)
        assert [e.undone for e in library.history()] == [True, False, False]


def test_a_new_action_after_undo_drops_what_could_be_redone(library, photo_set):
    photos = photo_set[1]
    library.tag("red", photos["red"][:2])
    library.undo()
    library.tag("blue", photos["blue"][:2])
    with pytest.raises(UserError, match="nothing to redo"):
        library.redo()
    assert [e.action for e in library.history()] == ["tag"]


def test_a_decision_that_changes_nothing_is_not_recorded(library, photo_set):
    photos = photo_set[1]
    library.tag("red", photos["red"][:2])
    library.tag("red", photos["red"][:2])
    assert len(library.history()) == 1


def _tagged_with_sidecars(writable_photos) -> tuple[Library, list[Path], Path]:
    """A library writing sidecars on confirm, a red photo tagged: (library, reds, its sidecar)."""
    root, folder = writable_photos
    red = sorted(folder.glob("red_*.jpg"))
    library = Library(root)
    library.sidecars_on_confirm = True
    library.tag("red", red[:1])
    return library, red, Path(f"{red[0]}.xmp")


def test_undo_puts_back_the_sidecars_a_decision_wrote(writable_photos):
    library, red, sidecar = _tagged_with_sidecars(writable_photos)
    with library:
        first = sidecar.read_bytes()
        state = decided_state(library)
        library.tag("warm", red[:1])
        assert sidecar.read_bytes() != first
        assert not Path(f"{red[1]}.xmp").exists()
        library.tag("warm", red[1:2])
        library.undo(steps=2)
        assert sidecar.read_bytes() == first
        assert not Path(f"{red[1]}.xmp").exists()
        assert decided_state(library) == state


def test_undo_keeps_a_sidecar_someone_edited_since(writable_photos):
    library, _, sidecar = _tagged_with_sidecars(writable_photos)
    with library:
        edited = sidecar.read_bytes().replace(b"</x:xmpmeta>", b"<!-- mine --></x:xmpmeta>")
        sidecar.write_bytes(edited)
        reversal = library.undo()
        assert reversal.sidecars_kept == [str(sidecar)]
        assert sidecar.read_bytes() == edited
        assert [label.name for label in library.labels()] == []


def _embeddings(library: Library) -> list[tuple]:
    with sqlite3.connect(library.store.path) as conn:
        return conn.execute(
            "SELECT image_id, embedding FROM embeddings ORDER BY image_id"
        ).fetchall()


def test_undo_of_a_refinement_brings_back_the_embeddings_and_every_label_exactly(
    library, photo_set
):
    _taught(library, photo_set)
    before, embedded = decided_state(library), _embeddings(library)
    library.refine(steps=60)
    after, refined = decided_state(library), _embeddings(library)
    assert refined != embedded

    library.undo()
    assert (decided_state(library), _embeddings(library)) == (before, embedded)
    assert [v.active for v in library.refinements()] == [True, False]
    library.redo()
    assert (decided_state(library), _embeddings(library)) == (after, refined)
    library.revert_refinement()
    library.undo()
    assert _embeddings(library) == refined
