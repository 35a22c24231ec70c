"""Turns photos and prompts into CLIP embeddings, on this machine only.

Two encoders. The plain CLIP ViTs (ViT-B-32, ViT-B-32-openai, ViT-B-16, tiny-random) with
safetensors weights load as onnx_encoder.OnnxEncoder: ONNX graphs built from the weights, no
torch, the lean runtime. Everything else (MobileCLIP2, a .pt or .bin weights file) goes through
open_clip's own loading code here, which needs `phototag[torch]`: hub-cached weights by tag, or a
weights file by path.

Besides the embedding, each image yields `h`, the visual feature before the final projection:
ProLIP (methods.md §2) retrains only that projection, so the projection is split off the model
and applied in numpy, and `h` is stored next to the embedding. Preprocessing is pixels.py's
torch-free copy of open_clip's, so decode workers can do it.

torch and open_clip are imported inside functions: importing this module must stay cheap, and
must work where they are not installed.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from phototag.core.atomic import replacing
from phototag.core.errors import EnvironmentProblem, UserError, WeightsMissing
from phototag.core.ingest.hashing import content_hash
from phototag.core.ingest.pixels import recipe_of
from phototag.core.model import backends, hub, network
from phototag.core.model.backends import ImageTower
from phototag.core.model.onnx_encoder import EncoderBase, OnnxEncoder, needs_torch
from phototag.core.model.specs import TINY_MODEL, ModelSpec, get_spec
from phototag.core.model.tiny import GENERATOR, tiny_config_bytes, tiny_state
from phototag.core.paths import models_dir

if TYPE_CHECKING:
    import torch
    from open_clip import CLIP, CustomTextCLIP  # open_clip has no type information: Any to mypy
    from PIL import Image


class Encoder(EncoderBase):
    """One open_clip model (`phototag[torch]`), ready for inference, with its visual projection
    held apart.

    Takes the model over: it is reparameterized and loses its visual projection in place.
    """

    def __init__(
        self,
        spec: ModelSpec,
        model: torch.nn.Module,
        preprocess: Callable[[Image.Image], torch.Tensor],
        model_key: str,
        weights_path: Path | None = None,
    ):
        import open_clip

        self.spec = spec
        self.model_key = model_key
        self.weights_path = weights_path
        self._preprocess = preprocess
        self._tokenizer = open_clip.get_tokenizer(spec.arch)
        model.eval()
        _reparameterize(model)
        # Typed as open_clip's model classes, not torch.nn.Module, whose attribute lookups mypy
        # types as Tensor | Module, so calling encode_text would not type-check.
        self._model: CLIP | CustomTextCLIP = model
        self._visual, projection, self._appends_one = _split_projection(
            model.get_submodule("visual")
        )
        self._set_projection(projection.numpy())
        size = open_clip.get_model_preprocess_cfg(model)["size"]
        self.image_size = size if isinstance(size, int) else min(size)
        # What decode workers apply to each photo, without torch.
        self.pixel_recipe = recipe_of(preprocess)
        self._cut_text = _text_tower_is_causal(model)

    def preprocess(self, image: Image.Image) -> torch.Tensor:
        return self._preprocess(image)

    def _make_tower(
        self, backend: str, stage: backends.StageCallback | None
    ) -> tuple[ImageTower, str]:
        """torch when the ONNX export fails or disagrees."""
        path = self._cache_path(".visual.onnx")
        return backends.image_tower(self._visual, backend, path, self.image_size, stage)

    def onnx_tower_file(self) -> tuple[Path, bool]:
        """(the ONNX file of the image tower, exported and checked against torch on first use;
        whether a constant 1 is appended to its output before the projection), for
        `phototag batch prepare`, whose workers run the tower without torch."""
        path = self._cache_path(".visual.onnx")
        _, backend = backends.image_tower(self._visual, "onnx", path, self.image_size)
        if backend != "onnx" or not path.is_file():
            raise EnvironmentProblem(f"the image tower of {self.spec.name} has no ONNX export")
        return path, self._appends_one

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.empty((0, self.embed_dim), np.float32)
        import torch

        tokens = self._tokenizer(texts)
        with torch.inference_mode():
            if self._cut_text:
                features = _encode_cut_tokens(self._model, tokens)
            else:
                features = self._model.encode_text(tokens)
            return torch.nn.functional.normalize(features, dim=-1).numpy()


def load_encoder(name: str, weights: Path | None = None) -> EncoderBase:
    spec = get_spec(name)
    if weights is not None:
        weights = Path(weights)
        if not weights.is_file():
            raise UserError(f"weights file not found: {weights}")
        return _encoder_for_file(spec, weights, f"{spec.arch}/file:{_sha256_prefix(weights)}")
    if spec.pretrained is None:
        path = default_weights(spec)
        assert path is not None  # the tiny model's are made here
        return _encoder_for_file(spec, path, f"{spec.name}/{_tiny_config_digest()}")
    cached = default_weights(spec)
    key = f"{spec.arch}/{spec.pretrained}"
    if cached is not None and _is_safetensors(cached) and spec.plain_vit is not None:
        return OnnxEncoder(spec, cached, key)
    _require_torch(spec)
    model, preprocess = _create_from_tag(spec)
    return Encoder(spec, model, preprocess, key)


def default_weights(spec: ModelSpec) -> Path | None:
    """The file load_encoder loads when given no weights path: the tiny model's (made first if
    missing), else the hub cache's (None when it is not on this machine)."""
    if spec.pretrained is None:
        path = _tiny_weights_path()
        if not path.exists():
            _write_tiny_weights(path)
        return path
    return _cached_hub_file(spec)


def _encoder_for_file(spec: ModelSpec, path: Path, key: str) -> EncoderBase:
    if spec.plain_vit is not None and _is_safetensors(path):
        return OnnxEncoder(spec, path, key)
    _require_torch(spec, path)
    model, preprocess = _create_from_file(spec, path)
    return Encoder(spec, model, preprocess, key, path)


def _is_safetensors(path: Path) -> bool:
    return path.suffix == ".safetensors"


def _require_torch(spec: ModelSpec, path: Path | None = None) -> None:
    """Sets torch's threads to all cores, or says in one line how to install it."""
    try:
        import open_clip  # noqa: F401 - only whether it imports
        import torch
    except ImportError as exc:
        what = f"loading {path.name}" if path is not None else f"the model {spec.name}"
        raise needs_torch(what) from exc
    torch.set_num_threads(os.cpu_count() or 1)


def _cached_hub_file(spec: ModelSpec) -> Path | None:
    """The first of the spec's hub files in the local Hugging Face cache (no network)."""
    from huggingface_hub import try_to_load_from_cache

    repo_id, filenames = hub.hub_files(spec)
    for filename in filenames:
        found = try_to_load_from_cache(repo_id, filename)
        if isinstance(found, str):
            return Path(found)
    return None


def torch_visual(spec: ModelSpec, path: Path):
    """open_clip's image tower for a weights file, its projection split off: the reference the
    torch backend runs (raises ImportError without `phototag[torch]`)."""
    import open_clip  # noqa: F401 - ImportError here, not halfway through

    _require_torch(spec, path)
    model, _ = _create_from_file(spec, path)
    model.eval()
    visual, _, _ = _split_projection(model.get_submodule("visual"))
    return visual


def download_weights(name: str, progress: hub.ProgressCallback | None = None) -> Path:
    """The only function that lets the process reach the network (core/model/hub.py)."""
    spec = get_spec(name)
    if spec.pretrained is None:
        path = _tiny_weights_path()
        _write_tiny_weights(path)
        return path
    repo_id, filenames = hub.hub_files(spec)
    return hub.download(repo_id, filenames, progress)


def weights_available(name: str) -> bool:
    """Answers from the local cache alone, as the offline process must."""
    spec = get_spec(name)
    return spec.pretrained is None or _cached_hub_file(spec) is not None


def _create_from_tag(spec: ModelSpec):
    import open_clip
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        with network.offline(), _quiet_open_clip():
            model, _, preprocess = open_clip.create_model_and_transforms(
                spec.arch, pretrained=spec.pretrained, require_pretrained=True
            )
    except RuntimeError as exc:
        # open_clip wraps huggingface_hub's offline refusal twice: RuntimeError from
        # FileNotFoundError from LocalEntryNotFoundError (from OfflineModeIsEnabled).
        if any(isinstance(e, LocalEntryNotFoundError) for e in _exception_chain(exc)):
            raise WeightsMissing(
                f"model weights for {spec.name} ({spec.pretrained}) are not on this machine; "
                f"run 'phototag model download {spec.name}' once while online, "
                "or pass --weights PATH to a local weights file"
            ) from exc
        raise
    return model, preprocess


def _create_from_file(spec: ModelSpec, path: Path):
    import open_clip

    _register_tiny_config()
    # A tag also sets the preprocessing (MobileCLIP2: no mean/std scaling, bilinear); a file
    # holds only weights, so the tag's preprocessing is applied by hand.
    try:
        with _quiet_open_clip():
            model, _, preprocess = open_clip.create_model_and_transforms(
                spec.arch,
                pretrained=str(path),
                require_pretrained=True,
                image_mean=spec.image_mean,
                image_std=spec.image_std,
                image_interpolation=spec.interpolation,
                image_resize_mode="shortest",
            )
    # The file is the user's: whatever fails to parse or fit in it is a problem with the file.
    except Exception as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise UserError(f"cannot load {path} as {spec.arch} weights: {reason}") from exc
    return model, preprocess


def _exception_chain(exc: BaseException | None) -> Iterator[BaseException]:
    while exc is not None:
        yield exc
        exc = exc.__cause__ or exc.__context__


@contextmanager
def _quiet_open_clip() -> Iterator[None]:
    """Drops open_clip's root-logger chatter while it loads.

    It logs "Model initialized randomly" when the tiny model is first built and an ERROR for
    missing weights that WeightsMissing already explains; the command line prints one line.
    """
    import open_clip

    package_dir = os.path.dirname(open_clip.__file__)

    def keep(record: logging.LogRecord) -> bool:
        return not record.pathname.startswith(package_dir)

    root = logging.getLogger()
    root.addFilter(keep)
    try:
        yield
    finally:
        root.removeFilter(keep)


def _register_tiny_config() -> None:
    import open_clip

    if TINY_MODEL in open_clip.list_models():
        return
    config = resources.files("phototag.resources") / "models" / f"{TINY_MODEL}.json"
    # open_clip names a config after its file stem and reads it at once.
    with resources.as_file(config) as path:
        open_clip.add_model_config(path)


def _tiny_config_digest() -> str:
    """The config and the way its weights are drawn (tiny.py) make the tiny model's identity."""
    return hashlib.sha256(tiny_config_bytes() + GENERATOR.encode()).hexdigest()[:12]


def _tiny_weights_path() -> Path:
    """Named after its config, so a changed config never meets weights of another shape."""
    return models_dir() / f"{TINY_MODEL}-{_tiny_config_digest()}.safetensors"


def _write_tiny_weights(path: Path) -> None:
    """Made with numpy (tiny.py), so the tiny model runs where torch is absent."""
    from safetensors.numpy import save_file

    with replacing(path) as temporary:
        save_file(tiny_state(), str(temporary))


def _sha256_prefix(path: Path) -> str:
    return content_hash(path)[:16]


def _reparameterize(model: torch.nn.Module) -> None:
    """Fuses MobileOne-style branches (MobileCLIP2): same outputs, faster inference."""
    from open_clip.timm_model import TimmModel

    if isinstance(model.visual, TimmModel):
        from timm.utils.model import reparameterize_model

        reparameterize_model(model, inplace=True)


def _split_projection(visual: torch.nn.Module):
    """Removes the last linear map from the image tower.

    Returns (the tower, now image batch -> h; the projection as a (feature_dim, embed_dim)
    tensor; whether a constant 1 is appended to h) such that normalize([h, 1?] @ projection) is
    the model's own normalised image embedding.
    """
    import torch
    from open_clip.timm_model import TimmModel
    from open_clip.transformer import VisionTransformer

    if isinstance(visual, VisionTransformer):
        projection = visual.proj.detach().clone()
        visual.proj = None
        return visual, projection, False
    if isinstance(visual, TimmModel) and len(visual.head) == 0:
        fc = visual.trunk.get_classifier()
        projection = fc.weight.detach().T.clone()
        visual.trunk.reset_classifier(0)
        if fc.bias is None:
            return visual, projection, False
        # A bias is folded in as one more feature that is always 1, so the projection stays a
        # plain matrix that ProLIP can retrain, bias included.
        return visual, torch.cat([projection, fc.bias.detach()[None, :]]), True
    raise NotImplementedError(f"no projection split for {type(visual).__name__}")


def _text_tower_is_causal(model: torch.nn.Module) -> bool:
    """Whether padding after the end token cannot change the output, so it may be cut off.

    True for the CLIP class with a causal mask and end-token pooling (the ViT models). Not for
    MobileCLIP2, whose text tower attends to the padding as well.
    """
    import open_clip
    import torch

    return (
        isinstance(model, open_clip.CLIP)
        and model.attn_mask is not None
        and model.text_pool_type == "argmax"
        and isinstance(model.text_projection, torch.nn.Parameter)
    )


def _encode_cut_tokens(model: CLIP, tokens: torch.Tensor) -> torch.Tensor:
    """open_clip's CLIP.encode_text on tokens cut after the longest prompt's end token.

    Padding costs most of the text tower's time (77 positions for a few words), and
    CLIP.encode_text adds the full 77-long positional embedding and mask, so they are sliced here.
    """
    import torch

    length = int((tokens != 0).nonzero()[:, 1].max()) + 1
    tokens = tokens[:, :length]
    cast_dtype = model.transformer.get_cast_dtype()
    x = model.token_embedding(tokens).to(cast_dtype)
    x = x + model.positional_embedding[:length].to(cast_dtype)
    x = model.transformer(x, attn_mask=model.attn_mask[:length, :length])
    x = model.ln_final(x)
    pooled = x[torch.arange(len(x)), tokens.argmax(dim=-1)]
    return pooled @ model.text_projection
