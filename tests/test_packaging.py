"""A non-editable install is complete and runs on its own files.

The editable install finds every folder through setuptools' import hook, so a package missing
from pyproject's list, or a data file missing from package-data, only breaks a real install.
Here a wheel built from the checkout is installed into a fresh venv and the CLI is run from it.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest

from tests.photos import write_photo

REPO = Path(__file__).resolve().parents[1]
PACKAGE_FOLDERS = ("cli", "core", "app", "resources")
# What the app, the tiny model and the tokenizer read through importlib.resources at run time.
RESOURCE_PATTERNS = (
    "models/*.json",
    "models/*.txt.gz",
    "models/LICENSE-*.txt",
    "style.qss",
    "icons/*.svg",
    "*.desktop",
    "golden/*.jpg",
    "golden/*.png",
)
TIMEOUT = 300  # seconds for one command: a hung process fails the test instead of the run


def _pyproject() -> dict:
    with open(REPO / "pyproject.toml", "rb") as file:
        return tomllib.load(file)


def _package_dir() -> dict[str, str]:
    return _pyproject()["tool"]["setuptools"]["package-dir"]


def _dotted_name(folder: Path, package_dir: dict[str, str]) -> str:
    """A folder's import name through package-dir ({"phototag.core": "core"}: core/store is
    phototag.core.store)."""
    relative = folder.relative_to(REPO)
    for name, root in package_dir.items():
        if relative == Path(root) or Path(root) in relative.parents:
            return ".".join([name, *relative.relative_to(root).parts])
    raise AssertionError(f"{relative} lies under no package-dir root")


def _folder_of(package: str, package_dir: dict[str, str]) -> Path:
    """The reverse: the folder setuptools takes a listed package from."""
    for name, root in package_dir.items():
        if package == name or package.startswith(name + "."):
            return REPO / root / Path(*package[len(name) :].split(".")[1:])
    raise AssertionError(f"{package} lies under no package-dir root")


def test_every_package_folder_is_listed():
    package_dir = _package_dir()
    assert set(PACKAGE_FOLDERS) <= set(package_dir.values())
    inits = [init for root in PACKAGE_FOLDERS for init in (REPO / root).rglob("__init__.py")]
    found = {_dotted_name(init.parent, package_dir) for init in inits}
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    missing = sorted(found - listed)
    assert not missing, f"{missing} missing from [tool.setuptools] packages in pyproject.toml"


def test_every_listed_package_is_a_folder():
    package_dir = _package_dir()
    for package in _pyproject()["tool"]["setuptools"]["packages"]:
        assert _folder_of(package, package_dir).is_dir(), package


# ----- a wheel, installed into a venv of its own ---------------------------------------------


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def _installed_version(name: str) -> tuple[int, ...] | None:
    try:
        return _version_tuple(importlib.metadata.version(name))
    except importlib.metadata.PackageNotFoundError:
        return None


def _setuptools_fits() -> bool:
    """Whether this interpreter's setuptools meets build-system.requires and can make a wheel
    (itself from 70.1 on, with the wheel package before), so the wheel can be built without an
    isolated build environment, which pip would fill from the package index."""
    wanted = next(r for r in _pyproject()["build-system"]["requires"] if r.startswith("setuptools"))
    minimum = re.search(r">=\s*([\d.]+)", wanted)
    installed = _installed_version("setuptools")
    if installed is None or (minimum and installed < _version_tuple(minimum.group(1))):
        return False
    return installed >= (70, 1) or _installed_version("wheel") is not None


def _run(*command: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={key: value for key, value in os.environ.items() if key != "PYTHONPATH"},
        stdin=subprocess.DEVNULL,
        timeout=TIMEOUT,
    )
    assert completed.returncode == 0, f"{command}:\n{completed.stdout}\n{completed.stderr}"
    return completed


def _build_wheel(work: Path) -> tuple[Path, str]:
    """(the wheel, pip's build log). pip builds in the source tree (build/, *.egg-info), so the
    build runs on a copy: the checkout stays as it was and no stale build/ can leak in."""
    source = work / "source"
    shutil.copytree(
        REPO,
        source,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache"
        ),
    )
    out = work / "wheels"
    isolation = ["--no-build-isolation"] if _setuptools_fits() else []
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    log = _run(*pip, "wheel", "-v", "--no-deps", *isolation, "-w", out, source, cwd=work)
    (wheel,) = out.glob("phototag-*.whl")
    return wheel, log.stdout + log.stderr


def _dependency_dirs() -> list[str]:
    """The test interpreter's site-packages folders: every dependency lives in one. Added to
    the new venv by a .pth file, they are plain folders there (their own .pth files, such as the
    editable install's import hook, are not run), so phototag itself can only come from the
    wheel."""
    return [entry for entry in sys.path if Path(entry).name in ("site-packages", "dist-packages")]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, str]:
    """(the venv's bin folder, the wheel's build log): the wheel installed with --no-deps into
    a venv made here; the dependencies (gigabytes) are borrowed from the running tests."""
    work = tmp_path_factory.mktemp("packaging")
    wheel, log = _build_wheel(work)
    env = work / "venv"
    venv.EnvBuilder(with_pip=False).create(env)
    python = env / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--python", python]
    # Installed before the .pth exists, so pip sees no phototag (the editable one) to replace.
    _run(*pip, "install", "--no-deps", "--no-index", wheel)
    purelib = _run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))")
    deps = Path(purelib.stdout.strip()) / "_phototag_test_dependencies.pth"
    deps.write_text("".join(f"{folder}\n" for folder in _dependency_dirs()))
    return env / "bin", log


def test_build_lists_every_packaged_folder(installed):
    _, log = installed
    assert "is absent from the `packages` configuration" not in log


def test_the_package_is_imported_from_the_wheel(installed):
    bin_dir, _ = installed
    code = "import phototag.core, phototag.cli.main; print(phototag.core.__file__)"
    imported = Path(_run(bin_dir / "python", "-c", code).stdout.strip()).resolve()
    assert imported.is_relative_to(bin_dir.parent.resolve())
    assert not imported.is_relative_to(REPO)


def test_the_resources_are_installed(installed):
    bin_dir, _ = installed
    code = (
        "import json; from importlib import resources\n"
        "root = resources.files('phototag.resources')\n"
        "print(json.dumps([str(root), sorted(p.name for p in root.iterdir())]))"
    )
    where, names = json.loads(_run(bin_dir / "python", "-c", code).stdout)
    assert Path(where).resolve().is_relative_to(bin_dir.parent.resolve())
    for pattern in RESOURCE_PATTERNS:
        wanted = sorted(REPO.joinpath("resources").glob(pattern))
        assert wanted, pattern
        for path in wanted:
            relative = path.relative_to(REPO / "resources")
            installed_path = Path(where) / relative
            assert installed_path.read_bytes() == path.read_bytes(), relative
    assert {"models", "icons", "style.qss"} <= set(names)


def test_the_cli_runs_from_the_wheel(installed, tmp_path):
    bin_dir, _ = installed
    library = tmp_path / "library"

    def phototag(*args: str | Path) -> str:
        return _run(bin_dir / "phototag", "--library", library, *args, cwd=tmp_path).stdout

    version = _run(bin_dir / "phototag", "--version", cwd=tmp_path).stdout
    assert _pyproject()["project"]["version"] in version
    assert "Photos:   0" in phototag("status")

    photos = [
        write_photo(tmp_path / "photos" / "red.jpg", ["red"], 1),
        write_photo(tmp_path / "photos" / "blue.jpg", ["blue"], 2),
    ]
    phototag("folders", "add", tmp_path / "photos")
    assert "2 embedded" in phototag("scan", "--model", "tiny-random")
    phototag("tag", "red", photos[0])
    lines = [json.loads(line) for line in phototag("predict", "--json").splitlines()]
    by_path = {Path(line["path"]).name: line["labels"] for line in lines}
    assert set(by_path) == {"red.jpg", "blue.jpg"}
    assert by_path["red.jpg"]["red"]["confirmed"] is True
