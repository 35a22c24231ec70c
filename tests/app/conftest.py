"""Real windows against real libraries: the tiny model, generated photos, offscreen Qt."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from phototag.core.library import Library
from tests.app.helpers import settle


@pytest.fixture
def open_window(qtbot, qapp) -> Iterator[Callable]:
    """open_window(library_dir, model=...) -> a shown MainWindow, closed after the test."""
    from phototag.app.main import make_application
    from phototag.app.main_window import MainWindow

    make_application()
    opened: list[tuple[MainWindow, Library]] = []

    def open_(root: Path, model: str | None = "tiny-random") -> MainWindow:
        library = Library(root)
        window = MainWindow(library, model=model)
        qtbot.addWidget(window)
        window.show()
        opened.append((window, library))
        settle(window)
        return window

    yield open_
    for window, library in opened:
        window.close()
        library.close()
