"""An evaluation dataset: photos with their true labels, read from a folder tree or a file.

Three forms, so that existing benchmark layouts work without conversion:
- a folder with one subfolder per label (every photo below `DATASET/LABEL/` carries LABEL);
- a CSV file of `path,labels` rows, labels separated by ';' (a photo may also appear on several
  rows; its labels are merged; a first row `path,labels` is a header);
- a JSON file: an object {path: [labels]} or a list of {"path": ..., "labels": [...]}.
Relative paths are relative to the file's folder.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from phototag.core.errors import UserError
from phototag.core.ingest.decode import is_image_path


@dataclass(frozen=True)
class LabelledPhotos:
    source: Path
    paths: list[Path]
    label_names: list[str]
    truth: np.ndarray
    """(photos, labels) bool: which photo carries which label."""

    @property
    def single_label(self) -> bool:
        return bool((self.truth.sum(axis=1) == 1).all())


def load_dataset(location: str | Path) -> LabelledPhotos:
    source = Path(location).expanduser()
    if not source.exists():
        raise UserError(f"dataset not found: {source}")
    if source.is_dir():
        labelled = _from_folders(source)
    elif source.suffix.lower() == ".csv":
        labelled = _from_csv(source)
    elif source.suffix.lower() == ".json":
        labelled = _from_json(source)
    else:
        raise UserError(f"dataset must be a folder, a .csv or a .json file: {source}")
    return _as_dataset(source.absolute(), labelled)


def check_shots(label_names: list[str], truth: np.ndarray, shots: int) -> None:
    """Every label needs its examples plus at least one photo left to test on."""
    if len(label_names) < 2:
        raise UserError(f"evaluation needs at least 2 labels, found {len(label_names)}")
    counts = truth.sum(axis=0)
    short = [f"{n} ({c})" for n, c in zip(label_names, counts, strict=True) if c <= shots]
    if short:
        raise UserError(
            f"{shots}-shot evaluation needs at least {shots + 1} photos per label; "
            f"too few for: {', '.join(short)}"
        )


def _from_folders(root: Path) -> dict[Path, set[str]]:
    labelled: dict[Path, set[str]] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and is_image_path(path):
                labelled.setdefault(path.absolute(), set()).add(folder.name)
    return labelled


def _from_csv(source: Path) -> dict[Path, set[str]]:
    labelled: dict[Path, set[str]] = {}
    with source.open(newline="", encoding="utf-8") as handle:
        for number, row in enumerate(csv.reader(handle)):
            if not row or (number == 0 and row[0].strip().lower() == "path"):
                continue
            if len(row) < 2:
                raise UserError(f"{source}, line {number + 1}: expected 'path,labels'")
            names = {n.strip() for cell in row[1:] for n in cell.split(";") if n.strip()}
            labelled.setdefault(_resolve(source, row[0]), set()).update(names)
    return labelled


def _from_json(source: Path) -> dict[Path, set[str]]:
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise UserError(f"{source} is not valid JSON: {exc}") from None
    if isinstance(data, dict):
        items = list(data.items())
    elif isinstance(data, list) and all(isinstance(r, dict) and "path" in r for r in data):
        items = [(r["path"], r.get("labels", [])) for r in data]
    else:
        raise UserError(f"{source}: expected {{path: [labels]}} or [{{path, labels}}]")
    labelled: dict[Path, set[str]] = {}
    for path, names in items:
        names = [names] if isinstance(names, str) else list(names)
        labelled.setdefault(_resolve(source, str(path)), set()).update(map(str, names))
    return labelled


def _resolve(source: Path, path: str) -> Path:
    candidate = Path(path.strip()).expanduser()
    return candidate if candidate.is_absolute() else (source.parent / candidate).absolute()


def _as_dataset(source: Path, labelled: dict[Path, set[str]]) -> LabelledPhotos:
    labelled = {path: names for path, names in labelled.items() if names}
    if not labelled:
        raise UserError(f"dataset has no labelled photos: {source}")
    names = sorted({n for labels in labelled.values() for n in labels})
    if len(names) < 2:
        raise UserError(f"dataset needs at least 2 labels, found {len(names)}: {source}")
    paths = sorted(labelled)
    column = {name: index for index, name in enumerate(names)}
    truth = np.zeros((len(paths), len(names)), dtype=bool)
    for row, path in enumerate(paths):
        truth[row, [column[n] for n in labelled[path]]] = True
    return LabelledPhotos(source, paths, names, truth)
