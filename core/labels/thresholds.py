"""Where a label's decision threshold goes, from positives, rejections and the unlabelled library.

A library is positive-unlabelled data: a photo nobody tagged is unknown, not a negative. So the
rule never counts unlabelled photos as negatives; it only uses where they are dense. In steps:

1. Background. Most photos of a library do not carry any given label, so the bulk of the
   unlabelled scores describes "not this label": its median and robust spread (1.4826 * MAD).
2. Positives: low-density separation. Each positive is scored against the label imprinted
   without it (leave-one-out), which is how a new photo of the label would score. The threshold
   goes to the sparsest point of the unlabelled scores (a smoothed histogram) between the
   background's median and the lowest held-out positive: the valley between "the rest" and the
   photos that look like the examples. A label without such a valley gets a threshold near its
   least typical example, so it stays precise.
   With no held-out positive yet (one example, or only a text prompt) the threshold is
   median + 3 spreads: a photo must stand out from the library.
3. Rejections. Every rejection scoring above that threshold is a known false positive. The
   threshold may rise to just above a rejection; among the candidates it keeps the one with the
   most (held-out positives kept - rejections let in), and on a tie it takes the higher one, so
   a rejection always moves the threshold unless that would cost more known positives than it
   removes.

The decision is score >= threshold. The score shown to people is sigmoid(slope * (s - t)): 0.5 at
the threshold, 0.88 one background spread above it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BACKGROUND_SPREADS = 3.0
MIN_SPREAD = 1e-3
BINS_PER_BANDWIDTH = 8
REJECTION_MARGIN = 1e-6
SLOPE_SPREADS = 2.0


@dataclass(frozen=True)
class Calibration:
    threshold: float
    slope: float


def _robust_centre_spread(values: np.ndarray) -> tuple[float, float]:
    if len(values) == 0:
        return 0.0, MIN_SPREAD
    median = float(np.median(values))
    mad = float(np.median(np.abs(values - median)))
    return median, max(1.4826 * mad, MIN_SPREAD)


def _bandwidth(values: np.ndarray, floor: float) -> float:
    """Silverman's rule of thumb, robust to the long tail a label's own photos make."""
    iqr = float(np.subtract(*np.percentile(values, [75, 25]))) / 1.34
    sd = float(np.std(values))
    spread = min(sd, iqr) if iqr > 0 else sd
    return max(0.9 * spread * len(values) ** -0.2, floor)


def _valley(unlabeled: np.ndarray, low: float, high: float, floor: float) -> float:
    """The sparsest point of the unlabelled scores between low and high (a smoothed histogram)."""
    if high <= low or len(unlabeled) == 0:
        return high
    width = _bandwidth(unlabeled, floor)
    step = width / BINS_PER_BANDWIDTH
    edges = np.arange(low - 4 * width, high + 4 * width + step, step)
    counts, _ = np.histogram(unlabeled, bins=edges)
    offsets = np.arange(-4 * BINS_PER_BANDWIDTH, 4 * BINS_PER_BANDWIDTH + 1)
    kernel = np.exp(-0.5 * (offsets / BINS_PER_BANDWIDTH) ** 2)
    density = np.convolve(counts, kernel, mode="same")
    centres = (edges[:-1] + edges[1:]) / 2
    inside = (centres >= low) & (centres <= high)
    if not inside.any():
        return (low + high) / 2
    candidates = np.flatnonzero(inside)
    # An empty gap is a run of equally empty bins: its middle keeps the widest margin.
    minimal = candidates[density[candidates] <= density[candidates].min() + 1e-9]
    return float(centres[minimal[len(minimal) // 2]])


def _respect_rejections(threshold: float, positives: np.ndarray, rejected: np.ndarray) -> float:
    candidates = [threshold] + [float(r) + REJECTION_MARGIN for r in rejected if r >= threshold]
    best, best_gain = threshold, None
    for candidate in sorted(candidates):
        gain = int(np.sum(positives >= candidate)) - int(np.sum(rejected >= candidate))
        if best_gain is None or gain >= best_gain:
            best, best_gain = candidate, gain
    return best


def calibrate(
    unlabeled: np.ndarray, positives_held_out: np.ndarray, rejected: np.ndarray
) -> Calibration:
    """The threshold and slope for one label (see the module docstring for the rule)."""
    unlabeled = np.asarray(unlabeled, dtype=np.float64)
    positives = np.asarray(positives_held_out, dtype=np.float64)
    rejected = np.asarray(rejected, dtype=np.float64)
    centre, spread = _robust_centre_spread(unlabeled)
    if len(positives):
        threshold = _valley(unlabeled, centre, float(positives.min()), MIN_SPREAD)
    else:
        threshold = centre + BACKGROUND_SPREADS * spread
    threshold = _respect_rejections(threshold, positives, rejected)
    return Calibration(threshold=threshold, slope=SLOPE_SPREADS / spread)


def probability(
    scores: np.ndarray | float, threshold: float | np.ndarray, slope: float | np.ndarray
):
    """The score people see: 0.5 at the threshold, rising with similarity.

    Far below a steep threshold exp() overflows to inf and the score is exactly 0, as it should
    be; the overflow itself is expected, so it is not reported.
    """
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-np.asarray(slope) * (scores - np.asarray(threshold))))
