"""Everything that runs the model, off the GUI thread.

SQLite connections stay in the thread that opened them, so each worker opens its own Library
on the same folder. A scan is paused by blocking inside its progress callback and cancelled by
raising from it: each batch is already committed, and the next scan resumes where this one
stopped. The GUI's Library reloads once a scan has finished.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot

from phototag.core.errors import PhototagError, WeightsMissing
from phototag.core.library import Library

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.1  # the GUI repaints the bar ten times a second at most


class ScanCancelled(Exception):
    """Raised inside the scan's progress callback to stop it between batches."""


def _failure(exc: BaseException) -> tuple[str, str]:
    """(kind, one-line message): 'weights' gets its own dialog, the rest a message."""
    if isinstance(exc, WeightsMissing):
        return "weights", str(exc)
    if isinstance(exc, PhototagError):
        return "error", str(exc)
    log.error("unexpected failure in a worker:\n%s", "".join(traceback.format_exception(exc)))
    return "error", f"{type(exc).__name__}: {exc}"


class ScanWorker(QThread):
    """One scan of the library's folders. Signals arrive in the GUI thread."""

    progress = Signal(int, int)
    succeeded = Signal(object)  # ingest.ScanReport
    cancelled = Signal()
    failed = Signal(str, str)  # kind, message

    def __init__(self, root: Path, model: str | None, weights: str | None = None, parent=None):
        super().__init__(parent)
        self.root, self.model, self.weights = root, model, weights
        self._running = threading.Event()
        self._running.set()
        self._cancel = False
        self._last_emit = 0.0

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def is_paused(self) -> bool:
        return not self._running.is_set()

    def cancel(self) -> None:
        self._cancel = True
        self._running.set()

    def run(self) -> None:
        try:
            with Library(self.root) as library:
                report = library.scan(self.model, self.weights, progress=self._progress)
        except ScanCancelled:
            self.cancelled.emit()
        except Exception as exc:
            self.failed.emit(*_failure(exc))
        else:
            self.succeeded.emit(report)

    def _progress(self, done: int, total: int) -> None:
        self._running.wait()
        if self._cancel:
            raise ScanCancelled
        now = time.monotonic()
        if done >= total or now - self._last_emit >= PROGRESS_INTERVAL_S:
            self._last_emit = now
            self.progress.emit(done, total)


class _TextEncoder(QObject):
    encoded = Signal(int, object)  # request id, embedding
    failed = Signal(int, str, str)  # request id, kind, message

    def __init__(self, root: Path):
        super().__init__()
        self.root = root
        self._library: Library | None = None

    @Slot(int, str)
    def encode(self, request: int, text: str) -> None:
        try:
            if self._library is None:
                self._library = Library(self.root)
            vector = self._library.embed_text(text)
        except Exception as exc:
            self.failed.emit(request, *_failure(exc))
        else:
            self.encoded.emit(request, np.asarray(vector))

    @Slot()
    def close(self) -> None:
        if self._library is not None:
            self._library.close()
            self._library = None


class TextEncoderThread(QObject):
    """CLIP's text tower in a long-lived thread, so the model loads once per session.

    Results carry a request id; only the latest request's answer is delivered.
    """

    encoded = Signal(object)  # embedding of the latest text
    failed = Signal(str, str)
    _request = Signal(int, str)
    _close = Signal()

    def __init__(self, root: Path, parent=None):
        super().__init__(parent)
        self._latest = 0
        self._thread = QThread(self)
        self._worker = _TextEncoder(root)
        self._worker.moveToThread(self._thread)
        self._request.connect(self._worker.encode)
        self._close.connect(self._worker.close)
        self._worker.encoded.connect(self._on_encoded)
        self._worker.failed.connect(self._on_failed)
        self._thread.start()

    def encode(self, text: str) -> None:
        self._latest += 1
        self._request.emit(self._latest, text)

    def stop(self) -> None:
        self._close.emit()
        self._thread.quit()
        self._thread.wait()

    def _on_encoded(self, request: int, vector) -> None:
        if request == self._latest:
            self.encoded.emit(vector)

    def _on_failed(self, request: int, kind: str, message: str) -> None:
        if request == self._latest:
            self.failed.emit(kind, message)


class Call(QThread):
    """Run one slow, read-only function (no Library) off the GUI thread; None if it fails."""

    done = Signal(object)

    def __init__(self, function: Callable[[], object], parent=None):
        super().__init__(parent)
        self.function = function

    def run(self) -> None:
        try:
            result = self.function()
        except Exception as exc:
            _failure(exc)
            result = None
        self.done.emit(result)


class DownloadWorker(QThread):
    """The one network use: fetching a model's weights once."""

    succeeded = Signal(str)
    failed = Signal(str, str)

    def __init__(self, model: str, parent=None):
        super().__init__(parent)
        self.model = model

    def run(self) -> None:
        from phototag.core.model.encoder import download_weights

        try:
            path = download_weights(self.model)
        except Exception as exc:
            self.failed.emit(*_failure(exc))
        else:
            self.succeeded.emit(str(path))


class FolderWatch(QObject):
    """The engine's folder watcher for the window: it runs on its own thread with its own
    Library, and what it reports is re-emitted here, in the GUI thread."""

    changed = Signal(object)  # ingest.ScanReport of a batch that changed the library
    folder_state = Signal(object)  # watch.FolderStatus
    failed = Signal(str, str)  # kind, message
    _arrived = Signal(object)

    def __init__(self, root: Path, parent=None):
        from phototag.core.ingest.watch import Watcher

        super().__init__(parent)
        # Emitted from the watcher's thread: Qt queues it to this object's (the GUI) thread.
        self._arrived.connect(self._dispatch)
        self._watcher = Watcher(root, on_event=self._arrived.emit)

    def start(self) -> None:
        self._watcher.start()

    def stop(self) -> None:
        """Finishes the batch in hand; the next start catches up with the rest."""
        self._watcher.stop()

    def states(self) -> dict[str, str]:
        """Each folder's state: watching, polling or unavailable."""
        return {path: status.state for path, status in self._watcher.statuses().items()}

    @Slot(object)
    def _dispatch(self, event) -> None:
        from phototag.core.ingest.watch import Batch, FolderStatus, Stopped, describe

        if isinstance(event, Batch) and describe(event.report):
            self.changed.emit(event.report)
        elif isinstance(event, FolderStatus):
            self.folder_state.emit(event)
        elif isinstance(event, Stopped) and event.error is not None:
            self.failed.emit(*_failure(event.error))


class RefineWorker(QThread):
    """ProLIP's refine, or a revert, on its own Library; every embedding is recomputed and
    every label refitted before it reports."""

    progress = Signal(str, int, int)  # stage ("refining" | "recomputing"), done, total
    succeeded = Signal(object)  # library.ProjectionChange
    failed = Signal(str, str)  # kind, message

    def __init__(self, root: Path, revert: bool, parent=None):
        super().__init__(parent)
        self.root, self.revert = root, revert
        self._last_emit = 0.0

    def run(self) -> None:
        try:
            with Library(self.root) as library:
                if self.revert:
                    change = library.revert_refinement(progress=self._progress)
                else:
                    change = library.refine(progress=self._progress)
        except Exception as exc:
            self.failed.emit(*_failure(exc))
        else:
            self.succeeded.emit(change)

    def _progress(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if done >= total or now - self._last_emit >= PROGRESS_INTERVAL_S:
            self._last_emit = now
            self.progress.emit(stage, done, total)
