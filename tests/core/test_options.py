"""Settings are declared once (core/options.py): the library writes no other key, and no caller
spells a key out where the declaration could be used."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from phototag.core import options
from phototag.core.options import LIBRARY_OPTIONS, SIDECARS_ON_CONFIRM, Option

ROOT = Path(__file__).resolve().parents[2]
SETTING_CALLS = {"setting", "set_setting"}


def test_every_library_option_has_a_key_of_its_own_and_says_what_it_is_for():
    keys = [option.key for option in LIBRARY_OPTIONS]
    assert len(keys) == len(set(keys))
    assert all(option.comment.strip() for option in LIBRARY_OPTIONS)
    declared = [v for v in vars(options).values() if isinstance(v, Option)]
    assert set(declared) == set(LIBRARY_OPTIONS)


def test_a_library_in_use_stores_only_declared_settings(library, photo_set):
    _, made = photo_set
    library.sidecars_on_confirm = False
    library.raw_sidecar_name = library.raw_sidecar_name
    library.set_method(library.method())
    library.tag("red", made["red"][:2])

    stored = {row["key"] for row in library.store.query("SELECT key FROM settings")}

    assert stored == {option.key for option in LIBRARY_OPTIONS}


@pytest.mark.parametrize("value", [True, False])
def test_a_boolean_option_reads_back_what_was_written(library, value):
    SIDECARS_ON_CONFIRM.write(library.store, value)
    assert SIDECARS_ON_CONFIRM.read(library.store) is value
    assert library.sidecars_on_confirm is value


def test_an_absent_option_reads_as_its_default(tmp_path):
    from phototag.core.library import Library

    with Library(tmp_path / "new") as library:
        assert [o.read(library.store) for o in LIBRARY_OPTIONS] == [
            o.default for o in LIBRARY_OPTIONS
        ]


def _literal_keys(path: Path) -> list[str]:
    """Calls like store.setting("key") whose key is a string literal, as file:line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SETTING_CALLS
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_no_caller_spells_out_a_setting_key():
    sources = [p for folder in ("core", "cli", "app") for p in (ROOT / folder).rglob("*.py")]
    assert [hit for path in sources for hit in _literal_keys(path)] == []
