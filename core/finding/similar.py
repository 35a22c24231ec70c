"""More like this: one direction in embedding space from photos the user picked, and away from
those they did not want (rclip's `-` query)."""

from __future__ import annotations

import numpy as np

from phototag.core.errors import UserError
from phototag.core.labels.imprint import normalize_rows


def direction(liked: np.ndarray, disliked: np.ndarray) -> np.ndarray:
    """normalize(mean direction of the liked photos - mean direction of the disliked ones).

    Each side is normalised before the difference, so ten disliked photos push away as much as
    one, and the liked side keeps the lead whatever the counts."""
    if not len(liked):
        raise UserError("more like this needs at least one photo that is scanned")
    toward = normalize_rows(liked.sum(axis=0, keepdims=True))[0]
    if len(disliked):
        toward = toward - normalize_rows(disliked.sum(axis=0, keepdims=True))[0]
    if not np.linalg.norm(toward) > 0:
        raise UserError("the photos to leave out are the same as the photos to match")
    return normalize_rows(toward[None, :])[0].astype(np.float32)
