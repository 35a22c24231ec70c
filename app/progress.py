"""The scan's progress in the status bar: done/total, rate, time left, pause and cancel.

Never a modal dialog: the library stays usable while photos are embedded.
"""

from __future__ import annotations

import math
import time

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from phototag.app.style import icon
from phototag.core import Coverage, DownloadProgress

RATE_WINDOW_S = 8.0
TASK_STAGES = {
    "refining": "Refining the model",
    "recomputing": "Updating photos",
}  # the rate is measured over the last few seconds, so it follows changes


def format_eta(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def describe_download(name: str, progress: DownloadProgress) -> str:
    """'ViT-B-32: 123 of 605 MB · 41.2 MB/s · 0:12 left': bytes, rate and time left."""
    parts = [f"{name}: {progress.done / 1e6:,.0f} of {progress.total / 1e6:,.0f} MB"]
    if progress.rate > 0:
        parts.append(f"{progress.rate / 1e6:.1f} MB/s")
    if progress.seconds_left is not None:
        parts.append(f"{format_eta(progress.seconds_left)} left")
    return " · ".join(parts)


def describe_coverage(coverage: Coverage) -> str:
    """'Suggestions cover 12,400 of 50,000 photos (25%) — scanning…': while a first scan runs,
    labels score only the photos embedded so far, and the user should know how many. The
    share is rounded down: 100% only once every known photo is seen."""
    share = math.floor(coverage.fraction * 100)
    of_known = f"{coverage.seen:,} of {coverage.known:,} photos"
    return f"Suggestions cover {of_known} ({share}%) — scanning…"


def _text_and_bar(owner: QWidget, bar_width: int) -> tuple[QHBoxLayout, QLabel, QProgressBar]:
    """The start of a status-bar progress row: what is happening, then the bar."""
    layout = QHBoxLayout(owner)
    layout.setContentsMargins(0, 0, 6, 0)
    layout.setSpacing(8)
    text = QLabel()
    bar = QProgressBar()
    bar.setFixedWidth(bar_width)
    layout.addWidget(text)
    layout.addWidget(bar)
    return layout, text, bar


class ScanProgress(QWidget):
    pauseToggled = Signal(bool)  # noqa: N815  True = paused
    cancelRequested = Signal()  # noqa: N815

    def __init__(self, parent=None):
        super().__init__(parent)
        layout, self.text, self.bar = _text_and_bar(self, 200)
        self.pause_button = QToolButton()
        self.pause_button.setIcon(icon("pause"))
        self.pause_button.setToolTip("Pause the scan")
        self.pause_button.setCheckable(True)
        self.pause_button.toggled.connect(self._toggled)
        self.cancel_button = QToolButton()
        self.cancel_button.setIcon(icon("stop"))
        self.cancel_button.setToolTip("Stop the scan (finished photos are kept; it resumes later)")
        self.cancel_button.clicked.connect(self.cancelRequested)
        layout.addWidget(self.pause_button)
        layout.addWidget(self.cancel_button)
        self._samples: list[tuple[float, int]] = []
        self.listed = 0  # the files the scan has found: the total of its last count
        self.hide()

    def start(self, message: str = "Loading the model…") -> None:
        self._samples = []
        self.listed = 0
        self.pause_button.blockSignals(True)
        self.pause_button.setChecked(False)
        self.pause_button.setIcon(icon("pause"))
        self.pause_button.blockSignals(False)
        self.bar.setRange(0, 0)  # busy until the first count arrives
        self.text.setText(message)
        self.show()

    def report(self, *values) -> None:
        """What a scan task reports: (what, step, steps) of a conversion, or photo counts."""
        if isinstance(values[0], str):
            self.show_stage(*values)
        else:
            self.update_progress(*values)

    def show_stage(self, what: str, step: int, steps: int) -> None:
        self.bar.setRange(0, steps)
        self.bar.setValue(step)
        self.text.setText(f"{what[:1].upper()}{what[1:]}… (step {step + 1} of {steps})")

    def update_progress(self, done: int, total: int) -> None:
        now = time.monotonic()
        self.listed = total
        self._samples.append((now, done))
        self._samples = [s for s in self._samples if now - s[0] <= RATE_WINDOW_S]
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)
        parts = [f"{done:,} / {total:,} photos"]
        first_time, first_done = self._samples[0]
        if now - first_time > 0.5 and done > first_done:
            rate = (done - first_done) / (now - first_time)
            parts.append(f"{rate:.0f}/s" if rate >= 10 else f"{rate:.1f}/s")
            parts.append(f"{format_eta((total - done) / rate)} left")
        if self.pause_button.isChecked():
            parts.append("paused")
        self.text.setText(" · ".join(parts))

    def finish(self) -> None:
        self.hide()

    def _toggled(self, paused: bool) -> None:
        self.pause_button.setIcon(icon("play" if paused else "pause"))
        self.pause_button.setToolTip("Resume the scan" if paused else "Pause the scan")
        self._samples = []
        self.pauseToggled.emit(paused)


class TaskProgress(QWidget):
    """A short task's stage and progress in the status bar (refining the model): no pause or
    cancel, as it takes seconds."""

    def __init__(self, parent=None):
        super().__init__(parent)
        _, self.text, self.bar = _text_and_bar(self, 160)
        self.hide()

    def start(self, message: str) -> None:
        self.bar.setRange(0, 0)
        self.text.setText(message)
        self.show()

    def update_progress(self, stage: str, done: int, total: int) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)
        self.text.setText(f"{TASK_STAGES.get(stage, stage)}… {done:,} / {total:,}")

    def finish(self) -> None:
        self.hide()
