"""A library's labels as a batch job carries them: all `batch label` needs to tag an embedding.

Per label, in the library's order: its name, its MWI weight (a row of ModelView.weights()), its
threshold and slope as the library decides with them, the fitted head of a label taught with
another method (stored as core/labels/heads/stored.py stores it) and its examples named by
content hash, so a photo the user confirmed or rejected is shown so wherever its file is. A
label taught after `batch prepare` is not in the job: pass the library instead.

The file is an .npz of plain arrays read back with allow_pickle=False (nothing in a job folder
can make this process run code); `batch prepare` records its sha256 in the manifest.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from phototag.core.errors import UserError
from phototag.core.labels.heads import Examples, Head, get_method
from phototag.core.labels.heads.stored import head_from_bytes, head_to_bytes
from phototag.core.labels.state import ModelView
from phototag.core.model.projection import active_projection
from phototag.core.store.batch import ContentExample


@dataclass(frozen=True)
class LabelSet:
    model_key: str
    projection: np.ndarray
    """The projection the weights were made in: embeddings made in another are re-projected."""
    names: list[str]
    methods: list[str]
    weights: np.ndarray  # (labels, dims) float32
    thresholds: np.ndarray  # (labels,) float64
    slopes: np.ndarray  # (labels,) float64
    fitted: dict[int, Head]
    """Column -> the head that scores that label instead of its MWI weight."""
    examples: list[dict[str, int]]
    """Per label: content hash -> +1 (confirmed) or -1 (rejected)."""

    def examples_of(self, content_hash: str) -> list[tuple[int, int]]:
        """(column, polarity) of every label the user gave this content as an example."""
        return self._by_content.get(content_hash, [])

    @cached_property
    def _by_content(self) -> dict[str, list[tuple[int, int]]]:
        found: dict[str, list[tuple[int, int]]] = {}
        for column, examples in enumerate(self.examples):
            for content_hash, polarity in examples.items():
                found.setdefault(content_hash, []).append((column, polarity))
        return found


def from_view(view: ModelView, examples: Iterable[ContentExample]) -> LabelSet:
    by_label: dict[int, dict[str, int]] = {}
    for example in examples:
        by_label.setdefault(example.label_id, {})[example.content_hash] = example.polarity
    heads = view.heads
    return LabelSet(
        model_key=view.model["key"],
        projection=active_projection(view.model),
        names=[h.name for h in heads],
        methods=[h.method for h in heads],
        weights=view.weights(),
        thresholds=np.array([h.threshold for h in heads], dtype=np.float64),
        slopes=np.array([h.calibration.slope for h in heads], dtype=np.float64),
        fitted={i: h.fitted for i, h in enumerate(heads) if h.fitted is not None},
        examples=[by_label.get(h.label_id, {}) for h in heads],
    )


def save(labels: LabelSet, path: Path) -> None:
    arrays = {
        "weights": labels.weights,
        "thresholds": labels.thresholds,
        "slopes": labels.slopes,
        "labels": np.array(json.dumps(_described(labels))),
    }
    for column, head in labels.fitted.items():
        blob = head_to_bytes(head)
        if blob is None:
            raise UserError(
                f"label {labels.names[column]!r} uses a method a batch job cannot carry; "
                "pass the library to batch label instead"
            )
        arrays[f"head_{column}"] = np.frombuffer(blob, dtype=np.uint8)
    with open(path, "wb") as out:
        np.savez(out, allow_pickle=False, **arrays)


def _described(labels: LabelSet) -> dict:
    return {
        "model_key": labels.model_key,
        "names": labels.names,
        "methods": labels.methods,
        "examples": labels.examples,
    }


def load(path: Path, projection: np.ndarray) -> LabelSet:
    with np.load(path, allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    described = json.loads(str(arrays["labels"]))
    weights = arrays["weights"]
    fitted = {}
    for column, method in enumerate(described["methods"]):
        if f"head_{column}" in arrays:
            fitted[column] = _head(arrays[f"head_{column}"], method, weights.shape[1])
    return LabelSet(
        model_key=described["model_key"],
        projection=projection,
        names=described["names"],
        methods=described["methods"],
        weights=weights,
        thresholds=arrays["thresholds"],
        slopes=arrays["slopes"],
        fitted=fitted,
        examples=described["examples"],
    )


def _head(blob: np.ndarray, method: str, dims: int) -> Head:
    """A stored head, to score with only: held-out scores (which need the examples' embeddings)
    are never asked of it, so it is restored with no examples."""
    nothing = np.empty((0, dims), dtype=np.float32)
    return head_from_bytes(blob.tobytes(), get_method(method), Examples(nothing, nothing))
