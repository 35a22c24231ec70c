"""The library's SQLite file: schema, migrations and the transaction discipline.

What the user decided (labels, examples) is the only precious data here; everything else
(embeddings, weights, thresholds) can be recomputed. So writes happen in explicit
transactions, examples are never removed by a cascade from images or files, and a second
process (GUI and CLI on one library) waits for the lock instead of failing.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from phototag.core.errors import EnvironmentProblem
from phototag.core.store.checkpoints import Checkpoints
from phototag.core.store.lock import LibraryLock

# sqlite-utils imports pandas whenever it is installed (phototag[cluster]'s Ray Data brings it),
# only to map pandas.Timestamp values, which Phototag never writes: 0.23 s of every command's
# start on a quiet machine (python -X importtime). Imported with pandas hidden, it leaves pandas
# out; pandas stays importable for whatever needs it later.
_HIDE_PANDAS = "pandas" not in sys.modules
if _HIDE_PANDAS:
    sys.modules["pandas"] = None  # type: ignore[assignment]  # import pandas: ImportError
try:
    import sqlite_utils
finally:
    if _HIDE_PANDAS:
        del sys.modules["pandas"]

DB_NAME = "library.db"
BUSY_TIMEOUT_MS = 30_000

_SCHEMA_V1 = """
CREATE TABLE folders (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    watching INTEGER NOT NULL DEFAULT 1,
    added_at TEXT NOT NULL
);
CREATE TABLE images (
    id INTEGER PRIMARY KEY,
    content_hash TEXT NOT NULL UNIQUE,
    width INTEGER,
    height INTEGER,
    taken_at TEXT,
    first_seen TEXT NOT NULL
);
CREATE TABLE files (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    folder_id INTEGER REFERENCES folders(id) ON DELETE CASCADE,
    image_id INTEGER REFERENCES images(id),
    size INTEGER,
    mtime_ns INTEGER,
    status TEXT NOT NULL CHECK (status IN ('ok', 'missing', 'unreadable')),
    reason TEXT,
    seen_at TEXT NOT NULL
);
CREATE INDEX files_image ON files(image_id);
CREATE INDEX files_folder ON files(folder_id);
CREATE TABLE models (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    weights_path TEXT,
    embed_dim INTEGER NOT NULL,
    feature_dim INTEGER NOT NULL,
    projection BLOB NOT NULL,
    projection_version INTEGER NOT NULL DEFAULT 0,
    added_at TEXT NOT NULL
);
CREATE TABLE embeddings (
    image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    embedding BLOB NOT NULL,
    feature BLOB NOT NULL,
    PRIMARY KEY (image_id, model_id)
) WITHOUT ROWID;
CREATE INDEX embeddings_model ON embeddings(model_id, image_id);
CREATE TABLE labels (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    created_at TEXT NOT NULL,
    prompt TEXT,
    threshold REAL,
    parent INTEGER REFERENCES labels(id) ON DELETE SET NULL
);
CREATE TABLE examples (
    label_id INTEGER NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
    image_id INTEGER NOT NULL REFERENCES images(id),
    polarity INTEGER NOT NULL CHECK (polarity IN (1, -1)),
    source TEXT NOT NULL DEFAULT 'user',
    created_at TEXT NOT NULL,
    PRIMARY KEY (label_id, image_id)
) WITHOUT ROWID;
CREATE INDEX examples_image ON examples(image_id);
CREATE TABLE label_weights (
    label_id INTEGER NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
    model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    weight BLOB,
    pos_sum BLOB NOT NULL,
    n_pos INTEGER NOT NULL,
    prior BLOB,
    threshold REAL NOT NULL,
    slope REAL NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (label_id, model_id)
) WITHOUT ROWID;
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT
);
"""


def _execute_script(db: sqlite_utils.Database, script: str) -> None:
    """Statement by statement: executescript() would commit the migration's transaction."""
    for statement in script.split(";"):
        if statement.strip():
            db.conn.execute(statement)


def _migrate_to_1(db: sqlite_utils.Database) -> None:
    _execute_script(db, _SCHEMA_V1)


def _migrate_to_2(db: sqlite_utils.Database) -> None:
    """Per-folder polling: network shares deliver no native change events to a watcher."""
    db.conn.execute("ALTER TABLE folders ADD COLUMN poll INTEGER NOT NULL DEFAULT 0")


def _migrate_xmp_written(db: sqlite_utils.Database) -> None:
    """The keywords Phototag wrote into each sidecar (or embedded in each photo), so a later
    export removes those that stopped being true and never one that someone else wrote."""
    db.conn.execute(
        "CREATE TABLE xmp_written (path TEXT NOT NULL, field TEXT NOT NULL, "
        "keyword TEXT NOT NULL, PRIMARY KEY (path, field, keyword)) WITHOUT ROWID"
    )


def _migrate_add_label_packs(db: sqlite_utils.Database) -> None:
    """Imported classifier packs (core/interop/packs.py): a user's decision, so kept apart from the
    derived label_weights, which every re-fit rewrites."""
    db.conn.execute(
        """
        CREATE TABLE label_packs (
            label_id INTEGER PRIMARY KEY REFERENCES labels(id) ON DELETE CASCADE,
            model_key TEXT NOT NULL,
            projection_version INTEGER NOT NULL,
            weight BLOB NOT NULL,
            strength REAL NOT NULL,
            n_pos INTEGER NOT NULL,
            threshold REAL NOT NULL,
            slope REAL NOT NULL,
            meta TEXT NOT NULL,
            imported_at TEXT NOT NULL
        )
        """
    )


def _add_methods_and_projections(db: sqlite_utils.Database) -> None:
    """A label may use another head than the library's (labels.method, NULL = the library's),
    and ProLIP's refined visual projections are kept as versions, so a refinement is revertible
    (version 0 is the pretrained projection; models.projection holds the active one)."""
    db.conn.execute("ALTER TABLE labels ADD COLUMN method TEXT")
    db.conn.execute(
        "CREATE TABLE projections ("
        " model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,"
        " version INTEGER NOT NULL,"
        " base INTEGER,"
        " projection BLOB NOT NULL,"
        " created_at TEXT NOT NULL,"
        " note TEXT,"
        " PRIMARY KEY (model_id, version)"
        ") WITHOUT ROWID"
    )


def _add_label_heads(db: sqlite_utils.Database) -> None:
    """Fitted non-MWI heads, so reading a library never refits them: each is valid only for the
    exact inputs it was fitted on (examples_digest), and is refitted when they change."""
    db.conn.execute(
        "CREATE TABLE label_heads ("
        " label_id INTEGER NOT NULL REFERENCES labels(id) ON DELETE CASCADE,"
        " model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,"
        " method TEXT NOT NULL,"
        " examples_digest TEXT NOT NULL,"
        " blob BLOB NOT NULL,"
        " updated_at TEXT NOT NULL,"
        " PRIMARY KEY (label_id, model_id)"
        ") WITHOUT ROWID"
    )


def _add_history(db: sqlite_utils.Database) -> None:
    """The journal of decisions behind undo and redo (core/store/history.py): each entry holds
    the touched rows before and after the action, so history survives restarts and backups.
    examples.suggested records whether the model suggested the photo when the user decided it
    (NULL: not known, e.g. imported keywords): the label-health precision estimate counts it."""
    db.conn.execute("ALTER TABLE examples ADD COLUMN suggested INTEGER")
    db.conn.execute(
        "CREATE TABLE history ("
        " id INTEGER PRIMARY KEY,"
        " action TEXT NOT NULL,"
        " summary TEXT NOT NULL,"
        " created_at TEXT NOT NULL,"
        " undone INTEGER NOT NULL DEFAULT 0,"
        " before BLOB NOT NULL,"
        " after BLOB NOT NULL"
        ")"
    )


def _add_albums(db: sqlite_utils.Database) -> None:
    """Smart albums: a saved query by name (core/finding/query.py). The query text is what the
    user wrote, kept as written, so it reads the same when they open it again."""
    db.conn.execute(
        "CREATE TABLE albums ("
        " name TEXT PRIMARY KEY COLLATE NOCASE,"
        " query TEXT NOT NULL,"
        " created_at TEXT NOT NULL"
        ")"
    )


# Forward migrations, in order: entry i brings a database from version i to version i + 1.
# To change the schema, append a function here; never edit one that has shipped.
MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _migrate_to_1,
    _migrate_to_2,
    _migrate_xmp_written,
    _migrate_add_label_packs,
    _add_methods_and_projections,
    _add_label_heads,
    _add_history,
    _add_albums,
]
SCHEMA_VERSION = len(MIGRATIONS)


def is_storable(text: str) -> bool:
    """SQLite text must be valid UTF-8; a non-UTF-8 file name arrives with lone surrogates."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable(text: str) -> str:
    """A form of any name that SQLite and a terminal accept (undecodable bytes as \\xNN)."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


REPLACED = (
    "the library's database {path} was replaced or deleted while this command had it open "
    "(a restore?); nothing was written: run the command again"
)


READ_ONLY = (
    "the library at {root} is read-only (its folder or database cannot be written here): "
    "nothing was changed"
)


def _file_identity(path: Path) -> tuple[int, int]:
    info = os.stat(path)
    return info.st_dev, info.st_ino


EMPTY = (
    "the library's database {path} is an empty file (0 bytes), so it holds none of your labels "
    "or decisions: put a backup back with 'phototag restore FILE' (a library.db.before-restore-* "
    "beside it is one), or move the empty file away to start a new library"
)


def _create_private(root: Path, database: Path) -> None:
    """The library's folder (0700) and database file (0600) when they are new: embeddings and
    labels are the user's alone. SQLite gives the -wal and -shm files the database file's own
    mode, so they are private too; exports, backups and thumbnails are written 0600 by
    core/atomic.py's mkstemp. An existing folder keeps the mode its owner gave it.

    A new database is made whole under another name (SQLite writes its first page when it is
    switched to WAL) and linked into place, so library.db is never an empty file of ours: an
    empty one is a truncated library, refused by _refuse_if_empty instead of silently becoming
    a new library with nothing in it."""
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    if database.exists():
        return
    fresh = database.with_name(f"{DB_NAME}.new-{os.getpid()}")
    os.close(os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    try:
        conn = sqlite3.connect(fresh, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
        finally:
            conn.close()
        _put_in_place(fresh, database)
    finally:
        fresh.unlink(missing_ok=True)


def _put_in_place(fresh: Path, database: Path) -> None:
    """Link, so a database another process made first is never replaced (theirs is the one); a
    file system without hard links (FAT on a USB stick) gets a rename instead."""
    try:
        os.link(fresh, database)
    except FileExistsError:
        pass
    except OSError:
        if not database.exists():
            os.rename(fresh, database)


def _refuse_if_empty(database: Path) -> None:
    if os.stat(database).st_size == 0:
        raise EnvironmentProblem(EMPTY.format(path=database))


class Store:
    """One connection to a library database, in autocommit mode with explicit transactions.

    Autocommit plus BEGIN IMMEDIATE keeps every multi-statement write atomic and takes the
    write lock up front, so a second process waits (busy timeout) rather than failing midway.
    """

    def __init__(self, root: Path):
        self.root = root
        self.path = root / DB_NAME
        try:
            _create_private(root, self.path)
            _refuse_if_empty(self.path)
            # Before the database is opened, so that a restore cannot swap it in between.
            self._lock = LibraryLock.shared(root)
        except OSError as exc:
            raise EnvironmentProblem(f"cannot open the library at {root}: {exc}") from exc
        try:
            self._open()
        except BaseException as exc:
            self._lock.release()
            if isinstance(exc, OSError | sqlite3.DatabaseError):
                raise EnvironmentProblem(f"cannot open the library at {root}: {exc}") from exc
            raise

    def _open(self) -> None:
        """Read-write; or read-only when the folder or the file cannot be written (a read-only
        mount, another user's library): SQLite then reads the WAL database without creating
        its -shm, so status, predict, export and backup still work and writes fail in one line
        (transaction()). Opened read-write there, even reading failed: 'unable to open
        database file'. Without a -shm file to share, SQLite reads a WAL database only as
        immutable: nothing here can write it (a -wal without its -shm is left unread)."""
        self.read_only = not (os.access(self.root, os.W_OK) and os.access(self.path, os.W_OK))
        if self.read_only:
            shared = Path(f"{self.path}-shm").exists()
            mode = "ro" if shared else "ro&immutable=1"
            target, uri = f"{self.path.absolute().as_uri()}?mode={mode}", True
        else:
            target, uri = str(self.path), False
        conn = sqlite3.connect(target, uri=uri, isolation_level=None, check_same_thread=False)
        try:
            self._identity = _file_identity(self.path)
            self._checkpoints = Checkpoints(self.path, conn, lambda: not self._replaced())
            self.db = sqlite_utils.Database(conn)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
            if not self.read_only:
                self.db.enable_wal()
                conn.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except BaseException:
            conn.close()
            raise

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    def _migrate(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise EnvironmentProblem(
                f"the library at {self.root} was made by a newer Phototag "
                f"(schema {version}, this one knows {SCHEMA_VERSION}); please upgrade"
            )
        if version < SCHEMA_VERSION and self.read_only:
            raise EnvironmentProblem(READ_ONLY.format(root=self.root) + " (it needs an upgrade)")
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self.transaction():
                MIGRATIONS[target - 1](self.db)
                self.conn.execute(f"PRAGMA user_version = {target}")

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """Reads that all see one state of the database (a deferred read transaction, which
        takes no lock from writers in WAL mode); inside a transaction, that one's."""
        if self.conn.in_transaction:
            yield self.conn
            return
        self.conn.execute("BEGIN")
        try:
            yield self.conn
        finally:
            self.conn.execute("COMMIT")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All-or-nothing writes; nested use joins the outer transaction."""
        if self.conn.in_transaction:
            yield self.conn
            return
        if self.read_only:
            raise EnvironmentProblem(READ_ONLY.format(root=self.root))
        self.conn.execute("BEGIN IMMEDIATE")
        if self._replaced():
            self.conn.execute("ROLLBACK")
            raise EnvironmentProblem(REPLACED.format(path=self.path))
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")
        self._checkpoints.committed()

    def _replaced(self) -> bool:
        """A `restore` (or a user) may swap or delete the database file while this process has
        the old one open: a write would then land in a file nobody will ever read again, and a
        command would report a decision that is lost. Each transaction checks with the write
        lock held, so no swap can slip in between (restore swaps only while it holds the lock
        itself)."""
        try:
            current = _file_identity(self.path)
        except FileNotFoundError:
            current = None
        return current != self._identity

    def refuse_if_replaced(self) -> None:
        """Raise the one-line error when the library's database file is no longer the one open
        here: a long-lived process (`phototag watch`, the app's watcher) checks between its
        writes too, so it stops when the file goes rather than at its next write."""
        if self._replaced():
            raise EnvironmentProblem(REPLACED.format(path=self.path))

    def query(self, sql: str, params: tuple | dict = ()) -> list[dict]:
        cursor = self.conn.execute(sql, params)
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    def scalar(self, sql: str, params: tuple | dict = ()):
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def setting(self, key: str) -> str | None:
        return self.scalar("SELECT value FROM settings WHERE key = ?", (key,))

    def set_setting(self, key: str, value: str | None) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO settings(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def close(self) -> None:
        self._checkpoints.close()
        self.conn.close()
        self._lock.release()
