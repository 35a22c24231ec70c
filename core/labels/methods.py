"""Which head each label uses, and fitting the heads that are not MWI.

A library has one method (a setting, MWI unless the user chose another) and a label may override
it. MWI is the library's own exact, incremental imprint (core/labels/imprint.py) and is never fitted
here; every other method comes from core/heads through its common interface and is refitted
from the label's stored examples whenever they change. Fitted heads are stored with a digest of
what they were fitted on (core/labels/heads/stored.py), so reading a library never refits one;
they stay recomputable from the examples, which are what the user decided.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from phototag.core.errors import UserError
from phototag.core.labels.heads import DEFAULT_METHOD, METHODS, Examples, Head, get_method
from phototag.core.labels.scoring import EmbeddingMatrix

MWI_SUMMARY = (
    "Multi-label Weight Imprinting: the mean of a label's examples, updated exactly and "
    "instantly as you teach it (the default)"
)


def available_methods() -> dict[str, str]:
    """Every method this installation offers, name -> one-line summary, the default first."""
    default = METHODS[DEFAULT_METHOD].summary if DEFAULT_METHOD in METHODS else MWI_SUMMARY
    others = {name: METHODS[name].summary for name in sorted(METHODS) if name != DEFAULT_METHOD}
    return {DEFAULT_METHOD: default, **others}


def check_method(name: str) -> str:
    """The name if it is a method here; otherwise a user error listing the known ones."""
    known = available_methods()
    if name not in known:
        raise UserError(f"unknown method {name!r} (known: {', '.join(known)})")
    return name


def effective_method(label_method: str | None, library_method: str | None) -> str:
    """The label's own method, else the library's, else MWI. A stored name this installation
    does not offer (a library from a newer Phototag) falls back to MWI rather than failing."""
    chosen = label_method or library_method or DEFAULT_METHOD
    return chosen if chosen in available_methods() else DEFAULT_METHOD


def fit_head(
    method: str,
    examples: dict[int, int],
    matrix: EmbeddingMatrix,
    prior: np.ndarray | None,
    other_positives: Iterable[int] = (),
) -> Head:
    """A non-MWI head fitted from one label's examples (image id -> +1/-1) as embedded now.

    `other_positives` (other labels' confirmed photos) reaches only methods that use them.
    """
    inputs = head_examples(method, examples, matrix, prior, other_positives)
    return get_method(method).fit(inputs)


def head_examples(
    method: str,
    examples: dict[int, int],
    matrix: EmbeddingMatrix,
    prior: np.ndarray | None,
    other_positives: Iterable[int] = (),
) -> Examples:
    """What `method` is fitted on for one label: its examples as embedded now, and other
    labels' positives only for a method that uses them. Also what a stored head is keyed by."""
    own = {image for image, sign in examples.items() if sign == 1}
    rejected = [image for image, sign in examples.items() if sign == -1]
    others = None
    if get_method(method).uses_others:
        foreign = sorted(set(other_positives) - set(examples))
        others = matrix.embeddings[matrix.rows(foreign)]
    return Examples(
        positives=matrix.embeddings[matrix.rows(sorted(own))],
        rejections=matrix.embeddings[matrix.rows(rejected)],
        prior=prior,
        others=others,
    )


def uses_others(method: str) -> bool:
    """Whether a label with this method must be refitted when another label's examples change."""
    return method != DEFAULT_METHOD and get_method(method).uses_others
