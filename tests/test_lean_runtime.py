"""`pip install phototag` is the lean runtime: no torch, no GPU libraries, and it still scans,
takes prompts, refines and exports, on ONNX Runtime and numpy.

A wheel built from the checkout is installed into a venv of its own, with its dependencies
resolved by pip from the package index. That venv is kept in build/ under a name taken from the
dependency list (about 830 MB; the first install took 3-4 minutes here, mostly PySide6 and
scipy), so a later session only reinstalls the wheel itself; a changed dependency list makes a
new one. Then the CLI runs from it on the tiny model.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.photos import write_photo
from tests.test_packaging import REPO, TIMEOUT, _build_wheel, _pyproject, _run

# What must never be installed: torch and its CUDA stack (the nvidia-* wheels), triton.
HEAVY = ("torch", "torchvision", "open-clip-torch", "triton")


def _venv_for_dependencies() -> Path:
    dependencies = json.dumps(sorted(_pyproject()["project"]["dependencies"])).encode()
    name = f"lean-venv-{hashlib.sha256(dependencies).hexdigest()[:12]}"
    return REPO / "build" / name


def _pip_install(python: Path, *args: str | Path) -> None:
    completed = subprocess.run(
        [str(python), "-m", "pip", "--disable-pip-version-check", "--quiet", "install"]
        + [str(arg) for arg in args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=4 * TIMEOUT,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


@pytest.fixture(scope="session")
def lean_bin(tmp_path_factory) -> Path:
    wheel, _ = _build_wheel(tmp_path_factory.mktemp("lean"))
    env = _venv_for_dependencies()
    python = env / "bin" / "python"
    if not (env / "complete").exists():
        shutil.rmtree(env, ignore_errors=True)
        venv.EnvBuilder(with_pip=True).create(env)
        _pip_install(python, wheel)  # resolves every dependency from the index
        (env / "complete").touch()
    else:  # the dependencies are there; the wheel is this checkout's
        _pip_install(python, "--force-reinstall", "--no-deps", wheel)
    return env / "bin"


def installed_names(bin_dir: Path) -> set[str]:
    listing = _run(bin_dir / "python", "-m", "pip", "list", "--format", "json").stdout
    return {entry["name"].lower() for entry in json.loads(listing)}


def test_no_torch_and_no_gpu_package_is_installed(lean_bin):
    names = installed_names(lean_bin)
    assert "phototag" in names
    assert not [n for n in names if n in HEAVY or n.startswith("nvidia")]
    completed = subprocess.run(
        [str(lean_bin / "python"), "-c", "import torch"], capture_output=True, timeout=60
    )
    assert completed.returncode != 0
    assert b"No module named 'torch'" in completed.stderr


def test_the_cli_scans_takes_prompts_and_refines_without_torch(lean_bin, tmp_path):
    library = tmp_path / "library"

    def phototag(*args: str | Path) -> str:
        return _run(lean_bin / "phototag", "--library", library, *args, cwd=tmp_path).stdout

    assert "Photos:   0" in phototag("status")
    photos = [
        write_photo(tmp_path / "photos" / f"{colour}{i}.jpg", [colour], i)
        for i, colour in enumerate(["red", "red", "blue", "blue"])
    ]
    phototag("folders", "add", tmp_path / "photos")
    assert "4 embedded" in phototag("scan", "--model", "tiny-random")
    phototag("labels", "add", "sky", "--prompt", "a photo of the {}")  # runs the text tower
    phototag("tag", "red", photos[0], photos[1])
    phototag("reject", "red", photos[2])
    lines = [json.loads(line) for line in phototag("predict", "--json").splitlines()]
    assert {Path(line["path"]).name for line in lines} == {p.name for p in photos}

    assert "refined from version 0 on 3 photos" in phototag("refine")
    assert "* 1" in phototag("refine", "--list")
    phototag("refine", "--revert")
    assert "* 0" in phototag("refine", "--list")
    status = json.loads(phototag("status", "--json"))
    assert status["embedded"] == 4
    assert status["model"]["name"] == "tiny-random"
    (sky,) = (label for label in status["labels"] if label["name"] == "sky")
    assert sky["prompt"] == "a photo of the sky"


@pytest.mark.parametrize("what", ["MobileCLIP2-S0", "a .pt file"])
def test_what_needs_torch_says_how_to_install_it(lean_bin, tmp_path, what):
    library = str(tmp_path / "lib")
    write_photo(tmp_path / "photos" / "red.jpg", ["red"], 1)
    _run(lean_bin / "phototag", "--library", library, "folders", "add", tmp_path / "photos")
    if what == "MobileCLIP2-S0":
        model = ["--model", "MobileCLIP2-S0"]
    else:
        weights = tmp_path / "weights.pt"
        weights.write_bytes(b"a torch pickle")
        model = ["--model", "tiny-random", "--weights", str(weights)]
    completed = subprocess.run(
        [str(lean_bin / "phototag"), "--library", library, "scan", *model],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        stdin=subprocess.DEVNULL,
    )
    assert completed.returncode == 2  # the machine lacks something (the CLI contract)
    assert completed.stderr.count("\n") == 1
    assert completed.stderr.rstrip().endswith(
        "needs torch, which this install leaves out: pip install 'phototag[torch]'"
    )


if sys.platform != "linux":  # the nvidia wheels are a Linux matter; the test is written for it
    pytestmark = pytest.mark.skip("Linux only")
