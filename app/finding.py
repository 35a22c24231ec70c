"""Finding photos in the window: more like this, smart albums in the sidebar, and the offer to
name a group of look-alike unlabelled photos.

The window owns the views ("similar", "album", "group" among them; their photos are read with
the rest of a view, app/view_snapshot.py) and FindingControls runs what is slow off the GUI
thread through app/tasks.py: discovering groups (HDBSCAN over the library, seconds) and
embedding an album's texts (the model) each run as a task on a Library of their own; saving or
removing an album goes through the window's `change`, on the library thread.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from phototag.app.library_thread import Change
from phototag.app.style import icon
from phototag.app.tasks import Task, run_task
from phototag.app.text import count
from phototag.app.workers import failure
from phototag.core import Library, PhotoGroup, PhotoRef, PhototagError, quote_label

QUERY_HELP = (
    'Labels with AND, OR, NOT and ( ), "quoted" when they have spaces; confirmed:Rex, '
    'text:"dog on a sofa", folder:~/Pictures, taken:2023-06..2023-08, unlabelled'
)


Answer = Callable[[str | None], None]  # the album's problem, or None once it is saved


class AlbumDialog(QDialog):
    """Name and query of a smart album; `save(name, query, answer)` answers with an error or
    None, and the dialog stays open on an error, showing it under the query."""

    def __init__(
        self, parent: QWidget, save: Callable[[str, str, Answer], None], name="", query=""
    ):
        super().__init__(parent)
        self.setObjectName("albumDialog")
        self.setWindowTitle("Smart album")
        self._save = save
        self.name = QLineEdit(name)
        self.name.setPlaceholderText("e.g. Summer with Rex")
        self.query = QLineEdit(query)
        self.query.setPlaceholderText('e.g. Rex AND NOT "New York" AND taken:2023-06..2023-08')
        self.query.setMinimumWidth(460)
        for field in (self.name, self.query):
            field.setMinimumHeight(30)
        hint = QLabel(QUERY_HELP)
        hint.setObjectName("muted")
        hint.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("queryError")
        self.error.setStyleSheet("color:#ef6b6b;")
        self.error.setWordWrap(True)
        self.error.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._try_save)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Photos with", self.query)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _try_save(self) -> None:
        self._save(self.name.text(), self.query.text(), self._answered)

    def _answered(self, problem: str | None) -> None:
        if problem is None:
            self.accept()
            return
        self.error.setText(problem)
        self.error.show()


class GroupOffer(QFrame):
    """The banner above the grid: 'N photos look alike — name them?'."""

    showRequested = Signal()  # noqa: N815
    nameChosen = Signal(str)  # noqa: N815
    nextRequested = Signal()  # noqa: N815
    dismissed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("groupOffer")
        self.setStyleSheet(
            "QFrame#groupOffer { background:#1f2540; border:1px solid #3b4a8a;"
            " border-radius:8px; margin:0 16px 6px 16px; }"
        )
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 8, 12, 8)
        spark = QLabel()
        spark.setPixmap(icon("sparkle", "accent").pixmap(20, 20))
        self.text = QLabel()
        self.text.setObjectName("offerText")
        # It may shrink (elided by the frame) rather than widen the window past the screen.
        self.text.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.text.setMinimumWidth(140)
        self.show_button = QPushButton("Show them")
        self.show_button.clicked.connect(self.showRequested)
        self.name = QLineEdit()
        self.name.setPlaceholderText("A name, e.g. Snow")
        self.name.setMinimumWidth(180)
        self.name.returnPressed.connect(self._create)
        self.create = QPushButton(icon("tag", "text"), "Create Label")
        self.create.setObjectName("primary")
        self.create.clicked.connect(self._create)
        self.next_button = QPushButton("Next group")
        self.next_button.clicked.connect(self.nextRequested)
        close = QPushButton(icon("x", "muted"), "")
        close.setObjectName("flat")
        close.setToolTip("Not now")
        close.clicked.connect(self.dismissed)
        row.addWidget(spark)
        row.addWidget(self.text, 1)
        for widget in (self.show_button, self.name, self.create, self.next_button, close):
            row.addWidget(widget)
        self.hide()

    def offer(self, group: PhotoGroup, number: int, total: int, shown: bool) -> None:
        self.text.setText(
            f"<b>{len(group.photos)} photos look alike</b> — name them?"
            + (f"  <span style='color:#9aa0a9'>group {number} of {total}</span>" if total else "")
        )
        self.show_button.setVisible(not shown)
        self.name.setVisible(shown)
        self.create.setVisible(shown)
        self.next_button.setVisible(total > 1)
        self.show()

    def _create(self) -> None:
        if self.name.text().strip():
            self.nameChosen.emit(self.name.text().strip())
            self.name.clear()


class FindingControls(QObject):
    """Actions, views and tasks of finding. The window gives its `library` (for the GUI
    thread's short reads, app/library_thread.py), `open_view(kind, key, paths)`, which
    switches its view, `change`, its one way to write, and `notify(message)`."""

    def __init__(
        self,
        library: Library,
        parent: QWidget,
        open_view: Callable[[str, str | None, tuple[str, ...]], None],
        change: Change,
        notify: Callable[[str], None],
    ):
        super().__init__(parent)
        self.library = library
        self._parent = parent
        self._open_view = open_view
        self._change = change
        self._notify = notify
        self.groups: list[PhotoGroup] = []
        self.group_at = 0
        self.discover_task: Task | None = None
        self._texts_task: Task | None = None
        self._after_texts: list[Callable[[], None]] = []
        self.offer = GroupOffer()
        self.more_like_this_action = QAction(icon("sparkle", "text"), "More Like This", self)
        self.more_like_this_action.setToolTip("Photos that look like the selected ones")
        self.new_album_action = QAction(icon("search", "text"), "New Smart Album…", self)
        self.discover_action = QAction(icon("sparkle", "text"), "Find Groups Worth Naming", self)
        self.discover_action.setToolTip("Look for unlabelled photos that look alike")
        self.discover_action.triggered.connect(self.discover)
        self.offer.nextRequested.connect(self._next_group)
        self.offer.dismissed.connect(self.offer.hide)
        self.offer.showRequested.connect(lambda: self._show_group(self.group_at))

    # ----- views --------------------------------------------------------------------------

    def group_photos(self, paths: tuple[str, ...]) -> list[PhotoRef]:
        """The shown group's photos among `paths` (the ones not deselected)."""
        group = self.groups[self.group_at] if self.group_at < len(self.groups) else None
        if group is None:
            return []
        wanted = set(paths)
        return [p for p in group.photos if p.path in wanted]

    def describe(
        self, kind: str, key: str | None, paths: tuple[str, ...], shown: int, query: str = ""
    ):
        """(title, subtitle, empty title, empty hint) of a finding view; `query` an album's."""
        if kind == "similar":
            like = Path(paths[0]).name if len(paths) == 1 else count(len(paths), "photo")
            return (
                f"More like {like}",
                f"{shown:,} photos, most alike first (the % is their similarity)",
                "Nothing alike",
                "Clear the label filter, or pick other photos.",
            )
        if kind == "album":
            return (
                key or "",
                f"{shown:,} photos · {query}",
                "No photo matches this album",
                "Right-click the album in the sidebar to change its query.",
            )
        return (
            f"{len(paths)} photos look alike",
            "Deselect the photos that do not belong and name the rest: the new label then "
            "finds the others in the library.",
            "This group is named",
            "Look at the next group, or find groups again from the Labels menu.",
        )

    def _album_query(self, name: str | None) -> str:
        try:
            return self.library.album_query(name or "")
        except PhototagError:
            return ""

    # ----- more like this ---------------------------------------------------------------

    def more_like(self, paths: list[str]) -> None:
        if not paths:
            self._notify("Select one or more photos first.")
            return
        self._open_view("similar", None, tuple(paths))

    # ----- smart albums -------------------------------------------------------------------

    def open_album(self, name: str) -> None:
        try:
            missing = self.library.query_texts([self.library.album_query(name)])
        except PhototagError as exc:
            self._notify(str(exc))
            return
        if missing:
            self._notify("Reading the album's words with the model…")
            self.embed_texts(missing, lambda: self.open_album(name))  # checks again then
            return
        self._open_view("album", name, ())

    def embed_texts(self, texts: list[str], then: Callable[[], None]) -> None:
        """Embed texts on a task, then call `then` (each caller's, when one task is already
        running: it may carry their texts too, and `then` checks again)."""
        if then not in self._after_texts:
            self._after_texts.append(then)
        if self._texts_task is not None:
            return
        root = self.library.root

        def embed(_control):
            with Library(root) as own:
                return {text: own.embed_text(text) for text in texts}

        def done(vectors, error) -> None:
            self._texts_task = None
            waiting, self._after_texts = self._after_texts, []
            if error is not None:
                self._notify(failure(error)[1])
                return
            for text, vector in vectors.items():
                self.library.remember_text(text, vector)
            for call in waiting:
                call()

        self._texts_task = run_task(embed, done, parent=self)

    def new_album(self, query: str = "") -> None:
        self._album_dialog("", query)

    def edit_album(self, name: str) -> None:
        self._album_dialog(name, self._album_query(name))

    def _album_dialog(self, name: str, query: str) -> None:
        def save(new_name: str, new_query: str, answer: Answer) -> None:
            def saved(result: tuple[str, str | None]) -> None:
                saved_name, problem = result
                answer(problem)
                if problem is None:
                    self.open_album(saved_name)

            self._change(lambda library: _save_album(library, name, new_name, new_query), saved)

        self.dialog = AlbumDialog(self._parent, save, name, query)
        self.dialog.open()

    def album_from_label(self, label: str) -> None:
        self.new_album(quote_label(label))

    # ----- groups worth naming ------------------------------------------------------------

    def discover(self) -> None:
        if self.discover_task is not None:
            return
        self._notify("Looking for unlabelled photos that look alike…")
        self.discover_action.setEnabled(False)
        root = self.library.root

        def find_groups(_control):
            with Library(root) as own:
                return own.discover()

        self.discover_task = run_task(find_groups, self._discovered, parent=self)

    def _discovered(self, groups, error) -> None:
        self.discover_task = None
        self.discover_action.setEnabled(True)
        if error is not None:
            self._notify(failure(error)[1])
            return
        self.groups, self.group_at = list(groups), 0
        if not self.groups:
            self.offer.hide()
            self._notify("No group of look-alike unlabelled photos was found.")
            return
        self._notify(f"Found {count(len(self.groups), 'group')} of look-alike unlabelled photos.")
        self._offer(shown=False)

    def _offer(self, shown: bool) -> None:
        group = self.groups[self.group_at]
        self.offer.offer(group, self.group_at + 1, len(self.groups), shown)

    def _show_group(self, at: int) -> None:
        self.group_at = at
        self._offer(shown=True)
        paths = tuple(p.path for p in self.groups[at].photos)
        self._open_view("group", str(at), paths)

    def _next_group(self) -> None:
        if self.groups:
            self._show_group((self.group_at + 1) % len(self.groups))

    def named(self) -> None:
        """The shown group became a label: offer the next one, if any."""
        del self.groups[self.group_at]
        if not self.groups:
            self.offer.hide()
            return
        self.group_at %= len(self.groups)
        self._offer(shown=False)

    def stop(self) -> None:
        for task in (self.discover_task, self._texts_task):
            if task is not None:
                task.wait()


def _save_album(library: Library, old: str, name: str, query: str) -> tuple[str, str | None]:
    """(the saved name, None), or ("", the problem the dialog shows); on the library thread."""
    try:
        saved = library.save_album(name, query)
        if old and saved.casefold() != old.casefold():
            library.remove_album(old)
    except PhototagError as exc:
        return "", str(exc)
    return saved, None
