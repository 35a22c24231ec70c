"""Accuracy measures, computed per episode on the photos the user did not tag.

top-1 (single-label datasets): the best-scoring label is the true one; the scores of different
labels are compared raw, as every few-shot paper does. mAP: average precision per label, mean
over labels; it ranks and needs no threshold. F1 uses the product's real decision rule: each
label's threshold comes from core/thresholds.calibrate, fed with that head's own held-out scores
and the scores of the photos not tagged with the label (unknown, as in the library).
"""

from __future__ import annotations

import numpy as np

from phototag.core.labels.thresholds import calibrate


def average_precision(scores: np.ndarray, relevant: np.ndarray) -> float:
    """NaN when nothing is relevant (the label has no photo left to find)."""
    if not relevant.any():
        return float("nan")
    hits = relevant[np.argsort(-scores, kind="stable")]
    ranks = np.arange(1, len(hits) + 1)
    return float((np.cumsum(hits)[hits] / ranks[hits]).mean())


def mean_average_precision(scores: np.ndarray, truth: np.ndarray) -> float:
    values = [average_precision(scores[:, c], truth[:, c]) for c in range(truth.shape[1])]
    return float(np.nanmean(values)) if not np.isnan(values).all() else float("nan")


def top1(scores: np.ndarray, truth: np.ndarray) -> float:
    return float((truth[np.arange(len(truth)), scores.argmax(axis=1)]).mean())


def thresholds(all_scores: np.ndarray, heads: list, tagged: list[np.ndarray]) -> np.ndarray:
    """Each label's calibrated threshold (scores over every photo, heads and tagged rows in
    label order)."""
    result = np.empty(len(heads))
    for column, (head, rows) in enumerate(zip(heads, tagged, strict=True)):
        unknown = np.ones(len(all_scores), dtype=bool)
        unknown[rows] = False
        calibration = calibrate(all_scores[unknown, column], head.held_out_scores(), np.empty(0))
        result[column] = calibration.threshold
    return result


def f1_scores(decided: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """(micro F1 over every photo-label pair, macro F1 over labels with a photo to find)."""
    true_pos = (decided & truth).sum(axis=0)
    false_pos = (decided & ~truth).sum(axis=0)
    false_neg = (~decided & truth).sum(axis=0)
    micro = 2 * true_pos.sum() / max(2 * true_pos.sum() + false_pos.sum() + false_neg.sum(), 1)
    present = truth.any(axis=0)
    per_label = 2 * true_pos / np.maximum(2 * true_pos + false_pos + false_neg, 1)
    return float(micro), float(per_label[present].mean())


def chance_levels(truth: np.ndarray) -> dict[str, float]:
    """A random ranking's mAP (the prevalence), a uniform guess's top-1, and the F1 of calling
    every photo positive for every label: the floor every method must clear."""
    prevalence = truth.mean(axis=0)
    overall = truth.mean()
    return {
        "top1": 1.0 / truth.shape[1],
        "map": float(prevalence.mean()),
        "micro_f1": float(2 * overall / (1 + overall)),
        "macro_f1": float((2 * prevalence / (1 + prevalence)).mean()),
    }
