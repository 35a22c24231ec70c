"""`phototag batch` end to end on a real local Ray runtime, started as `--address local` starts
it (loopback only, no usage statistics), once for the module."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from tests.e2e.conftest import run_process

pytest.importorskip("ray", reason="phototag[cluster] is not installed")
pq = pytest.importorskip("pyarrow.parquet")

pytestmark = pytest.mark.cluster

LOOPBACK = ("127.0.0.1", "[::1]", "::1", "[::ffff:127.0.0.1]")


@pytest.fixture(scope="module")
def cluster():
    """Phototag's own local runtime (`--address local`: ray.init with the CPUs of this machine,
    on 127.0.0.1), started by the first command and shut down after the module. A
    ray.cluster_utils.Cluster of two loopback nodes was tried first: Ray's driver rewrote the
    loopback address to this machine's network address and never reached it."""
    yield "local"
    import ray

    ray.shutdown()


@pytest.fixture
def archive(tmp_path, photo_set) -> Path:
    """The test photos at new paths, with one file that is no photo. A byte after each photo's
    image data keeps its pixels but makes content no library knows: a job embeds every one."""
    root = tmp_path / "archive"
    shutil.copytree(photo_set[0], root)
    for photo in root.rglob("*.jpg"):
        with open(photo, "ab") as handle:
            handle.write(b"\0")
    (root / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a JPEG")
    return root


def _listeners() -> list[tuple[str, str]]:
    """(local address, command line) of every listening TCP socket of a Ray process."""
    lines = subprocess.run(
        ["ss", "-ltnpH"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    found = []
    for line in lines:
        fields = line.split()
        for pid in re.findall(r"pid=(\d+)", line):
            command = _command_line(pid)
            if "ray" in command:
                found.append((fields[3], command))
    return found


def _command_line(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _watch_listeners(stop: threading.Event, seen: list) -> None:
    while not stop.wait(0.5):
        seen.extend(_listeners())


def _rows(path: Path) -> dict[str, dict]:
    table = pq.read_table(path) if path.is_file() else pq.read_table(sorted(path.glob("part-*")))
    return {row["path"]: row for row in table.to_pylist()}


def _vector(row: dict) -> bytes:
    return np.asarray(row["embedding"], dtype=np.float32).tobytes()


def test_batch_embed_equals_a_local_scan_bit_for_bit_and_imports_to_the_same_predictions(
    phototag, cluster, archive, tmp_path
):
    job, out = tmp_path / "job", tmp_path / "out"
    assert phototag("batch", "prepare", job).code == 0

    embedded = phototag("batch", "embed", job, archive, "--address", cluster, "--out", out)
    assert embedded.code == 0, embedded.err

    local = tmp_path / "local"
    assert phototag("folders", "add", archive, library=local).code == 0
    scanned = phototag("scan", "--model", "tiny-random", library=local)
    assert scanned.code == 0
    assert (
        phototag("export", "--format", "parquet", tmp_path / "l.parquet", library=local).code == 0
    )

    batch_rows = _rows(out)
    local_rows = _rows(tmp_path / "l.parquet")
    photos = {path: row for path, row in batch_rows.items() if row["error"] is None}
    assert set(photos) == set(local_rows)
    assert all(_vector(photos[p]) == _vector(local_rows[p]) for p in photos)
    assert all(photos[p]["content_hash"] == local_rows[p]["content_hash"] for p in photos)
    broken = batch_rows[str(archive / "broken.jpg")]
    assert f"skipped {archive / 'broken.jpg'}: {broken['error']}" in scanned.err

    imported = tmp_path / "imported"
    assert phototag("batch", "import", out, library=imported).code == 0
    red = sorted(str(p) for p in (archive / "red").glob("*"))[:3]
    for library in (local, imported):
        assert phototag("labels", "add", "red", library=library).code == 0
        assert phototag("tag", "red", *red, library=library).code == 0
    predicted = [phototag("export", "--format", "json", library=lib) for lib in (local, imported)]
    assert predicted[0].code == predicted[1].code == 0
    assert json.loads(predicted[0].out) == json.loads(predicted[1].out)
    statuses = [phototag("status", "--json", library=lib) for lib in (local, imported)]
    assert json.loads(statuses[0].out)["unreadable"] == json.loads(statuses[1].out)["unreadable"]


def test_a_local_runtime_listens_on_loopback_only(phototag, library_dir, archive, tmp_path):
    import ray

    ray.shutdown()  # the other tests' runtime (this process's) would be seen too
    job = tmp_path / "job"
    assert phototag("batch", "prepare", job).code == 0
    seen: list = []
    stop = threading.Event()
    watcher = threading.Thread(target=_watch_listeners, args=(stop, seen))
    watcher.start()
    try:
        # Its own process, as a user runs it: the runtime it starts is the one to watch.
        embedded = run_process(
            "--library",
            str(library_dir),
            "batch",
            "embed",
            str(job),
            str(archive),
            "--address",
            "local",
            "--out",
            str(tmp_path / "out"),
        )
    finally:
        stop.set()
        watcher.join()
    assert embedded.code == 0, embedded.err
    assert seen, "no Ray listener was seen while the job ran"
    outside = {address for address, _ in seen if not address.startswith(LOOPBACK)}
    assert not outside, f"Ray listened beyond loopback: {outside}"


def test_a_killed_job_resumes_without_redoing_finished_shards(phototag, cluster, archive, tmp_path):
    job, out = tmp_path / "job", tmp_path / "out"
    assert phototag("batch", "prepare", job).code == 0
    args = ["batch", "embed", str(job), str(archive), "--address", cluster]
    command = [*args, "--out", str(out), "--shard-size", "8"]
    runner = subprocess.Popen(
        [sys.executable, "-c", "from phototag.cli.main import main; main()", *command],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while runner.poll() is None and not list(out.glob("part-*.parquet")):
            threading.Event().wait(0.2)
    finally:
        runner.kill()
        runner.wait()
    finished = {p.name: p.stat().st_mtime_ns for p in out.glob("part-*.parquet")}
    assert finished, "the job ended before its first shard was written"

    resumed = phototag(*command)
    assert resumed.code == 0, resumed.err
    assert f"({len(finished)} done before)" in resumed.out
    assert all((out / name).stat().st_mtime_ns == mtime for name, mtime in finished.items())
    fresh = tmp_path / "fresh"
    assert phototag(*args, "--out", fresh, "--shard-size", "8").code == 0
    resumed_rows, fresh_rows = _rows(out), _rows(fresh)
    assert set(resumed_rows) == set(fresh_rows)
    assert all(
        resumed_rows[p]["error"] == fresh_rows[p]["error"]
        and (
            fresh_rows[p]["error"] is not None or _vector(resumed_rows[p]) == _vector(fresh_rows[p])
        )
        for p in fresh_rows
    )


def test_a_node_with_other_numerics_is_refused_unless_a_tolerance_is_given(
    phototag, cluster, archive, tmp_path
):
    job = tmp_path / "job"
    assert phototag("batch", "prepare", job).code == 0
    manifest = json.loads((job / "manifest.json").read_text())
    # Another direction, not another scale (a cosine cannot see a scale): 1% of the
    # fingerprint's size along alternating signs, a cosine of about 0.99995.
    fingerprint = np.asarray(manifest["fingerprint"], dtype=np.float64)
    signs = np.where(np.arange(fingerprint.size) % 2, 1.0, -1.0).reshape(fingerprint.shape)
    manifest["fingerprint"] = (fingerprint + 0.01 * np.abs(fingerprint).mean() * signs).tolist()
    (job / "manifest.json").write_text(json.dumps(manifest))
    args = ["batch", "embed", job, archive / "red", "--address", cluster]

    refused = phototag(*args, "--out", tmp_path / "refused")
    assert refused.code == 2
    assert "numerics differ" in refused.err

    accepted = phototag(*args, "--out", tmp_path / "accepted", "--tolerance", "0.999")
    assert accepted.code == 0, accepted.err
    agreement = {row["agreement"] for row in _rows(tmp_path / "accepted").values()}
    assert len(agreement) == 1
    assert 0.999 <= agreement.pop() < 1.0


def test_the_plain_cli_and_the_app_never_import_ray(library_dir):
    code = (
        "import sys\n"
        "from phototag.cli.main import main\n"
        "import phototag.app.main\n"
        "try:\n"
        f"    main(['--library', {str(library_dir)!r}, 'status'])\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "assert 'ray' not in sys.modules, 'ray was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
