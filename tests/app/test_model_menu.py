"""The Model menu in a real window: refine and revert run in a worker with progress in the status
bar; the library's and a label's method are chosen from menus."""

from __future__ import annotations

from phototag.core.library import Library
from tests.app.helpers import settle
from tests.methods import NEAREST, register_test_methods

REFINE_TIMEOUT_MS = 60_000


def _finished(qtbot, window, text: str) -> None:
    qtbot.waitUntil(lambda: not window.model_controls.busy, timeout=REFINE_TIMEOUT_MS)
    settle(window)  # the window shows the library as the refinement left it
    assert text in window.statusBar().currentMessage()
    assert not window.model_controls.progress.isVisible()


def _projection_version(root) -> int:
    with Library(root) as library:
        return library._active_model()["projection_version"]


def test_refine_and_revert_from_the_menu(qtbot, open_window, library_dir, photo_set):
    _, made = photo_set
    window = open_window(library_dir)
    controls = window.model_controls
    assert not controls.refine_action.isEnabled()  # nothing decided yet
    assert not controls.revert_action.isEnabled()
    window.tag_paths("red", made["red"][:3])
    settle(window)
    window.refresh_all()
    settle(window)
    assert controls.refine_action.isEnabled()

    controls.refine_action.trigger()
    settle(window)
    assert controls.progress.isVisible()
    assert not controls.refine_action.isEnabled()
    _finished(qtbot, window, "Refined the model (version 1")
    assert _projection_version(library_dir) == 1
    assert controls.revert_action.isEnabled()
    assert "to version 0" in controls.revert_action.text()
    assert window.library.labels()[0].confirmed == 3

    controls.revert_action.trigger()
    settle(window)
    _finished(qtbot, window, "Reverted the model to version 0")
    assert _projection_version(library_dir) == 0
    assert not controls.revert_action.isEnabled()


def test_choosing_the_library_and_a_label_method_from_menus(
    qtbot, open_window, library_dir, photo_set, monkeypatch
):
    register_test_methods(monkeypatch)
    _, made = photo_set
    window = open_window(library_dir)
    window.tag_paths("red", made["red"][:3])
    settle(window)
    window.tag_paths("blue", made["blue"][:3])
    settle(window)
    controls = window.model_controls

    controls.menu.aboutToShow.emit()
    library_choices = {a.text(): a for a in controls.method_menu.actions()}
    assert library_choices["mwi"].isChecked()
    library_choices[NEAREST].trigger()
    settle(window)
    assert window.library.method() == NEAREST

    from PySide6.QtWidgets import QMenu

    menu = QMenu()
    controls.add_label_menu(menu, "blue")
    label_menu = menu.actions()[0].menu()
    label_choices = {a.text(): a for a in label_menu.actions()}
    assert label_choices[f"Library's ({NEAREST})"].isChecked()
    label_choices["mwi"].trigger()
    settle(window)
    methods = {i.name: (i.method, i.method_is_own) for i in window.library.labels()}
    assert methods == {"red": (NEAREST, False), "blue": ("mwi", True)}
