"""The ingest's statements on a real library database, for the cases the scan and watcher tests
do not reach on their own: a purge that forgets the photos themselves, and the lookups behind
a move seen in two halves."""

from __future__ import annotations

import numpy as np
import pytest

from phototag.core.store import ingest as ingest_sql
from phototag.core.store.database import Store, now

MODEL_ID = 1


@pytest.fixture
def store(tmp_path):
    opened = Store(tmp_path / "lib")
    with opened.transaction() as conn:
        conn.execute("INSERT INTO folders(id, path, added_at) VALUES (1, '/photos', ?)", (now(),))
        conn.execute(
            "INSERT INTO models(id, key, name, embed_dim, feature_dim, projection, added_at) "
            "VALUES (?, 'tiny/test', 'tiny', 2, 2, x'', ?)",
            (MODEL_ID, now()),
        )
        conn.execute("INSERT INTO labels(id, name, created_at) VALUES (1, 'red', ?)", (now(),))
    yield opened
    opened.close()


def _photo_at(store: Store, path: str, content: str) -> int:
    """A scanned photo at path: its image, embedding and present file row."""
    with store.transaction():
        image_id = ingest_sql.upsert_image(store, content, 4, 3, None)
        vector = np.ones(2, dtype=np.float32)
        ingest_sql.save_embedding(store, image_id, MODEL_ID, vector, vector)
        ingest_sql.record_present_file(store, path, 1, image_id, 10, 1)
    return image_id


def _give_example(store: Store, image_id: int) -> None:
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO examples(label_id, image_id, polarity, created_at) VALUES (1, ?, 1, ?)",
            (image_id, now()),
        )


def _file(store: Store, path: str) -> ingest_sql.FileRow:
    (row,) = ingest_sql.files_at_or_below(store, path)
    return row


def test_a_purge_forgets_photos_no_file_shows_with_their_embeddings_and_examples(store):
    gone = _photo_at(store, "/photos/gone.jpg", "a" * 64)
    kept = _photo_at(store, "/photos/kept.jpg", "b" * 64)
    _give_example(store, gone)
    _give_example(store, kept)
    with store.transaction():
        ingest_sql.mark_file_missing(store, _file(store, "/photos/gone.jpg").id)

    with store.transaction():
        assert ingest_sql.missing_file_paths(store, []) == ["/photos/gone.jpg"]
        assert ingest_sql.count_gone_photos(store, []) == 1
        assert ingest_sql.count_examples_of_gone_photos(store, []) == 1
        ingest_sql.delete_missing_files_and_gone_photos(store, [])

    assert [row[0] for row in store.conn.execute("SELECT id FROM images")] == [kept]
    assert ingest_sql.embedded_image_ids(store, MODEL_ID) == {kept}
    assert [row[0] for row in store.conn.execute("SELECT image_id FROM examples")] == [kept]
    assert ingest_sql.missing_file_paths(store, []) == []


def test_a_purge_keeps_missing_files_of_a_folder_away_and_the_photos_they_showed(store):
    with store.transaction() as conn:
        conn.execute("INSERT INTO folders(id, path, added_at) VALUES (2, '/drive', ?)", (now(),))
    gone = _photo_at(store, "/photos/gone.jpg", "a" * 64)
    on_drive = _photo_at(store, "/photos/on-drive.jpg", "b" * 64)
    with store.transaction():
        ingest_sql.record_present_file(store, "/drive/copy.jpg", 2, gone, 10, 1)
        ingest_sql.record_present_file(store, "/drive/only.jpg", 2, on_drive, 10, 1)
        for path in ("/photos/gone.jpg", "/photos/on-drive.jpg", "/drive/copy.jpg"):
            ingest_sql.mark_file_missing(store, _file(store, path).id)
        ingest_sql.delete_file(store, _file(store, "/photos/on-drive.jpg").id)
    _give_example(store, gone)
    _give_example(store, on_drive)
    away = [2]

    with store.transaction():
        assert ingest_sql.missing_file_paths(store, away) == ["/photos/gone.jpg"]
        assert ingest_sql.count_gone_photos(store, away) == 0
        ingest_sql.delete_missing_files_and_gone_photos(store, away)

    assert {row[0] for row in store.conn.execute("SELECT image_id FROM examples")} == {
        gone,
        on_drive,
    }
    assert _file(store, "/drive/copy.jpg").status == "missing"
    assert ingest_sql.count_gone_photos(store, []) == 1


def test_the_present_copies_of_a_photo_elsewhere_are_found_and_nothing_else(store):
    photo = _photo_at(store, "/photos/a.jpg", "a" * 64)
    _photo_at(store, "/photos/b.jpg", "a" * 64)
    _photo_at(store, "/photos/c.jpg", "a" * 64)
    other = _photo_at(store, "/photos/other.jpg", "b" * 64)
    with store.transaction():
        ingest_sql.mark_file_missing(store, _file(store, "/photos/c.jpg").id)

    elsewhere = ingest_sql.present_files_elsewhere(store, photo, "/photos/a.jpg")

    assert [row.path for row in elsewhere] == ["/photos/b.jpg"]
    assert ingest_sql.is_shown_elsewhere(store, photo, "/photos/a.jpg")
    assert not ingest_sql.is_shown_elsewhere(store, other, "/photos/other.jpg")


def test_only_missing_files_whose_photo_is_present_elsewhere_are_dropped(store):
    moved = _photo_at(store, "/photos/old.jpg", "a" * 64)
    _photo_at(store, "/photos/new.jpg", "a" * 64)
    lost = _photo_at(store, "/photos/lost.jpg", "b" * 64)
    with store.transaction():
        old_id = _file(store, "/photos/old.jpg").id
        ingest_sql.mark_file_missing(store, old_id)
        ingest_sql.mark_file_missing(store, _file(store, "/photos/lost.jpg").id)
        dropped = ingest_sql.drop_missing_files_shown_elsewhere(store)

    assert dropped == [ingest_sql.DroppedFile(old_id, moved)]
    assert ingest_sql.files_at_or_below(store, "/photos/old.jpg") == []
    assert _file(store, "/photos/lost.jpg").image_id == lost


def test_an_unreadable_file_shows_no_photo_and_keeps_its_reason(store):
    _photo_at(store, "/photos/a.jpg", "a" * 64)
    with store.transaction():
        ingest_sql.record_unreadable_file(store, "/photos/a.jpg", 1, "permission denied")

    row = _file(store, "/photos/a.jpg")
    assert (row.status, row.reason, row.image_id, row.size, row.mtime_ns) == (
        "unreadable",
        "permission denied",
        None,
        None,
        None,
    )
    assert ingest_sql.last_image_at(store, "/photos/a.jpg") is None


def test_a_missing_file_still_names_the_photo_it_showed(store):
    photo = _photo_at(store, "/photos/a.jpg", "a" * 64)
    with store.transaction():
        ingest_sql.mark_file_missing(store, _file(store, "/photos/a.jpg").id)

    assert ingest_sql.last_image_at(store, "/photos/a.jpg") == photo
