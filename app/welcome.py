"""The first-run page: what Phototag does in three steps, the one-time model download, and
the button that starts everything (add a folder)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from phototag.app.progress import describe_download
from phototag.app.style import app_icon, icon
from phototag.core import DownloadProgress, ModelSpec

STEPS = (
    (
        "Add a folder of photos",
        "Phototag reads your photos where they are. It never moves, changes or uploads them.",
    ),
    (
        "Let it look at every photo once",
        "A CLIP model on this computer describes each photo. Browse while it works; "
        "you can pause or stop at any time and it picks up where it left off.",
    ),
    (
        "Tag three photos, watch the label spread",
        "Select a few photos of your dog, type “Rex”, and every Rex photo in the library "
        "lights up. Correct the few mistakes and it learns from them.",
    ),
)


def hub_cache_dir() -> str:
    from huggingface_hub import constants

    return constants.HF_HUB_CACHE


class WelcomePage(QWidget):
    addFolderRequested = Signal()  # noqa: N815
    folderChosen = Signal(str)  # noqa: N815
    downloadRequested = Signal()  # noqa: N815
    cancelDownloadRequested = Signal()  # noqa: N815
    chooseWeightsRequested = Signal()  # noqa: N815

    def __init__(self, spec: ModelSpec, parent=None):
        super().__init__(parent)
        self.setObjectName("welcome")
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        column = QVBoxLayout()
        column.setSpacing(18)
        column.addStretch(1)
        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(72, 72))
        title = QLabel("Welcome to Phototag")
        title.setObjectName("welcomeTitle")
        lead = QLabel(
            "Teach it a label with three examples and it finds the rest of your library. "
            "Everything happens on this computer."
        )
        lead.setObjectName("welcomeLead")
        lead.setWordWrap(True)
        for widget in (logo, title, lead):
            column.addWidget(widget)
        column.addWidget(self._steps())
        self.spec = spec
        column.addWidget(self._model_card())
        column.addLayout(self._buttons())
        column.addStretch(2)
        holder = QWidget()
        holder.setLayout(column)
        holder.setMaximumWidth(640)
        outer.addWidget(holder, 3)
        outer.addStretch(1)

    def _steps(self) -> QFrame:
        card = QFrame()
        card.setObjectName("card")
        grid = QGridLayout(card)
        grid.setContentsMargins(20, 18, 20, 18)
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(14)
        for row, (heading, text) in enumerate(STEPS):
            number = QLabel(str(row + 1))
            number.setObjectName("stepNumber")
            number.setAlignment(Qt.AlignmentFlag.AlignCenter)
            body = QLabel(f"<b>{heading}</b><br><span style='color:#9aa0a9'>{text}</span>")
            body.setWordWrap(True)
            grid.addWidget(number, row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(body, row, 1)
        grid.setColumnStretch(1, 1)
        return card

    def _model_card(self) -> QFrame:
        card = QFrame()
        card.setObjectName("card")
        row = QHBoxLayout(card)
        row.setContentsMargins(20, 14, 20, 14)
        self.model_badge = QLabel()
        row.addWidget(self.model_badge, 0, Qt.AlignmentFlag.AlignTop)
        self.model_text = QLabel(f"<b>The model: {self.spec.name}</b><br>Checking this computer…")
        self.model_text.setWordWrap(True)
        self.model_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.download_button = QPushButton(icon("download", "text"), "Download now")
        self.download_button.hide()
        self.download_button.clicked.connect(self.downloadRequested)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the download; what has arrived is kept for later")
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(self.cancelDownloadRequested)
        self.choose_button = QPushButton("Choose weights file…")
        self.choose_button.setToolTip("Use a weights file you already have instead")
        self.choose_button.hide()
        self.choose_button.clicked.connect(self.chooseWeightsRequested)
        buttons = QVBoxLayout()
        for button in (self.download_button, self.cancel_button, self.choose_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        row.addLayout(buttons)
        self.download_bar = QProgressBar()
        self.download_bar.setTextVisible(False)
        self.download_bar.hide()
        text_column = QVBoxLayout()
        text_column.addWidget(self.model_text)
        text_column.addWidget(self.download_bar)
        row.insertLayout(1, text_column, 1)
        return card

    def set_weights_present(self, present: bool | None) -> None:
        """Explain the one-time download, or say that the model is already here."""
        spec = self.spec
        offline = "Phototag runs fully offline: no photo, label or search ever leaves this machine."
        grey = "<span style='color:#9aa0a9'>{}</span>"
        self.model_badge.setPixmap(
            icon("check" if present else "download", "accent").pixmap(28, 28)
        )
        if present:
            self.model_text.setText(
                f"<b>The model, {spec.name}, is on this computer.</b><br>" + grey.format(offline)
            )
        else:
            self.model_text.setText(
                f"<b>One-time download: {spec.name} (about {spec.download_mb} MB)</b><br>"
                + grey.format(f"Saved in {hub_cache_dir()}. After that, {offline}")
            )
        self.download_button.setVisible(not present)
        self.choose_button.setVisible(not present)

    def _buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        add = QPushButton(icon("folder-plus", "#ffffff"), "  Add a folder…")
        add.setObjectName("primary")
        add.setMinimumHeight(40)
        add.clicked.connect(self.addFolderRequested)
        row.addWidget(add)
        pictures = Path.home() / "Pictures"
        if pictures.is_dir():
            shortcut = QPushButton(f"Use {pictures}")
            shortcut.setMinimumHeight(40)
            shortcut.clicked.connect(lambda: self.folderChosen.emit(str(pictures)))
            row.addWidget(shortcut)
        row.addStretch(1)
        return row

    def set_download_state(self, text: str, busy: bool) -> None:
        """A download started (busy: Cancel shown) or ended (text says how)."""
        self.model_text.setText(text)
        self.download_button.setEnabled(not busy)
        self.cancel_button.setVisible(busy)
        self.download_bar.setVisible(busy)
        if busy:
            self.download_bar.setRange(0, 0)  # busy until the first report gives the size

    def show_download_progress(self, progress: DownloadProgress) -> None:
        self.model_text.setText(f"<b>Downloading {describe_download(self.spec.name, progress)}</b>")
        # In kB: a QProgressBar counts in int, and 605 MB in bytes is near its limit.
        self.download_bar.setRange(0, max(progress.total // 1000, 1))
        self.download_bar.setValue(progress.done // 1000)
