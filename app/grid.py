"""The thumbnail grid: a QListView in icon mode with uniform square cells.

Uniform sizes keep 100,000 rows smooth, and Qt asks the model only for what is on screen. The
grid is laid out in batches of LAYOUT_BATCH rows, one an event loop turn: after a tag at 100k
photos, a one-pass layout of the 90k suggestions held the GUI thread 130-400 ms, batches show
the first screen after 30-46 ms and reach the end in 200-300 ms without a frame longer than a
batch (measured in one run, load average 7). The scroll position a refresh restores is kept
until the batches have laid out far enough to reach it. The delegate paints everything
(thumbnail, selection, the focused label's badge), so confirmed and suggested photos never look
alike.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
)

from phototag.app.photo_model import PhotoModel, Role
from phototag.app.style import color, icon
from phototag.app.text import percent

CELL = 152  # the smallest grid pitch; cells grow so the columns fill the width
THUMBNAIL_CELL = 216  # thumbnails are made for cells up to this size; larger ones upscale a little
GAP = 4
RADIUS = 8.0
BADGE = 22
LAYOUT_BATCH = 2000


class PhotoDelegate(QStyledItemDelegate):
    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:  # noqa: N802
        return self.parent().gridSize()

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        rect = QRectF(option.rect.adjusted(GAP, GAP, -GAP, -GAP))
        shape = QPainterPath()
        shape.addRoundedRect(rect, RADIUS, RADIUS)
        mark = index.data(Role.MARK)
        self._paint_thumbnail(painter, rect, shape, index, dimmed=mark == "rejected")
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillPath(shape, QColor(108, 140, 255, 60))
            painter.setPen(QPen(color("accent"), 3))
            painter.drawPath(shape)
        elif option.state & QStyle.StateFlag.State_MouseOver:
            painter.setPen(QPen(QColor(255, 255, 255, 60), 1.5))
            painter.drawPath(shape)
        if mark == "near":
            _paint_score(painter, rect, index.data(Role.SCORE))
        elif mark:
            _paint_badge(painter, rect, mark, index.data(Role.SCORE))
        painter.restore()

    @staticmethod
    def _paint_thumbnail(painter, rect: QRectF, shape: QPainterPath, index, dimmed: bool) -> None:
        pixmap = index.data(Role.THUMBNAIL)
        if pixmap is None:
            painter.fillPath(shape, color("placeholder"))
            if index.data(Role.BROKEN):
                icon("warning", "muted").paint(painter, rect.toRect().adjusted(60, 60, -60, -60))
            return
        painter.setClipPath(shape)
        painter.drawPixmap(rect.toRect(), pixmap)
        if dimmed:
            painter.fillPath(shape, QColor(10, 10, 12, 150))
        painter.setClipping(False)


def _paint_badge(painter: QPainter, rect: QRectF, mark: str, score: float | None) -> None:
    """Confirmed: solid disc with a check. Suggested: outlined ring with the score. Rejected:
    red disc with a cross. Shape and fill differ, not only colour."""
    disc = QRectF(rect.right() - BADGE - 6, rect.top() + 6, BADGE, BADGE)
    if mark == "confirmed":
        painter.setPen(QPen(QColor("white"), 1.5))
        painter.setBrush(color("accent"))
        painter.drawEllipse(disc)
        icon("check", "#ffffff").paint(painter, disc.toRect().adjusted(4, 4, -4, -4))
    elif mark == "rejected":
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color("rejected"))
        painter.drawEllipse(disc)
        icon("x", "#ffffff").paint(painter, disc.toRect().adjusted(5, 5, -5, -5))
    else:
        painter.setPen(QPen(color("accent"), 2, Qt.PenStyle.DashLine))
        painter.setBrush(QColor(16, 17, 22, 170))
        painter.drawEllipse(disc)
        icon("sparkle", "accent").paint(painter, disc.toRect().adjusted(5, 5, -5, -5))
    if score is not None and mark != "confirmed":
        _paint_score(painter, rect, score)


def _paint_score(painter: QPainter, rect: QRectF, score: float) -> None:
    text = percent(score)
    font = QFont(painter.font())
    font.setPixelSize(11)
    font.setBold(True)
    painter.setFont(font)
    width = painter.fontMetrics().horizontalAdvance(text) + 12
    pill = QRectF(rect.left() + 6, rect.bottom() - 24, width, 18)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QBrush(QColor(16, 17, 22, 190)))
    painter.drawRoundedRect(pill, 9, 9)
    painter.setPen(QColor("white"))
    painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)


class PhotoGrid(QListView):
    """Emits `contextRequested(global pos)` so the main window can build the menu it owns."""

    contextRequested = Signal(object)  # noqa: N815

    def __init__(self, model: PhotoModel, parent=None):
        super().__init__(parent)
        self.setObjectName("grid")
        self.setModel(model)
        self.setItemDelegate(PhotoDelegate(self))
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(LAYOUT_BATCH)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setGridSize(QSize(CELL, CELL))
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.verticalScrollBar().setSingleStep(48)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setMouseTracking(True)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(
            lambda pos: self.contextRequested.emit(self.viewport().mapToGlobal(pos))
        )
        self.empty_title = ""
        self.empty_hint = ""
        self._scroll_to: int | None = None
        bar = self.verticalScrollBar()
        bar.rangeChanged.connect(self._range_grew)
        bar.actionTriggered.connect(self._user_scrolled)

    def scroll_value(self) -> int:
        """Where the grid is scrolled, or is to be once the batches reach it: a refresh in the
        middle of a batched layout keeps the position the user had, not the range so far."""
        return self.verticalScrollBar().value() if self._scroll_to is None else self._scroll_to

    def restore_scroll(self, value: int) -> None:
        """Scroll to `value`, and again as the batched layout of new rows grows the range, until
        a range reaches it (or the user scrolls)."""
        self.verticalScrollBar().setValue(value)
        self._scroll_to = value if value > 0 else None

    def _range_grew(self, _minimum: int, maximum: int) -> None:
        """Qt emits this before it clamps the value: a layout that starts over (new rows, a
        resize) keeps the place it would lose, and its batches give it back."""
        bar = self.verticalScrollBar()
        if self._scroll_to is None and maximum < bar.value():
            self._scroll_to = bar.value()
        if self._scroll_to is None:
            return
        bar.setValue(min(self._scroll_to, maximum))
        if maximum >= self._scroll_to:
            self._scroll_to = None

    def _user_scrolled(self, _action: int) -> None:
        self._scroll_to = None  # the user's own scrolling wins over a restore still waiting

    def resizeEvent(self, event) -> None:  # noqa: N802
        """As many CELL-wide columns as fit, widened to fill the row: no ragged gap."""
        width = self.viewport().width()
        side = width // max(1, width // CELL)
        if side != self.gridSize().width():
            self.setGridSize(QSize(side, side))
        super().resizeEvent(event)

    def selected_paths(self) -> list[str]:
        rows = sorted(i.row() for i in self.selectionModel().selectedIndexes())
        return [self.model().photo(r).path for r in rows]

    def set_empty_text(self, title: str, hint: str) -> None:
        """What an empty view says: always what to do next, never just 'nothing here'."""
        self.empty_title, self.empty_hint = title, hint
        self.viewport().update()

    def paintEvent(self, event) -> None:  # noqa: N802
        super().paintEvent(event)
        if self.model().rowCount() or not self.empty_title:
            return
        painter = QPainter(self.viewport())
        area = self.viewport().rect()
        title_font = QFont(self.font())
        title_font.setPixelSize(17)
        title_font.setBold(True)
        painter.setFont(title_font)
        painter.setPen(color("text"))
        middle = area.height() // 2
        painter.drawText(
            QRect(0, middle - 40, area.width(), 28), Qt.AlignmentFlag.AlignCenter, self.empty_title
        )
        painter.setFont(self.font())
        painter.setPen(color("muted"))
        painter.drawText(
            QRect(40, middle - 6, area.width() - 80, 60),
            Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
            self.empty_hint,
        )
