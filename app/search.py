"""Search by meaning (CLIP's text tower) and label filters, as tool bar widgets.

The box waits for a pause in typing before asking the model, so a query is encoded once,
not once per key. Filters take all-of or any-of a set of labels and apply to every view.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QLineEdit, QMenu, QToolButton

from phototag.app.style import icon

TYPING_PAUSE_MS = 450


class SearchBox(QLineEdit):
    searchRequested = Signal(str)  # noqa: N815  (empty text: search cleared)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("searchBox")
        self.setPlaceholderText("Search by meaning, e.g. “beach at sunset”")
        self.setClearButtonEnabled(True)
        self.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.setMinimumWidth(340)
        self.setMaximumWidth(560)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(TYPING_PAUSE_MS)
        self._timer.timeout.connect(self._submit)
        self.textEdited.connect(lambda _text: self._timer.start())
        self.returnPressed.connect(self._submit)
        self._last = ""

    def _submit(self) -> None:
        self._timer.stop()
        text = self.text().strip()
        if text != self._last:
            self._last = text
            self.searchRequested.emit(text)

    def reset(self) -> None:
        self._timer.stop()
        self._last = ""
        self.clear()


class LabelFilter(QToolButton):
    """A drop-down of labels to filter by, with a match-all / match-any switch."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setIcon(icon("filter"))
        self.setText("Labels")
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setToolTip("Show only photos with some labels")
        self._menu = QMenu(self)
        self.setMenu(self._menu)
        self.selected: list[str] = []
        self.match_all = True
        self._names: list[str] = []
        self.set_labels([])

    def filter_args(self) -> tuple[list[str], list[str]]:
        """(all_of, any_of) for Library.photos() and Library.search()."""
        return (self.selected, []) if self.match_all else ([], self.selected)

    def describe(self) -> str:
        if not self.selected:
            return ""
        joined = ", ".join(self.selected)
        return f"with {'all' if self.match_all else 'any'} of: {joined}"

    def set_labels(self, names: list[str]) -> None:
        self._names = list(names)
        self.selected = [n for n in self.selected if n in names]
        self._menu.clear()
        mode = QActionGroup(self._menu)
        for text, value in (("Photos with all of…", True), ("Photos with any of…", False)):
            action = QAction(text, self._menu, checkable=True, checked=self.match_all == value)
            action.triggered.connect(lambda _=False, v=value: self._set_mode(v))
            mode.addAction(action)
            self._menu.addAction(action)
        self._menu.addSeparator()
        if not names:
            self._menu.addAction("No labels yet").setEnabled(False)
        for name in names:
            action = QAction(name, self._menu, checkable=True, checked=name in self.selected)
            action.toggled.connect(lambda on, n=name: self._toggle(n, on))
            self._menu.addAction(action)
        self._menu.addSeparator()
        self._menu.addAction("Clear filter", self.clear).setEnabled(bool(self.selected))
        self._show_count()

    def set_filter(self, names: list[str], match_all: bool) -> None:
        self.selected, self.match_all = list(names), match_all
        self.set_labels(self._names)
        self.changed.emit()

    def clear(self) -> None:
        self.set_filter([], self.match_all)

    def _set_mode(self, match_all: bool) -> None:
        self.match_all = match_all
        if self.selected:
            self.changed.emit()

    def _toggle(self, name: str, on: bool) -> None:
        if on and name not in self.selected:
            self.selected.append(name)
        elif not on and name in self.selected:
            self.selected.remove(name)
        self._show_count()
        self.changed.emit()

    def _show_count(self) -> None:
        self.setText(f"Labels ({len(self.selected)})" if self.selected else "Labels")
