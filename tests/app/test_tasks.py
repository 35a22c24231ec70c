"""app/tasks.py: work runs off the GUI thread and its outcome comes back on it."""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QThreadPool

from phototag.app.tasks import TaskCancelled, run_task

TIMEOUT_MS = 10_000


class Outcome:
    """What on_done and on_progress received, and on which thread."""

    def __init__(self):
        self.done: list[tuple[object, BaseException | None, threading.Thread]] = []
        self.reports: list[tuple[tuple, threading.Thread]] = []

    def on_done(self, result, error) -> None:
        self.done.append((result, error, threading.current_thread()))

    def on_progress(self, *values) -> None:
        self.reports.append((values, threading.current_thread()))


def test_the_result_reaches_the_gui_thread_from_another_thread(qtbot):
    outcome = Outcome()
    ran_on = []

    def work(_control):
        ran_on.append(threading.current_thread())
        return 42

    run_task(work, outcome.on_done)
    qtbot.waitUntil(lambda: bool(outcome.done), timeout=TIMEOUT_MS)

    result, error, delivered_on = outcome.done[0]
    assert (result, error) == (42, None)
    assert ran_on[0] is not threading.main_thread()
    assert delivered_on is threading.main_thread()


def test_an_exception_reaches_the_gui_thread_as_the_error(qtbot):
    outcome = Outcome()

    def work(_control):
        raise ValueError("broken photo")

    run_task(work, outcome.on_done)
    qtbot.waitUntil(lambda: bool(outcome.done), timeout=TIMEOUT_MS)

    result, error, delivered_on = outcome.done[0]
    assert result is None
    assert isinstance(error, ValueError)
    assert str(error) == "broken photo"
    assert delivered_on is threading.main_thread()


def test_progress_reaches_the_gui_thread_in_order(qtbot):
    outcome = Outcome()

    def work(control):
        for done in range(1, 4):
            control.report(done, 3)
        return "finished"

    run_task(work, outcome.on_done, on_progress=outcome.on_progress)
    qtbot.waitUntil(lambda: bool(outcome.done), timeout=TIMEOUT_MS)

    assert [values for values, _ in outcome.reports] == [(1, 3), (2, 3), (3, 3)]
    assert {thread for _, thread in outcome.reports} == {threading.main_thread()}


def test_a_cancelled_task_stops_at_its_next_check(qtbot):
    outcome = Outcome()
    steps = []
    running = threading.Event()

    def work(control):
        while True:
            control.check()
            steps.append(1)
            running.set()
            time.sleep(0.001)

    task = run_task(work, outcome.on_done)
    assert running.wait(TIMEOUT_MS / 1000)
    task.cancel()
    qtbot.waitUntil(lambda: bool(outcome.done), timeout=TIMEOUT_MS)

    assert isinstance(outcome.done[0][1], TaskCancelled)
    assert task.wait(0)
    taken = len(steps)
    qtbot.wait(50)
    assert len(steps) == taken


def test_a_paused_task_waits_until_resumed(qtbot):
    outcome = Outcome()
    at_check = threading.Event()
    go_on = threading.Event()

    def work(control):
        at_check.set()
        go_on.wait()
        control.check()
        return "went on"

    task = run_task(work, outcome.on_done)
    assert at_check.wait(TIMEOUT_MS / 1000)
    task.pause()
    go_on.set()
    assert not task.wait(0.2)
    assert task.is_paused()
    task.resume()
    qtbot.waitUntil(lambda: bool(outcome.done), timeout=TIMEOUT_MS)
    assert outcome.done[0][:2] == ("went on", None)


def test_a_task_cancelled_before_it_starts_never_runs_its_function(qtbot):
    pool = QThreadPool()
    pool.setMaxThreadCount(1)
    blocker = threading.Event()
    first, second = Outcome(), Outcome()
    ran = []
    run_task(lambda _c: blocker.wait(), first.on_done, pool=pool)
    waiting = run_task(lambda _c: ran.append(1), second.on_done, pool=pool)

    waiting.cancel()
    blocker.set()
    qtbot.waitUntil(lambda: bool(second.done), timeout=TIMEOUT_MS)

    assert isinstance(second.done[0][1], TaskCancelled)
    assert ran == []
    pool.waitForDone()


def test_a_cancel_callback_stops_work_that_waits_in_its_own_loop(qtbot):
    outcome = Outcome()
    stopping = threading.Event()
    registered = threading.Event()

    def work(control):
        control.on_cancel(stopping.set)
        registered.set()
        stopping.wait()
        return "stopped cleanly"

    task = run_task(work, outcome.on_done)
    assert registered.wait(TIMEOUT_MS / 1000)
    task.cancel()
    qtbot.waitUntil(lambda: bool(outcome.done), timeout=TIMEOUT_MS)
    assert outcome.done[0][:2] == ("stopped cleanly", None)
