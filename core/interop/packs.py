"""Classifier packs: one label's imprinted classifier as a small JSON file, to share a "receipts"
detector without sharing a single photo.

A pack holds the label's unit weight vector (float32, little-endian, base64) with its SHA-256,
the imprint's strength (the length of the sum the weight was normalised from: how many
examples' worth of evidence it carries), the threshold and slope it decided with, and the model
it belongs to. A weight only means something in its own model's embedding space, so importing
into a library whose model has another key is refused. A different projection version (after a
ProLIP refinement on either side) is only warned about: ProLIP keeps the label weights fixed and
the projection near the pretrained one, so the classifier still points the right way.

Packs are parsed as JSON and nothing else: no pickle, no numpy object arrays, a size cap, and
every field checked (finite numbers, the model's dimension, the digest), so a hostile or damaged
file is refused with one line.

In the library an imported classifier is the user's decision, so it is stored on its own
(`label_packs`) and survives every re-fit: it enters the label's imprint as one pseudo-example of
that strength, next to the text prompt's prior, and the user's own examples then refine it exactly
as they would have refined the original.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from phototag.core.atomic import replacing
from phototag.core.errors import UserError
from phototag.core.labels.names import clean_label_name, find_label, require_label
from phototag.core.labels.scoring import EmbeddingMatrix
from phototag.core.labels.state import LabelHead, load_matrix
from phototag.core.labels.thresholds import MIN_SPREAD, SLOPE_SPREADS, Calibration
from phototag.core.store import labels, photos
from phototag.core.store.database import Store, now
from phototag.core.store.labels import LabelRow, PackRow
from phototag.core.store.photos import ModelRow

FORMAT = "phototag-classifier-pack"
VERSION = 1
MAX_PACK_BYTES = 1_000_000
MAX_DIMS = 16_384
UNIT_TOLERANCE = 1e-3
# n_pos and projection_version are stored as SQLite integers (at most 2**63 - 1); no label has
# more than a billion examples, so a larger count is damage or an attack (2**64 overflowed).
MAX_COUNT = 10**9
# The steepest slope the calibrator itself can give (core/labels/thresholds.py): a pack claiming
# a steeper one (1e9 was accepted) would turn every score into 0 or 1.
MAX_SLOPE = SLOPE_SPREADS / MIN_SPREAD
# A pack whose threshold every photo of a library passes is no classifier (threshold -0.99 with
# slope 2000 suggested every photo at 1.0); below this many photos, "all of them" may be true.
MIN_PHOTOS_TO_JUDGE_COVERAGE = 10


@dataclass(frozen=True)
class Pack:
    """One label's classifier for one model."""

    label: str
    weight: np.ndarray
    strength: float
    n_pos: int
    calibration: Calibration
    model_key: str
    model_name: str
    projection_version: int
    prompt: str | None = None
    created_at: str = ""
    phototag_version: str = ""


def _phototag_version() -> str:
    try:
        return metadata.version("phototag")
    except metadata.PackageNotFoundError:
        return "unknown"


def to_json(pack: Pack) -> dict:
    weight = np.asarray(pack.weight, dtype="<f4").tobytes()
    return {
        "format": FORMAT,
        "version": VERSION,
        "label": pack.label,
        "prompt": pack.prompt,
        "model": {
            "key": pack.model_key,
            "name": pack.model_name,
            "embed_dim": len(pack.weight),
            "projection_version": pack.projection_version,
        },
        "weight": base64.b64encode(weight).decode("ascii"),
        "weight_sha256": hashlib.sha256(weight).hexdigest(),
        "strength": pack.strength,
        "n_pos": pack.n_pos,
        "threshold": pack.calibration.threshold,
        "slope": pack.calibration.slope,
        "created_at": pack.created_at or now(),
        "phototag_version": pack.phototag_version or _phototag_version(),
    }


def write(pack: Pack, out: Path) -> None:
    """Atomically, so a half-written pack never exists to be shared."""
    out = out.expanduser().absolute()
    try:
        with replacing(out) as temporary:
            temporary.write_text(json.dumps(to_json(pack), indent=1) + "\n", encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror or exc}") from exc


def read(path: Path) -> Pack:
    """A pack from a file, or a UserError saying in one line why the file is not one."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_PACK_BYTES + 1)
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if len(raw) > MAX_PACK_BYTES:
        raise UserError(f"{path} is not a classifier pack: larger than {MAX_PACK_BYTES} bytes")
    try:
        return parse(raw)
    except UserError as exc:
        raise UserError(f"{path} is not a usable classifier pack: {exc}") from None


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number")


def parse(raw: bytes) -> Pack:
    try:
        document = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise UserError(f"not JSON ({exc})") from None
    except RecursionError:
        raise UserError("JSON nested too deeply to be a pack") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise UserError(f"not a {FORMAT} file")
    version = document.get("version")
    if not isinstance(version, int) or not 1 <= version <= VERSION:
        raise UserError(f"format version {version!r} is not one this Phototag reads ({VERSION})")
    model = _field(document, "model", dict)
    dims = _field(model, "embed_dim", int)
    if not 0 < dims <= MAX_DIMS:
        raise UserError(f"embed_dim {dims} is out of range")
    return Pack(
        label=_field(document, "label", str),
        weight=_weight(document, dims),
        strength=_number(document, "strength", 0.0, 1e9, above_low=True),
        n_pos=_count(document, "n_pos"),
        calibration=Calibration(
            threshold=_number(document, "threshold", -1.0, 1.0, above_low=True),
            slope=_number(document, "slope", 0.0, MAX_SLOPE, above_low=True),
        ),
        model_key=_field(model, "key", str),
        model_name=_field(model, "name", str),
        projection_version=_count(model, "projection_version"),
        prompt=_optional_text(document, "prompt"),
        created_at=_optional_text(document, "created_at") or "",
        phototag_version=_optional_text(document, "phototag_version") or "",
    )


def _field(document: dict, name: str, kind: type):
    value = document.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise UserError(f"field {name!r} is missing or not a {kind.__name__}")
    return value


def _optional_text(document: dict, name: str) -> str | None:
    value = document.get(name)
    if value is not None and not isinstance(value, str):
        raise UserError(f"field {name!r} is not text")
    return value


def _count(document: dict, name: str) -> int:
    value = _field(document, name, int)
    if not 0 <= value <= MAX_COUNT:
        raise UserError(f"field {name!r} = {value} is out of range (0 to {MAX_COUNT})")
    return value


def _number(document: dict, name: str, low: float, high: float, above_low: bool = False) -> float:
    value = document.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UserError(f"field {name!r} is missing or not a number")
    value = float(value)
    too_low = value <= low if above_low else value < low
    if not math.isfinite(value) or too_low or value > high:
        raise UserError(f"field {name!r} = {value} is out of range")
    return value


def _weight(document: dict, dims: int) -> np.ndarray:
    encoded = _field(document, "weight", str)
    try:
        raw = base64.b64decode(encoded, validate=True)
    except ValueError:
        raise UserError("field 'weight' is not base64") from None
    if hashlib.sha256(raw).hexdigest() != document.get("weight_sha256"):
        raise UserError("the weight does not match its SHA-256: the file was changed or damaged")
    if len(raw) != 4 * dims:
        raise UserError(f"the weight has {len(raw) // 4} values, the model {dims}")
    weight = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    if not np.all(np.isfinite(weight)):
        raise UserError("the weight contains NaN or infinite values")
    if abs(float(np.linalg.norm(weight.astype(np.float64))) - 1.0) > UNIT_TOLERANCE:
        raise UserError("the weight is not a unit vector")
    return weight


def check_model(pack: Pack, model: dict) -> str | None:
    """Refuse a pack made for another model; return a warning when only the projection
    version differs (see the module docstring), else None."""
    if pack.model_key != model["key"] or len(pack.weight) != model["embed_dim"]:
        raise UserError(
            f"this pack was made for model {pack.model_name} ({pack.model_key}), "
            f"this library uses {model['name']} ({model['key']})"
        )
    ours = model.get("projection_version", 0)
    if pack.projection_version != ours:
        return (
            f"the pack's projection version is {pack.projection_version}, this library's {ours} "
            "(a ProLIP refinement on one side); scores may differ slightly"
        )
    return None


def _refuse_if_it_suggests_everything(pack: Pack, matrix: EmbeddingMatrix) -> None:
    """A classifier that says yes to every photo of a sizeable library tells nothing apart: it
    was made wrongly or on purpose, and would fill every review with suggestions."""
    if len(matrix) < MIN_PHOTOS_TO_JUDGE_COVERAGE:
        return
    if bool(np.all(matrix.embeddings @ pack.weight >= pack.calibration.threshold)):
        raise UserError(
            f"this pack would suggest every one of the {len(matrix)} photos in this library "
            f"(threshold {pack.calibration.threshold:g}): it is not a usable classifier"
        )


def meta(pack: Pack) -> str:
    """What the pack said about itself, kept with the imported classifier."""
    return json.dumps(
        {
            "label": pack.label,
            "prompt": pack.prompt,
            "created_at": pack.created_at,
            "phototag_version": pack.phototag_version,
            "model_name": pack.model_name,
            "projection_version": pack.projection_version,
        }
    )


def label_pack(
    label: LabelRow, head: LabelHead, model: ModelRow, inherited: PackRow | None
) -> Pack:
    """The pack sharing one label's classifier; a label that came from a pack passes on the
    evidence it inherited (its examples' count and its prompt)."""
    weight = head.prototype.weight()
    if weight is None or math.isinf(head.threshold):
        raise UserError(f"label {label.name!r} has nothing to share yet: tag a few examples")
    return Pack(
        label=label.name,
        weight=weight,
        strength=head.prototype.strength(),
        n_pos=head.prototype.n_pos + (inherited.n_pos if inherited else 0),
        calibration=Calibration(head.threshold, head.calibration.slope),
        model_key=model["key"],
        model_name=model["name"],
        projection_version=model["projection_version"],
        prompt=label.prompt or (json.loads(inherited.meta)["prompt"] if inherited else None),
    )


def imported(pack: Pack) -> PackRow:
    """What the library keeps of an imported pack."""
    return PackRow(
        weight=np.asarray(pack.weight, np.float32),
        strength=pack.strength,
        n_pos=pack.n_pos,
        threshold=pack.calibration.threshold,
        slope=pack.calibration.slope,
        meta=meta(pack),
    )


def import_pack(store: Store, path: Path, name: str | None) -> tuple[LabelRow, str | None]:
    """Add a label from a classifier pack made with the library's model; returns the label
    and a warning, if any. An existing label is never replaced."""
    pack = read(path)
    model = photos.active_model(store)
    if model is None:
        raise UserError("this library has no model yet: run 'phototag scan' first")
    warning = check_model(pack, dict(model))
    _refuse_if_it_suggests_everything(pack, load_matrix(store, model))
    cleaned = clean_label_name(name or pack.label)
    existing = find_label(store, cleaned)
    if existing is not None:
        raise UserError(
            f"a label named {existing.name!r} already exists; "
            "import the pack under another name with --name NEW"
        )
    with store.transaction() as conn:
        label_id = labels.insert_label(conn, cleaned)
        labels.insert_pack(conn, label_id, pack.model_key, pack.projection_version, imported(pack))
    return require_label(store, cleaned), warning
