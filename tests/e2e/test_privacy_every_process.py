"""Privacy in every process: each command of the CLI, run as a fresh user on a generated library,
under `strace -f`, which follows every process the command starts (decode workers, ExifTool,
anything spawned) and records each socket, connect, sendto and sendmsg they make, in native code
too. No call may name an internet address family. The audit hook of test_privacy_proof.py sees
only the main Python process; watch and the telemetry control are in test_native_privacy.py.

The positive control spawns a multiprocessing worker that tries to connect: the proof must flag
that worker, and not its parent, so it is known to see beyond the process it started.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.test_privacy_proof import EVAL_QUICK
from tests.photos import write_photo
from tests.strace import (
    NETWORK_CALLS,
    PHOTOTAG,
    beyond_loopback,
    find_strace,
    network_attempts,
    private_env,
    programs_started,
    traced,
)

SYSCALLS = (*NETWORK_CALLS, "execve")
WITH_BIND = (*SYSCALLS, "bind")  # a listener's address: for the loopback proof

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


def _run(
    strace: str,
    trace: Path,
    argv: list[str],
    env: dict[str, str],
    syscalls: tuple[str, ...] = SYSCALLS,
) -> tuple[str, str]:
    process = traced(strace, trace, argv, env, syscalls)
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


LOOPBACK_AND_BEYOND = """
import socket

for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        probe.connect((host, 9))
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
    probe.connect(("192.0.2.1", 9))  # the way a program learns its network address
with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
    listener.bind(("127.0.0.1", 0))
with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
    listener.bind(("0.0.0.0", 0))
"""


def test_the_loopback_proof_flags_only_what_leaves_loopback(strace, tmp_path):
    env = private_env(tmp_path / "home")
    trace = tmp_path / "control.txt"

    _run(strace, trace, [sys.executable, "-c", LOOPBACK_AND_BEYOND], env, WITH_BIND)

    flagged = [call for calls in beyond_loopback(trace).values() for call in calls]
    assert [call.split("(")[0] for call in flagged] == ["connect", "bind"], flagged
    assert "192.0.2.1" in flagged[0]
    assert "0.0.0.0" in flagged[1]


@pytest.mark.cluster
def test_batch_on_a_local_runtime_stays_on_loopback_in_every_process(strace, tmp_path):
    """`batch prepare` and `batch import` open no internet socket; `batch embed --address
    local` starts Ray (the GCS, the raylet, workers), whose processes talk over 127.0.0.1 only:
    no bind, connect or send beyond loopback, usage reports due within a second included.
    The command's environment holds no RAY_ variable: what keeps it private is Phototag's."""
    if importlib.util.find_spec("ray") is None:  # not imported here: see test_batch_cli.py
        pytest.skip("phototag[cluster] is not installed")
    env = {k: v for k, v in private_env(tmp_path / "home").items() if not k.startswith("RAY_")}
    photos = tmp_path / "photos"
    for index in range(3):
        write_photo(photos / f"r{index}.jpg", ["red"], seed=index)
    archive = tmp_path / "archive"
    write_photo(archive / "new.jpg", ["blue"], seed=7)
    base = [str(PHOTOTAG), "--library", str(tmp_path / "library")]
    for command in (["folders", "add", str(photos)], ["scan", "--model", "tiny-random"]):
        assert subprocess.run(base + command, env=env, capture_output=True).returncode == 0
    job, out = str(tmp_path / "job"), str(tmp_path / "out")
    traces = tmp_path / "traces"
    traces.mkdir()

    _run(strace, traces / "prepare.txt", [*base, "batch", "prepare", job], env)
    embed = [*base, "batch", "embed", job, str(archive), "--address", "local", "--out", out]
    usage_due = {**env, "RAY_USAGE_STATS_REPORT_INTERVAL_S": "1"}
    _run(strace, traces / "embed.txt", embed, usage_due, WITH_BIND)
    _run(strace, traces / "import.txt", [*base, "batch", "import", out], env)

    assert network_attempts(traces / "prepare.txt") == {}
    assert network_attempts(traces / "import.txt") == {}
    assert beyond_loopback(traces / "embed.txt") == {}
    # The trace followed Ray's own processes, and saw their loopback traffic.
    started = [Path(argv[0]).name for argv in programs_started(traces / "embed.txt").values()]
    assert {"gcs_server", "raylet"} <= set(started), started
    calls = [c for cs in network_attempts(traces / "embed.txt").values() for c in cs]
    assert any(c.startswith("connect(") and "127.0.0.1" in c for c in calls)
