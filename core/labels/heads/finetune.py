"""MWI fine-tuned: a few full-batch BCE steps starting from the imprint and held near it.

Qi et al. (2018) fine-tune imprinted weights afterwards; methods.md §1 proposes BCE over the
labels with logits s * cos(f, w) + b and a penalty lambda * ||w - w_imprint||^2. The imprint
already maximises the mean cosine to the examples, so what the fine-tune adds is contrast:
negatives push the weight away, and BCE gives more weight to the examples the imprint scores
worst. The negatives are the label's rejections and the other labels' examples (one-vs-rest),
so a label fitted this way depends on the other labels: it is NOT continual-invariant, adding a
label can move it (`uses_others`).

Positives and negatives carry equal total weight, so a label with three examples and two
hundred other photos is not taught mostly "no". The score is the cosine to the tuned weight
(the bias is dropped: the threshold rule sets the offset).
"""

from __future__ import annotations

import numpy as np

from phototag.core.labels.heads import Examples, Head, Method, Unfitted, register
from phototag.core.labels.heads.holdout import RefitHead
from phototag.core.labels.heads.mwi import cosine_scores, imprint
from phototag.core.model.adam import Adam, single_threaded


class TunedHead(RefitHead):
    kind = "tuned"

    def __init__(self, weight: np.ndarray, method: FineTune, examples: Examples):
        super().__init__(method, examples, method.folds)
        self.weight = weight.astype(np.float32)

    def scores(self, embeddings: np.ndarray) -> np.ndarray:
        return cosine_scores(embeddings, self.weight)

    def parameters(self) -> dict[str, np.ndarray]:
        return {"weight": self.weight}

    @classmethod
    def restore(cls, parameters: dict[str, np.ndarray], method: Method, examples: Examples) -> Head:
        assert isinstance(method, FineTune)
        return cls(parameters["weight"], method, examples)


def balanced_weights(positives: int, negatives: int) -> np.ndarray:
    """Half the total weight on each side (all of it on the positives if there is no negative)."""
    if negatives == 0:
        return np.full(positives, 1.0 / positives)
    return np.concatenate(
        [np.full(positives, 0.5 / positives), np.full(negatives, 0.5 / negatives)]
    )


class FineTune(Method):
    name = "finetune"
    summary = "MWI fine-tuned with BCE against rejections and other labels, held near the imprint"
    uses_others = True

    def __init__(
        self,
        steps: int = 100,
        learning_rate: float = 1e-3,
        regularization: float = 1.0,
        scale: float = 10.0,
        folds: int = 5,
    ):
        self.steps = steps
        self.learning_rate = learning_rate
        self.regularization = regularization
        self.scale = scale
        self.folds = folds

    def fit(self, examples: Examples) -> Head:
        start = imprint(examples).weight()
        if start is None:
            return Unfitted()
        positives = np.asarray(examples.positives, dtype=np.float64)
        if len(positives) == 0:
            return TunedHead(start, self, examples)
        negatives = examples.negatives(len(start))
        rows = np.vstack([positives, negatives])
        targets = np.concatenate([np.ones(len(positives)), np.zeros(len(negatives))])
        weights = balanced_weights(len(positives), len(negatives))
        with single_threaded():
            weight = self._train(start, rows, targets, weights)
        return TunedHead(weight, self, examples)

    def _train(self, start, rows, targets, sample_weights) -> np.ndarray:
        anchor = start.astype(np.float64)
        weight = anchor.copy()
        bias = np.zeros(1)
        optimizer = Adam([weight, bias], self.learning_rate, self.steps)
        for _ in range(self.steps):
            norm = np.linalg.norm(weight)
            unit = weight / norm
            cosines = rows @ unit
            logits = self.scale * cosines + bias[0]
            error = sample_weights * (1.0 / (1.0 + np.exp(-logits)) - targets)
            grad_weight = self.scale * (error @ rows - error @ cosines * unit) / norm
            grad_weight += 2.0 * self.regularization * (weight - anchor)
            optimizer.step([grad_weight, np.array([error.sum()])])
        return weight / np.linalg.norm(weight)


register(FineTune())
