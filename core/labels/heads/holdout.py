"""Held-out scores by refitting: how a head scores a positive it was not taught.

The threshold rule (core/labels/thresholds.py) needs, for each positive, the score a new photo of
the label would get, so each positive must be scored by a head fitted without it. MWI has an exact
closed form (Prototype.leave_one_out_scores); the other methods refit. With at most `folds`
refits the cost stays bounded for labels with many examples; with no more positives than folds
it is exact leave-one-out.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from phototag.core.labels.heads import Head

if TYPE_CHECKING:
    from phototag.core.labels.heads import Examples, Method


def refit_held_out(method: Method, examples: Examples, folds: int) -> np.ndarray:
    """Each positive's score by `method` fitted on the other folds (empty if undefined)."""
    positives = examples.positives
    count = len(positives)
    if count == 0 or (count == 1 and examples.prior is None):
        return np.empty(0, dtype=np.float32)
    folds = max(1, min(folds, count))
    fold_of = np.arange(count) % folds
    held_out = np.empty(count, dtype=np.float32)
    for fold in range(folds):
        inside = fold_of == fold
        head = method.fit(replace(examples, positives=positives[~inside]))
        held_out[inside] = head.scores(positives[inside])
    return held_out


class RefitHead(Head):
    """A head whose held-out scores come from refitting its method in at most `folds` folds."""

    def __init__(self, method: Method, examples: Examples, folds: int):
        self._method = method
        self._examples = examples
        self._folds = folds

    def held_out_scores(self) -> np.ndarray:
        return refit_held_out(self._method, self._examples, self._folds)
