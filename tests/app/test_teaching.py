"""The core flow in a real window: first run → add a folder → scan → tag three → review."""

from __future__ import annotations

import shutil

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDropEvent

from phototag.app.details import LabelRow
from phototag.app.photo_model import Role
from phototag.app.sidebar import COUNTS
from tests.app.helpers import select_paths, settle, shown_paths, wait_for_scan

TAGGING_TIMEOUT_MS = 60_000


def _label_counts(window, name: str) -> tuple[int, int]:
    settle(window)
    item = window.sidebar.item_for("label", name)
    assert item is not None, f"no sidebar entry for {name}"
    return item.data(0, COUNTS)


def test_first_run_scan_then_three_examples_light_up_the_label(
    qtbot, open_window, tmp_path, photo_set
):
    root, made = photo_set
    window = open_window(tmp_path / "library")
    assert window.stack.currentWidget() is window.welcome
    qtbot.waitUntil(lambda: "tiny-random, is on this computer" in window.welcome.model_text.text())

    window.add_folder(str(root))
    settle(window)
    settle(window)  # the folder is added, and its scan started
    assert window.progress.isVisible()
    wait_for_scan(qtbot, window)

    assert window.stack.currentWidget() is window.splitter
    assert window.photo_model.rowCount() == sum(len(paths) for paths in made.values())
    select_paths(window, made["red"][:3])
    assert window.details.title.text() == "3 photos selected"
    qtbot.keyClicks(window.details.tag_input, "Rex")
    qtbot.keyClick(window.details.tag_input, Qt.Key.Key_Return)

    # Waits on the sidebar's count (a deadline only against a hang, not a speed requirement).
    qtbot.waitUntil(
        lambda: (
            window.sidebar.item_for("label", "Rex") is not None
            and _label_counts(window, "Rex")[0] == 3
        ),
        timeout=TAGGING_TIMEOUT_MS,
    )
    confirmed, suggested = _label_counts(window, "Rex")
    assert confirmed == 3
    assert suggested > 0
    marks = {
        window.photo_model.photo(row).path: window.photo_model.index(row).data(Role.MARK)
        for row in range(window.photo_model.rowCount())
    }
    assert {marks[str(p)] for p in made["red"][:3]} == {"confirmed"}
    lit = {path for path, mark in marks.items() if mark == "suggested"}
    assert lit & {str(p) for p in made["red"][3:]}
    assert not lit & {str(p) for p in made["green"] + made["blue"]}


def test_threshold_slider_changes_the_suggested_count(qtbot, open_window, library_dir, photo_set):
    _, made = photo_set
    window = open_window(library_dir)
    window.tag_paths("red", made["red"][:3])
    settle(window)
    window.sidebar.select("label", "red")
    settle(window)
    before = window.photo_model.rowCount()
    slider = window.header.review.slider
    assert slider.isEnabled()

    slider.setValue(slider.maximum())
    settle(window)
    qtbot.waitUntil(lambda: window.photo_model.rowCount() < before)
    assert window.library.review("red").threshold_is_automatic is False

    slider.setValue(slider.minimum())
    settle(window)
    qtbot.waitUntil(lambda: window.photo_model.rowCount() > before)

    window.header.review.auto_button.click()
    settle(window)
    qtbot.waitUntil(lambda: window.photo_model.rowCount() == before)


def test_rejecting_a_suggestion_moves_it_out_of_suggested(
    qtbot, open_window, library_dir, photo_set
):
    _, made = photo_set
    window = open_window(library_dir)
    window.tag_paths("red", made["red"][:3])
    settle(window)
    window.sidebar.select("label", "red")
    settle(window)
    victim = shown_paths(window)[0]
    select_paths(window, [victim])
    assert window.details.title.text() == victim.rsplit("/", 1)[-1]

    window.header.review.reject_button.click()
    settle(window)

    assert victim not in shown_paths(window)
    window.header.review.segments["rejected"].click()
    settle(window)
    assert shown_paths(window) == [victim]
    assert window.photo_model.index(0).data(Role.MARK) == "rejected"


def test_confirming_in_the_details_pane_and_undoing_it(qtbot, open_window, library_dir, photo_set):
    _, made = photo_set
    window = open_window(library_dir)
    window.tag_paths("red", made["red"][:3])
    settle(window)
    target = str(made["red"][5])
    select_paths(window, [target])

    def shown_labels():
        rows = window.details.findChildren(LabelRow)
        return [(r.label.name, r.label.state) for r in rows if r.isVisible()]

    qtbot.waitUntil(lambda: shown_labels() == [("red", "suggested")])
    window.details.decisionRequested.emit("red", "confirm")
    settle(window)
    assert _label_counts(window, "red")[0] == 4
    assert window.library.photo(target).labels[0].state == "confirmed"
    qtbot.waitUntil(lambda: shown_labels() == [("red", "confirmed")])

    window.details.decisionRequested.emit("red", "untag")
    settle(window)
    assert _label_counts(window, "red")[0] == 3


def test_dropping_photos_on_a_label_tags_them(qtbot, open_window, library_dir, photo_set):
    _, made = photo_set
    window = open_window(library_dir)
    window.tag_paths("green", made["green"][:3])
    settle(window)
    window.sidebar.select("all", None)
    settle(window)
    rows = [window.photo_model.row_of(str(p)) for p in made["green"][3:5]]
    mime = window.photo_model.mimeData([window.photo_model.index(r) for r in rows])
    target = window.sidebar.visualItemRect(window.sidebar.item_for("label", "green")).center()
    drop = QDropEvent(
        QPointF(target),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.sidebar.dropEvent(drop)
    settle(window)

    assert _label_counts(window, "green")[0] == 5
    assert window.sidebar.label_at(QPoint(target)) == "green"


def test_a_corrupt_file_is_listed_in_the_panel_and_the_scan_finishes(
    qtbot, open_window, tmp_path, photo_set
):
    _, made = photo_set
    folder = tmp_path / "photos"
    folder.mkdir()
    for path in made["blue"][:4]:
        shutil.copy(path, folder / path.name)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not a photo")
    window = open_window(tmp_path / "library")

    window.add_folder(str(folder))
    settle(window)
    wait_for_scan(qtbot, window)

    assert window.photo_model.rowCount() == 4
    assert window.problems.isVisible()
    assert window.problems.paths() == [str(folder / "broken.jpg")]
    assert window.problems_button.isVisible()
    assert "Scan finished" in window.statusBar().currentMessage()
