"""A stand-in for the Hugging Face hub on 127.0.0.1, which huggingface_hub reaches through
HF_ENDPOINT, serving random-init weights under the real repositories' file names.

It answers what the hub answers for a large (LFS) file (huggingface_hub/file_download.py,
get_hf_file_metadata and http_get): HEAD /{repo}/resolve/{revision}/{file} is a 302 to the
content server with X-Repo-Commit, X-Linked-Etag (the file's sha256) and X-Linked-Size; GET on
the content URL serves the body, a Range request a 206 with Content-Range. A missing file is a
404 with X-Error-Code: EntryNotFound. `cut_next_at` makes the next GET close the connection
after that many bytes, as a dropped network does; `block_delay` slows it down; `requests` logs
every request.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from phototag.core.ingest.hashing import content_hash

COMMIT = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"
# The real repository of the default model (open_clip's pretrained table, ViT-B-32 laion2b).
VIT_B_32_REPO = "laion/CLIP-ViT-B-32-laion2B-s34B-b79K"
VIT_B_32_FILE = "open_clip_model.safetensors"
_RESOLVE = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<revision>[^/]+)/(?P<file>.+)$")
_CONTENT = re.compile(r"^/content/(?P<sha>[0-9a-f]{64})$")


@dataclass
class Request:
    method: str
    path: str
    range: str | None


@dataclass
class LocalHub:
    url: str
    content_url: str
    files: dict[tuple[str, str], Path]
    requests: list[Request] = field(default_factory=list)
    cut_next_at: int | None = None
    # Seconds to wait before each 1 MiB block: a transfer slow enough to interrupt.
    block_delay: float = 0.0
    _digests: dict[str, Path] = field(default_factory=dict)

    def add(self, repo: str, filename: str, path: Path) -> str:
        digest = sha256_of(path)
        self.files[repo, filename] = path
        self._digests[digest] = path
        return digest

    def gets(self) -> list[Request]:
        return [r for r in self.requests if r.method == "GET"]


def sha256_of(path: Path) -> str:
    """The name the hub gives a large file's blob: its SHA-256, as a scan hashes a photo."""
    return content_hash(path)


def _handler(hub: LocalHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet
            pass

        def do_HEAD(self) -> None:
            self._answer(body=False)

        def do_GET(self) -> None:
            self._answer(body=True)

        def _answer(self, body: bool) -> None:
            hub.requests.append(Request(self.command, self.path, self.headers.get("Range")))
            resolve, content = _RESOLVE.match(self.path), _CONTENT.match(self.path)
            if resolve and (resolve["repo"], resolve["file"]) in hub.files:
                self._redirect(hub.files[resolve["repo"], resolve["file"]])
            elif content and content["sha"] in hub._digests:
                self._content(hub._digests[content["sha"]], body)
            else:
                self.send_response(404)
                self.send_header("X-Error-Code", "EntryNotFound")
                self.send_header("X-Error-Message", "Entry not found")
                self.send_header("Content-Length", "0")
                self.end_headers()

        def _redirect(self, path: Path) -> None:
            digest = next(d for d, p in hub._digests.items() if p == path)
            self.send_response(302)
            self.send_header("Location", f"{hub.content_url}/content/{digest}")
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("X-Linked-Etag", f'"{digest}"')
            self.send_header("X-Linked-Size", str(path.stat().st_size))
            self.send_header("ETag", '"not-the-file-etag"')
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _content(self, path: Path, body: bool) -> None:
            size = path.stat().st_size
            start = 0
            match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
            if match:
                start = int(match[1])
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
            else:
                self.send_response(200)
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(size - start))
            self.end_headers()
            if body:
                self._send_body(path, start, size)

        def _send_body(self, path: Path, start: int, size: int) -> None:
            cut, hub.cut_next_at = hub.cut_next_at, None
            end = size if cut is None else min(size, start + cut)
            with path.open("rb") as f:
                f.seek(start)
                sent = start
                try:
                    while sent < end:
                        time.sleep(hub.block_delay)
                        block = f.read(min(1 << 20, end - sent))
                        self.wfile.write(block)
                        sent += len(block)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (cancel)
                    pass
            if cut is not None:
                self.close_connection = True

    return Handler


@pytest.fixture
def local_hub(monkeypatch) -> Iterator[LocalHub]:
    """A hub on 127.0.0.1 for this test, with HF_ENDPOINT pointing at it (for this process:
    huggingface_hub's constants, read at import, are patched too; subprocesses get the
    variable)."""
    from huggingface_hub import constants

    hub = LocalHub(url="", content_url="", files={})
    # Two ports, as the hub and its content servers are two hosts: huggingface_hub follows a
    # redirect within the hub but reads the metadata off one that leaves it.
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), _handler(hub)) for _ in range(2)]
    hub.url, hub.content_url = (f"http://127.0.0.1:{s.server_address[1]}" for s in servers)
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setattr(constants, "ENDPOINT", hub.url)
    monkeypatch.setattr(
        constants,
        "HUGGINGFACE_CO_URL_TEMPLATE",
        hub.url + "/{repo_id}/resolve/{revision}/{filename}",
    )
    for server in servers:
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield hub
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def vit_b_32_random(tmp_path_factory) -> Path:
    """ViT-B-32 with random init (open_clip, fixed seed) as safetensors: the real file's names,
    shapes and size (~605 MB), none of its knowledge. Made once per session."""
    import open_clip
    import torch
    from safetensors.torch import save_file

    path = tmp_path_factory.mktemp("hub-files") / VIT_B_32_FILE
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = open_clip.create_model("ViT-B-32", pretrained=None)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))
    return path


@pytest.fixture
def small_vit_hub(local_hub, tmp_path) -> LocalHub:
    """The loopback hub serving 24 MB of noise as the default model's weights file: for the
    transfer itself (cut, resume, cancel), where the bytes need not load."""
    path = tmp_path / "served" / VIT_B_32_FILE
    path.parent.mkdir()
    path.write_bytes(random.Random(0).randbytes(24 << 20))
    local_hub.add(VIT_B_32_REPO, VIT_B_32_FILE, path)
    return local_hub


@pytest.fixture
def vit_hub(local_hub, vit_b_32_random) -> LocalHub:
    """The loopback hub serving the default model's repository."""
    local_hub.add(VIT_B_32_REPO, VIT_B_32_FILE, vit_b_32_random)
    return local_hub


def unused_port() -> int:
    """A loopback port nothing listens on: connecting is refused at once."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def silent_listener() -> tuple[object, str]:
    """(socket, url): a loopback port that accepts connections and never answers, like a
    firewall that drops packets."""
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    return s, f"http://127.0.0.1:{s.getsockname()[1]}"
