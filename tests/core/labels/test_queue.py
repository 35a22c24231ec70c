"""The Help-this-label rule: most uncertain first, spread over the library, never decided."""

from __future__ import annotations

import numpy as np

from phototag.core.labels.imprint import normalize_rows
from phototag.core.labels.queue import choose

THRESHOLD, SLOPE = 0.5, 20.0


def _library(rng: np.random.Generator, photos: int = 60, dims: int = 32) -> np.ndarray:
    return normalize_rows(rng.normal(size=(photos, dims))).astype(np.float32)


def test_the_photos_nearest_the_threshold_come_first():
    rng = np.random.default_rng(0)
    embeddings = _library(rng)
    cosines = np.linspace(0.0, 1.0, len(embeddings)).astype(np.float32)
    picks = choose(embeddings, cosines, (THRESHOLD, SLOPE), np.ones(60, bool), np.empty(0, int), 1)
    assert abs(cosines[picks[0].row] - THRESHOLD) == np.abs(cosines - THRESHOLD).min()
    assert abs(picks[0].score - 0.5) < 0.2


def test_near_duplicates_at_the_threshold_fill_one_place_not_twenty():
    rng = np.random.default_rng(1)
    embeddings = _library(rng)
    original = embeddings[0]
    copies = normalize_rows(original + rng.normal(scale=0.01, size=(20, embeddings.shape[1])))
    embeddings = np.vstack([embeddings, copies]).astype(np.float32)
    cosines = np.full(len(embeddings), THRESHOLD - 0.1, dtype=np.float32)
    cosines[60:] = THRESHOLD  # the twenty copies are the most uncertain photos of all
    picks = choose(
        embeddings,
        cosines,
        (THRESHOLD, SLOPE),
        np.ones(len(embeddings), bool),
        np.empty(0, int),
        10,
    )
    rows = [p.row for p in picks]
    assert len(rows) == 10
    assert sum(row >= 60 or row == 0 for row in rows) == 1
    chosen = embeddings[rows]
    similarity = chosen @ chosen.T
    assert similarity[~np.eye(10, dtype=bool)].max() < 0.99


def test_a_photo_like_one_already_decided_waits_behind_a_new_one():
    rng = np.random.default_rng(2)
    embeddings = _library(rng, photos=3)
    embeddings[1] = normalize_rows(embeddings[0] + 0.01 * rng.normal(size=embeddings.shape[1]))
    cosines = np.array([0.9, THRESHOLD, THRESHOLD + 0.02], dtype=np.float32)
    candidates = np.array([False, True, True])
    picks = choose(embeddings, cosines, (THRESHOLD, SLOPE), candidates, np.array([0]), 2)
    assert [p.row for p in picks] == [2, 1]


def test_only_candidates_are_ever_returned_and_a_label_without_threshold_asks_nothing():
    rng = np.random.default_rng(3)
    embeddings = _library(rng)
    cosines = rng.uniform(0.3, 0.7, len(embeddings)).astype(np.float32)
    candidates = rng.random(len(embeddings)) < 0.5
    picks = choose(embeddings, cosines, (THRESHOLD, SLOPE), candidates, np.empty(0, int), 100)
    assert sorted(p.row for p in picks) == sorted(np.flatnonzero(candidates).tolist())
    assert choose(embeddings, cosines, (np.inf, 1.0), candidates, np.empty(0, int), 5) == []
