"""MWI with several proxies per label: k-means sub-centres of the examples, max cosine.

A label such as "Grandma" covers several looks (indoors, outdoors, young, old); one mean can
sit between them and match none well. Robust Weight Imprinting (Westerhoff et al. 2025) found
k-means proxies with a max-cosine score the best imprinting variant. With no more examples than
proxies every example is a proxy (nearest-neighbour scoring). The text prompt is used only while
a label has no example: text-to-image cosines live on another scale than image-to-image ones,
so a prompt proxy would either never win or always win.

Each label's proxies depend on its own examples only, so labels stay independent.
"""

from __future__ import annotations

import numpy as np

from phototag.core.labels.heads import Examples, Head, Method, Unfitted, register
from phototag.core.labels.heads.holdout import RefitHead
from phototag.core.labels.imprint import normalize_rows
from phototag.core.model.adam import single_threaded


class ProxyHead(RefitHead):
    kind = "proxies"

    def __init__(self, proxies: np.ndarray, method: MultiProxy, examples: Examples):
        super().__init__(method, examples, method.folds)
        self.proxies = proxies.astype(np.float32)

    def scores(self, embeddings: np.ndarray) -> np.ndarray:
        similarities = np.asarray(embeddings, dtype=np.float32) @ self.proxies.T
        return similarities.max(axis=1)

    def parameters(self) -> dict[str, np.ndarray]:
        return {"proxies": self.proxies}

    @classmethod
    def restore(cls, parameters: dict[str, np.ndarray], method: Method, examples: Examples) -> Head:
        assert isinstance(method, MultiProxy)
        return cls(parameters["proxies"], method, examples)


class MultiProxy(Method):
    name = "multiproxy"
    summary = "MWI with k-means proxies: max cosine over a few sub-centres of the examples"

    def __init__(self, proxies: int = 4, folds: int = 5):
        self.proxies = proxies
        self.folds = folds

    def fit(self, examples: Examples) -> Head:
        positives = np.asarray(examples.positives, dtype=np.float64)
        if len(positives):
            return ProxyHead(self._centres(normalize_rows(positives)), self, examples)
        if examples.prior is not None:
            return ProxyHead(normalize_rows(np.asarray(examples.prior)[None, :]), self, examples)
        return Unfitted()

    def _centres(self, positives: np.ndarray) -> np.ndarray:
        if len(positives) <= self.proxies:
            return positives
        from sklearn.cluster import KMeans

        kmeans = KMeans(n_clusters=self.proxies, n_init=1, random_state=0)
        with single_threaded():
            kmeans.fit(positives)
        return normalize_rows(kmeans.cluster_centers_)


register(MultiProxy())
