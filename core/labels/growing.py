"""Photos a running scan embeds join a loaded label state as they are committed.

The GUI's library loads the embedding matrix once; a scan runs on its own Library in a worker
and commits a batch at a time. Without this the window's labels would see only the photos
embedded before the scan started, for the hour a first scan of 50,000 photos takes: photos
appeared in the grid without a score, and suggestions reached no new folder until the end. Here
the new rows are appended and scored for every label with each label's weights and threshold as
they are: nothing is refitted (the scan refits every label once at its end), so a label taught
meanwhile keeps the threshold its examples gave it and only gains photos to suggest.

Scores are written with the bits a full rescore gives them: the rows are scored from the start
of the row chunk holding the first new row (scoring.py pads each chunk to a fixed size), so a
photo's score does not depend on whether it arrived during a scan or at a reload.
"""

from __future__ import annotations

import numpy as np

from phototag.core.labels.scoring import ROW_CHUNK, EmbeddingMatrix
from phototag.core.labels.state import ModelView
from phototag.core.store import ingest as ingest_sql
from phototag.core.store import photos
from phototag.core.store.database import Store


def new_image_ids(store: Store, view: ModelView) -> list[int]:
    """Images embedded with the view's model that its matrix does not hold yet.

    Photos new to the library get ids above every loaded one, so those are read as a range of
    the index; the full list of ids is compared only when the count says some others were
    embedded too (a scan with a newly chosen model). Measured at 100,000 embeddings (one run,
    load average 14): the count 2 ms, the full comparison 110 ms, on the GUI thread."""
    model_id = view.model["id"]
    stored = photos.embedded_count(store, model_id)
    if stored == len(view.matrix):
        return []
    newest = int(view.matrix.image_ids.max()) if len(view.matrix) else -1
    above = photos.embedded_ids_above(store, model_id, newest)
    if len(view.matrix) + len(above) == stored:
        return above
    every = ingest_sql.embedded_image_ids(store, model_id)
    return sorted(every.difference(view.matrix.image_ids.tolist()))


def take_in_new_photos(store: Store, view: ModelView) -> int:
    """Append what a scan embedded since the view was loaded, scored for every label; returns
    how many photos joined."""
    new = photos.embeddings_of(store, view.model, new_image_ids(store, view))
    if not len(new.ids):
        return 0
    first = len(view.matrix)
    view.matrix.append(new.ids, new.matrix)
    view.scores = np.vstack([view.scores, np.empty((len(new.ids), len(view.heads)), np.float32)])
    _score_from(view, first - first % ROW_CHUNK)
    return len(new.ids)


def _score_from(view: ModelView, start: int) -> None:
    """Rescore rows start.. (a chunk boundary) for every label, as a full rescore would."""
    embeddings = view.matrix.embeddings[start:]
    tail = EmbeddingMatrix(view.matrix.image_ids[start:], embeddings)
    view.scores[start:] = tail.scores(view.weights())
    for column, head in enumerate(view.heads):
        if head.fitted is not None:
            view.scores[start:, column] = head.fitted.scores(embeddings)
