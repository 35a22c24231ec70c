"""Classifier packs: a label's classifier shared as a small JSON file, refused when it does not
fit this library's model or was changed, and kept as the user's decision through every re-fit."""

from __future__ import annotations

import base64
import hashlib
import json
import pickle
import shutil

import numpy as np
import pytest

from phototag.core.library import Library


@pytest.fixture
def other_library(tmp_path, scanned_template):
    """A second library that scanned the same photos with the same model."""
    target = tmp_path / "other library"
    shutil.copytree(scanned_template, target)
    with Library(target) as opened:
        yield opened


@pytest.fixture
def pack_file(library, photo_set, tmp_path):
    _, made = photo_set
    library.tag("red", made["red"][:3])
    library.reject("red", made["red+green"][:1])
    path = tmp_path / "red.json"
    library.export_pack("red", path)
    return path


def _review_scores(library: Library, label: str) -> dict[str, float]:
    review = library.review(label)
    return {ref.path: ref.score for ref in review.confirmed + review.suggested}


def _weight(library: Library, label: str) -> np.ndarray:
    state = library._state()
    return next(h for h in state.heads if h.name == label).prototype.weight().copy()


def test_a_pack_scores_another_library_as_it_scored_at_home(library, other_library, pack_file):
    pack = json.loads(pack_file.read_text())
    assert pack["format"] == "phototag-classifier-pack"
    assert pack["n_pos"] == 3
    assert pack["model"]["name"] == "tiny-random"
    assert pack_file.stat().st_size < 8000

    assert other_library.import_pack(pack_file) == ("red", None)

    home, away = _review_scores(library, "red"), _review_scores(other_library, "red")
    assert set(home) == set(away)
    assert len(home) > 3
    np.testing.assert_allclose([away[p] for p in home], list(home.values()), atol=1e-5)
    np.testing.assert_allclose(_weight(other_library, "red"), _weight(library, "red"), atol=1e-6)
    [info] = other_library.labels()
    assert (info.confirmed, info.rejected) == (0, 0)


def test_an_imported_classifier_survives_refits_and_examples_refine_it(
    other_library, pack_file, photo_set
):
    _, made = photo_set
    other_library.import_pack(pack_file, name="Imported")
    imported = _weight(other_library, "Imported")

    other_library.scan()  # re-imprints every label from its examples
    reopened = Library(other_library.root)
    assert np.array_equal(_weight(reopened, "Imported"), imported)

    reopened.tag("Imported", made["red+green"][1:2])
    refined = _weight(reopened, "Imported")
    assert 0.9 < float(refined @ imported) < 1.0
    reopened.untag("Imported", made["red+green"][1:2])
    assert np.array_equal(_weight(reopened, "Imported"), imported)
    reopened.remove_label("Imported")
    assert reopened.store.scalar("SELECT COUNT(*) FROM label_packs") == 0
    reopened.close()


def test_a_pack_of_an_imported_label_carries_its_evidence_on(other_library, pack_file, tmp_path):
    other_library.import_pack(pack_file)
    again = tmp_path / "again.json"
    other_library.export_pack("red", again)
    first, second = json.loads(pack_file.read_text()), json.loads(again.read_text())
    assert second["n_pos"] == first["n_pos"]
    assert second["strength"] == pytest.approx(first["strength"], rel=1e-6)


def _rewritten(pack_file, tmp_path, change) -> str:
    pack = json.loads(pack_file.read_text())
    change(pack)
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(pack))
    return str(path)


def _set_weight(pack: dict, weight: np.ndarray, fix_digest: bool = True) -> None:
    raw = np.asarray(weight, "<f4").tobytes()
    pack["weight"] = base64.b64encode(raw).decode()
    if fix_digest:
        pack["weight_sha256"] = hashlib.sha256(raw).hexdigest()


def _weight_of(pack: dict) -> np.ndarray:
    return np.frombuffer(base64.b64decode(pack["weight"]), "<f4").copy()


def _flip_one_value(pack: dict) -> None:
    weight = _weight_of(pack)
    weight[[0, 1]] = weight[[1, 0]]  # still a unit vector: only the digest can tell
    _set_weight(pack, weight, fix_digest=False)


def _nan_weight(pack: dict) -> None:
    weight = _weight_of(pack)
    weight[0] = np.nan
    _set_weight(pack, weight)


def _wrong_dimension(pack: dict) -> None:
    _set_weight(pack, _weight_of(pack)[:-1] / np.linalg.norm(_weight_of(pack)[:-1]))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_flip_one_value, "does not match its SHA-256"),
        (_nan_weight, "NaN"),
        (_wrong_dimension, "values, the model"),
        (lambda p: p.update(threshold=float("nan")), "not a number"),
        (lambda p: p.update(slope=-1), "out of range"),
        (lambda p: p.update(n_pos="many"), "not a int"),
        (lambda p: p.update(format="something else"), "not a phototag-classifier-pack"),
        (lambda p: p.update(version=99), "format version 99"),
        (lambda p: p["model"].update(embed_dim=10**9), "out of range"),
        (lambda p: p.update(label="a/b"), "reserved"),
        (lambda p: p.update(n_pos=2**64), "'n_pos' = 18446744073709551616 is out of range"),
        (lambda p: p["model"].update(projection_version=2**63), "out of range"),
        (lambda p: p.update(slope=1e9), "'slope' = 1000000000.0 is out of range"),
        # Slope 1e9 with threshold -1 was accepted and suggested every photo at 1.0. A cosine
        # is never below -1: that threshold says yes to every photo in any library; -0.99 is
        # below every score here, so it too would tag the whole library.
        (lambda p: p.update(slope=2000, threshold=-1), "'threshold' = -1.0 is out of range"),
        (lambda p: p.update(threshold=-0.99), "would suggest every one of the 64 photos"),
        (lambda p: p.update(prompt=[[[]]] * 2), "not text"),
    ],
)
def test_a_changed_or_damaged_pack_is_refused_in_one_line(
    phototag, other_library, pack_file, tmp_path, change, message
):
    path = _rewritten(pack_file, tmp_path, change)
    result = phototag("labels", "import-pack", path, library=other_library.root)
    assert result.code == 1
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert phototag("labels", "list", library=other_library.root).out == ""


def test_a_pack_for_another_model_is_refused_naming_both(
    phototag, other_library, pack_file, tmp_path
):
    path = _rewritten(pack_file, tmp_path, lambda p: p["model"].update(key="ViT-B-32/laion2b"))
    result = phototag("labels", "import-pack", path, library=other_library.root)
    assert result.code == 1
    [line] = result.err.strip().splitlines()
    assert "ViT-B-32/laion2b" in line
    assert other_library.model_info().key in line


def test_a_changed_projection_version_imports_with_a_warning(
    phototag, other_library, pack_file, tmp_path
):
    path = _rewritten(pack_file, tmp_path, lambda p: p["model"].update(projection_version=3))
    result = phototag("labels", "import-pack", path, library=other_library.root)
    assert result.code == 0, result.err
    assert "warning: the pack's projection version is 3" in result.err


class _Payload:
    """Unpickling this would create a file: proof that nothing was unpickled."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize("kind", ["pickle", "npz", "empty", "huge", "text", "deep"])
def test_files_that_are_not_packs_are_refused_without_being_loaded(
    phototag, other_library, tmp_path, kind
):
    marker = tmp_path / "unpickled"
    path = tmp_path / f"{kind}.json"
    if kind == "pickle":
        path.write_bytes(pickle.dumps(_Payload(marker)))
    elif kind == "npz":
        np.savez(tmp_path / "arrays.npz", weight=np.array([_Payload(marker)], dtype=object))
        shutil.move(tmp_path / "arrays.npz", path)
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "deep":  # 200 KB of nesting: json's recursion limit, not the size cap
        path.write_text(
            '{"format": "phototag-classifier-pack", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
        )
    elif kind == "huge":
        path.write_text('{"format": "phototag-classifier-pack", "x": "' + "a" * 2_000_000 + '"}')
    else:
        path.write_text("label: red\n")
    result = phototag("labels", "import-pack", path, library=other_library.root)
    assert result.code == 1
    assert "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert not marker.exists()


def test_an_existing_label_is_never_replaced(phototag, library, pack_file):
    result = phototag("labels", "import-pack", pack_file, library=library.root)
    assert result.code == 1
    assert "already exists" in result.err
    assert "--name" in result.err
    result = phototag("labels", "import-pack", pack_file, "--name", "red too", library=library.root)
    assert result.code == 0, result.err
    names = [
        json.loads(line)["name"] for line in phototag("labels", "list", "--json").out.splitlines()
    ]
    assert names == ["red", "red too"]


def test_exporting_a_label_with_nothing_learnt_is_refused(phototag, tmp_path):
    assert phototag("labels", "add", "empty").code == 0
    result = phototag("labels", "export-pack", "empty", tmp_path / "x.json")
    assert result.code == 1
    assert "nothing to share yet" in result.err
    assert not (tmp_path / "x.json").exists()
