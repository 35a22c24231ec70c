"""Files that could not be read, listed in one dismissible panel (never a dialog per file)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from phototag.app.text import count


class ProblemsPanel(QDockWidget):
    def __init__(self, parent=None):
        super().__init__("Unreadable files", parent)
        self.setObjectName("problemsDock")
        self.setAllowedAreas(Qt.DockWidgetArea.BottomDockWidgetArea)
        self.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(10, 6, 10, 8)
        header = QHBoxLayout()
        self.summary = QLabel()
        self.summary.setObjectName("muted")
        self.summary.setWordWrap(True)
        dismiss = QPushButton("Dismiss")
        dismiss.clicked.connect(self.hide)
        header.addWidget(self.summary, 1)
        header.addWidget(dismiss)
        self.table = QTreeWidget()
        self.table.setObjectName("problems")
        self.table.setRootIsDecorated(False)
        self.table.setAlternatingRowColors(True)
        self.table.setHeaderLabels(["File", "Reason", "Folder"])
        self.table.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        layout.addLayout(header)
        layout.addWidget(self.table)
        self.setWidget(body)
        self._shown: list[tuple[str, str]] = []

    def set_files(self, files: list[tuple[str, str]]) -> bool:
        """Fill the list; True when it holds files the user has not seen yet."""
        new = sorted(files) != sorted(self._shown)
        self._shown = list(files)
        self.table.clear()
        for path, reason in files:
            item = QTreeWidgetItem([Path(path).name, reason, str(Path(path).parent)])
            item.setToolTip(0, path)
            self.table.addTopLevelItem(item)
        self.summary.setText(
            f"{count(len(files), 'file')} could not be read and were skipped. The rest of the "
            "library is fine; fix or remove these files and scan again."
        )
        return new and bool(files)

    def paths(self) -> list[str]:
        return [path for path, _ in self._shown]
