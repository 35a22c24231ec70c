"""`phototag batch` end to end on real Ray runtimes: Phototag's own (`--address local`, started
in this process by the first command, once for the module), a two-node cluster on loopback that
the command joins as a user's would, and runtimes watched from outside while they run.

Ray is not imported when the module loads: Ray reads RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER once, on
import, and Phototag sets it before its own import (core/batch/runtime.py). Commands run as
their own process get an environment without any RAY_ variable the test process has gathered,
so what keeps them private is what Phototag itself sets.
"""

from __future__ import annotations

import contextlib
import importlib.util
import ipaddress
import json
import os
import re
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from phototag.core.batch.runtime import (
    LOOPBACK_ENVIRONMENT,
    NO_INTERNET_ENVIRONMENT,
    QUIET_ENVIRONMENT,
)
from tests.e2e.conftest import Result

if importlib.util.find_spec("ray") is None:
    pytest.skip("phototag[cluster] is not installed", allow_module_level=True)
pq = pytest.importorskip("pyarrow.parquet")

pytestmark = pytest.mark.cluster

CLI = "from phototag.cli.main import main; main()"


@pytest.fixture(scope="module")
def cluster():
    """Phototag's own local runtime (`--address local`: ray.init with the CPUs of this machine,
    on 127.0.0.1), started by the first command and shut down after the module."""
    yield "local"
    import ray

    ray.shutdown()


def _user_env(home: Path, **extra: str) -> dict[str, str]:
    """This test's environment as a fresh user's: its own HOME, no RAY_ variable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    home.mkdir(parents=True, exist_ok=True)
    return {**env, "HOME": str(home), **extra}


def _phototag(*args: object, env: dict[str, str]) -> subprocess.Popen:
    return _python(CLI, *map(str, args), env=env)


def _python(
    code: str, *args: str, env: dict[str, str], stdin: int = subprocess.DEVNULL
) -> subprocess.Popen:
    """Python code in a session of its own, so a hung run is killed with all it started."""
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env=env,
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _finished(process: subprocess.Popen, timeout: float = 300) -> Result:
    try:
        out, err = process.communicate(timeout=timeout)
    finally:
        _kill_session(process)
    return Result(process.returncode, out, err)


def _kill_session(process: subprocess.Popen) -> None:
    """Whatever of the process's session is still running (nothing, after a clean exit)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()


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


def _is_loopback(address: str) -> bool:
    """ss's local address ("127.0.0.1:80", "[::1]:80", "*:80", "[::ffff:127.0.0.1]:80")."""
    host = address.rsplit(":", 1)[0].strip("[]").split("%")[0]
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False  # "*": every interface
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or bool(mapped and mapped.is_loopback)


def _process_tree(root: int) -> set[int]:
    """root and every process below it (children of each of their threads)."""
    found, todo = set(), [root]
    while todo:
        pid = todo.pop()
        found.add(pid)
        for children in Path(f"/proc/{pid}/task").glob("*/children"):
            with contextlib.suppress(OSError):  # ended meanwhile
                todo += [int(child) for child in children.read_text().split()]
    return found


def _environment_of(pid: int) -> dict[str, str]:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}
    return dict(
        item.split("=", 1) for item in raw.decode(errors="replace").split("\0") if "=" in item
    )


@dataclass
class Watched:
    """What the processes of one run showed while it ran."""

    listeners: set[tuple[str, str, int]] = field(default_factory=set)  # (protocol, address, pid)
    token_modes: dict[str, tuple[int, int]] = field(default_factory=dict)  # token: (file, folder)
    usage_reports: set[str] = field(default_factory=set)
    sessions: set[str] = field(default_factory=set)  # Ray's session folders in the token's

    def sample(self, root: int) -> None:
        tree = _process_tree(root)
        lines = subprocess.run(
            ["ss", "-ltnupH"], capture_output=True, text=True, check=True
        ).stdout.splitlines()
        for line in lines:
            fields = line.split()
            for pid in map(int, re.findall(r"pid=(\d+)", line)):
                if pid in tree:
                    self.listeners.add((fields[0], fields[4], pid))
        for pid in tree:
            token = _environment_of(pid).get("RAY_AUTH_TOKEN_PATH")
            if token and token not in self.token_modes:
                try:
                    modes = (os.stat(token).st_mode, os.stat(Path(token).parent).st_mode)
                except OSError:
                    continue
                self.token_modes[token] = (stat.S_IMODE(modes[0]), stat.S_IMODE(modes[1]))
        for token in self.token_modes:
            sessions = set(Path(token).parent.glob("*/session_2*"))
            self.sessions |= {str(session) for session in sessions}
            reports = {session / "usage_stats.json" for session in sessions}  # usage_lib's name
            self.usage_reports |= {str(report) for report in reports if report.exists()}


@contextlib.contextmanager
def _watching(process: subprocess.Popen) -> Iterator[Watched]:
    watched, stop = Watched(), threading.Event()

    def watch() -> None:
        while process.poll() is None and not stop.wait(0.3):
            watched.sample(process.pid)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        yield watched
    finally:
        stop.set()
        watcher.join()


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


def test_a_local_runtime_listens_on_loopback_only_and_keeps_its_token_private(
    library_dir, archive, tmp_path
):
    """Every listener of every process of the run (the command, the GCS, the raylet, the
    workers), sampled while it runs; the runtime's token file and folder; no usage report.
    A usage report, were it on, would be written within a second (its first report waits
    min(60 s, the interval))."""
    job, home = tmp_path / "job", tmp_path / "home"
    prepared = _finished(
        _phototag("--library", library_dir, "batch", "prepare", job, env=_user_env(home))
    )
    assert prepared.code == 0, prepared.err
    env = _user_env(home, RAY_USAGE_STATS_REPORT_INTERVAL_S="1")
    command = ["--library", library_dir, "batch", "embed", job, archive, "--out", tmp_path / "out"]
    process = _phototag(*command, "--address", "local", env=env)
    with _watching(process) as watched:
        embedded = _finished(process)

    assert embedded.code == 0, embedded.err
    pids = {pid for _, _, pid in watched.listeners}
    assert process.pid in pids, watched.listeners  # the command's own process: the driver
    assert len(pids) >= 3, watched.listeners  # and at least the GCS and the raylet
    outside = {(p, address) for p, address, _ in watched.listeners if not _is_loopback(address)}
    assert not outside, f"Ray listened beyond loopback: {outside}"
    assert len(watched.token_modes) == 1, watched.token_modes
    token, (file_mode, folder_mode) = watched.token_modes.popitem()
    assert (file_mode, folder_mode) == (0o600, 0o700)
    assert watched.sessions, "Ray's session was not in the token's private folder"
    assert not Path(token).parent.exists(), "the runtime's folder outlived the command"
    assert not (home / ".ray").exists()
    assert not watched.usage_reports


def test_a_two_node_cluster_on_loopback_embeds_bit_for_bit_as_a_scan(
    phototag, library_dir, archive, tmp_path
):
    """ray.cluster_utils.Cluster: two nodes of 1 CPU each on 127.0.0.1, in a process of their
    own, protected by a token as a user's cluster would be; `batch embed --address HOST:PORT`
    joins it as a user's command would. Every actor of the job ran on one of the two nodes,
    and both nodes ran one."""
    job, out, home = tmp_path / "job", tmp_path / "out", tmp_path / "home"
    assert phototag("batch", "prepare", job).code == 0
    with _two_nodes(home) as (address, token_env, placed):
        process = _phototag(
            "--library",
            library_dir,
            "batch",
            "embed",
            job,
            archive,
            "--address",
            address,
            "--out",
            out,
            "--shard-size",
            "4",
            env=_user_env(home, **token_env),
        )
        embedded = _finished(process)
    assert embedded.code == 0, embedded.err
    nodes, actor_nodes = placed
    assert len(nodes) == 2
    assert sorted(actor_nodes) == sorted(nodes), (nodes, actor_nodes)

    local = tmp_path / "local"
    assert phototag("folders", "add", archive, library=local).code == 0
    assert phototag("scan", "--model", "tiny-random", library=local).code == 0
    assert (
        phototag("export", "--format", "parquet", tmp_path / "l.parquet", library=local).code == 0
    )
    photos = {p: row for p, row in _rows(out).items() if row["error"] is None}
    local_rows = _rows(tmp_path / "l.parquet")
    assert set(photos) == set(local_rows)
    assert all(_vector(photos[p]) == _vector(local_rows[p]) for p in photos)


TWO_NODES = """
import json, sys
from ray.cluster_utils import Cluster

cluster = Cluster()
nodes = [cluster.add_node(num_cpus=1, include_dashboard=False, temp_dir=sys.argv[1]) for _ in "ab"]
print(cluster.address, flush=True)
sys.stdin.readline()
actors = cluster.global_state.actor_table(None).values()
placed = [a["Address"]["NodeID"] for a in actors if "ShardEmbedder" in a["ActorClassName"]]
print(json.dumps([[node.node_id for node in nodes], placed]), flush=True)
cluster.shutdown()
"""


@contextlib.contextmanager
def _two_nodes(home: Path):
    """Yields (address, the token's environment, placed): after the block, placed holds the
    two node ids and the node id of each of the job's actors."""
    folder = Path(tempfile.mkdtemp(prefix="ray-"))  # short: Ray's socket paths go inside
    token = folder / "token"
    token.write_text(secrets.token_hex(32))
    token.chmod(0o600)
    token_env = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(token)}
    # Kept as private as Phototag keeps its own runtime (core/batch/runtime.py): a cluster that
    # ray.init did not start would also report to Ray that its statistics are off.
    env = _user_env(home, **LOOPBACK_ENVIRONMENT, **QUIET_ENVIRONMENT, **NO_INTERNET_ENVIRONMENT)
    env.update(token_env)
    nodes = _python(TWO_NODES, str(folder / "ray"), env=env, stdin=subprocess.PIPE)
    placed: list = []
    try:
        address = nodes.stdout.readline().strip()
        assert address, nodes.communicate()
        yield address, token_env, placed
        nodes.stdin.write("\n")
        nodes.stdin.flush()
        placed.extend(json.loads(nodes.stdout.readline()))
    finally:
        if placed:
            nodes.communicate(timeout=120)  # the nodes shut down
        _kill_session(nodes)
        shutil.rmtree(folder, ignore_errors=True)


def test_a_killed_job_resumes_without_redoing_finished_shards(phototag, cluster, archive, tmp_path):
    job, out = tmp_path / "job", tmp_path / "out"
    assert phototag("batch", "prepare", job).code == 0
    args = ["batch", "embed", str(job), str(archive), "--address", cluster]
    command = [*args, "--out", str(out), "--shard-size", "8"]
    # A killed command cannot remove its runtime's folder: it is made in a temp folder of the
    # test's own (short: Ray's socket paths go inside).
    temp = Path(tempfile.mkdtemp(prefix="k-"))
    runner = _phototag(*command, env={**os.environ, "TMPDIR": str(temp)})
    try:
        while runner.poll() is None and not list(out.glob("part-*.parquet")):
            threading.Event().wait(0.2)
    finally:
        _kill_session(runner)
        shutil.rmtree(temp, ignore_errors=True)
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


def test_a_node_with_other_numerics_is_refused_in_one_line_unless_a_tolerance_is_given(
    phototag, library_dir, cluster, archive, tmp_path
):
    """The refusal runs as its own process, so the test sees all a user would: Ray's native
    logs and its raylet's messages reach the terminal past sys.stderr."""
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

    refused = _finished(
        _phototag(
            "--library",
            library_dir,
            *args,
            "--out",
            tmp_path / "refused",
            env=_user_env(tmp_path / "home"),
        )
    )
    assert refused.code == 2
    assert refused.out == ""
    assert len(refused.err.splitlines()) == 1, refused.err
    assert refused.err.startswith("phototag: node "), refused.err
    assert "numerics differ" in refused.err

    accepted = phototag(*args, "--out", tmp_path / "accepted", "--tolerance", "0.999")
    assert accepted.code == 0, accepted.err
    agreement = {row["agreement"] for row in _rows(tmp_path / "accepted").values()}
    assert len(agreement) == 1
    assert 0.999 <= agreement.pop() < 1.0


def test_the_plain_cli_and_the_app_never_import_ray_or_pandas(library_dir):
    """Nor pandas, which phototag[cluster] installs and sqlite-utils would import at start."""
    assert importlib.util.find_spec("pandas"), "the check below would pass for want of pandas"
    code = (
        "import sys\n"
        "from phototag.cli.main import main\n"
        "import phototag.app.main\n"
        "try:\n"
        f"    main(['--library', {str(library_dir)!r}, 'status'])\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "assert 'ray' not in sys.modules, 'ray was imported'\n"
        "assert 'pandas' not in sys.modules, 'pandas was imported'\n"
        "import pandas\n"  # still importable
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_a_process_that_imported_ray_first_gets_no_local_runtime(tmp_path):
    """Ray read RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER when it was imported: a runtime started now
    would listen on every interface, so connect refuses instead, before starting anything."""
    code = (
        "import ray\n"
        "from phototag.core.batch.runtime import connect\n"
        "from phototag.core.errors import EnvironmentProblem\n"
        "try:\n"
        "    connect('local')\n"
        "except EnvironmentProblem as refused:\n"
        "    print(refused)\n"
        "print(ray.is_initialized())\n"
    )
    refused = _finished(_python(code, env=_user_env(tmp_path / "home")))
    assert refused.code == 0, refused.err
    assert refused.out.splitlines() == [
        "Ray was imported before phototag could keep it on loopback: set "
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 before importing ray",
        "False",
    ]
