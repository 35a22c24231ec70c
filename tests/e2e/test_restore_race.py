"""`restore` against a command started while it runs, raced for real: two processes forked from
one warm parent (so each run costs milliseconds, not an interpreter start), the second started
at a different moment of the first in every run."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from tests.e2e.conftest import run_process

RUNS = 24
SPREAD_S = 0.04  # the tag starts 0 to 40 ms after the restore: the span of the restore's swap

# Forks `restore` and then, after a delay, `tag` against a fresh copy of the library; prints
# one JSON line a run: both exit codes, what tag printed, and whether its decision is in the
# database the library now uses or in the copy restore kept.
_RACE = r"""
import json, os, shutil, sqlite3, sys, time
from pathlib import Path
from phototag.cli.main import main

template, work, saved, photo = map(Path, sys.argv[1:5])
runs, spread = int(sys.argv[5]), float(sys.argv[6])

def start(args, output):
    pid = os.fork()
    if pid:
        return pid
    descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(descriptor, 1)
    os.dup2(descriptor, 2)
    code = 70
    try:
        main(args)
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 0
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)

def exit_code(pid):
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])

def decided(database):
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        return conn.execute(
            "SELECT COUNT(*) FROM examples JOIN labels ON labels.id = label_id "
            "WHERE labels.name = 'raced'"
        ).fetchone()[0] > 0

for run in range(runs):
    library = work / f"library{run}"
    shutil.copytree(template, library)
    restore = start(["--library", str(library), "restore", str(saved)], work / "restore.out")
    time.sleep(spread * run / runs)
    tag = start(["--library", str(library), "tag", "raced", str(photo)], work / "tag.out")
    restored, tagged = exit_code(restore), exit_code(tag)
    databases = [library / "library.db", *library.glob("library.db.before-restore-*")]
    print(json.dumps({
        "restore": restored, "tag": tagged,
        "restore_err": (work / "restore.out").read_text().strip(),
        "tag_out": (work / "tag.out").read_text().strip(),
        "kept": any(decided(database) for database in databases),
    }), flush=True)
    shutil.rmtree(library)
"""


def test_a_command_started_during_a_restore_waits_for_it_and_its_decision_is_kept(
    library_dir, photo_set, tmp_path
):
    """A `tag` started during a `restore` printed "1 photos confirmed" while its decision was in
    neither database (2 of 100 runs), or failed with "attempt to write a readonly database"
    (202 of 300). Now either the restore is refused because the tag has the library open, or
    the tag waits for the restore; its decision is kept either way."""
    _, made = photo_set
    saved = tmp_path / "saved.db"
    assert run_process("--library", str(library_dir), "backup", str(saved)).code == 0
    work = tmp_path / "race"
    work.mkdir()
    template = shutil.copytree(library_dir, tmp_path / "template")
    arguments = [template, work, saved, made["red"][0], RUNS, SPREAD_S]
    race = subprocess.run(
        [sys.executable, "-c", _RACE, *map(str, arguments)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert race.returncode == 0, race.stderr
    runs = [json.loads(line) for line in race.stdout.splitlines()]
    assert len(runs) == RUNS
    for run in runs:
        assert run["tag"] == 0, run
        assert "raced: 1 photos confirmed" in run["tag_out"], run
        assert run["kept"], run
        assert run["restore"] == 0 or (
            run["restore"] == 1 and "open in another Phototag process" in run["restore_err"]
        ), run
