"""The main window: sidebar | header + grid | details, a tool bar with search, a status bar
with the scan's progress. It owns the flow between the pieces and talks to the engine only
through Library; everything slow (the model) runs in app.workers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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
from phototag.app.finding import FOUND_KINDS, FindingControls
from phototag.app.grid import GAP, THUMBNAIL_CELL, PhotoGrid
from phototag.app.header import ViewHeader
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
    DownloadProgress,
    LabelHealth,
    LabelReview,
    Library,
    ModelSpec,
    PhotoRef,
    PhototagError,
    describe_changes,
    get_spec,
    weights_available,
)

LIVE_REFRESH_MS = 2500  # while scanning, new photos appear in the grid this often
MESSAGE_MS = 10_000


@dataclass
class View:
    """What the grid shows: the library, a folder, a label's review (one section of it), or
    a finding view: photos like `paths`, an album, a group of look-alikes (app/finding.py)."""

    kind: str = "all"  # "all" | "folder" | "label" | "similar" | "album" | "group"
    key: str | None = None
    section: str = "suggested"
    paths: tuple[str, ...] = ()


class MainWindow(QMainWindow):
    def __init__(self, library: Library, model: str | None = None):
        super().__init__()
        self.library = library
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
            self.library, self, self._open_found, self.refresh_albums, self.notify
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
        self.undo_controls = UndoControls(self.library, self)

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
            self.library, self, scanning=lambda: self.scan_worker is not None
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
        self.model_controls.labelsChanged.connect(self.refresh_labels)
        self.undo_controls.reversed.connect(self._reversed)
        self.undo_controls.failed.connect(self.notify)

    # ----- refreshing -----------------------------------------------------------------------

    def refresh_all(self) -> None:
        """Everything from the library: sidebar, menus, grid, details, status."""
        folders = self.library.folders()
        if not folders:
            self._show_welcome()
            return
        self.stack.setCurrentWidget(self.splitter)
        labels = self.library.labels()
        names = [label.name for label in labels]
        if self.focus_label not in names:
            self.focus_label = None
        if self.view.kind == "label" and self.view.key not in names:
            self.view = View()
        self._fill_sidebar(folders, labels)
        if self.view.kind not in ("similar", "group"):
            self.sidebar.select(self.view.kind, self.view.key)
        self.details.set_label_names(names)
        self.label_filter.set_labels(names)
        self._show_model_note()
        self.model_controls.update_actions()
        self.refresh_view(same_view=True)

    def refresh_labels(self) -> None:
        """After a decision: label counts and the grid; folders did not change."""
        folders = self.library.folders()
        labels = self.library.labels()
        self._fill_sidebar(folders, labels)
        names = [label.name for label in labels]
        self.details.set_label_names(names)
        self.label_filter.set_labels(names)
        self.refresh_view(same_view=True)

    def _fill_sidebar(self, folders, labels) -> None:
        self._health = {h.name: h for h in self.library.label_health()}
        self.sidebar.set_contents(sum(f.files for f in folders), folders, labels, self._health)
        self.refresh_albums()
        self.undo_controls.update()

    def _reversed(self, message: str) -> None:
        """After an undo or a redo: labels may have come back, gone or changed names."""
        self.refresh_all()
        self.notify(message)

    def refresh_albums(self) -> None:
        """The sidebar's smart albums with their live counts."""
        albums = self.finding.albums()
        if self.view.kind == "album" and self.view.key not in [a.name for a in albums]:
            self.view = View()
        self.sidebar.set_albums(albums)

    def refresh_view(self, same_view: bool = True) -> None:
        """Fill the grid for the current view; on the same view keep selection and scroll."""
        selected = set(self.grid.selected_paths()) if same_view else set()
        scroll = self.grid.verticalScrollBar().value() if same_view else 0
        try:
            photos, marks, review = self._current_photos()
        except PhototagError as exc:
            self.notify(str(exc))
            photos, marks, review = [], {}, None
        self.photo_model.set_photos(photos, marks)
        self._restore_selection(selected)
        self.grid.verticalScrollBar().setValue(scroll)
        self._show_header(len(photos), review)
        self._selection_changed()

    def _current_photos(self) -> tuple[list[PhotoRef], dict, LabelReview | None]:
        folder = self.view.key if self.view.kind == "folder" else None
        all_of, any_of = self.label_filter.filter_args()
        if self.query is not None:
            found = self.library.search(self.query[1], all_of, any_of, folder)
            return found, self._focus_marks(), None
        if self.view.kind in FOUND_KINDS:
            view = self.view
            found, similarity = self.finding.photos(
                view.kind, view.key, view.paths, (all_of, any_of)
            )
            marks = self._focus_marks() if view.kind == "album" else {}
            marks.update(similarity)
            return found, marks, None
        if self.view.kind == "label":
            review = self.library.review(self.view.key)
            self._to_help = [
                PhotoRef(item.path, item.content_hash, item.score)
                for item in self.library.help_queue(review.label)
            ]
            photos = (
                self._to_help if self.view.section == "help" else getattr(review, self.view.section)
            )
            marks = _marks(review)
            marks.update({p.path: ("near", p.score) for p in review.near_misses})
            for photo in self._to_help:  # every photo to decide shows its score
                marks.setdefault(photo.path, ("near", photo.score))
            return photos, marks, review
        return self.library.photos(all_of, any_of, folder), self._focus_marks(), None

    def _focus_marks(self) -> dict[str, tuple[str, float | None]]:
        """The focused label lights up in every view: its confirmed and suggested photos."""
        if self.focus_label is None:
            return {}
        return _marks(self.library.review(self.focus_label, near_misses=0))

    def _show_header(self, count: int, review: LabelReview | None) -> None:
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
                self.view.kind, self.view.key, self.view.paths, count
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
        for row, photo in enumerate(self.photo_model.photos()):
            if photo.path in paths:
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
            try:
                self.details.show_photo(self.library.photo(paths[0]))
            except PhototagError:
                self.details.show_nothing()
        self.finding.more_like_this_action.setEnabled(bool(paths))
        can_decide = bool(paths) and self._decision_label() is not None
        self.confirm_action.setEnabled(can_decide)
        self.reject_action.setEnabled(can_decide)

    def _show_model_note(self) -> None:
        info = self.library.model_info()
        meaningless = info is not None and info.meaningless
        self.meaningless.setVisible(meaningless)
        if meaningless:
            self.meaningless.setText(f"{info.name}: test model, tags are meaningless")

    def notify(self, message: str) -> None:
        self.statusBar().showMessage(message, MESSAGE_MS)

    # ----- navigation -----------------------------------------------------------------------

    def _open(self, view: View) -> None:
        self.view = view
        self.refresh_view(same_view=False)

    def _open_found(self, kind: str, key: str | None, paths: tuple[str, ...]) -> None:
        """A finding view; a group opens with every photo selected, to deselect misfits."""
        self.query = None
        self.search_box.reset()
        self._open(View(kind, key, paths=paths))
        self.sidebar.blockSignals(True)
        if kind == "album":
            self.sidebar.select(kind, key)
        else:
            self.sidebar.setCurrentItem(None)  # the sidebar has no entry for these views
            self.sidebar.clearSelection()
        self.sidebar.blockSignals(False)
        if kind == "group":
            self.grid.selectAll()

    def _more_like_selected(self) -> None:
        self.finding.more_like(self.grid.selected_paths())

    def _name_group(self, name: str) -> None:
        paths = self.grid.selected_paths()
        if self.view.kind != "group" or not paths:
            self.notify("Select the photos of the group that belong together first.")
            return
        self.tag_paths(name, paths)
        self.finding.named()
        label = self.focus_label or name
        self.sidebar.select("label", label)

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

    def tag_paths(self, label: str, paths: list[str]) -> None:
        change = self._decide("tag", label, paths)
        if change is None:
            return
        self.focus_label = change.label
        self.refresh_labels()
        info = next((i for i in self.library.labels() if i.name == change.label), None)
        suggested = info.suggested if info else 0
        created = f"New label {change.label}. " if change.created else ""
        if change.near_match:
            created = f"New label {change.label} (did you mean {change.near_match}?). "
        self.notify(
            f"{created}Tagged {count(len(paths), 'photo')} as {change.label}: {suggested:,} more "
            f"suggested. Click {change.label} in the sidebar to review them."
        )

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
        if self._decide(verb, label, paths) is not None:
            self.grid.clearSelection()
            self.refresh_labels()
            done = "Confirmed" if verb == "tag" else "Rejected"
            self.notify(f"{done} {count(len(paths), 'photo')} for {label}.")

    def _decide_shown(self, label: str, action: str) -> None:
        paths = self.grid.selected_paths()[:1]
        verb = {"confirm": "tag", "reject": "reject", "untag": "untag"}[action]
        if paths and self._decide(verb, label, paths) is not None:
            self.refresh_labels()

    def _decide(self, verb: str, label: str, paths: list[str]):
        try:
            change = getattr(self.library, verb)(label, paths)
        except PhototagError as exc:
            self.notify(str(exc))
            return None
        if change.sidecars_failed:
            path, reason = change.sidecars_failed[0]
            self.notify(f"Could not write the XMP sidecar {path}: {reason}")
        return change

    def _sidecars_toggled(self, enabled: bool) -> None:
        """The library writes the sidecars itself (Library.tag), for the GUI and the CLI."""
        self.library.sidecars_on_confirm = enabled

    def _set_threshold(self, value: float | None) -> None:
        if self.view.kind != "label":
            return
        try:
            self.library.set_threshold(self.view.key, value)
        except PhototagError as exc:
            self.notify(str(exc))
            return
        self.refresh_labels()

    # ----- search ---------------------------------------------------------------------------

    def search(self, text: str) -> None:
        if not text:
            self.clear_search()
            return
        if self.library.model_info() is None:
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
        try:
            folder, new = self.library.add_folder(path)
        except PhototagError as exc:
            self.notify(str(exc))
            return
        self.notify(f"Added {folder.path}" if new else f"{folder.path} is already in the library")
        self.refresh_all()
        self.sidebar.select("folder", folder.path)
        self.start_scan()

    def start_scan(self) -> None:
        if self.scan_worker is not None or self.model_controls.busy:
            return
        if not self.library.folders():
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
        self.library.reload()
        self.refresh_all()
        self._update_problems(show_new=True)
        self.notify(message)
        self._start_watching()

    def _model_changed(self, message: str) -> None:
        """After a refinement or revert: every embedding and label changed."""
        self.refresh_all()
        self.notify(message)
        self._start_watching()

    # ----- watching folders -----------------------------------------------------------------

    def _start_watching(self) -> None:
        """Keep the library current while the window is open, once it has a model: photos
        added, changed, moved or deleted in its folders flow in without a scan."""
        if self.folder_watch is not None or self.scan_worker is not None:
            return
        if self.library.model_info() is None or not self.library.folders():
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
        self.library.reload()
        self.refresh_all()
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
        them; the status bar says how much of the library the labels have seen."""
        self.library.take_in_new_photos()
        if self.query is None:
            folders = self.library.folders()
            self._fill_sidebar(folders, self.library.labels())
            self.refresh_view(same_view=True)
        self.coverage.setText(describe_coverage(self.library.coverage(self.progress.listed)))
        self.coverage.show()

    def _update_problems(self, show_new: bool) -> None:
        files = self.library.status().unreadable
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
        if self.library.folders():
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
        if self.library.folders():
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
        info = self.library.model_info()
        return get_spec(self.model_name or (info.name if info else DEFAULT_MODEL))

    # ----- menus ----------------------------------------------------------------------------

    def _grid_menu(self, position) -> None:
        paths = self.grid.selected_paths()
        if not paths:
            return
        menu = QMenu(self)
        menu.addAction(self.finding.more_like_this_action)
        tag_menu = menu.addMenu(icon("tag"), "Tag As")
        for info in self.library.labels():
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
            menu.addAction("Automatic Threshold", lambda: self._reset_threshold(label))
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
        self.library.remove_album(name)
        self.refresh_albums()
        self.notify(f"Deleted the album {name}; its photos and labels are untouched.")

    def _fill_labels_menu(self) -> None:
        self.labels_menu.clear()
        self.labels_menu.addAction(self.finding.new_album_action)
        self.labels_menu.addAction(self.finding.discover_action)
        self.labels_menu.addSeparator()
        labels = self.library.labels()
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
        try:
            renamed = self.library.rename_label(name, new)
        except PhototagError as exc:
            self.notify(str(exc))
            return
        if self.view.kind == "label" and self.view.key == name:
            self.view = View("label", renamed, self.view.section)
        if self.focus_label == name:
            self.focus_label = renamed
        self.refresh_all()

    def delete_label(self, name: str) -> None:
        answer = QMessageBox.question(
            self,
            "Delete label",
            f"Delete {name} and every confirmation and rejection you made for it? "
            "Your photos are not touched.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.library.remove_label(name)
            self.refresh_all()

    def _reset_threshold(self, name: str) -> None:
        self.library.set_threshold(name, None)
        self.refresh_labels()

    def remove_folder(self, path: str) -> None:
        answer = QMessageBox.question(
            self,
            "Remove folder",
            f"Stop tracking {path}? The photos stay on disk; your labels are kept.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.library.remove_folder(path)
            self.library.reload()
            self.view = View()
            self.refresh_all()

    def show_about(self) -> None:
        self.about_box = dialogs.show_about(self, self.library.model_info(), str(self.library.root))

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
        """Stop every worker: a scan stops between batches and resumes next time."""
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


def _marks(review: LabelReview) -> dict[str, tuple[str, float | None]]:
    marks: dict[str, tuple[str, float | None]] = {}
    for mark, photos in (
        ("suggested", review.suggested),
        ("rejected", review.rejected),
        ("confirmed", review.confirmed),
    ):
        marks.update({p.path: (mark, p.score) for p in photos})
    return marks
