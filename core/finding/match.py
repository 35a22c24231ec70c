"""Evaluating a parsed query over the library's present files: each term becomes a mask over
the file index, AND/OR/NOT combine masks, and a query with text is ranked by its similarity.

A text term matches the SEARCH_LIMIT photos nearest to it in meaning: the same photos the
search box shows for those words, so an album `text:beach` holds what searching "beach" shows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from phototag.core.browsing import SEARCH_LIMIT, FileIndex, PhotoRef, best_first
from phototag.core.finding.query import (
    And,
    Folder,
    Label,
    Node,
    Not,
    Or,
    Taken,
    Text,
    Unlabelled,
)
from phototag.core.model.encoders import canonical


@dataclass(frozen=True)
class Facts:
    """What the terms of a query read, one entry per present file of `index`.

    `carried(name, confirmed_only)` is the mask of files carrying a label; `similarity(text)`
    each file's cosine to a text (-inf where not embedded); `taken()` each file's EXIF date or
    None, read from the store only for a query with a date term (54 ms at 100k photos)."""

    index: FileIndex
    carried: Callable[[str, bool], np.ndarray]
    any_label: Callable[[], np.ndarray]
    similarity: Callable[[str], np.ndarray]
    taken: Callable[[], list[str | None]]


def matches(node: Node, facts: Facts) -> np.ndarray:
    """Mask of the files the query selects."""
    if isinstance(node, And):
        return matches(node.left, facts) & matches(node.right, facts)
    if isinstance(node, Or):
        return matches(node.left, facts) | matches(node.right, facts)
    if isinstance(node, Not):
        return ~matches(node.operand, facts)
    return _term(node, facts)


def _term(node: Node, facts: Facts) -> np.ndarray:
    if isinstance(node, Label):
        return facts.carried(node.name, node.confirmed_only)
    if isinstance(node, Unlabelled):
        return ~facts.any_label()
    if isinstance(node, Folder):
        return facts.index.in_folder(canonical(node.path))
    if isinstance(node, Taken):
        return _taken_between(facts.taken(), node.start, node.end)
    if isinstance(node, Text):
        scores = facts.similarity(node.text)
        mask = np.zeros(len(scores), dtype=bool)
        mask[best_first(scores, np.isfinite(scores), SEARCH_LIMIT)] = True
        return mask
    raise TypeError(f"not a query term: {node!r}")


def _taken_between(taken: list[str | None], start: str | None, end: str | None) -> np.ndarray:
    """ISO dates compare as text; a photo without a date taken matches no range."""
    low, high = start or "", end or "9999-99-99"
    return np.fromiter(
        (day is not None and low <= day[:10] <= high for day in taken), bool, len(taken)
    )


def ranked(mask: np.ndarray, texts: list[str], facts: Facts) -> Sequence[PhotoRef]:
    """Path order; with text terms, best first by their mean similarity (the score shown)."""
    if not texts:
        return facts.index.refs(np.flatnonzero(mask))
    similarity = np.mean([facts.similarity(text) for text in texts], axis=0)
    return facts.index.refs(best_first(similarity, mask), similarity)
