"""`phototag-gui` is the `gui` command of `phototag` on its own: the same options, the same
one-line failures; nothing here opens a window."""

from __future__ import annotations

import ast
import importlib
import tomllib
from pathlib import Path

import pytest

from phototag.cli.main import gui_main, main

ROOT = Path(__file__).resolve().parents[2]


def _run(entry, args: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as stopped:
        entry(args)
    captured = capsys.readouterr()
    return int(stopped.value.code or 0), captured.out, captured.err


def _no_display(monkeypatch) -> None:
    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)


def test_the_launcher_script_is_the_click_command():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["gui-scripts"]
    module, _, name = scripts["phototag-gui"].partition(":")
    assert getattr(importlib.import_module(module), name) is gui_main


def test_launcher_and_gui_command_take_the_same_options(capsys):
    code, launcher_help, _ = _run(gui_main, ["--help"], capsys)
    assert code == 0
    _, command_help, _ = _run(main, ["gui", "--help"], capsys)
    assert "Usage: phototag-gui [OPTIONS]" in launcher_help
    options = launcher_help.partition("Options:")[2]
    assert "--library" in options
    assert "--model" in options
    assert options == command_help.partition("Options:")[2]


def test_launcher_without_a_display_fails_in_one_line(monkeypatch, capsys, tmp_path):
    _no_display(monkeypatch)
    code, _, err = _run(gui_main, ["--library", str(tmp_path / "lib")], capsys)
    assert code == 2
    assert err.startswith("phototag-gui: no display to open a window on")
    assert len(err.strip().splitlines()) == 1


def test_launcher_refuses_an_unknown_option_as_a_user_error(capsys):
    code, _, err = _run(gui_main, ["--nonsense"], capsys)
    assert code == 1
    assert err.startswith("phototag-gui: No such option '--nonsense'")


def test_gui_command_without_a_display_fails_in_one_line(monkeypatch, capsys, tmp_path):
    _no_display(monkeypatch)
    code, _, err = _run(main, ["--library", str(tmp_path / "lib"), "gui"], capsys)
    assert code == 2
    assert err.startswith("phototag: no display to open a window on")


def test_the_command_line_imports_the_app_only_inside_the_gui_command():
    tree = ast.parse((ROOT / "cli" / "main.py").read_text())
    top_level = [
        node.module
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module is not None
    ]
    assert not [m for m in top_level if m.startswith("phototag.app")]
    gui = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "gui")
    inside = [n.module for n in ast.walk(gui) if isinstance(n, ast.ImportFrom)]
    assert "phototag.app.main" in inside
