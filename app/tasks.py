"""The GUI's one way to run work off the GUI thread (Picard's run_task idea).

    task = run_task(func, on_done, on_progress=..., parent=widget)

`func(control)` runs on a worker thread; `on_done(result, error)` then runs on the GUI thread
with func's result (error None), or with the exception func raised (TaskCancelled once the task
was cancelled). Long work reports through `control.report(...)`, which reaches `on_progress`
on the GUI thread, and calls `control.check()` between steps, where a paused task waits and a
cancelled one raises TaskCancelled. The Task returned pauses, resumes, cancels and waits.

By default each task gets a thread of its own; with `pool` it queues on that QThreadPool by
`priority` instead (many small jobs, or a one-thread pool so every job of a series runs on the
same thread, where a SQLite connection opened by an earlier job may be used again).

Qt delivers the results: workers emit the signals of one QObject that lives in the GUI thread
for good, and Qt queues them there. A task whose parent was destroyed delivers nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

REPORT_INTERVAL_S = 0.1  # the GUI repaints a progress bar ten times a second at most

Done = Callable[[Any, BaseException | None], None]


class TaskCancelled(Exception):
    """Raised inside a task by control.check() once the task was cancelled."""


class TaskControl:
    """What func holds on its worker thread: progress out, pause and cancel in."""

    def __init__(self, send: Callable[[tuple], None]):
        self._send = send
        self._running = threading.Event()
        self._running.set()
        self._cancelled = threading.Event()
        self._on_cancel: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._last_report = 0.0

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def check(self) -> None:
        """Wait while the task is paused; raise TaskCancelled once it is cancelled."""
        self._running.wait()
        if self._cancelled.is_set():
            raise TaskCancelled

    def report(self, *values: object, final: bool = True) -> None:
        """Send values to on_progress. A report that is not `final` is dropped when the last
        one went out less than REPORT_INTERVAL_S ago, so a fast loop cannot flood the GUI."""
        now = time.monotonic()
        if not final and now - self._last_report < REPORT_INTERVAL_S:
            return
        self._last_report = now
        self._send(values)

    def on_cancel(self, stop: Callable[[], None]) -> None:
        """Call `stop` (on the cancelling thread) when the task is cancelled: for work that
        waits in its own loop, like the folder watcher, rather than calling check()."""
        with self._lock:
            if not self._cancelled.is_set():
                self._on_cancel.append(stop)
                return
        stop()

    def _cancel(self) -> None:
        with self._lock:
            self._cancelled.set()
            stops, self._on_cancel = self._on_cancel, []
        self._running.set()
        for stop in stops:
            stop()


class _Runnable(QRunnable):
    def __init__(self, work: Callable[[], None]):
        super().__init__()
        self._work = work

    def run(self) -> None:
        self._work()


class _Dispatcher(QObject):
    """The one GUI-thread object workers emit to. It is never deleted, so a worker can never
    emit into an object the GUI thread is deleting (a crash, not an exception, in Qt)."""

    progressed = Signal(object, object)  # task, values
    ended = Signal(object, object, object)  # task, result, error

    @Slot(object, object)
    def deliver_progress(self, task: Task, values: tuple) -> None:
        task._deliver_progress(values)

    @Slot(object, object, object)
    def deliver_end(self, task: Task, result, error) -> None:
        task._deliver(result, error)


_dispatcher: _Dispatcher | None = None


def _gui_dispatcher() -> _Dispatcher:
    """Made on first use, by run_task on the GUI thread, so it lives there."""
    global _dispatcher
    if _dispatcher is None:
        _dispatcher = _Dispatcher()
        _dispatcher.progressed.connect(_dispatcher.deliver_progress)
        _dispatcher.ended.connect(_dispatcher.deliver_end)
    return _dispatcher


class Task:
    """One run of func, made by run_task. Its outcome is delivered unless `parent` (a QObject)
    was destroyed meanwhile: callbacks into a closed window are never called."""

    def __init__(
        self,
        func: Callable[[TaskControl], Any],
        on_done: Done,
        on_progress: Callable[..., None] | None = None,
        parent: QObject | None = None,
    ):
        self._func = func
        self._on_done = on_done
        self._on_progress = on_progress
        self._parent = parent
        self._dispatcher = _gui_dispatcher()
        self.control = TaskControl(self._emit_progress)
        self.started = False
        self.delivered = False
        self._finished = threading.Event()

    def pause(self) -> None:
        self.control._running.clear()

    def resume(self) -> None:
        self.control._running.set()

    def is_paused(self) -> bool:
        return not self.control._running.is_set()

    def cancel(self) -> None:
        """Ask the task to stop: at its next check(), or at once if it has not started."""
        self.control._cancel()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until func has returned (on_done follows through the event loop)."""
        return self._finished.wait(timeout_s)

    def _execute(self) -> None:
        """The worker thread's side: run func unless cancelled first, then report."""
        self.started = True
        result, error = None, None
        try:
            self.control.check()
            result = self._func(self.control)
        except BaseException as exc:  # every failure goes to on_done, on the GUI thread
            error = exc
        self._finished.set()
        self._dispatcher.ended.emit(self, result, error)

    def _emit_progress(self, values: tuple) -> None:
        self._dispatcher.progressed.emit(self, values)

    def _parent_alive(self) -> bool:
        return self._parent is None or shiboken6.isValid(self._parent)

    def _deliver_progress(self, values: tuple) -> None:
        if self._on_progress is not None and not self.delivered and self._parent_alive():
            self._on_progress(*values)

    def _deliver(self, result, error) -> None:
        self.delivered = True
        if self._parent_alive():
            self._on_done(result, error)


def run_task(
    func: Callable[[TaskControl], Any],
    on_done: Done,
    *,
    on_progress: Callable[..., None] | None = None,
    parent: QObject | None = None,
    pool: QThreadPool | None = None,
    priority: int = 0,
) -> Task:
    """Start func(control) off the GUI thread; on_done(result, error) runs on the GUI thread.
    Call from the GUI thread."""
    task = Task(func, on_done, on_progress, parent)
    if pool is None:
        threading.Thread(target=task._execute, name="phototag-task", daemon=True).start()
    else:
        pool.start(_Runnable(task._execute), priority)
    return task
