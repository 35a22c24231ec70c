"""ProLIP on a library: the refined projection re-embeds every photo by one matrix product, as a
fresh encode would, and a revert gives back the earlier embeddings bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from phototag.core.errors import UserError
from phototag.core.ingest.decode import decode_image
from phototag.core.library import Library
from phototag.core.model.projection import active_projection, project_rows
from tests.photos import write_photo

STEPS = 60  # enough for the projection to move; the default 300 only takes longer


def _embeddings(library: Library) -> dict[int, bytes]:
    rows = library.store.conn.execute("SELECT image_id, embedding FROM embeddings").fetchall()
    return dict(rows)


def _decisions(library: Library) -> tuple[list, list]:
    examples = library.store.query("SELECT * FROM examples ORDER BY label_id, image_id")
    labels = library.store.query("SELECT * FROM labels ORDER BY id")
    return examples, labels


def _teach(library: Library, made: dict) -> None:
    library.tag("red", made["red"][:3])
    library.reject("red", made["red+green"][:1])
    library.tag("blue", made["blue"][:3])


def test_recomputed_embeddings_equal_a_fresh_encode(library, photo_set):
    _, made = photo_set
    _teach(library, made)
    before = _embeddings(library)
    change = library.refine(steps=STEPS)
    after = _embeddings(library)

    assert (change.version, change.previous, change.photos, change.labels) == (1, 0, 7, 2)
    assert change.recomputed == len(before)
    assert change.moved > 0
    assert sum(after[i] != before[i] for i in before) == len(before)
    encoder = library._encoder()
    assert np.array_equal(encoder.projection, active_projection(library._active_model()))
    with Library(library.root) as fresh:  # another process loads the encoder from the row
        reloaded = fresh._encoder()
        assert np.array_equal(reloaded.projection, encoder.projection)
    paths = [made["green"][5], made["yellow"][2], made["red"][0]]
    _, embeddings = reloaded.encode_images(
        [decode_image(Path(p), reloaded.image_size).image for p in paths]
    )
    for path, embedding in zip(paths, embeddings, strict=True):
        image = library._images_at(str(path))[0]
        stored = np.frombuffer(after[image], np.float32)
        assert 1 - float(stored @ embedding) < 1e-5


def test_revert_restores_the_earlier_embeddings_bit_for_bit(library, photo_set):
    _, made = photo_set
    _teach(library, made)
    original = _embeddings(library)
    library.refine(steps=STEPS)
    first = _embeddings(library)
    library.tag("green", made["green"][:2])
    assert library.refine(steps=STEPS).version == 2
    assert _embeddings(library) != first

    change = library.revert_refinement()
    assert (change.version, change.previous) == (1, 2)
    assert _embeddings(library) == first
    assert library.revert_refinement(to=0).version == 0
    assert _embeddings(library) == original
    with pytest.raises(UserError, match="nothing to revert"):
        library.revert_refinement()
    listed = [(v.version, v.base, v.active) for v in library.refinements()]
    assert listed == [(0, None, True), (1, 0, False), (2, 1, False)]
    assert library.revert_refinement(to=2).version == 2  # forward again, to any kept version


def test_refine_keeps_every_decision_and_recalibrates_every_label(library, photo_set):
    _, made = photo_set
    _teach(library, made)
    decisions = _decisions(library)
    thresholds = {i.name: i.threshold for i in library.labels()}
    library.refine(steps=STEPS)

    assert _decisions(library) == decisions
    refined = {i.name: i.threshold for i in library.labels()}
    assert refined != thresholds
    with Library(library.root) as fresh:  # a full refit from the stored state agrees
        fresh._state(refit=True)
        assert {i.name: i.threshold for i in fresh.labels()} == refined
    predicted = {p.path: set(p.labels) for p in library.predictions()}
    assert all("red" in predicted[str(p)] for p in made["red"][:3])
    assert "red" not in predicted[str(made["red+green"][0])]


def test_a_photo_scanned_after_refining_is_embedded_with_the_refined_projection(
    library, photo_set, tmp_path
):
    _, made = photo_set
    _teach(library, made)
    pretrained = active_projection(library._active_model())
    library.refine(steps=STEPS)
    refined = active_projection(library._active_model())
    new = write_photo(tmp_path / "new" / "late.jpg", ["red", "yellow"], seed=999)
    library.add_folder(new.parent)
    library.scan()

    image = library._images_at(str(new))[0]
    embedding, feature = library.store.conn.execute(
        "SELECT embedding, feature FROM embeddings WHERE image_id = ?", (image,)
    ).fetchone()
    feature = np.frombuffer(feature, np.float32)[None]
    assert embedding == project_rows(feature, refined)[0].tobytes()
    assert embedding != project_rows(feature, pretrained)[0].tobytes()


def test_refine_needs_labelled_photos_and_revert_needs_a_refinement(library, tmp_path):
    with Library(tmp_path / "empty") as empty:
        for action in (empty.refine, empty.revert_refinement, empty.refinements):
            with pytest.raises(UserError, match="nothing is scanned yet"):
                action()
    with pytest.raises(UserError, match="nothing to refine from"):
        library.refine()
    library.add_label("sunsets")
    with pytest.raises(UserError, match="nothing to refine from"):
        library.refine()
    with pytest.raises(UserError, match="nothing to revert"):
        library.revert_refinement()
    with pytest.raises(UserError, match="nothing to revert"):
        library.revert_refinement(to=0)
    with pytest.raises(UserError, match="no projection version 3"):
        library.revert_refinement(to=3)


def test_projecting_a_row_gives_the_same_bits_in_any_batch():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(600, 48)).astype(np.float32)
    projection = rng.normal(size=(48, 16)).astype(np.float32)
    together = project_rows(features, projection)
    for start, stop in ((0, 1), (7, 9), (250, 520), (599, 600)):
        assert np.array_equal(project_rows(features[start:stop], projection), together[start:stop])


def test_refinements_list_each_version_with_its_note_date_and_which_is_active(library, photo_set):
    _, made = photo_set
    pretrained = library.refinements()
    assert [(v.version, v.base, v.note, v.active) for v in pretrained] == [(0, None, None, True)]
    assert pretrained[0].created_at
    _teach(library, made)
    seen: list[tuple[str, int, int]] = []
    library.refine(progress=lambda stage, done, total: seen.append((stage, done, total)), steps=3)
    listed = library.refinements()
    assert [(v.version, v.base, v.active) for v in listed] == [(0, None, False), (1, 0, True)]
    assert listed[1].note == "ProLIP on 7 photos, 2 labels"
    assert listed[0].created_at == pretrained[0].created_at
    assert listed[1].created_at >= listed[0].created_at
    photos = len(_embeddings(library))
    assert [s for s in seen if s[0] == "recomputing"][-1] == ("recomputing", photos, photos)
