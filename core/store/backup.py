"""Backing up and restoring a library's database: the one file holding what the user decided.

A backup is SQLite's VACUUM INTO a temporary file beside the target: one consistent snapshot
even while the app, a scan or `phototag watch` writes, written as a self-contained single file
in rollback-journal mode, so no -wal or -shm ever appears beside it (the online backup API
copied the WAL flag, and checking the copy then created both). It is checked (integrity_check)
and renamed over the target. A backup killed midway leaves only its temporary file (and that
file's -journal), which the next backup to that target removes; a target whose disk is full is
named as the problem.

A restore checks the file first (a SQLite database, integrity_check ok, a Phototag schema not
newer than this Phototag's), keeps the current database as library.db.before-restore-<time>,
then swaps the file in with one rename. It is refused while any other process has the library
open: that process would go on writing to the replaced file and its writes would be lost. Two
checks say so: the library lock (core/store/lock.py), which every Phototag process holds
shared while it has the library open and the restore holds exclusively through the swap, so a
process starting meanwhile waits and then opens the restored file; and SQLite's own, for any
other program: leaving WAL mode needs the only connection to the database.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from phototag.core.atomic import remove_stale_temporaries, replacing
from phototag.core.errors import EnvironmentProblem, UserError
from phototag.core.store.database import DB_NAME, SCHEMA_VERSION, Store
from phototag.core.store.lock import IN_USE, LibraryLock


@dataclass(frozen=True)
class Copied:
    """What a backup wrote or a restore brought back."""

    path: Path
    labels: int
    examples: int
    previous: Path | None = None


def backup(store: Store, out: Path) -> Copied:
    """Write a consistent copy of the library's database to out (replacing it atomically)."""
    out = out.expanduser().absolute()
    if out.exists() and out.samefile(store.path):
        raise UserError("a backup cannot overwrite the library's own database")
    try:
        remove_stale_temporaries(out)
        with replacing(out) as temporary:
            _snapshot(store, temporary, out)
            with closing(sqlite3.connect(temporary)) as target:
                labels, examples = _check_library(target, out)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise _no_space(out) from None
        raise UserError(f"cannot write {out}: {exc.strerror or exc}") from exc
    return Copied(out, labels, examples)


def _snapshot(store: Store, temporary: Path, out: Path) -> None:
    """VACUUM INTO only reads the library, so its SQLITE_FULL is the target's disk."""
    try:
        store.conn.execute("VACUUM INTO ?", (str(temporary),))
    except sqlite3.DatabaseError as exc:
        code = getattr(exc, "sqlite_errorcode", None)
        if code == sqlite3.SQLITE_FULL:
            raise _no_space(out) from None
        if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
            raise UserError(
                f"the library's database is damaged ({exc}): nothing backed up"
            ) from None
        raise UserError(f"cannot write {out}: {exc}") from None


def _no_space(out: Path) -> EnvironmentProblem:
    return EnvironmentProblem(f"cannot write the backup to {out.parent}: no space left there")


def restore(root: Path, source: Path) -> Copied:
    """Replace the library's database at root with the backup at source (see module doc)."""
    database = root / DB_NAME
    candidate = root / f"{DB_NAME}.restoring"
    try:
        root.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, candidate)
    except OSError as exc:
        raise UserError(f"cannot read {source}: {exc.strerror or exc}") from exc
    try:
        with closing(sqlite3.connect(candidate)) as conn:
            labels, examples = _check_library(conn, source)
            conn.execute("PRAGMA journal_mode = DELETE")
        with LibraryLock.exclusive(root):
            previous = _swap_in(candidate, database)
    finally:
        for leftover in (candidate, Path(f"{candidate}-wal"), Path(f"{candidate}-shm")):
            leftover.unlink(missing_ok=True)
    return Copied(database, labels, examples, previous)


def _swap_in(candidate: Path, database: Path) -> Path | None:
    """Rename candidate over database, keeping a copy of the current one (its path)."""
    if not database.exists():
        os.replace(candidate, database)
        return None
    with _sole_user(database):
        previous = _keep_previous(database)
        os.replace(candidate, database)
    return previous


def _check_library(conn: sqlite3.Connection, shown: Path) -> tuple[int, int]:
    """(labels, examples) of a sound Phototag database, else a UserError naming the problem."""
    try:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check(1)")]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:
        # SQLite reads a damaged schema page as "malformed"; anything else is not a database.
        if "malformed" in str(exc):
            raise UserError(f"{shown} is damaged ({exc})") from None
        raise UserError(f"{shown} is not a Phototag library: {exc}") from None
    if problems != ["ok"]:
        first = problems[0].replace("*** in database main ***", "").strip().splitlines()[0]
        raise UserError(f"{shown} is damaged (SQLite's integrity check: {first})")
    if version == 0 or not {"labels", "examples", "images"} <= tables:
        raise UserError(f"{shown} is not a Phototag library (no Phototag tables)")
    if version > SCHEMA_VERSION:
        raise UserError(
            f"{shown} was made by a newer Phototag (schema {version}, this one knows "
            f"{SCHEMA_VERSION}); please upgrade"
        )
    labels = conn.execute("SELECT COUNT(*) FROM labels").fetchone()[0]
    examples = conn.execute("SELECT COUNT(*) FROM examples").fetchone()[0]
    return labels, examples


@contextmanager
def _sole_user(database: Path) -> Iterator[None]:
    """Hold the database exclusively, or refuse: another open connection keeps it in WAL mode.

    A database too damaged for SQLite to lock (the moment a restore is needed most) is one no
    process can be using: it is kept as the before-restore copy and replaced as it is."""
    with closing(sqlite3.connect(database, timeout=0, isolation_level=None)) as conn:
        try:
            mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
            if mode != "delete":
                raise UserError(IN_USE)
            conn.execute("BEGIN EXCLUSIVE")
        except sqlite3.OperationalError:
            raise UserError(IN_USE) from None
        except sqlite3.DatabaseError:
            yield
            return
        try:
            yield
        finally:
            conn.execute("ROLLBACK")


def _keep_previous(database: Path) -> Path:
    """A copy of the current database (consistent: it is locked and has no WAL now)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    previous = database.with_name(f"{DB_NAME}.before-restore-{stamp}")
    shutil.copyfile(database, previous)
    return previous
