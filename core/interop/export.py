"""Photos and their labels in formats other tools read: CSV rows and JSON.

The JSON record is the same one `phototag predict --json` prints, so a script written against
one reads the other.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from phototag.core.atomic import replacing
from phototag.core.errors import UserError
from phototag.core.library import Prediction

CSV_COLUMNS = ["path", "label", "score", "confirmed"]


def prediction_record(prediction: Prediction) -> dict:
    return {
        "path": prediction.path,
        "labels": {
            name: {"score": label.score, "confirmed": label.confirmed}
            for name, label in prediction.labels.items()
        },
    }


def write_csv(predictions: Iterable[Prediction], out: TextIO) -> None:
    """One row per (photo, label it carries): the shape spreadsheets and pandas want."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for prediction in predictions:
        for name, label in prediction.labels.items():
            writer.writerow(
                [prediction.path, name, f"{label.score:.4f}", str(label.confirmed).lower()]
            )


def write_json(predictions: Iterable[Prediction], out: TextIO) -> None:
    """A JSON list of {path, labels}, every photo included, streamed record by record."""
    out.write("[")
    for index, prediction in enumerate(predictions):
        out.write(",\n" if index else "\n")
        out.write(json.dumps(prediction_record(prediction)))
    out.write("\n]\n")


WRITERS = {"csv": write_csv, "json": write_json}


def write(fmt: str, predictions: Iterable[Prediction], out: TextIO) -> None:
    WRITERS[fmt](predictions, out)


def write_file(fmt: str, predictions: Iterable[Prediction], path: Path) -> None:
    """Write atomically: a crash leaves the old export or the new one, never half of one."""
    path = path.expanduser().absolute()
    try:
        with (
            replacing(path) as temporary,
            open(temporary, "w", encoding="utf-8", newline="") as out,
        ):
            write(fmt, predictions, out)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from exc
