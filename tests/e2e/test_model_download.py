"""The path every real user takes: `phototag model download` of the default model from a hub
(here the loopback stand-in of tests/hub.py, random weights under the real file names), then
scanning, prompts and refining with the hub out of reach."""

from __future__ import annotations

import filecmp
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import run_process
from tests.hub import VIT_B_32_FILE, VIT_B_32_REPO, silent_listener, unused_port
from tests.privacy import DENY_NETWORK, NETWORK_ATTEMPT

REPO_CACHE = "models--laion--CLIP-ViT-B-32-laion2B-s34B-b79K"


@pytest.fixture
def hub_cache(tmp_path, monkeypatch) -> Path:
    """A Hugging Face cache of this test's own, for its subprocesses: the session's shared one
    must keep ViT-B-32 absent for the tests that expect it missing."""
    cache = tmp_path / "hf-cache"
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    return cache


def _partials(cache: Path) -> list[Path]:
    return sorted((cache / REPO_CACHE / "blobs").glob("*.partial"))


def test_download_lays_out_the_hub_cache_and_the_model_then_works_offline(
    vit_hub, hub_cache, tmp_path, photo_set
):
    downloaded = run_process("model", "download")
    assert downloaded.code == 0, downloaded.err
    assert downloaded.err == ""  # piped: no progress, no chatter
    snapshot = hub_cache / REPO_CACHE / "snapshots"
    (link,) = snapshot.glob(f"*/{VIT_B_32_FILE}")
    assert link.is_symlink()
    assert os.readlink(link).startswith("../../blobs/")
    assert _is_the_served_file(link, vit_hub)
    assert (hub_cache / REPO_CACHE / "refs" / "main").read_text() == link.parent.name
    assert _partials(hub_cache) == []
    requests_while_online = len(vit_hub.requests)

    listed = run_process("model", "list")
    assert "ViT-B-32 [default]\ton this machine" in listed.out
    library = str(tmp_path / "library")
    offline_steps = [
        ("folders", "add", str(photo_set[0])),
        ("scan",),
        ("labels", "add", "red", "--prompt", "a photo of something {}"),
        ("tag", "red", *map(str, photo_set[1]["red"][:2])),
        ("reject", "red", *map(str, photo_set[1]["blue"][:2])),
        ("refine",),
        ("predict", "--label", "red", "--json"),
    ]
    for step in offline_steps:
        result = run_process("--library", library, *step, prelude=DENY_NETWORK)
        assert result.code == 0, (step, result.err)
        assert NETWORK_ATTEMPT not in result.err
    status = run_process("--library", library, "status")
    assert "Model:    ViT-B-32" in status.out
    assert len(vit_hub.requests) == requests_while_online  # nothing asked the hub again


def _is_the_served_file(path: Path, hub) -> bool:
    return filecmp.cmp(path, hub.files[VIT_B_32_REPO, VIT_B_32_FILE], shallow=False)


def test_a_cut_transfer_keeps_its_partial_and_the_next_try_resumes_it(small_vit_hub, hub_cache):
    vit_hub = small_vit_hub
    size = vit_hub.files[VIT_B_32_REPO, VIT_B_32_FILE].stat().st_size
    vit_hub.cut_next_at = size // 3
    cut = run_process("model", "download")
    assert cut.code == 2
    (line,) = cut.err.splitlines()
    assert "run it again to resume" in line
    (partial,) = _partials(hub_cache)
    kept = partial.stat().st_size
    assert 0 < kept <= size // 3  # up to one read buffer short of what arrived

    resumed = run_process("model", "download")
    assert resumed.code == 0, resumed.err
    assert vit_hub.gets()[-1].range == f"bytes={kept}-"
    assert _partials(hub_cache) == []
    (link,) = (hub_cache / REPO_CACHE / "snapshots").glob(f"*/{VIT_B_32_FILE}")
    assert _is_the_served_file(link, vit_hub)


def test_ctrl_c_stops_the_download_with_exit_130_and_keeps_the_partial(small_vit_hub, hub_cache):
    vit_hub = small_vit_hub
    vit_hub.block_delay = 0.5
    process = subprocess.Popen(
        [sys.executable, "-c", "from phototag.cli.main import main\nmain()", "model", "download"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not (_partials(hub_cache) and _partials(hub_cache)[0].stat().st_size > 0):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the download never started"
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    (line,) = err.splitlines()
    assert "resumes it" in line
    kept = _partials(hub_cache)[0].stat().st_size
    assert kept > 0

    vit_hub.block_delay = 0.0
    assert run_process("model", "download").code == 0
    assert vit_hub.gets()[-1].range is not None
    assert int(vit_hub.gets()[-1].range.removeprefix("bytes=").rstrip("-")) >= kept


def _scan_options() -> set[str]:
    from phototag.cli.main import cli

    scan = cli.commands["scan"]
    return {option for param in scan.params for option in getattr(param, "opts", [])}


@pytest.mark.parametrize("hub", ["refused", "silent"])
def test_an_unreachable_hub_is_one_line_with_advice_that_exists(hub, hub_cache, monkeypatch):
    listener = None
    if hub == "refused":
        endpoint = f"http://127.0.0.1:{unused_port()}"
    else:
        listener, endpoint = silent_listener()
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    try:
        result = run_process("model", "download")
    finally:
        if listener is not None:
            listener.close()
    assert result.code == 2
    (line,) = result.err.splitlines()
    assert f"cannot reach the Hugging Face hub at {endpoint}" in line
    assert "phototag scan --model ViT-B-32 --weights PATH" in line
    assert {"--model", "--weights"} <= _scan_options()
    assert _partials(hub_cache) == []
