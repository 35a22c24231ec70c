"""`phototag similar`, `find`, `albums`, `discover`, and the score options of `predict` and
`export`, end to end: JSON lines schemas, exit codes and one-line errors."""

from __future__ import annotations

import csv
import io
import json

import pytest


def _lines(result) -> list[dict]:
    assert result.code == 0, result.err
    return [json.loads(line) for line in result.out.splitlines()]


@pytest.fixture
def tagged(phototag, photo_set):
    _, made = photo_set
    assert phototag("tag", "red", *made["red"][:3]).code == 0
    assert phototag("tag", "New York", *made["blue"][:3]).code == 0
    return phototag, made


def test_similar_json_lines_are_path_and_score_best_first_without_the_photo_itself(tagged):
    phototag, made = tagged
    records = _lines(phototag("similar", made["green"][0], "--top", "5", "--json"))
    assert len(records) == 5
    assert all(set(r) == {"path", "score"} for r in records)
    assert str(made["green"][0]) not in {r["path"] for r in records}
    scores = [r["score"] for r in records]
    assert scores == sorted(scores, reverse=True)
    away = _lines(phototag("similar", made["green"][0], "--not", made["red"][0], "--json"))
    assert str(made["red"][0]) not in {r["path"] for r in away}
    within = _lines(phototag("similar", made["green"][0], "--where", "red", "--json"))
    red = {r["path"] for r in _lines(phototag("find", "red", "--json"))}
    assert {r["path"] for r in within} <= red


def test_find_json_lines_and_label_names_with_spaces(tagged):
    phototag, made = tagged
    confirmed = _lines(phototag("find", 'confirmed:"New York"', "--json"))
    assert {r["path"] for r in confirmed} == {str(p) for p in made["blue"][:3]}
    assert all(r == {"path": r["path"], "score": None} for r in confirmed)
    plain = phototag("find", 'confirmed:"New York" OR confirmed:red')
    assert plain.out.splitlines() == sorted(str(p) for p in made["blue"][:3] + made["red"][:3])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("find", "red AND (blue"), "phototag: bad query: this '(' is never closed at column 9"),
        (("find", "purple"), "phototag: no label named 'purple'"),
        (("similar", "/nowhere.jpg"), "phototag: not a photo in this library: /nowhere.jpg"),
        (("albums", "save", "Bad", "red OR"), "phototag: bad query: expected a label name"),
        (("albums", "show", "Nothing"), "phototag: no album named 'Nothing'"),
        (("export", "--format", "json", "--album", "Nothing"), "no album named 'Nothing'"),
        (("predict", "--min-score", "1.5"), "phototag: --min-score is a score between 0 and 1"),
    ],
)
def test_mistakes_exit_1_with_one_line(tagged, args, message):
    phototag, _ = tagged
    result = phototag(*args)
    assert result.code == 1
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert "Traceback" not in result.err


def test_albums_save_list_show_export_and_remove(tagged, tmp_path):
    phototag, _made = tagged
    saved = phototag("albums", "save", "Not NY", 'red AND NOT "New York"')
    assert saved.code == 0
    assert saved.out.startswith("saved album Not NY:")
    (album,) = _lines(phototag("albums", "list", "--json"))
    assert set(album) == {"name", "query", "count", "problem"}
    assert album["name"] == "Not NY"
    assert album["problem"] is None
    shown = {r["path"] for r in _lines(phototag("albums", "show", "Not NY", "--json"))}
    assert len(shown) == album["count"]
    assert shown == {r["path"] for r in _lines(phototag("find", 'red -"New York"', "--json"))}

    exported = phototag("export", "--format", "json", "--album", "Not NY")
    assert exported.code == 0
    assert {r["path"] for r in json.loads(exported.out)} == shown
    rows = list(
        csv.DictReader(io.StringIO(phototag("export", "--format", "csv", "--album", "Not NY").out))
    )
    assert {row["path"] for row in rows} <= shown

    assert phototag("albums", "remove", "not ny").code == 0
    assert phototag("albums", "list", "--json").out == ""
    assert phototag("labels", "list").out.count("\n") == 2  # both labels are still there


def test_discover_json_lines_name_groups_of_unlabelled_photos(tagged):
    phototag, _made = tagged
    groups = _lines(phototag("discover", "--json"))
    assert groups
    labelled = {r["path"] for r in _lines(phototag("find", 'red OR "New York"', "--json"))}
    for group in groups:
        assert set(group) == {"size", "tightness", "photos"}
        assert group["size"] == len(group["photos"])
        assert all(set(p) == {"path", "score"} for p in group["photos"])
        assert not {p["path"] for p in group["photos"]} & labelled
    text = phototag("discover", "--top", "1")
    assert text.out.startswith(f"group 1: {groups[0]['size']} photos look alike")


def test_all_scores_keep_predict_s_schema_with_every_label(tagged):
    phototag, _ = tagged
    every = _lines(phototag("predict", "--json", "--all-scores"))
    carried = {r["path"]: r["labels"] for r in _lines(phototag("predict", "--json"))}
    assert len(every) == len(carried)
    for record in every:
        assert set(record) == {"path", "labels"}
        assert set(record["labels"]) == {"red", "New York"}
        assert all(set(s) == {"score", "confirmed"} for s in record["labels"].values())
        for name, score in carried[record["path"]].items():
            assert record["labels"][name] == score
    low = _lines(phototag("predict", "--json", "--min-score", "0.2"))
    for record in low:
        assert all(s["score"] >= 0.2 or s["confirmed"] for s in record["labels"].values())
    rows = list(
        csv.DictReader(io.StringIO(phototag("export", "--format", "csv", "--all-scores").out))
    )
    assert len(rows) == 2 * len(every)
