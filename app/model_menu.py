"""The Model menu: which method labels use, and ProLIP's refine and revert of the model.

Refining runs as a task (app/tasks.py) on its own Library, as a scan does; the window pauses its
folder watcher meanwhile (the `started` signal), so no photo is embedded with a projection that is
being replaced, and reloads everything when it ends (`finished`). A method choice refits labels
on the library thread, through the window's `change` (app/library_thread.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QActionGroup
from PySide6.QtWidgets import QMenu, QWidget

from phototag.app.library_thread import Change
from phototag.app.progress import TaskProgress
from phototag.app.tasks import Task
from phototag.app.view_snapshot import LibraryContents
from phototag.app.workers import failure, start_refine
from phototag.core import ProjectionChange


class ModelControls(QObject):
    started = Signal()
    finished = Signal(str)  # the message for the status bar
    failed = Signal(str, str)  # kind, message

    def __init__(self, root: Path, change: Change, parent: QWidget, scanning: Callable[[], bool]):
        super().__init__(parent)
        self.root = root
        self._change = change
        self.contents: LibraryContents | None = None  # as the window last showed the library
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

    def show(self, contents: LibraryContents) -> None:
        self.contents = contents
        self.update_actions()

    def update_actions(self) -> None:
        """Enable what can run now: refining needs decisions, reverting a refinement."""
        contents = self.contents
        if contents is None:
            return
        self._fill_methods(self.method_menu, contents.method, None, self.set_method)
        has_model = contents.model is not None
        decided = any(info.confirmed or info.rejected for info in contents.labels)
        base = contents.revert_to
        free = not self.busy and not self.scanning()
        self.refine_action.setEnabled(free and has_model and decided)
        self.revert_action.setEnabled(free and base is not None)
        self.revert_action.setText(
            "Re&vert Refinement" if base is None else f"Re&vert Refinement (to version {base})"
        )

    def add_label_menu(self, menu: QMenu, label: str) -> None:
        """A label's own method, or the library's, in the label's context menu."""
        contents = self.contents
        info = (
            None
            if contents is None
            else next((i for i in contents.labels if i.name == label), None)
        )
        if contents is None or info is None:
            return
        chosen = info.method if info.method_is_own else None
        submenu = menu.addMenu("Method")
        self._fill_methods(
            submenu,
            chosen,
            f"Library's ({contents.method})",
            lambda name: self.set_label_method(label, name),
        )

    def set_method(self, name: str) -> None:
        """Refits every label that follows the library's method, on the library thread."""
        self._change(lambda library: library.set_method(name), lambda _: None)

    def set_label_method(self, label: str, name: str | None) -> None:
        self._change(lambda library: library.set_label_method(label, name), lambda _: None)

    def start(self, revert: bool) -> None:
        if self.busy or self.scanning():
            return
        self.started.emit()
        self.progress.start("Reverting the model…" if revert else "Refining the model…")
        self.worker = start_refine(
            self.root,
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
        entries: list[tuple[str | None, str, str]] = [(None, inherit, "")] if inherit else []
        methods = {} if self.contents is None else self.contents.methods
        entries += [(name, name, summary) for name, summary in methods.items()]
        for name, title, summary in entries:
            action = menu.addAction(title, lambda n=name: choose(n))
            action.setCheckable(True)
            action.setChecked(name == current)
            action.setToolTip(summary)
            action.setStatusTip(summary)
            group.addAction(action)
        menu.setToolTipsVisible(True)

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
        self.finished.emit(message)  # the window reloads its Library
        self.update_actions()


def _describe(change: ProjectionChange, revert: bool) -> str:
    photos = f"{change.recomputed:,} photo{'s' if change.recomputed != 1 else ''} updated"
    if revert:
        return f"Reverted the model to version {change.version}; {photos}."
    return (
        f"Refined the model (version {change.version}, moved {change.moved:.1%}) on "
        f"{change.photos} labelled photos; {photos}."
    )
