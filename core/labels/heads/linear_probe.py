"""Linear probe: one-vs-rest logistic regression on the embeddings (scikit-learn, L-BFGS).

The standard CLIP baseline (Radford et al.; LP++'s reference). A probe learns a boundary, so it
needs negatives: the label's rejections and the other labels' examples (`uses_others`). That
makes its labels depend on each other: adding a label adds negatives to every other label and
moves them, so a probe is NOT continual-invariant. Photos nobody labelled are never used as
negatives (they are unknown). Classes are balanced, as a label's few examples would otherwise be
outvoted by everything else. With no negative at all there is nothing to separate from, and the
probe falls back to the imprint (MWI); the prompt is not used by a probe.

C = 1: the embeddings are unit vectors, so this is a fairly strong L2 pull towards the
difference of the class means, which is what few-shot data supports (LP++ searches C on a
validation set; a user's label has none).
"""

from __future__ import annotations

import numpy as np

from phototag.core.labels.heads import Examples, Head, Method, Unfitted, register
from phototag.core.labels.heads.holdout import RefitHead
from phototag.core.labels.heads.mwi import MWI
from phototag.core.model.adam import single_threaded


class ProbeHead(RefitHead):
    kind = "probe"

    def __init__(self, coef: np.ndarray, intercept: float, method: LinearProbe, examples):
        super().__init__(method, examples, method.folds)
        self.coef = coef.astype(np.float32)
        self.intercept = np.float32(intercept)

    def scores(self, embeddings: np.ndarray) -> np.ndarray:
        return np.asarray(embeddings, dtype=np.float32) @ self.coef + self.intercept

    def parameters(self) -> dict[str, np.ndarray]:
        return {"coef": self.coef, "intercept": np.array(self.intercept)}

    @classmethod
    def restore(cls, parameters: dict[str, np.ndarray], method: Method, examples: Examples) -> Head:
        assert isinstance(method, LinearProbe)
        return cls(parameters["coef"], float(parameters["intercept"]), method, examples)


class LinearProbe(Method):
    name = "linear-probe"
    summary = "Logistic regression, one-vs-rest: examples against rejections and other labels"
    uses_others = True

    def __init__(self, regularization_c: float = 1.0, folds: int = 5):
        self.regularization_c = regularization_c
        self.folds = folds

    def fit(self, examples: Examples) -> Head:
        positives = np.asarray(examples.positives, dtype=np.float64)
        if len(positives) == 0:
            return Unfitted()
        negatives = examples.negatives(positives.shape[1])
        if len(negatives) == 0:
            return MWI().fit(Examples(examples.positives, examples.rejections))
        from sklearn.linear_model import LogisticRegression

        rows = np.vstack([positives, negatives])
        targets = np.concatenate([np.ones(len(positives)), np.zeros(len(negatives))])
        model = LogisticRegression(C=self.regularization_c, class_weight="balanced", max_iter=1000)
        with single_threaded():
            model.fit(rows, targets)
        return ProbeHead(model.coef_[0], float(model.intercept_[0]), self, examples)


register(LinearProbe())
