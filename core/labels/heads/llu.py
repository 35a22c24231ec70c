"""Localized Latent Updates (Ibing, Lim, Kobbelt 2023), one label at a time.

An affine map (A, b) of the embedding space is learnt from the label's examples and applied
only near them, through a gate on the distance to the nearest example:

    d(x) = 1 - max_c cos(x, c)      (c: the label's examples and rejections, the "centres")
    w(x) = g * exp(-gamma * d(x))   if d(x) <= radius, else 0
    x'   = normalize(w(x) * normalize(A x + b) + (1 - w(x)) * x)
    score(x) = cos(x', t)           t: the label's MWI weight (prompt included)

The paper's gate never reaches 0, so in principle every photo moves a little. Here the gate is
cut to 0 beyond radius = 3 / gamma (where it has decayed to e^-3 = 5% of g), which makes the
defining property exact: a photo farther than the radius from every example scores bit for bit
what MWI gives it. gamma = 10 (the authors' tool setting) puts the radius at cosine distance
0.3. The paper's text branch is left out: here the classifier t is one fixed vector per label.

Training (the authors' tool loss): the mean cosine distance of the adapted examples to t, plus a
hinge keeping each adapted rejection below the lowest example by a margin of 0.1, plus
rho * (||A - I||^2 + ||b||^2) with rho = 1/N (N examples; ProLIP's validation-free rule, so the
adapter may move further the more it is shown). Adam, lr 1e-3, 100 full-batch steps, gradients
by hand. The gate is held fixed during training (the paper detaches it). Only the label's own
examples and rejections are used, so labels stay independent.
"""

from __future__ import annotations

import numpy as np

from phototag.core.labels.heads import Examples, Head, Method, Unfitted, register
from phototag.core.labels.heads.holdout import RefitHead
from phototag.core.labels.heads.mwi import cosine_scores, imprint
from phototag.core.model.adam import Adam, single_threaded

MARGIN = 0.1


def _unit(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    norms = np.where(norms == 0, 1.0, norms)
    return rows / norms, norms


class LocalHead(RefitHead):
    kind = "local"

    def __init__(self, adapter: Adapter, method: LLU, examples: Examples):
        super().__init__(method, examples, method.folds)
        self.adapter = adapter

    def scores(self, embeddings: np.ndarray) -> np.ndarray:
        scores = cosine_scores(embeddings, self.adapter.target)
        gate = self.adapter.gate(np.asarray(embeddings, dtype=np.float32))
        near = np.flatnonzero(gate > 0)
        if len(near):
            rows = np.asarray(embeddings, dtype=np.float64)[near]
            scores[near] = self.adapter.adapted_scores(rows, gate[near])
        return scores

    def parameters(self) -> dict[str, np.ndarray]:
        adapter = self.adapter
        return {
            "target": adapter.target,
            "centres": adapter.centres,
            "gain": np.array(adapter.gain),
            "gamma": np.array(adapter.gamma),
            "matrix": adapter.matrix,
            "offset": adapter.offset,
        }

    @classmethod
    def restore(cls, parameters: dict[str, np.ndarray], method: Method, examples: Examples) -> Head:
        assert isinstance(method, LLU)
        adapter = Adapter(
            parameters["target"],
            parameters["centres"],
            float(parameters["gain"]),
            float(parameters["gamma"]),
        )
        adapter.matrix = parameters["matrix"]
        adapter.offset = parameters["offset"]
        return cls(adapter, method, examples)


class Adapter:
    """The affine map, its centres and gate, and the label's weight t."""

    def __init__(self, target, centres, gain: float, gamma: float):
        self.target = np.asarray(target, dtype=np.float32)
        self.centres = np.asarray(centres, dtype=np.float32)
        self.gain = gain
        self.gamma = gamma
        self.radius = 3.0 / gamma
        dims = len(self.target)
        self.matrix = np.eye(dims)
        self.offset = np.zeros(dims)

    def gate(self, embeddings: np.ndarray) -> np.ndarray:
        if len(self.centres) == 0:
            return np.zeros(len(embeddings))
        distance = 1.0 - (embeddings @ self.centres.T).max(axis=1).astype(np.float64)
        return np.where(distance <= self.radius, self.gain * np.exp(-self.gamma * distance), 0.0)

    def forward(self, rows: np.ndarray, gate: np.ndarray):
        """Adapted scores with what the gradient needs: (scores, z, |u|, x', |v|)."""
        mapped, mapped_norm = _unit(rows @ self.matrix.T + self.offset)
        blended, blended_norm = _unit(gate[:, None] * mapped + (1.0 - gate[:, None]) * rows)
        return blended @ self.target.astype(np.float64), mapped, mapped_norm, blended, blended_norm

    def adapted_scores(self, rows: np.ndarray, gate: np.ndarray) -> np.ndarray:
        return self.forward(rows, gate)[0].astype(np.float32)

    def train(self, positives, rejections, regularization, steps, learning_rate) -> None:
        rows = np.vstack([positives, rejections])
        gate = self.gate(rows.astype(np.float32))
        target = self.target.astype(np.float64)
        identity = np.eye(len(target))
        optimizer = Adam([self.matrix, self.offset], learning_rate, steps)
        for _ in range(steps):
            scores, mapped, mapped_norm, blended, blended_norm = self.forward(rows, gate)
            grad_scores = self._loss_gradient(scores, len(positives))
            grad_blended = grad_scores[:, None] * (target - scores[:, None] * blended)
            grad_mapped = gate[:, None] * grad_blended / blended_norm
            along = (grad_mapped * mapped).sum(axis=1, keepdims=True)
            grad_u = (grad_mapped - along * mapped) / mapped_norm
            optimizer.step(
                [
                    grad_u.T @ rows + 2.0 * regularization * (self.matrix - identity),
                    grad_u.sum(axis=0) + 2.0 * regularization * self.offset,
                ]
            )

    @staticmethod
    def _loss_gradient(scores: np.ndarray, positives: int) -> np.ndarray:
        """d loss / d score: pull examples up; push rejections above the bar down."""
        grad = np.zeros_like(scores)
        grad[:positives] = -1.0 / positives
        rejected = scores[positives:]
        if len(rejected):
            bar = scores[:positives].min() - MARGIN
            grad[positives:] = (rejected > bar) / len(rejected)
        return grad


class LLU(Method):
    name = "llu"
    summary = "Localized Latent Updates: an affine adapter that acts only near the examples"

    def __init__(
        self,
        gamma: float = 10.0,
        gain: float = 1.0,
        steps: int = 100,
        learning_rate: float = 1e-3,
        folds: int = 5,
    ):
        self.gamma = gamma
        self.gain = gain
        self.steps = steps
        self.learning_rate = learning_rate
        self.folds = folds

    def fit(self, examples: Examples) -> Head:
        target = imprint(examples).weight()
        if target is None:
            return Unfitted()
        dims = len(target)
        positives = np.asarray(examples.positives, dtype=np.float64).reshape(-1, dims)
        rejections = np.asarray(examples.rejections, dtype=np.float64).reshape(-1, dims)
        adapter = Adapter(target, np.vstack([positives, rejections]), self.gain, self.gamma)
        if len(positives):
            with single_threaded():
                adapter.train(
                    positives, rejections, 1.0 / len(positives), self.steps, self.learning_rate
                )
        return LocalHead(adapter, self, examples)


register(LLU())
