"""The Ray runtime a batch job runs on: Phototag's own on this machine, or the user's cluster.

Measured with Ray 2.60 on a machine with a network address (tests/e2e/test_batch_cli.py):
- Ray binds every listener of a node on all interfaces unless it takes the node's address to
  be loopback, which it does only where clusters are "not supported" (Windows, macOS), or with
  RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0. `ray.init(_node_ip_address="127.0.0.1")` is no substitute:
  ray.init rewrites a loopback address to the network address (resolve_ip_for_localhost), so
  the GCS, the raylet and the driver still listened on `*`. Ray reads the variable once, when it
  is imported, so it is set before the import, and a process that imported Ray without it is
  refused rather than put on the network.
- The same rewrite sends a driver that connects to a cluster on 127.0.0.1 to the network address
  instead, where nothing listens: connecting to a loopback cluster needs the variable too.
- A new local runtime turns on token authentication and writes its token to ~/.ray/auth_token
  with the process's umask (0644: world-readable). Phototag's runtime gets its own 0600 token in
  a 0700 folder that also holds Ray's session (its logs name the user's photos; Ray makes its
  session folders 0777) and is removed when the process ends.
- ray.init switches usage statistics off for a local runtime except on nightly wheels;
  RAY_USAGE_STATS_ENABLED=0 switches them off for those too.
- Yet the runtime's dashboard process, which without the dashboard runs only the usage
  statistics module, first asks the cloud metadata services which cloud it runs on (HTTP to
  169.254.169.254, DNS for metadata.google.internal; seen by strace), whether statistics are on
  or not. Its requests go through python-requests, which honours HTTP_PROXY: the processes the
  runtime starts get a proxy on a closed loopback port (NO_PROXY keeps Ray's own loopback
  traffic direct), so the question never leaves the machine.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import logging
import os
import secrets
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from phototag.core.errors import EnvironmentProblem

LOOPBACK_VARIABLE = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
# Any runtime: no usage statistics, no prompt for them, no Docker advice on stderr.
QUIET_ENVIRONMENT = {
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_USAGE_STATS_PROMPT_ENABLED": "0",
    "RAY_DISABLE_DOCKER_CPU_WARNING": "1",
}
# A runtime or a cluster on this machine's loopback: every address Ray takes is 127.0.0.1.
LOOPBACK_ENVIRONMENT = {LOOPBACK_VARIABLE: "0"}
# What the runtime's own processes inherit while ray.init starts them; the driver's
# environment is restored afterwards. Port 9 (discard) has no listener here.
NO_INTERNET_ENVIRONMENT = {
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "NO_PROXY": "127.0.0.1,localhost,::1",
}
TOKEN_FILE = "auth_token"
RAY_FOLDER = "ray"


def is_local(address: str) -> bool:
    """`local`, or a cluster address on loopback (127.x, localhost, ::1)."""
    host = address.split("//")[-1]
    return address == "local" or host.startswith(("127.", "localhost", "[::1]", "::1"))


def connect(address: str) -> Any:
    """`local`: a private runtime on this machine (127.0.0.1 only, no dashboard UI, no statistics);
    `auto`, `HOST:PORT` or `ray://HOST:PORT`: an existing cluster. Returns the ray module."""
    if "ray" in sys.modules and sys.modules["ray"].is_initialized():
        return sys.modules["ray"]
    options: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.ERROR}
    if address == "local":
        # Before the import: Ray reads the authentication settings when it loads. address
        # "local" starts a runtime of its own even when `ray start` left a cluster's address on
        # this machine (/tmp/ray/ray_current_cluster), which ray.init would otherwise join.
        options.update(
            address="local",
            num_cpus=os.cpu_count() or 1,
            include_dashboard=False,
            _temp_dir=str(_private_folder()),
        )
    else:
        options["address"] = address
    ray = _import_ray(is_local(address))
    try:
        with _environment(NO_INTERNET_ENVIRONMENT if address == "local" else {}):
            ray.init(**options)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        # Ray's messages run on with the tracebacks of its retries: the first line says it.
        reason = str(exc).strip().splitlines()[0]
        raise EnvironmentProblem(f"cannot reach the Ray cluster at {address}: {reason}") from None
    return ray


@contextlib.contextmanager
def _environment(variables: dict[str, str]) -> Iterator[None]:
    before = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                del os.environ[name]
            else:
                os.environ[name] = value


def _import_ray(on_loopback: bool) -> Any:
    imported_without_loopback = "ray" in sys.modules and os.environ.get(LOOPBACK_VARIABLE) != "0"
    os.environ.update(QUIET_ENVIRONMENT)
    if on_loopback:
        if imported_without_loopback:
            raise EnvironmentProblem(
                "Ray was imported before phototag could keep it on loopback: set "
                f"{LOOPBACK_VARIABLE}=0 before importing ray"
            )
        os.environ.update(LOOPBACK_ENVIRONMENT)
    try:
        import ray
    except ImportError:
        raise EnvironmentProblem(
            "phototag batch needs Ray: pip install 'phototag[cluster]'"
        ) from None
    return ray


# Ray's longest socket path below its temp folder: session_<date>_<time>_<pid>/sockets/plasma_store
# (63 bytes with a 7-digit pid); a socket path longer than 107 bytes cannot be bound.
_RAY_SOCKET_SUFFIX = 63
_SOCKET_PATH_MAX = 107
_OUR_FOLDERS = len("/phototag-ray-XXXXXXXX/") + len(RAY_FOLDER)


def _short_temp_base() -> str:
    """The system temp folder ($TMPDIR), or /tmp when $TMPDIR is too long for Ray's sockets:
    a long TMPDIR made `batch embed` fail inside Ray with a traceback."""
    for base in (tempfile.gettempdir(), "/tmp"):
        if len(base) + _OUR_FOLDERS + 1 + _RAY_SOCKET_SUFFIX <= _SOCKET_PATH_MAX:
            return base
    raise EnvironmentProblem("no temp folder short enough for Ray's sockets: set TMPDIR=/tmp")


@functools.cache
def _private_folder() -> Path:
    """Ray's temp folder for the runtime, inside a 0700 folder that holds its 0600 token too
    (Ray makes its own temp folder 0777); both removed at exit. One per process: Ray reads the
    token's path when it is imported, so a second runtime after ray.shutdown() with a new token
    failed to start ("Failed to start GCS").

    Kept short under the system temp folder: Ray's socket paths inside it must fit in 107
    bytes. Registered before ray.init, so its removal runs after Ray's own exit handler has
    stopped the runtime."""
    folder = Path(tempfile.mkdtemp(prefix="phototag-ray-", dir=_short_temp_base()))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    token = folder / TOKEN_FILE
    descriptor = os.open(token, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as stream:
        stream.write(secrets.token_hex(32))
    os.environ.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN_PATH=str(token))
    return folder / RAY_FOLDER
