"""The window driven the way a person drives it: menu-bar actions, their keyboard shortcuts,
context menus, the details pane's buttons and the real dialogs. Nothing here calls the window's
own methods to decide; every check reads the library back (or the window as it is shown), so a
menu item wired to the wrong verb fails here."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QAction, QContextMenuEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialogButtonBox,
    QFileDialog,
    QInputDialog,
    QLineEdit,
    QMenu,
    QMessageBox,
    QToolButton,
)

from phototag.app.details import LabelRow
from phototag.app.sidebar import COUNTS
from phototag.core.library import Library
from tests.app.helpers import SCAN_TIMEOUT_MS, select_paths, settle, shown_paths, wait_for_scan
from tests.photos import COLOURS, write_photo

TIMEOUT_MS = 60_000
PAUSED_SAMPLES = 6  # the count is read this many times while paused...
PAUSED_SAMPLE_MS = 500  # ...this far apart: about three seconds in which nothing may be embedded


# ----- finding what a person would click -----------------------------------------------------


def _plain(text: str) -> str:
    return text.replace("&", "").split("\t")[0].strip()


def menu_bar_action(window, menu_title: str, text: str) -> QAction:
    """The action named `text` in the menu bar's `menu_title` menu, after the menu has filled
    itself in as it does when it opens."""
    for top in window.menuBar().actions():
        menu = top.menu()
        if menu is not None and _plain(top.text()) == menu_title:
            menu.aboutToShow.emit()
            return _action_in(menu, text)
    raise AssertionError(f"no {menu_title} menu in the menu bar")


def _action_in(menu: QMenu, text: str) -> QAction:
    for action in menu.actions():
        if _plain(action.text()) == text:
            return action
    names = [_plain(a.text()) for a in menu.actions() if a.text()]
    raise AssertionError(f"no {text!r} in the menu: {names}")


def context_menu(qtbot, widget, pos: QPoint) -> QMenu:
    """Right-click `widget` (a scroll area's viewport) at `pos`; the menu that pops up."""
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, widget.mapToGlobal(pos))
    QApplication.sendEvent(widget, event)
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu))
    menu = QApplication.activePopupWidget()
    assert isinstance(menu, QMenu)
    return menu


def choose(menu: QMenu, *texts: str) -> None:
    """Choose texts[-1] in menu, through the submenus texts[:-1], then let the menu close."""
    for text in texts[:-1]:
        submenu = _action_in(menu, text).menu()
        assert submenu is not None, f"{text} opens no submenu"
        submenu.aboutToShow.emit()
        menu = submenu
    _action_in(menu, texts[-1]).trigger()
    popup = QApplication.activePopupWidget()
    while popup is not None:
        popup.close()
        popup = QApplication.activePopupWidget()


def press_shortcut(qtbot, window, action: QAction) -> None:
    """Press the keys the action declares, on the grid, as a person would."""
    sequence = action.shortcut()
    assert not sequence.isEmpty(), f"{action.text()} declares no shortcut"
    combination = sequence[0]
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.grid.setFocus()
    qtbot.keyClick(window.grid, combination.key(), combination.keyboardModifiers())


_expected_dialogs: list[bool] = []  # answer_next_dialog is waiting for one


def answer_next_dialog(qtbot, answer) -> list[bool]:
    """Answer the next modal dialog the window opens (QInputDialog, QMessageBox) with
    answer(dialog), as a person would type and click; returns a flag set once answered."""
    answered: list[bool] = []
    _expected_dialogs.append(True)

    def look() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(20, look)
            return
        _expected_dialogs.pop()
        answer(dialog)
        answered.append(True)

    QTimer.singleShot(0, look)
    return answered


@pytest.fixture(autouse=True)
def unexpected_dialogs_fail(qtbot):
    """A modal dialog nobody expected (the window's warning after a failed task) would block
    the test's event loop for good: close it, and fail the test with what it said."""
    seen: list[str] = []

    def close_unexpected() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is not None and not _expected_dialogs:
            text = dialog.text() if isinstance(dialog, QMessageBox) else dialog.windowTitle()
            seen.append(text)
            dialog.reject()

    watchdog = QTimer()
    watchdog.setInterval(200)
    watchdog.timeout.connect(close_unexpected)
    watchdog.start()
    yield
    watchdog.stop()
    _expected_dialogs.clear()
    assert not seen, f"the window opened a dialog no test step expected: {seen}"


def click_sidebar(qtbot, window, kind: str, key: str | None) -> None:
    settle(window)
    item = window.sidebar.item_for(kind, key)
    assert item is not None, f"no sidebar entry for {kind} {key}"
    rect = window.sidebar.visualItemRect(item)
    qtbot.mouseClick(window.sidebar.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def sidebar_counts(window, name: str) -> tuple[int, int]:
    settle(window)
    item = window.sidebar.item_for("label", name)
    assert item is not None, f"no sidebar entry for {name}"
    return item.data(0, COUNTS)


def status_text(window) -> str:
    settle(window)
    return window.statusBar().currentMessage()


# ----- reading the library back ------------------------------------------------------------


def decisions(window, label: str) -> tuple[set[str], set[str]]:
    """(confirmed, rejected) paths of a label, read by a Library of the test's own once the
    window's library thread has made every decision asked of it."""
    settle(window)
    with Library(window.library.root) as library:
        review = library.review(label)
        return {p.path for p in review.confirmed}, {p.path for p in review.rejected}


def embedded_count(root: Path) -> int:
    """Embeddings in the database, read with sqlite itself (read-only, beside the scan)."""
    connection = sqlite3.connect(f"file:{root / 'library.db'}?mode=ro", uri=True, timeout=30)
    try:
        return connection.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
    except sqlite3.OperationalError:  # the scan has not made the table yet
        return 0
    finally:
        connection.close()


# ----- a label to review ---------------------------------------------------------------------


def teach_red(qtbot, window, made) -> None:
    """Select three red photos, type red into the details pane, then open red's review from
    the sidebar."""
    select_paths(window, made["red"][:3])
    qtbot.keyClicks(window.details.tag_input, "red")
    qtbot.keyClick(window.details.tag_input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.sidebar.item_for("label", "red") is not None)
    click_sidebar(qtbot, window, "label", "red")
    assert sidebar_counts(window, "red")[0] == 3
    assert len(shown_paths(window)) >= 3, "too few red suggestions to confirm and reject"


# ----- confirm and reject --------------------------------------------------------------------


def test_confirm_and_reject_from_the_edit_menu(qtbot, open_window, library_dir, photo_set):
    _, made = photo_set
    window = open_window(library_dir)
    teach_red(qtbot, window, made)
    first, second, third = shown_paths(window)[:3]

    select_paths(window, [first, second])
    confirm = menu_bar_action(window, "Edit", "Confirm")
    assert confirm.isEnabled()
    confirm.trigger()

    confirmed, rejected = decisions(window, "red")
    assert {first, second} <= confirmed
    assert not rejected
    assert sidebar_counts(window, "red")[0] == 5
    assert status_text(window) == "Confirmed 2 photos for red."

    select_paths(window, [third])
    menu_bar_action(window, "Edit", "Reject").trigger()

    confirmed, rejected = decisions(window, "red")
    assert rejected == {third}
    assert third not in confirmed
    assert sidebar_counts(window, "red")[0] == 5
    assert status_text(window) == "Rejected 1 photo for red."
    assert third not in shown_paths(window)  # the suggested section no longer shows it


def test_confirm_and_reject_by_their_keyboard_shortcuts(qtbot, open_window, library_dir, photo_set):
    _, made = photo_set
    window = open_window(library_dir)
    teach_red(qtbot, window, made)
    first, second = shown_paths(window)[:2]

    select_paths(window, [first])
    press_shortcut(qtbot, window, menu_bar_action(window, "Edit", "Confirm"))
    qtbot.waitUntil(lambda: first in decisions(window, "red")[0])
    assert decisions(window, "red")[1] == set()
    assert sidebar_counts(window, "red")[0] == 4

    select_paths(window, [second])
    press_shortcut(qtbot, window, menu_bar_action(window, "Edit", "Reject"))
    qtbot.waitUntil(lambda: second in decisions(window, "red")[1])
    assert second not in decisions(window, "red")[0]
    assert status_text(window) == "Rejected 1 photo for red."


def test_the_photo_context_menu_tags_confirms_and_rejects(
    qtbot, open_window, library_dir, photo_set
):
    _, made = photo_set
    window = open_window(library_dir)
    teach_red(qtbot, window, made)
    first, second = shown_paths(window)[:2]

    def right_click(path: str) -> QMenu:
        select_paths(window, [path])
        row = window.photo_model.row_of(path)
        rect = window.grid.visualRect(window.photo_model.index(row))
        return context_menu(qtbot, window.grid.viewport(), rect.center())

    choose(right_click(first), "Confirm as red")
    assert first in decisions(window, "red")[0]
    assert status_text(window) == "Confirmed 1 photo for red."

    choose(right_click(second), "Not red (reject)")
    confirmed, rejected = decisions(window, "red")
    assert rejected == {second}
    assert second not in confirmed

    click_sidebar(qtbot, window, "all", None)
    blue = str(made["blue"][0])
    select_paths(window, [blue])
    row = window.photo_model.row_of(blue)
    rect = window.grid.visualRect(window.photo_model.index(row))
    choose(context_menu(qtbot, window.grid.viewport(), rect.center()), "Tag As", "red")
    assert blue in decisions(window, "red")[0]
    assert status_text(window).startswith("Tagged 1 photo as red")


def test_untag_in_the_details_pane_withdraws_a_confirmation(
    qtbot, open_window, library_dir, photo_set
):
    _, made = photo_set
    window = open_window(library_dir)
    teach_red(qtbot, window, made)
    target = str(made["red"][0])
    click_sidebar(qtbot, window, "all", None)
    select_paths(window, [target])

    def button(name: str) -> QToolButton | None:
        for row in window.details.findChildren(LabelRow):
            for candidate in row.findChildren(QToolButton):
                if candidate.isVisible() and candidate.accessibleName() == name:
                    return candidate
        return None

    qtbot.waitUntil(lambda: button("untag red") is not None)
    qtbot.mouseClick(button("untag red"), Qt.MouseButton.LeftButton)

    assert target not in decisions(window, "red")[0]
    assert sidebar_counts(window, "red")[0] == 2
    qtbot.waitUntil(lambda: button("confirm red") is not None or button("untag red") is None)
    settle(window)
    with Library(library_dir) as library:
        assert library.photo(target).labels[0].state != "confirmed"


# ----- the sidebar's label menu --------------------------------------------------------------


def test_renaming_choosing_a_method_and_deleting_from_a_labels_context_menu(
    qtbot, open_window, library_dir, photo_set
):
    _, made = photo_set
    window = open_window(library_dir)
    teach_red(qtbot, window, made)

    def label_menu(name: str) -> QMenu:
        rect = window.sidebar.visualItemRect(window.sidebar.item_for("label", name))
        return context_menu(qtbot, window.sidebar.viewport(), rect.center())

    def rename(dialog) -> None:
        assert isinstance(dialog, QInputDialog)
        field = dialog.findChild(QLineEdit)
        field.selectAll()
        qtbot.keyClicks(field, "scarlet")
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()

    answered = answer_next_dialog(qtbot, rename)
    choose(label_menu("red"), "Rename…")
    assert answered == [True]
    settle(window)
    with Library(library_dir) as library:
        assert [info.name for info in library.labels()] == ["scarlet"]
        assert library.labels()[0].confirmed == 3
    assert window.sidebar.item_for("label", "red") is None
    assert sidebar_counts(window, "scarlet")[0] == 3

    methods = [m for m in window.library.methods() if m != window.library.method()]
    assert methods, "only one labelling method is registered"
    choose(label_menu("scarlet"), "Method", methods[0])
    settle(window)
    with Library(library_dir) as library:
        info = library.labels()[0]
        assert (info.method, info.method_is_own) == (methods[0], True)

    def say_yes(dialog) -> None:
        assert isinstance(dialog, QMessageBox)
        dialog.button(QMessageBox.StandardButton.Yes).click()

    answered = answer_next_dialog(qtbot, say_yes)
    choose(label_menu("scarlet"), "Delete Label…")
    assert answered == [True]
    settle(window)
    with Library(library_dir) as library:
        assert library.labels() == []
    assert window.sidebar.item_for("label", "scarlet") is None


# ----- the Model menu ------------------------------------------------------------------------


def _projection_version(root: Path) -> int:
    with Library(root) as library:
        active = next((v for v in library.refinements() if v.active), None)
        return 0 if active is None else active.version


def test_refine_and_revert_from_the_model_menu_keep_every_decision(
    qtbot, open_window, library_dir, photo_set
):
    _, made = photo_set
    window = open_window(library_dir)
    assert not menu_bar_action(window, "Model", "Refine (ProLIP)").isEnabled()
    teach_red(qtbot, window, made)
    refine = menu_bar_action(window, "Model", "Refine (ProLIP)")
    assert refine.isEnabled()

    refine.trigger()
    qtbot.waitUntil(lambda: not window.model_controls.busy, timeout=TIMEOUT_MS)
    assert status_text(window).startswith("Refined the model (version 1")
    assert _projection_version(library_dir) == 1
    assert len(decisions(window, "red")[0]) == 3
    assert sidebar_counts(window, "red")[0] == 3

    revert = menu_bar_action(window, "Model", "Revert Refinement (to version 0)")
    assert revert.isEnabled()
    revert.trigger()
    qtbot.waitUntil(lambda: not window.model_controls.busy, timeout=TIMEOUT_MS)
    assert status_text(window).startswith("Reverted the model to version 0")
    assert _projection_version(library_dir) == 0
    assert len(decisions(window, "red")[0]) == 3
    assert not menu_bar_action(window, "Model", "Revert Refinement").isEnabled()


# ----- adding a folder and scanning ----------------------------------------------------------


def _folder_of(tmp_path: Path, photos: int) -> Path:
    folder = tmp_path / "photos"
    names = list(COLOURS)
    for index in range(photos):
        write_photo(folder / f"p{index:04d}.jpg", [names[index % 4]], seed=5000 + index)
    return folder


def test_add_folder_from_the_file_menu_scans_it(qtbot, open_window, tmp_path, monkeypatch):
    folder = _folder_of(tmp_path, 12)
    root = tmp_path / "library"
    asked: list[str] = []

    def stand_in(parent, caption, directory):  # the OS folder dialog, answered with our folder
        asked.append(caption)
        return str(folder)

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", stand_in)
    window = open_window(root)
    assert window.stack.currentWidget() is window.welcome

    menu_bar_action(window, "File", "Add Folder…").trigger()
    assert asked == ["Add a folder of photos"]
    wait_for_scan(qtbot, window)

    assert embedded_count(root) == 12
    assert window.stack.currentWidget() is window.splitter
    assert window.sidebar.item_for("folder", str(folder)).data(0, COUNTS) == (12,)
    assert window.sidebar.item_for("all", None).data(0, COUNTS) == (12,)
    assert "Scan finished: 12 files, 12 new" in status_text(window)

    write_photo(folder / "later.jpg", ["red"], seed=4999)
    press_shortcut(qtbot, window, menu_bar_action(window, "File", "Scan"))  # F5
    assert window.scan_worker is not None
    wait_for_scan(qtbot, window)
    assert embedded_count(root) == 13
    assert window.sidebar.item_for("folder", str(folder)).data(0, COUNTS) == (13,)


def test_no_photo_is_embedded_while_the_scan_is_paused(qtbot, open_window, tmp_path, monkeypatch):
    photos = 240  # the tiny model takes seconds over these: time to pause halfway
    folder = _folder_of(tmp_path, photos)
    root = tmp_path / "library"
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *_args: str(folder))
    window = open_window(root)
    menu_bar_action(window, "File", "Add Folder…").trigger()
    settle(window)  # the folder is added, and its scan started
    pause = window.progress.pause_button
    assert pause.isVisible()

    qtbot.waitUntil(lambda: embedded_count(root) > 0, timeout=SCAN_TIMEOUT_MS)
    qtbot.mouseClick(pause, Qt.MouseButton.LeftButton)
    assert pause.isChecked()

    # Batches already with the model finish; then the count must hold. Wait until it stops
    # moving (two reads a sample apart agree), bounded only against a hang.
    previous, current = -1, embedded_count(root)
    deadline = time.monotonic() + SCAN_TIMEOUT_MS / 1000
    while current != previous and time.monotonic() < deadline:
        qtbot.wait(PAUSED_SAMPLE_MS)
        previous, current = current, embedded_count(root)
    assert current < photos, "the scan finished although it was paused"
    held = []
    for _ in range(PAUSED_SAMPLES):
        qtbot.wait(PAUSED_SAMPLE_MS)
        held.append(embedded_count(root))
    assert held == [current] * PAUSED_SAMPLES, f"photos were embedded while paused: {held}"
    assert window.scan_worker is not None

    qtbot.mouseClick(pause, Qt.MouseButton.LeftButton)
    assert not pause.isChecked()
    wait_for_scan(qtbot, window)
    assert embedded_count(root) == photos
    assert f"Scan finished: {photos} files, {photos} new" in status_text(window)
