"""Tip-Adapter (Zhang et al., ECCV 2022), one label at a time: a base score plus a cache.

score(x) = base(x) + alpha * mean_k exp(-beta * (1 - x . k)) * v_k

The cache keys k are the label's examples (value +1) and its rejections (value -1): Tip's
one-hot cache values become multi-hot across labels, i.e. one signed column per label. The base
is the cosine to the label's prompt when it has one (Tip's zero-shot term) and otherwise the
MWI weight, so a label taught without a prompt still has a global direction. No training: the
cache is the examples themselves, and adding a label touches no other label.

Differences from the paper, and why: the base is a plain cosine, not 100 * cosine, so alpha is
on the cosine scale; and the cache is averaged over the keys rather than summed, so a label's
score range does not grow with its number of examples (the threshold rule then sees comparable
scores at 3 and at 300 examples). alpha = 0 gives exactly the base score.
"""

from __future__ import annotations

import numpy as np

from phototag.core.labels.heads import Examples, Head, Method, Unfitted, register
from phototag.core.labels.heads.holdout import RefitHead
from phototag.core.labels.heads.mwi import cosine_scores, imprint


class TipHead(RefitHead):
    kind = "tip"

    def __init__(
        self,
        base: np.ndarray,
        keys: np.ndarray,
        values: np.ndarray,
        method: TipAdapter,
        examples: Examples,
    ):
        super().__init__(method, examples, method.folds)
        self._tip = method
        self.base = base.astype(np.float32)
        self.keys = keys.astype(np.float32)
        self.values = values.astype(np.float32)

    def scores(self, embeddings: np.ndarray) -> np.ndarray:
        base = cosine_scores(embeddings, self.base)
        if self._tip.alpha == 0 or len(self.keys) == 0:
            return base
        affinity = np.asarray(embeddings, dtype=np.float32) @ self.keys.T
        cache = np.exp(-self._tip.beta * (1.0 - affinity)) @ self.values / len(self.keys)
        return (base + self._tip.alpha * cache).astype(np.float32)

    def parameters(self) -> dict[str, np.ndarray]:
        return {"base": self.base, "keys": self.keys, "values": self.values}

    @classmethod
    def restore(cls, parameters: dict[str, np.ndarray], method: Method, examples: Examples) -> Head:
        assert isinstance(method, TipAdapter)
        keys, values = parameters["keys"], parameters["values"]
        return cls(parameters["base"], keys, values, method, examples)


class TipAdapter(Method):
    name = "tip"
    summary = "Tip-Adapter: prompt or imprint cosine plus a training-free cache of the examples"

    def __init__(self, alpha: float = 1.0, beta: float = 5.0, folds: int = 20):
        self.alpha = alpha
        self.beta = beta
        self.folds = folds

    def fit(self, examples: Examples) -> Head:
        if examples.prior is not None:
            base = np.asarray(examples.prior, dtype=np.float32)
        else:
            weight = imprint(examples).weight()
            if weight is None:
                return Unfitted()
            base = weight
        positives = np.asarray(examples.positives, dtype=np.float32).reshape(-1, len(base))
        rejections = np.asarray(examples.rejections, dtype=np.float32).reshape(-1, len(base))
        keys = np.vstack([positives, rejections])
        values = np.concatenate([np.ones(len(positives)), -np.ones(len(rejections))])
        return TipHead(base, keys, values, self, examples)


register(TipAdapter())
