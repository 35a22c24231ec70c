"""Privacy in every process: each command of the CLI, run as a fresh user on a generated library,
under `strace -f`, which follows every process the command starts (decode workers, ExifTool,
anything spawned) and records each socket, connect, sendto and sendmsg they make, in native code
too. No call may name an internet address family. The audit hook of test_privacy_proof.py sees
only the main Python process; watch and the telemetry control are in test_native_privacy.py.

The positive control spawns a multiprocessing worker that tries to connect: the proof must flag
that worker, and not its parent, so it is known to see beyond the process it started.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from tests.e2e.test_privacy_proof import EVAL_QUICK
from tests.photos import write_photo
from tests.strace import (
    NETWORK_CALLS,
    PHOTOTAG,
    find_strace,
    network_attempts,
    private_env,
    programs_started,
    traced,
)

SYSCALLS = (*NETWORK_CALLS, "execve")

SPAWNED_WORKER_CONNECTS = """
import multiprocessing, os, socket

def reach():
    print("worker", os.getpid(), flush=True)
    try:
        socket.create_connection(("127.0.0.1", 9), timeout=10).close()
    except OSError:
        pass

if __name__ == "__main__":
    print("main", os.getpid(), flush=True)
    worker = multiprocessing.get_context("spawn").Process(target=reach)
    worker.start()
    worker.join()
"""


@pytest.fixture(scope="module")
def strace() -> str:
    return find_strace()


def _run(strace: str, trace: Path, argv: list[str], env: dict[str, str]) -> tuple[str, str]:
    process = traced(strace, trace, argv, env, SYSCALLS)
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, (argv, out, err)
    return out, err


def test_the_proof_flags_a_connection_from_a_spawned_worker(strace, tmp_path):
    env = private_env(tmp_path / "home")
    script = tmp_path / "control.py"  # 'spawn' re-imports the main module: it must be a file
    script.write_text(SPAWNED_WORKER_CONNECTS)
    trace = tmp_path / "control.txt"

    out, _ = _run(strace, trace, [sys.executable, str(script)], env)

    pids = dict(line.split() for line in out.splitlines())
    attempts = network_attempts(trace)
    assert set(attempts) == {int(pids["worker"])}, attempts
    calls = attempts[int(pids["worker"])]
    assert any(call.startswith("socket(AF_INET,") for call in calls), calls
    assert any(call.startswith("connect(") and "htons(9)" in call for call in calls), calls
    assert "--multiprocessing-fork" in programs_started(trace)[int(pids["worker"])]


def _story(photos: Path, more: Path, tmp: Path) -> list[list[str]]:
    """Every command of the CLI but watch, gui and model download, in an order a user might."""
    red, blue = [photos / f"r{i}.jpg" for i in range(3)], [photos / f"b{i}.jpg" for i in range(3)]
    dataset, pack = tmp / "dataset", tmp / "red.json"
    return [
        ["folders", "add", str(photos), str(more)],
        ["folders", "list"],
        ["model", "list"],
        ["scan", "--model", "tiny-random"],
        ["tag", "red", str(red[0]), str(red[1]), str(red[2])],
        ["tag", "blue", str(blue[0]), str(blue[1])],
        ["reject", "red", str(blue[2])],
        ["untag", "blue", str(blue[1])],
        ["predict", "--json"],
        ["predict", "--label", "red"],
        ["status", "--json"],
        ["status"],
        ["labels", "add", "sunsets"],
        ["labels", "rename", "sunsets", "dusk"],
        ["labels", "threshold", "red", "0.5"],
        ["labels", "threshold", "red", "auto"],
        ["labels", "method", "red", "llu"],
        ["labels", "method", "red", "default"],
        ["labels", "list"],
        ["method"],
        ["method", "multiproxy"],
        ["method", "mwi"],
        ["export", "--format", "csv", str(tmp / "out.csv")],
        ["export", "--format", "json", str(tmp / "out.json")],
        ["export", "--format", "xmp", "--predicted"],
        ["import-keywords"],
        ["export", "--format", "xmp", "--embed"],
        ["import-keywords", "--from", "embedded"],
        ["refine"],
        ["refine", "--list"],
        ["refine", "--revert"],
        ["eval", str(dataset), "--out", str(tmp / "eval"), *EVAL_QUICK],
        ["labels", "export-pack", "red", str(pack)],
        ["labels", "import-pack", str(pack), "--name", "red again"],
        ["labels", "remove", "dusk"],
        ["backup", str(tmp / "backup.db")],
        ["restore", str(tmp / "backup.db")],
        ["folders", "remove", str(more)],
        ["scan"],  # after a photo is deleted, below
        ["purge", "--dry-run"],
        ["purge"],
    ]


def test_every_command_in_every_process_opens_no_internet_socket(strace, tmp_path):
    env = private_env(tmp_path / "home")
    photos, more = tmp_path / "photos", tmp_path / "more"
    for index in range(3):
        write_photo(photos / f"r{index}.jpg", ["red"], seed=index)
        write_photo(photos / f"b{index}.jpg", ["blue"], seed=50 + index)
    write_photo(photos / "gone.jpg", ["green"], seed=80)
    write_photo(more / "y0.jpg", ["yellow"], seed=90)
    for label in ("red", "blue"):
        for index in range(3):
            write_photo(tmp_path / "dataset" / label / f"{index}.jpg", [label], seed=index)
    base = [str(PHOTOTAG), "--library", str(tmp_path / "library")]

    spawned: dict[str, list[list[str]]] = {}
    outputs: dict[str, str] = {}
    for step, command in enumerate(_story(photos, more, tmp_path)):
        if command == ["scan"]:
            (photos / "gone.jpg").unlink()
        trace = tmp_path / "traces" / f"{step:02d}-{command[0]}.txt"
        trace.parent.mkdir(exist_ok=True)
        out, _ = _run(strace, trace, base + command, env)
        assert network_attempts(trace) == {}, (command, network_attempts(trace))
        key = " ".join(arg for arg in command if not arg.startswith(str(tmp_path)))
        outputs[key] = out
        spawned[key] = list(programs_started(trace).values())

    # The story did what it says, so every code path above really ran.
    status = json.loads(outputs["status --json"])
    assert {info["name"]: info["confirmed"] for info in status["labels"]} == {"red": 3, "blue": 1}
    assert "removed 1 missing files" in outputs["purge"], outputs["purge"]
    assert "ProLIP on 5 photos, 2 labels" in outputs["refine --list"], outputs["refine --list"]
    # The trace followed the processes each command started: the scan's decode workers and the
    # ExifTool runs of embedding and of reading embedded keywords.
    assert any("--multiprocessing-fork" in argv for argv in spawned["scan --model tiny-random"])
    exiftool = Path(shutil.which("exiftool") or "exiftool").name
    for key in ("export --format xmp --embed", "import-keywords --from embedded"):
        assert any(Path(argv[0]).name == exiftool for argv in spawned[key] if argv), key
