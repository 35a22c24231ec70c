"""The Qt binding itself: a broken release must fail here, not crash a user's session."""

from __future__ import annotations

import sys

from phototag.app.photo_model import PhotoModel, Role
from phototag.app.thumbnail_loader import ThumbnailLoader
from phototag.core.browsing import PhotoRef


def test_qt_calling_python_data_that_returns_none_keeps_reference_counts(qapp, tmp_path):
    """PySide6 6.12.0 lost a reference to None on every such call; the grid makes thousands
    a second, and on Python 3.11 the process aborts ("deallocating None")."""
    model = PhotoModel(ThumbnailLoader(tmp_path, 64))
    model.set_photos([PhotoRef("/nowhere.jpg", "ab" * 32)])
    index = model.index(0)
    before = sys.getrefcount(None)
    for _ in range(2000):
        assert index.data(Role.MARK) is None
    assert sys.getrefcount(None) - before > -100


def test_without_a_display_the_app_says_so_instead_of_aborting(monkeypatch):
    from phototag.app.main import display_problem

    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    assert "DISPLAY is not set" in display_problem()
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert display_problem() is None
