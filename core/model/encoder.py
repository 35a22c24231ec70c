"""Turns photos and prompts into CLIP embeddings, on this machine only.

Everything goes through open_clip's own loading code: hub-cached weights by tag, or a weights file
by path. The tiny test model takes the file route too, so the tests exercise the same code as a
user's `--weights` file.

Besides the embedding, each image yields `h`, the visual feature before the final projection:
ProLIP (methods.md §2) retrains only that projection, so the projection is split off the model
and applied here, and `h` is stored next to the embedding. The tower runs on the backend chosen
in backends.py (ONNX Runtime by default), and preprocessing is pixels.py's torch-free copy of
open_clip's, so decode workers can do it.

torch and open_clip are imported inside functions: importing this module must stay cheap.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from phototag.core.atomic import replacing
from phototag.core.errors import EnvironmentProblem, UserError, WeightsMissing
from phototag.core.ingest.pixels import recipe_of
from phototag.core.model import backends, network
from phototag.core.model.backends import ImageTower
from phototag.core.model.projection import project_rows
from phototag.core.model.specs import TINY_MODEL, ModelSpec, get_spec
from phototag.core.paths import models_cache_dir, models_dir

if TYPE_CHECKING:
    import torch
    from open_clip import CLIP, CustomTextCLIP  # open_clip has no type information: Any to mypy
    from PIL import Image

_TINY_SEED = 0


class Encoder:
    """One loaded model, ready for inference, with its visual projection held apart.

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
        # Settable: ProLIP replaces it with a refined projection; every embedding uses it.
        self.projection = projection.numpy().copy()
        self.feature_dim, self.embed_dim = self.projection.shape
        size = open_clip.get_model_preprocess_cfg(model)["size"]
        self.image_size = size if isinstance(size, int) else min(size)
        # What decode workers apply to each photo, without torch.
        self.pixel_recipe = recipe_of(preprocess)
        self._cut_text = _text_tower_is_causal(model)
        self._towers: dict[str, tuple[ImageTower, str]] = {}

    def preprocess(self, image: Image.Image) -> torch.Tensor:
        return self._preprocess(image)

    def encode_images(self, images: list[Image.Image]) -> tuple[np.ndarray, np.ndarray]:
        """(features h, not normalised; embeddings, L2-normalised), both float32, one row each."""
        crops = [self.pixel_recipe.crop_of(image.convert("RGB")) for image in images]
        return self.encode_crops(np.stack(crops) if crops else np.empty((0, 1, 1, 3), np.uint8))

    def encode_crops(self, crops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
        return features, project_rows(features, self.projection)

    @property
    def image_backend(self) -> str:
        """The backend that runs the image tower: the chosen one, or torch after a failed
        ONNX export. Asking may export the tower (once per model, then cached)."""
        return self._tower()[1]

    def _tower(self) -> tuple[ImageTower, str]:
        backend = backends.chosen()
        if backend not in self._towers:
            self._towers[backend] = backends.image_tower(
                self._visual, backend, self._onnx_path(), self.image_size
            )
        return self._towers[backend]

    def onnx_tower_file(self) -> tuple[Path, bool]:
        """(the ONNX file of the image tower, exported and checked against torch on first use;
        whether a constant 1 is appended to its output before the projection), for
        `phototag batch prepare`, whose workers run the tower without torch."""
        path = self._onnx_path()
        _, backend = backends.image_tower(self._visual, "onnx", path, self.image_size)
        if backend != "onnx" or not path.is_file():
            raise EnvironmentProblem(f"the image tower of {self.spec.name} has no ONNX export")
        return path, self._appends_one

    def _onnx_path(self) -> Path:
        """Beside the tiny model's weights (made here, so deleting them resets both); for other
        weights, in the user's cache, named after the model key (which pins the weights)."""
        if self.spec.pretrained is None and self.weights_path is not None:
            return self.weights_path.with_name(self.weights_path.stem + ".visual.onnx")
        name = re.sub(r"[^A-Za-z0-9._-]", "_", self.model_key)
        return models_cache_dir() / f"{name}.visual.onnx"

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


def load_encoder(name: str, weights: Path | None = None) -> Encoder:
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    spec = get_spec(name)
    _register_tiny_config()
    if weights is not None:
        weights = Path(weights)
        if not weights.is_file():
            raise UserError(f"weights file not found: {weights}")
        model, preprocess = _create_from_file(spec, weights)
        return Encoder(
            spec, model, preprocess, f"{spec.arch}/file:{_sha256_prefix(weights)}", weights
        )
    if spec.pretrained is None:
        path = _tiny_weights_path()
        if not path.exists():
            _write_tiny_weights(path)
        model, preprocess = _create_from_file(spec, path)
        return Encoder(spec, model, preprocess, f"{spec.name}/{_tiny_config_digest()}", path)
    model, preprocess = _create_from_tag(spec)
    return Encoder(spec, model, preprocess, f"{spec.arch}/{spec.pretrained}")


def download_weights(name: str) -> Path:
    """The only function that lets the process reach the network."""
    spec = get_spec(name)
    if spec.pretrained is None:
        path = _tiny_weights_path()
        _write_tiny_weights(path)
        return path
    from huggingface_hub.utils import logging as hub_logging
    from open_clip.pretrained import download_pretrained, get_pretrained_cfg

    # The hub logs every retry as a warning; one line at the end says what went wrong.
    verbosity = hub_logging.get_verbosity()
    hub_logging.set_verbosity_error()
    try:
        with network.online(), _quiet_open_clip():
            path = download_pretrained(get_pretrained_cfg(spec.arch, spec.pretrained))
    except FileNotFoundError as exc:
        raise EnvironmentProblem(
            f"could not download {spec.name} from the Hugging Face hub; check the internet "
            "connection and try again, or pass --weights PATH to a weights file you already have"
        ) from exc
    finally:
        hub_logging.set_verbosity(verbosity)
    return Path(path)


def weights_available(name: str) -> bool:
    """Answers from the local cache alone, as the offline process must."""
    spec = get_spec(name)
    if spec.pretrained is None:
        return True
    from huggingface_hub import try_to_load_from_cache

    repo_id, filenames = _hub_files(spec)
    return any(isinstance(try_to_load_from_cache(repo_id, f), str) for f in filenames)


def _hub_files(spec: ModelSpec) -> tuple[str, list[str]]:
    """The repository and file names open_clip tries, in its order (see open_clip/pretrained.py)."""
    from open_clip.constants import HF_SAFE_WEIGHTS_NAME, HF_WEIGHTS_NAME
    from open_clip.pretrained import get_pretrained_cfg

    repo_id, filename = os.path.split(get_pretrained_cfg(spec.arch, spec.pretrained)["hf_hub"])
    filename = filename or HF_WEIGHTS_NAME
    if filename == HF_WEIGHTS_NAME:
        return repo_id, [HF_SAFE_WEIGHTS_NAME, filename]
    if filename.endswith((".bin", ".pth")):
        return repo_id, [filename[:-4] + ".safetensors", filename]
    return repo_id, [filename]


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

    # A tag also sets the preprocessing (MobileCLIP2: no mean/std scaling, bilinear); a file
    # holds only weights, so the tag's preprocessing is applied by hand.
    tag_cfg = open_clip.get_pretrained_cfg(spec.arch, spec.pretrained) if spec.pretrained else {}
    try:
        with _quiet_open_clip():
            model, _, preprocess = open_clip.create_model_and_transforms(
                spec.arch,
                pretrained=str(path),
                require_pretrained=True,
                image_mean=tag_cfg.get("mean"),
                image_std=tag_cfg.get("std"),
                image_interpolation=tag_cfg.get("interpolation"),
                image_resize_mode=tag_cfg.get("resize_mode"),
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
    config = resources.files("phototag.resources") / "models" / f"{TINY_MODEL}.json"
    return hashlib.sha256(config.read_bytes()).hexdigest()[:12]


def _tiny_weights_path() -> Path:
    """Named after its config, so a changed config never meets weights of another shape."""
    return models_dir() / f"{TINY_MODEL}-{_tiny_config_digest()}.safetensors"


def _write_tiny_weights(path: Path) -> None:
    """Random init with a fixed seed, so every machine and every run gets the same bits."""
    import open_clip
    import torch
    from safetensors.torch import save_file

    _register_tiny_config()
    with torch.random.fork_rng(devices=[]), _quiet_open_clip():
        torch.manual_seed(_TINY_SEED)
        model = open_clip.create_model(TINY_MODEL, pretrained=None)
    state = {key: value.contiguous() for key, value in model.state_dict().items()}
    with replacing(path) as temporary:
        save_file(state, str(temporary))


def _sha256_prefix(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


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
