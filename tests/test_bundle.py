"""The desktop package `make bundle` builds (dist/phototag_<version>_<arch>.deb), unpacked into a
clean folder with dpkg -x: it runs without this checkout's Python, and its window opens on X11.

Slow-marked (the build takes minutes): `make test` builds the bundle and runs this file with
-m slow. Run alone: make bundle && .venv/bin/python -m pytest -m slow tests/test_bundle.py
"""

from __future__ import annotations

import os
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.app.test_xcb_smoke import open_paint_and_stop
from tests.app.test_xcb_smoke import x_display as x_display  # the fixture

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The .deb unpacked as dpkg would install it, into a folder of its own."""
    debs = sorted((ROOT / "dist").glob(f"phototag_{VERSION}_*.deb"))
    if not debs:
        message = "no bundle: run 'make bundle' first"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    root = tmp_path_factory.mktemp("installed")
    subprocess.run(["dpkg-deb", "-x", str(debs[-1]), str(root)], check=True)
    return root


def _clean_env(tmp_path: Path) -> dict[str, str]:
    """No virtual environment, no PYTHONPATH: only what the package carries."""
    keep = ("HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "HF_HOME")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    return {**env, "PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "offscreen"}


def _run(installed: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(installed / "opt" / "phototag" / "phototag"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_package_carries_the_app_the_desktop_entry_and_its_libraries(installed):
    control = subprocess.run(
        ["dpkg-deb", "-f", str(sorted((ROOT / "dist").glob("*.deb"))[-1]), "Depends"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "libxcb-cursor0" in control
    assert "libxcb-icccm4" in control
    entry = installed / "usr" / "share" / "applications" / "org.phototag.Phototag.desktop"
    assert "Exec=phototag-gui" in entry.read_text()
    icon = installed / "usr/share/icons/hicolor/scalable/apps/org.phototag.Phototag.svg"
    assert icon.is_file()
    assert os.readlink(installed / "usr" / "bin" / "phototag") == "/opt/phototag/phototag"
    bundled = {p.name for p in (installed / "opt" / "phototag" / "_internal").iterdir()}
    # The extras stay out: phototag[torch] and phototag[cluster] (Ray, and the pyarrow and
    # pandas it brings: 220 MB of the first bundle built with them installed).
    extras = {"torch", "open_clip", "triton", "nvidia", "torchvision", "ray", "pyarrow", "pandas"}
    assert not extras & bundled


def test_version_and_status_run_from_the_package(installed, tmp_path):
    env = _clean_env(tmp_path)
    version = _run(installed, "--version", env=env)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"phototag, version {VERSION}"
    status = _run(installed, "--library", str(tmp_path / "lib"), "status", env=env)
    assert status.returncode == 0, status.stderr
    assert "Model:    none yet" in status.stdout


def test_a_tiny_random_scan_runs_from_the_package(installed, tmp_path, photo_set):
    env = _clean_env(tmp_path)
    library = str(tmp_path / "lib")
    assert (
        _run(
            installed, "--library", library, "folders", "add", str(photo_set[0]), env=env
        ).returncode
        == 0
    )
    scan = _run(installed, "--library", library, "scan", "--model", "tiny-random", env=env)
    assert scan.returncode == 0, scan.stderr
    assert "embedded" in scan.stdout


@pytest.mark.parametrize("model", ["tiny-random", None])
def test_the_window_opens_from_the_package_on_x11(installed, x_display, tmp_path, model):
    app = str(installed / "opt" / "phototag" / "phototag")
    command = [app, "--library", str(tmp_path / "lib"), "gui"]
    code, stderr = open_paint_and_stop(
        command + (["--model", model] if model else []), x_display, tmp_path
    )
    assert "Traceback" not in stderr, stderr
    assert code == 0, f"exit {code}; stderr:\n{stderr}"
