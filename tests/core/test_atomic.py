"""core/atomic.py: a temporary file in use is never taken for a killed process's leftover."""

from __future__ import annotations

import subprocess
import sys

from phototag.core.atomic import remove_stale_temporaries, replacing

# Another process writing the target through replacing(), paused until its stdin closes.
_WRITER = """
import sys
from pathlib import Path
from phototag.core.atomic import replacing
with replacing(Path(sys.argv[1])) as temporary:
    temporary.write_text("half")
    print(temporary.name, flush=True)
    sys.stdin.read()
"""


def test_a_temporary_file_another_process_is_writing_is_left_alone(tmp_path):
    target = tmp_path / "saved.db"
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(target)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    live = writer.stdout.readline().strip()
    try:
        assert remove_stale_temporaries(target) == []
        assert (tmp_path / live).exists()
    finally:
        writer.stdin.close()
        writer.wait()
    assert target.read_text() == "half"


def test_only_leftovers_of_the_target_itself_are_removed(tmp_path):
    target = tmp_path / "saved.db"
    with replacing(tmp_path / "other.db") as elsewhere:
        elsewhere.write_text("another target's")
    stale = tmp_path / ".saved.db.phototag-abcd1234.tmp"
    for path in (stale, tmp_path / f"{stale.name}-journal", tmp_path / ".saved.db.mine.tmp"):
        path.write_text("x")
    removed = remove_stale_temporaries(target)
    assert sorted(path.name for path in removed) == [stale.name, f"{stale.name}-journal"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".saved.db.mine.tmp", "other.db"]
