"""Zero-shot CLIP: the cosine to the label's prompt, ignoring its examples.

Not registered as a product method (a label the user teaches should learn from what it is
taught; MWI with a prompt and no example already scores exactly this). The evaluation uses it
as the reference every few-shot method has to beat, and Tip-Adapter with alpha = 0 must equal it.
"""

from __future__ import annotations

import numpy as np

from phototag.core.labels.heads import Examples, Head, Method, Unfitted
from phototag.core.labels.heads.mwi import cosine_scores


class PromptHead(Head):
    def __init__(self, prior: np.ndarray, positives: np.ndarray):
        self.prior = np.asarray(prior, dtype=np.float32)
        self.positives = positives

    def scores(self, embeddings: np.ndarray) -> np.ndarray:
        return cosine_scores(embeddings, self.prior)

    def held_out_scores(self) -> np.ndarray:
        """The examples never shaped this head, so their own scores are already held out."""
        return self.scores(self.positives)


class ZeroShot(Method):
    name = "zero-shot"
    summary = "CLIP zero-shot: cosine to the text prompt's embedding"

    def fit(self, examples: Examples) -> Head:
        if examples.prior is None:
            return Unfitted()
        return PromptHead(examples.prior, np.asarray(examples.positives, dtype=np.float32))
