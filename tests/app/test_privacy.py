"""Opening the window (first-run check for weights, thumbnails, the folder watcher) stays off
the network: a separate process with every connection attempt denied and reported."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.privacy import DENY_NETWORK, NETWORK_ATTEMPT

OPEN_AND_CLOSE = """
from PySide6.QtCore import QTimer
from phototag.app.main import make_application
from phototag.app.main_window import MainWindow
from phototag.core.library import Library

app = make_application()
library = Library(sys.argv[1])
window = MainWindow(library)
window.show()
QTimer.singleShot(6000, window.close)
app.exec()
library.close()
print("closed cleanly")
"""


def test_opening_the_app_makes_no_network_attempt(library_dir):
    completed = subprocess.run(
        [sys.executable, "-c", DENY_NETWORK + OPEN_AND_CLOSE, str(library_dir)],
        capture_output=True,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        stdin=subprocess.DEVNULL,
        timeout=180,
    )
    assert NETWORK_ATTEMPT not in completed.stderr
    assert completed.returncode == 0, completed.stderr
    assert "closed cleanly" in completed.stdout
