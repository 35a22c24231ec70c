"""The threshold rule (thresholds.py docstring): valley between background and positives,
standing out from the library without positives, and rejections that move it."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from phototag.core.labels.thresholds import (
    MIN_SPREAD,
    REJECTION_MARGIN,
    _bandwidth,
    calibrate,
    probability,
)


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


def test_across_an_empty_gap_the_threshold_goes_to_its_middle():
    """Background in [0, 0.3], the label's photos in [0.7, 0.8]: the smoothed density is zero
    over the middle of the gap, and the threshold takes the middle of that run (0.5)."""
    rng = np.random.default_rng(4)
    unlabeled = np.concatenate([rng.uniform(0.0, 0.3, 3000), rng.uniform(0.7, 0.8, 300)])
    result = calibrate(unlabeled, np.array([0.72, 0.75, 0.78]), np.array([]))
    assert result.threshold == pytest.approx(0.5, abs=0.005)


def test_an_empty_library_puts_the_threshold_at_the_least_typical_example():
    result = calibrate(np.array([]), np.array([0.8, 0.6, 0.9]), np.array([]))
    assert result.threshold == 0.6
    assert result.slope == pytest.approx(2.0 / MIN_SPREAD)
    nothing = calibrate(np.array([]), np.array([]), np.array([]))
    assert nothing.threshold == pytest.approx(3 * MIN_SPREAD)


def test_a_library_of_one_photo_is_its_own_background():
    result = calibrate(np.array([0.4]), np.array([]), np.array([]))
    assert result.threshold == pytest.approx(0.4 + 3 * MIN_SPREAD)


def test_a_rejection_exactly_at_the_threshold_moves_it_just_above(library_scores):
    background, _ = library_scores
    threshold = calibrate(background, np.array([]), np.array([])).threshold
    moved = calibrate(background, np.array([]), np.array([threshold]))
    assert moved.threshold == threshold + REJECTION_MARGIN


def test_float32_scores_calibrate_to_the_same_bits_as_float64(library_scores):
    background, label = library_scores
    unlabeled = np.concatenate([background, label]).astype(np.float32)
    held_out = np.array([0.69, 0.71, 0.74], dtype=np.float32)
    rejected = np.array([0.5, 0.7], dtype=np.float32)
    as_float32 = calibrate(unlabeled, held_out, rejected)
    as_float64 = calibrate(
        unlabeled.astype(np.float64), held_out.astype(np.float64), rejected.astype(np.float64)
    )
    assert as_float32 == as_float64


def _silverman(values: np.ndarray) -> float:
    q75, q25 = np.percentile(values, [75, 25])
    robust = (q75 - q25) / 1.34
    spread = min(float(np.std(values)), robust) if robust > 0 else float(np.std(values))
    return 0.9 * spread * len(values) ** -0.2


def test_the_bandwidth_is_silvermans_rule_with_the_smaller_spread():
    rng = np.random.default_rng(8)
    heavy_tailed = np.concatenate([rng.normal(0.3, 0.05, 900), np.full(100, 0.9)])
    assert np.percentile(heavy_tailed, 75) - np.percentile(heavy_tailed, 25) < np.std(heavy_tailed)
    assert _bandwidth(heavy_tailed, 1e-6) == pytest.approx(_silverman(heavy_tailed), rel=1e-12)
    assert _bandwidth(heavy_tailed, 1e-6) < 0.9 * np.std(heavy_tailed) * 1000**-0.2
    mostly_tied = np.concatenate([np.full(800, 0.2), rng.normal(0.5, 0.1, 200)])
    assert np.percentile(mostly_tied, 75) == np.percentile(mostly_tied, 25)
    expected = 0.9 * float(np.std(mostly_tied)) * 1000**-0.2
    assert _bandwidth(mostly_tied, 1e-6) == pytest.approx(expected, rel=1e-12)
    assert _bandwidth(np.full(50, 0.3), 0.01) == 0.01
