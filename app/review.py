"""The bar above the grid while a label is open: its groups, its threshold and bulk decisions.

Groups are Suggested (above the threshold, best first), Near misses (just below), Confirmed
and Rejected, and "Help this label": the undecided photos whose decision would teach the label
most (core/labels/queue.py), spread over the library. The slider moves the label's threshold
live: the grid and counts follow while it is dragged; "Automatic" gives the choice back to the
engine.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from phototag.app.style import icon
from phototag.core import LabelReview

SECTIONS = (
    ("suggested", "Suggested"),
    ("near_misses", "Near misses"),
    ("confirmed", "Confirmed"),
    ("rejected", "Rejected"),
    ("help", "Help this label"),
)
STEPS = 1000
LIVE_DELAY_MS = 40  # coalesces slider ticks: one re-score per frame, not per pixel


class ReviewBar(QWidget):
    sectionChosen = Signal(str)  # noqa: N815
    thresholdChanged = Signal(float)  # noqa: N815
    thresholdReset = Signal()  # noqa: N815
    confirmRequested = Signal()  # noqa: N815
    rejectRequested = Signal()  # noqa: N815

    def __init__(self, parent=None):
        super().__init__(parent)
        self._range = (0.0, 1.0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 0, 16, 8)
        layout.setSpacing(8)
        layout.addLayout(self._build_sections())
        layout.addLayout(self._build_threshold())
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(LIVE_DELAY_MS)
        self._timer.timeout.connect(lambda: self.thresholdChanged.emit(self.slider_threshold()))

    def _build_sections(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(4)
        self.segments: dict[str, QPushButton] = {}
        group = QButtonGroup(self)
        group.setExclusive(True)
        for key, _title in SECTIONS:
            button = QPushButton()
            button.setObjectName("segment")
            button.setCheckable(True)
            if key == "help":
                button.setIcon(icon("sparkle", "accent"))
                button.setToolTip(
                    "The photos to decide next: those the label is least sure about, "
                    "spread over the library"
                )
            button.clicked.connect(lambda _=False, k=key: self.sectionChosen.emit(k))
            group.addButton(button)
            row.addWidget(button)
            self.segments[key] = button
        row.addStretch(1)
        self.confirm_button = QPushButton(icon("check", "text"), "Confirm")
        self.confirm_button.setToolTip("Confirm the selected photos (Ctrl+Return)")
        self.confirm_button.clicked.connect(self.confirmRequested)
        self.reject_button = QPushButton(icon("x", "rejected"), "Reject")
        self.reject_button.setToolTip("Reject the selected photos (Ctrl+Backspace)")
        self.reject_button.clicked.connect(self.rejectRequested)
        row.addWidget(self.confirm_button)
        row.addWidget(self.reject_button)
        return row

    def _build_threshold(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(10)
        title = QLabel("Threshold")
        title.setObjectName("muted")
        more = QLabel("more")
        more.setObjectName("muted")
        fewer = QLabel("fewer")
        fewer.setObjectName("muted")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, STEPS)
        self.slider.setAccessibleName("threshold")
        self.slider.valueChanged.connect(self._slider_moved)
        self.threshold_text = QLabel()
        self.threshold_text.setObjectName("muted")
        self.threshold_text.setMinimumWidth(140)
        self.auto_button = QPushButton("Automatic")
        self.auto_button.setObjectName("flat")
        self.auto_button.setToolTip("Let Phototag choose the threshold from your decisions")
        self.auto_button.clicked.connect(self.thresholdReset)
        for widget in (title, more):
            row.addWidget(widget)
        row.addWidget(self.slider, 1)
        for widget in (fewer, self.threshold_text, self.auto_button):
            row.addWidget(widget)
        return row

    def set_review(self, review: LabelReview, section: str, to_help: int) -> None:
        """Show the counts and the threshold without emitting anything back; `to_help` is how
        many photos the Help-this-label queue holds."""
        for key, title in SECTIONS:
            shown = to_help if key == "help" else len(getattr(review, key))
            self.segments[key].setText(f"{title}  {shown}")
            self.segments[key].setChecked(key == section)
        low, high = review.score_range
        threshold = review.threshold
        self.slider.setEnabled(threshold is not None)
        self.auto_button.setEnabled(not review.threshold_is_automatic)
        if threshold is None:
            self.threshold_text.setText("needs an example")
            return
        if not self.slider.isSliderDown():
            self._range = (min(low, threshold), max(high, threshold))
            self.slider.blockSignals(True)
            self.slider.setValue(self._to_steps(threshold))
            self.slider.blockSignals(False)
        how = "automatic" if review.threshold_is_automatic else "set by you"
        self.threshold_text.setText(f"{threshold:.3f} · {how}")

    def slider_threshold(self) -> float:
        low, high = self._range
        return low + (high - low) * self.slider.value() / STEPS

    def _to_steps(self, threshold: float) -> int:
        low, high = self._range
        return round(STEPS * (threshold - low) / (high - low)) if high > low else STEPS // 2

    def _slider_moved(self, _value: int) -> None:
        self._timer.start()
