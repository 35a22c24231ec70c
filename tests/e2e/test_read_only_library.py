"""A library that cannot be written (a read-only mount, or a folder and database the user may
not write) is still read and backed up; a command that would change it fails in one line. It
could not even be read before: "cannot open the library: unable to open database file"."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess

from tests.mounts import remount_read_only, tmpfs
from tests.privileges import without_file_privileges
from tests.strace import PHOTOTAG

READS = [
    ["status"],
    ["labels", "list"],
    ["predict", "--label", "red"],
    ["export", "--format", "csv"],
]


def _decided(library_dir, photo_set, phototag) -> None:
    _, made = photo_set
    assert phototag("tag", "red", *made["red"][:3], library=library_dir).code == 0


def _check(run, library, photo, backup) -> None:
    """run(library, *args) -> (exit code, stdout, stderr)."""
    for command in READS:
        code, out, err = run(library, *command)
        assert code == 0, (command, err)
        assert "Traceback" not in err
    code, out, _ = run(library, "predict", "--label", "red")
    assert code == 0
    assert out.count("\n") >= 3
    code, _, err = run(library, "backup", backup)
    assert code == 0, err
    with sqlite3.connect(backup) as conn:
        assert conn.execute("SELECT COUNT(*) FROM examples").fetchone() == (3,)
    for command in (["tag", "red", photo], ["labels", "remove", "red"]):
        code, _, err = run(library, *command)
        assert code == 2, (command, err)
        assert "is read-only" in err
        assert len(err.strip().splitlines()) == 1, err


def test_a_library_on_a_read_only_mount_is_read_and_backed_up(
    phototag, library_dir, photo_set, tmp_path
):
    _decided(library_dir, photo_set, phototag)

    def run(library, *args):
        result = phototag(*args, library=library)
        return result.code, result.out, result.err

    with tmpfs(tmp_path / "mount", "4m") as mount:
        shutil.copytree(library_dir, mount / "library")
        remount_read_only(mount)
        _check(run, mount / "library", photo_set[1]["red"][3], tmp_path / "saved.db")


def test_a_library_the_user_may_not_write_is_read_and_backed_up(
    phototag, library_dir, photo_set, tmp_path
):
    _decided(library_dir, photo_set, phototag)

    def run(library, *args):
        argv = [str(PHOTOTAG), "--library", str(library), *map(str, args)]
        done = subprocess.run(
            without_file_privileges(argv),
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=300,
        )
        return done.returncode, done.stdout, done.stderr

    (library_dir / "library.db").chmod(0o400)
    library_dir.chmod(0o500)
    try:
        _check(run, library_dir, photo_set[1]["red"][3], tmp_path / "saved.db")
    finally:
        library_dir.chmod(0o700)
        (library_dir / "library.db").chmod(0o600)
    assert sorted(p.name for p in library_dir.iterdir()) == ["library.db", "library.lock"]
