"""A recipe that makes a real decode worker answer with its own sys.modules: what the worker
imported, seen from inside it (test_decode_worker_imports.py). Unpickling it in the worker
imports this module and the empty test packages above it, nothing else."""

from __future__ import annotations

import sys

import numpy as np
from PIL import Image

from phototag.core.ingest.pixels import PixelRecipe


class ModulesRecipe(PixelRecipe):
    def crop_of(self, image: Image.Image) -> np.ndarray:
        return np.array(sorted(sys.modules))
