"""Where Phototag's Ray runtime keeps its session: short enough for Ray's socket paths."""

import os
import tempfile

from phototag.core.batch import runtime


def test_a_temp_folder_too_long_for_rays_sockets_is_passed_over_for_tmp(monkeypatch, tmp_path):
    long_base = tmp_path / ("x" * 60)
    long_base.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(long_base))
    assert runtime._short_temp_base() == "/tmp"


def test_a_short_temp_folder_is_kept(monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", "/tmp")
    assert runtime._short_temp_base() == "/tmp"
    monkeypatch.setattr(tempfile, "tempdir", "/var/tmp")
    assert runtime._short_temp_base() == "/var/tmp"


def test_a_process_keeps_one_private_folder_and_token_for_every_runtime_it_starts():
    """Ray reads the token's path at its import: a second runtime after ray.shutdown() with a
    new token failed to start its GCS."""
    first = runtime._private_folder()
    token = os.environ["RAY_AUTH_TOKEN_PATH"]
    assert runtime._private_folder() == first
    assert os.environ["RAY_AUTH_TOKEN_PATH"] == token
    assert (first.parent / runtime.TOKEN_FILE).stat().st_mode & 0o777 == 0o600
