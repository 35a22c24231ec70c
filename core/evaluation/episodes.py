"""k-shot episodes: which photos the simulated user tags, and what each label is taught.

For each label the user tags k photos that carry it (chosen at random per seed; a photo already
tagged for another label is avoided while others are left). Everything not tagged is the test
set, scored as the library would be. There are no rejections in an episode. The methods that
use other labels' examples as negatives (`uses_others`) get exactly what the product gives
them: the photos tagged for the other labels, which in a multi-label dataset may carry this
label too (the product cannot know either).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from phototag.core.labels.heads import Examples


@dataclass(frozen=True)
class Support:
    chosen: dict[int, np.ndarray]
    """label -> the rows tagged with it."""

    @property
    def labels(self) -> list[int]:
        return sorted(self.chosen)

    def rows(self) -> np.ndarray:
        return np.unique(np.concatenate([rows for rows in self.chosen.values()]))

    def restricted(self, labels: list[int]) -> Support:
        return Support({label: self.chosen[label] for label in labels})

    def others(self, label: int) -> np.ndarray:
        rest = [rows for other, rows in self.chosen.items() if other != label]
        if not rest:
            return np.empty(0, dtype=np.int64)
        return np.setdiff1d(np.concatenate(rest), self.chosen[label])

    def examples(self, label: int, embeddings: np.ndarray, prior: np.ndarray | None) -> Examples:
        return Examples(
            positives=embeddings[self.chosen[label]],
            rejections=np.empty((0, embeddings.shape[1]), dtype=np.float32),
            prior=prior,
            others=embeddings[self.others(label)],
        )


def sample_support(truth: np.ndarray, shots: int, seed: int) -> Support:
    rng = np.random.default_rng(seed)
    taken: set[int] = set()
    chosen: dict[int, np.ndarray] = {}
    for label in range(truth.shape[1]):
        carriers = np.flatnonzero(truth[:, label])
        fresh = np.array([row for row in carriers if row not in taken], dtype=np.int64)
        pool = fresh if len(fresh) >= shots else carriers
        chosen[label] = np.sort(rng.choice(pool, size=shots, replace=False))
        taken.update(int(row) for row in chosen[label])
    return Support(chosen)


def label_groups(labels: int, groups: int) -> list[list[int]]:
    """Labels split into consecutive groups that arrive one after another."""
    return [list(part) for part in np.array_split(np.arange(labels), min(groups, labels))]
