"""The image tower's backends on the real tiny-random model: ONNX Runtime against torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from phototag.core.errors import UserError
from phototag.core.model import backends
from phototag.core.model.encoder import load_encoder
from tests.photos import colour_photo


@pytest.fixture(autouse=True)
def data_home(tmp_path, monkeypatch):
    """Fresh weights, so every test here exports the tower itself."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv(backends.BACKEND_VARIABLE, raising=False)
    yield
    backends.prefer(None)


def photos() -> list:
    return [colour_photo([c], seed) for seed, c in enumerate(["red", "green", "blue", "yellow"])]


def embed_with(encoder, backend: str) -> tuple[np.ndarray, np.ndarray]:
    backends.prefer(backend)
    return encoder.encode_images(photos())


def test_onnx_is_the_default_and_matches_torch():
    encoder = load_encoder("tiny-random")
    assert backends.chosen() == "onnx"
    onnx_features, onnx_embeddings = encoder.encode_images(photos())
    assert encoder.image_backend == "onnx"

    torch_features, torch_embeddings = embed_with(encoder, "torch")
    assert encoder.image_backend == "torch"
    assert backends.agreement(onnx_features, torch_features) >= backends.AGREEMENT
    assert backends.agreement(onnx_embeddings, torch_embeddings) >= backends.AGREEMENT


def test_int8_is_close_to_fp32_but_only_on_request():
    encoder = load_encoder("tiny-random")
    _, fp32 = embed_with(encoder, "onnx")
    _, int8 = embed_with(encoder, "onnx-int8")
    assert encoder.image_backend == "onnx-int8"
    cosine = backends.agreement(int8, fp32)
    print(f"int8 vs fp32 cosine on tiny-random: {cosine:.5f}")  # the report's figure
    assert 0.99 <= cosine < 1 - 1e-7


def test_the_export_is_cached_beside_the_weights_and_rebuilt_when_damaged():
    encoder = load_encoder("tiny-random")
    _, expected = encoder.encode_images(photos())
    exported = encoder.weights_path.with_name(encoder.weights_path.stem + ".visual.onnx")
    assert exported.is_file()
    written = exported.stat().st_mtime_ns

    again = load_encoder("tiny-random")
    assert np.array_equal(again.encode_images(photos())[1], expected)
    assert exported.stat().st_mtime_ns == written

    exported.write_bytes(b"half a file")
    rebuilt = load_encoder("tiny-random")
    assert np.array_equal(rebuilt.encode_images(photos())[1], expected)
    assert rebuilt.image_backend == "onnx"
    assert exported.stat().st_size > 1000


def test_embeddings_follow_a_replaced_projection():
    """ProLIP replaces the projection after a refinement; every backend must use it."""
    encoder = load_encoder("tiny-random")
    rng = np.random.default_rng(0)
    encoder.projection = rng.standard_normal(encoder.projection.shape).astype(np.float32)
    for backend in backends.BACKENDS[:2]:
        features, embeddings = embed_with(encoder, backend)
        projected = features @ encoder.projection
        projected /= np.linalg.norm(projected, axis=1, keepdims=True)
        assert np.abs(projected - embeddings).max() <= 1e-6


def test_the_environment_chooses_the_backend_unless_told(monkeypatch):
    monkeypatch.setenv(backends.BACKEND_VARIABLE, "torch")
    assert backends.chosen() == "torch"
    backends.prefer("onnx-int8")
    assert backends.chosen() == "onnx-int8"
    monkeypatch.setenv(backends.BACKEND_VARIABLE, "tensorrt")
    backends.prefer(None)
    with pytest.raises(UserError, match="unknown backend 'tensorrt'"):
        backends.chosen()


class Noisy(torch.nn.Module):
    """Exports fine, but its ONNX twin draws other random numbers: the two disagree."""

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        flat = pixels.flatten(1)
        return flat + 10 * torch.randn_like(flat)


def test_an_export_that_disagrees_with_torch_is_not_kept(tmp_path, caplog):
    path = tmp_path / "noisy.visual.onnx"
    tower, used = backends.image_tower(Noisy(), "onnx", path, size=8)

    assert used == "torch"
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []
    (note,) = [r.getMessage() for r in caplog.records if r.name == backends.__name__]
    assert "disagrees with torch" in note
    assert "\n" not in note
    assert tower(backends.probe_pixels(8)).shape == (4, 3 * 8 * 8)


def test_a_conversion_names_each_step_and_a_cached_one_is_silent():
    heard: list[tuple[str, int, int]] = []
    backends.prefer("onnx-int8")
    load_encoder("tiny-random").prepare(lambda *step: heard.append(step))
    assert heard == [
        (backends.GRAPH_STAGES[".visual.onnx"], 0, 3),
        (backends.GRAPH_STAGES[".text.onnx"], 1, 3),
        (backends.QUANTIZE_STAGE, 2, 3),
    ]
    heard.clear()
    load_encoder("tiny-random").prepare(lambda *step: heard.append(step))
    assert heard == []
