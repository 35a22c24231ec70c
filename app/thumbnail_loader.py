"""Thumbnails for the grid, made off the GUI thread and kept in a small in-memory LRU.

The grid asks for a pixmap every time it paints a cell; a miss queues a job on a thread pool
and returns None (the delegate draws a placeholder). The newest request runs first, because
it is what the user is looking at now; scrolling away drops the requests still waiting. The
worker makes a QImage (QPixmap is GUI-thread only), the GUI thread turns it into a pixmap and
the model repaints that one cell.
"""

from __future__ import annotations

import itertools
import os
from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QPixmap

from phototag.core.ingest.decode import UnreadableImage
from phototag.core.ingest.thumbnails import ThumbnailCache

MEMORY_ITEMS = 600  # about 110 MB of 208 px pixmaps: several screenfuls
WORKERS = max(1, (os.cpu_count() or 2) - 1)  # leave a core to the GUI thread


class _Signals(QObject):
    done = Signal(str, QImage)
    failed = Signal(str)


class _Job(QRunnable):
    def __init__(self, cache: ThumbnailCache, path: str, key: str, side: int, signals: _Signals):
        super().__init__()
        self.cache, self.path, self.key, self.side, self.signals = cache, path, key, side, signals
        self.started = False

    def run(self) -> None:
        self.started = True
        try:
            image = QImage(str(self.cache.get(self.path, self.key)))
        except (UnreadableImage, OSError):
            self.signals.failed.emit(self.key)
            return
        if image.isNull():
            self.signals.failed.emit(self.key)
            return
        self.signals.done.emit(self.key, square_crop(image, self.side))


def square_crop(image: QImage, side: int) -> QImage:
    """The centre square, scaled to `side`: grid cells are square, like every photo app's."""
    scaled = image.scaled(
        side,
        side,
        Qt.AspectRatioMode.KeepAspectRatioByExpanding,
        Qt.TransformationMode.SmoothTransformation,
    )
    x = (scaled.width() - side) // 2
    y = (scaled.height() - side) // 2
    return scaled.copy(x, y, side, side)


class ThumbnailLoader(QObject):
    """Square thumbnails by content hash; emits `ready(hash)` when one arrives."""

    ready = Signal(str)

    def __init__(self, cache_dir: Path, side: int, parent: QObject | None = None):
        super().__init__(parent)
        self.cache = ThumbnailCache(cache_dir)
        self.side = side
        self._pixmaps: OrderedDict[str, QPixmap] = OrderedDict()
        self._broken: set[str] = set()
        self._pending: dict[str, _Job] = {}
        self._priority = itertools.count()
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(WORKERS)
        self._signals = _Signals(self)
        self._signals.done.connect(self._on_done)
        self._signals.failed.connect(self._on_failed)

    def pixmap(self, path: str, key: str) -> QPixmap | None:
        """The thumbnail if it is in memory; otherwise None, and it is on its way."""
        found = self._pixmaps.get(key)
        if found is not None:
            self._pixmaps.move_to_end(key)
            return found
        if key not in self._pending and key not in self._broken:
            job = _Job(self.cache, path, key, self.side, self._signals)
            self._pending[key] = job
            self._pool.start(job, next(self._priority) % (1 << 30))
        return None

    def is_broken(self, key: str) -> bool:
        return key in self._broken

    def drop_waiting(self) -> None:
        """Forget requests not started yet: the user scrolled past them."""
        self._pool.clear()
        self._pending = {k: job for k, job in self._pending.items() if job.started}

    def wait_idle(self, msecs: int = -1) -> bool:
        return self._pool.waitForDone(msecs)

    def _on_done(self, key: str, image: QImage) -> None:
        self._pending.pop(key, None)
        self._pixmaps[key] = QPixmap.fromImage(image)
        while len(self._pixmaps) > MEMORY_ITEMS:
            self._pixmaps.popitem(last=False)
        self.ready.emit(key)

    def _on_failed(self, key: str) -> None:
        self._pending.pop(key, None)
        self._broken.add(key)
        self.ready.emit(key)
