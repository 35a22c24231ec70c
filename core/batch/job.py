"""A batch job: the files a cluster node needs to embed exactly as this library's scan does.

JOB/tower.onnx is the image tower the scan runs, JOB/projection.npy the library's active
projection, JOB/labels.npz its labels (labelset.py: what `batch label JOB` tags with), and
JOB/manifest.json says what they are (model key, projection version, the tower's and the
labels' sha256, the versions that computed the fingerprint), the pixel recipe, the fingerprint
(numerics.py: the tower's output on backends.probe_pixels and the golden photos' embeddings,
float32 bits kept exactly: a JSON float round-trips a float32) and the files the library has
embedded already (by path, size and mtime, and by content hash).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from phototag.core.atomic import replacing
from phototag.core.batch import labelset
from phototag.core.batch.labelset import LabelSet
from phototag.core.batch.numerics import golden_embeddings
from phototag.core.errors import UserError
from phototag.core.ingest.hashing import content_hash
from phototag.core.ingest.pixels import PixelRecipe
from phototag.core.model.backends import ImageTower, onnx_tower, probe_pixels
from phototag.core.store.batch import KnownFile

MANIFEST = "manifest.json"
TOWER = "tower.onnx"
PROJECTION = "projection.npy"
LABELS = "labels.npz"
FORMAT = 2
PINNED = ("phototag", "onnxruntime", "numpy", "pillow")


@dataclass(frozen=True)
class Job:
    """A prepared job, as read back from its folder."""

    root: Path
    manifest: dict[str, Any]

    @property
    def tower_path(self) -> Path:
        return self.root / TOWER

    @property
    def recipe(self) -> PixelRecipe:
        fields = dict(self.manifest["recipe"])
        for name in ("resize", "crop", "mean", "std"):
            if isinstance(fields[name], list):
                fields[name] = tuple(fields[name])
        return PixelRecipe(**fields)

    @property
    def fingerprint(self) -> np.ndarray:
        return np.asarray(self.manifest["fingerprint"], dtype=np.float32)

    @property
    def golden(self) -> np.ndarray:
        return np.asarray(self.manifest["golden"], dtype=np.float32)

    @property
    def image_size(self) -> int:
        return int(self.manifest["image_size"])

    def projection(self) -> np.ndarray:
        return np.load(self.root / PROJECTION)

    def labels(self) -> LabelSet:
        """The library's labels as they were at `batch prepare`, checked against the manifest."""
        if content_hash(self.root / LABELS) != self.manifest["labels_sha256"]:
            raise UserError(f"{self.root / LABELS} is not the labels the job was prepared with")
        return labelset.load(self.root / LABELS, self.projection())

    def known(self) -> dict[str, tuple[int, int]]:
        """path -> (size, mtime_ns) of the files the library has embedded already."""
        return {row["path"]: (row["size"], row["mtime_ns"]) for row in self.manifest["known"]}

    def known_content(self) -> frozenset[str]:
        """The content hashes the library has embedded: a moved or copied file needs no model."""
        return frozenset(row["content_hash"] for row in self.manifest["known"])


def fingerprint_of(tower: ImageTower, image_size: int) -> np.ndarray:
    """The tower's features on the fixed probe pixels: equal bits mean equal numerics."""
    return tower(probe_pixels(image_size))


def prepare(
    out: Path, encoder: Any, model: dict[str, Any], known: list[KnownFile], labels: LabelSet
) -> Job:
    """Write the job folder for the library's active model (`model` is its models row)."""
    if (out / MANIFEST).exists():
        raise UserError(f"{out} holds a prepared job already; choose a new folder")
    out.mkdir(parents=True, exist_ok=True)
    source, appends_one = encoder.onnx_tower_file()
    with replacing(out / TOWER) as temporary:
        shutil.copyfile(source, temporary)
    projection = np.asarray(encoder.projection, dtype=np.float32)
    with replacing(out / PROJECTION) as temporary, open(temporary, "wb") as f:
        np.save(f, projection)
    with replacing(out / LABELS) as temporary:
        labelset.save(labels, temporary)
    tower = onnx_tower(out / TOWER)
    manifest = {
        "format": FORMAT,
        "model_key": model["key"],
        "model_name": model["name"],
        "projection_version": model["projection_version"],
        "dims": [encoder.embed_dim, encoder.feature_dim],
        "tower_sha256": content_hash(out / TOWER),
        "appends_one": appends_one,
        "image_size": encoder.image_size,
        "recipe": asdict(encoder.pixel_recipe),
        "versions": {name: _version(name) for name in PINNED},
        "fingerprint": fingerprint_of(tower, encoder.image_size).tolist(),
        "golden": golden_embeddings(tower, encoder.pixel_recipe, appends_one, projection).tolist(),
        "known": [asdict(row) for row in known],
        "labels_sha256": content_hash(out / LABELS),
    }
    with replacing(out / MANIFEST) as temporary:
        temporary.write_text(json.dumps(manifest, indent=1))
    return Job(out, manifest)


def load(root: Path) -> Job:
    """The job at root, its tower checked against the sha256 the manifest recorded."""
    try:
        manifest = json.loads((root / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise UserError(f"not a prepared batch job: {root} ({exc})") from None
    if manifest.get("format") != FORMAT:
        raise UserError(f"{root}: batch job format {manifest.get('format')} is not {FORMAT}")
    if content_hash(root / TOWER) != manifest["tower_sha256"]:
        raise UserError(f"{root / TOWER} is not the tower the job was prepared with")
    return Job(root, manifest)


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
