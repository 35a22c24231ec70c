"""The main window: sidebar | header + grid | details, a tool bar with search, a status bar
with the scan's progress. It owns the flow between the pieces and talks to the engine only
through Library: its own on the library thread (app/library_thread.py), where every decision
and the snapshot of what it leaves shown (app/view_snapshot.py) are made; everything that runs
the model on a Library of its own in app.workers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import numpy as np
from PySide6.QtCore import (
    QByteArray,
    QItemSelection,
    QItemSelectionModel,
    QSettings,
    Qt,
    QTimer,
    QUrl,
)
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from phototag.app import dialogs
from phototag.app.details import DetailsPane
from phototag.app.finding import FindingControls
from phototag.app.grid import GAP, THUMBNAIL_CELL, PhotoGrid
from phototag.app.header import ViewHeader
from phototag.app.library_thread import LibraryThread
from phototag.app.model_menu import ModelControls
from phototag.app.photo_model import PhotoModel
from phototag.app.problems import ProblemsPanel
from phototag.app.progress import ScanProgress, describe_coverage, describe_download
from phototag.app.search import LabelFilter, SearchBox
from phototag.app.sidebar import Sidebar
from phototag.app.style import icon
from phototag.app.tasks import Task, TaskCancelled
from phototag.app.teaching import UndoControls, health_summary
from phototag.app.text import count
from phototag.app.thumbnail_loader import ThumbnailLoader
from phototag.app.view_snapshot import (
    FOUND_KINDS,
    LibraryContents,
    View,
    ViewRequest,
    ViewSnapshot,
    take_snapshot,
)
from phototag.app.welcome import WelcomePage
from phototag.app.workers import (
    FolderWatch,
    TextEncoder,
    failure,
    start_call,
    start_download,
    start_scan,
)
from phototag.core import (
    DEFAULT_MODEL,
    FOLDER_UNAVAILABLE,
    Album,
    Coverage,
    DownloadProgress,
    ExampleChange,
    Folder,
    LabelHealth,
    LabelInfo,
    LabelReview,
    Library,
    ModelInfo,
    ModelSpec,
    PhotoDetails,
    PhotoRef,
    PhototagError,
    describe_changes,
    get_spec,
    weights_available,
)

LIVE_REFRESH_MS = 2500  # while scanning, new photos appear in the grid this often
MESSAGE_MS = 10_000
T = TypeVar("T")


class MainWindow(QMainWindow):
    def __init__(self, library: Library, model: str | None = None):
        super().__init__()
        self.library_thread = LibraryThread(library, self.notify, self)
        self.library = self.library_thread.library  # the GUI thread's few short reads
        self._contents: LibraryContents | None = None  # as the sidebar last showed it
        self._requested = 0  # the number of the latest ViewRequest
        self.model_name = model
        self.weights: str | None = None
        self.view = View()
        self._to_help: list[PhotoRef] = []
        self._health: dict[str, LabelHealth] = {}  # as the sidebar last showed it
        self.focus_label: str | None = None
        self.query: tuple[str, np.ndarray] | None = None
        self._pending_query = ""
        self.scan_worker: Task | None = None
        self.folder_watch: FolderWatch | None = None
        self.download_worker: Task | None = None
        self._weights_check: Task | None = None
        self.settings = QSettings("phototag", "phototag")
        self.setWindowTitle("Phototag")
        self.resize(1360, 860)
        self._build_widgets()
        self._build_tool_bar()
        self._build_status_bar()
        self._build_menus()
        self._connect()
        self._live_timer = QTimer(self)
        self._live_timer.setInterval(LIVE_REFRESH_MS)
        self._live_timer.timeout.connect(self._refresh_while_scanning)
        self._restore_state()
        self.refresh_all()
        self._start_watching()

    # ----- building -------------------------------------------------------------------------

    def _build_widgets(self) -> None:
        screen = QApplication.primaryScreen()
        ratio = screen.devicePixelRatio() if screen is not None else 1.0
        self.loader = ThumbnailLoader(
            self.library.thumbnail_dir, round((THUMBNAIL_CELL - 2 * GAP) * ratio), self
        )
        self.photo_model = PhotoModel(self.loader, self)
        self.grid = PhotoGrid(self.photo_model)
        self.sidebar = Sidebar()
        self.details = DetailsPane(self.loader)
        self.header = ViewHeader()
        center = QWidget()
        center.setObjectName("browser")
        column = QVBoxLayout(center)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.header)
        self.finding = FindingControls(
            self.library, self, self._open_found, self._change, self.notify
        )
        column.addWidget(self.finding.offer)
        column.addWidget(self.grid, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        for widget in (self.sidebar, center, self.details):
            self.splitter.addWidget(widget)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([240, 800, 320])
        self.splitter.setChildrenCollapsible(False)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.splitter)
        self.welcome: WelcomePage | None = None
        self.setCentralWidget(self.stack)
        self.problems = ProblemsPanel(self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.problems)
        self.problems.hide()
        self.text_encoder = TextEncoder(self.library.root, self)
        self.undo_controls = UndoControls(self._change, self)

    def _build_tool_bar(self) -> None:
        bar = QToolBar("Main")
        bar.setObjectName("mainToolBar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addToolBar(bar)
        self.add_folder_action = QAction(icon("folder-plus", "text"), "Add Folder…", self)
        self.add_folder_action.setShortcut(QKeySequence.StandardKey.Open)
        self.scan_action = QAction(icon("refresh", "text"), "Scan", self)
        self.scan_action.setShortcut(QKeySequence("F5"))
        self.scan_action.setToolTip("Look for new and changed photos (F5)")
        bar.addAction(self.add_folder_action)
        bar.addAction(self.scan_action)
        left = QWidget()
        left.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(left)
        self.search_box = SearchBox()
        bar.addWidget(self.search_box)
        self.label_filter = LabelFilter()
        bar.addWidget(self.label_filter)
        right = QWidget()
        right.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(right)

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.meaningless = QLabel()
        self.meaningless.setObjectName("meaningless")
        self.meaningless.hide()
        self.problems_button = QToolButton()
        self.problems_button.setIcon(icon("warning", "warning"))
        self.problems_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.problems_button.setObjectName("flat")
        self.problems_button.hide()
        self.progress = ScanProgress()
        self.coverage = QLabel()  # while scanning: how much of the library labels have seen
        self.coverage.setObjectName("coverage")
        self.coverage.hide()
        self.model_controls = ModelControls(
            self.library.root, self._change, self, scanning=lambda: self.scan_worker is not None
        )
        status.addPermanentWidget(self.meaningless)
        status.addPermanentWidget(self.problems_button)
        status.addPermanentWidget(self.coverage)
        status.addPermanentWidget(self.progress)
        status.addPermanentWidget(self.model_controls.progress)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.add_folder_action)
        file_menu.addAction(self.scan_action)
        file_menu.addSeparator()
        self.sidecars_action = file_menu.addAction("Write XMP Sidecars When I Confirm a Tag")
        self.sidecars_action.setCheckable(True)
        self.sidecars_action.setChecked(self.library.sidecars_on_confirm)
        self.sidecars_action.setToolTip(
            "Keep name.ext.xmp beside each photo you decide on, for Lightroom, digiKam, darktable"
        )
        self.sidecars_action.toggled.connect(self._sidecars_toggled)
        file_menu.addSeparator()
        self.show_problems_action = file_menu.addAction("Unreadable Files", self._show_problems)
        file_menu.addSeparator()
        file_menu.addAction("&Quit", QKeySequence.StandardKey.Quit, self.close)

        edit = bar.addMenu("&Edit")
        edit.addAction(self.undo_controls.undo_action)
        edit.addAction(self.undo_controls.redo_action)
        edit.addSeparator()
        edit.addAction("Select &All", QKeySequence.StandardKey.SelectAll, self.grid.selectAll)
        edit.addAction("Select &None", QKeySequence("Ctrl+Shift+A"), self.grid.clearSelection)
        edit.addSeparator()
        edit.addAction("Add &Label to Selection…", QKeySequence("Ctrl+T"), self._focus_tag_input)
        self.confirm_action = edit.addAction(
            icon("check", "accent"), "&Confirm", QKeySequence("Ctrl+Return"), self.confirm_selected
        )
        self.reject_action = edit.addAction(
            icon("x", "rejected"), "&Reject", QKeySequence("Ctrl+Backspace"), self.reject_selected
        )
        edit.addSeparator()
        edit.addAction("&Find…", QKeySequence.StandardKey.Find, self._focus_search)
        self.finding.more_like_this_action.setShortcut(QKeySequence("Ctrl+M"))
        edit.addAction(self.finding.more_like_this_action)

        view = bar.addMenu("&View")
        view.addAction(
            "&All Photos", QKeySequence("Ctrl+1"), lambda: self.sidebar.select("all", None)
        )
        view.addSeparator()
        for title, widget, keys in (
            ("Show &Sidebar", self.sidebar, "Ctrl+Alt+S"),
            ("Show &Details", self.details, "Ctrl+I"),
        ):
            action = view.addAction(title)
            action.setCheckable(True)
            action.setChecked(True)
            action.setShortcut(QKeySequence(keys))
            action.toggled.connect(widget.setVisible)

        self.labels_menu = bar.addMenu("&Labels")
        self.labels_menu.aboutToShow.connect(self._fill_labels_menu)
        bar.addMenu(self.model_controls.menu)

        help_menu = bar.addMenu("&Help")
        help_menu.addAction("&About Phototag", self.show_about)
        help_menu.addAction("About &Qt", QApplication.aboutQt)

    def _connect(self) -> None:
        self.add_folder_action.triggered.connect(self.choose_folder)
        self.scan_action.triggered.connect(self.start_scan)
        self.sidebar.allChosen.connect(lambda: self._open(View("all")))
        self.sidebar.folderChosen.connect(lambda path: self._open(View("folder", path)))
        self.sidebar.labelChosen.connect(self._open_label)
        self.sidebar.albumChosen.connect(self.finding.open_album)
        self.details.similarRequested.connect(self._more_like_selected)
        self.finding.more_like_this_action.triggered.connect(self._more_like_selected)
        self.finding.new_album_action.triggered.connect(lambda: self.finding.new_album())
        self.finding.offer.nameChosen.connect(self._name_group)
        self.sidebar.photosDropped.connect(self.tag_paths)
        self.sidebar.customContextMenuRequested.connect(self._sidebar_menu)
        self.grid.selectionModel().selectionChanged.connect(self._selection_changed)
        self.grid.contextRequested.connect(self._grid_menu)
        self.grid.doubleClicked.connect(self._open_file)
        self.grid.verticalScrollBar().valueChanged.connect(self.loader.drop_waiting)
        self.details.tagRequested.connect(self.tag_selected)
        self.details.decisionRequested.connect(self._decide_shown)
        review = self.header.review
        review.sectionChosen.connect(self._open_section)
        review.thresholdChanged.connect(self._set_threshold)
        review.thresholdReset.connect(lambda: self._set_threshold(None))
        review.confirmRequested.connect(self.confirm_selected)
        review.rejectRequested.connect(self.reject_selected)
        self.header.clearSearchRequested.connect(self.clear_search)
        self.search_box.searchRequested.connect(self.search)
        self.label_filter.changed.connect(lambda: self.refresh_view(same_view=False))
        self.text_encoder.encoded.connect(self._search_ready)
        self.text_encoder.failed.connect(self._worker_failed)
        self.progress.pauseToggled.connect(self._pause_toggled)
        self.progress.cancelRequested.connect(self.cancel_scan)
        self.problems_button.clicked.connect(self._show_problems)
        self.model_controls.started.connect(self._stop_watching)
        self.model_controls.finished.connect(self._model_changed)
        self.model_controls.failed.connect(self._worker_failed)
        self.undo_controls.reversed.connect(self.notify)

    # ----- refreshing -----------------------------------------------------------------------
    # Every write to the Library, and every read a view needs, runs on the library thread
    # (app/library_thread.py): a refresh asks for a snapshot of what the widgets show, a change
    # makes its write and reads the snapshot in the same job, and _show fills the widgets.

    def refresh_all(self, reload: bool = False) -> None:
        """Everything from the library: sidebar, menus, grid, details, status; `reload` first
        forgets what the Library holds (another process changed the database)."""
        self._refresh(contents=True, reload=reload)

    def refresh_view(self, same_view: bool = True, then: Callable[[], None] | None = None) -> None:
        """Fill the grid for the current view; on the same view keep selection and scroll."""
        self._refresh(contents=False, same_view=same_view, then=then)

    def _refresh(
        self,
        contents: bool,
        same_view: bool = True,
        reload: bool = False,
        then: Callable[[], None] | None = None,
    ) -> None:
        request = self._request(contents, reload)
        self.library_thread.run(
            lambda library: take_snapshot(library, request),
            lambda snapshot: self._show(snapshot, same_view, then),
        )

    def _change(
        self,
        change: Callable[[Library], T],
        then: Callable[[T], None] | None = None,
        adjust: Callable[[ViewRequest, T], ViewRequest] | None = None,
    ) -> None:
        """Make a change to the library and read everything it leaves shown, in one job on
        the library thread; `adjust` turns the request into the one the change calls for (a
        renamed label's view), `then(result)` runs once the window shows it."""
        request = self._request(contents=True)

        def work(library: Library) -> tuple[T, ViewSnapshot]:
            result = change(library)
            wanted = request if adjust is None else adjust(request, result)
            return result, take_snapshot(library, wanted)

        def show(done: tuple[T, ViewSnapshot]) -> None:
            result, snapshot = done
            self._show(snapshot, True, None if then is None else lambda: then(result))

        self.library_thread.run(work, show)

    def _request(self, contents: bool, reload: bool = False) -> ViewRequest:
        """What the grid (and, with `contents`, the rest) should show now: plain values."""
        self._requested += 1
        all_of, any_of = self.label_filter.filter_args()
        group = self.finding.group_photos(self.view.paths) if self.view.kind == "group" else ()
        return ViewRequest(
            number=self._requested,
            view=self.view,
            focus_label=self.focus_label,
            query=None if self.query is None else self.query[1],
            all_of=tuple(all_of),
            any_of=tuple(any_of),
            group=tuple(group),
            contents=contents,
            reload=reload,
        )

    def _show(
        self, snapshot: ViewSnapshot, same_view: bool, then: Callable[[], None] | None
    ) -> None:
        """Fill the widgets from a snapshot. Only the latest request's grid is shown: a later
        one (the user moved on, or decided again) is queued and shows the window as it is."""
        contents = snapshot.contents
        if contents is not None:
            self._show_contents(contents)
        if snapshot.request.number == self._requested and (contents is None or contents.folders):
            self._show_view(snapshot, same_view)
        if then is not None:
            then()

    def _show_contents(self, contents: LibraryContents) -> None:
        self._contents = contents
        if not contents.folders:
            self._show_welcome()
            return
        self.stack.setCurrentWidget(self.splitter)
        names = [label.name for label in contents.labels]
        self._health = contents.health
        self.sidebar.set_contents(
            sum(f.files for f in contents.folders), contents.folders, contents.labels, self._health
        )
        self._show_albums(contents.albums, contents.texts_to_embed)
        self.undo_controls.update(contents.history)
        self.details.set_label_names(names)
        self.label_filter.set_labels(names)
        self._show_model_note(contents.model)
        self.model_controls.show(contents)

    def _show_view(self, snapshot: ViewSnapshot, same_view: bool) -> None:
        self.view = snapshot.view
        focus = snapshot.request.focus_label
        contents = snapshot.contents or self._contents
        known = contents is None or focus in [label.name for label in contents.labels]
        self.focus_label = focus if known else None
        self._to_help = snapshot.to_help
        if snapshot.problem is not None:
            self.notify(snapshot.problem)
        selected = set(self.grid.selected_paths()) if same_view else set()
        scroll = self.grid.scroll_value() if same_view else 0
        self.photo_model.set_photos(snapshot.photos, snapshot.marks)
        self._restore_selection(selected)
        self.grid.restore_scroll(scroll)
        self._show_header(len(snapshot.photos), snapshot.review, snapshot.album_query)
        self._selection_changed()
        if snapshot.contents is not None and self.view.kind not in ("similar", "group"):
            self.sidebar.blockSignals(True)  # the view is open already
            self.sidebar.select(self.view.kind, self.view.key)
            self.sidebar.blockSignals(False)

    def refresh_albums(self) -> None:
        """The sidebar's smart albums with their live counts."""
        self.library_thread.run(
            lambda library: (library.albums(embed=False), library.query_texts()),
            lambda found: self._show_albums(*found),
        )

    def _show_albums(self, albums: list[Album], texts_to_embed: list[str]) -> None:
        """An album whose texts are not embedded yet gets its count once a task has embedded
        them; the album shown, once deleted, gives way to All photos."""
        if texts_to_embed:
            self.finding.embed_texts(texts_to_embed, self.refresh_albums)
        self.sidebar.set_albums(albums)
        if self.view.kind == "album" and self.view.key not in [a.name for a in albums]:
            self._open(View())

    def _show_header(self, count: int, review: LabelReview | None, album_query: str) -> None:
        filters = self.label_filter.describe()
        if self.query is not None:
            title = f"“{self.query[0]}”"
            subtitle = f"{count} closest photos, best first"
            if self.meaningless.text() and not self.meaningless.isHidden():
                subtitle += " (random test model: the order means nothing)"
        elif review is not None:
            self.header.review.set_review(review, self.view.section, len(self._to_help))
            title = review.label
            health = self._health.get(review.label)
            subtitle = "" if health is None else health_summary(health)
        elif self.view.kind in FOUND_KINDS:
            title, subtitle, _, _ = self.finding.describe(
                self.view.kind, self.view.key, self.view.paths, count, album_query
            )
        elif self.view.kind == "folder":
            title = Path(self.view.key).name
            subtitle = f"{count:,} photos in {self.view.key}"
        else:
            title = "All photos"
            subtitle = f"{count:,} photos"
        if filters and review is None:
            subtitle += f" · {filters}"
        if self.focus_label and review is None and self.view.kind not in ("similar", "group"):
            subtitle += f" · {self.focus_label} highlighted"
        self.header.show_view(title, subtitle, self.query is not None, review is not None)
        self._set_empty_text(review)

    def _set_empty_text(self, review: LabelReview | None) -> None:
        if self.query is not None:
            self.grid.set_empty_text("No matches", "Try other words, or clear the label filter.")
        elif self.view.kind in FOUND_KINDS:
            view = self.view
            self.grid.set_empty_text(*self.finding.describe(view.kind, view.key, view.paths, 0)[2:])
        elif review is not None:
            hints = {
                "suggested": "Nothing above the threshold yet. Decide the photos in Help this "
                "label, or move the threshold slider to the left.",
                "near_misses": "No photo is just below the threshold.",
                "confirmed": "Select photos in the grid and confirm them to teach this label.",
                "rejected": "Reject wrong suggestions and the label learns to avoid them.",
                "help": "No photo is left to decide: every photo has a decision.",
            }
            self.grid.set_empty_text("Nothing here", hints[self.view.section])
        elif self.scan_worker is not None:
            self.grid.set_empty_text(
                "Looking at your photos…", "They appear here as they are read."
            )
        elif self.label_filter.selected:
            self.grid.set_empty_text("No photo has these labels", "Clear the label filter.")
        else:
            self.grid.set_empty_text(
                "No photos yet", "Add a folder (Ctrl+O), or press F5 to scan your folders again."
            )

    def _restore_selection(self, paths: set[str]) -> None:
        if not paths:
            return
        selection = QItemSelection()
        for row in self.photo_model.rows_of(paths):
            index = self.photo_model.index(row)
            selection.select(index, index)
        self.grid.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.Select)

    def _selection_changed(self, *_args) -> None:
        paths = self.grid.selected_paths()
        if not paths:
            self.details.show_nothing()
        elif len(paths) > 1:
            self.details.show_many(len(paths))
        else:
            self._show_details(paths[0])
        self.finding.more_like_this_action.setEnabled(bool(paths))
        can_decide = bool(paths) and self._decision_label() is not None
        self.confirm_action.setEnabled(can_decide)
        self.reject_action.setEnabled(can_decide)

    def _show_details(self, path: str) -> None:
        """One photo's details, read on the library thread; shown if it is still selected."""

        def shown(details: PhotoDetails | None) -> None:
            if self.grid.selected_paths() != [path]:
                return
            if details is None:
                self.details.show_nothing()
            else:
                self.details.show_photo(details)

        self.library_thread.run(lambda library: _details(library, path), shown)

    def _show_model_note(self, info: ModelInfo | None) -> None:
        meaningless = info is not None and info.meaningless
        self.meaningless.setVisible(meaningless)
        if info is not None and meaningless:
            self.meaningless.setText(f"{info.name}: test model, tags are meaningless")

    def notify(self, message: str) -> None:
        self.statusBar().showMessage(message, MESSAGE_MS)

    # ----- navigation -----------------------------------------------------------------------

    def _open(self, view: View, then: Callable[[], None] | None = None) -> None:
        self.view = view
        self.refresh_view(same_view=False, then=then)

    def _open_found(self, kind: str, key: str | None, paths: tuple[str, ...]) -> None:
        """A finding view; a group opens with every photo selected, to deselect misfits."""
        self.query = None
        self.search_box.reset()
        view = View(kind, key, paths=paths)
        self._open(view, then=self.grid.selectAll if kind == "group" else None)
        self.sidebar.blockSignals(True)
        if kind == "album":
            self.sidebar.select(kind, key)
        else:
            self.sidebar.setCurrentItem(None)  # the sidebar has no entry for these views
            self.sidebar.clearSelection()
        self.sidebar.blockSignals(False)

    def _more_like_selected(self) -> None:
        self.finding.more_like(self.grid.selected_paths())

    def _name_group(self, name: str) -> None:
        paths = self.grid.selected_paths()
        if self.view.kind != "group" or not paths:
            self.notify("Select the photos of the group that belong together first.")
            return

        def named(change: ExampleChange) -> None:
            self.finding.named()
            self.sidebar.select("label", change.label)

        self.tag_paths(name, paths, then=named)

    def _open_label(self, name: str) -> None:
        self.focus_label = name
        self._open(View("label", name, "suggested"))

    def _open_section(self, section: str) -> None:
        self._open(View("label", self.view.key, section))

    def _show_welcome(self) -> None:
        if self.welcome is None:
            spec = self._scan_spec()
            self.welcome = WelcomePage(spec)
            # Answering needs open_clip and torch imported: seconds, so not on this thread.
            self._weights_check = start_call(
                lambda: weights_available(spec.name), self.welcome.set_weights_present, self
            )
            self.welcome.addFolderRequested.connect(self.choose_folder)
            self.welcome.folderChosen.connect(self.add_folder)
            self.welcome.downloadRequested.connect(self.download_model)
            self.welcome.cancelDownloadRequested.connect(self.cancel_download)
            self.welcome.chooseWeightsRequested.connect(self.choose_weights_file)
            self.stack.addWidget(self.welcome)
        self.stack.setCurrentWidget(self.welcome)

    # ----- teaching -------------------------------------------------------------------------

    def tag_selected(self, label: str) -> None:
        paths = self.grid.selected_paths()
        if not paths:
            self.notify("Select the photos to tag first (click, Ctrl+click or Shift+click).")
            return
        self.tag_paths(label, paths)

    def tag_paths(
        self, label: str, paths: list[str], then: Callable[[ExampleChange], None] | None = None
    ) -> None:
        """Tag on the library thread; the label (as the library names it) is then focused."""

        def tagged(change: ExampleChange) -> None:
            info = next((i for i in self._labels() if i.name == change.label), None)
            suggested = info.suggested if info else 0
            created = f"New label {change.label}. " if change.created else ""
            if change.near_match:
                created = f"New label {change.label} (did you mean {change.near_match}?). "
            self.notify(
                f"{created}Tagged {count(len(paths), 'photo')} as {change.label}: "
                f"{suggested:,} more suggested. Click {change.label} in the sidebar to review them."
            )
            if then is not None:
                then(change)

        self._decide("tag", label, paths, tagged, focus=True)

    def confirm_selected(self) -> None:
        self._decide_selected("tag")

    def reject_selected(self) -> None:
        self._decide_selected("reject")

    def _decision_label(self) -> str | None:
        return self.view.key if self.view.kind == "label" else self.focus_label

    def _decide_selected(self, verb: str) -> None:
        label = self._decision_label()
        paths = self.grid.selected_paths()
        if label is None or not paths:
            self.notify("Select photos, and open a label in the sidebar, to confirm or reject.")
            return
        message = f"{'Confirmed' if verb == 'tag' else 'Rejected'} {count(len(paths), 'photo')}"
        self.grid.clearSelection()  # at once: the next click starts a new choice
        self._decide(verb, label, paths, lambda _: self.notify(f"{message} for {label}."))

    def _decide_shown(self, label: str, action: str) -> None:
        paths = self.grid.selected_paths()[:1]
        verb = {"confirm": "tag", "reject": "reject", "untag": "untag"}[action]
        if paths:
            self._decide(verb, label, paths)

    def _decide(
        self,
        verb: str,
        label: str,
        paths: list[str],
        then: Callable[[ExampleChange], None] | None = None,
        focus: bool = False,
    ) -> None:
        """tag, reject or untag on the library thread, queued behind any decision in flight;
        with `focus` the label lights up in every view."""

        def decided(change: ExampleChange) -> None:
            if change.sidecars_failed:
                path, reason = change.sidecars_failed[0]
                self.notify(f"Could not write the XMP sidecar {path}: {reason}")
            elif then is not None:
                then(change)

        self._change(
            lambda library: getattr(library, verb)(label, paths),
            decided,
            adjust=(lambda request, change: replace(request, focus_label=change.label))
            if focus
            else None,
        )

    def _labels(self) -> list[LabelInfo]:
        """The labels as the sidebar last showed them."""
        return [] if self._contents is None else self._contents.labels

    def _sidecars_toggled(self, enabled: bool) -> None:
        """The library writes the sidecars itself (Library.tag), for the GUI and the CLI."""
        self.library_thread.run(
            lambda library: setattr(library, "sidecars_on_confirm", enabled), lambda _: None
        )

    def _set_threshold(self, value: float | None) -> None:
        if self.view.kind == "label" and self.view.key is not None:
            self._change_threshold(self.view.key, value)

    def _change_threshold(self, name: str, value: float | None) -> None:
        self._change(lambda library: library.set_threshold(name, value))

    # ----- search ---------------------------------------------------------------------------

    def search(self, text: str) -> None:
        if not text:
            self.clear_search()
            return
        if self._contents is not None and self._contents.model is None:  # None: not read yet
            self.notify("Scan some photos first: search looks through scanned photos.")
            return
        self.notify(f"Searching for “{text}”…")
        self._pending_query = text
        self.text_encoder.encode(text)

    def _search_ready(self, vector) -> None:
        self.query = (self._pending_query, vector)
        self.refresh_view(same_view=False)
        self.statusBar().clearMessage()

    def clear_search(self) -> None:
        self.query = None
        self.search_box.reset()
        self.refresh_view(same_view=False)

    # ----- folders and scanning -------------------------------------------------------------

    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Add a folder of photos", str(Path.home()))
        if path:
            self.add_folder(path)

    def add_folder(self, path: str) -> None:
        """Add the folder on the library thread, open it, and scan it."""

        def added(result: tuple[Folder, bool]) -> None:
            folder, new = result
            known = f"{folder.path} is already in the library"
            self.notify(f"Added {folder.path}" if new else known)
            self.start_scan()

        self._change(
            lambda library: library.add_folder(path),
            added,
            adjust=lambda request, result: replace(request, view=View("folder", result[0].path)),
        )

    def _has_folders(self) -> bool:
        """As the sidebar last showed the library."""
        return self._contents is not None and bool(self._contents.folders)

    def start_scan(self) -> None:
        if self.scan_worker is not None or self.model_controls.busy:
            return
        if not self._has_folders():
            self.choose_folder()
            return
        if self.download_worker is not None:  # scanned as soon as the model is here
            self.notify("The new folder is scanned as soon as the model is downloaded.")
            return
        self._stop_watching()  # the scan does what the watcher's catch-up would
        self.scan_action.setEnabled(False)
        self.progress.start()
        self._live_timer.start()
        self.scan_worker = start_scan(
            self.library.root,
            self.model_name,
            self.weights,
            self._scan_done,
            self.progress.report,
            self,
        )
        self.refresh_view(same_view=True)

    def cancel_scan(self) -> None:
        if self.scan_worker is not None:
            self.scan_worker.cancel()
            self.progress.text.setText("Stopping after this batch…")

    def _pause_toggled(self, paused: bool) -> None:
        if self.scan_worker is None:
            return
        if paused:
            self.scan_worker.pause()
        else:
            self.scan_worker.resume()

    def _scan_done(self, report, error: BaseException | None) -> None:
        if error is None:
            self._scan_succeeded(report)
        elif isinstance(error, TaskCancelled):
            self._scan_ended("Scan stopped. Photos read so far are kept; F5 resumes.")
        else:
            self._scan_failed(*failure(error))

    def _scan_succeeded(self, report) -> None:
        unreadable = len(report.unreadable)
        parts = [f"Scan finished: {report.files:,} files, {report.embedded:,} new"]
        if unreadable:
            parts.append(f"{unreadable} unreadable")
        self._scan_ended(", ".join(parts) + ".")

    def _scan_failed(self, kind: str, message: str) -> None:
        self._scan_ended("Scan did not finish.")
        self._worker_failed(kind, message)

    def _scan_ended(self, message: str) -> None:
        if self.scan_worker is not None:
            self.scan_worker.wait()
        self.scan_worker = None
        self._live_timer.stop()
        self.progress.finish()
        self.coverage.hide()
        self.scan_action.setEnabled(True)
        self.refresh_all(reload=True)
        self._update_problems(show_new=True)
        self.notify(message)
        self._start_watching()

    def _model_changed(self, message: str) -> None:
        """After a refinement or revert: every embedding and label changed."""
        self.refresh_all(reload=True)
        self.notify(message)
        self._start_watching()

    # ----- watching folders -----------------------------------------------------------------

    def _start_watching(self) -> None:
        """Keep the library current while the window is open, once it has a model: photos
        added, changed, moved or deleted in its folders flow in without a scan."""
        if self.folder_watch is None and self.scan_worker is None:
            self.library_thread.run(
                lambda library: library.model_info() is not None and bool(library.folders()),
                self._watch_if_ready,
            )

    def _watch_if_ready(self, ready: bool) -> None:
        if not ready or self.folder_watch is not None or self.scan_worker is not None:
            return
        if self.model_controls.busy:  # it starts the watcher again when it ends
            return
        watch = FolderWatch(self.library.root, self)
        watch.changed.connect(self._folders_changed)
        watch.folder_state.connect(self._folder_state_changed)
        watch.failed.connect(self._watch_failed)
        self.folder_watch = watch
        watch.start()

    def _stop_watching(self) -> None:
        if self.folder_watch is not None:
            self.folder_watch.stop()
            self.folder_watch.deleteLater()
            self.folder_watch = None

    def _folders_changed(self, report) -> None:
        self.refresh_all(reload=True)
        self._update_problems(show_new=True)
        self.notify(f"Folders changed: {describe_changes(report)}.")

    def _folder_state_changed(self, status) -> None:
        if status.state == FOLDER_UNAVAILABLE:
            self.notify(
                f"{status.path} is unavailable ({status.detail}); its photos and labels are "
                "kept, and it is caught up when it returns."
            )

    def _watch_failed(self, kind: str, message: str) -> None:
        self.folder_watch = None
        self.notify(f"Folders are no longer watched: {message}")

    def _refresh_while_scanning(self) -> None:
        """New photos appear as they are read, scored by every label as it stands (labels are
        re-fitted once at the end), so suggestions reach each folder as the scan spreads over
        them; the status bar says how much of the library the labels have seen. A tick while
        the last one is still being read or shown is skipped."""
        if not self.library_thread.idle:
            return
        listed = self.progress.listed

        def take_in(library: Library) -> Coverage:
            library.take_in_new_photos()
            return library.coverage(listed)

        self.library_thread.run(take_in, self._show_coverage)
        if self.query is None:
            self.refresh_all()

    def _show_coverage(self, coverage: Coverage) -> None:
        self.coverage.setText(describe_coverage(coverage))
        self.coverage.show()

    def _update_problems(self, show_new: bool) -> None:
        self.library_thread.run(
            lambda library: library.status().unreadable,
            lambda files: self._show_unreadable(files, show_new),
        )

    def _show_unreadable(self, files: list[str], show_new: bool) -> None:
        has_new = self.problems.set_files(files)
        self.problems_button.setVisible(bool(files))
        self.problems_button.setText(f"{len(files)} unreadable")
        if show_new and has_new:
            self.problems.show()

    def _show_problems(self) -> None:
        self._update_problems(show_new=False)
        self.problems.show()

    def _worker_failed(self, kind: str, message: str) -> None:
        if kind != "weights":
            self.notify(message)
            QMessageBox.warning(self, "Phototag", message)
            return
        spec = self._scan_spec()
        box = dialogs.weights_missing_dialog(self, spec, message)
        box.finished.connect(lambda _result: self._weights_fix_chosen(box))
        box.open()
        self.weights_dialog = box

    def _weights_fix_chosen(self, box: QMessageBox) -> None:
        clicked = box.clickedButton()
        fix = clicked.property("fix") if clicked is not None else None
        if fix == dialogs.DOWNLOAD:
            self.download_model()
        elif fix == dialogs.CHOOSE_FILE:
            self.choose_weights_file()

    def choose_weights_file(self) -> None:
        """The offline way to a model: weights the user already has (the --weights of scan)."""
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Choose model weights",
            str(Path.home()),
            "Weights (*.safetensors *.bin *.pt *.pth);;All files (*)",
        )
        if path:
            self.use_weights_file(path)

    def use_weights_file(self, path: str) -> None:
        self.weights = path
        if self.welcome is not None:
            self.welcome.set_download_state(f"<b>Using the weights file</b> {path}", busy=False)
        if self._has_folders():
            self.start_scan()

    def download_model(self) -> None:
        if self.download_worker is not None:
            return
        spec = self._scan_spec()
        self.notify(f"Downloading {spec.name} (about {spec.download_mb} MB)…")
        if self.welcome is not None:
            self.welcome.set_download_state(f"<b>Downloading {spec.name}…</b>", busy=True)
        self.download_worker = start_download(
            spec.name, self._download_finished, self._download_progress, self
        )

    def cancel_download(self) -> None:
        if self.download_worker is not None:
            self.download_worker.cancel()

    def _download_progress(self, progress: DownloadProgress) -> None:
        if self.welcome is not None:
            self.welcome.show_download_progress(progress)
        else:
            self.statusBar().showMessage(
                "Downloading " + describe_download(self._scan_spec().name, progress)
            )

    def _download_finished(self, path: str, error: BaseException | None) -> None:
        self.download_worker = None
        if error is None:
            self._download_done(path)
        elif isinstance(error, TaskCancelled):
            self._download_ended(
                "Download stopped. What has arrived is kept: Download now resumes it.", True
            )
        else:
            self._download_failed(*failure(error))

    def _download_done(self, path: str) -> None:
        self.notify(f"The model is on this computer ({path}). Phototag is now fully offline.")
        if self.welcome is not None:
            self.welcome.set_download_state(
                "<b>The model is on this computer.</b> Phototag now runs fully offline.", busy=False
            )
            self.welcome.download_button.hide()
            self.welcome.choose_button.hide()
        if self._has_folders():
            self.start_scan()

    def _download_failed(self, _kind: str, message: str) -> None:
        advice = "Try again when online, or choose a weights file you already have."
        self._download_ended(f"Download failed: {message}. {advice}", False)
        if self.welcome is None or not self.welcome.isVisible():  # the welcome card says it
            box = QMessageBox(QMessageBox.Icon.Warning, "Download failed", message, parent=self)
            box.setInformativeText(advice)
            box.open()  # not exec(): the window stays responsive
            self.download_box = box

    def _download_ended(self, message: str, notify: bool) -> None:
        if self.welcome is not None:
            self.welcome.set_download_state(message, busy=False)
        if notify:
            self.notify(message)

    def _scan_spec(self) -> ModelSpec:
        info = None if self._contents is None else self._contents.model
        return get_spec(self.model_name or (info.name if info else DEFAULT_MODEL))

    # ----- menus ----------------------------------------------------------------------------

    def _grid_menu(self, position) -> None:
        paths = self.grid.selected_paths()
        if not paths:
            return
        menu = QMenu(self)
        menu.addAction(self.finding.more_like_this_action)
        tag_menu = menu.addMenu(icon("tag"), "Tag As")
        for info in self._labels():
            tag_menu.addAction(info.name, lambda n=info.name: self.tag_paths(n, paths))
        tag_menu.addSeparator()
        tag_menu.addAction("New Label…", self._focus_tag_input)
        label = self._decision_label()
        if label is not None:
            menu.addAction(icon("check", "accent"), f"Confirm as {label}", self.confirm_selected)
            menu.addAction(icon("x", "rejected"), f"Not {label} (reject)", self.reject_selected)
        menu.addSeparator()
        menu.addAction("Open File", lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(paths[0])))
        menu.addAction(
            "Show in Folder",
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(paths[0]).parent))),
        )
        menu.popup(position)

    def _sidebar_menu(self, position) -> None:
        label = self.sidebar.label_at(position)
        folder = self.sidebar.folder_at(position)
        album = self.sidebar.album_at(position)
        menu = QMenu(self)
        if album is not None:
            menu.addAction("Edit Album…", lambda: self.finding.edit_album(album))
            menu.addSeparator()
            menu.addAction("Delete Album", lambda: self._delete_album(album))
        elif label is not None:
            menu.addAction("Rename…", lambda: self.rename_label(label))
            menu.addAction("Automatic Threshold", lambda: self._change_threshold(label, None))
            menu.addAction(
                "New Smart Album from Label…", lambda: self.finding.album_from_label(label)
            )
            self.model_controls.add_label_menu(menu, label)
            menu.addSeparator()
            menu.addAction("Delete Label…", lambda: self.delete_label(label))
        elif folder is not None:
            menu.addAction("Scan Again", self.start_scan)
            menu.addAction("Remove from Library…", lambda: self.remove_folder(folder))
        else:
            menu.addAction(self.finding.new_album_action)
        menu.popup(self.sidebar.viewport().mapToGlobal(position))

    def _delete_album(self, name: str) -> None:
        """Only the saved query goes: no photo and no label changes, so no question asked."""
        self._change(
            lambda library: library.remove_album(name),
            lambda _: self.notify(
                f"Deleted the album {name}; its photos and labels are untouched."
            ),
        )

    def _fill_labels_menu(self) -> None:
        self.labels_menu.clear()
        self.labels_menu.addAction(self.finding.new_album_action)
        self.labels_menu.addAction(self.finding.discover_action)
        self.labels_menu.addSeparator()
        labels = self._labels()
        if not labels:
            self.labels_menu.addAction("Select photos and type a label to create one").setEnabled(
                False
            )
        for info in labels:
            self.labels_menu.addAction(
                icon("tag"),
                f"{info.name}  ({info.confirmed} confirmed, {info.suggested} suggested)",
                lambda n=info.name: self.sidebar.select("label", n),
            )
        if self.view.kind == "label":
            name = self.view.key
            self.labels_menu.addSeparator()
            self.labels_menu.addAction(f"Rename {name}…", lambda: self.rename_label(name))
            self.labels_menu.addAction(f"Delete {name}…", lambda: self.delete_label(name))

    def rename_label(self, name: str) -> None:
        new, ok = QInputDialog.getText(self, "Rename label", f"New name for {name}:", text=name)
        if not ok or not new.strip():
            return

        def renamed_in(request: ViewRequest, renamed: str) -> ViewRequest:
            focus = renamed if request.focus_label == name else request.focus_label
            return replace(request, view=request.view.renamed(name, renamed), focus_label=focus)

        self._change(lambda library: library.rename_label(name, new), adjust=renamed_in)

    def delete_label(self, name: str) -> None:
        answer = QMessageBox.question(
            self,
            "Delete label",
            f"Delete {name} and every confirmation and rejection you made for it? "
            "Your photos are not touched.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self._change(lambda library: library.remove_label(name))

    def remove_folder(self, path: str) -> None:
        answer = QMessageBox.question(
            self,
            "Remove folder",
            f"Stop tracking {path}? The photos stay on disk; your labels are kept.",
        )
        if answer == QMessageBox.StandardButton.Yes:

            def remove(library: Library) -> None:
                library.remove_folder(path)
                library.reload()

            self._change(remove, adjust=lambda request, _: replace(request, view=View()))

    def show_about(self) -> None:
        model = None if self._contents is None else self._contents.model
        self.about_box = dialogs.show_about(self, model, str(self.library.root))

    def _focus_tag_input(self) -> None:
        self.details.tag_input.setFocus()

    def _focus_search(self) -> None:
        self.search_box.setFocus()
        self.search_box.selectAll()

    def _open_file(self, index) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(self.photo_model.photo(index.row()).path))

    # ----- window state ---------------------------------------------------------------------

    def _restore_state(self) -> None:
        for key, restore in (
            ("window/geometry", self.restoreGeometry),
            ("window/state", self.restoreState),
            ("window/splitter", self.splitter.restoreState),
        ):
            value = self.settings.value(key)
            if isinstance(value, QByteArray):
                restore(value)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("window/splitter", self.splitter.saveState())
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop every worker: a scan stops between batches and resumes next time; every
        decision queued on the library thread is still made."""
        self.library_thread.drain()
        self._stop_watching()
        if self.scan_worker is not None:
            self.scan_worker.cancel()
            self.scan_worker.wait()
        self.model_controls.stop()
        self.finding.stop()
        for task in (self.download_worker, self._weights_check):
            if task is not None:
                task.wait()
        self.text_encoder.stop()
        self.loader.drop_waiting()
        self.loader.wait_idle()


def _details(library: Library, path: str) -> PhotoDetails | None:
    """A photo's details, or None once it is gone from the library."""
    try:
        return library.photo(path)
    except PhototagError:
        return None
