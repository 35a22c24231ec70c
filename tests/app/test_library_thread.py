"""The window's Library runs on a thread of its own (app/library_thread.py): a decision and the
view it leaves are made there, in the order they were asked for, the grid and the sidebar show
them once the job is delivered, and closing the window loses none that is still queued."""

from __future__ import annotations

import functools
import inspect
import threading

import pytest
from PySide6.QtCore import Qt

from phototag.app.photo_model import Role
from phototag.core.library import Library
from tests.app.helpers import select_paths, settle, shown_paths
from tests.app.test_driving import decisions, menu_bar_action, sidebar_counts, status_text


@pytest.fixture
def library_calls(monkeypatch):
    """Every call of a public Library method while `recording` is set: (name, on GUI thread)."""
    calls: list[tuple[str, bool]] = []
    recording = threading.Event()

    def spy(name, method):
        @functools.wraps(method)
        def recorded(*args, **kwargs):
            if recording.is_set():
                calls.append((name, threading.current_thread() is threading.main_thread()))
            return method(*args, **kwargs)

        return recorded

    for name, method in inspect.getmembers(Library, inspect.isfunction):
        if not name.startswith("_"):
            monkeypatch.setattr(Library, name, spy(name, method))
    return calls, recording


def _tag_in_details(qtbot, window, paths, label: str) -> None:
    select_paths(window, paths)
    qtbot.keyClicks(window.details.tag_input, label)
    qtbot.keyClick(window.details.tag_input, Qt.Key.Key_Return)


def test_a_decision_and_the_view_it_leaves_are_read_off_the_gui_thread(
    qtbot, open_window, library_dir, photo_set, library_calls
):
    _, made = photo_set
    window = open_window(library_dir)
    calls, recording = library_calls
    red = [str(p) for p in made["red"][:3]]
    select_paths(window, red)

    recording.set()
    _tag_in_details(qtbot, window, red, "red")
    assert window.sidebar.item_for("label", "red") is None  # not shown before it is delivered
    settle(window)
    recording.clear()

    assert ("tag", False) in calls
    assert {"labels", "photos", "review"} <= {name for name, _ in calls}
    on_gui_thread = [name for name, gui in calls if gui]
    assert not on_gui_thread, f"the GUI thread called the Library: {on_gui_thread}"
    assert sidebar_counts(window, "red")[0] == 3
    model = window.photo_model
    assert {model.index(model.row_of(path)).data(Role.MARK) for path in red} == {"confirmed"}


def test_every_kind_of_decision_leaves_the_gui_thread_free_of_library_calls(
    qtbot, open_window, library_dir, photo_set, library_calls
):
    _, made = photo_set
    window = open_window(library_dir)
    window.tag_paths("red", made["red"][:3])
    settle(window)
    window.sidebar.select("label", "red")
    victim = shown_paths(window)[0]
    calls, recording = library_calls
    steps = {
        "reject": lambda: (
            select_paths(window, [victim]),
            menu_bar_action(window, "Edit", "Reject").trigger(),
        ),
        "set_threshold": lambda: window.header.review.slider.setValue(1),
        "undo": lambda: window.undo_controls.undo_action.trigger(),
        "redo": lambda: window.undo_controls.redo_action.trigger(),
        "untag": lambda: window._decide("untag", "red", [str(made["red"][0])]),
    }
    for verb, step in steps.items():
        settle(window)
        calls.clear()
        recording.set()
        step()
        qtbot.waitUntil(lambda v=verb: any(name == v for name, _ in calls))  # the slider waits
        settle(window)
        recording.clear()
        assert (verb, False) in calls, f"{verb} was not made on the library thread: {calls}"
        on_gui_thread = [name for name, gui in calls if gui]
        assert not on_gui_thread, f"{verb}: the GUI thread called the Library: {on_gui_thread}"


def test_two_quick_decisions_are_made_and_shown_in_the_order_they_were_asked(
    qtbot, open_window, library_dir, photo_set, library_calls
):
    _, made = photo_set
    window = open_window(library_dir)
    window.tag_paths("red", made["red"][:3])
    settle(window)
    window.sidebar.select("label", "red")
    target = shown_paths(window)[0]
    calls, recording = library_calls

    recording.set()
    for _ in range(4):  # confirm, reject, confirm, reject: only the order tells the outcome
        window._decide("tag", "red", [target])
        window._decide("reject", "red", [target])
    settle(window)
    recording.clear()

    verbs = [name for name, _ in calls if name in ("tag", "reject")]
    assert verbs == ["tag", "reject"] * 4
    confirmed, rejected = decisions(window, "red")
    assert target in rejected
    assert target not in confirmed
    assert target not in shown_paths(window)  # suggested no more: the last decision shows
    window.header.review.segments["rejected"].click()
    assert shown_paths(window) == [target]


def test_closing_the_window_with_decisions_queued_still_makes_them(
    qtbot, open_window, library_dir, photo_set
):
    _, made = photo_set
    window = open_window(library_dir)
    first, second = (str(p) for p in made["blue"][:2])
    window.tag_paths("sky", [first])
    window.tag_paths("sky", [second])
    assert not window.library_thread.idle  # queued when the window closes

    window.close()

    with Library(library_dir) as library:
        assert {p.path for p in library.review("sky").confirmed} == {first, second}


def test_a_failed_decision_reaches_the_status_bar_in_one_line(
    qtbot, open_window, library_dir, photo_set
):
    _, made = photo_set
    window = open_window(library_dir)
    window._decide("reject", "no such label", [str(made["red"][0])])
    message = status_text(window)
    assert "no label named 'no such label'" in message
    assert "\n" not in message
    assert menu_bar_action(window, "Edit", "Undo").isEnabled() is False
