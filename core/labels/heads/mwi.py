"""MWI, the default head: the label's weight is the normalised sum of its examples (CLIPPER).

It reuses the library's own exact imprint (core/labels/imprint.py), so a head fitted here scores
exactly what the library's label scores, and its held-out scores are the closed-form
leave-one-out. Rejections do not move the weight; they only move the threshold. The weight
depends on nothing but the label's own examples, so adding or changing another label can never
change this one (continual learning without forgetting).
"""

from __future__ import annotations

import numpy as np

from phototag.core.labels.heads import Examples, Head, Method, Unfitted, register
from phototag.core.labels.imprint import Prototype


def cosine_scores(embeddings: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """The cosine of every row with one unit weight: the one product every imprint-based head
    shares, so that heads which promise MWI's scores give them to the bit."""
    return np.asarray(embeddings, dtype=np.float32) @ np.asarray(weight, dtype=np.float32)


class ImprintHead(Head):
    kind = "imprint"

    def __init__(self, prototype: Prototype, positives: np.ndarray):
        weight = prototype.weight()
        if weight is None:
            raise ValueError("an imprint head needs an example or a prompt (MWI.fit checks)")
        self.prototype = prototype
        self.positives = positives
        self.weight = weight

    def scores(self, embeddings: np.ndarray) -> np.ndarray:
        return cosine_scores(embeddings, self.weight)

    def held_out_scores(self) -> np.ndarray:
        return self.prototype.leave_one_out_scores(self.positives)

    def parameters(self) -> dict[str, np.ndarray]:
        kept = {
            "pos_sum": self.prototype.pos_sum,
            "n_pos": np.array(self.prototype.n_pos),
            "positives": self.positives,
        }
        if self.prototype.prior is not None:
            kept["prior"] = np.asarray(self.prototype.prior)
        return kept

    @classmethod
    def restore(cls, parameters: dict[str, np.ndarray], method: Method, examples: Examples) -> Head:
        prototype = Prototype(
            parameters["pos_sum"], int(parameters["n_pos"]), parameters.get("prior")
        )
        return cls(prototype, parameters["positives"])


def imprint(examples: Examples) -> Prototype:
    return Prototype.from_examples(np.asarray(examples.positives), examples.prior)


class MWI(Method):
    name = "mwi"
    summary = "Multi-label Weight Imprinting: cosine to the normalised sum of the examples"

    def fit(self, examples: Examples) -> Head:
        prototype = imprint(examples)
        if prototype.weight() is None:
            return Unfitted()
        return ImprintHead(prototype, np.asarray(examples.positives, dtype=np.float32))


register(MWI())
