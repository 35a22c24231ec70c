"""Scores people can read, in a real window: one scale on the photo's badge, in the details
pane and in the threshold readout, and a slider that steps one suggestion at a time."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPushButton

from phototag.app.details import LabelRow
from phototag.app.photo_model import Role
from phototag.app.text import percent
from tests.app.helpers import select_paths, settle, shown_paths


def _badges(window) -> dict[str, str]:
    model = window.photo_model
    return {
        model.photo(row).path: percent(model.index(row).data(Role.SCORE))
        for row in range(model.rowCount())
    }


def _suggested(window) -> int:
    return len(window.library.review("red").suggested)


def _press(qtbot, window, key: Qt.Key) -> None:
    """One key on the slider, then the live re-score (coalesced by a short timer)."""
    before = _suggested(window)
    bar = window.header.review
    bar.slider.setFocus()
    QTest.keyClick(bar.slider, key)
    qtbot.waitUntil(lambda: _suggested(window) != before)
    settle(window)


def _readout_number(window) -> str:
    """'28 photos at 62% and up · automatic' -> '62%'."""
    return re.search(r"\d+%", window.header.review.threshold_text.text()).group()


def _reviewing_red(open_window, library_dir, photo_set):
    """A window on a fresh library with "red" taught from three photos and its review open."""
    window = open_window(library_dir)
    window.tag_paths("red", photo_set[1]["red"][:3])
    settle(window)
    window.sidebar.select("label", "red")
    settle(window)
    return window


def test_each_slider_step_is_one_suggestion_and_the_badges_do_not_move(
    qtbot, open_window, library_dir, photo_set
):
    window = _reviewing_red(open_window, library_dir, photo_set)
    bar = window.header.review
    start = _suggested(window)
    assert start >= 2
    assert bar.threshold_text.text().startswith(f"{start} photos at ")
    before = _badges(window)

    _press(qtbot, window, Qt.Key.Key_Right)  # right: fewer
    assert _suggested(window) == start - 1
    assert f"{start - 1} photos" in bar.threshold_text.text()
    assert "set by you" in bar.threshold_text.text()
    moved = _badges(window)
    assert moved == {path: before[path] for path in moved}  # the threshold moved, no badge did
    assert _readout_number(window) == moved[shown_paths(window)[-1]]  # suggestions best first

    _press(qtbot, window, Qt.Key.Key_Left)
    bar.slider.setFocus()
    QTest.keyClick(bar.slider, Qt.Key.Key_Left)  # left: more
    bar.set_review(window.library.review("red"), "suggested", 0)  # a refresh before the re-score
    qtbot.waitUntil(lambda: _suggested(window) == start + 1)
    settle(window)
    assert "set by you" in bar.threshold_text.text()
    more = _badges(window)
    assert all(more[path] == before[path] for path in more.keys() & before.keys())
    assert _readout_number(window) == more[shown_paths(window)[-1]]


def test_the_details_pane_shows_the_badge_number(qtbot, open_window, library_dir, photo_set):
    window = _reviewing_red(open_window, library_dir, photo_set)
    _press(qtbot, window, Qt.Key.Key_Right)  # a threshold set by the user
    photo = shown_paths(window)[0]
    select_paths(window, [photo])
    rows = [r for r in window.details.findChildren(LabelRow) if r.label.name == "red"]
    assert [percent(r.label.score) for r in rows] == [_badges(window)[photo]]


def _rejection_rows(window) -> list[LabelRow]:
    box = window.details.rejections_box
    rows = [box.itemAt(i).widget() for i in range(box.count())]
    return [row for row in rows if isinstance(row, LabelRow) and row.isVisible()]


def test_a_rejection_is_listed_in_the_details_pane_and_withdrawing_it_is_undoable(
    qtbot, open_window, library_dir, photo_set
):
    window = _reviewing_red(open_window, library_dir, photo_set)
    target = shown_paths(window)[0]
    select_paths(window, [target])
    assert not window.details.rejections_header.isVisible()
    window.details.decisionRequested.emit("red", "reject")
    settle(window)
    window.sidebar.select("all", None)  # the rejected photo left the suggestions
    settle(window)
    select_paths(window, [target])
    qtbot.waitUntil(lambda: [r.label.name for r in _rejection_rows(window)] == ["red"])
    assert window.details.rejections_header.isVisible()

    withdraw = _rejection_rows(window)[0].findChild(QPushButton)
    assert withdraw.text() == "Withdraw"
    QTest.mouseClick(withdraw, Qt.MouseButton.LeftButton)
    settle(window)
    assert all(label.state != "rejected" for label in window.library.photo(target).labels)
    qtbot.waitUntil(lambda: not _rejection_rows(window))
    assert not window.details.rejections_header.isVisible()

    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.grid.setFocus()
    QTest.keyClick(window.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    settle(window)
    assert [(label.name, label.state) for label in window.library.photo(target).labels] == [
        ("red", "rejected")
    ]
    qtbot.waitUntil(lambda: [r.label.name for r in _rejection_rows(window)] == ["red"])
