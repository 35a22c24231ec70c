"""The command line contract, end to end, with generated photos and the tiny model."""

from __future__ import annotations

import csv
import io
import json
import shutil

import pytest

from tests.e2e.conftest import run_process
from tests.photos import write_photo
from tests.privacy import DENY_NETWORK, NETWORK_ATTEMPT

PAIRS = {"red": "red+green", "green": "red+green", "blue": "blue+yellow", "yellow": "blue+yellow"}


def _predictions(phototag) -> dict[str, dict]:
    result = phototag("predict", "--json")
    assert result.code == 0, result.err
    records = [json.loads(line) for line in result.out.splitlines()]
    return {r["path"]: r["labels"] for r in records}


def _precision_recall(labels, truth, held_out, name):
    predicted = [p for p in held_out if name in labels[p]]
    actual = [p for p in held_out if name in truth[p]]
    hits = len(set(predicted) & set(actual))
    return hits / max(len(predicted), 1), hits / len(actual)


def test_three_examples_per_label_tag_the_library_and_a_rejection_generalises(phototag, photo_set):
    _, made = photo_set
    examples = {name: made[name][:2] + made[PAIRS[name]][:1] for name in PAIRS}
    for name, paths in examples.items():
        result = phototag("tag", name, *paths)
        assert result.code == 0, result.err
        assert "meaningless" in result.err
    truth = {str(p): set(key.split("+")) for key, paths in made.items() for p in paths}
    given = {str(p) for paths in examples.values() for p in paths}
    held_out = [p for p in truth if p not in given]

    labels = _predictions(phototag)
    for name in PAIRS:
        precision, recall = _precision_recall(labels, truth, held_out, name)
        prevalence = sum(name in truth[p] for p in held_out) / len(held_out)
        assert recall >= 0.9, name
        assert precision >= 1.5 * prevalence, (name, precision, prevalence)
    two_label = [p for p in held_out if len(truth[p]) == 2]
    both = sum(truth[p] <= set(labels[p]) for p in two_label)
    assert both >= 0.75 * len(two_label)
    for path in given:
        for name in truth[path] & set(PAIRS):
            if path in map(str, examples[name]):
                assert labels[path][name]["confirmed"] is True

    wrong_yellow = [p for p in held_out if "yellow" in labels[p] and "yellow" not in truth[p]]
    if wrong_yellow:
        before = len(wrong_yellow)
        assert phototag("reject", "yellow", wrong_yellow[0]).code == 0
        labels = _predictions(phototag)
        after = [p for p in held_out if "yellow" in labels.get(p, {}) and "yellow" not in truth[p]]
        assert wrong_yellow[0] not in after
        assert len(after) < before - 1, "one rejection should correct similar photos too"


def test_predict_for_one_label_and_the_label_list(phototag, photo_set):
    _, made = photo_set
    phototag("tag", "red", *made["red"][:3])
    result = phototag("predict", "--label", "red", "--json")
    records = [json.loads(line) for line in result.out.splitlines()]
    assert records
    assert all(set(r["labels"]) == {"red"} for r in records)
    assert {str(p) for p in made["red"]} <= {r["path"] for r in records}
    listed = [json.loads(line) for line in phototag("labels", "list", "--json").out.splitlines()]
    assert listed[0]["name"] == "red"
    assert listed[0]["confirmed"] == 3


def test_labels_add_rename_remove(phototag, photo_set):
    _, made = photo_set
    assert phototag("labels", "add", "Rex").code == 0
    assert phototag("tag", "rex", made["blue"][0]).code == 0
    assert phototag("labels", "rename", "Rex", "Rexie").code == 0
    names = [
        json.loads(line)["name"] for line in phototag("labels", "list", "--json").out.splitlines()
    ]
    assert names == ["Rexie"]
    assert phototag("labels", "remove", "Rexie").code == 0
    assert phototag("labels", "list").out == ""


def test_status_json_lists_folders_photos_and_model(phototag, photo_set):
    root, made = photo_set
    status = json.loads(phototag("status", "--json").out)
    total = sum(len(paths) for paths in made.values())
    assert status["photos"] == status["embedded"] == total
    assert status["model"]["name"] == "tiny-random"
    assert status["model"]["meaningless"] is True
    assert status["folders"][0]["path"] == str(root)
    assert status["unreadable"] == []


def test_export_csv_and_json_agree_with_predict(phototag, photo_set, tmp_path):
    _, made = photo_set
    phototag("tag", "red", *made["red"][:3])
    predicted = _predictions(phototag)
    assert phototag("export", "--format", "json", tmp_path / "tags.json").code == 0
    exported = {r["path"]: r["labels"] for r in json.loads((tmp_path / "tags.json").read_text())}
    assert exported == predicted
    rows = list(csv.DictReader(io.StringIO(phototag("export", "--format", "csv").out)))
    assert {(r["path"], r["label"]) for r in rows} == {
        (path, name) for path, labels in predicted.items() for name in labels
    }
    assert {r["confirmed"] for r in rows} == {"true", "false"}


def test_folders_add_list_remove(phototag, tmp_path):
    other = tmp_path / "more photos"
    write_photo(other / "x.jpg", ["red"], seed=1)
    assert phototag("folders", "add", other).code == 0
    listed = phototag("folders", "list").out
    assert str(other) in listed
    assert phototag("folders", "remove", other).code == 0
    assert str(other) not in phototag("folders", "list").out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["untag", "nosuchlabel", "x.jpg"], "no label named"),
        (["labels", "add", "a/b"], "reserved"),
        (["folders", "add", "/no/such/folder"], "not a folder"),
        (["nosuchcommand"], "No such command"),
        (["tag", "red"], "Missing argument"),
        (["export", "--format", "xmp", "out.xmp"], "leave out OUT"),
        (["labels", "threshold", "red", "high"], "must be a number"),
        (["scan", "--model", "nosuchmodel"], "unknown model"),
    ],
)
def test_user_errors_exit_1_with_one_line_and_no_traceback(phototag, args, message):
    result = phototag(*args)
    assert result.code == 1
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert "Traceback" not in result.err


def test_tagging_a_path_not_in_the_library_exits_1_after_tagging_the_rest(phototag, photo_set):
    _, made = photo_set
    result = phototag("tag", "red", made["red"][0], "/no/such/photo.jpg")
    assert result.code == 1
    assert "1 photos confirmed" in result.out
    assert "not a photo in the library: /no/such/photo.jpg" in result.err


def test_commands_on_a_new_library_explain_what_to_do(phototag, tmp_path):
    empty = tmp_path / "new"
    result = phototag("scan", library=empty)
    assert result.code == 1
    assert "phototag folders add" in result.err
    result = phototag("tag", "red", "x.jpg", library=empty)
    assert result.code == 1
    assert "phototag scan" in result.err
    assert phototag("predict", library=empty).out == ""


def test_missing_weights_offline_exit_2_naming_both_fixes(tmp_path):
    photos = tmp_path / "photos"
    write_photo(photos / "a.jpg", ["red"], seed=1)
    library = str(tmp_path / "lib")
    assert run_process("--library", library, "folders", "add", str(photos)).code == 0
    result = run_process("--library", library, "scan", "--model", "ViT-B-32")
    assert result.code == 2
    assert "phototag model download" in result.err
    assert "--weights" in result.err
    assert "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_scan_tag_reject_predict_export_status_never_touch_the_network(tmp_path, photo_set):
    photos = tmp_path / "photos"
    for index in range(3):
        write_photo(photos / f"r{index}.jpg", ["red"], seed=index)
        write_photo(photos / f"b{index}.jpg", ["blue"], seed=50 + index)
    library = ["--library", str(tmp_path / "lib")]
    commands = [
        ["folders", "add", str(photos)],
        ["scan", "--model", "tiny-random"],
        ["tag", "red", str(photos / "r0.jpg"), str(photos / "r1.jpg")],
        ["reject", "red", str(photos / "b0.jpg")],
        ["labels", "add", "sky", "--prompt", "a photo of {}"],
        ["predict", "--json"],
        ["export", "--format", "csv", str(tmp_path / "out.csv")],
        ["status", "--json"],
        ["model", "list"],
    ]
    for command in commands:
        result = run_process(*library, *command, prelude=DENY_NETWORK)
        assert NETWORK_ATTEMPT not in result.err, (command, result.err)
        assert result.code == 0, (command, result.err)


def test_no_progress_bar_when_piped(tmp_path):
    photos = tmp_path / "photos"
    write_photo(photos / "a.jpg", ["red"], seed=1)
    library = ["--library", str(tmp_path / "lib")]
    run_process(*library, "folders", "add", str(photos))
    result = run_process(*library, "scan", "--model", "tiny-random")
    assert result.code == 0
    assert "photo/s" not in result.err
    assert "\r" not in result.err
    assert result.out.startswith("1 files: 1 embedded")


def test_scan_with_a_local_weights_file_and_reuse_it_later(phototag, tmp_path):
    from phototag.core.model.encoder import load_encoder

    weights = tmp_path / "downloaded elsewhere.safetensors"
    shutil.copy(load_encoder("tiny-random").weights_path, weights)
    photos = tmp_path / "photos"
    write_photo(photos / "a.jpg", ["red"], seed=1)
    library = tmp_path / "lib"
    phototag("folders", "add", photos, library=library)

    result = phototag("scan", "--model", "tiny-random", "--weights", weights, library=library)
    assert result.code == 0, result.err
    status = json.loads(phototag("status", "--json", library=library).out)
    assert status["model"]["key"].startswith("tiny-random/file:")
    write_photo(photos / "b.jpg", ["blue"], seed=2)
    assert phototag("scan", library=library).out.startswith("2 files: 1 embedded, 0 moved")

    result = phototag("scan", "--weights", tmp_path / "missing.pt", library=library)
    assert result.code == 1
    assert "weights file not found" in result.err
