"""The sidebar: the whole library, its folders, its labels and its smart albums with their
counts.

Labels show two counts the way the grid shows two badges: a solid pill for photos the user
confirmed and an outlined one for photos the model suggests. Photos dragged from the grid
onto a label are tagged with it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
)

from phototag.app.photo_model import PATHS_MIME
from phototag.app.style import color, icon
from phototag.app.teaching import health_tooltip
from phototag.core import Album, Folder, LabelHealth, LabelInfo

KIND = Qt.ItemDataRole.UserRole + 1  # "all" | "folder" | "label" | "album" | "section"
KEY = Qt.ItemDataRole.UserRole + 2  # folder path, label or album name
COUNTS = Qt.ItemDataRole.UserRole + 3  # (confirmed, suggested) for labels, (n,) otherwise
WEAK = Qt.ItemDataRole.UserRole + 4  # a label's health warns (core/teaching.py)


class _CountsDelegate(QStyledItemDelegate):
    """Draws the row as usual, then the counts as pills on the right."""

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:  # noqa: N802
        hint = super().sizeHint(option, index)
        return QSize(hint.width(), 30 if index.data(KIND) != "section" else 34)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        super().paint(painter, option, index)
        counts = index.data(COUNTS)
        if not counts:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(option.font)
        font.setPixelSize(11)
        font.setBold(True)
        painter.setFont(font)
        right = option.rect.right() - 8
        solid = index.data(KIND) == "label"
        for position, value in enumerate(reversed(counts)):
            outlined = solid and position == 0 and len(counts) == 2
            right = _pill(painter, option.rect, right, str(value), outlined, solid) - 4
        painter.restore()


def _pill(painter: QPainter, row, right: int, text: str, outlined: bool, accent: bool) -> int:
    width = max(painter.fontMetrics().horizontalAdvance(text) + 12, 22)
    pill = QRectF(right - width, row.center().y() - 9, width, 18)
    if outlined:
        painter.setPen(QPen(color("accent"), 1.2, Qt.PenStyle.DashLine))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        text_color = color("accent")
    elif accent:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color("accent_dark"))
        text_color = color("text")
    else:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color("surface"))
        text_color = color("muted")
    painter.drawRoundedRect(pill, 9, 9)
    painter.setPen(text_color)
    painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)
    return int(pill.left())


class Sidebar(QTreeWidget):
    """Emits what was chosen; the main window decides what the grid shows."""

    allChosen = Signal()  # noqa: N815
    folderChosen = Signal(str)  # noqa: N815
    labelChosen = Signal(str)  # noqa: N815
    albumChosen = Signal(str)  # noqa: N815
    photosDropped = Signal(str, list)  # noqa: N815  (label, paths)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("sidebar")
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setIndentation(6)
        self.setIconSize(QSize(18, 18))
        self.setItemDelegate(_CountsDelegate(self))
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setMinimumWidth(220)
        self.currentItemChanged.connect(self._chosen)
        self._all = self._entry(None, "All photos", "photos", "all", None)
        self._folders = self._section("FOLDERS")
        self._labels = self._section("LABELS")
        self._albums = self._section("SMART ALBUMS")
        self.set_albums([])

    # ----- filling --------------------------------------------------------------------------

    def set_contents(
        self,
        photos: int,
        folders: list[Folder],
        labels: list[LabelInfo],
        health: dict[str, LabelHealth] | None = None,
    ) -> None:
        """Rebuild folders and labels, keeping the current choice. A weak label (see
        core/teaching.py) shows a warning sign instead of its tag, its reasons in the tooltip."""
        health = health or {}
        kind, key = self.current()
        chosen = self.currentItem() is not None  # a finding view has no entry: keep none
        self.blockSignals(True)
        self._all.setData(0, COUNTS, (photos,))
        self._folders.takeChildren()
        self._labels.takeChildren()
        for folder in folders:
            item = self._entry(
                self._folders, Path(folder.path).name, "folder", "folder", folder.path
            )
            item.setData(0, COUNTS, (folder.files,))
            item.setToolTip(0, folder.path)
        for label in labels:
            state = health.get(label.name)
            weak = state is not None and state.weak
            item = self._entry(self._labels, label.name, "tag", "label", label.name)
            item.setData(0, COUNTS, (label.confirmed, label.suggested))
            item.setData(0, WEAK, weak)
            if weak:
                item.setIcon(0, icon("warning", "warning"))
            item.setToolTip(
                0,
                health_tooltip(state)
                if state is not None
                else f"{label.name}: {label.confirmed} confirmed, {label.suggested} suggested",
            )
        if not labels:
            hint = self._entry(self._labels, "Select photos, type a label", None, "section", None)
            hint.setForeground(0, color("muted"))
        self.expandAll()
        if chosen:
            self.select(kind, key)
        self.blockSignals(False)

    def set_albums(self, albums: list[Album]) -> None:
        """Rebuild the albums with their live counts (none while a text is being embedded)."""
        kind, key = self.current()
        chosen = self.currentItem() is not None  # a finding view has no entry: keep none
        self.blockSignals(True)
        self._albums.takeChildren()
        for album in albums:
            item = self._entry(self._albums, album.name, "search", "album", album.name)
            if album.count is not None:
                item.setData(0, COUNTS, (album.count,))
            tip = f"{album.name}: {album.query}"
            item.setToolTip(0, tip if album.problem is None else f"{tip}\n{album.problem}")
        if not albums:
            hint = self._entry(self._albums, "Labels ▸ New Smart Album…", None, "section", None)
            hint.setForeground(0, color("muted"))
        self._albums.setExpanded(True)
        if chosen:
            self.select(kind, key)
        self.blockSignals(False)

    def select(self, kind: str, key: str | None) -> None:
        item = self.item_for(kind, key) or self._all
        self.setCurrentItem(item)

    def item_for(self, kind: str, key: str | None) -> QTreeWidgetItem | None:
        parent = {"folder": self._folders, "label": self._labels, "album": self._albums}.get(kind)
        if parent is None:
            return self._all if kind == "all" else None
        return next(
            (
                parent.child(i)
                for i in range(parent.childCount())
                if parent.child(i).data(0, KEY) == key
            ),
            None,
        )

    def current(self) -> tuple[str, str | None]:
        item = self.currentItem()
        if item is None or item.data(0, KIND) not in ("all", "folder", "label", "album"):
            return "all", None
        return item.data(0, KIND), item.data(0, KEY)

    def label_at(self, pos) -> str | None:
        item = self.itemAt(pos)
        return item.data(0, KEY) if item is not None and item.data(0, KIND) == "label" else None

    def album_at(self, pos) -> str | None:
        item = self.itemAt(pos)
        return item.data(0, KEY) if item is not None and item.data(0, KIND) == "album" else None

    def folder_at(self, pos) -> str | None:
        item = self.itemAt(pos)
        return item.data(0, KEY) if item is not None and item.data(0, KIND) == "folder" else None

    def _section(self, title: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem(self, [title])
        item.setData(0, KIND, "section")
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        font = QFont(self.font())
        font.setPixelSize(11)
        font.setBold(True)
        font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 1.0)
        item.setFont(0, font)
        item.setForeground(0, color("muted"))
        return item

    def _entry(self, parent, text: str, icon_name: str | None, kind: str, key: str | None):
        item = QTreeWidgetItem(parent if parent is not None else self, [text])
        item.setData(0, KIND, kind)
        item.setData(0, KEY, key)
        if icon_name:
            item.setIcon(0, icon(icon_name))
        if kind == "section":
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        elif kind == "label":
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsDropEnabled)
        return item

    def _chosen(self, item: QTreeWidgetItem | None, _previous=None) -> None:
        if item is None:
            return
        kind, key = item.data(0, KIND), item.data(0, KEY)
        if kind == "all":
            self.allChosen.emit()
        elif kind == "folder":
            self.folderChosen.emit(key)
        elif kind == "label":
            self.labelChosen.emit(key)
        elif kind == "album":
            self.albumChosen.emit(key)

    # ----- drops ------------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasFormat(PATHS_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        label = self.label_at(event.position().toPoint())
        if label is not None and event.mimeData().hasFormat(PATHS_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        label = self.label_at(event.position().toPoint())
        if label is None or not event.mimeData().hasFormat(PATHS_MIME):
            event.ignore()
            return
        paths = bytes(event.mimeData().data(PATHS_MIME)).decode().splitlines()
        event.acceptProposedAction()
        self.photosDropped.emit(label, paths)
