"""The bar above the grid while a label is open: its groups, its threshold and bulk decisions.

Groups are Suggested (above the threshold, best first), Near misses (just below), Confirmed
and Rejected, and "Help this label": the undecided photos whose decision would teach the label
most (core/labels/queue.py), spread over the library. The slider moves the label's threshold
live: the grid and counts follow while it is dragged; "Automatic" gives the choice back to the
engine.

The slider steps in photos: its positions are the review's stops (the distinct scores of the
undecided photos, best first), so one key press suggests one photo more or fewer, and the
readout names the threshold on the scale the badges use (core/labels/readable.py says why that
scale): "28 photos at 62% and up", 62% the badge of the last photo suggested.
"""

from __future__ import annotations

import numpy as np
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
from phototag.app.text import count, percent
from phototag.core import LabelReview

SECTIONS = (
    ("suggested", "Suggested"),
    ("near_misses", "Near misses"),
    ("confirmed", "Confirmed"),
    ("rejected", "Rejected"),
    ("help", "Help this label"),
)
LIVE_DELAY_MS = 40  # coalesces slider ticks: one re-score per frame, not per pixel


class ReviewBar(QWidget):
    sectionChosen = Signal(str)  # noqa: N815
    thresholdChanged = Signal(float)  # noqa: N815
    thresholdReset = Signal()  # noqa: N815
    confirmRequested = Signal()  # noqa: N815
    rejectRequested = Signal()  # noqa: N815

    def __init__(self, parent=None):
        super().__init__(parent)
        self._stops = np.empty(0)
        self._stop_scores: tuple[float, ...] = ()
        self._how = ""
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
        self.slider.setAccessibleName("threshold")
        self.slider.setPageStep(10)
        self.slider.valueChanged.connect(self._slider_moved)
        self.threshold_text = QLabel()
        self.threshold_text.setObjectName("muted")
        self.threshold_text.setMinimumWidth(220)
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
        threshold = review.threshold
        self.slider.setEnabled(threshold is not None and len(review.stops) > 0)
        self.auto_button.setEnabled(not review.threshold_is_automatic)
        if threshold is None:
            self.threshold_text.setText("needs an example")
            return
        self._how = "automatic" if review.threshold_is_automatic else "set by you"
        if not self.slider.isSliderDown() and not self._timer.isActive():
            # Not while a move waits for its re-score: a refresh then (health, thumbnails)
            # still carries the old threshold and would put the slider back.
            self._stops = np.asarray(review.stops, dtype=np.float64)
            self._stop_scores = review.stop_scores
            self.slider.blockSignals(True)
            self.slider.setRange(0, len(self._stops))
            self.slider.setValue(len(self._stops) - self._suggested_at(threshold))
            self.slider.blockSignals(False)
        self._show_readout()

    def suggested(self) -> int:
        """How many undecided photos the slider's position suggests."""
        return len(self._stops) - self.slider.value()

    def slider_threshold(self) -> float:
        """The cosine of the slider's position: the last photo it suggests, or just above the
        best one when it suggests none."""
        shown = self.suggested()
        if shown == 0:
            return float(np.nextafter(self._stops[0], np.inf)) if len(self._stops) else 1.0
        return float(self._stops[shown - 1])

    def _suggested_at(self, threshold: float) -> int:
        return int(np.count_nonzero(self._stops >= threshold))

    def _show_readout(self) -> None:
        shown = self.suggested()
        if shown == 0:
            self.threshold_text.setText(f"none suggested · {self._how}")
            return
        score = percent(self._stop_scores[shown - 1])
        self.threshold_text.setText(f"{count(shown, 'photo')} at {score} and up · {self._how}")

    def _slider_moved(self, _value: int) -> None:
        self._show_readout()
        self._timer.start()
