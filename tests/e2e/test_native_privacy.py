"""Privacy below Python: strace -f records every socket that any process of a command opens,
native libraries and spawned workers included, where the audit hook of test_privacy_proof.py
cannot see (ONNX Runtime's telemetry runs in C++ threads). A scan and a long-running `watch`
must open no AF_INET or AF_INET6 socket at all, DNS included, and must write nothing outside
the library and Phototag's own per-user folders.

The positive control runs a bare ONNX Runtime session in the same environment and waits for its
telemetry to show, so the proof is known to be able to fail here: ONNX Runtime keeps quiet when
it believes it runs under CI, which is why the CI markers are taken out of the environment.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.photos import write_photo
from tests.privacy import drop_photo_into_watch
from tests.strace import (
    PHOTOTAG,
    find_strace,
    inet_sockets,
    kill_group,
    private_env,
    signal_tracee,
    traced,
)

# ONNX Runtime's first upload attempt came 9.2-9.4 s after its session was made (ORT 1.32);
# the control waits up to this long for it before it calls the proof blind.
CONTROL_PATIENCE_S = 90

BARE_SESSION = """
import sys, time
import onnx, onnx.helper as h
import onnxruntime as ort
node = h.make_node("Relu", ["x"], ["y"])
info = lambda name: h.make_tensor_value_info(name, onnx.TensorProto.FLOAT, [1])
graph = h.make_graph([node], "g", [info("x")], [info("y")])
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
print("session", flush=True)
time.sleep(3600)
"""


@pytest.fixture(scope="module")
def strace() -> str:
    """strace is installed by `make test` (the Makefile's tools target), like exiftool."""
    return find_strace()


def _files_under(home: Path) -> set[Path]:
    return {path.relative_to(home) for path in home.rglob("*") if path.is_file()}


@pytest.fixture(scope="module")
def telemetry_delay(strace, tmp_path_factory) -> float:
    """Seconds until a bare ONNX Runtime session, with no opt-out, opened its first internet
    socket in this environment: the positive control, and how long `watch` is held below."""
    root = tmp_path_factory.mktemp("control")
    home, trace = root / "home", root / "trace.txt"
    env = private_env(home)
    control = traced(strace, trace, [sys.executable, "-c", BARE_SESSION], env)
    try:
        assert control.stdout is not None
        assert control.stdout.readline().strip() == "session", control.communicate()
        started = time.monotonic()
        while not inet_sockets(trace):
            assert control.poll() is None, control.communicate()
            if time.monotonic() - started > CONTROL_PATIENCE_S:
                pytest.fail("ONNX Runtime's telemetry never showed: this proof would be blind")
            time.sleep(0.2)
        delay = time.monotonic() - started
    finally:
        kill_group(control)
    assert any("Microsoft" in str(path) for path in _files_under(home)), _files_under(home)
    return delay


def test_the_control_sees_onnx_runtimes_telemetry(telemetry_delay):
    assert telemetry_delay > 0


def test_scan_and_watch_open_no_internet_socket_and_write_only_their_own_files(
    strace, telemetry_delay, tmp_path
):
    home = tmp_path / "home"
    env = private_env(home)
    photos = tmp_path / "photos"
    for index in range(4):
        write_photo(photos / f"p{index}.jpg", ["red" if index % 2 else "blue"], seed=index)
    library = tmp_path / "library"
    base = [str(PHOTOTAG), "--library", str(library)]

    steps = [["folders", "add", str(photos)], ["scan", "--model", "tiny-random"]]
    for step, args in enumerate(steps):
        trace = tmp_path / f"step{step}.txt"
        process = traced(strace, trace, base + args, env)
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, (args, out, err)
        assert inet_sockets(trace) == [], args

    trace = tmp_path / "watch.txt"
    watch = traced(strace, trace, [*base, "watch"], env)
    try:
        drop_photo_into_watch(watch, photos, library / "library.db", deadline_s=300)
        # The watcher's model session now exists: hold it open well past the moment a bare
        # session's telemetry spoke up in the control.
        held_until = time.monotonic() + 2 * telemetry_delay + 5
        while time.monotonic() < held_until:
            assert watch.poll() is None, watch.communicate()
            time.sleep(0.5)
    finally:
        if watch.poll() is None:
            signal_tracee(watch, signal.SIGTERM)
        try:
            out, err = watch.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            kill_group(watch)
            raise
    assert watch.returncode == 0, (out, err)
    assert inet_sockets(trace) == []

    written = _files_under(home)
    own = (Path(".local/share/phototag"), Path(".cache/phototag"), Path(".config/phototag"))
    strangers = sorted(p for p in written if not any(p.is_relative_to(o) for o in own))
    assert strangers == [], strangers
