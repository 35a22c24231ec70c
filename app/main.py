"""Start the desktop app. `phototag gui` and the `phototag-gui` launcher (the same click command,
phototag.cli.main:gui_main) parse the options and end here."""

from __future__ import annotations

import ctypes.util
import os
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from phototag.app.main_window import MainWindow
from phototag.app.style import apply_style
from phototag.core import EnvironmentProblem, Library


def display_problem() -> str | None:
    """Why no window can open here, checked first: Qt itself aborts the process instead."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("WAYLAND_DISPLAY"):
        return None
    if not os.environ.get("DISPLAY"):
        return "no display to open a window on (DISPLAY is not set); the command line works here"
    if ctypes.util.find_library("xcb-cursor") is None:
        return (
            "Qt needs the system library libxcb-cursor0 to open a window; install it "
            "(e.g. 'sudo apt install libxcb-cursor0')"
        )
    return None


def make_application(argv: list[str] | None = None) -> QApplication:
    """The one QApplication, named so QSettings and the desktop entry find it."""
    app = QApplication.instance() or QApplication(argv or [sys.argv[0]])
    app.setApplicationName("Phototag")
    app.setOrganizationName("phototag")
    app.setDesktopFileName("org.phototag.Phototag")
    apply_style(app)
    return app


def run(library_dir: str | Path | None = None, model: str | None = None) -> int:
    """Open the library's window and run until it is closed; returns the exit code."""
    problem = display_problem()
    if problem is not None:
        raise EnvironmentProblem(problem)
    app = make_application()
    with Library.open(library_dir) as library:
        window = MainWindow(library, model=model)
        window.show()
        return app.exec()
