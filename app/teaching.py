"""The teaching loop in the window: Edit → Undo / Redo over the library's history, and the words
a label's health is shown in (the review header, the sidebar's tooltip)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence

from phototag.app.library_thread import Change
from phototag.core import HistoryEntry, LabelHealth, Reversal


class UndoControls(QObject):
    """Undo (Ctrl+Z) and Redo (Ctrl+Shift+Z) actions named after the decision they reverse.
    They reverse through `change` (the window's one way to write, on the library thread);
    `reversed` carries the message to show once the library is back as it was."""

    reversed = Signal(str)

    def __init__(self, change: Change, parent=None):
        super().__init__(parent)
        self._change = change
        self.undo_action = QAction("&Undo", parent)
        self.undo_action.setShortcut(QKeySequence("Ctrl+Z"))
        self.undo_action.triggered.connect(self.undo)
        self.redo_action = QAction("&Redo", parent)
        self.redo_action.setShortcut(QKeySequence("Ctrl+Shift+Z"))
        self.redo_action.triggered.connect(self.redo)

    def update(self, entries: list[HistoryEntry]) -> None:
        """Name the actions after what they would reverse; disable one with nothing to do."""
        done = next((e for e in entries if not e.undone), None)
        undone = next((e for e in reversed(entries) if e.undone), None)
        for action, entry, verb in (
            (self.undo_action, done, "Undo"),
            (self.redo_action, undone, "Redo"),
        ):
            action.setEnabled(entry is not None)
            described = "" if entry is None else f" {entry.action.capitalize()} {entry.summary}"
            action.setText(f"&{verb}{described}")

    def undo(self) -> None:
        self._change(lambda library: library.undo(), lambda r: self._reversed(r, "Undid"))

    def redo(self) -> None:
        self._change(lambda library: library.redo(), lambda r: self._reversed(r, "Redid"))

    def _reversed(self, reversal: Reversal, done: str) -> None:
        entry = reversal.entries[0]
        message = f"{done}: {entry.action} {entry.summary}"
        if reversal.sidecars_kept:
            message += f" (kept {len(reversal.sidecars_kept)} sidecar(s) edited since)"
        self.reversed.emit(message)


def precision_text(health: LabelHealth) -> str:
    if health.precision is None or health.precision_interval is None:
        return "precision not known yet"
    low, high = health.precision_interval
    return (
        f"{health.precision:.0%} of reviewed suggestions right "
        f"({low:.0%}–{high:.0%}, {health.reviewed} reviewed)"
    )


def health_summary(health: LabelHealth) -> str:
    """One line for the review header: what is left to review, how precise, what is weak."""
    parts = [f"{health.unreviewed:,} suggestions to review", precision_text(health)]
    parts += [f"⚠ {warning}" for warning in health.warnings]
    return " · ".join(parts)


def health_tooltip(health: LabelHealth) -> str:
    """The sidebar's tooltip for a label."""
    lines = [
        f"{health.name}: {health.examples} examples, {health.rejections} rejections, "
        f"{health.unreviewed} suggestions to review",
        precision_text(health),
    ]
    return "\n".join(lines + [f"Weak: {warning}" for warning in health.warnings])
