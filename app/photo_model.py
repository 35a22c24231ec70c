"""The grid's model: a flat list of photos, each optionally marked for one label.

It holds only plain PhotoRefs (no SQL, no model code), and from the engine's PhotoRefs and
LabelMarks it reads a row only when Qt asks for it: a view of 100,000 photos costs no work per
photo, and switching views is a reset of one list. The mark is how a label "lights up" across
the grid: confirmed and suggested photos of the focused label get different badges.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import IntEnum
from pathlib import Path

import numpy as np
from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QUrl,
)

from phototag.app.thumbnail_loader import ThumbnailLoader
from phototag.core import LabelMarks, Mark, PhotoRef, PhotoRefs

PATHS_MIME = "application/x-phototag-paths"


class Role(IntEnum):
    PATH = Qt.ItemDataRole.UserRole + 1
    HASH = Qt.ItemDataRole.UserRole + 2
    THUMBNAIL = Qt.ItemDataRole.UserRole + 3
    BROKEN = Qt.ItemDataRole.UserRole + 4
    MARK = Qt.ItemDataRole.UserRole + 5  # "confirmed" | "suggested" | "rejected" | None
    SCORE = Qt.ItemDataRole.UserRole + 6  # 0..1 for the focused label, else None


class PhotoModel(QAbstractListModel):
    def __init__(self, loader: ThumbnailLoader, parent=None):
        super().__init__(parent)
        self._loader = loader
        self._photos: Sequence[PhotoRef] = []
        self._count = 0  # len(self._photos): Qt asks for it twice a row as it lays the grid out
        self._marks: Mapping[str, Mark] = {}
        self._waiting: dict[str, set[int]] = {}
        loader.ready.connect(self._thumbnail_ready)

    # ----- filling ------------------------------------------------------------------------

    def set_photos(
        self, photos: Sequence[PhotoRef], marks: Mapping[str, Mark] | None = None
    ) -> None:
        """Show these photos (kept as given: a PhotoRefs makes a ref only for a row Qt reads);
        `marks` maps a path to (mark, score) for the focused label.

        When the same photos are shown in the same order (a decision, a threshold move), only
        the rows whose mark, score or labels changed are repainted, by dataChanged: a reset would
        drop the view's layout, and the grid would lay out every row again."""
        marks = {} if marks is None else marks
        if _same_rows(photos, self._photos):
            self._update_rows(photos, marks)
            return
        self.beginResetModel()
        self._photos, self._marks, self._waiting = photos, marks, {}
        self._count = len(photos)
        self.endResetModel()

    def _update_rows(self, photos: Sequence[PhotoRef], marks: Mapping[str, Mark]) -> None:
        changed = _changed_rows(self._photos, photos, self._marks, marks)
        self._photos, self._marks = photos, marks
        for first, last in _runs(changed):
            self.dataChanged.emit(self.index(first), self.index(last), [Role.MARK, Role.SCORE])

    def photos(self) -> Sequence[PhotoRef]:
        return self._photos

    def photo(self, row: int) -> PhotoRef:
        return self._photos[row]

    def row_of(self, path: str) -> int | None:
        if isinstance(self._photos, PhotoRefs):
            return self._photos.row_of(path)
        return next((r for r, p in enumerate(self._photos) if p.path == path), None)

    def rows_of(self, paths: set[str]) -> list[int]:
        """The rows showing these paths, in row order."""
        if isinstance(self._photos, PhotoRefs):
            return self._photos.rows_of(paths)
        return [row for row, photo in enumerate(self._photos) if photo.path in paths]

    # ----- Qt model interface ---------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else self._count

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ):
        if not index.isValid():
            return None
        photo = self._photos[index.row()]
        if role == Role.THUMBNAIL:
            pixmap = self._loader.pixmap(photo.path, photo.content_hash)
            if pixmap is None:  # on its way: this row is repainted when it is ready
                self._waiting.setdefault(photo.content_hash, set()).add(index.row())
            return pixmap
        if role == Role.BROKEN:
            return self._loader.is_broken(photo.content_hash)
        if role == Role.PATH:
            return photo.path
        if role == Role.HASH:
            return photo.content_hash
        if role == Role.MARK:
            return self._marks.get(photo.path, (None, None))[0]
        if role == Role.SCORE:
            mark = self._marks.get(photo.path)
            return photo.score if mark is None else mark[1]
        if role == Qt.ItemDataRole.ToolTipRole:
            return photo.path
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return Path(photo.path).name
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else base

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [PATHS_MIME, "text/uri-list"]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:  # noqa: N802
        """Dragged photos carry their paths: a label in the sidebar accepts them."""
        paths = [self._photos[i.row()].path for i in indexes if i.isValid()]
        mime = QMimeData()
        mime.setData(PATHS_MIME, "\n".join(paths).encode())
        mime.setUrls([QUrl.fromLocalFile(p) for p in paths])
        return mime

    def _thumbnail_ready(self, key: str) -> None:
        """Repaint the rows that asked for this thumbnail. Only rows Qt painted ever ask: an
        index of every row by content hash cost 0.33 s of a 1.4 s tag at 100k photos."""
        for row in sorted(self._waiting.pop(key, ())):
            index = self.index(row)
            self.dataChanged.emit(index, index, [Role.THUMBNAIL])


def _same_rows(photos: Sequence[PhotoRef], shown: Sequence[PhotoRef]) -> bool:
    if isinstance(photos, PhotoRefs):
        return photos.same_rows(shown)
    if len(photos) != len(shown):
        return False
    return [p.path for p in photos] == [p.path for p in shown]


def _changed_rows(
    old: Sequence[PhotoRef],
    new: Sequence[PhotoRef],
    old_marks: Mapping[str, Mark],
    marks: Mapping[str, Mark],
) -> list[int]:
    """Rows (of the same photos in the same order) whose ref or mark differs: by whole arrays
    when both lists and both marks read one file index, row by row otherwise."""
    if isinstance(old, PhotoRefs) and isinstance(new, PhotoRefs) and old.files is new.files:
        changed = _marks_differ(old_marks, marks, new)
        if changed is not None:
            if new.scores is not None or old.scores is not None:
                changed |= _scores_differ(old, new)
            return np.flatnonzero(changed).tolist()
    return [
        row
        for row, (was, now) in enumerate(zip(old, new, strict=True))
        if was != now or old_marks.get(was.path) != marks.get(now.path)
    ]


def _marks_differ(
    old: Mapping[str, Mark], new: Mapping[str, Mark], photos: PhotoRefs
) -> np.ndarray | None:
    """Per row, whether its mark changed; None when that takes reading every row."""
    if not old and not new:
        return np.zeros(len(photos), dtype=bool)
    if isinstance(old, LabelMarks) and isinstance(new, LabelMarks):
        differs = new.differs(old)
        return None if differs is None else differs[photos.order]
    return None


def _scores_differ(old: PhotoRefs, new: PhotoRefs) -> np.ndarray:
    if old.scores is None or new.scores is None:
        return np.ones(len(new), dtype=bool)
    return old.scores[old.order] != new.scores[new.order]


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Sorted rows as (first, last) runs of consecutive rows: one dataChanged per run."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs
