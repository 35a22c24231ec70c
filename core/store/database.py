"""The library's SQLite file: schema, migrations and the transaction discipline.

What the user decided (labels, examples) is the only precious data here; everything else
(embeddings, weights, thresholds) can be recomputed. So writes happen in explicit
transactions, examples are never removed by a cascade from images or files, and a second
process (GUI and CLI on one library) waits for the lock instead of failing.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from phototag.core.errors import EnvironmentProblem

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


def _file_identity(path: Path) -> tuple[int, int]:
    info = os.stat(path)
    return info.st_dev, info.st_ino


def _create_private(root: Path, database: Path) -> None:
    """The library's folder (0700) and database file (0600) when they are new: embeddings and
    labels are the user's alone. SQLite gives the -wal and -shm files the database file's own
    mode, so they are private too; exports, backups and thumbnails are written 0600 by
    core/atomic.py's mkstemp. An existing folder keeps the mode its owner gave it."""
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    with suppress(FileExistsError):
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


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
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._identity = _file_identity(self.path)
            self.db = sqlite_utils.Database(conn)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
            self.db.enable_wal()
            conn.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except (OSError, sqlite3.DatabaseError) as exc:
            raise EnvironmentProblem(f"cannot open the library at {root}: {exc}") from exc

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
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self.transaction():
                MIGRATIONS[target - 1](self.db)
                self.conn.execute(f"PRAGMA user_version = {target}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All-or-nothing writes; nested use joins the outer transaction."""
        if self.conn.in_transaction:
            yield self.conn
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._refuse_if_replaced()
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def _refuse_if_replaced(self) -> None:
        """A `restore` (or a user) may swap the database file while this process has the old
        one open: a write would then land in a file nobody will ever read again, and a command
        would report a decision that is lost. Checked with the write lock held, so no swap
        can slip in between (restore swaps only while it holds the lock itself)."""
        try:
            current = _file_identity(self.path)
        except FileNotFoundError:
            current = None
        if current != self._identity:
            self.conn.execute("ROLLBACK")
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
        self.conn.close()
