"""The library's embeddings in one in-memory matrix, scored against every label at once.

BLAS picks its kernels by matrix shape, so the bits of one label's column from
`E @ W.T` depend on how many other labels there are (measured here: OpenBLAS gives different
bits for 1, 3 and 7 columns). Labels are therefore scored in blocks of a fixed width, zero-padded:
each product has the same shape whatever the label count, so adding a label leaves every other
label's scores identical to the bit, as continual learning promises. The block is 128 wide:
up to 128 labels cost one pass over the library (1M photos x 100 labels: 1.1 s here, against
2.2 s with blocks of 64, by bench/scale.py).

Photos are multiplied ROW_CHUNK at a time for the same reason: OpenBLAS also switches kernels for
short row counts, so a photo in a last, short chunk got other bits once more photos were scanned
(199 photos added to 20,000: up to 1.1e-7 here). The last chunk is therefore zero-padded to the
full chunk, and a photo's scores never depend on how many photos follow it. The padding costs at
most one chunk per label block: 50 labels over 100 photos take 21 ms instead of 0.15 ms, over
5,000 photos 21 ms instead of 15 ms, over 100,000 the same 0.26-0.33 s (measured in one run on a
loaded machine, load average 8.5).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

LABEL_BLOCK = 128
# Photos per product: small enough to stay in cache, and the same for every label block.
ROW_CHUNK = 8192


class EmbeddingMatrix:
    """Row i is the L2-normalised embedding of image `image_ids[i]`."""

    def __init__(self, image_ids: np.ndarray, embeddings: np.ndarray):
        self.image_ids = np.asarray(image_ids, dtype=np.int64)
        self.embeddings = np.ascontiguousarray(embeddings, dtype=np.float32)
        self._row = {int(image_id): row for row, image_id in enumerate(self.image_ids)}
        self._buffer: np.ndarray | None = None  # the rows' spare room, once rows are appended

    @classmethod
    def empty(cls, dims: int) -> EmbeddingMatrix:
        return cls(np.empty(0, dtype=np.int64), np.empty((0, dims), dtype=np.float32))

    def __len__(self) -> int:
        return len(self.image_ids)

    @property
    def dims(self) -> int:
        return self.embeddings.shape[1]

    def row(self, image_id: int) -> int | None:
        return self._row.get(int(image_id))

    def append(self, image_ids: np.ndarray, embeddings: np.ndarray) -> None:
        """Add rows at the end (photos a running scan embedded since this matrix was loaded).
        The rows live in a buffer that doubles when full, so a scan's many small additions copy
        the library a few times in all rather than once each; `embeddings` stays a contiguous
        view, and arrays handed out before keep the rows they had."""
        count, added = len(self), len(image_ids)
        buffer = self._buffer
        if buffer is None or len(buffer) < count + added:
            buffer = np.empty((max(2 * count, count + added, 64), self.dims), dtype=np.float32)
            buffer[:count] = self.embeddings
            self._buffer = buffer
        buffer[count : count + added] = embeddings
        self.embeddings = buffer[: count + added]
        self.image_ids = np.concatenate([self.image_ids, np.asarray(image_ids, dtype=np.int64)])
        self._row.update((int(i), count + row) for row, i in enumerate(image_ids))

    def rows(self, image_ids) -> np.ndarray:
        """Rows of the given images, skipping any not embedded with this model."""
        found = [self._row[i] for i in map(int, image_ids) if i in self._row]
        return np.asarray(found, dtype=np.int64)

    def scores(self, weights: np.ndarray) -> np.ndarray:
        """Cosine of every image with every label weight: (images × labels), float32.

        Each block of labels is multiplied with a fixed number of photos at a time and written
        straight into the result, so no product or copy of the whole library is ever held twice.
        """
        weights = np.asarray(weights, dtype=np.float32).reshape(-1, self.dims)
        scores = np.empty((len(self), len(weights)), dtype=np.float32)
        self.rescore_columns(weights, scores, range(len(weights)))
        return scores

    def rescore_columns(self, weights: np.ndarray, scores: np.ndarray, columns) -> None:
        """Rewrite only these label columns of `scores` (images × labels) in place, with the
        same bits scores() gives them: each is computed in its own label block, whatever the
        other columns hold, so one label's change rescores one block and writes one column."""
        weights = np.asarray(weights, dtype=np.float32).reshape(-1, self.dims)
        wanted = sorted(set(map(int, columns)))
        for start in sorted({column - column % LABEL_BLOCK for column in wanted}):
            in_block = [c - start for c in wanted if start <= c < start + LABEL_BLOCK]
            self._score_block(weights[start : start + LABEL_BLOCK], in_block, scores, start)

    def _score_block(
        self, chunk: np.ndarray, in_block: list[int], scores: np.ndarray, start: int
    ) -> None:
        block = np.zeros((self.dims, LABEL_BLOCK), dtype=np.float32)
        block[:, : len(chunk)] = chunk.T
        product = np.empty((ROW_CHUNK, LABEL_BLOCK), dtype=np.float32)
        whole = in_block == list(range(len(chunk)))
        targets = slice(start, start + len(chunk)) if whole else [start + c for c in in_block]
        picked = slice(0, len(chunk)) if whole else in_block
        for row, rows in self._row_chunks():
            np.matmul(rows, block, out=product)
            count = min(ROW_CHUNK, len(self) - row)
            scores[row : row + count, targets] = product[:count, picked]

    def _row_chunks(self) -> Iterator[tuple[int, np.ndarray]]:
        """(first row, ROW_CHUNK rows) over the library, the last chunk zero-padded to full size."""
        for row in range(0, len(self), ROW_CHUNK):
            rows = self.embeddings[row : row + ROW_CHUNK]
            if len(rows) < ROW_CHUNK:
                padded = np.zeros((ROW_CHUNK, self.dims), dtype=np.float32)
                padded[: len(rows)] = rows
                rows = padded
            yield row, rows
