"""The README documents every command and option of `phototag`, and each has a help text
(the idea of sqlite-utils' test_docs.py): a new option cannot ship undocumented."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from phototag.cli.main import cli

README_LINES = (Path(__file__).resolve().parents[1] / "README.md").read_text().splitlines()


def _commands(
    command: click.Command, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command under `command` (itself first) with its words after `phototag`."""
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from _commands(sub, (*path, name))


COMMANDS = list(_commands(cli))
IDS = [" ".join(path) or "phototag" for path, _ in COMMANDS]


def _word(text: str) -> re.Pattern:
    """The text as a whole word: `list` does not match inside `--list` or `listing`."""
    return re.compile(rf"(?<![\w-]){re.escape(text)}(?![\w-])")


def documenting_lines(path: tuple[str, ...]) -> list[str]:
    """README lines naming the command: each of its words, or `phototag` for the root."""
    words = [_word(w) for w in (path or ("phototag",))]
    return [line for line in README_LINES if all(w.search(line) for w in words)]


def _options(command: click.Command) -> list[click.Option]:
    return [p for p in command.params if isinstance(p, click.Option)]


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_every_command_is_in_the_readme_with_its_options(path, command):
    lines = documenting_lines(path)
    assert lines, f"README.md does not mention 'phototag {' '.join(path)}'"
    missing = [
        option.opts[0]
        for option in _options(command)
        if not any(_word(option.opts[0]).search(line) for line in lines)
    ]
    assert missing == [], f"README.md lines about {path} do not mention {missing}"


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_every_command_and_option_has_a_help_text(path, command):
    assert (command.help or command.short_help or "").strip(), f"{path} has no help text"
    silent = [option.opts[0] for option in _options(command) if not (option.help or "").strip()]
    assert silent == []


def test_the_walk_sees_nested_commands_and_their_options():
    """Guards the tests above against passing on an empty walk."""
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"folders add", "labels export-pack", "model download", "gui", "eval"} <= names
    folders_add = dict(COMMANDS)[("folders", "add")]
    assert [o.opts[0] for o in _options(folders_add)] == ["--poll"]
