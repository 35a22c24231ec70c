"""Start the desktop app. `phototag gui` and the `phototag-gui` launcher (the same click command,
phototag.cli.main:gui_main) parse the options and end here."""

from __future__ import annotations

import ctypes.util
import os
import signal
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QSocketNotifier, QTimer
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
    with _quit_on_signals(app), Library.open(library_dir) as library:
        window = MainWindow(library, model=model)
        window.show()
        return app.exec()


@contextmanager
def _quit_on_signals(app: QApplication) -> Iterator[None]:
    """SIGTERM (a session ending, `kill`) and Ctrl-C quit as the Quit menu item does: the window
    closes (its state is saved, a scan stops between batches, decode workers end) and the exit
    code is 0. Python runs a signal handler only when it next runs Python code, so the signal
    also wakes Qt's event loop through a socket (signal.set_wakeup_fd), whose notifier is Python
    code. The handlers are in place before the window starts its watcher and until the library
    is closed, so no SIGTERM in between ends the app with the default action (exit 143, its
    workers cut off); the quit is queued, so one that arrives before the loop runs still ends
    it."""
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read)
    notifier.activated.connect(lambda *_: reader.recv(64))

    def quit_() -> None:
        app.closeAllWindows()
        app.quit()

    def on_signal(*_args) -> None:
        QTimer.singleShot(0, quit_)

    previous_fd = signal.set_wakeup_fd(writer.fileno())
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        signal.set_wakeup_fd(previous_fd)
        notifier.setEnabled(False)
        reader.close()
        writer.close()
