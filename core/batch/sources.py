"""Object-store sources of `phototag batch embed`: s3:// prefixes and objects, via pyarrow.fs.

A source that starts with s3:// is the user's explicit choice of a network source: only then is
an S3FileSystem made (a job over local folders makes no S3 connection). The standard AWS
variables or the node's instance role give the credentials; MinIO, Ceph and other stores are
reached with an endpoint URL (`--s3-endpoint`, or AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, which
pyarrow 26's S3FileSystem itself ignores: measured, it went to amazonaws.com). A prefix is a
folder: s3://bucket/photos holds the keys below photos/, and its sub-prefixes are listed on the
listing's thread pool as a folder's sub-folders are. A row's path is the object's s3:// URL.
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from phototag.core.errors import EnvironmentProblem, UserError
from phototag.core.ingest.decode import (
    REASON_DIRECTORY,
    REASON_EMPTY,
    REASON_PERMISSION,
    REASON_VANISHED,
    UnreadableImage,
    decode_bytes,
    is_image_path,
)
from phototag.core.ingest.decode_pool import Pixels, pixels_of
from phototag.core.ingest.pixels import PixelRecipe

SCHEME = "s3://"
# pyarrow's S3 errors read "... AWS Error ACCESS_DENIED during GetObject operation: ...".
_AWS_ERROR = re.compile(r"AWS Error ([A-Z_]+)")
# No answer, or one a retry may mend (UNKNOWN: the store's own 5xx errors).
_UNREACHABLE = {"NETWORK_CONNECTION", "UNKNOWN"}
UNREACHABLE = "cannot reach the object store"


class ObjectStoreUnreachable(EnvironmentProblem):
    """The store did not answer: a job stops (and resumes) rather than record its photos as
    unreadable."""


@dataclass(frozen=True)
class Stated:
    """A file or object as the embedder found it: its path or URL, size and modification time
    (an object's LastModified, whole seconds, in ns)."""

    path: str
    size: int
    mtime_ns: int


def is_object_url(path: str) -> bool:
    return path.startswith(SCHEME)


def canonical(url: str) -> str:
    """One spelling per prefix (no trailing slash), so a resumed job sees the same sources."""
    return url.rstrip("/")


@functools.cache
def filesystem(endpoint: str | None) -> Any:
    """The S3 filesystem for an endpoint URL (None: AWS's own), made once a process."""
    try:
        from pyarrow import fs
    except ImportError:
        raise EnvironmentProblem(
            "s3:// sources need pyarrow: pip install 'phototag[cluster]'"
        ) from None
    if endpoint is None:
        return fs.S3FileSystem()
    scheme, _, host = endpoint.rpartition("://")
    return fs.S3FileSystem(endpoint_override=host.rstrip("/"), scheme=scheme or "https")


def top_level(store: Any, url: str) -> list[str | Stated]:
    """A prefix's objects (listed already, so read without another request) and sub-prefixes
    still to list (their URLs end in '/'), or the object itself."""
    from pyarrow import fs

    info = _checked(lambda: store.get_file_info(_key(url)), url)
    if info.type == fs.FileType.File:
        return [_stated(info)]
    if info.type != fs.FileType.Directory:
        raise UserError(f"no such object or prefix: {url}")
    selector = fs.FileSelector(_key(url), recursive=False)
    children = _checked(lambda: store.get_file_info(selector), url)
    return [
        _url(child.path) + "/" if child.type == fs.FileType.Directory else _stated(child)
        for child in sorted(children, key=lambda child: child.path)
        if not _is_hidden(child.path)
    ]


def photos_below(store: Any, top: str | Stated) -> list[Stated]:
    """The photos of one top-level entry: every photo below a sub-prefix, in key order; an
    object listed already; or an object named by its URL (in a file list)."""
    from pyarrow import fs

    if isinstance(top, Stated):
        return [top] if is_image_path(PurePosixPath(top.path)) else []
    if not top.endswith("/"):
        if not is_image_path(PurePosixPath(top)):
            return []
        # One that is not there is left to the embedder, which gives a file's reason.
        return [_stated(_checked(lambda: store.get_file_info(_key(top)), top))]
    selector = fs.FileSelector(_key(top), recursive=True)
    infos = _checked(lambda: store.get_file_info(selector), top)
    return [
        _stated(info)
        for info in sorted(infos, key=lambda info: info.path)
        if info.type == fs.FileType.File
        and not _is_hidden(info.path)
        and is_image_path(PurePosixPath(info.path))
    ]


def _stated(info: Any) -> Stated:
    """An object's facts, its date in whole seconds: a listing may give milliseconds where a
    HEAD request gives seconds, and the two must compare equal for an unchanged object."""
    size = -1 if info.size is None else info.size
    mtime_ns = -1 if info.mtime_ns is None else info.mtime_ns - info.mtime_ns % 1_000_000_000
    return Stated(_url(info.path), size, mtime_ns)


def read_photo(
    store: Any, url: str, recipe: PixelRecipe, known_content: frozenset[str] = frozenset()
) -> str | tuple[Stated, str, Pixels | None]:
    """A local file's steps for an object: its size and date, non-empty, bytes, hash, decode
    (no pixels for content the library has already).

    Returns the reason it cannot be embedded, or (object, sha256, pixels). A store that does
    not answer raises ObjectStoreUnreachable: the shard is not written, and the job resumes it
    rather than record photos that are there as unreadable."""
    from pyarrow import fs

    try:
        info = store.get_file_info(_key(url))
        if info.type == fs.FileType.NotFound:
            return REASON_VANISHED
        if info.type == fs.FileType.Directory:
            return REASON_DIRECTORY
        if info.size == 0:
            return REASON_EMPTY
        with store.open_input_stream(_key(url)) as stream:
            data = stream.readall()
    except OSError as exc:
        return _reason(exc, url)
    digest = hashlib.sha256(data).hexdigest()
    if digest in known_content:
        return _stated(info), digest, None
    try:
        decoded = decode_bytes(PurePosixPath(url).name, io.BytesIO(data), recipe.min_side)
    except UnreadableImage as exc:
        return exc.reason
    return _stated(info), digest, pixels_of(decoded, recipe)


def _reason(exc: OSError, url: str) -> str:
    if isinstance(exc, FileNotFoundError):
        return REASON_VANISHED
    code = _unless_unreachable(exc, url)
    if code == "ACCESS_DENIED" or isinstance(exc, PermissionError):
        return REASON_PERMISSION
    return f"object store error ({code or exc})"


def _checked(call, url: str):
    """A listing request; what the store answers becomes one line, not a traceback."""
    try:
        return call()
    except OSError as exc:
        _unless_unreachable(exc, url)
        raise UserError(f"cannot list {url}: {exc}") from None


def _unless_unreachable(exc: OSError, url: str) -> str | None:
    """The AWS error code of a store's answer; raises when there was no answer."""
    found = _AWS_ERROR.search(str(exc))
    code = found.group(1) if found else None
    if code in _UNREACHABLE:
        raise ObjectStoreUnreachable(f"{UNREACHABLE} for {url}: {exc}") from None
    return code


def _key(url: str) -> str:
    """pyarrow's path of an s3:// URL: bucket/key."""
    return url[len(SCHEME) :].rstrip("/")


def _url(key: str) -> str:
    return SCHEME + key


def _is_hidden(key: str) -> bool:
    """As a scan leaves hidden folders and files out: any part of the key after the bucket."""
    return any(part.startswith(".") for part in key.split("/")[1:])
