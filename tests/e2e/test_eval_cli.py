"""`phototag eval` end to end: generated photos, the tiny model, table, CSV and plot."""

from __future__ import annotations

import csv
import json

import pytest

from phototag.cli.main import main
from tests.e2e.conftest import Result
from tests.photos import COLOURS, write_photo

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def phototag_eval(capsys):
    def run(*args: str) -> Result:
        capsys.readouterr()
        with pytest.raises(SystemExit) as stopped:
            main(["eval", *map(str, args)])
        captured = capsys.readouterr()
        return Result(int(stopped.value.code or 0), captured.out, captured.err)

    return run


@pytest.fixture(scope="module")
def colour_folders(tmp_path_factory):
    """One folder per colour, five photos each, plus one file that is not an image."""
    root = tmp_path_factory.mktemp("eval") / "colours"
    seed = 100
    for name in COLOURS:
        for index in range(5):
            seed += 1
            write_photo(root / name / f"{name}_{index}.jpg", [name], seed)
    (root / "red" / "broken.jpg").write_bytes(b"not a photo")
    return root


def read_csv(path) -> list[dict]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_eval_on_a_folder_dataset_prints_a_table_and_writes_csv_and_plot(
    phototag_eval, colour_folders, tmp_path
):
    out = tmp_path / "out"
    result = phototag_eval(
        colour_folders, "--model", "tiny-random", "--shots", "1,2", "--seeds", "2", "--out", out
    )
    assert result.code == 0, result.err
    assert "meaningless" in result.err
    assert "broken.jpg" in result.err  # reported and skipped, not fatal
    lines = result.out.splitlines()
    assert lines[0].startswith("20 photos, 4 labels (single-label)")
    assert lines[1].split()[:4] == ["method", "shots", "top-1", "mAP"]
    for method in ("mwi", "multiproxy", "finetune", "tip", "linear-probe", "llu", "prolip"):
        assert any(line.startswith(method + " ") for line in lines), method
    assert any(line.startswith("zero-shot") for line in lines)
    assert "continual (2 shots" in result.out
    rows = read_csv(out / "phototag-eval.csv")
    assert {r["shots"] for r in rows} == {"1", "2"}
    chance = 1 / len(COLOURS)
    mwi = {r["shots"]: r for r in rows if r["method"] == "mwi"}
    assert float(mwi["2"]["top1"]) > chance + 0.4
    assert float(mwi["2"]["old_label_map_change"]) == 0.0
    assert (out / "phototag-eval.png").read_bytes()[:8] == PNG_MAGIC


def test_eval_on_a_multi_label_csv_reports_map_and_f1_as_json(phototag_eval, tmp_path):
    names = list(COLOURS)
    rows = []
    for index in range(6):
        for first, second in zip(names, names[1:] + names[:1], strict=True):
            colours = [first] if index < 3 else [first, second]
            path = write_photo(tmp_path / f"{first}_{index}.png", colours, 7 * index + len(rows))
            rows.append(f"{path.name},{';'.join(colours)}")
    table = tmp_path / "labels.csv"
    table.write_text("path,labels\n" + "\n".join(rows) + "\n")
    result = phototag_eval(
        table, "--model", "tiny-random", "--shots", "2", "--seeds", "2",
        "--method", "mwi,tip,linear-probe", "--out", tmp_path, "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["single_label"] is False
    by_method = {r["method"]: r for r in report["rows"]}
    assert set(by_method) == {"mwi", "tip", "linear-probe"}
    for record in by_method.values():
        assert record["top1"] is None
        assert record["map"] > report["chance"]["map"] + 0.2
        assert 0 <= record["micro_f1"] <= 1
        assert 0 <= record["macro_f1"] <= 1
    assert (tmp_path / "phototag-eval.png").exists()


def test_bad_datasets_fail_with_one_line(phototag_eval, colour_folders, tmp_path):
    missing = phototag_eval(tmp_path / "nowhere", "--model", "tiny-random")
    assert missing.code == 1
    assert missing.err.count("\n") == 1
    assert "dataset not found" in missing.err
    too_few = phototag_eval(colour_folders, "--model", "tiny-random", "--shots", "5")
    assert too_few.code == 1
    assert "at least 6 photos per label; too few for: blue (5), green (5)" in too_few.err
    one_label = tmp_path / "one"
    write_photo(one_label / "cats" / "a.png", ["red"], 1)
    single = phototag_eval(one_label)
    assert single.code == 1
    assert "at least 2 labels" in single.err
    unknown = phototag_eval(colour_folders, "--method", "mwi,magic")
    assert unknown.code == 1
    assert "unknown method magic" in unknown.err
