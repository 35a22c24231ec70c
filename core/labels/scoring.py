"""The library's embeddings in one in-memory matrix, scored against every label at once.

BLAS picks its kernels by matrix shape, so the bits of one label's column from
`E @ W.T` depend on how many other labels there are (measured here: OpenBLAS gives different
bits for 1, 3 and 7 columns). Labels are therefore scored in blocks of a fixed width, zero-padded:
each product has the same shape whatever the label count, so adding a label leaves every other
label's scores identical to the bit, as continual learning promises. A column's bits also
depend on its place in the block and on the number of BLAS threads (measured here: 1 and 2
threads differ at every block width), so products run on one thread (single_threaded): the
bits then cannot change with the machine's or the process's thread count, and on a busy
2-core machine one thread is also the faster (one label at 100k photos, load 15: 141-225 ms
against 655-671 ms for the 128-wide block on two threads, whose threads wait for a core).

The block is 16 wide, for the change people wait on: one label's change rescores its block, and
a pass of a 128-wide block costs as much as 128 labels (100k photos, one thread, load 2: 131 ms
against 34 ms for 16 wide and 28 ms for 8, where reading the matrix is most of it). A full
rescore pays instead (100 labels: 240 ms instead of 131 ms, one pass a block), and less since a
row chunk is multiplied by every block while it is in cache (200k x 100, load 15: 670 ms against
1.22 s block by block over 8192-row chunks). A tag at 1M photos (issue 14: suggestions within
1 s) cannot afford a 1.1 s block; opening the library can afford the full rescore.

Photos are multiplied ROW_CHUNK (2048, 4 MB of embeddings: it stays in cache for the blocks) at a
time for the same reason: OpenBLAS also switches kernels for short row counts, so a photo in a
last, short chunk got other bits once more photos were scanned (199 photos added to 20,000: up
to 1.1e-7 here). The last chunk is therefore zero-padded to the full chunk, and a photo's scores
never depend on how many photos follow it.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from phototag.core.model.adam import single_threaded

LABEL_BLOCK = 16
# Photos per product: small enough to stay in cache, the same for every label block.
ROW_CHUNK = 2048


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
        other columns hold, so one label's change rescores one block and writes one column.
        A row chunk is multiplied by every wanted block while it is in cache."""
        weights = np.asarray(weights, dtype=np.float32).reshape(-1, self.dims)
        wanted = sorted(set(map(int, columns)))
        blocks = [
            _Block(start, weights[start : start + LABEL_BLOCK], wanted)
            for start in sorted({column - column % LABEL_BLOCK for column in wanted})
        ]
        product = np.empty((ROW_CHUNK, LABEL_BLOCK), dtype=np.float32)
        with single_threaded():
            for row, rows in self._row_chunks():
                count = min(ROW_CHUNK, len(self) - row)
                for block in blocks:
                    np.matmul(rows, block.matrix, out=product)
                    scores[row : row + count, block.targets] = product[:count, block.picked]

    def _row_chunks(self) -> Iterator[tuple[int, np.ndarray]]:
        """(first row, ROW_CHUNK rows) over the library, the last chunk zero-padded to full size."""
        for row in range(0, len(self), ROW_CHUNK):
            rows = self.embeddings[row : row + ROW_CHUNK]
            if len(rows) < ROW_CHUNK:
                padded = np.zeros((ROW_CHUNK, self.dims), dtype=np.float32)
                padded[: len(rows)] = rows
                rows = padded
            yield row, rows


class _Block:
    """One block of LABEL_BLOCK label weights (zero-padded, dims × LABEL_BLOCK) and which of its
    columns go where in the scores."""

    def __init__(self, start: int, chunk: np.ndarray, wanted: list[int]):
        self.matrix = np.zeros((chunk.shape[1], LABEL_BLOCK), dtype=np.float32)
        self.matrix[:, : len(chunk)] = chunk.T
        in_block = [c - start for c in wanted if start <= c < start + LABEL_BLOCK]
        whole = in_block == list(range(len(chunk)))
        self.targets: slice | list[int] = (
            slice(start, start + len(chunk)) if whole else [start + c for c in in_block]
        )
        self.picked: slice | list[int] = slice(0, len(chunk)) if whole else in_block
