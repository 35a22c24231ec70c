"""The title above the grid: what is shown, how many, and a way back out of a search."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from phototag.app.review import ReviewBar
from phototag.app.style import icon


class ViewHeader(QWidget):
    clearSearchRequested = Signal()  # noqa: N815

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("viewHeader")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 14, 0, 6)
        layout.setSpacing(6)
        row = QHBoxLayout()
        row.setContentsMargins(16, 0, 16, 0)
        text = QVBoxLayout()
        text.setSpacing(2)
        self.title = QLabel()
        self.title.setObjectName("title")
        self.subtitle = QLabel()
        self.subtitle.setObjectName("muted")
        text.addWidget(self.title)
        text.addWidget(self.subtitle)
        row.addLayout(text, 1)
        self.clear_search = QPushButton(icon("x", "text"), "Clear search")
        self.clear_search.clicked.connect(self.clearSearchRequested)
        row.addWidget(self.clear_search)
        layout.addLayout(row)
        self.review = ReviewBar()
        layout.addWidget(self.review)

    def show_view(self, title: str, subtitle: str, searching: bool, reviewing: bool) -> None:
        self.title.setText(title)
        self.subtitle.setText(subtitle)
        self.clear_search.setVisible(searching)
        self.review.setVisible(reviewing)
