"""The Library facade against a real SQLite file, real decoding and the tiny CLIP model."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from phototag.core.errors import UserError
from phototag.core.labels.imprint import Prototype
from phototag.core.library import Library
from tests.photos import write_photo


def _head(library: Library, name: str):
    state = library._state()
    return next((c, h) for c, h in enumerate(state.heads) if h.name == name)


def _labels_of(library: Library) -> dict[str, set[str]]:
    return {p.path: set(p.labels) for p in library.predictions()}


def test_adding_a_label_never_changes_another_label_bit_for_bit(library, photo_set):
    _, made = photo_set
    library.tag("red", made["red"][:3])
    column, red = _head(library, "red")
    weight = red.prototype.weight().copy()
    threshold = red.threshold
    scores = library._state().scores[:, column].copy()
    decided = library._state().decisions()[:, column].copy()

    library.tag("green", made["green"][:3])
    library.reject("green", made["red+green"][:1])
    library.add_label("sunsets", prompt=None)

    column, red = _head(library, "red")
    assert np.array_equal(red.prototype.weight(), weight)
    assert red.threshold == threshold
    assert np.array_equal(library._state().scores[:, column], scores)
    assert np.array_equal(library._state().decisions()[:, column], decided)


def test_incremental_updates_equal_a_full_reimprint(library, photo_set):
    _, made = photo_set
    library.tag("red", made["red"][:5])
    library.untag("red", made["red"][1:2])
    library.tag("red", made["red+green"][:2])
    library.reject("red", made["red"][3:4])
    library.tag("red", made["red"][3:4])
    _, head = _head(library, "red")

    state = library._state()
    positives = state.matrix.rows(head.ids(1))
    full = Prototype.from_examples(state.matrix.embeddings[positives])
    assert np.array_equal(head.prototype.pos_sum, full.pos_sum)
    assert np.array_equal(head.prototype.weight(), full.weight())

    reopened = Library(library.root)
    _, again = _head(reopened, "red")
    assert np.array_equal(again.prototype.weight(), full.weight())
    assert again.threshold == head.threshold
    reopened.close()


def test_three_examples_label_the_rest_of_their_colour(library, photo_set):
    _, made = photo_set
    for colour in ("red", "green", "blue", "yellow"):
        library.tag(colour, made[colour][:3])
    labels = _labels_of(library)
    for colour in ("red", "green", "blue", "yellow"):
        held_out = [str(p) for p in made[colour][3:]]
        correct = sum(labels[p] == {colour} for p in held_out)
        assert correct >= 0.9 * len(held_out), (colour, [labels[p] for p in held_out])


def test_a_rejection_removes_the_photo_and_raises_the_threshold(library, photo_set):
    _, made = photo_set
    library.tag("red", made["red"][:3])
    column, head = _head(library, "red")
    state = library._state()
    suggested = [
        str(p)
        for key in made
        if key != "red"
        for p in made[key]
        if "red" in _labels_of(library)[str(p)]
    ]
    assert suggested, "the mixed red photos should be suggested before any rejection"
    scores = {
        str(p): state.scores[state.matrix.row(_image_id(library, p)), column] for p in suggested
    }
    weakest = min(scores, key=scores.get)
    before = head.threshold

    library.reject("red", [weakest])

    _, head = _head(library, "red")
    assert "red" not in _labels_of(library)[weakest]
    assert head.threshold > scores[weakest] > before


def _image_id(library: Library, path) -> int:
    return library.store.scalar("SELECT image_id FROM files WHERE path = ?", (str(path),))


@pytest.fixture
def small_library(tmp_path):
    """A writable folder of a few photos, scanned: for tests that move or break files."""
    folder = tmp_path / "photos"
    for index in range(4):
        write_photo(folder / f"red_{index}.jpg", ["red"], seed=index)
        write_photo(folder / f"blue_{index}.jpg", ["blue"], seed=100 + index)
    library = Library(tmp_path / "library")
    library.add_folder(folder)
    library.scan(model="tiny-random")
    yield library, folder
    library.close()


def test_a_moved_file_keeps_its_tags_without_re_embedding(small_library):
    library, folder = small_library
    library.tag("red", [folder / "red_0.jpg"])
    target = folder / "elsewhere" / "renamed.jpg"
    target.parent.mkdir()
    shutil.move(folder / "red_0.jpg", target)

    report = library.scan()

    assert report.embedded == 0
    assert report.linked == 1
    labels = {p.path: p.labels for p in library.predictions()}
    assert str(folder / "red_0.jpg") not in labels
    assert labels[str(target)]["red"].confirmed


def test_a_deleted_file_is_missing_and_its_examples_stay(small_library):
    library, folder = small_library
    library.tag("red", [folder / "red_0.jpg", folder / "red_1.jpg"])
    (folder / "red_0.jpg").unlink()

    report = library.scan()

    assert report.missing == 1
    assert library.status().missing == 1
    red = next(i for i in library.labels() if i.name == "red")
    assert (red.confirmed, red.missing_confirmed) == (1, 1)


def test_suggested_counts_the_present_photos_given_the_label_and_not_confirmed(small_library):
    library, folder = small_library
    library.tag("red", [folder / "red_0.jpg", folder / "red_1.jpg"])
    (folder / "red_0.jpg").unlink()
    library.scan()

    red = next(i for i in library.labels() if i.name == "red")
    given = [p.labels["red"] for p in library.predictions() if "red" in p.labels]
    assert red.suggested == sum(1 for label in given if not label.confirmed)


def test_a_copy_is_the_same_photo_and_is_not_embedded_twice(small_library):
    library, folder = small_library
    shutil.copy(folder / "blue_0.jpg", folder / "copy.jpg")
    report = library.scan()
    assert (report.embedded, report.linked) == (0, 1)
    library.tag("blue", [folder / "copy.jpg"])
    labels = {p.path: p.labels for p in library.predictions()}
    assert labels[str(folder / "blue_0.jpg")]["blue"].confirmed


def test_unreadable_files_are_reported_and_the_scan_goes_on(small_library):
    library, folder = small_library
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "notes.png").write_text("not a picture")
    whole = (folder / "blue_1.jpg").read_bytes()
    (folder / "cut.jpg").write_bytes(whole[: len(whole) // 2])
    write_photo(folder / "new.jpg", ["red"], seed=77)

    report = library.scan()

    reasons = dict(library.status().unreadable)
    assert reasons[str(folder / "empty.jpg")] == "empty file (0 bytes)"
    assert "not an image" in reasons[str(folder / "notes.png")]
    assert "truncated" in reasons[str(folder / "cut.jpg")]
    assert report.embedded == 1
    assert str(folder / "new.jpg") in {p.path for p in library.predictions()}


def test_an_unreadable_file_that_is_fixed_leaves_the_list(small_library):
    library, folder = small_library
    (folder / "later.jpg").write_bytes(b"")
    library.scan()
    write_photo(folder / "later.jpg", ["blue"], seed=55)
    library.scan()
    assert library.status().unreadable == []


@pytest.mark.parametrize("bad", ["", "   ", "Pets/Rex", "a|b", "tab\there"])
def test_unusable_label_names_are_refused(small_library, bad):
    library, _ = small_library
    with pytest.raises(UserError):
        library.add_label(bad)


def test_label_names_match_regardless_of_case_and_survive_odd_characters(small_library):
    library, folder = small_library
    odd = 'Grandma\'s "best" 🎂; DROP TABLE labels;--'
    assert library.add_label(odd) == (odd, True)
    assert library.add_label(odd.upper())[1] is False
    library.tag(odd.lower(), [folder / "red_0.jpg"])
    assert [i.name for i in library.labels()] == [odd]


def test_tagging_a_path_outside_the_library_is_reported(small_library, tmp_path):
    library, folder = small_library
    change = library.tag("red", [folder / "red_0.jpg", tmp_path / "nowhere.jpg"])
    assert change.changed == 1
    assert change.not_found == [str(tmp_path / "nowhere.jpg")]


def test_tagging_a_folder_tags_every_photo_below_it(small_library, tmp_path):
    library, folder = small_library
    change = library.tag("all", [folder])
    assert change.changed == 8


def test_tagging_a_folder_leaves_out_folders_whose_names_only_begin_alike(tmp_path):
    """Folder 'a' holds a/..., not 'a0' (the byte after the separator), 'a b' or 'ab'."""
    folder = tmp_path / "photos"
    for index, name in enumerate(["a", "a0", "a b", "ab", "a/deeper"]):
        write_photo(folder / name / f"p{index}.jpg", ["red"], seed=index)
    with Library(tmp_path / "library") as library:
        library.add_folder(folder)
        library.scan(model="tiny-random")
        change = library.tag("a", [folder / "a"])
        tagged = {p.path for p in library.review("a").confirmed}
    assert change.changed == 2
    assert tagged == {str(folder / "a" / "p0.jpg"), str(folder / "a" / "deeper" / "p4.jpg")}


def test_odd_file_names_are_scanned_or_reported_never_fatal(tmp_path):
    folder = tmp_path / "photos"
    write_photo(folder / "new\nline.jpg", ["red"], seed=1)
    write_photo(folder / "ümlaut 🎂 'quote\".jpg", ["red"], seed=2)
    write_photo(folder / "plain.jpg", ["red"], seed=3)
    undecodable = os.fsencode(folder) + b"/latin1-\xe9t\xe9.jpg"
    os.rename(folder / "plain.jpg", undecodable)
    (folder / "loop").symlink_to(folder)
    with Library(tmp_path / "library") as library:
        library.add_folder(folder)
        report = library.scan(model="tiny-random")
        assert report.embedded == 2
        [(path, reason)] = library.status().unreadable
        assert path.endswith("latin1-\\xe9t\\xe9.jpg")
        assert "not valid UTF-8" in reason
        assert library.tag("red", [folder / "new\nline.jpg"]).changed == 1


def test_a_typo_in_a_path_does_not_create_an_empty_label(small_library, tmp_path):
    library, _ = small_library
    change = library.tag("Rex", [tmp_path / "typo.jpg"])
    assert change.changed == 0
    assert library.labels() == []


def test_a_prompted_label_starts_from_its_text_embedding_and_examples_take_over(
    small_library,
):
    library, folder = small_library
    library.add_label("sky", prompt="a photo of {}")
    _, head = _head(library, "sky")
    text = library._encoder().encode_texts(["a photo of sky"])[0]
    np.testing.assert_allclose(head.prototype.weight(), text, atol=1e-6)
    assert np.isfinite(head.threshold)

    library.tag("sky", [folder / f"blue_{i}.jpg" for i in range(3)])
    _, head = _head(library, "sky")
    assert float(head.prototype.weight() @ text) < 0.99
    reopened = Library(library.root)
    _, again = _head(reopened, "sky")
    assert np.array_equal(again.prototype.weight(), head.prototype.weight())
    reopened.close()


def test_an_edited_photo_keeps_the_labels_the_user_gave_it(small_library):
    library, folder = small_library
    library.tag("red", [folder / "red_0.jpg"])
    library.add_label("blue")  # a rejection never creates a label
    library.reject("blue", [folder / "red_0.jpg"])
    write_photo(folder / "red_0.jpg", ["red", "yellow"], seed=999)  # edited in place

    report = library.scan()

    assert report.embedded == 1
    labels = {p.path: p.labels for p in library.predictions()}
    assert labels[str(folder / "red_0.jpg")]["red"].confirmed
    assert "blue" not in labels[str(folder / "red_0.jpg")]
    assert library.purge().examples == 0
    assert next(i for i in library.labels() if i.name == "red").confirmed == 1


def test_a_photo_edited_while_missing_takes_its_labels_along_when_it_returns(small_library):
    library, folder = small_library
    library.tag("red", [folder / "red_0.jpg"])
    edited = (folder / "red_0.jpg").rename(folder.parent / "red_0.jpg")
    assert library.scan().missing == 1
    write_photo(edited, ["red", "yellow"], seed=999)
    edited.rename(folder / "red_0.jpg")

    library.scan()

    labels = {p.path: p.labels for p in library.predictions()}
    assert labels[str(folder / "red_0.jpg")]["red"].confirmed
    assert library.purge().examples == 0


def test_editing_one_of_two_copies_leaves_the_labels_with_the_untouched_copy(small_library):
    library, folder = small_library
    shutil.copy(folder / "red_1.jpg", folder / "copy.jpg")
    library.scan()
    library.tag("red", [folder / "red_1.jpg"])
    write_photo(folder / "copy.jpg", ["blue"], seed=998)

    library.scan()

    labels = {p.path: p.labels for p in library.predictions()}
    assert labels[str(folder / "red_1.jpg")]["red"].confirmed
    edited = labels[str(folder / "copy.jpg")]
    assert "red" not in edited or not edited["red"].confirmed
