"""The details pane: the selected photo's facts and labels, and the box that teaches a label.

Each label is a chip whose look says who decided: solid for the user's confirmation, dashed
outline with a score for the model's suggestion, struck through for a rejection. A suggestion
has Confirm / Reject next to it; a decision can be withdrawn. Rejections have a section of their
own ("Not in this photo"): a negative example teaches a label as much as a positive one, so the
user sees which labels they ruled out and can withdraw each (untag, undoable with Ctrl+Z).
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QCompleter,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from phototag.app.style import icon
from phototag.app.text import percent
from phototag.app.thumbnail_loader import ThumbnailLoader
from phototag.core import PhotoDetails, PhotoLabel

PREVIEW_WIDTH = 288
CHIP_STYLES = {
    "confirmed": "background:#4a5fd6; color:white; border:1px solid #6c8cff;",
    "suggested": "background:transparent; color:#9db2ff; border:1px dashed #6c8cff;",
    "rejected": "background:transparent; color:#ef6b6b; border:1px solid #5a3a3a;"
    " text-decoration: line-through;",
}
STATE_WORDS = {"confirmed": "confirmed by you", "suggested": "suggested", "rejected": "rejected"}


def human_size(size: int | None) -> str:
    if size is None:
        return "—"
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit in ("bytes", "KB") else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"


def human_time(value: str | float | None) -> str:
    """EXIF times are ISO strings, file times epoch seconds: both become one local format."""
    if value is None:
        return "—"
    try:
        moment = (
            datetime.fromtimestamp(value)
            if isinstance(value, float)
            else datetime.fromisoformat(value)
        )
    except (ValueError, OSError, OverflowError):
        return str(value)
    return moment.strftime("%d %b %Y, %H:%M")


class LabelRow(QWidget):
    """One label on the photo: chip, score, and the actions that make sense for its state."""

    decided = Signal(str, str)  # label, "confirm" | "reject" | "untag"

    def __init__(self, label: PhotoLabel, parent=None):
        super().__init__(parent)
        self.label = label
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 2)
        layout.setSpacing(6)
        chip = QLabel(label.name)
        chip.setObjectName(f"chip-{label.state}")
        chip.setStyleSheet(CHIP_STYLES[label.state] + "border-radius:11px; padding:2px 10px;")
        chip.setToolTip(f"{label.name}: {STATE_WORDS[label.state]} (score {percent(label.score)})")
        layout.addWidget(chip)
        score = QLabel(percent(label.score) if label.state != "confirmed" else "")
        score.setObjectName("muted")
        score.setToolTip(f"How sure Phototag is that this photo shows {label.name}")
        layout.addWidget(score)
        layout.addStretch(1)
        if label.state == "suggested":
            self._action("check", "confirm", f"Confirm: this photo shows {label.name}")
            self._action("x", "reject", f"Reject: this photo does not show {label.name}")
        elif label.state == "rejected":
            self._withdraw()
        else:
            self._action("refresh", "untag", "Undo: let the model decide again")

    def _action(self, icon_name: str, action: str, tip: str) -> None:
        button = QToolButton(self)
        button.setObjectName("flat")
        button.setIcon(icon(icon_name, "accent" if action == "confirm" else "muted"))
        button.setToolTip(tip)
        button.setAccessibleName(f"{action} {self.label.name}")
        button.clicked.connect(lambda: self.decided.emit(self.label.name, action))
        self.layout().addWidget(button)

    def _withdraw(self) -> None:
        """A rejection's one action, in words: an icon alone did not say what it undoes."""
        button = QPushButton(icon("refresh", "muted"), "Withdraw")
        button.setObjectName("flat")
        button.setToolTip(
            f"Withdraw the rejection: let the model decide whether this photo shows "
            f"{self.label.name} (Ctrl+Z brings the rejection back)"
        )
        button.setAccessibleName(f"withdraw rejection {self.label.name}")
        button.clicked.connect(lambda: self.decided.emit(self.label.name, "untag"))
        self.layout().addWidget(button)


class DetailsPane(QScrollArea):
    tagRequested = Signal(str)  # noqa: N815
    decisionRequested = Signal(str, str)  # noqa: N815
    similarRequested = Signal()  # noqa: N815  (more like the selected photos)

    def __init__(self, loader: ThumbnailLoader, parent=None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setMinimumWidth(PREVIEW_WIDTH + 40)
        self.setMaximumWidth(PREVIEW_WIDTH + 120)
        self._loader = loader
        self._shown_hash: str | None = None
        loader.ready.connect(self._thumbnail_ready)
        body = QWidget()
        body.setObjectName("details")
        self.setWidget(body)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(18, 18, 18, 18)
        layout.setSpacing(10)
        self.preview = QLabel()
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumHeight(180)
        self.preview.setStyleSheet("background:#212328; border-radius:10px;")
        self.title = QLabel()
        self.title.setObjectName("detailsTitle")
        self.title.setWordWrap(True)
        self.subtitle = QLabel()
        self.subtitle.setObjectName("muted")
        self.subtitle.setWordWrap(True)
        self.subtitle.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.more_like_this = QPushButton(icon("sparkle", "accent"), "More like this")
        self.more_like_this.setObjectName("moreLikeThis")
        self.more_like_this.setToolTip("Photos that look like the selected ones, most alike first")
        self.more_like_this.clicked.connect(self.similarRequested)
        self.facts = QFormLayout()
        self.facts.setHorizontalSpacing(14)
        self.facts.setVerticalSpacing(4)
        self.labels_header = _section("LABELS")
        self.labels_box = QVBoxLayout()
        self.labels_box.setSpacing(2)
        self.rejections_header = _section("NOT IN THIS PHOTO")
        self.rejections_hint = QLabel("You rejected these labels here; each label learns from it.")
        self.rejections_hint.setObjectName("muted")
        self.rejections_hint.setWordWrap(True)
        self.rejections_box = QVBoxLayout()
        self.rejections_box.setSpacing(2)
        self.teach_header = _section("ADD A LABEL")
        self.tag_input = QLineEdit()
        self.tag_input.setObjectName("tagInput")
        self.tag_input.setPlaceholderText("Type a label, e.g. Rex, and press Enter")
        self.tag_input.setClearButtonEnabled(True)
        self.tag_input.returnPressed.connect(self._submit)
        self._names = QStringListModel(self)
        completer = QCompleter(self._names, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.tag_input.setCompleter(completer)
        self.teach_hint = QLabel(
            "Tag a few photos of the same thing; Phototag finds the others in a moment."
        )
        self.teach_hint.setObjectName("muted")
        self.teach_hint.setWordWrap(True)
        for widget in (self.preview, self.title, self.subtitle, self.more_like_this):
            layout.addWidget(widget)
        layout.addLayout(self.facts)
        layout.addSpacing(6)
        layout.addWidget(self.labels_header)
        layout.addLayout(self.labels_box)
        layout.addSpacing(6)
        layout.addWidget(self.rejections_header)
        layout.addWidget(self.rejections_hint)
        layout.addLayout(self.rejections_box)
        layout.addSpacing(6)
        layout.addWidget(self.teach_header)
        layout.addWidget(self.tag_input)
        layout.addWidget(self.teach_hint)
        layout.addStretch(1)
        self.show_nothing()

    def set_label_names(self, names: list[str]) -> None:
        self._names.setStringList(names)

    # ----- what is shown ----------------------------------------------------------------------

    def show_nothing(self) -> None:
        self._shown_hash = None
        self._set_preview(None)
        self.title.setText("No photo selected")
        self.subtitle.setText(
            "Click a photo to see its details. Select a few photos of the same thing "
            "(Ctrl+click) and type a label below to teach it."
        )
        self._set_facts([])
        self._set_labels(None)
        self._set_teaching(False)
        self.more_like_this.hide()

    def show_many(self, count: int) -> None:
        self._shown_hash = None
        self._set_preview(None)
        self.title.setText(f"{count} photos selected")
        self.subtitle.setText("Type a label below to tag them all at once.")
        self._set_facts([])
        self._set_labels(None)
        self._set_teaching(True)
        self.more_like_this.show()

    def show_photo(self, photo: PhotoDetails) -> None:
        path = Path(photo.path)
        self._shown_hash = photo.content_hash
        self._load_preview()
        self.title.setText(path.name)
        self.subtitle.setText(str(path.parent))
        dimensions = f"{photo.width} × {photo.height}" if photo.width else "—"
        facts = [
            ("Dimensions", dimensions),
            ("File size", human_size(photo.size)),
            ("Taken", human_time(photo.taken_at)),
            ("Modified", human_time(photo.mtime)),
        ]
        if len(photo.files) > 1:  # a RAW+JPEG pair: one photo, both files tagged
            facts.append(("Files", "\n".join(Path(file).name for file in photo.files)))
        self._set_facts(facts)
        self._set_labels(photo.labels)
        self._set_teaching(True)
        self.more_like_this.show()

    # ----- pieces -----------------------------------------------------------------------------

    def _set_teaching(self, visible: bool) -> None:
        for widget in (self.teach_header, self.tag_input, self.teach_hint):
            widget.setVisible(visible)

    def _set_facts(self, rows: list[tuple[str, str]]) -> None:
        while self.facts.rowCount():
            self.facts.removeRow(0)
        for key, value in rows:
            name = QLabel(key)
            name.setObjectName("muted")
            shown = QLabel(value)
            shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.facts.addRow(name, shown)

    def _set_labels(self, labels: list[PhotoLabel] | None) -> None:
        """The labels the photo carries, then (in their own section) those the user rejected."""
        carried = [label for label in labels or [] if label.state != "rejected"]
        rejected = [label for label in labels or [] if label.state == "rejected"]
        self.labels_header.setVisible(labels is not None)
        self._fill(self.labels_box, carried)
        if labels is not None and not carried:
            none = QLabel("No labels yet.")
            none.setObjectName("muted")
            self.labels_box.addWidget(none)
        for widget in (self.rejections_header, self.rejections_hint):
            widget.setVisible(bool(rejected))
        self._fill(self.rejections_box, rejected)

    def _fill(self, box: QVBoxLayout, labels: list[PhotoLabel]) -> None:
        while box.count():
            widget = box.takeAt(0).widget()
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        for label in labels:
            row = LabelRow(label)
            row.decided.connect(self.decisionRequested)
            box.addWidget(row)

    def _set_preview(self, pixmap: QPixmap | None) -> None:
        self.preview.setVisible(pixmap is not None or self._shown_hash is not None)
        if pixmap is None:
            self.preview.clear()
            return
        self.preview.setPixmap(
            pixmap.scaled(
                PREVIEW_WIDTH,
                PREVIEW_WIDTH,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    def _load_preview(self) -> None:
        """The cached thumbnail, uncropped; if not made yet, the loader makes it."""
        cached = self._loader.cache.path_for(self._shown_hash)
        if os.path.exists(cached):
            image = QImage(str(cached))
            self._set_preview(None if image.isNull() else QPixmap.fromImage(image))
        else:
            self._set_preview(None)

    def _thumbnail_ready(self, key: str) -> None:
        if key == self._shown_hash and self.preview.pixmap().isNull():
            self._load_preview()

    def _submit(self) -> None:
        text = self.tag_input.text().strip()
        if text:
            self.tagRequested.emit(text)
            self.tag_input.clear()


def _section(title: str) -> QLabel:
    label = QLabel(title)
    label.setObjectName("section")
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
    return label
