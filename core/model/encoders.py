"""The encoders one process has loaded for a library, each embedding with the library's active
projection (ProLIP may have refined it), and the record of which model the library uses."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from phototag.core.model import projection as projections
from phototag.core.model.specs import get_spec
from phototag.core.options import DEFAULT_MODEL
from phototag.core.store import photos
from phototag.core.store.database import Store


def canonical(path: str | Path) -> str:
    """The path with ~ expanded and symbolic links resolved: one name per file or folder."""
    return os.path.realpath(os.path.expanduser(str(path)))


class Encoders:
    """Loaded encoders, one per (model, weights file): loading one takes seconds."""

    def __init__(self, store: Store):
        self.store = store
        self._loaded: dict[tuple[str, str | None], Any] = {}

    def get(self, name: str | None = None, weights: str | Path | None = None) -> Any:
        """Load (once per process) the encoder asked for, else the one the library uses."""
        if name is None:
            active = photos.active_model(self.store)
            name = DEFAULT_MODEL if active is None else active["name"]
            if weights is None and active is not None:
                weights = active["weights_path"]
        weights_key = None if weights is None else canonical(weights)
        key = (get_spec(name).name, weights_key)
        if key not in self._loaded:
            from phototag.core.model.encoder import load_encoder

            encoder = load_encoder(key[0], Path(weights_key) if weights_key else None)
            self.use_active_projection(encoder)
            self._loaded[key] = encoder
        return self._loaded[key]

    def use_active_projection(self, encoder: Any) -> int | None:
        """Embed with the library's active projection; returns the model's id, None for a
        model the library has not used yet."""
        model = photos.model_with_key(self.store, encoder.model_key)
        if model is None:
            return None
        encoder.projection = projections.active_projection(model)
        return model["id"]

    def register(self, encoder: Any, weights: str | Path | None) -> int:
        """Record the model and make it the library's; `weights` is what the user passed, so
        later commands reload the same file (models from the cache need no path)."""
        photos.register_model(
            self.store,
            encoder.model_key,
            encoder.spec.name,
            None if weights is None else canonical(weights),
            (encoder.embed_dim, encoder.feature_dim),
            encoder.projection,
        )
        model_id = self.use_active_projection(encoder)
        assert model_id is not None  # just registered
        return model_id

    def follow(self, model_key: str, projection: np.ndarray) -> None:
        """Make the loaded encoders of a model embed with its new active projection."""
        for encoder in self._loaded.values():
            if encoder.model_key == model_key:
                encoder.projection = np.array(projection, dtype=np.float32)
