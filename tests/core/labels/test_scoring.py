"""Scoring: the blocked product equals E @ W.T, and adding labels leaves the other labels'
scores identical to the bit (what BLAS alone does not promise)."""

from __future__ import annotations

import numpy as np

from phototag.core.labels.imprint import normalize_rows
from phototag.core.labels.scoring import LABEL_BLOCK, ROW_CHUNK, EmbeddingMatrix


def _matrix(n: int = 3000, dims: int = 64) -> EmbeddingMatrix:
    rng = np.random.default_rng(0)
    return EmbeddingMatrix(np.arange(100, 100 + n), normalize_rows(rng.standard_normal((n, dims))))


def test_scores_equal_the_plain_product():
    matrix = _matrix()
    weights = normalize_rows(np.random.default_rng(1).standard_normal((7, matrix.dims)))
    expected = matrix.embeddings @ weights.astype(np.float32).T
    np.testing.assert_allclose(matrix.scores(weights), expected, atol=1e-5)


def test_adding_labels_never_changes_earlier_labels_scores_bit_for_bit():
    matrix = _matrix()
    weights = normalize_rows(np.random.default_rng(2).standard_normal((LABEL_BLOCK * 2 + 5, 64)))
    first = matrix.scores(weights[:1])
    for count in (2, 3, 7, LABEL_BLOCK, LABEL_BLOCK + 1, len(weights)):
        assert np.array_equal(matrix.scores(weights[:count])[:, :1], first)
    block_edge = matrix.scores(weights[: LABEL_BLOCK + 1])
    assert np.array_equal(matrix.scores(weights)[:, : LABEL_BLOCK + 1], block_edge)


def test_rows_skip_images_without_embeddings():
    matrix = _matrix(n=5)
    assert matrix.rows([104, 999, 100]).tolist() == [4, 0]
    assert matrix.row(999) is None


def test_every_label_block_is_scored_not_only_the_first_two():
    matrix = _matrix(n=50)
    weights = normalize_rows(np.random.default_rng(3).standard_normal((3 * LABEL_BLOCK + 1, 64)))
    expected = matrix.embeddings @ weights.astype(np.float32).T
    scores = matrix.scores(weights)
    assert scores.dtype == np.float32
    np.testing.assert_allclose(scores, expected, atol=1e-5)


def test_an_empty_library_scores_nothing():
    matrix = EmbeddingMatrix.empty(16)
    assert len(matrix) == 0
    assert matrix.dims == 16
    scores = matrix.scores(normalize_rows(np.ones((3, 16))))
    assert scores.shape == (0, 3)
    assert scores.dtype == np.float32
    assert matrix.rows([1, 2]).tolist() == []
    assert matrix.image_ids.dtype == np.int64


def test_a_photos_scores_keep_their_bits_when_199_more_photos_are_scanned():
    """OpenBLAS takes other kernels for a short last row chunk: without padding, the photos in
    it got new bits (up to 1.1e-7) once more photos followed them."""
    rng = np.random.default_rng(4)
    count = ROW_CHUNK + 3000
    embeddings = normalize_rows(rng.standard_normal((count + 199, 512)))
    weights = normalize_rows(rng.standard_normal((50, 512)))
    before = EmbeddingMatrix(np.arange(count), embeddings[:count]).scores(weights)
    after = EmbeddingMatrix(np.arange(count + 199), embeddings).scores(weights)
    assert np.array_equal(after[:count], before)


def test_scores_keep_their_bits_whatever_number_of_blas_threads_the_process_uses():
    """OpenBLAS gives other bits on two threads than on one (measured here for every block
    width): scoring runs on one, so the process's or the machine's thread count cannot matter."""
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(5)
    matrix = EmbeddingMatrix(
        np.arange(2 * ROW_CHUNK), normalize_rows(rng.standard_normal((2 * ROW_CHUNK, 512)))
    )
    weights = normalize_rows(rng.standard_normal((LABEL_BLOCK + 3, 512)))
    with threadpool_limits(limits=1, user_api="blas"):
        one = matrix.scores(weights)
    with threadpool_limits(limits=2, user_api="blas"):
        two = matrix.scores(weights)
    assert np.array_equal(one, two)
