"""Where Phototag's Ray runtime keeps its session: short enough for Ray's socket paths."""

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
