"""A change to one label rescores that label only: every other label's scores are left as they
were in memory (not recomputed to the same bits: untouched), and Library says which labels it
rescored so the GUI repaints only those."""

from __future__ import annotations

import numpy as np

from phototag.core.library import Library

UNTOUCHED = np.float32(7.0)  # no cosine reaches it: a column still holding it was not rescored


def _column(library: Library, name: str) -> int:
    view = library._state()
    return next(c for c, head in enumerate(view.heads) if head.name == name)


def _mark_untouched(library: Library, name: str) -> None:
    library._state().scores[:, _column(library, name)] = UNTOUCHED


def _untouched(library: Library, name: str) -> bool:
    return bool((library._state().scores[:, _column(library, name)] == UNTOUCHED).all())


def _scores_of_a_full_rescore(library: Library, name: str) -> np.ndarray:
    view = library._state()
    return view.matrix.scores(view.weights())[:, _column(library, name)]


def _two_labels(library: Library, made) -> None:
    library.tag("red", made["red"][:2])
    library.tag("green", made["green"][:2])


def test_tag_reject_and_untag_rescore_only_their_label(library, photo_set):
    _, made = photo_set
    _two_labels(library, made)
    for verb, photos in (
        (library.tag, made["red"][2:4]),
        (library.reject, made["red+green"][:1]),
        (library.untag, made["red"][3:4]),
    ):
        _mark_untouched(library, "green")
        change = verb("red", photos)
        assert change.rescored == ("red",)
        assert _untouched(library, "green")
        red = library._state().scores[:, _column(library, "red")]
        assert np.array_equal(red, _scores_of_a_full_rescore(library, "red"))


def test_a_threshold_or_method_change_leaves_the_other_labels_untouched(library, photo_set):
    _, made = photo_set
    _two_labels(library, made)
    _mark_untouched(library, "green")
    library.set_threshold("red", 0.3)
    library.set_label_method("red", "tip")
    assert _untouched(library, "green")
    assert not _untouched(library, "red")


def test_adding_or_removing_a_label_leaves_the_others_untouched(library, photo_set):
    _, made = photo_set
    _two_labels(library, made)
    _mark_untouched(library, "green")
    library.add_label("sky", prompt=None)
    library.remove_label("red")
    assert _untouched(library, "green")
    assert [head.name for head in library._state().heads] == ["green", "sky"]


def test_a_label_rescored_alone_has_the_bits_of_a_full_rescore_after_reload(library, photo_set):
    _, made = photo_set
    _two_labels(library, made)
    library.tag("red", made["red"][2:4])
    incremental = library._state().scores.copy()
    library.reload()
    assert np.array_equal(library._state().scores, incremental)
