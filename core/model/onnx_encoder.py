"""The encoder of the lean runtime: ONNX Runtime and numpy, no torch.

For the plain CLIP ViTs (specs.PlainViT: ViT-B-32, ViT-B-32-openai, ViT-B-16, tiny-random) with
weights in a safetensors file, both towers are ONNX graphs that graphs.py builds from the weights
the first time (ViT-B-32: 24 s at load average 20, then cached), the tokenizer is tokenizer.py's
port, and the preprocessing comes from the spec. Only the "torch" backend, the reference, needs
`phototag[torch]`: it builds open_clip's own image tower from the same file.

EncoderBase is what both encoders share: the projection held apart (ProLIP retrains it) and
applied in numpy, and the image tower per backend.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from phototag.core.atomic import replacing
from phototag.core.errors import EnvironmentProblem, UserError
from phototag.core.ingest.pixels import PixelRecipe
from phototag.core.model import backends
from phototag.core.model.backends import ImageTower
from phototag.core.model.projection import project_rows
from phototag.core.model.specs import ModelSpec
from phototag.core.paths import models_cache_dir

if TYPE_CHECKING:
    from PIL import Image

# torchvision's interpolation names as PIL filters (torchvision.transforms.functional).
_RESAMPLE = {"bicubic": 3, "bilinear": 2, "nearest": 0}
TORCH_EXTRA = "pip install 'phototag[torch]'"


def needs_torch(what: str) -> EnvironmentProblem:
    """The machine lacks a part, as with a missing tool: the contract's exit code 2."""
    return EnvironmentProblem(f"{what} needs torch, which this install leaves out: {TORCH_EXTRA}")


class EncoderBase:
    """One model's image embedding: tower (chosen backend) -> h -> [h, 1?] @ projection.

    One instance may serve several threads (shared.py): its sessions are built once, under
    `_building`, and ONNX Runtime runs them from any thread."""

    spec: ModelSpec
    model_key: str
    weights_path: Path | None
    pixel_recipe: PixelRecipe
    image_size: int
    _appends_one: bool = False

    def _set_projection(self, projection: np.ndarray) -> None:
        # Settable: ProLIP replaces it with a refined projection; every embedding uses it.
        self.projection = np.array(projection, dtype=np.float32)
        self.feature_dim, self.embed_dim = self.projection.shape
        self._towers: dict[str, tuple[ImageTower, str]] = {}
        self._building = threading.RLock()

    def encode_images(
        self, images: list[Image.Image], projection: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(features h, not normalised; embeddings, L2-normalised), both float32, one row each;
        embedded with `projection`, else the encoder's own."""
        crops = [self.pixel_recipe.crop_of(image.convert("RGB")) for image in images]
        empty = np.empty((0, 1, 1, 3), np.uint8)
        return self.encode_crops(np.stack(crops) if crops else empty, projection)

    def encode_crops(
        self, crops: np.ndarray, projection: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """encode_images for crops already made by `pixel_recipe.crop_of` ((n, h, w, 3) uint8),
        as the decode workers send them."""
        if not len(crops):
            return (
                np.empty((0, self.feature_dim), np.float32),
                np.empty((0, self.embed_dim), np.float32),
            )
        tower, _ = self._tower()
        features = tower(self.pixel_recipe.normalize(crops))
        if self._appends_one:
            features = np.hstack([features, np.ones((len(features), 1), features.dtype)])
        # The library's active projection (ProLIP may have refined it), applied exactly as a
        # refinement recomputes stored embeddings: a photo's bits never depend on its batch.
        return features, project_rows(
            features, self.projection if projection is None else projection
        )

    @property
    def image_backend(self) -> str:
        """The backend that runs the image tower. Asking may build the tower (once per model,
        then cached)."""
        return self._tower()[1]

    def _tower(self, stage: backends.StageCallback | None = None) -> tuple[ImageTower, str]:
        backend = backends.chosen()
        if backend not in self._towers:  # built once; a built one is used without the lock
            with self._building:
                if backend not in self._towers:
                    self._towers[backend] = self._make_tower(backend, stage)
        return self._towers[backend]

    def _make_tower(
        self, backend: str, stage: backends.StageCallback | None
    ) -> tuple[ImageTower, str]:
        raise NotImplementedError

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        """L2-normalised text embeddings, float32, one row per text."""
        raise NotImplementedError

    def onnx_tower_file(self) -> tuple[Path, bool]:
        """(the ONNX file of the image tower; whether a constant 1 is appended to its output
        before the projection), for `phototag batch prepare`."""
        raise NotImplementedError

    def prepare(self, stage: backends.StageCallback | None = None) -> None:
        """Make the image tower now, telling `stage` the steps of a one-time conversion, so a
        scan's progress does not sit at 0 meanwhile."""
        self._tower(stage)

    def _cache_path(self, suffix: str) -> Path:
        """Beside the tiny model's weights (made here, so deleting them resets both); for other
        weights, in the user's cache, named after the model key (which pins the weights)."""
        if self.spec.pretrained is None and self.weights_path is not None:
            return self.weights_path.with_name(self.weights_path.stem + suffix)
        name = re.sub(r"[^A-Za-z0-9._-]", "_", self.model_key)
        return models_cache_dir() / f"{name}{suffix}"


class OnnxEncoder(EncoderBase):
    """A plain CLIP ViT from a safetensors file, run on ONNX Runtime."""

    def __init__(self, spec: ModelSpec, weights_path: Path, model_key: str):
        assert spec.plain_vit is not None, f"{spec.name} is not a plain ViT"
        self.spec = spec
        self.model_key = model_key
        self.weights_path = weights_path
        self._weights = weights_path  # the same, typed as always present
        self._layout = spec.plain_vit
        projection, patch, positions = _read_small_tensors(spec, weights_path)
        self._set_projection(projection)
        self.image_size = round((positions - 1) ** 0.5) * patch
        self.pixel_recipe = PixelRecipe(
            resize=self.image_size,
            resample=_RESAMPLE[spec.interpolation],
            crop=(self.image_size, self.image_size),
            mean=spec.image_mean,
            std=spec.image_std,
        )
        self._text: Any = None

    def _make_tower(
        self, backend: str, stage: backends.StageCallback | None
    ) -> tuple[ImageTower, str]:
        """The graph prepare() built (or built here, silently, if it was not called)."""
        if backend == "torch":
            return self._reference_tower(), backend
        path = self._cache_path(".visual.onnx")
        return backends.graph_tower(backend, path, self._writer(_image_graph), stage), backend

    def onnx_tower_file(self) -> tuple[Path, bool]:
        """(the ONNX file of the image tower, built on first use; whether a constant 1 is
        appended to its output before the projection), for `phototag batch prepare`."""
        self.prepare()
        return self._cache_path(".visual.onnx"), self._appends_one

    def _reference_tower(self) -> ImageTower:
        """open_clip's own image tower on the same weights (`phototag[torch]`)."""
        try:
            from phototag.core.model.encoder import torch_visual
        except ImportError as exc:
            raise needs_torch("the torch backend") from exc
        return backends.torch_tower(torch_visual(self.spec, self._weights))

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        """Tokens cut after the longest prompt's end token: padding costs most of the text
        tower's time (77 positions for a few words), and the causal mask makes the cut exact."""
        if not texts:
            return np.empty((0, self.embed_dim), np.float32)
        from phototag.core.model.tokenizer import tokenizer

        tokens = tokenizer()(texts)
        ends = tokens.argmax(axis=1)  # the end token has the highest id
        tokens = tokens[:, : int(ends.max()) + 1]
        (embeddings,) = self._text_session().run(None, {"tokens": tokens, "ends": ends})
        return embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)

    def _text_session(self) -> Any:
        """Built once; once built, used without the lock (a scan converting the image tower
        holds it for seconds)."""
        if self._text is None:
            with self._building:
                if self._text is None:
                    path = self._cache_path(".text.onnx")
                    self._text = backends.cached_session(path, self._writer(_text_graph))
        return self._text

    def prepare(self, stage: backends.StageCallback | None = None) -> None:
        """Build the towers' graphs that are not cached yet, telling `stage` each one: on first
        use of a model, so a scan's progress does not sit at 0 meanwhile (ViT-B-32: 14 s the
        image tower, 10 s the text tower, measured at load average 21). Says nothing when both
        are cached."""
        with self._building:
            self._prepare(stage)

    def _prepare(self, stage: backends.StageCallback | None) -> None:
        report = stage or (lambda what, step, steps: None)
        missing = [
            (suffix, build)
            for suffix, build in ((".visual.onnx", _image_graph), (".text.onnx", _text_graph))
            if not self._cache_path(suffix).exists()
        ]
        quantizes = backends.chosen() == "onnx-int8" and not (
            backends.int8_path(self._cache_path(".visual.onnx")).exists()
        )
        steps = len(missing) + quantizes
        for step, (suffix, build) in enumerate(missing):
            report(backends.GRAPH_STAGES[suffix], step, steps)
            with replacing(self._cache_path(suffix)) as temporary:
                self._writer(build)(temporary)
        self._tower(lambda what, _step, _steps: report(what, steps - 1, steps))

    def _writer(self, build: Callable[[dict[str, np.ndarray], Any], Any]) -> Callable[[Path], None]:
        def write(path: Path) -> None:
            import onnx

            state = _read_weights(self.spec, self._weights)
            try:
                graph = build(state, self._layout)
            except (KeyError, ValueError, IndexError) as exc:  # tensors of another model
                raise _unloadable(self.spec, self._weights, exc) from exc
            onnx.save_model(graph, path)

        return write


def _image_graph(state: dict[str, np.ndarray], layout: Any) -> Any:
    from phototag.core.model import graphs

    return graphs.image_graph(state, layout.vision_heads, layout.quick_gelu)


def _text_graph(state: dict[str, np.ndarray], layout: Any) -> Any:
    from phototag.core.model import graphs

    return graphs.text_graph(state, layout.text_heads, layout.quick_gelu)


def _read_small_tensors(spec: ModelSpec, path: Path) -> tuple[np.ndarray, int, int]:
    """(visual.proj, patch size, positions) without reading the rest of the file; refuses a file
    whose tensors cannot be this model's."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="numpy") as f:
            projection = f.get_tensor("visual.proj")
            patch = f.get_slice("visual.conv1.weight").get_shape()[-1]
            positions = f.get_slice("visual.positional_embedding").get_shape()[0]
            width = f.get_slice("visual.ln_post.weight").get_shape()[0]
            text_width = f.get_slice("text_projection").get_shape()[1]
    except Exception as exc:
        raise _unloadable(spec, path, exc) from exc
    if projection.ndim != 2 or projection.shape != (width, text_width):
        shape = "x".join(map(str, projection.shape))
        raise _unloadable(
            spec, path, ValueError(f"visual.proj is {shape}, not {width}x{text_width}")
        )
    return projection, int(patch), int(positions)


def _read_weights(spec: ModelSpec, path: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    try:
        return load_file(str(path))
    except Exception as exc:
        raise _unloadable(spec, path, exc) from exc


def _unloadable(spec: ModelSpec, path: Path, exc: BaseException) -> UserError:
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return UserError(f"cannot load {path} as {spec.arch} weights: {reason}")
