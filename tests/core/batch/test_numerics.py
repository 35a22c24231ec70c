"""The numerics check every batch node runs before it embeds a photo."""

from __future__ import annotations

import numpy as np
import pytest

from phototag.core.batch.numerics import NumericsDiffer, checked_agreement


def _rows() -> np.ndarray:
    return np.random.default_rng(5).standard_normal((3, 8)).astype(np.float32)


def test_the_same_bits_agree_fully():
    rows = _rows()
    assert (
        checked_agreement({"probe": (rows, rows.copy()), "golden photos": (rows, rows)}, None)
        == 1.0
    )


def test_one_bit_off_is_refused_unless_a_tolerance_accepts_it():
    recorded = _rows()
    measured = recorded.copy()
    measured[1, 2] = np.nextafter(measured[1, 2], np.float32(np.inf))
    checks = {"probe": (recorded, recorded), "golden photos": (recorded, measured)}
    with pytest.raises(NumericsDiffer, match="on the golden photos"):
        checked_agreement(checks, None)
    assert checked_agreement(checks, 0.999) == pytest.approx(1.0)


def test_the_least_agreement_is_the_one_recorded_and_another_shape_is_none():
    recorded = _rows()
    turned = recorded.copy()
    turned[0] = -turned[0]
    checks = {"probe": (recorded, recorded * 1.0001), "golden photos": (recorded, turned)}
    with pytest.raises(
        NumericsDiffer, match=r"least cosine -(1\.0|0\.9)[0-9]+ on the golden photos"
    ):
        checked_agreement(checks, 0.5)
    with pytest.raises(NumericsDiffer, match=r"cosine 0\.0+ on the probe"):
        checked_agreement({"probe": (recorded, recorded[:2])}, 0.0001)
