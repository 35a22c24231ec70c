"""The evaluation harness: datasets, metrics, the embedding cache and the synthetic CI check."""

from __future__ import annotations

import json

import numpy as np
import pytest

from phototag.core.errors import UserError
from phototag.core.evaluation.approaches import available_approaches, select_approaches
from phototag.core.evaluation.dataset import check_shots, load_dataset
from phototag.core.evaluation.episodes import sample_support
from phototag.core.evaluation.harness import evaluate
from phototag.core.evaluation.metrics import average_precision, f1_scores, top1
from phototag.core.evaluation.synthetic import SyntheticSpec, make_synthetic
from tests.photos import write_photo

SMALL = SyntheticSpec(labels=5, photos=250, embed_dim=32, feature_dim=48, seed=3)


@pytest.fixture(scope="module")
def synthetic_report():
    data = make_synthetic(SMALL)
    return evaluate(data, select_approaches(data, None), [2, 8], seeds=2)


def test_every_method_beats_chance_clearly_on_synthetic_clusters(synthetic_report):
    """The CI regression check: a broken head falls to chance here."""
    chance = synthetic_report.chance["map"]
    methods = {row.method for row in synthetic_report.rows}
    assert methods == set(available_approaches(make_synthetic(SMALL)))
    for row in synthetic_report.rows:
        if row.shots == 8:
            assert row.mean["map"] > chance + 0.3, row
            assert row.mean["macro_f1"] > synthetic_report.chance["macro_f1"], row


def test_more_examples_help_mwi(synthetic_report):
    mwi = {row.shots: row.mean["map"] for row in synthetic_report.rows if row.method == "mwi"}
    assert mwi[8] > mwi[2]


def test_continual_protocol_shows_mwi_never_forgets(synthetic_report):
    changes = {r.method: r.old_label_map_change for r in synthetic_report.rows if r.shots == 8}
    assert changes["mwi"] == 0.0
    assert changes["tip"] == 0.0
    assert changes["linear-probe"] != 0.0


def test_synthetic_knobs_do_what_they_say():
    balanced = make_synthetic(SyntheticSpec(imbalance=0.0, co_occurrence=0.0, photos=2000))
    skewed = make_synthetic(SyntheticSpec(imbalance=1.5, co_occurrence=0.5, photos=2000))
    assert balanced.single_label
    assert not skewed.single_label
    counts = skewed.truth.sum(axis=0)
    assert counts[0] > 3 * counts[-1]
    assert balanced.truth.sum(axis=0).min() > 0.5 * balanced.truth.sum(axis=0).max()
    np.testing.assert_allclose(np.linalg.norm(balanced.embeddings, axis=1), 1, rtol=1e-5)
    tight = make_synthetic(SyntheticSpec(spread=0.3, co_occurrence=0.0))
    loose = make_synthetic(SyntheticSpec(spread=3.0, co_occurrence=0.0))

    def same_label_cosine(data):
        rows = np.flatnonzero(data.truth[:, 0])
        return float((data.embeddings[rows] @ data.embeddings[rows].T).mean())

    assert same_label_cosine(tight) > same_label_cosine(loose) + 0.3


def test_support_sets_have_k_examples_per_label_and_vary_with_the_seed():
    data = make_synthetic(SMALL)
    first = sample_support(data.truth, 4, seed=0)
    assert all(len(rows) == 4 for rows in first.chosen.values())
    assert all(data.truth[rows, label].all() for label, rows in first.chosen.items())
    second = sample_support(data.truth, 4, seed=1)
    assert any(not np.array_equal(first.chosen[c], second.chosen[c]) for c in first.chosen)


def test_metrics_on_known_cases():
    assert average_precision(np.array([0.9, 0.8, 0.1]), np.array([True, False, True])) == (
        pytest.approx((1 + 2 / 3) / 2)
    )
    assert np.isnan(average_precision(np.array([0.5]), np.array([False])))
    truth = np.array([[1, 0], [0, 1], [1, 0]], dtype=bool)
    assert top1(np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.4]]), truth) == pytest.approx(1 / 3)
    decided = np.array([[1, 0], [0, 0], [1, 1]], dtype=bool)
    micro, macro = f1_scores(decided, truth)
    assert micro == pytest.approx(2 * 2 / (2 * 2 + 1 + 1))
    assert macro == pytest.approx((1.0 + 0.0) / 2)


def test_dataset_forms_folder_csv_and_json(tmp_path):
    for name in ("red", "blue"):
        for index in range(2):
            write_photo(tmp_path / "tree" / name / f"{index}.png", [name], index)
    folder = load_dataset(tmp_path / "tree")
    assert folder.label_names == ["blue", "red"]
    assert folder.single_label
    csv_file = tmp_path / "tree" / "labels.csv"
    csv_file.write_text("path,labels\nred/0.png,red\nred/1.png,red;blue\nblue/0.png,blue\n")
    table = load_dataset(csv_file)
    assert not table.single_label
    assert table.truth.sum() == 4
    json_file = tmp_path / "tree" / "labels.json"
    json_file.write_text(json.dumps({"red/0.png": ["red"], "blue/1.png": "blue"}))
    assert load_dataset(json_file).truth.tolist() == [[True, False], [False, True]]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "dataset not found"),
        ("path,labels\n", "no labelled photos"),
        ("path,labels\na.png,cat\nb.png,cat\n", "at least 2 labels"),
        ("{not json", "not valid JSON"),
    ],
)
def test_bad_datasets_say_why(tmp_path, content, message):
    target = tmp_path / ("labels.json" if content and content.startswith("{") else "labels.csv")
    if content is not None:
        target.write_text(content)
    with pytest.raises(UserError, match=message):
        load_dataset(target)


def test_too_few_photos_for_the_shots_names_the_label():
    truth = np.array([[1, 0], [1, 0], [1, 0], [0, 1], [0, 1]], dtype=bool)
    check_shots(["cat", "dog"], truth, 1)
    with pytest.raises(UserError, match=r"at least 3 photos per label; too few for: dog \(2\)"):
        check_shots(["cat", "dog"], truth, 2)


class CountingEncoder:
    """The real tiny encoder, counting the photos it is asked to embed."""

    def __init__(self, encoder):
        self._encoder = encoder
        self.embedded = 0

    def __getattr__(self, name):
        return getattr(self._encoder, name)

    def encode_images(self, images):
        self.embedded += len(images)
        return self._encoder.encode_images(images)


def test_photos_are_embedded_once_and_again_only_when_they_change(tmp_path):
    from phototag.core.evaluation.embedding import embed_dataset
    from phototag.core.model.encoder import load_encoder

    for name in ("red", "blue"):
        for index in range(3):
            write_photo(tmp_path / name / f"{index}.png", [name], index)
    (tmp_path / "red" / "bad.png").write_bytes(b"")
    dataset = load_dataset(tmp_path)
    encoder = CountingEncoder(load_encoder("tiny-random"))
    first = embed_dataset(dataset, encoder)
    assert encoder.embedded == 6
    assert [p.name for p, _ in first.unreadable] == ["bad.png"]
    again = embed_dataset(dataset, encoder)
    assert encoder.embedded == 6
    assert np.array_equal(again.data.embeddings, first.data.embeddings)
    assert again.data.features.shape == (6, encoder.feature_dim)
    write_photo(tmp_path / "blue" / "0.png", ["red"], 99)
    changed = embed_dataset(dataset, encoder)
    assert encoder.embedded == 7
    assert not np.array_equal(changed.data.embeddings, first.data.embeddings)
