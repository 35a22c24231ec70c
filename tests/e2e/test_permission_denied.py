"""A photo the user may not read is reported by `phototag scan` and `status` as "permission
denied", and the rest of the folder is embedded; once readable, the next scan takes it in. Run
without root's power to read anything (tests/privileges.py), so it tests the same as root (CI)
and as any other user."""

from __future__ import annotations

import json
import subprocess

from tests.photos import write_photo
from tests.privileges import without_file_privileges
from tests.strace import PHOTOTAG


def _phototag(library, *args: str) -> subprocess.CompletedProcess:
    argv = without_file_privileges([str(PHOTOTAG), "--library", str(library), *map(str, args)])
    return subprocess.run(
        argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300
    )


def test_a_photo_without_read_permission_is_reported_and_the_rest_scanned(tmp_path):
    folder, library = tmp_path / "photos", tmp_path / "library"
    for index in range(2):
        write_photo(folder / f"open_{index}.jpg", ["blue"], seed=index)
    locked = write_photo(folder / "locked.jpg", ["red"], seed=7)
    locked.chmod(0)
    try:
        assert _phototag(library, "folders", "add", folder).returncode == 0
        scan = _phototag(library, "scan", "--model", "tiny-random")
        status = json.loads(_phototag(library, "status", "--json").stdout)
    finally:
        locked.chmod(0o644)

    assert scan.returncode == 0, scan.stderr
    assert scan.stdout.startswith("3 files: 2 embedded, 0 moved or copied, 0 unchanged, 1 unread")
    assert f"skipped {locked}: permission denied" in scan.stderr.splitlines()
    assert status["unreadable"] == [{"path": str(locked), "reason": "permission denied"}]
    assert status["embedded"] == 2

    again = _phototag(library, "scan")
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("3 files: 1 embedded, 0 moved or copied, 2 unchanged, 0 unread")
    assert json.loads(_phototag(library, "status", "--json").stdout)["unreadable"] == []
