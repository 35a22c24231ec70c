"""The sources of a batch job split into manifest shards, listed in parallel.

One reader handed millions of paths spends hours listing them (ray#40686), so the driver lists
each source folder's top-level entries on a thread pool with the scan's own `discover` (the same
files, hidden folders and names not in UTF-8 left out as a scan leaves them out) and writes
fixed-size shards; workers get a shard each. Files the library has embedded already, with the
same size and mtime, are left out, as a scan would leave them unchanged. An s3:// prefix is
listed the same way (its sub-prefixes on the pool, sources.py), and so are the objects named in
a file list; only a job with such a source makes an S3 connection.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from phototag.core.atomic import replacing
from phototag.core.batch import sources as object_store
from phototag.core.batch.sources import Stated
from phototag.core.errors import UserError
from phototag.core.ingest.decode import is_image_path
from phototag.core.ingest.scan import discover

# Photos a shard: a lost actor redoes at most this many, and a resumed job skips whole shards.
SHARD_SIZE = 64
LISTING = "listing.json"

Entry = tuple[str, str | None]  # (path, the reason it cannot be read, known at listing)


def shards_of(
    out: Path,
    sources: list[str],
    known: dict[str, tuple[int, int]],
    size: int = SHARD_SIZE,
    s3_endpoint: str | None = None,
) -> list[list[Entry]]:
    """The job's shards: listed once and kept in OUT, so a resumed job sees the same ones."""
    if (out / LISTING).exists():
        kept = json.loads((out / LISTING).read_text())["shards"]
        return [[(path, reason) for path, reason in shard] for shard in kept]
    entries = _Lister(known, s3_endpoint).listed(sources)
    shards = [entries[i : i + size] for i in range(0, len(entries), size)]
    with replacing(out / LISTING) as temporary:
        temporary.write_text(json.dumps({"sources": sources, "shards": shards}))
    return shards


def sources_of(out: Path) -> list[str]:
    return json.loads((out / LISTING).read_text())["sources"]


class _Lister:
    """Lists the sources, leaving out what the library has already (same size and mtime)."""

    def __init__(self, known: dict[str, tuple[int, int]], s3_endpoint: str | None) -> None:
        self.known = known
        self.s3_endpoint = s3_endpoint

    def listed(self, sources: list[str]) -> list[Entry]:
        """Every photo below the sources, in the scan's order (key order in a prefix), each
        once."""
        tops = [top for source in sources for top in self._top_level(source)]
        with ThreadPoolExecutor(max_workers=8, thread_name_prefix="phototag-list") as pool:
            listed = pool.map(self._list_one, tops)
            return list(dict.fromkeys(entry for part in listed for entry in part))

    def _top_level(self, source: str) -> list[str | Stated]:
        """A folder's or prefix's entries, the lines of a file list (.txt, one path or s3://
        URL a line), or the photo."""
        if object_store.is_object_url(source):
            return object_store.top_level(self._store(), source)
        if not os.path.exists(source):
            raise UserError(f"no such file or folder: {source}")
        if source.endswith(".txt") and os.path.isfile(source):
            lines = Path(source).read_text(encoding="utf-8").splitlines()
            return [_listed_path(line) for line in lines if line.strip()]
        if not os.path.isdir(source):
            return [source]
        with os.scandir(source) as entries:
            names = sorted(e.name for e in entries if not e.name.startswith("."))
        return [os.path.join(source, name) for name in names]

    def _list_one(self, path: str | Stated) -> list[Entry]:
        if isinstance(path, Stated) or object_store.is_object_url(path):
            found = object_store.photos_below(self._store(), path)
            return [(f.path, None) for f in found if self.known.get(f.path) != (f.size, f.mtime_ns)]
        if os.path.isdir(path):
            entries = [_entry(item) for item in discover(Path(path), set())]
        else:
            entries = [(path, None)] if is_image_path(Path(path)) else []
        return [entry for entry in entries if not _unchanged(entry[0], self.known)]

    def _store(self):
        return object_store.filesystem(self.s3_endpoint)


def _listed_path(line: str) -> str:
    """A file list's line: an s3:// URL (spaces around it dropped), or a path as written."""
    url = line.strip()
    return url if object_store.is_object_url(url) else os.path.abspath(line)


def _entry(item: Path | tuple[Path, str]) -> Entry:
    if isinstance(item, tuple):
        return str(item[0]), item[1]
    return str(item), None


def _unchanged(path: str, known: dict[str, tuple[int, int]]) -> bool:
    if path not in known:
        return False
    try:
        info = os.stat(path)
    except OSError:
        return False
    return (info.st_size, info.st_mtime_ns) == known[path]
