"""The numerics fingerprint of a batch job: what a node must reproduce before it embeds a photo.

`batch prepare` records two parts on the library's machine and every actor measures both again:
the tower's features on fixed probe pixels (backends.probe_pixels: ONNX Runtime alone), and the
embeddings of the golden photos shipped in resources/golden, decoded by the scan's own decode
path and embedded by embed_crops as every row is. The probe sees a node whose ONNX Runtime
computes differently; the golden photos also see one whose Pillow or libjpeg decodes, resizes
or converts differently (a JPEG with EXIF orientation 6 that draft scaling shrinks, an RGBA PNG,
a 16-bit grey PNG), or whose numpy projects differently. float32 bits are kept exactly: a JSON
float round-trips a float32.
"""

from __future__ import annotations

import socket
from importlib import resources

import numpy as np

from phototag.core.errors import EnvironmentProblem
from phototag.core.ingest.decode_pool import decode_to_pixels
from phototag.core.ingest.pixels import PixelRecipe
from phototag.core.model.backends import ImageTower, agreement
from phototag.core.model.projection import project_rows

GOLDEN_PHOTOS = ("sideways.jpg", "alpha.png", "gray16.png")


class NumericsDiffer(EnvironmentProblem):
    """A node whose tower output is not the manifest's: its embeddings would differ."""


def embed_crops(
    tower: ImageTower,
    recipe: PixelRecipe,
    appends_one: bool,
    projection: np.ndarray,
    crops: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(features, embeddings) of a batch of uint8 crops: the tower, then the projection."""
    features = tower(recipe.normalize(crops))
    if appends_one:
        features = np.hstack([features, np.ones((len(features), 1), features.dtype)])
    return features, project_rows(features, projection)


def golden_embeddings(
    tower: ImageTower, recipe: PixelRecipe, appends_one: bool, projection: np.ndarray
) -> np.ndarray:
    """The golden photos' embeddings, through the decode path and the batch a row goes through."""
    folder = resources.files("phototag.resources") / "golden"
    crops = []
    for name in GOLDEN_PHOTOS:
        with resources.as_file(folder / name) as path:
            pixels = decode_to_pixels(str(path), recipe)
        if isinstance(pixels, str):
            raise EnvironmentProblem(f"the golden photo {name} cannot be decoded here: {pixels}")
        crops.append(pixels.crop)
    return embed_crops(tower, recipe, appends_one, projection, np.stack(crops))[1]


def checked_agreement(
    checks: dict[str, tuple[np.ndarray, np.ndarray]], tolerance: float | None
) -> float:
    """1.0 when every check (name -> (recorded, measured)) has the same bits; else the least
    cosine over those that differ, accepted only at or above --tolerance."""
    differing = {
        name: _cosine(recorded, measured)
        for name, (recorded, measured) in checks.items()
        if not (measured.shape == recorded.shape and np.array_equal(measured, recorded))
    }
    if not differing:
        return 1.0
    where = min(differing, key=differing.__getitem__)
    least = differing[where]
    if tolerance is None or least < tolerance:
        raise NumericsDiffer(
            f"node {socket.gethostname()}: its numerics differ from the "
            f"library's machine (least cosine {least:.9f} on the {where}); "
            "pass --tolerance COS to accept it"
        )
    return least


def _cosine(recorded: np.ndarray, measured: np.ndarray) -> float:
    """The least row-wise cosine; 0 for another shape or a NaN (no agreement at all)."""
    if measured.shape != recorded.shape:
        return 0.0
    cosine = agreement(measured, recorded)
    return cosine if np.isfinite(cosine) else 0.0
