"""MWI's defining properties: incremental updates equal a full re-imprint to the bit, and the
weight is the normalised sum of the normalised examples."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from phototag.core.labels.imprint import Prototype, normalize_rows


def _unit_rows(rng: np.random.Generator, n: int, dims: int = 32) -> np.ndarray:
    return normalize_rows(rng.standard_normal((n, dims))).astype(np.float32)


def test_weight_is_the_normalised_sum_of_examples():
    rng = np.random.default_rng(1)
    examples = _unit_rows(rng, 5)
    weight = Prototype.from_examples(examples).weight()
    expected = examples.astype(np.float64).sum(axis=0)
    np.testing.assert_allclose(weight, expected / np.linalg.norm(expected), atol=1e-6)
    assert np.linalg.norm(weight) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("seed", range(5))
def test_any_history_of_adds_and_removes_equals_a_full_reimprint_bit_for_bit(seed):
    rng = np.random.default_rng(seed)
    pool = _unit_rows(rng, 40)
    current: set[int] = set()
    prototype = Prototype.empty(pool.shape[1])
    for _ in range(200):
        index = int(rng.integers(len(pool)))
        if index in current:
            prototype.remove(pool[index])
            current.discard(index)
        else:
            prototype.add(pool[index])
            current.add(index)
    full = Prototype.from_examples(pool[sorted(current)])
    assert prototype.n_pos == full.n_pos == len(current)
    assert np.array_equal(prototype.pos_sum, full.pos_sum)
    assert np.array_equal(prototype.weight(), full.weight())


def test_order_of_examples_does_not_change_the_bits():
    rng = np.random.default_rng(7)
    examples = _unit_rows(rng, 30)
    forwards = Prototype.from_examples(examples).weight()
    backwards = Prototype.from_examples(examples[::-1]).weight()
    assert np.array_equal(forwards, backwards)


def test_a_label_without_examples_or_prompt_has_no_weight():
    assert Prototype.empty(8).weight() is None


def test_the_text_prior_fades_as_examples_arrive():
    rng = np.random.default_rng(3)
    prior = _unit_rows(rng, 1)[0]
    centre = _unit_rows(rng, 1)[0]
    prototype = Prototype.empty(len(prior), prior=prior)
    assert np.allclose(prototype.weight(), prior, atol=1e-6)
    agreement = []
    for _ in range(8):
        example = normalize_rows(centre + 0.1 * rng.standard_normal(len(centre)))
        prototype.add(example.astype(np.float32))
        agreement.append(float(prototype.weight() @ prior))
    assert all(later < earlier for earlier, later in itertools.pairwise(agreement))


def test_leave_one_out_scores_match_reimprinting_without_each_example():
    rng = np.random.default_rng(11)
    examples = _unit_rows(rng, 6)
    prototype = Prototype.from_examples(examples)
    held_out = prototype.leave_one_out_scores(examples)
    for index, example in enumerate(examples):
        others = np.delete(examples, index, axis=0)
        expected = float(Prototype.from_examples(others).weight() @ example)
        assert held_out[index] == pytest.approx(expected, abs=1e-6)


def test_a_single_example_gives_no_held_out_evidence():
    example = _unit_rows(np.random.default_rng(0), 1)
    assert len(Prototype.from_examples(example).leave_one_out_scores(example)) == 0


def test_strength_counts_how_many_examples_agree():
    example = normalize_rows(np.arange(1.0, 9.0))
    assert Prototype.from_examples(np.tile(example, (5, 1))).strength() == pytest.approx(5.0)
    with_prompt = Prototype.from_examples(np.tile(example, (5, 1)), prior=example)
    assert with_prompt.strength() == pytest.approx(6.0)
    opposite = Prototype.from_examples(np.vstack([example, -example]))
    assert opposite.strength() == pytest.approx(0.0)


def test_updates_stay_exact_beyond_what_a_float_sum_holds():
    """2**53 / 2**40 = 8192: past that many agreeing examples a float64 sum starts rounding, the
    fixed-point integer sum does not."""
    example = normalize_rows(np.array([0.3, 0.7, 0.1, 0.5]))
    prototype = Prototype.empty(4)
    for _ in range(9000):
        prototype.add(example)
    for _ in range(8999):
        prototype.remove(example)
    assert np.array_equal(prototype.pos_sum, Prototype.from_examples(example[None]).pos_sum)
    assert prototype.pos_sum.dtype == np.int64


def test_one_example_with_a_prompt_is_held_out_against_the_prompt_alone():
    rng = np.random.default_rng(5)
    prior, example = _unit_rows(rng, 2)
    held_out = Prototype.from_examples(example[None], prior=prior).leave_one_out_scores(
        example[None]
    )
    assert held_out.dtype == np.float32
    np.testing.assert_allclose(held_out, [float(prior @ example)], atol=1e-6)
    assert Prototype.from_examples(example[None]).leave_one_out_scores(example[None]).size == 0
    empty = Prototype.empty(len(prior), prior=prior).leave_one_out_scores(np.empty((0, 32)))
    assert empty.dtype == np.float32
    assert empty.size == 0
