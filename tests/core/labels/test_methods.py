"""Choosing the head per library and per label: MWI stays the exact default, another method is
fitted from a label's stored examples, and labels stay independent of each other."""

from __future__ import annotations

import numpy as np
import pytest

from phototag.core.errors import UserError
from phototag.core.labels.heads import METHODS, Examples, Head, Method
from phototag.core.labels.thresholds import calibrate
from phototag.core.library import Library
from tests.methods import NEAREST, register_test_methods


@pytest.fixture(autouse=True)
def test_methods(monkeypatch):
    register_test_methods(monkeypatch)


def _column(library: Library, name: str) -> tuple[int, object]:
    state = library._state()
    return next((c, h) for c, h in enumerate(state.heads) if h.name == name)


def test_a_label_with_another_method_is_scored_and_calibrated_by_its_fitted_head(
    library, photo_set
):
    _, made = photo_set
    library.tag("red", made["red"][:4])
    library.reject("red", made["red+green"][:1])
    assert library.set_label_method("red", NEAREST) == NEAREST

    state = library._state()
    column, head = _column(library, "red")
    positives = state.matrix.embeddings[state.matrix.rows(head.ids(1))]
    expected = (state.matrix.embeddings @ positives.T).max(axis=1)
    assert np.allclose(state.scores[:, column], expected, atol=1e-6)

    rejected = state.matrix.rows(head.ids(-1))
    unlabeled = np.ones(len(state.matrix), dtype=bool)
    unlabeled[state.matrix.rows(head.ids(1))] = False
    unlabeled[rejected] = False
    scores = state.scores[:, column]
    wanted = calibrate(scores[unlabeled], head.fitted.held_out_scores(), scores[rejected])
    assert head.calibration == wanted
    info = next(i for i in library.labels() if i.name == "red")
    assert (info.method, info.method_is_own) == (NEAREST, True)


def test_a_label_with_another_method_leaves_mwi_labels_untouched_bit_for_bit(library, photo_set):
    _, made = photo_set
    library.tag("green", made["green"][:3])
    column, green = _column(library, "green")
    scores = library._state().scores[:, column].copy()
    weight = green.prototype.weight().copy()
    threshold = green.threshold

    library.tag("red", made["red"][:3])
    library.set_label_method("red", NEAREST)
    library.tag("red", made["red"][3:5])
    library.reject("red", made["red+green"][:1])

    column, green = _column(library, "green")
    assert green.fitted is None
    assert np.array_equal(library._state().scores[:, column], scores)
    assert np.array_equal(green.prototype.weight(), weight)
    assert green.threshold == threshold


def test_a_fitted_label_follows_its_examples_and_reopens_the_same(library, photo_set):
    _, made = photo_set
    library.tag("red", made["red"][:2])
    library.set_label_method("red", NEAREST)
    column, _ = _column(library, "red")
    before = library._state().scores[:, column].copy()
    library.tag("red", made["red+green"][:2])
    column, head = _column(library, "red")
    after = library._state().scores[:, column].copy()
    assert not np.array_equal(before, after)

    with Library(library.root) as reopened:
        column, again = _column(reopened, "red")
        assert again.method == NEAREST
        assert np.array_equal(reopened._state().scores[:, column], after)
        assert again.calibration == head.calibration


def test_the_library_method_applies_to_labels_without_their_own(library, photo_set):
    _, made = photo_set
    library.tag("red", made["red"][:3])
    library.tag("blue", made["blue"][:3])
    library.set_label_method("blue", "mwi")
    assert library.method() == "mwi"

    library.set_method(NEAREST)
    assert library.method() == NEAREST
    methods = {i.name: (i.method, i.method_is_own) for i in library.labels()}
    assert methods == {"red": (NEAREST, False), "blue": ("mwi", True)}
    assert _column(library, "red")[1].fitted is not None
    assert _column(library, "blue")[1].fitted is None

    library.set_label_method("blue", None)
    assert _column(library, "blue")[1].method == NEAREST


def test_an_unknown_method_is_refused_with_the_known_ones(library, photo_set):
    library.tag("red", photo_set[1]["red"][:1])
    with pytest.raises(UserError, match=f"unknown method 'nope'.*mwi.*{NEAREST}"):
        library.set_method("nope")
    with pytest.raises(UserError, match="unknown method"):
        library.set_label_method("red", "nope")
    assert library.method() == "mwi"
    assert "mwi" in library.methods()


class _SeesOthers(Method):
    name = "others-test"
    summary = "test only: records how many other labels' positives it was given"
    uses_others = True

    def fit(self, examples: Examples) -> Head:
        seen = len(examples.others)

        class Counted(Head):
            def scores(self, embeddings):
                return np.full(len(embeddings), seen, dtype=np.float32)

            def held_out_scores(self):
                return np.empty(0, dtype=np.float32)

        return Counted()


def test_a_method_using_other_labels_is_refitted_when_they_change(library, photo_set, monkeypatch):
    _, made = photo_set
    monkeypatch.setitem(METHODS, _SeesOthers.name, _SeesOthers())
    library.tag("green", made["green"][:2])
    library.set_label_method("green", _SeesOthers.name)
    library.tag("red", made["red"][:3])
    column, _ = _column(library, "green")
    assert library._state().scores[0, column] == 3
    library.untag("red", made["red"][:1])
    assert library._state().scores[0, column] == 2
