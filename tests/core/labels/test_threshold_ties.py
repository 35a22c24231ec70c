"""The tie rules of core/labels/thresholds.py at the exact tie: a rejection may raise the threshold
to just above itself; among the candidates the one with the most (held-out positives kept -
rejections let in) wins, and on a tie the higher one, so a rejection always moves the threshold
unless that costs more known positives than it removes. A positive exactly at a candidate is
kept (the decision is score >= threshold)."""

from __future__ import annotations

import numpy as np
import pytest

from phototag.core.labels.thresholds import REJECTION_MARGIN, calibrate


@pytest.fixture(scope="module")
def unlabeled() -> np.ndarray:
    """A background of 2,000 photos and 60 unlabelled photos of the label."""
    rng = np.random.default_rng(0)
    return np.concatenate([rng.normal(0.30, 0.05, 2000), rng.normal(0.72, 0.03, 60)])


HELD_OUT = np.array([0.69, 0.75, 0.78])


def _threshold(unlabeled, held_out, rejected) -> float:
    return calibrate(unlabeled, np.asarray(held_out), np.asarray(rejected)).threshold


def test_one_positive_lost_for_one_rejection_removed_is_a_tie_and_the_threshold_rises(unlabeled):
    """Below: 3 positives kept - 1 rejection let in = 2. Above the rejection: 2 - 0 = 2."""
    rejection = 0.72
    assert _threshold(unlabeled, HELD_OUT, []) < HELD_OUT.min()

    threshold = _threshold(unlabeled, HELD_OUT, [rejection])

    assert threshold == rejection + REJECTION_MARGIN
    assert HELD_OUT[0] < threshold < HELD_OUT[1]


def test_two_positives_lost_for_one_rejection_removed_keeps_the_threshold(unlabeled):
    """Below: 3 - 1 = 2. Above the rejection: 1 - 0 = 1, so the rejection is let in."""
    before = _threshold(unlabeled, HELD_OUT, [])
    assert _threshold(unlabeled, HELD_OUT, [0.76]) == before


def test_two_rejections_removed_for_two_positives_lost_is_a_tie_too(unlabeled):
    """Below: 3 - 2 = 1. Above the first: 2 - 1 = 1. Above the second: 1 - 0 = 1. Three equal
    candidates: the highest wins."""
    threshold = _threshold(unlabeled, HELD_OUT, [0.72, 0.76])
    assert threshold == 0.76 + REJECTION_MARGIN


def test_a_positive_exactly_at_a_candidate_is_kept(unlabeled):
    """The positive at rejection + margin still counts above that candidate (score >= t): 2 - 0
    against 3 - 1 below, a tie, so the threshold rises to exactly that positive's score."""
    rejection = 0.70
    at_candidate = rejection + REJECTION_MARGIN
    held_out = [0.69, at_candidate, 0.78]

    threshold = _threshold(unlabeled, held_out, [rejection])

    assert threshold == at_candidate
