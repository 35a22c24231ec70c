"""The SQLite store: pragmas, migrations, transactions and protection of user decisions."""

from __future__ import annotations

import os
import sqlite3
import stat

import pytest

from phototag.core.errors import EnvironmentProblem
from phototag.core.store.database import SCHEMA_VERSION, Store, now


def test_new_library_is_wal_with_foreign_keys_and_current_schema(tmp_path):
    store = Store(tmp_path / "lib")
    assert store.scalar("PRAGMA journal_mode") == "wal"
    assert store.scalar("PRAGMA foreign_keys") == 1
    assert store.scalar("PRAGMA busy_timeout") > 0
    assert store.scalar("PRAGMA user_version") == SCHEMA_VERSION
    assert {"folders", "images", "files", "embeddings", "labels", "examples"} <= set(
        store.db.table_names()
    )
    store.close()


def test_reopening_keeps_data_and_does_not_migrate_again(tmp_path):
    store = Store(tmp_path)
    store.set_setting("answer", "42")
    store.close()
    again = Store(tmp_path)
    assert again.setting("answer") == "42"
    again.close()


def test_a_failed_transaction_leaves_nothing_behind(tmp_path):
    store = Store(tmp_path)

    def interrupted_write() -> None:
        with store.transaction() as conn:
            conn.execute("INSERT INTO labels(name, created_at) VALUES ('Rex', ?)", (now(),))
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        interrupted_write()
    assert store.scalar("SELECT COUNT(*) FROM labels") == 0
    store.close()


def test_examples_are_never_deleted_implicitly_with_their_image(tmp_path):
    store = Store(tmp_path)
    with store.transaction() as conn:
        conn.execute("INSERT INTO images(content_hash, first_seen) VALUES ('abc', ?)", (now(),))
        conn.execute("INSERT INTO labels(name, created_at) VALUES ('Rex', ?)", (now(),))
        conn.execute(
            "INSERT INTO examples(label_id, image_id, polarity, created_at) VALUES (1, 1, 1, ?)",
            (now(),),
        )
    with pytest.raises(sqlite3.IntegrityError), store.transaction() as conn:
        conn.execute("DELETE FROM images WHERE id = 1")
    assert store.scalar("SELECT COUNT(*) FROM examples") == 1
    store.close()


def test_label_names_are_unique_regardless_of_case(tmp_path):
    store = Store(tmp_path)
    with store.transaction() as conn:
        conn.execute("INSERT INTO labels(name, created_at) VALUES ('Rex', ?)", (now(),))
    with pytest.raises(sqlite3.IntegrityError), store.transaction() as conn:
        conn.execute("INSERT INTO labels(name, created_at) VALUES ('rex', ?)", (now(),))
    store.close()


def test_a_library_from_a_newer_phototag_is_refused_clearly(tmp_path):
    Store(tmp_path).close()
    conn = sqlite3.connect(tmp_path / "library.db")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(EnvironmentProblem, match="newer Phototag"):
        Store(tmp_path)


def test_a_file_that_is_not_a_database_is_an_environment_problem(tmp_path):
    (tmp_path / "library.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(EnvironmentProblem, match="cannot open the library"):
        Store(tmp_path)


def test_a_new_library_is_private_to_its_owner_whatever_the_umask(tmp_path):
    """Embeddings and labels are the user's alone: a permissive umask (022, the common default)
    must not make the database, its WAL or its shared-memory file readable by others."""
    previous = os.umask(0o022)
    try:
        root = tmp_path / "new" / "library"
        store = Store(root)
        store.set_setting("probe", "1")  # a write, so the -wal and -shm files exist
        modes = {
            path.name: stat.S_IMODE(path.stat().st_mode) for path in [root, *sorted(root.iterdir())]
        }
        store.db.conn.close()
    finally:
        os.umask(previous)
    assert modes == {
        "library": 0o700,
        "library.db": 0o600,
        "library.db-shm": 0o600,
        "library.db-wal": 0o600,
        "library.lock": 0o600,
    }
