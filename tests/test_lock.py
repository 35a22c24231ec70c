"""The lock file (requirements.lock, `make lock`) pins every dependency pyproject.toml names,
and this environment, installed through it by `make`, runs exactly its versions."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==([^\s;]+)", line)
        if match:
            pins[_normal(match[1])] = match[2]
    return pins


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += extra
    return {_normal(re.split(r"[\s<>=!~\[;]", r, maxsplit=1)[0]) for r in requirements}


def test_every_declared_dependency_is_pinned():
    """Fails after a dependency is added to pyproject.toml until `make lock` is rerun."""
    assert _declared() - set(_pins()) == set()


def test_the_runtime_installed_here_is_the_locked_one():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {
        _normal(re.split(r"[\s<>=!~\[;]", r, maxsplit=1)[0]) for r in project["dependencies"]
    }
    pins = _pins()
    installed = {name: metadata.version(name) for name in runtime}
    assert installed == {name: pins[name] for name in runtime}
