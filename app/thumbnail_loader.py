"""Thumbnails for the grid, made off the GUI thread and kept in a small in-memory LRU.

The grid asks for a pixmap every time it paints a cell; a miss queues a task (app/tasks.py) on a
thread pool and returns None (the delegate draws a placeholder). The newest request runs first,
because it is what the user is looking at now; scrolling away cancels the requests still
waiting. The task makes a QImage (QPixmap is GUI-thread only), the GUI thread turns it into a
pixmap and the model repaints that one cell.
"""

from __future__ import annotations

import itertools
import os
from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QPixmap

from phototag.app.tasks import Task, TaskCancelled, run_task
from phototag.core import ThumbnailCache, UnreadableImage

MEMORY_ITEMS = 600  # about 110 MB of 208 px pixmaps: several screenfuls
WORKERS = max(1, (os.cpu_count() or 2) - 1)  # leave a core to the GUI thread


def make_thumbnail(cache: ThumbnailCache, path: str, key: str, side: int) -> QImage | None:
    """The square thumbnail as a QImage (safe off the GUI thread), None when unreadable."""
    try:
        image = QImage(str(cache.get(path, key)))
    except (UnreadableImage, OSError):
        return None
    return None if image.isNull() else square_crop(image, side)


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
        self._pending: dict[str, Task] = {}
        self._priority = itertools.count()
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(WORKERS)

    def pixmap(self, path: str, key: str) -> QPixmap | None:
        """The thumbnail if it is in memory; otherwise None, and it is on its way."""
        found = self._pixmaps.get(key)
        if found is not None:
            self._pixmaps.move_to_end(key)
            return found
        if key not in self._pending and key not in self._broken:
            self._pending[key] = run_task(
                lambda _control: make_thumbnail(self.cache, path, key, self.side),
                lambda image, error: self._arrived(key, image, error),
                parent=self,
                pool=self._pool,
                priority=next(self._priority) % (1 << 30),
            )
        return None

    def is_broken(self, key: str) -> bool:
        return key in self._broken

    def drop_waiting(self) -> None:
        """Cancel requests not started yet: the user scrolled past them."""
        waiting = {k: task for k, task in self._pending.items() if not task.started}
        for task in waiting.values():
            task.cancel()
        self._pending = {k: task for k, task in self._pending.items() if k not in waiting}

    def wait_idle(self, msecs: int = -1) -> bool:
        return self._pool.waitForDone(msecs)

    def _arrived(self, key: str, image: QImage | None, error: BaseException | None) -> None:
        if isinstance(error, TaskCancelled):
            return  # drop_waiting forgot it; a newer request for the key may be on its way
        if image is None:  # unreadable, or failed unexpectedly: drawn as broken either way
            self._on_failed(key)
        else:
            self._on_done(key, image)

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
