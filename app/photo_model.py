"""The grid's model: a flat list of photos, each optionally marked for one label.

It holds only plain PhotoRefs (no SQL, no model code), so 50,000 rows cost a few megabytes and
switching views is a reset of one list. The mark is how a label "lights up" across the grid:
confirmed and suggested photos of the focused label get different badges.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from enum import IntEnum
from pathlib import Path

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QUrl,
)

from phototag.app.thumbnail_loader import ThumbnailLoader
from phototag.core import PhotoRef

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
        self._photos: list[PhotoRef] = []
        self._marks: dict[str, tuple[str, float | None]] = {}
        self._rows_of: dict[str, list[int]] = {}
        loader.ready.connect(self._thumbnail_ready)

    # ----- filling ------------------------------------------------------------------------

    def set_photos(
        self,
        photos: Sequence[PhotoRef],
        marks: dict[str, tuple[str, float | None]] | None = None,
    ) -> None:
        """Replace the list; `marks` maps a path to (mark, score) for the focused label.

        When the same photos are shown in the same order (a decision, a threshold move), only
        the rows whose mark, score or labels changed are repainted, by dataChanged: a reset would
        drop the view's layout, and the grid would lay out every row again."""
        photos = list(photos)
        if [p.path for p in photos] == [p.path for p in self._photos]:
            self._update_rows(photos, marks or {})
            return
        self.beginResetModel()
        self._photos = list(photos)
        self._marks = marks or {}
        self._index_thumbnails()
        self.endResetModel()

    def _index_thumbnails(self) -> None:
        """Which rows show each content hash, for repainting a thumbnail when it is ready."""
        rows: defaultdict[str, list[int]] = defaultdict(list)
        for row, photo in enumerate(self._photos):
            rows[photo.content_hash].append(row)
        self._rows_of = dict(rows)

    def _update_rows(
        self, photos: list[PhotoRef], marks: dict[str, tuple[str, float | None]]
    ) -> None:
        changed = [
            row
            for row, (old, new) in enumerate(zip(self._photos, photos, strict=True))
            if old != new or self._marks.get(old.path) != marks.get(new.path)
        ]
        self._photos, self._marks = photos, marks
        self._index_thumbnails()
        for first, last in _runs(changed):
            self.dataChanged.emit(self.index(first), self.index(last), [Role.MARK, Role.SCORE])

    def photos(self) -> list[PhotoRef]:
        return self._photos

    def photo(self, row: int) -> PhotoRef:
        return self._photos[row]

    def row_of(self, path: str) -> int | None:
        return next((r for r, p in enumerate(self._photos) if p.path == path), None)

    # ----- Qt model interface ---------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._photos)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ):
        if not index.isValid():
            return None
        photo = self._photos[index.row()]
        if role == Role.THUMBNAIL:
            return self._loader.pixmap(photo.path, photo.content_hash)
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
        for row in self._rows_of.get(key, ()):
            index = self.index(row)
            self.dataChanged.emit(index, index, [Role.THUMBNAIL])


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Sorted rows as (first, last) runs of consecutive rows: one dataChanged per run."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs
