"""`python -m phototag.cli.main` offers the same commands as the `phototag` entry point.

Command modules (cli/raw.py, cli/teaching.py, ...) attach to the group of the imported
phototag.cli.main; run as a script, the file is a second module whose group would lack them.
"""

from __future__ import annotations

import subprocess
import sys

from phototag.cli.main import cli


def test_running_the_module_lists_every_command_of_the_entry_point():
    result = subprocess.run(
        [sys.executable, "-m", "phototag.cli.main", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    listed = {line.split()[0] for line in result.stdout.splitlines() if line.startswith("  ")}
    assert set(cli.commands) <= listed
