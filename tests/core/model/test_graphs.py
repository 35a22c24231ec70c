"""The torch-free towers (graphs.py, through OnnxEncoder) against open_clip on the same weights.

No real weights exist here: each model is open_clip's own architecture, random-initialised, saved
under open_clip's real key names as a safetensors file, the form the hub serves. The oracle is
open_clip's model left as it builds it. Prints the figures the report quotes.
"""

from __future__ import annotations

import numpy as np
import open_clip
import pytest
import torch
from PIL import Image
from safetensors.torch import save_file

from phototag.core.model.backends import agreement
from phototag.core.model.encoder import load_encoder
from phototag.core.model.onnx_encoder import OnnxEncoder
from phototag.core.model.tiny import tiny_state
from tests.core.model.test_tokenizer import AWKWARD

# (phototag's model name, open_clip's architecture)
MODELS = [
    ("tiny-random", "tiny-random"),
    ("ViT-B-32", "ViT-B-32"),
    ("ViT-B-32-openai", "ViT-B-32-quickgelu"),
]
AGREEMENT = 0.99999


@pytest.fixture(autouse=True)
def data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def images() -> list[Image.Image]:
    rng = np.random.default_rng(1)
    noise = [Image.fromarray(rng.integers(0, 256, (300, 400, 3), np.uint8)) for _ in range(2)]
    return [*noise, Image.new("RGB", (240, 320), "red"), Image.new("RGB", (500, 200), "white")]


def random_open_clip(arch: str, tmp_path):
    """open_clip's model for arch with seeded random weights, and the same weights as a file."""
    if arch == "tiny-random" and arch not in open_clip.list_models():
        from importlib import resources

        with resources.as_file(
            resources.files("phototag.resources") / "models" / "tiny-random.json"
        ) as p:
            open_clip.add_model_config(p)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model, _, preprocess = open_clip.create_model_and_transforms(arch)
    path = tmp_path / f"{arch}.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, path)
    return model.eval(), preprocess, path


@pytest.mark.parametrize(("name", "arch"), MODELS, ids=[m[0] for m in MODELS])
def test_towers_agree_with_open_clip_on_the_same_weights(name, arch, tmp_path):
    model, preprocess, path = random_open_clip(arch, tmp_path)
    encoder = load_encoder(name, weights=path)
    assert isinstance(encoder, OnnxEncoder)

    features, embeddings = encoder.encode_images(images())
    batch = torch.stack([preprocess(image) for image in images()])
    with torch.inference_mode():
        expected_embeddings = model.encode_image(batch).numpy()
        model.visual.proj = None
        expected_features = model.visual(batch).numpy()
        tokens = open_clip.get_tokenizer(arch)(AWKWARD)
        expected_texts = model.encode_text(tokens).numpy()
    texts = encoder.encode_texts(AWKWARD)

    figures = {
        "h": agreement(features, expected_features),
        "image embedding": agreement(embeddings, expected_embeddings),
        "prompt embedding": agreement(texts, expected_texts),
    }
    print(name, " ".join(f"{k} {v:.7f}" for k, v in figures.items()))  # the report's figures
    assert min(figures.values()) >= AGREEMENT
    assert encoder.image_size == 224


def test_the_tiny_weights_load_in_open_clip_as_they_are():
    """tiny.py's numpy weights have exactly open_clip's keys and shapes."""
    state = tiny_state()
    with torch.random.fork_rng(devices=[]):
        model, _, _ = open_clip.create_model_and_transforms("tiny-random")
    reference = model.state_dict()
    assert set(state) == set(reference)
    assert all(state[k].shape == tuple(reference[k].shape) for k in reference)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
