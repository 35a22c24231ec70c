"""Files are what they seem: only regular files inside the library's folders are read. A link
to a file outside them (`passwd.jpg` -> /etc/passwd) and a FIFO or device named .jpg are listed
with their reason and never opened; a link to a photo inside the folders is followed."""

from __future__ import annotations

import json
import os
import shutil

from tests.e2e.conftest import run_process
from tests.photos import write_photo


def _unreadable(library) -> dict[str, str]:
    status = run_process("--library", str(library), "status", "--json")
    assert status.code == 0, status.err
    problems = json.loads(status.out)["unreadable"]
    return {os.path.basename(item["path"]): item["reason"] for item in problems}


def test_links_out_of_the_folders_and_special_files_are_listed_not_read(tmp_path):
    photos = tmp_path / "photos"
    write_photo(photos / "real.jpg", ["red"], seed=1)
    write_photo(tmp_path / "outside" / "elsewhere.jpg", ["blue"], seed=2)
    (photos / "passwd.jpg").symlink_to("/etc/passwd")
    (photos / "elsewhere.jpg").symlink_to(tmp_path / "outside" / "elsewhere.jpg")
    (photos / "zero.jpg").symlink_to("/dev/zero")
    os.mkfifo(photos / "pipe.jpg")
    (photos / "again.jpg").symlink_to(photos / "real.jpg")
    library = tmp_path / "library"
    assert run_process("--library", str(library), "folders", "add", str(photos)).code == 0
    scan = run_process("--library", str(library), "scan", "--model", "tiny-random")
    assert scan.code == 0, scan.err

    reasons = _unreadable(library)
    outside = "a symbolic link to a file outside the library's folders"
    assert reasons == {
        "passwd.jpg": outside,
        "elsewhere.jpg": outside,
        "zero.jpg": "not a regular file (a character device)",
        "pipe.jpg": "not a regular file (a FIFO)",
    }
    predicted = run_process("--library", str(library), "predict", "--json")
    listed = {os.path.basename(json.loads(line)["path"]) for line in predicted.out.splitlines()}
    assert listed == {"real.jpg", "again.jpg"}


def test_a_link_within_the_folder_is_the_same_photo(tmp_path):
    photos = tmp_path / "photos"
    write_photo(photos / "a" / "real.jpg", ["red"], seed=1)
    (photos / "b").mkdir()
    (photos / "b" / "linked.jpg").symlink_to(photos / "a" / "real.jpg")
    shutil.copy(photos / "a" / "real.jpg", photos / "copy.jpg")
    library = tmp_path / "library"
    assert run_process("--library", str(library), "folders", "add", str(photos)).code == 0
    assert run_process("--library", str(library), "scan", "--model", "tiny-random").code == 0
    assert _unreadable(library) == {}
    status = json.loads(run_process("--library", str(library), "status", "--json").out)
    assert (status["photos"], status["images"]) == (3, 1)
