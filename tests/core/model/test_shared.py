"""One loaded model per process (core/model/shared.py): every Library of the process gets the same
copy, loaded once even when threads ask at once; a refinement reaches the encoders of other
Libraries, and weights replaced on disk are a new model."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
from safetensors.numpy import load_file, save_file

from phototag.core.library import Library
from phototag.core.model.encoder import load_encoder
from phototag.core.model.shared import shared_model
from tests.photos import write_photo


class SessionCount:
    """Every ONNX Runtime session the process creates from now on, counted by graph file: the
    real loads (a spy on the real class, which still builds each session)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.graphs: list[str] = []
        counted = self.graphs

        class CountedSession(onnxruntime.InferenceSession):
            def __init__(self, path, *args, **kwargs):
                counted.append(Path(path).name)
                super().__init__(path, *args, **kwargs)

        monkeypatch.setattr(onnxruntime, "InferenceSession", CountedSession)


@pytest.fixture
def sessions(monkeypatch) -> SessionCount:
    return SessionCount(monkeypatch)


def own_weights(folder: Path) -> Path:
    """The tiny model's weights under a path of this test's own: a model no other test has
    loaded in this process, so every load is counted here."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "own.safetensors"
    shutil.copy(load_encoder("tiny-random").weights_path, path)
    return path


def scanned_library(tmp_path: Path, weights: Path) -> Path:
    folder = tmp_path / "photos"
    for index, colour in enumerate(["red", "blue", "red"]):
        write_photo(folder / f"{colour}_{index}.jpg", [colour], seed=index)
    root = tmp_path / "library"
    with Library(root) as library:
        library.add_folder(folder)
        library.scan(model="tiny-random", weights=weights)
    return root


def test_threads_asking_at_once_share_one_model_and_one_session_per_tower(tmp_path, sessions):
    root = scanned_library(tmp_path, own_weights(tmp_path / "weights"))
    start = threading.Barrier(4)
    models, texts = [], []

    def search() -> None:
        with Library(root) as library:
            start.wait()
            models.append(library._encoder().model)
            texts.append(library.embed_text("a red photo"))

    threads = [threading.Thread(target=search) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({id(model) for model in models}) == 1
    assert all(np.array_equal(text, texts[0]) for text in texts)
    assert sorted(sessions.graphs) == ["own.text.onnx", "own.visual.onnx"]


def test_a_refinement_reaches_the_encoder_of_another_library(tmp_path):
    root = scanned_library(tmp_path, own_weights(tmp_path / "weights"))
    with Library(root) as refining, Library(root) as watching:
        before = watching._encoder()
        for colour in ("red", "blue"):
            paths = [p.path for p in refining.photos() if colour in Path(p.path).name]
            refining.tag(colour, paths)
        refining.refine(steps=20)
        after = watching._encoder()
        active = refining._encoder().projection

    assert after.model is before.model  # no reload: the projection is the library's own
    assert not np.array_equal(before.projection, active)
    assert np.array_equal(after.projection, active)


def test_weights_replaced_in_place_are_a_new_model(tmp_path):
    weights = own_weights(tmp_path / "weights")
    first = shared_model("tiny-random", weights)
    assert shared_model("tiny-random", weights) is first
    state = load_file(str(weights))
    state["visual.proj"] = state["visual.proj"] * 2
    save_file(state, str(weights))

    replaced = shared_model("tiny-random", weights)

    assert replaced is not first
    assert replaced.model_key != first.model_key
    assert np.array_equal(replaced.projection, first.projection * 2)
