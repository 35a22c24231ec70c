"""A small non-MWI method for tests of the head plumbing: each photo scores its cosine to the
nearest confirmed example. The real methods live in core/heads; this one only has to be simple
enough that a test can compute its scores by hand."""

from __future__ import annotations

import numpy as np

from phototag.core.labels.heads import METHODS, Examples, Head, Method

NEAREST = "nearest-test"


class NearestHead(Head):
    def __init__(self, positives: np.ndarray):
        self.positives = np.asarray(positives, dtype=np.float32)

    def scores(self, embeddings: np.ndarray) -> np.ndarray:
        if not len(self.positives):
            return np.zeros(len(embeddings), dtype=np.float32)
        return (embeddings @ self.positives.T).max(axis=1).astype(np.float32)

    def held_out_scores(self) -> np.ndarray:
        if len(self.positives) < 2:
            return np.empty(0, dtype=np.float32)
        similarity = self.positives @ self.positives.T
        np.fill_diagonal(similarity, -np.inf)
        return similarity.max(axis=1).astype(np.float32)


class Nearest(Method):
    name = NEAREST
    summary = "test only: cosine to the nearest confirmed photo"

    def fit(self, examples: Examples) -> Head:
        return NearestHead(examples.positives)


def register_test_methods(monkeypatch) -> None:
    """Offer the test method for one test (monkeypatch removes it afterwards)."""
    monkeypatch.setitem(METHODS, NEAREST, Nearest())
