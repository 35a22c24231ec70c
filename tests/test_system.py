"""The system the desktop app lands on: Qt's xcb libraries are checked before Qt starts, and a
missing one ends `phototag gui` with exit 2 and one line naming the packages to install."""

from __future__ import annotations

import re
from pathlib import Path

from phototag.cli.system import XCB_LIBRARIES, missing, uses_xcb
from tests.e2e.conftest import run_process

ROOT = Path(__file__).resolve().parent.parent
ABSENT = (
    "import phototag.cli.system as system\n"
    "system.XCB_LIBRARIES += (system.SystemLibrary("
    "'libphototag-absent.so.7', 'libphototag-absent7', 'phototag-absent-libs', 'phototag-absent'),)"
)


def _makefile_list(name: str) -> list[str]:
    text = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    (line,) = re.findall(rf"^{name} :=(.*)$", text, flags=re.MULTILINE)
    return line.split()


def test_the_checked_libraries_are_the_packages_make_installs():
    assert [library.debian for library in XCB_LIBRARIES] == _makefile_list("TEST_PACKAGES")


def test_every_library_loads_here():
    """make test installs TEST_PACKAGES, so on a machine it prepared nothing is missing."""
    assert missing(XCB_LIBRARIES) == []


def test_only_an_xcb_start_is_checked():
    assert uses_xcb({"DISPLAY": ":0"})
    assert uses_xcb({"QT_QPA_PLATFORM": "xcb"})
    assert uses_xcb({"QT_QPA_PLATFORM": "xcb:dpi=96", "DISPLAY": ":1"})
    assert not uses_xcb({"QT_QPA_PLATFORM": "offscreen", "DISPLAY": ":0"})
    assert not uses_xcb({"QT_QPA_PLATFORM": "wayland"})
    assert not uses_xcb({})


def test_a_missing_library_ends_gui_in_one_line_naming_the_packages(tmp_path):
    env = {"QT_QPA_PLATFORM": "xcb", "DISPLAY": ":99"}
    result = run_process("--library", str(tmp_path / "lib"), "gui", env=env, prelude=ABSENT)
    assert result.code == 2
    (line,) = result.err.splitlines()
    assert "missing libphototag-absent.so.7" in line
    assert "sudo apt-get install libphototag-absent7" in line
    assert "sudo dnf install phototag-absent-libs" in line
    assert "sudo pacman -S phototag-absent" in line
    assert not (tmp_path / "lib").exists()  # it stopped before opening anything
