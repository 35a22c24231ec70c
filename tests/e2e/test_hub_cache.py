"""Weights already in a Hugging Face cache, laid out by hand exactly as the hub client writes it
(models--org--name/refs/main, snapshots/<commit>/<file> -> ../../blobs/<sha256>): `model list`
sees the default model and a scan embeds with it, offline, without --weights."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from phototag.cli.main import main
from tests.hub import COMMIT, VIT_B_32_FILE, VIT_B_32_REPO, sha256_of


def lay_out_hub_cache(cache: Path, repo: str, filename: str, weights: Path) -> Path:
    repo_dir = cache / ("models--" + repo.replace("/", "--"))
    blob = repo_dir / "blobs" / sha256_of(weights)
    blob.parent.mkdir(parents=True)
    os.link(weights, blob)  # the same bytes without copying 605 MB
    (repo_dir / "refs").mkdir()
    (repo_dir / "refs" / "main").write_text(COMMIT)
    link = repo_dir / "snapshots" / COMMIT / filename
    link.parent.mkdir(parents=True)
    link.symlink_to(Path("..", "..", "blobs", blob.name))
    return link


def _run(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    with pytest.raises(SystemExit) as stopped:
        main([*args])
    captured = capsys.readouterr()
    return int(stopped.value.code or 0), captured.out, captured.err


def test_a_hub_cache_laid_out_by_hand_is_found_by_model_list_and_scan(
    tmp_path, monkeypatch, capsys, vit_b_32_random, photo_set
):
    from huggingface_hub import constants

    cache = tmp_path / "hub"
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    code, out, _ = _run(capsys, "model", "list")
    assert "ViT-B-32 [default]\tnot downloaded" in out

    lay_out_hub_cache(cache, VIT_B_32_REPO, VIT_B_32_FILE, vit_b_32_random)
    code, out, _ = _run(capsys, "model", "list")
    assert "ViT-B-32 [default]\ton this machine" in out
    folder = tmp_path / "photos"
    folder.mkdir()
    for photo in photo_set[1]["red"][:2]:
        shutil.copy(photo, folder / photo.name)
    library = str(tmp_path / "library")
    assert _run(capsys, "--library", library, "folders", "add", str(folder))[0] == 0
    code, out, err = _run(capsys, "--library", library, "scan")
    assert code == 0, err
    assert "2 embedded" in out
    code, out, _ = _run(capsys, "--library", library, "status")
    assert "Model:    ViT-B-32" in out
