"""Label heads: the ways a label's classifier can be made from what the user taught it.

Every head is fitted from ONE label's examples alone, so labels stay independent (multi-label:
each label has its own scores and threshold) and adding a label never changes another one. A
photo nobody tagged is unknown, not a negative: only explicit rejections are negatives, and the
few methods that need more negatives than that say so (`Method.uses_others`), accepting that
their labels are no longer independent.

MWI (Multi-label Weight Imprinting) is the default. The library keeps its own exact, incremental
form of MWI (core/labels/imprint.py); the heads here are what every other method plugs into, and
what `phototag eval` compares.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from phototag.core.errors import UserError

DEFAULT_METHOD = "mwi"


@dataclass(frozen=True)
class Examples:
    """What one label was taught, as the active model's L2-normalised embeddings (one per row)."""

    positives: np.ndarray
    rejections: np.ndarray
    prior: np.ndarray | None = None
    """The text embedding of the label's prompt, when it has one."""
    others: np.ndarray | None = None
    """Other labels' positives: used only by methods with `uses_others` (not independent)."""

    def negatives(self, dims: int) -> np.ndarray:
        """Rejections, then the other labels' positives: the negatives of one-vs-rest methods."""
        parts = [np.asarray(self.rejections, dtype=np.float64).reshape(-1, dims)]
        if self.others is not None:
            parts.append(np.asarray(self.others, dtype=np.float64).reshape(-1, dims))
        return np.vstack(parts)


class Head(ABC):
    """One label's fitted classifier.

    A head with a `kind` can be stored (core/labels/heads/stored.py): parameters() are the
    arrays scores() needs, and restore() rebuilds the head from them without fitting, which for
    some methods costs seconds. Heads without a kind are simply refitted.
    """

    kind: ClassVar[str | None] = None

    @abstractmethod
    def scores(self, embeddings: np.ndarray) -> np.ndarray:
        """One float32 score per row; higher means more likely. Thresholds are set on these."""

    @abstractmethod
    def held_out_scores(self) -> np.ndarray:
        """Each positive's score by this head fitted without it: how a new photo of the label
        would score, the evidence a threshold is set from. Empty when there is no such score."""

    def parameters(self) -> dict[str, np.ndarray]:
        """The arrays restore() rebuilds this head from (only heads with a kind have them)."""
        raise NotImplementedError(f"{type(self).__name__} cannot be stored")

    @classmethod
    def restore(cls, parameters: dict[str, np.ndarray], method: Method, examples: Examples) -> Head:
        """The head parameters() describe, for `examples` as fitted by `method`."""
        raise NotImplementedError(f"{cls.__name__} cannot be stored")


class Unfitted(Head):
    """A label with nothing to go on (no positive, no prompt): every photo scores 0."""

    kind = "unfitted"

    def scores(self, embeddings: np.ndarray) -> np.ndarray:
        return np.zeros(len(embeddings), dtype=np.float32)

    def held_out_scores(self) -> np.ndarray:
        return np.empty(0, dtype=np.float32)

    def parameters(self) -> dict[str, np.ndarray]:
        return {}

    @classmethod
    def restore(cls, parameters: dict[str, np.ndarray], method: Method, examples: Examples) -> Head:
        return cls()


class Method(ABC):
    """A way of fitting heads; one registered instance per method name."""

    name: ClassVar[str]
    summary: ClassVar[str]
    uses_others: ClassVar[bool] = False

    @abstractmethod
    def fit(self, examples: Examples) -> Head:
        """A head for one label (raises nothing for empty examples: such a head scores 0)."""


METHODS: dict[str, Method] = {}


def register(method: Method) -> Method:
    METHODS[method.name] = method
    return method


def get_method(name: str) -> Method:
    try:
        return METHODS[name]
    except KeyError:
        known = ", ".join(sorted(METHODS))
        raise UserError(f"unknown method {name!r} (known: {known})") from None


# Every method registers itself on import; importing the package makes all of them available.
from phototag.core.labels.heads import (  # noqa: E402, F401
    finetune,
    linear_probe,
    llu,
    multiproxy,
    mwi,
    tip_adapter,
)
