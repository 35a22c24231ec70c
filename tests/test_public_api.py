"""The layers' one-way rule (docs: architecture.md): app/ and cli/ use only phototag.core's
public API (the names in its __all__), and core/ imports neither of them. Read from the
sources with ast, so an import inside a function counts as much as one at the top."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import phototag.core

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = set(phototag.core.__all__)


def _sources(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def _imports(path: Path) -> Iterator[tuple[int, str, list[str]]]:
    """(line, module, names imported from it) for every import in the file."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module, [alias.name for alias in node.names]


def _private_uses(path: Path, root: Path = ROOT) -> list[str]:
    """What the file takes from phototag.core besides the public names."""
    found = []
    where = path.relative_to(root)
    for line, module, names in _imports(path):
        if module.startswith("phototag.core."):
            found.append(f"{where}:{line} imports the submodule {module}")
        elif module == "phototag.core":
            unknown = [name for name in names if name not in PUBLIC]
            found += [f"{where}:{line} imports {name}, not in __all__" for name in unknown]
    return found


@pytest.mark.parametrize("folder", ["app", "cli"])
def test_app_and_cli_import_only_the_public_api_of_core(folder):
    assert [use for path in _sources(folder) for use in _private_uses(path)] == []


def test_core_imports_neither_the_app_nor_the_command_line():
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in _sources("core")
        for line, module, _ in _imports(path)
        if module.split(".")[:2] in (["phototag", "app"], ["phototag", "cli"])
    ]
    assert wrong == []


def test_the_checker_sees_a_private_import(tmp_path):
    """The rule above would pass vacuously if the parsing missed imports: it must not."""
    module = tmp_path / "bad.py"
    module.write_text(
        "def f():\n"
        "    from phototag.core.library import Library\n"
        "    from phototag.core import Library, clean_label_name\n"
    )
    found = [use.split(" ", 1)[1] for use in _private_uses(module, tmp_path)]
    assert found == [
        "imports the submodule phototag.core.library",
        "imports clean_label_name, not in __all__",
    ]


def test_every_public_name_resolves():
    missing = [name for name in PUBLIC if getattr(phototag.core, name, None) is None]
    assert missing == []


def test_type_checkers_see_the_same_names_as_the_lazy_imports():
    tree = ast.parse((ROOT / "core" / "__init__.py").read_text(encoding="utf-8"))
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING"
    )
    seen = {
        alias.asname or alias.name
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert seen == PUBLIC


def test_importing_core_is_light_and_sets_the_privacy_switches():
    script = (
        "import os, sys, phototag.core\n"
        "print(sorted(m for m in sys.modules if m.startswith('phototag')))\n"
        "print([os.environ[v] for v in "
        "('HF_HUB_OFFLINE', 'HF_HUB_DISABLE_TELEMETRY', 'ORT_DISABLE_TELEMETRY')])\n"
        "print('numpy' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    ).stdout.splitlines()
    assert out == ["['phototag', 'phototag.core']", "['1', '1', '1']", "False"]
