"""strace as the witness of the privacy proofs: every process a command starts, native code and
spawned workers included, run as a fresh user with no sign of CI (test_native_privacy.py and
test_privacy_every_process.py). `make test` installs strace (the Makefile's tools target)."""

from __future__ import annotations

import ipaddress
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

PHOTOTAG = Path(sys.executable).with_name("phototag")

# Variables by which ONNX Runtime (and libraries like it) recognise a CI run and suppress
# telemetry: a proof run with them set would pass whatever Phototag does.
CI_MARKERS = (
    "CI",
    "GITHUB_ACTIONS",
    "TF_BUILD",
    "BUILD_BUILDID",
    "JENKINS_URL",
    "GITLAB_CI",
    "TEAMCITY_VERSION",
    "TRAVIS",
    "CIRCLECI",
    "BUILDKITE",
    "ORT_DISABLE_TELEMETRY",  # the test process imported phototag.core, which sets it
)

# What a process reaching the network must call: a socket of the internet families, a connect
# or a send to an internet address (on any socket, one inherited or passed over included).
NETWORK_CALLS = ("socket", "connect", "sendto", "sendmsg")

_LINE = re.compile(r"^(\d+) +(.*)$")
# The address a bind, connect or send names: strace's sin_addr (IPv4) or sin6_addr (IPv6).
_ADDRESSED = re.compile(r"^(bind|connect|sendto|sendmsg)\(")
_ADDRESS = re.compile(
    r'sin_addr=inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)", &sin6_addr\)'
)
_EXECVE = re.compile(r'execve\("([^"]*)", \[(.*)\], .*\) = 0$')


def find_strace() -> str:
    path = subprocess.run(["which", "strace"], capture_output=True, text=True).stdout.strip()
    if not path:
        pytest.fail("strace is missing: `make test` installs it (Debian: apt-get install strace)")
    return path


def private_env(home: Path) -> dict[str, str]:
    """A fresh user: its own HOME and XDG folders, and no sign of running under CI."""
    env = {k: v for k, v in os.environ.items() if k not in CI_MARKERS}
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_CONFIG_HOME=str(home / ".config"),
        HF_HOME=str(home / ".cache" / "huggingface"),
        QT_QPA_PLATFORM="offscreen",
    )
    env.pop("HF_HUB_CACHE", None)
    home.mkdir(parents=True)
    return env


def traced(
    strace: str,
    trace: Path,
    argv: list[str],
    env: dict[str, str],
    syscalls: Iterable[str] = ("socket",),
) -> subprocess.Popen:
    """argv under `strace -f`: every thread and every process it starts, each line of the trace
    prefixed by the pid that made the call."""
    return subprocess.Popen(
        [
            strace,
            "-f",
            "-qq",
            "-s",
            "300",
            "-e",
            "signal=none",
            "-e",
            f"trace={','.join(syscalls)}",
            "-o",
            str(trace),
            *argv,
        ],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def signal_tracee(tracer: subprocess.Popen, sig: int) -> None:
    """strace passes no signal on: the command it started gets it directly, and strace then
    ends with the command's own exit code."""
    children = Path(f"/proc/{tracer.pid}/task/{tracer.pid}/children").read_text().split()
    for child in children:
        os.kill(int(child), sig)


def kill_group(tracer: subprocess.Popen) -> None:
    os.killpg(tracer.pid, signal.SIGKILL)
    tracer.communicate()


def inet_sockets(trace: Path) -> list[str]:
    """Every traced call that names an internet address family (AF_INET, AF_INET6)."""
    if not trace.exists():
        return []
    return [line for line in trace.read_text().splitlines() if "AF_INET" in line]


def network_attempts(trace: Path) -> dict[int, list[str]]:
    """inet_sockets by the pid that made the call."""
    found: dict[int, list[str]] = {}
    for line in inet_sockets(trace):
        matched = _LINE.match(line)
        assert matched, f"a trace line without its pid (was strace run with -f?): {line}"
        found.setdefault(int(matched[1]), []).append(matched[2])
    return found


def beyond_loopback(trace: Path) -> dict[int, list[str]]:
    """Every bind, connect or send naming an internet address other than loopback, by pid:
    for a process whose sockets stay on this machine (Ray's runtime) that is none. A bind to
    0.0.0.0 or :: (every interface) counts; so does a UDP connect, which sends nothing yet but
    is how a program asks the routing table for its network address."""
    found: dict[int, list[str]] = {}
    for pid, calls in network_attempts(trace).items():
        for call in calls:
            addresses = [v4 or v6 for v4, v6 in _ADDRESS.findall(call)]
            if _ADDRESSED.match(call) and not (addresses and all(map(_is_loopback, addresses))):
                found.setdefault(pid, []).append(call)  # an address it cannot read counts too
    return found


def _is_loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or bool(mapped and mapped.is_loopback)


def programs_started(trace: Path) -> dict[int, list[str]]:
    """The argv of every successful execve in the trace (traced with "execve"), by pid."""
    started: dict[int, list[str]] = {}
    if not trace.exists():
        return started
    for line in trace.read_text().splitlines():
        matched = _LINE.match(line)
        execve = matched and _EXECVE.search(matched[2])
        if execve:
            started[int(matched[1])] = re.findall(r'"((?:[^"\\]|\\.)*)"', execve[2])
    return started
