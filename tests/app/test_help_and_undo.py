"""The teaching loop in a real window: the Help-this-label tab, label health in the sidebar and
the review header, and Ctrl+Z / Ctrl+Shift+Z over every decision."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from phototag.app.sidebar import COUNTS, WEAK
from tests.app.helpers import select_paths, settle, shown_paths


def _press(qtbot, window, key: Qt.Key, modifiers: Qt.KeyboardModifier) -> None:
    """Keys pressed on the grid of the active window, as the keyboard would (shortcuts
    included)."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.grid.setFocus()
    QTest.keyClick(window.grid, key, modifiers)


def _counts(window, name: str):
    item = window.sidebar.item_for("label", name)
    return None if item is None else item.data(0, COUNTS)


def test_help_this_label_shows_undecided_photos_and_deciding_one_takes_it_off(
    qtbot, open_window, library_dir, photo_set
):
    made = photo_set[1]
    window = open_window(library_dir)
    window.tag_paths("red", made["red"][:3])
    settle(window)
    window.sidebar.select("label", "red")
    settle(window)
    help_tab = window.header.review.segments["help"]
    QTest.mouseClick(help_tab, Qt.MouseButton.LeftButton)
    settle(window)
    assert help_tab.isChecked()
    asked = shown_paths(window)
    expected = [item.path for item in window.library.help_queue("red")]
    assert asked == expected
    assert help_tab.text().endswith(f"  {len(asked)}")
    assert not {os.path.realpath(p) for p in made["red"][:3]} & set(asked)

    select_paths(window, asked[:1])
    QTest.mouseClick(window.header.review.reject_button, Qt.MouseButton.LeftButton)
    settle(window)
    assert asked[0] not in shown_paths(window)
    assert window.header.review.segments["help"].isChecked()


def test_ctrl_z_undoes_a_decision_and_ctrl_shift_z_redoes_it(
    qtbot, open_window, library_dir, photo_set
):
    made = photo_set[1]
    window = open_window(library_dir)
    window.tag_paths("red", made["red"][:3])
    settle(window)
    first_suggested = _counts(window, "red")[1]
    window.sidebar.select("label", "red")
    settle(window)
    select_paths(window, shown_paths(window)[:2])
    QTest.mouseClick(window.header.review.confirm_button, Qt.MouseButton.LeftButton)
    settle(window)
    assert _counts(window, "red")[0] == 5
    assert window.undo_controls.undo_action.text() == "&Undo Tag red: 2 photo(s)"

    _press(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    settle(window)
    assert _counts(window, "red")[0] == 3
    assert "Undid: tag red: 2 photo(s)" in window.statusBar().currentMessage()

    redo = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    _press(qtbot, window, Qt.Key.Key_Z, redo)
    settle(window)
    assert _counts(window, "red")[0] == 5

    _press(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    settle(window)
    _press(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    settle(window)
    assert _counts(window, "red") is None  # the label the first tag created is gone too
    assert not window.undo_controls.undo_action.isEnabled()
    _press(qtbot, window, Qt.Key.Key_Z, redo)
    settle(window)
    assert _counts(window, "red") == (3, first_suggested)


def test_undo_brings_back_a_deleted_label_with_its_examples(
    qtbot, open_window, library_dir, photo_set
):
    made = photo_set[1]
    window = open_window(library_dir)
    window.tag_paths("red", made["red"][:3])
    settle(window)
    before = _counts(window, "red")
    window.library.remove_label("red")
    window.refresh_all()
    settle(window)
    assert _counts(window, "red") is None
    _press(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    settle(window)
    assert _counts(window, "red") == before


def test_a_weak_label_is_marked_in_the_sidebar_and_explained_in_the_review_header(
    qtbot, open_window, library_dir, photo_set
):
    made = photo_set[1]
    window = open_window(library_dir)
    window.tag_paths("sky", made["blue"][:1])
    settle(window)
    window.tag_paths("red", made["red"][:3])
    settle(window)
    sky = window.sidebar.item_for("label", "sky")
    red = window.sidebar.item_for("label", "red")
    assert sky.data(0, WEAK) is True
    assert red.data(0, WEAK) is False
    assert "Weak: only one example" in sky.toolTip(0)
    window.sidebar.select("label", "sky")
    settle(window)
    assert "⚠ only one example" in window.header.subtitle.text()
    window.sidebar.select("label", "red")
    settle(window)
    assert "suggestions to review" in window.header.subtitle.text()
    assert "⚠" not in window.header.subtitle.text()
