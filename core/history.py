"""Undo and redo for every decision the user makes about labels.

Each recorded action (tag, reject, untag, a threshold, a rename, a removal, a method, a ProLIP
refinement or revert, imported keywords or a pack) runs inside one transaction that also
snapshots the rows it can touch, before and after (core/store/history.py). Undo writes the
"before" rows back and redo the "after" rows: the state returns exactly, weights and thresholds
as the same bytes, with no arithmetic replayed, and the label state in memory is reloaded from
them. A refinement changes every embedding, which no snapshot holds: its entry keeps the active
projection version, and reversing it makes that kept version active again (recomputing the
embeddings bit for bit, as `refine --revert` does) before the label rows are restored.

Sidecars the action wrote (the library's sidecars-on-confirm setting) are snapshotted as
bytes. Undo puts the earlier bytes back (removing a sidecar the action created) only while the
file is still as the action left it: a sidecar someone edited since is left alone and reported,
so undo never destroys another program's work.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from phototag.core.atomic import replacing
from phototag.core.errors import UserError
from phototag.core.interop import xmp
from phototag.core.store import history as journal
from phototag.core.store.database import Store
from phototag.core.store.history import HistoryEntry, Snapshot

NOTHING_TO_UNDO = "nothing to undo"
NOTHING_TO_REDO = "nothing to redo"


@dataclass
class Recording:
    """An action being recorded; it may refine the summary once it knows its outcome."""

    action: str
    summary: str
    skip: bool = False
    """Set when the action changed nothing: no entry is recorded."""


@dataclass(frozen=True)
class Reversal:
    """What undo or redo did: the entries it reversed (in order) and sidecars left alone."""

    entries: list[HistoryEntry]
    sidecars_kept: list[str] = field(default_factory=list)


def _read(path: str) -> bytes | None:
    try:
        return Path(path).read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None


def sidecar_paths(photos: Iterable[str]) -> list[str]:
    """Every sidecar a decision on these photos may write: `name.ext.xmp`, or the existing
    `name.xmp` it would update instead."""
    names = xmp.SidecarNames()
    found: dict[str, None] = {}
    for photo in photos:
        found[str(xmp.extension_kept(Path(photo)))] = None
        found[str(names.to_write(Path(photo)))] = None
    return list(found)


def _put_back(path: str, wanted: bytes | None) -> None:
    if wanted is None:
        with suppress(FileNotFoundError):
            Path(path).unlink()
        return
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        mode = xmp.NEW_SIDECAR_MODE
    with replacing(Path(path)) as temporary:
        temporary.write_bytes(wanted)
        os.chmod(temporary, mode)


class Journal:
    """Records the library's actions and reverses them; `reloaded` runs after every reversal
    so the in-memory label state is read again from the restored rows."""

    def __init__(
        self,
        store: Store,
        reloaded: Callable[[], None],
        switch_projection: Callable[[int], None],
    ):
        self.store = store
        self._reloaded = reloaded
        self._switch_projection = switch_projection
        self._recording = False

    @contextmanager
    def record(
        self,
        action: str,
        summary: str,
        labels: Iterable[int] | None,
        settings: tuple[str, ...] = (),
        photos: Callable[[], Iterable[str]] | None = None,
        model_id: int | None = None,
        albums: bool = False,
    ) -> Iterator[Recording]:
        """Run an action in one transaction and journal it. `labels` are the ids it may change
        (None: every label); labels it creates are found by themselves. `photos` gives the
        photos whose sidecars it may write; `model_id` that it switches the model's projection
        (ProLIP refine or revert); `albums` that it rewrites smart albums' queries."""
        recording = Recording(action, summary)
        if self._recording:  # part of an action being recorded: the outer entry covers it
            yield recording
            return
        self._recording = True
        try:
            with self._journaled(recording, labels, settings, photos, model_id, albums):
                yield recording
        finally:
            self._recording = False

    @contextmanager
    def _journaled(
        self,
        recording: Recording,
        labels: Iterable[int] | None,
        settings: tuple[str, ...],
        photos: Callable[[], Iterable[str]] | None,
        model_id: int | None,
        albums: bool,
    ) -> Iterator[None]:
        with self.store.transaction() as conn, self._reload_on_failure():
            existing = journal.label_ids(conn)
            scope = existing if labels is None else set(labels)
            sidecars = sidecar_paths(photos()) if photos is not None else []
            sidecars_now = {p: _read(p) for p in sidecars}
            before = journal.capture(conn, scope, settings, sidecars_now, model_id, albums)
            yield
            if recording.skip:
                return
            created = journal.label_ids(conn) - existing
            sidecars_now = {p: _read(p) for p in sidecars}
            after = journal.capture(conn, scope | created, settings, sidecars_now, model_id, albums)
            for label in created:
                before.labels[label] = None
            journal.append(conn, recording.action, recording.summary, before, after)

    @contextmanager
    def _reload_on_failure(self) -> Iterator[None]:
        """A failed action's rows are rolled back: memory may be ahead of them."""
        try:
            yield
        except BaseException:
            self._reloaded()
            raise

    def entries(self) -> list[HistoryEntry]:
        return journal.entries(self.store)

    def undo(self, steps: int = 1) -> Reversal:
        return self._reverse(steps, undo=True)

    def redo(self, steps: int = 1) -> Reversal:
        return self._reverse(steps, undo=False)

    def _reverse(self, steps: int, undo: bool) -> Reversal:
        if steps < 1:
            raise UserError("steps must be at least 1")
        reversed_entries: list[HistoryEntry] = []
        kept: list[str] = []
        try:
            with self.store.transaction() as conn:
                for _ in range(steps):
                    entry = journal.next_to_reverse(conn, undo)
                    if entry is None:
                        break
                    before, after = journal.snapshots(conn, entry.id)
                    target, left = (before, after) if undo else (after, before)
                    kept += _restore_sidecars(target, left)
                    if target.projection is not None:
                        self._switch_projection(target.projection[1])
                    journal.restore(conn, target)
                    journal.mark(conn, entry.id, undone=undo)
                    reversed_entries.append(entry)
                if not reversed_entries:
                    raise UserError(NOTHING_TO_UNDO if undo else NOTHING_TO_REDO)
        finally:
            self._reloaded()
        return Reversal(reversed_entries, kept)


def _restore_sidecars(target: Snapshot, left: Snapshot) -> list[str]:
    """Put the target's sidecar bytes back where the file is as the entry left it; returns the
    sidecars edited since, which are kept (with their record of what Phototag wrote)."""
    kept = []
    for path, wanted in target.sidecars.items():
        current = _read(path)
        if current == wanted:
            continue
        if current != left.sidecars.get(path):
            kept.append(path)
            target.written.pop(path, None)
            continue
        _put_back(path, wanted)
    return kept
