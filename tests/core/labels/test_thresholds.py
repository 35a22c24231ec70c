"""The threshold rule (thresholds.py docstring): valley between background and positives,
standing out from the library without positives, and rejections that move it."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from phototag.core.labels.thresholds import calibrate, probability


@pytest.fixture
def library_scores() -> tuple[np.ndarray, np.ndarray]:
    """A background of 2,000 photos and 60 unlabelled photos of the label."""
    rng = np.random.default_rng(0)
    background = rng.normal(0.30, 0.05, 2000)
    label = rng.normal(0.72, 0.03, 60)
    return background, label


def test_threshold_falls_in_the_valley_between_background_and_label(library_scores):
    background, label = library_scores
    held_out = np.array([0.69, 0.71, 0.74])
    result = calibrate(np.concatenate([background, label]), held_out, np.array([]))
    assert background.max() < result.threshold < label.min()


def test_without_positive_evidence_a_photo_must_stand_out_from_the_library(library_scores):
    background, _ = library_scores
    result = calibrate(background, np.array([]), np.array([]))
    median = np.median(background)
    spread = 1.4826 * np.median(np.abs(background - median))
    assert result.threshold == pytest.approx(median + 3 * spread)


def test_a_rejection_above_the_threshold_raises_it(library_scores):
    background, label = library_scores
    unlabeled = np.concatenate([background, label])
    held_out = np.array([0.69, 0.71, 0.74])
    before = calibrate(unlabeled, held_out, np.array([])).threshold
    rejected = np.array([before + 0.02])
    after = calibrate(unlabeled, held_out, rejected).threshold
    assert after > rejected[0]


def test_a_rejection_below_the_threshold_changes_nothing(library_scores):
    background, label = library_scores
    unlabeled = np.concatenate([background, label])
    held_out = np.array([0.69, 0.71, 0.74])
    before = calibrate(unlabeled, held_out, np.array([])).threshold
    assert calibrate(unlabeled, held_out, np.array([0.2])).threshold == before


def test_one_odd_rejection_does_not_switch_a_label_off(library_scores):
    background, label = library_scores
    unlabeled = np.concatenate([background, label])
    held_out = np.array([0.69, 0.71, 0.74])
    result = calibrate(unlabeled, held_out, np.array([0.95]))
    assert result.threshold < held_out.min()


def test_probability_far_below_a_steep_threshold_is_zero_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert probability(np.array([0.0]), 0.9, 2000.0)[0] == 0.0
        assert probability(np.array([0.5]), np.inf, 1.0)[0] == 0.0


def test_probability_is_one_half_at_the_threshold_and_rises_with_the_score():
    scores = np.array([0.1, 0.5, 0.9])
    values = probability(scores, 0.5, 10.0)
    assert values[1] == pytest.approx(0.5)
    assert values[0] < values[1] < values[2]
