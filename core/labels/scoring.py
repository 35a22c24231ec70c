"""The library's embeddings in one in-memory matrix, scored against every label at once.

BLAS picks its kernels by matrix shape, so the bits of one label's column from
`E @ W.T` depend on how many other labels there are (measured here: OpenBLAS gives different
bits for 1, 3 and 7 columns). Labels are therefore scored in blocks of a fixed width, zero-padded:
each product has the same shape whatever the label count, so adding a label leaves every other
label's scores identical to the bit, as continual learning promises. The block is 128 wide:
up to 128 labels cost one pass over the library (1M photos x 100 labels: 1.1 s here, against
2.2 s with blocks of 64, by bench/scale.py).
"""

from __future__ import annotations

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
        product = np.empty((ROW_CHUNK, LABEL_BLOCK), dtype=np.float32)
        for start in range(0, len(weights), LABEL_BLOCK):
            chunk = weights[start : start + LABEL_BLOCK]
            block = np.zeros((self.dims, LABEL_BLOCK), dtype=np.float32)
            block[:, : len(chunk)] = chunk.T
            for row in range(0, len(self), ROW_CHUNK):
                rows = self.embeddings[row : row + ROW_CHUNK]
                np.matmul(rows, block, out=product[: len(rows)])
                scores[row : row + len(rows), start : start + len(chunk)] = product[
                    : len(rows), : len(chunk)
                ]
        return scores
