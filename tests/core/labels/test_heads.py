"""Each head's defining property, through the one interface the library and the eval use."""

from __future__ import annotations

import numpy as np
import pytest

from phototag.core.labels.heads import DEFAULT_METHOD, METHODS, Examples, get_method
from phototag.core.labels.heads.finetune import FineTune, balanced_weights
from phototag.core.labels.heads.llu import LLU, MARGIN, Adapter, _unit
from phototag.core.labels.heads.mwi import MWI, ImprintHead
from phototag.core.labels.heads.tip_adapter import TipAdapter
from phototag.core.labels.heads.zero_shot import ZeroShot
from phototag.core.labels.imprint import Prototype, normalize_rows

DIMS = 32


def unit(rows) -> np.ndarray:
    return normalize_rows(np.asarray(rows, dtype=np.float64)).astype(np.float32)


def cluster(rng, centre, count, spread=0.3) -> np.ndarray:
    return unit(centre + spread * rng.normal(size=(count, DIMS)) / np.sqrt(DIMS))


@pytest.fixture
def world():
    """Three labels with separate clusters and a library of photos around them."""
    rng = np.random.default_rng(7)
    centres = unit(rng.normal(size=(3, DIMS)))
    examples = [cluster(rng, c, 6) for c in centres]
    library = np.vstack([cluster(rng, c, 40) for c in centres])
    return centres, examples, library


def examples_for(label, examples, **extra) -> Examples:
    others = [e for i, e in enumerate(examples) if i != label]
    return Examples(
        positives=examples[label],
        rejections=np.empty((0, DIMS), np.float32),
        others=np.vstack(others) if others else None,
        **extra,
    )


def test_every_method_is_registered_and_mwi_is_the_default():
    assert DEFAULT_METHOD == "mwi"
    assert set(METHODS) == {"mwi", "multiproxy", "finetune", "tip", "linear-probe", "llu"}
    assert get_method("mwi").name == "mwi"


@pytest.mark.parametrize("name", sorted(METHODS))
def test_every_head_ranks_its_own_cluster_first_and_has_honest_held_out_scores(name, world):
    _, examples, library = world
    head = get_method(name).fit(examples_for(0, examples))
    scores = head.scores(library)
    assert scores.dtype == np.float32
    assert scores.shape == (len(library),)
    assert scores[:40].mean() > scores[40:].mean() + 0.1
    held_out = head.held_out_scores()
    assert held_out.shape == (len(examples[0]),)
    assert np.isfinite(held_out).all()
    # A photo the head never saw scores lower than the photos it was taught.
    assert held_out.mean() < head.scores(examples[0]).mean()


@pytest.mark.parametrize("name", sorted(METHODS))
def test_a_label_with_nothing_to_go_on_scores_zero(name, world):
    _, _, library = world
    empty = Examples(np.empty((0, DIMS), np.float32), np.empty((0, DIMS), np.float32))
    head = get_method(name).fit(empty)
    assert (head.scores(library) == 0).all()
    assert len(head.held_out_scores()) == 0


@pytest.mark.parametrize("name", sorted(n for n, m in METHODS.items() if not m.uses_others))
def test_independent_heads_do_not_move_when_another_label_arrives(name, world):
    """Continual learning: a new label adds negatives for one-vs-rest methods, nothing else."""
    _, examples, library = world
    method = get_method(name)
    before = method.fit(examples_for(0, examples[:2])).scores(library)
    after = method.fit(examples_for(0, examples)).scores(library)
    assert np.array_equal(before, after)


@pytest.mark.parametrize("name", sorted(n for n, m in METHODS.items() if m.uses_others))
def test_methods_that_use_other_labels_say_so_because_they_move(name, world):
    _, examples, library = world
    method = get_method(name)
    before = method.fit(examples_for(0, examples[:2])).scores(library)
    after = method.fit(examples_for(0, examples)).scores(library)
    assert not np.allclose(before, after)


def test_mwi_head_is_the_librarys_exact_imprint(world):
    _, examples, library = world
    prior = unit(np.ones((1, DIMS)))[0]
    head = MWI().fit(examples_for(0, examples, prior=prior))
    prototype = Prototype.from_examples(examples[0], prior)
    assert np.array_equal(head.scores(library), library @ prototype.weight())
    assert np.array_equal(head.held_out_scores(), prototype.leave_one_out_scores(examples[0]))


def test_mwi_scores_of_a_label_are_identical_whatever_other_heads_exist(world):
    _, examples, library = world
    alone = MWI().fit(examples_for(0, examples[:1])).scores(library)
    heads = [MWI().fit(examples_for(label, examples)) for label in range(3)]
    assert np.array_equal(heads[0].scores(library), alone)


def test_tip_adapter_with_alpha_zero_is_exactly_zero_shot(world):
    centres, examples, library = world
    prior = centres[0]
    taught = examples_for(0, examples, prior=prior)
    tip = TipAdapter(alpha=0.0).fit(taught).scores(library)
    assert np.array_equal(tip, ZeroShot().fit(taught).scores(library))
    without_prompt = TipAdapter(alpha=0.0).fit(examples_for(0, examples)).scores(library)
    assert np.array_equal(without_prompt, MWI().fit(examples_for(0, examples)).scores(library))


def test_tip_adapter_cache_lifts_near_examples_and_lowers_near_rejections(world):
    centres, examples, _library = world
    rng = np.random.default_rng(1)
    rejected = cluster(rng, centres[1], 3, spread=0.1)
    taught = Examples(examples[0], rejected, prior=centres[0])
    base = TipAdapter(alpha=0.0).fit(taught)
    tip = TipAdapter(alpha=1.0).fit(taught)
    near_example = examples[0][:1]
    assert tip.scores(near_example)[0] > base.scores(near_example)[0]
    assert tip.scores(rejected)[0] < base.scores(rejected)[0]


def test_llu_far_from_every_example_scores_exactly_as_mwi(world):
    _centres, examples, library = world
    taught = examples_for(0, examples)
    llu = LLU().fit(taught)
    mwi = MWI().fit(taught).scores(library)
    adapted = llu.scores(library)
    far = llu.adapter.gate(library) == 0
    near = ~far
    assert far.sum() >= 80
    assert near.sum() >= 10
    assert np.array_equal(adapted[far], mwi[far])
    # Near its examples the adapter does act, and it lifts the label's own photos.
    assert not np.allclose(adapted[near], mwi[near])
    assert adapted[:40][near[:40]].mean() > mwi[:40][near[:40]].mean()


def test_llu_gate_is_cut_at_its_radius():
    llu = LLU(gamma=10.0)
    centre = unit(np.eye(DIMS)[:1])
    head = llu.fit(Examples(centre, np.empty((0, DIMS), np.float32)))
    angles = np.linspace(0, np.pi / 2, 50)
    photos = unit(np.stack([np.cos(angles), np.sin(angles)] + [np.zeros(50)] * (DIMS - 2), 1))
    gate = head.adapter.gate(photos)
    distance = 1 - photos @ centre[0]
    assert (gate[distance > 0.3 + 1e-6] == 0).all()
    assert (gate[distance <= 0.3 - 1e-6] > 0).all()


def test_multiproxy_covers_a_label_with_two_looks_better_than_one_mean():
    rng = np.random.default_rng(3)
    looks = unit(rng.normal(size=(2, DIMS)))
    positives = np.vstack([cluster(rng, look, 8, spread=0.2) for look in looks])
    between = unit(looks.sum(axis=0, keepdims=True) + 0.0)
    new_photos = np.vstack([cluster(rng, look, 20, spread=0.2) for look in looks])
    taught = Examples(positives, np.empty((0, DIMS), np.float32))
    proxy = get_method("multiproxy").fit(taught)
    mwi = MWI().fit(taught)
    # Against the midpoint between the looks (a photo of neither), proxies keep the gap wider.
    gap_proxy = proxy.scores(new_photos).mean() - proxy.scores(between)[0]
    gap_mwi = mwi.scores(new_photos).mean() - mwi.scores(between)[0]
    assert gap_proxy > gap_mwi


def test_finetune_stays_near_the_imprint_and_widens_the_margin_to_negatives(world):
    _, examples, _ = world
    taught = examples_for(0, examples)
    tuned = get_method("finetune").fit(taught)
    imprint = MWI().fit(taught)
    assert float(tuned.weight @ imprint.weight) > 0.9
    negatives = np.vstack(examples[1:])

    def margin(head):
        return head.scores(examples[0]).min() - head.scores(negatives).max()

    assert margin(tuned) > margin(imprint)


def test_finetune_is_held_nearer_the_imprint_the_stronger_its_regularisation(world):
    """The penalty lambda * ||w - w_imprint||^2 pulls towards the imprint: a sign error there
    would push the weight away instead, and the default steps are too few for the 0.9 above
    to notice."""
    _, examples, _ = world
    taught = examples_for(0, examples)
    imprint = MWI().fit(taught).weight
    near = [float(FineTune(regularization=r).fit(taught).weight @ imprint) for r in (0, 1, 100)]
    assert near[0] < near[1] < near[2]
    assert near[2] > 0.9999


def test_finetune_separates_a_label_from_its_negatives_better_than_the_imprint(world):
    """Its whole point (BCE against the other labels' examples), on the mean scores rather than
    the extremes; the tuned weight stays a unit vector, so its scores stay cosines."""
    _, examples, _ = world
    negatives = np.vstack(examples[1:])
    for count in (1, 6):
        taught = examples_for(0, [examples[0][:count], *examples[1:]])
        tuned, imprint = FineTune().fit(taught), MWI().fit(taught)

        def gap(head):
            return head.scores(examples[0]).mean() - head.scores(negatives).mean()

        assert gap(tuned) > gap(imprint) + 0.01, count
        assert abs(float(np.linalg.norm(tuned.weight)) - 1.0) < 1e-6


@pytest.mark.parametrize("name", ["finetune", "multiproxy"])
def test_a_prompted_label_without_examples_is_its_prompt_and_holds_nothing_out(name, world):
    centres, _, library = world
    prompted = Examples(
        np.empty((0, DIMS), np.float32), np.empty((0, DIMS), np.float32), prior=centres[0]
    )
    head = get_method(name).fit(prompted)
    np.testing.assert_allclose(
        head.scores(library), ZeroShot().fit(prompted).scores(library), atol=1e-6
    )
    assert len(head.held_out_scores()) == 0
    restored = head.restore(head.parameters(), get_method(name), prompted)
    assert np.array_equal(restored.scores(library), head.scores(library))


def test_linear_probe_without_negatives_is_the_imprint(world):
    _, examples, library = world
    alone = Examples(examples[0], np.empty((0, DIMS), np.float32))
    probe = get_method("linear-probe").fit(alone)
    assert np.array_equal(probe.scores(library), MWI().fit(alone).scores(library))


@pytest.mark.parametrize("name", sorted(METHODS))
def test_a_method_built_with_its_defaults_is_the_registered_one(name, world):
    """A label stores its method's name; whoever builds the method afresh must get the heads the
    registry gives, to the bit (the registry holds default instances)."""
    _, examples, library = world
    registered = get_method(name)
    fresh = type(registered)()
    wanted = examples_for(0, examples)
    ours, theirs = fresh.fit(wanted), registered.fit(wanted)
    assert np.array_equal(ours.scores(library), theirs.scores(library))
    assert np.array_equal(ours.held_out_scores(), theirs.held_out_scores())


@pytest.mark.parametrize("name", sorted(METHODS))
def test_every_head_scores_in_float32_even_for_float64_photos(name, world):
    _, examples, library = world
    head = get_method(name).fit(examples_for(0, examples))
    scores = head.scores(library.astype(np.float64))
    assert scores.dtype == np.float32
    assert head.held_out_scores().dtype == np.float32
    np.testing.assert_allclose(scores, head.scores(library), atol=1e-5)


@pytest.mark.parametrize("name", ["multiproxy", "tip"])
def test_a_label_taught_only_by_its_prompt_scores_the_cosine_to_the_prompt(name, world):
    centres, _, library = world
    prompt = centres[1]
    taught = Examples(
        positives=np.empty((0, DIMS), np.float32),
        rejections=np.empty((0, DIMS), np.float32),
        prior=prompt,
    )
    head = get_method(name).fit(taught)
    np.testing.assert_allclose(head.scores(library), library @ prompt, atol=1e-6)


def test_tip_adds_the_mean_of_the_cache_to_the_base_score(world):
    """score(x) = base(x) + alpha * mean_k exp(-beta * (1 - x . k)) * v_k (tip_adapter.py)."""
    centres, examples, library = world
    rejected = examples[1][:2]
    taught = Examples(positives=examples[0][:3], rejections=rejected, prior=centres[0])
    tip = TipAdapter(alpha=0.7, beta=4.0)
    keys = np.vstack([examples[0][:3], rejected]).astype(np.float64)
    values = np.array([1.0, 1.0, 1.0, -1.0, -1.0])
    photos = library.astype(np.float64)
    cache = (np.exp(-4.0 * (1.0 - photos @ keys.T)) * values).mean(axis=1)
    expected = photos @ centres[0] + 0.7 * cache
    np.testing.assert_allclose(tip.fit(taught).scores(library), expected, atol=1e-5)


def test_tip_with_one_example_still_adds_its_cache(world):
    centres, examples, library = world
    taught = Examples(
        positives=examples[0][:1], rejections=np.empty((0, DIMS), np.float32), prior=centres[0]
    )
    scores = TipAdapter(alpha=1.0, beta=5.0).fit(taught).scores(library)
    cache = np.exp(-5.0 * (1.0 - library.astype(np.float64) @ examples[0][0]))
    np.testing.assert_allclose(scores, library @ centres[0] + cache, atol=1e-5)


@pytest.mark.parametrize(("positives", "negatives"), [(3, 7), (5, 1), (4, 0)])
def test_finetune_puts_half_the_weight_on_each_side(positives, negatives):
    weights = balanced_weights(positives, negatives)
    assert len(weights) == positives + negatives
    assert weights.sum() == pytest.approx(1.0)
    assert np.all(weights[:positives] == weights[0])
    on_positives = 1.0 if negatives == 0 else 0.5
    assert weights[:positives].sum() == pytest.approx(on_positives)


@pytest.mark.parametrize("with_prompt", [False, True])
def test_an_mwi_head_restored_from_its_parameters_is_the_fitted_one(with_prompt, world):
    centres, examples, library = world
    taught = examples_for(0, examples, prior=centres[0] if with_prompt else None)
    fitted = MWI().fit(taught)
    restored = type(fitted).restore(fitted.parameters(), MWI(), taught)
    assert np.array_equal(restored.scores(library), fitted.scores(library))
    assert np.array_equal(restored.held_out_scores(), fitted.held_out_scores())


def test_an_imprint_head_without_an_example_or_a_prompt_is_refused():
    with pytest.raises(ValueError, match="needs an example or a prompt"):
        ImprintHead(Prototype.empty(DIMS), np.empty((0, DIMS), np.float32))


def test_llu_gradient_pulls_examples_up_and_pushes_only_rejections_above_the_bar():
    """The hinge keeps each rejection below the lowest example by MARGIN: one exactly at that
    bar, or below it, gets no push."""
    scores = np.array([0.8, 0.6, 0.55, 0.5, 0.4])
    grad = Adapter._loss_gradient(scores, positives=2)
    assert 0.6 - MARGIN == 0.5
    np.testing.assert_array_equal(grad, [-0.5, -0.5, 1 / 3, 0.0, 0.0])


def test_llu_unit_rows_leave_a_zero_row_at_zero():
    rows, norms = _unit(np.array([[0.0, 0.0, 0.0], [3.0, 4.0, 0.0]]))
    np.testing.assert_array_equal(rows, [[0.0, 0.0, 0.0], [0.6, 0.8, 0.0]])
    np.testing.assert_array_equal(norms, [[1.0], [5.0]])


def test_llu_gate_and_adapted_score_follow_the_stated_formulas():
    """w(x) = g * exp(-gamma * d(x)) and x' = normalize(w * normalize(A x + b) + (1 - w) x),
    score = cos(x', t) (llu.py's docstring)."""
    rng = np.random.default_rng(2)
    target, centre = unit(rng.normal(size=(2, DIMS)))
    photos = unit(centre + 0.2 * rng.normal(size=(5, DIMS)) / np.sqrt(DIMS)).astype(np.float64)
    adapter = Adapter(target, centre[None], gain=0.6, gamma=10.0)
    adapter.matrix = np.eye(DIMS) + 0.1 * rng.normal(size=(DIMS, DIMS))
    adapter.offset = 0.05 * rng.normal(size=DIMS)
    distance = 1.0 - photos @ centre.astype(np.float64)
    assert np.all(distance <= adapter.radius)
    gate = adapter.gate(photos.astype(np.float32))
    np.testing.assert_allclose(gate, 0.6 * np.exp(-10.0 * distance), rtol=1e-5)
    mapped = photos @ adapter.matrix.T + adapter.offset
    mapped /= np.linalg.norm(mapped, axis=1, keepdims=True)
    blended = gate[:, None] * mapped + (1.0 - gate[:, None]) * photos
    blended /= np.linalg.norm(blended, axis=1, keepdims=True)
    np.testing.assert_allclose(
        adapter.adapted_scores(photos, gate), blended @ target, rtol=1e-5, atol=1e-6
    )
    assert Adapter(target, np.empty((0, DIMS)), 0.6, 10.0).gate(photos).tolist() == [0.0] * 5


def test_a_linear_probe_scores_its_coefficients_plus_its_intercept(world):
    _, examples, library = world
    taught = Examples(positives=examples[0], rejections=examples[1])
    head = get_method("linear-probe").fit(taught)
    kept = head.parameters()
    expected = library.astype(np.float64) @ kept["coef"] + float(kept["intercept"])
    assert float(kept["intercept"]) != 0.0
    np.testing.assert_allclose(head.scores(library), expected, atol=1e-5)


def test_a_linear_probe_from_one_example_is_fitted(world):
    _, examples, library = world
    taught = Examples(positives=examples[0][:1], rejections=examples[1][:3])
    scores = get_method("linear-probe").fit(taught).scores(library)
    assert scores[:40].mean() > scores[40:].mean()
