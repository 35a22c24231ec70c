"""What the window shows, read from the Library in one go on the library thread.

The window describes what it wants in a `ViewRequest` (plain values taken on the GUI thread);
`take_snapshot(library, request)` runs on the library thread (app/library_thread.py), after the
decision that caused it, and reads everything the widgets need into a `ViewSnapshot`; the GUI
thread then only fills widgets from it. Nothing here touches Qt.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from phototag.core import (
    Album,
    Folder,
    HistoryEntry,
    LabelHealth,
    LabelInfo,
    LabelReview,
    Library,
    Mark,
    ModelInfo,
    PhotoRef,
    PhotoRefs,
    PhototagError,
)

Marks = MutableMapping[str, Mark]
FOUND_KINDS = ("similar", "album", "group")


@dataclass(frozen=True)
class View:
    """What the grid shows: the library, a folder, a label's review (one section of it), or
    a finding view: photos like `paths`, an album, a group of look-alikes (app/finding.py)."""

    kind: str = "all"  # "all" | "folder" | "label" | "similar" | "album" | "group"
    key: str | None = None
    section: str = "suggested"
    paths: tuple[str, ...] = ()

    def renamed(self, old: str, new: str) -> View:
        return replace(self, key=new) if self.kind == "label" and self.key == old else self


@dataclass(frozen=True)
class ViewRequest:
    number: int  # the window's count of requests: a snapshot of an older one is not shown
    view: View
    focus_label: str | None = None  # lights up in every view
    query: np.ndarray | None = field(default=None, compare=False)  # the search box's text
    all_of: tuple[str, ...] = ()
    any_of: tuple[str, ...] = ()
    group: tuple[PhotoRef, ...] = ()  # a group's photos, found earlier (finding.py)
    contents: bool = False  # also the sidebar's folders, labels, albums and the history
    reload: bool = False  # first forget what the Library holds: the database changed


@dataclass
class LibraryContents:
    """The sidebar, the menus and Undo's text: everything but the grid."""

    folders: list[Folder]
    labels: list[LabelInfo]
    health: dict[str, LabelHealth]
    albums: list[Album]
    texts_to_embed: list[str]  # an album's words the model has not read yet
    history: list[HistoryEntry]
    model: ModelInfo | None
    method: str  # the library's
    methods: dict[str, str]  # name -> summary
    revert_to: int | None  # the projection a revert of the active refinement goes back to


@dataclass
class ViewSnapshot:
    request: ViewRequest
    view: View  # the request's, or All photos once its label or album is gone
    photos: Sequence[PhotoRef] = field(default_factory=list)
    marks: Marks = field(default_factory=dict)
    review: LabelReview | None = None
    to_help: list[PhotoRef] = field(default_factory=list)
    album_query: str = ""  # the album's, when the view is one
    problem: str | None = None  # why the view could not be read (shown empty)
    contents: LibraryContents | None = None


def take_snapshot(library: Library, request: ViewRequest) -> ViewSnapshot:
    """Read the request's view (and the library's contents if asked); on the library thread."""
    if request.reload:
        library.reload()
    contents = read_contents(library) if request.contents else None
    view = request.view if contents is None else _still_there(request.view, contents)
    snapshot = ViewSnapshot(request, view, contents=contents)
    try:
        _read_view(library, request, snapshot)
    except PhototagError as exc:
        snapshot.problem = str(exc)
    return snapshot


def read_contents(library: Library) -> LibraryContents:
    model = library.model_info()
    return LibraryContents(
        folders=library.folders(),
        labels=library.labels(),
        health={h.name: h for h in library.label_health()},
        albums=library.albums(embed=False),
        texts_to_embed=library.query_texts(),
        history=library.history(),
        model=model,
        method=library.method(),
        methods=library.methods(),
        revert_to=_revert_to(library) if model is not None else None,
    )


def _revert_to(library: Library) -> int | None:
    active = next((v for v in library.refinements() if v.active), None)
    return None if active is None else active.base


def _still_there(view: View, contents: LibraryContents) -> View:
    """A label or an album deleted (or undone) meanwhile: show All photos instead."""
    names = {
        "label": [info.name for info in contents.labels],
        "album": [album.name for album in contents.albums],
    }
    if view.kind in names and view.key not in names[view.kind]:
        return View()
    return view


def _read_view(library: Library, request: ViewRequest, snapshot: ViewSnapshot) -> None:
    view = snapshot.view
    folder = view.key if view.kind == "folder" else None
    all_of, any_of = list(request.all_of), list(request.any_of)
    if request.query is not None:
        snapshot.photos = library.search(request.query, all_of, any_of, folder)
        snapshot.marks = _focus_marks(library, request.focus_label)
    elif view.kind in FOUND_KINDS:
        if view.kind == "album":
            snapshot.album_query = library.album_query(view.key or "")
        snapshot.photos = _found(library, request, view)
        snapshot.marks = _focus_marks(library, request.focus_label) if view.kind == "album" else {}
        snapshot.marks.update(_similarity_marks(snapshot.photos))
    elif view.kind == "label" and view.key is not None:
        _read_review(library, view.key, view.section, snapshot)
    else:
        snapshot.photos = library.photos(all_of, any_of, folder)
        snapshot.marks = _focus_marks(library, request.focus_label)


def _similarity_marks(photos: Sequence[PhotoRef]) -> dict[str, Mark]:
    """Each found photo's similarity as its mark; an album without text has no scores to
    read, and its 100k refs are not made for nothing."""
    if isinstance(photos, PhotoRefs) and photos.scores is None:
        return {}
    return {p.path: ("near", p.score) for p in photos if p.score is not None}


def _found(library: Library, request: ViewRequest, view: View) -> Sequence[PhotoRef]:
    """The photos of a finding view, each with its similarity as its score."""
    if view.kind == "similar":
        return library.similar(view.paths, all_of=list(request.all_of), any_of=list(request.any_of))
    if view.kind == "album":
        return library.album_photos(view.key or "", embed=False)
    wanted = set(view.paths)
    return [p for p in request.group if p.path in wanted]


def _read_review(library: Library, label: str, section: str, snapshot: ViewSnapshot) -> None:
    review = library.review(label)
    to_help = [
        PhotoRef(item.path, item.content_hash, item.score)
        for item in library.help_queue(review.label)
    ]
    marks = review_marks(review)
    marks.update({p.path: ("near", p.score) for p in review.near_misses})
    for photo in to_help:  # every photo to decide shows its score
        marks.setdefault(photo.path, ("near", photo.score))
    snapshot.review, snapshot.to_help, snapshot.marks = review, to_help, marks
    snapshot.photos = to_help if section == "help" else getattr(review, section)


def _focus_marks(library: Library, focus_label: str | None) -> Marks:
    """The focused label lights up in every view: its confirmed and suggested photos."""
    if focus_label is None:
        return {}
    try:
        return review_marks(library.review(focus_label, near_misses=0))
    except PhototagError:  # the focused label is gone (deleted, undone)
        return {}


def review_marks(review: LabelReview) -> Marks:
    """The review's marks, read per path when the grid paints a row (core's LabelMarks)."""
    return review.marks()
