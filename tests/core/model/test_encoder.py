"""The encoder on the real tiny-random model: no mocks, open_clip's own loading code throughout."""

from __future__ import annotations

import hashlib
import socket
import sys
from pathlib import Path

import numpy as np
import open_clip
import pytest
import torch
from huggingface_hub import constants as hf_constants
from PIL import Image
from safetensors.torch import save_file

from phototag.core.errors import UserError, WeightsMissing
from phototag.core.ingest.pixels import recipe_of
from phototag.core.model.backends import agreement
from phototag.core.model.encoder import (
    Encoder,
    _register_tiny_config,
    download_weights,
    load_encoder,
    weights_available,
)
from phototag.core.model.specs import get_spec

COLOURS = ["red", "blue", "green", "white"]
PROMPTS = ["a dog", "a photo of a beach at sunset with three friends and a kite", "snow"]


class NetworkSpy:
    """Records socket activity while active; an audit hook cannot be removed, so it is shared."""

    EVENTS = frozenset(
        {"socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto"}
    )

    def __init__(self):
        self.active = False
        self.events: list[tuple[str, tuple]] = []
        sys.addaudithook(self._hook)

    def _hook(self, event: str, args: tuple) -> None:
        if self.active and event in self.EVENTS:
            self.events.append((event, args))

    def __enter__(self) -> list[tuple[str, tuple]]:
        self.events.clear()
        self.active = True
        return self.events

    def __exit__(self, *exc_info) -> None:
        self.active = False


_SPY = NetworkSpy()


@pytest.fixture(autouse=True, scope="module")
def tiny_config_in_open_clip() -> None:
    """The oracle below asks open_clip for "tiny-random" by name. The torch-free runtime no
    longer registers it on the way, so this file failed alone (and passed only after a test
    that loads the tiny model through open_clip)."""
    _register_tiny_config()


@pytest.fixture(autouse=True)
def data_home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture
def empty_hf_cache(tmp_path, monkeypatch) -> Path:
    """huggingface_hub read HF_HUB_CACHE at import, so its constant is the one that counts."""
    cache = tmp_path / "hf-cache"
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(cache))
    return cache


def solid_images() -> list[Image.Image]:
    return [Image.new("RGB", (320, 240), colour) for colour in COLOURS]


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def reference_model(weights: Path):
    """The same weights in an open_clip model left exactly as open_clip builds it."""
    model, _, preprocess = open_clip.create_model_and_transforms(
        "tiny-random", pretrained=str(weights)
    )
    return model.eval(), preprocess


def test_tiny_weights_live_under_xdg_data_home_and_are_reproducible(data_home):
    first = load_encoder("tiny-random")
    assert first.weights_path.parent == data_home / "phototag" / "models"
    assert first.weights_path.name.startswith("tiny-random-")
    digest = file_digest(first.weights_path)
    _, embeddings = first.encode_images(solid_images())

    again = load_encoder("tiny-random")
    assert file_digest(again.weights_path) == digest
    first.weights_path.unlink()
    rebuilt = load_encoder("tiny-random")
    assert file_digest(rebuilt.weights_path) == digest
    for encoder in (again, rebuilt):
        assert np.array_equal(encoder.encode_images(solid_images())[1], embeddings)
    assert rebuilt.model_key.startswith("tiny-random/")
    assert rebuilt.spec.meaningless


def test_downloading_the_tiny_model_rebuilds_the_same_file():
    path = load_encoder("tiny-random").weights_path
    digest = file_digest(path)
    path.write_bytes(b"damaged")
    assert download_weights("tiny-random") == path
    assert file_digest(path) == digest


def test_image_embeddings_are_the_projected_features_and_match_open_clip():
    encoder = load_encoder("tiny-random")
    features, embeddings = encoder.encode_images(solid_images())

    assert features.dtype == embeddings.dtype == np.float32
    assert features.shape == (len(COLOURS), encoder.feature_dim)
    assert embeddings.shape == (len(COLOURS), encoder.embed_dim)
    assert encoder.projection.shape == (encoder.feature_dim, encoder.embed_dim)
    assert np.allclose(np.linalg.norm(embeddings, axis=1), 1, atol=1e-6)
    assert not np.allclose(np.linalg.norm(features, axis=1), 1, atol=1e-3)
    projected = features @ encoder.projection
    projected /= np.linalg.norm(projected, axis=1, keepdims=True)
    assert np.abs(projected - embeddings).max() <= 1e-6

    model, preprocess = reference_model(encoder.weights_path)
    assert encoder.pixel_recipe == recipe_of(preprocess)
    batch = torch.stack([preprocess(image) for image in solid_images()])
    with torch.inference_mode():
        expected = model.encode_image(batch, normalize=True).numpy()
    assert np.abs(expected - embeddings).max() <= 1e-5
    assert encoder.image_size == 224


def test_different_images_get_different_embeddings():
    _, embeddings = load_encoder("tiny-random").encode_images(solid_images())
    cosines = embeddings @ embeddings.T
    assert (cosines[~np.eye(len(COLOURS), dtype=bool)] < 0.999).all()


def test_cut_text_tokens_give_the_full_context_result():
    encoder = load_encoder("tiny-random")
    model, _ = reference_model(encoder.weights_path)
    tokens = open_clip.get_tokenizer("tiny-random")(PROMPTS)
    assert tokens.shape[1] == 77
    with torch.inference_mode():
        expected = model.encode_text(tokens, normalize=True).numpy()

    texts = encoder.encode_texts(PROMPTS)
    assert texts.shape == (len(PROMPTS), encoder.embed_dim)
    assert np.abs(texts - expected).max() <= 1e-5
    assert np.abs(encoder.encode_texts(PROMPTS[:1]) - expected[:1]).max() <= 1e-5


def test_missing_hub_weights_fail_offline_with_both_fixes(empty_hf_cache):
    """This module imports huggingface_hub before phototag.core, so the hub starts out online
    here: loading must go offline by itself."""
    with _SPY as events, pytest.raises(WeightsMissing) as raised:
        load_encoder("ViT-B-32")
    message = str(raised.value)
    assert "phototag model download ViT-B-32" in message
    assert "--weights" in message
    assert "\n" not in message
    assert events == []


def test_network_spy_sees_connections():
    with _SPY as events:
        socket.getaddrinfo("127.0.0.1", 9)
    assert [name for name, _ in events] == ["socket.getaddrinfo"]


def test_weights_available_reads_the_local_cache_only(empty_hf_cache):
    with _SPY as events:
        assert weights_available("tiny-random")
        assert not weights_available("ViT-B-32")
    assert events == []


@pytest.mark.parametrize("suffix", [".safetensors", ".pt", ".bin"])
def test_local_weights_file_loads_like_the_tiny_model(tmp_path, suffix):
    tiny = load_encoder("tiny-random")
    _, expected = tiny.encode_images(solid_images())
    model, _ = reference_model(tiny.weights_path)
    path = tmp_path / f"weights{suffix}"
    if suffix == ".safetensors":
        save_file(model.state_dict(), path)
    else:
        torch.save(model.state_dict(), path)

    encoder = load_encoder("tiny-random", weights=path)
    assert encoder.weights_path == path
    assert encoder.model_key == f"tiny-random/file:{file_digest(path)[:16]}"
    embeddings = encoder.encode_images(solid_images())[1]
    if suffix == ".safetensors":  # the same graph on the same weights
        assert np.array_equal(embeddings, expected)
    else:  # a torch pickle: open_clip loads it and torch exports the tower (phototag[torch])
        assert isinstance(encoder, Encoder)
        assert agreement(embeddings, expected) >= 0.99999


def test_missing_weights_file_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="not found"):
        load_encoder("tiny-random", weights=tmp_path / "nope.safetensors")


def test_unloadable_weights_file_is_a_user_error(tmp_path):
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"not a checkpoint at all")
    with pytest.raises(UserError, match="cannot load") as raised:
        load_encoder("tiny-random", weights=garbage)
    assert "\n" not in str(raised.value)


def test_weights_that_do_not_fit_the_architecture_are_a_user_error(tmp_path):
    model, _ = reference_model(load_encoder("tiny-random").weights_path)
    state = model.state_dict()
    state["visual.proj"] = torch.zeros(32, 64)
    path = tmp_path / "other.safetensors"
    save_file(state, path)
    with pytest.raises(UserError, match="as tiny-random weights") as raised:
        load_encoder("tiny-random", weights=path)
    assert "\n" not in str(raised.value)


def test_unknown_model_names_the_known_ones():
    with pytest.raises(UserError, match="unknown model 'ViT-Z'") as raised:
        get_spec("ViT-Z")
    assert "ViT-B-32, ViT-B-32-openai" in str(raised.value)
    assert "tiny-random" in str(raised.value)


def test_mobileclip2_reparameterized_split_matches_the_original():
    """Random init has the compute of the real weights; no download needed."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model, _, preprocess = open_clip.create_model_and_transforms("MobileCLIP2-S0")
    images = [solid_images()[0], Image.effect_noise((256, 256), 64).convert("RGB")]
    with torch.inference_mode():
        expected = model.eval().encode_image(torch.stack([preprocess(i) for i in images]), True)

    encoder = Encoder(get_spec("MobileCLIP2-S0"), model, preprocess, "MobileCLIP2-S0/random")
    features, embeddings = encoder.encode_images(images)

    reparameterizable = [m for m in model.modules() if hasattr(m, "reparam_conv")]
    assert reparameterizable
    assert all(m.reparam_conv is not None for m in reparameterizable)
    assert (features[:, -1] == 1).all()
    assert ((embeddings * expected.numpy()).sum(axis=1) >= 1 - 1e-4).all()
    assert encoder.image_size == 256


def test_the_first_use_converts_the_towers_once_and_says_how_far(tmp_path):
    from phototag.core.library import Library

    folder = tmp_path / "photos"
    folder.mkdir()
    solid_images()[0].save(folder / "red.png")
    reports: list[tuple[str, int, int]] = []
    with Library(tmp_path / "library") as library:
        library.add_folder(folder)
        library.scan(model="tiny-random", stage=lambda *step: reports.append(step))
        assert reports == [
            ("converting the image model for this computer (once)", 0, 2),
            ("converting the text model for this computer (once)", 1, 2),
        ]
        weights = load_encoder("tiny-random").weights_path
        for suffix in (".visual.onnx", ".text.onnx"):
            assert weights.with_name(weights.stem + suffix).stat().st_size > 1000
        reports.clear()
        solid_images()[1].save(folder / "blue.png")
        assert (
            library.scan(model="tiny-random", stage=lambda *step: reports.append(step)).embedded
            == 1
        )
    assert reports == []  # cached: nothing to convert, nothing said
