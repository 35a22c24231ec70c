"""`phototag review`, `undo`, `redo`, `history` and the health in `labels list`, end to end."""

from __future__ import annotations

import json
import os


def _lines(result) -> list[dict]:
    assert result.code == 0, result.err
    return [json.loads(line) for line in result.out.splitlines()]


def test_review_lists_undecided_photos_to_decide_next_with_why(phototag, photo_set):
    red = photo_set[1]["red"]
    assert phototag("tag", "red", *red[:3]).code == 0
    assert phototag("reject", "red", photo_set[1]["blue"][0]).code == 0
    queue = _lines(phototag("review", "red", "--count", "5", "--json"))
    assert len(queue) == 5
    decided = {os.path.realpath(p) for p in [*red[:3], photo_set[1]["blue"][0]]}
    assert not decided & {q["path"] for q in queue}
    assert all(set(q) == {"path", "score", "why"} and "threshold" in q["why"] for q in queue)
    text = phototag("review", "red", "--count", "2")
    assert text.code == 0
    assert len(text.out.splitlines()) == 2


def test_review_of_an_unknown_label_is_a_user_error(phototag):
    result = phototag("review", "nothing-like-it")
    assert result.code == 1
    assert result.err.count("\n") == 1
    assert "no label named" in result.err


def test_undo_redo_and_history_restore_what_labels_list_shows(phototag, photo_set):
    red = photo_set[1]["red"]
    phototag("tag", "red", *red[:3])
    before = _lines(phototag("labels", "list", "--json"))
    phototag("labels", "rename", "red", "scarlet")
    phototag("labels", "threshold", "scarlet", "0.5")
    history = _lines(phototag("history", "--json"))
    assert [h["action"] for h in history] == ["threshold", "rename", "tag"]

    undone = phototag("undo", "--steps", "2")
    assert undone.code == 0
    assert undone.out.splitlines() == [
        "undone: threshold scarlet: 0.500",
        "undone: rename red to scarlet",
    ]
    assert _lines(phototag("labels", "list", "--json")) == before
    assert [h["undone"] for h in _lines(phototag("history", "--json"))] == [True, True, False]

    assert phototag("redo").out == "redone: rename red to scarlet\n"
    assert [label["name"] for label in _lines(phototag("labels", "list", "--json"))] == ["scarlet"]


def test_undo_with_nothing_to_undo_says_so_in_one_line(phototag):
    result = phototag("undo")
    assert (result.code, result.err) == (1, "phototag: nothing to undo\n")
    assert phototag("redo").err == "phototag: nothing to redo\n"
    assert phototag("undo", "--steps", "0").code == 1


def test_labels_list_reports_health_and_warns_about_a_one_example_label(phototag, photo_set):
    made = photo_set[1]
    phototag("tag", "red", made["red"][0])
    phototag("tag", "blue", *made["blue"][:3])
    suggested = _lines(phototag("predict", "--label", "blue", "--json"))
    unconfirmed = [s["path"] for s in suggested if not s["labels"]["blue"]["confirmed"]]
    phototag("tag", "blue", *unconfirmed[:4])
    health = {label["name"]: label for label in _lines(phototag("labels", "list", "--json"))}
    assert health["red"]["weak"]
    assert "only one example" in health["red"]["warnings"][0]
    blue = health["blue"]
    assert blue["reviewed_suggestions"] == 4
    assert blue["precision"] == 1.0
    low, high = blue["precision_interval"]
    assert 0.4 < low < 0.6
    assert high == 1.0
    assert blue["unreviewed"] == len(suggested) - 3 - 4
    text = phototag("labels", "list").out
    assert "weak: only one example" in text
    assert "precision 100% (51%-100%, 4 reviewed)" in text


def test_a_typo_never_changes_labels_silently(phototag, photo_set):
    red = photo_set[1]["red"]
    phototag("tag", "Dog", *red[:2])
    for verb in ("reject", "untag"):
        result = phototag(verb, "Dgo", red[3])
        assert result.code == 1
        assert result.err == "phototag: no label named 'Dgo' (did you mean 'Dog'?)\n"
    assert [label["name"] for label in _lines(phototag("labels", "list", "--json"))] == ["Dog"]
    created = phototag("tag", "Dogs", red[3])
    assert created.code == 0
    assert "note: created the label 'Dogs'; did you mean 'Dog'?" in created.err
    fresh = phototag("tag", "Sunset", red[4])
    assert "note: created the label 'Sunset'\n" in fresh.err
    assert "did you mean" not in fresh.err


def test_labels_add_on_an_existing_label_with_a_prompt_sets_the_prompt(phototag, photo_set):
    phototag("tag", "red", *photo_set[1]["red"][:2])
    result = phototag("labels", "add", "Red", "--prompt", "a photo of {}")
    assert result.code == 0
    assert result.out == "already exists: red\nred: prompt set to 'a photo of red'\n"
    (red,) = _lines(phototag("labels", "list", "--json"))
    assert red["prompt"] == "a photo of red"
    assert phototag("undo").out == "undone: prompt red: a photo of red\n"
    assert _lines(phototag("labels", "list", "--json"))[0]["prompt"] is None


def test_history_travels_in_a_backup(phototag, photo_set, tmp_path):
    phototag("tag", "red", *photo_set[1]["red"][:2])
    assert phototag("backup", tmp_path / "copy.db").code == 0
    phototag("undo")
    assert phototag("restore", tmp_path / "copy.db").code == 0
    (entry,) = _lines(phototag("history", "--json"))
    assert (entry["action"], entry["undone"]) == ("tag", False)
    assert phototag("undo").out == "undone: tag red: 2 photo(s)\n"
