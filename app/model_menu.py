"""The Model menu: which method labels use, and ProLIP's refine and revert of the model.

Refining runs as a task (app/tasks.py) on its own Library, as a scan does; the window pauses its
folder watcher meanwhile (the `started` signal), so no photo is embedded with a projection that is
being replaced, and reloads everything when it ends (`finished`).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QActionGroup
from PySide6.QtWidgets import QApplication, QMenu, QWidget

from phototag.app.progress import TaskProgress
from phototag.app.tasks import Task
from phototag.app.workers import failure, start_refine
from phototag.core import Library, PhototagError, ProjectionChange


class ModelControls(QObject):
    started = Signal()
    finished = Signal(str)  # the message for the status bar
    failed = Signal(str, str)  # kind, message
    labelsChanged = Signal()  # noqa: N815  a method choice refitted labels

    def __init__(self, library: Library, parent: QWidget, scanning: Callable[[], bool]):
        super().__init__(parent)
        self.library = library
        self.scanning = scanning
        self.worker: Task | None = None
        self.progress = TaskProgress()
        self.menu = QMenu("&Model", parent)
        self.method_menu = self.menu.addMenu("Labelling &Method")
        self.menu.addSeparator()
        self.refine_action = self.menu.addAction("&Refine (ProLIP)", lambda: self.start(False))
        self.refine_action.setStatusTip(
            "Retrain the model's last layer on your confirmed and rejected photos (seconds); "
            "every label is then refitted"
        )
        self.revert_action = self.menu.addAction("Re&vert Refinement", lambda: self.start(True))
        self.menu.aboutToShow.connect(self.update_actions)

    @property
    def busy(self) -> bool:
        return self.worker is not None

    def update_actions(self) -> None:
        """Enable what can run now: refining needs decisions, reverting a refinement."""
        self._fill_methods(self.method_menu, self.library.method(), None, self.set_method)
        has_model = self.library.model_info() is not None
        decided = any(info.confirmed or info.rejected for info in self.library.labels())
        versions = self.library.refinements() if has_model else []
        active = next((v for v in versions if v.active), None)
        base = None if active is None else active.base
        free = not self.busy and not self.scanning()
        self.refine_action.setEnabled(free and has_model and decided)
        self.revert_action.setEnabled(free and base is not None)
        self.revert_action.setText(
            "Re&vert Refinement" if base is None else f"Re&vert Refinement (to version {base})"
        )

    def add_label_menu(self, menu: QMenu, label: str) -> None:
        """A label's own method, or the library's, in the label's context menu."""
        info = next((i for i in self.library.labels() if i.name == label), None)
        if info is None:
            return
        chosen = info.method if info.method_is_own else None
        submenu = menu.addMenu("Method")
        self._fill_methods(
            submenu,
            chosen,
            f"Library's ({self.library.method()})",
            lambda name: self.set_label_method(label, name),
        )

    def set_method(self, name: str | None) -> None:
        self._refitting(lambda: self.library.set_method(name))

    def set_label_method(self, label: str, name: str | None) -> None:
        self._refitting(lambda: self.library.set_label_method(label, name))

    def start(self, revert: bool) -> None:
        if self.busy or self.scanning():
            return
        self.started.emit()
        self.progress.start("Reverting the model…" if revert else "Refining the model…")
        self.worker = start_refine(
            self.library.root,
            revert,
            lambda change, error: self._done(change, error, revert),
            self.progress.update_progress,
            self,
        )
        self.update_actions()

    def stop(self) -> None:
        """Let a running refinement finish (it takes seconds and is one transaction)."""
        if self.worker is not None:
            self.worker.wait()

    def _fill_methods(self, menu: QMenu, current: str | None, inherit: str | None, choose) -> None:
        menu.clear()
        group = QActionGroup(menu)
        entries = [(None, inherit, "")] if inherit else []
        entries += [(name, name, summary) for name, summary in self.library.methods().items()]
        for name, title, summary in entries:
            action = menu.addAction(title, lambda n=name: choose(n))
            action.setCheckable(True)
            action.setChecked(name == current)
            action.setToolTip(summary)
            action.setStatusTip(summary)
            group.addAction(action)
        menu.setToolTipsVisible(True)

    def _refitting(self, change) -> None:
        """Refitting with another method may take a moment: show it, then refresh."""
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            change()
        except PhototagError as exc:
            self.failed.emit("error", str(exc))
        finally:
            QApplication.restoreOverrideCursor()
        self.labelsChanged.emit()

    def _done(self, change: ProjectionChange, error: BaseException | None, revert: bool) -> None:
        if error is None:
            self._ended(_describe(change, revert))
        else:
            self._failed(*failure(error))

    def _failed(self, kind: str, message: str) -> None:
        self._ended("The model was not changed.")
        self.failed.emit(kind, message)

    def _ended(self, message: str) -> None:
        if self.worker is not None:
            self.worker.wait()
        self.worker = None
        self.progress.finish()
        self.library.reload()
        self.finished.emit(message)
        self.update_actions()


def _describe(change: ProjectionChange, revert: bool) -> str:
    photos = f"{change.recomputed:,} photo{'s' if change.recomputed != 1 else ''} updated"
    if revert:
        return f"Reverted the model to version {change.version}; {photos}."
    return (
        f"Refined the model (version {change.version}, moved {change.moved:.1%}) on "
        f"{change.photos} labelled photos; {photos}."
    )
