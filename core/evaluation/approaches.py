"""The contenders of an evaluation: every registered head method, zero-shot CLIP and ProLIP.

A head method fits each label from its own Examples on the cached embeddings. Zero-shot is the
cosine to the label's prompt "a photo of {label}". ProLIP first refines the shared visual
projection on the tagged photos' pre-projection features (each label's MWI weight is the fixed
classifier; a photo tagged for one label is a negative for the others, as in ProLIP's softmax),
re-projects every photo, then imprints MWI heads on the refined embeddings. Its held-out scores
leave a photo out of the imprint, not out of the projection training, so its thresholds are a
little optimistic.
"""

from __future__ import annotations

from dataclasses import dataclass
from time import perf_counter

import numpy as np

from phototag.core.errors import UserError
from phototag.core.evaluation.embedded import EmbeddedSet
from phototag.core.evaluation.episodes import Support
from phototag.core.labels.heads import DEFAULT_METHOD, METHODS, Head, Method
from phototag.core.labels.heads.mwi import MWI, ImprintHead
from phototag.core.labels.heads.zero_shot import ZeroShot
from phototag.core.model.projection import project_rows
from phototag.core.model.prolip import refine_projection

ZERO_SHOT = "zero-shot"
PROLIP = "prolip"


@dataclass
class Fitted:
    heads: dict[int, Head]
    projection: np.ndarray | None
    """ProLIP's refined projection; None when the embeddings are used as they are."""
    fit_seconds: float

    def embeddings(self, data: EmbeddedSet, rows: np.ndarray | None = None) -> np.ndarray:
        if self.projection is None:
            return data.embeddings if rows is None else data.embeddings[rows]
        features, _ = data.prolip_inputs()
        return project_rows(features if rows is None else features[rows], self.projection)

    def scores(self, data: EmbeddedSet, rows: np.ndarray | None = None) -> np.ndarray:
        """(photos, labels) for the fitted labels, columns in label order."""
        embeddings = self.embeddings(data, rows)
        return np.stack([self.heads[label].scores(embeddings) for label in sorted(self.heads)], 1)


class Approach:
    """Fits every known label of an episode with one method."""

    def __init__(self, method: Method, uses_prompt: bool = False):
        self.method = method
        self.name = method.name
        self.uses_prompt = uses_prompt
        self.independent = not method.uses_others

    def fit(self, data: EmbeddedSet, support: Support, prompts: bool) -> Fitted:
        started = perf_counter()
        heads = self._heads(data.embeddings, data, support, prompts)
        return Fitted(heads, None, perf_counter() - started)

    def _heads(self, embeddings, data, support, prompts) -> dict[int, Head]:
        use_prior = (prompts or self.uses_prompt) and data.priors is not None
        return {
            label: self.method.fit(
                support.examples(label, embeddings, data.priors[label] if use_prior else None)
            )
            for label in support.labels
        }


class ProLIPApproach(Approach):
    def __init__(self):
        super().__init__(MWI())
        self.name = PROLIP
        self.independent = False

    def fit(self, data: EmbeddedSet, support: Support, prompts: bool) -> Fitted:
        started = perf_counter()
        before = self._heads(data.embeddings, data, support, prompts)
        classifier = np.stack([_imprinted_weight(before[label]) for label in support.labels])
        rows = support.rows()
        targets = np.zeros((len(rows), len(support.labels)), dtype=np.float32)
        for column, label in enumerate(support.labels):
            targets[np.isin(rows, support.others(label)), column] = -1
            targets[np.isin(rows, support.chosen[label]), column] = 1
        features, start = data.prolip_inputs()
        projection = refine_projection(features[rows], targets, classifier, start, steps=300)
        refined = project_rows(features, projection)
        heads = self._heads(refined, data, support, prompts)
        return Fitted(heads, projection, perf_counter() - started)


def _imprinted_weight(head: Head) -> np.ndarray:
    """The MWI weight ProLIP holds fixed as the label's classifier. Every label of an episode
    has examples, so MWI imprinted it; anything else is a bug, said here rather than later."""
    weight = head.weight if isinstance(head, ImprintHead) else None
    if weight is None:
        raise TypeError(f"ProLIP needs an imprinted MWI head, not {type(head).__name__}")
    return weight


def available_approaches(data: EmbeddedSet) -> dict[str, Approach]:
    approaches = {name: Approach(METHODS[name]) for name in _head_names()}
    if data.priors is not None:
        approaches[ZERO_SHOT] = Approach(ZeroShot(), uses_prompt=True)
    if data.features is not None and data.projection is not None:
        approaches[PROLIP] = ProLIPApproach()
    return approaches


def check_names(names: list[str] | None, available: list[str]) -> None:
    unknown = [name for name in names or [] if name not in available]
    if unknown:
        raise UserError(f"unknown method {', '.join(unknown)} (known: {', '.join(available)})")


def approach_names() -> list[str]:
    """Every name `--method` accepts (zero-shot and ProLIP need a model's text tower and
    projection, which every model here has)."""
    return [*_head_names(), ZERO_SHOT, PROLIP]


def _head_names() -> list[str]:
    """The default first, the rest by name."""
    return [DEFAULT_METHOD, *sorted(set(METHODS) - {DEFAULT_METHOD})]


def select_approaches(data: EmbeddedSet, names: list[str] | None) -> list[Approach]:
    available = available_approaches(data)
    check_names(names, list(available))
    return [available[name] for name in names] if names else list(available.values())
