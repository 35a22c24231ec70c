"""The embedding matrix loads chunk by chunk (store/photos.py): the same rows, in image order,
as one read of them all, with the damaged rows of every chunk named and left out."""

from __future__ import annotations

import numpy as np

from phototag.core.store import photos


def test_a_matrix_read_in_small_chunks_is_every_sound_row_and_names_the_damaged(
    library, monkeypatch
):
    model = photos.active_model(library.store)
    assert model is not None
    rows = library.store.conn.execute(
        "SELECT image_id, embedding FROM embeddings WHERE model_id = ? ORDER BY image_id",
        (model["id"],),
    ).fetchall()
    short, not_finite = rows[1][0], rows[-2][0]
    nan = np.frombuffer(rows[-2][1], np.float32).copy()
    nan[0] = np.nan
    with library.store.transaction() as conn:
        conn.execute("UPDATE embeddings SET embedding = x'00' WHERE image_id = ?", (short,))
        conn.execute(
            "UPDATE embeddings SET embedding = ? WHERE image_id = ?", (nan.tobytes(), not_finite)
        )
    monkeypatch.setattr(photos, "EMBEDDING_READ_CHUNK", 3)

    stored = photos.embeddings(library.store, model)

    sound = [(i, blob) for i, blob in rows if i not in (short, not_finite)]
    assert stored.ids.tolist() == [i for i, _ in sound]
    expected = np.stack([np.frombuffer(blob, np.float32) for _, blob in sound])
    assert np.array_equal(stored.matrix, expected)
    assert stored.damaged == sorted([short, not_finite])
