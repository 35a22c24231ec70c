"""Fetching a model's weights from the Hugging Face hub into the hub's own cache, resumably.

huggingface_hub's hf_hub_download downloads to a temporary file with a per-process name and
deletes it on any failure, so a transfer cut at 90 % of 605 MB starts again from 0 bytes, and
it retries an unreachable hub for ~50 s before failing. This module asks the hub for the file's
metadata once (one HEAD, HUB_TIMEOUT_S), streams the body into a partial file with a stable
name, resumes it with a Range request on the next try, checks the sha256 the hub names the
file by, and then lays the file out exactly as hf_hub_download would (blobs/<etag>,
snapshots/<commit>/<file> -> ../../blobs/<etag>, refs/main), so the offline loaders find it.

Nothing here imports torch or open_clip except `hub_files`, which asks open_clip's table of
pretrained tags where a model's weights live.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from phototag.core.errors import EnvironmentProblem, UserError
from phototag.core.ingest.hashing import content_hash
from phototag.core.model import network
from phototag.core.model.specs import ModelSpec

# One HEAD to the hub: connecting to a reachable hub takes well under a second, so an answer
# that has not come in 4 s means the hub is unreachable (a failing download once took 51 s).
HUB_TIMEOUT_S = 4.0
# A stalled body, rather than a slow one: a read waits this long for the next bytes.
READ_TIMEOUT_S = 60.0
CHUNK_BYTES = 1 << 20
PARTIAL_SUFFIX = ".partial"
_SHA256 = re.compile(r"[0-9a-f]{64}")


class HubUnreachable(EnvironmentProblem):
    """The hub did not answer: no network, a proxy, a firewall, or the hub is down."""


class DownloadInterrupted(EnvironmentProblem):
    """The transfer stopped part way; the partial file is kept and the next try resumes it."""


@dataclass(frozen=True)
class DownloadProgress:
    """How far a download is: bytes on disk of total, `resumed` of them kept from an earlier
    try; `rate` (bytes/s) counts this run's bytes only."""

    done: int
    total: int
    resumed: int
    rate: float

    @property
    def seconds_left(self) -> float | None:
        if self.rate <= 0:
            return None
        return max(self.total - self.done, 0) / self.rate


ProgressCallback = Callable[[DownloadProgress], None]


def hub_files(spec: ModelSpec) -> tuple[str, list[str]]:
    """The repository and the file names open_clip tries, in its order (safetensors first):
    the one place that says where a model's weights live on the hub (specs.py holds the data)."""
    if spec.hub_repo is None:
        raise UserError(f"{spec.name} is not on the Hugging Face hub")
    return spec.hub_repo, list(spec.hub_files)


def download(repo_id: str, filenames: list[str], progress: ProgressCallback | None = None) -> Path:
    """The first of `filenames` the repository has, in the hub cache; its snapshot path.

    Raises HubUnreachable within HUB_TIMEOUT_S when the hub does not answer, and
    DownloadInterrupted (partial file kept) when the transfer stops. An exception raised by
    `progress` (a cancel) ends the transfer and keeps the partial file too.
    """
    from huggingface_hub import constants, get_hf_file_metadata, hf_hub_url
    from huggingface_hub.errors import EntryNotFoundError

    with network.online():
        for filename in filenames:
            url = hf_hub_url(repo_id, filename)
            try:
                metadata = get_hf_file_metadata(url, timeout=HUB_TIMEOUT_S)
            except EntryNotFoundError:
                continue
            except Exception as exc:
                raise _unreachable(constants.ENDPOINT, exc) from exc
            if metadata.etag is None or metadata.commit_hash is None or metadata.size is None:
                raise EnvironmentProblem(f"the hub did not give the ETag, commit and size of {url}")
            cache = _repo_cache(Path(constants.HF_HUB_CACHE), repo_id)
            blob = cache / "blobs" / metadata.etag
            if not blob.exists():
                _fetch(metadata.location, blob, metadata.size, metadata.etag, progress)
            return _link_snapshot(cache, metadata.commit_hash, filename, blob)
    raise EnvironmentProblem(f"the hub's {repo_id} has none of {', '.join(filenames)}")


def partial_bytes(repo_id: str) -> int:
    """Bytes of this repository's downloads kept for resuming (0 when none)."""
    from huggingface_hub import constants

    blobs = _repo_cache(Path(constants.HF_HUB_CACHE), repo_id) / "blobs"
    return sum(path.stat().st_size for path in blobs.glob(f"*{PARTIAL_SUFFIX}"))


def _repo_cache(cache_root: Path, repo_id: str) -> Path:
    from huggingface_hub.file_download import repo_folder_name

    return cache_root / repo_folder_name(repo_id=repo_id, repo_type="model")


def _unreachable(endpoint: str, exc: BaseException) -> HubUnreachable:
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return HubUnreachable(f"cannot reach the Hugging Face hub at {endpoint} ({reason})")


def _fetch(url: str, blob: Path, size: int, etag: str, progress: ProgressCallback | None) -> None:
    """The body of `url` into blob, through blob.partial, which survives a failure."""
    from filelock import FileLock, Timeout

    blob.parent.mkdir(parents=True, exist_ok=True)
    partial = blob.with_name(blob.name + PARTIAL_SUFFIX)
    try:
        lock = FileLock(str(partial) + ".lock", timeout=0)
        lock.acquire()
    except Timeout:
        raise EnvironmentProblem("another download of this model is running") from None
    try:
        _transfer(url, partial, size, progress)
        if partial.stat().st_size != size:
            raise DownloadInterrupted(
                f"the download stopped at {_megabytes(partial.stat().st_size)} of "
                f"{_megabytes(size)}; run it again to resume"
            )
        _check_digest(partial, etag)
        os.replace(partial, blob)
    finally:
        lock.release()


def _transfer(url: str, partial: Path, size: int, progress: ProgressCallback | None) -> None:
    import httpx2
    from huggingface_hub import get_session
    from huggingface_hub.utils import build_hf_headers, hf_raise_for_status

    offset = partial.stat().st_size if partial.exists() else 0
    if offset >= size:  # a partial of another file, or whole but failed its digest: start over
        offset = 0
    headers = build_hf_headers(headers={"Accept-Encoding": "identity"})
    if offset:
        headers["Range"] = f"bytes={offset}-"
    timeout = httpx2.Timeout(READ_TIMEOUT_S, connect=HUB_TIMEOUT_S)
    started, fetched = time.monotonic(), 0
    try:
        with get_session().stream(
            "GET", url, headers=headers, timeout=timeout, follow_redirects=True
        ) as response:
            hf_raise_for_status(response)
            if offset and response.status_code != 206:  # the server ignored the Range
                offset = 0
            with partial.open("r+b" if offset else "wb") as out:
                out.seek(offset)
                out.truncate()
                for chunk in response.iter_bytes(CHUNK_BYTES):
                    out.write(chunk)
                    fetched += len(chunk)
                    if progress is not None:
                        rate = fetched / max(time.monotonic() - started, 1e-6)
                        progress(DownloadProgress(offset + fetched, size, offset, rate))
    except httpx2.TransportError as exc:
        done = partial.stat().st_size if partial.exists() else 0
        raise DownloadInterrupted(
            f"the download stopped at {_megabytes(done)} of {_megabytes(size)} ({exc}); "
            "run it again to resume"
        ) from exc


def _check_digest(path: Path, etag: str) -> None:
    """Large (LFS) files are named by their sha256: a resumed file must hash to it."""
    if not _SHA256.fullmatch(etag):
        return
    if content_hash(path) != etag:
        path.unlink()
        raise DownloadInterrupted(
            "the downloaded file is damaged (its sha256 does not match); run it again"
        )


def _link_snapshot(cache: Path, commit: str, filename: str, blob: Path) -> Path:
    """What hf_hub_download leaves: a relative symlink per file, and the branch's commit."""
    snapshot = cache / "snapshots" / commit / filename
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    if not snapshot.exists():
        snapshot.unlink(missing_ok=True)  # a dangling link
        snapshot.symlink_to(os.path.relpath(blob, snapshot.parent))
    refs = cache / "refs" / "main"
    refs.parent.mkdir(parents=True, exist_ok=True)
    refs.write_text(commit)
    return snapshot


def _megabytes(count: int) -> str:
    return f"{count / 1e6:.0f} MB"
