"""Fitted non-MWI heads are stored with what they were fitted on, so reading a library never
refits one, and a write refits only the label it changes (and the labels that use others)."""

from __future__ import annotations

import io

import numpy as np
import pytest

from phototag.core.labels.heads import METHODS, Examples
from phototag.core.labels.heads.linear_probe import LinearProbe
from phototag.core.labels.heads.llu import LLU
from phototag.core.labels.heads.stored import examples_digest, head_from_bytes, head_to_bytes
from phototag.core.library import Library


def _teach(library: Library, made) -> None:
    library.set_method("llu")
    library.tag("red", made["red"][:3])
    library.reject("red", made["red+green"][:1])
    library.tag("green", made["green"][:3])
    library.tag("blue", made["blue"][:2])
    library.set_label_method("blue", "linear-probe")


def _refuse_fitting(monkeypatch) -> None:
    def no_fit(self, examples):
        raise AssertionError(f"{self.name} was fitted")

    monkeypatch.setattr(LLU, "fit", no_fit)
    monkeypatch.setattr(LinearProbe, "fit", no_fit)


def _head(library: Library, name: str):
    return next(h for h in library._state().heads if h.name == name)


def test_reading_a_reopened_library_fits_nothing_and_scores_the_same_bits(
    library, photo_set, monkeypatch
):
    _, made = photo_set
    _teach(library, made)
    predictions = list(library.predictions())
    scores = library._state().scores.copy()
    labels = library.labels()
    assert {i.name: i.method for i in labels} == {
        "blue": "linear-probe",
        "green": "llu",
        "red": "llu",
    }
    assert type(_head(library, "blue").fitted).__name__ == "ProbeHead"

    _refuse_fitting(monkeypatch)
    with Library(library.root) as fresh:
        assert list(fresh.predictions()) == predictions
        assert np.array_equal(fresh._state().scores, scores)
        assert fresh.labels() == labels
        assert fresh.status().labels == labels
        assert fresh.review("red") == library.review("red")
        assert fresh.photos(all_of=["green"]) == library.photos(all_of=["green"])


def test_a_write_refits_only_its_label_and_the_labels_that_use_others(library, photo_set):
    _, made = photo_set
    _teach(library, made)
    with Library(library.root) as fresh:
        red, green, blue = (_head(fresh, n).fitted for n in ("red", "green", "blue"))

        fresh.tag("green", made["green"][3:4])

        assert _head(fresh, "red").fitted is red
        assert _head(fresh, "green").fitted is not green
        assert _head(fresh, "blue").fitted is not blue  # its negatives changed


def test_a_head_fitted_on_other_examples_is_refitted_not_restored(library, photo_set):
    _, made = photo_set
    _teach(library, made)
    with Library(library.root) as other:
        other.tag("red", made["red"][3:5])  # another process changes red's examples
        expected = list(other.predictions())
    library.reload()
    assert list(library.predictions()) == expected
    with Library(library.root) as fresh:
        assert list(fresh.predictions()) == expected


@pytest.mark.parametrize("name", sorted(set(METHODS) - {"mwi"}))
def test_every_stored_kind_of_head_scores_and_holds_out_like_the_fitted_one(name):
    rng = np.random.default_rng(7)
    rows = rng.normal(size=(30, 16)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    examples = Examples(rows[:6], rows[6:8], prior=None, others=rows[8:12])
    method = METHODS[name]
    fitted = method.fit(examples)

    blob = head_to_bytes(fitted)
    assert blob is not None, f"{type(fitted).__name__} cannot be stored"
    restored = head_from_bytes(blob, method, examples)

    assert type(restored) is type(fitted)
    assert np.array_equal(restored.scores(rows), fitted.scores(rows))
    assert np.array_equal(restored.held_out_scores(), fitted.held_out_scores())


def test_the_digest_changes_with_every_input_a_fit_depends_on():
    rows = np.eye(4, dtype=np.float32)
    base = Examples(rows[:2], rows[2:3], prior=None, others=None)
    method = METHODS["llu"]
    digests = {
        examples_digest(method, base),
        examples_digest(method, Examples(rows[:1], rows[2:3])),
        examples_digest(method, Examples(rows[:2], rows[3:4])),
        examples_digest(method, Examples(rows[:2], rows[2:3], prior=rows[3])),
        examples_digest(method, Examples(rows[:2], rows[2:3], others=rows[3:4])),
        examples_digest(METHODS["tip"], base),
    }
    assert len(digests) == 6
    assert examples_digest(method, Examples(rows[:2].copy(), rows[2:3].copy())) in digests


def test_a_stored_head_never_unpickles_objects():
    buffer = io.BytesIO()
    np.savez(buffer, __kind__=np.array("probe"), coef=np.array([object()], dtype=object))
    with pytest.raises(ValueError, match="allow_pickle"):
        head_from_bytes(buffer.getvalue(), METHODS["linear-probe"], Examples(np.eye(2), np.eye(2)))
