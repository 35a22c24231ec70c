"""The sources of a batch job split into manifest shards, listed in parallel.

One reader handed millions of paths spends hours listing them (ray#40686), so the driver lists
each source folder's top-level entries on a thread pool with the scan's own `discover` (the same
files, hidden folders and names not in UTF-8 left out as a scan leaves them out) and writes
fixed-size shards; workers get a shard each. Files the library has embedded already, with the
same size and mtime, are left out, as a scan would leave them unchanged.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from phototag.core.atomic import replacing
from phototag.core.errors import UserError
from phototag.core.ingest.decode import is_image_path
from phototag.core.ingest.scan import discover

# Photos a shard: a lost actor redoes at most this many, and a resumed job skips whole shards.
SHARD_SIZE = 64
LISTING = "listing.json"

Entry = tuple[str, str | None]  # (path, the reason it cannot be read, known at listing)


def shards_of(
    out: Path, sources: list[str], known: dict[str, tuple[int, int]], size: int = SHARD_SIZE
) -> list[list[Entry]]:
    """The job's shards: listed once and kept in OUT, so a resumed job sees the same ones."""
    if (out / LISTING).exists():
        kept = json.loads((out / LISTING).read_text())["shards"]
        return [[(path, reason) for path, reason in shard] for shard in kept]
    entries = [e for e in _listed(sources) if not _unchanged(e[0], known)]
    shards = [entries[i : i + size] for i in range(0, len(entries), size)]
    with replacing(out / LISTING) as temporary:
        temporary.write_text(json.dumps({"sources": sources, "shards": shards}))
    return shards


def sources_of(out: Path) -> list[str]:
    return json.loads((out / LISTING).read_text())["sources"]


def _listed(sources: list[str]) -> list[Entry]:
    """Every photo below the sources, in the scan's order, each once."""
    tops: list[str] = []
    for source in sources:
        if not os.path.exists(source):
            raise UserError(f"no such file or folder: {source}")
        tops += _top_level(source)
    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="phototag-list") as pool:
        listed = pool.map(_list_one, tops)
        return list(dict.fromkeys(entry for part in listed for entry in part))


def _top_level(source: str) -> list[str]:
    """A folder's entries, the lines of a file list (.txt, one path a line), or the photo."""
    if source.endswith(".txt") and os.path.isfile(source):
        lines = Path(source).read_text(encoding="utf-8").splitlines()
        return [os.path.abspath(line) for line in lines if line.strip()]
    if not os.path.isdir(source):
        return [source]
    with os.scandir(source) as entries:
        names = sorted(e.name for e in entries if not e.name.startswith("."))
    return [os.path.join(source, name) for name in names]


def _list_one(path: str) -> list[Entry]:
    if os.path.isdir(path):
        return [_entry(item) for item in discover(Path(path), set())]
    return [(path, None)] if is_image_path(Path(path)) else []


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
