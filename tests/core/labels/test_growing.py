"""Photos a running scan commits join a loaded library's labels (core/labels/growing.py): the
window's Library keeps its state while the scan's own Library writes, as in the GUI."""

from __future__ import annotations

import numpy as np
import pytest

from phototag.core.labels.scoring import EmbeddingMatrix
from phototag.core.library import Library
from phototag.core.store import photos


class Enough(Exception):
    """Stops a scan from its progress callback, as the GUI's cancel does."""


def scan_until(root, embedded: int) -> None:
    """A scan on its own Library (the GUI's worker), stopped once `embedded` photos are done."""

    def progress(done: int, total: int) -> None:
        if done >= embedded:
            raise Enough

    with Library(root) as worker, pytest.raises(Enough):
        worker.scan(model="tiny-random", progress=progress)


def test_photos_embedded_meanwhile_are_scored_with_the_bits_a_fresh_load_gives(tmp_path, photo_set):
    folder, made = photo_set
    root = tmp_path / "library"
    with Library(root) as window:
        window.add_folder(folder)
        scan_until(root, 16)
        seen = {p.path for p in window.photos()}
        first_reds = [p for p in made["red"] if str(p) in seen]
        assert first_reds, "the spread order embeds a red photo in the first batches"
        window.tag("red", first_reds)
        assert window.coverage().seen == len(seen)

        scan_until(root, 48)
        assert window.coverage().seen == len(seen)  # the new files, not yet scored
        added = window.take_in_new_photos()
        assert added == len(window.photos()) - len(seen) > 0
        assert window.take_in_new_photos() == 0  # nothing more: nothing read again

        suggested = {p.path for p in window.review("red").suggested}
        assert suggested - seen, "photos embedded after the tag are suggested"
        assert window.coverage().seen == len(window.photos())
        with Library(root) as fresh:
            fresh_view = fresh._labels.view()
            view = window._labels.view()
            assert fresh_view is not None
            assert view is not None
            assert np.array_equal(fresh_view.matrix.image_ids, view.matrix.image_ids)
            assert np.array_equal(fresh_view.scores, view.scores)
            assert {p.path for p in fresh.review("red").suggested} == suggested


def test_a_library_not_loaded_yet_takes_in_nothing_and_loads_all_when_read(tmp_path, photo_set):
    root = tmp_path / "library"
    with Library(root) as window:
        window.add_folder(photo_set[0])
        scan_until(root, 8)
        assert window.take_in_new_photos() == 0
        assert len(window.photos()) >= 8
        assert window.coverage().seen == len(window.photos())


def test_appended_rows_are_found_and_arrays_handed_out_before_keep_their_rows():
    rng = np.random.default_rng(0)
    matrix = EmbeddingMatrix(np.arange(3), rng.standard_normal((3, 4)).astype(np.float32))
    before = matrix.embeddings
    for start in range(3, 200, 7):
        matrix.append(np.arange(start, start + 7), np.full((7, 4), start, np.float32))
    assert len(matrix) == 3 + 7 * 29
    assert matrix.row(10) == 10
    assert np.array_equal(matrix.embeddings[12], np.full(4, 10, np.float32))
    assert before.shape == (3, 4)
    assert matrix.embeddings.flags.c_contiguous


def test_photos_embedded_again_below_the_newest_id_are_taken_in_too(library_dir):
    """Embeddings dropped as damaged come back at the next scan under their old image ids,
    below every loaded one: the count tells, and the full comparison finds them."""
    with Library(library_dir) as window:
        view = window._labels.view()
        assert view is not None
        dropped = view.matrix.image_ids[:3].tolist()
        photos.forget_embeddings(window.store, view.model, dropped)
        window.reload()
        total = len(window.photos())
        assert window.coverage().seen == total - 3

        with Library(library_dir) as worker:
            assert worker.scan(model="tiny-random").embedded == 3
        assert window.take_in_new_photos() == 3
        assert window.coverage().seen == total
