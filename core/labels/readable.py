"""The one scale people read a label's scores on, and the threshold slider's stops.

Which scale: a photo's score as the engine calibrated it, sigmoid(slope * (s - t)), but with t
the label's AUTOMATIC threshold, not the one the user dragged to. Measured on the old screen:
anchoring at the effective threshold made a photo's badge move when the slider moved (one photo
went 84% -> 56%) while the threshold itself read as a cosine (0.840), two scales for one
decision. Anchored at the automatic threshold, a photo's number changes only when the label
learns (a decision re-calibrates it), never when the user moves the cut-off, and the cut-off is
read on the same scale: "suggested from 62%" means the photos whose badge reads 62% or more.
Raw cosine everywhere was the alternative; it reads 0.261 for a good CLIP match and means
nothing to a person, so it stays inside the engine.

`phototag predict --json` keeps its own score (0.5 at the effective threshold): that is the
CLI contract, and it equals this scale whenever the threshold is automatic.

The slider steps in photos, not in cosine: its stops are the distinct scores of the label's
undecided photos, best first, so one step suggests one photo more or fewer (a 50-pixel drag on
a cosine slider went from 28 suggestions to 4). Stops run down to the near-miss floor below the
automatic threshold, and further if the user's threshold is lower still.
"""

from __future__ import annotations

import math

import numpy as np

from phototag.core.labels.state import LabelHead
from phototag.core.labels.thresholds import probability

STOPS_FLOOR = 0.12
"""The lowest readable score the slider reaches (one background spread below the automatic
threshold, as NEAR_MISS_FLOOR): below it a label suggests photos that do not look like it."""


def anchor(head: LabelHead) -> float:
    """The cosine that reads 50%: the automatic threshold, or the user's while there is none."""
    automatic = head.calibration.threshold
    return head.threshold if math.isinf(automatic) else automatic


def readable(cosine: np.ndarray | float, head: LabelHead) -> np.ndarray:
    """Scores on the one scale people read (see the module docstring)."""
    return np.asarray(probability(cosine, anchor(head), head.calibration.slope))


def slider_stops(undecided: np.ndarray, head: LabelHead) -> np.ndarray:
    """The distinct cosines of the undecided photos a threshold can stop at, best first:
    stops[k - 1] as the threshold suggests the best k of them."""
    cosines = np.asarray(undecided, dtype=np.float64)
    if math.isinf(head.threshold) or not len(cosines):
        return cosines[:0]
    lowest = min(head.threshold, _cosine_reading(STOPS_FLOOR, head))
    return np.unique(cosines[cosines >= lowest])[::-1]  # only the stops are sorted


def _cosine_reading(score: float, head: LabelHead) -> float:
    """The cosine whose readable score is `score` (the sigmoid's inverse)."""
    return anchor(head) + math.log(score / (1.0 - score)) / head.calibration.slope
