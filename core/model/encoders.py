"""A library's encoders: the process's shared models (shared.py), each embedding with the
library's active projection (ProLIP may have refined it), and the record of which model the
library uses."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from phototag.core.model import projection as projections
from phototag.core.model.backends import StageCallback
from phototag.core.model.onnx_encoder import EncoderBase
from phototag.core.model.shared import shared_model
from phototag.core.model.specs import get_spec
from phototag.core.options import DEFAULT_MODEL
from phototag.core.store import photos
from phototag.core.store.database import Store

if TYPE_CHECKING:
    from PIL import Image


def canonical(path: str | Path) -> str:
    """The path with ~ expanded and symbolic links resolved: one name per file or folder."""
    return os.path.realpath(os.path.expanduser(str(path)))


class LibraryEncoder:
    """The process's shared model (shared.py) as one library embeds with it: with the library's
    active projection, read when the library handed it out, so a refinement or a revert reaches
    the next scan, watcher batch or search of every Library in every process without a reload."""

    def __init__(self, model: EncoderBase, projection: np.ndarray):
        self.model = model
        self.projection = projection
        self.spec = model.spec
        self.model_key = model.model_key
        self.weights_path = model.weights_path
        self.pixel_recipe = model.pixel_recipe
        self.image_size = model.image_size
        self.feature_dim, self.embed_dim = model.feature_dim, model.embed_dim

    def encode_crops(self, crops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.model.encode_crops(crops, self.projection)

    def encode_images(self, images: list[Image.Image]) -> tuple[np.ndarray, np.ndarray]:
        return self.model.encode_images(images, self.projection)

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        return self.model.encode_texts(texts)

    def prepare(self, stage: StageCallback | None = None) -> None:
        self.model.prepare(stage)

    def onnx_tower_file(self) -> tuple[Path, bool]:
        return self.model.onnx_tower_file()


class Encoders:
    """One library's way to the process's shared models (shared.py): it keeps no model and no
    projection of its own, so there is nothing to reload when either changes."""

    def __init__(self, store: Store):
        self.store = store

    def get(self, name: str | None = None, weights: str | Path | None = None) -> LibraryEncoder:
        """The encoder asked for, else the one the library uses (loaded once per process),
        embedding with the library's active projection."""
        if name is None:
            active = photos.active_model(self.store)
            name = DEFAULT_MODEL if active is None else active["name"]
            if weights is None and active is not None:
                weights = active["weights_path"]
        path = None if weights is None else Path(canonical(weights))
        model = shared_model(get_spec(name).name, path)
        encoder = LibraryEncoder(model, model.projection)
        self.use_active_projection(encoder)
        return encoder

    def use_active_projection(self, encoder: LibraryEncoder) -> int | None:
        """Embed with the library's active projection; returns the model's id, None for a
        model the library has not used yet (it embeds with the pretrained projection)."""
        model = photos.model_with_key(self.store, encoder.model_key)
        if model is None:
            return None
        encoder.projection = projections.active_projection(model)
        return model["id"]

    def register(self, encoder: LibraryEncoder, weights: str | Path | None) -> int:
        """Record the model and make it the library's; `weights` is what the user passed, so
        later commands reload the same file (models from the cache need no path)."""
        photos.register_model(
            self.store,
            encoder.model_key,
            encoder.spec.name,
            None if weights is None else canonical(weights),
            (encoder.embed_dim, encoder.feature_dim),
            encoder.model.projection,
        )
        model_id = self.use_active_projection(encoder)
        assert model_id is not None  # just registered
        return model_id
