"""`phototag batch embed` over an s3:// prefix, as a user runs it (its own process, a private
local Ray runtime), against a real S3 server on loopback (moto's) holding generated photos: the
rows equal a local scan of the same files bit for bit, an unreadable object is a row with its
reason, an object of content the library has is hashed only, a resumed job skips finished
shards, and `batch import` brings the rows in under their s3:// URLs."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from phototag.core.batch import job as batch_job
from phototag.core.batch import listing
from phototag.core.ingest.decode import REASON_EMPTY
from phototag.core.ingest.decode_pool import decode_to_pixels
from phototag.core.ingest.hashing import content_hash
from phototag.core.ingest.pixels import PixelRecipe
from phototag.core.interop.keywords import OBJECT_NO_SIDECAR
from tests.e2e.conftest import Result, run_process
from tests.objectstore import S3_ENV, closed_endpoint, put, s3_server, tree
from tests.strace import PHOTOTAG, find_strace, network_attempts, private_env, traced

# Not imported here: Ray imported without its loopback setting refuses a local runtime to the
# in-process commands of the tests after this module (runtime.py).
if importlib.util.find_spec("ray") is None:
    pytest.skip("phototag[cluster] is not installed", allow_module_level=True)
pq = pytest.importorskip("pyarrow.parquet")

pytestmark = pytest.mark.cluster

PREFIX = "s3://photos/archive"
BROKEN = b"\xff\xd8\xff\xe0 not really a JPEG"
SHARD_SIZE = "16"
KNOWN = "s3://photos/archive/copies/red.jpg"
# Why a broken file is unreadable does not depend on the crop it was meant for.
ANY_RECIPE = PixelRecipe(224, 3, (224, 224), (0.5, 0.5, 0.5), (0.5, 0.5, 0.5))


@pytest.fixture(scope="module")
def archive(tmp_path_factory, photo_set) -> Path:
    """The test photos, each with a byte after its image data: the same pixels, but content
    the job's library does not know, so a job embeds every one."""
    root = tmp_path_factory.mktemp("s3archive") / "archive"
    shutil.copytree(photo_set[0], root)
    for photo in root.rglob("*.jpg"):
        with open(photo, "ab") as handle:
            handle.write(b"\0")
    return root


@pytest.fixture(scope="module")
def scanned_archive(tmp_path_factory, archive) -> Path:
    """A library that scanned the archive's folder: what the s3 rows must equal."""
    from phototag.core.library import Library

    root = tmp_path_factory.mktemp("s3local") / "library"
    with Library(root) as library:
        library.add_folder(archive)
        library.scan(model="tiny-random")
    return root


@pytest.fixture(scope="module")
def endpoint(archive, photo_set):
    """The archive under photos/archive/, beside a broken and an empty object, a hidden folder
    a scan would leave out, and a copy of a photo the job's library has (KNOWN)."""
    with s3_server() as url:
        objects = tree(archive, "archive")
        objects |= {"archive/broken.jpg": BROKEN, "archive/empty.jpg": b""}
        objects["archive/.trash/old.jpg"] = next(iter(objects.values()))
        objects[KNOWN.removeprefix("s3://photos/")] = photo_set[1]["red"][0].read_bytes()
        put(url, "photos", objects)
        yield url


@pytest.fixture(scope="module")
def job(tmp_path_factory, scanned_template) -> Path:
    from phototag.core.library import Library

    root = tmp_path_factory.mktemp("s3job")
    shutil.copytree(scanned_template, root / "library")
    with Library(root / "library") as library:
        return library.prepare_batch(root / "job")


def _embed(job: Path, out: Path, env: dict[str, str], *options: str) -> Result:
    return run_process(
        "batch",
        "embed",
        str(job),
        PREFIX,
        "--address",
        "local",
        "--out",
        str(out),
        "--shard-size",
        SHARD_SIZE,
        *options,
        env={**S3_ENV, **env},
    )


@pytest.fixture(scope="module")
def embedded(job, endpoint, tmp_path_factory) -> tuple[Path, Result]:
    """One run, its endpoint given as the AWS SDKs' own variable."""
    out = tmp_path_factory.mktemp("s3out") / "out"
    return out, _embed(job, out, {"AWS_ENDPOINT_URL": endpoint})


def _rows(path: Path) -> dict[str, dict]:
    table = pq.read_table(path) if path.is_file() else pq.read_table(sorted(path.glob("part-*")))
    return {row["path"]: row for row in table.to_pylist()}


def _bits(row: dict, column: str = "embedding") -> bytes:
    return np.asarray(row[column], dtype=np.float32).tobytes()


def test_an_s3_prefix_embeds_bit_for_bit_as_a_local_scan_of_the_same_files(
    embedded, archive, scanned_archive, photo_set, phototag, tmp_path
):
    out, result = embedded
    assert result.code == 0, result.err
    exported = phototag(
        "export", "--format", "parquet", tmp_path / "l.parquet", library=scanned_archive
    )
    assert exported.code == 0
    local = {
        path.replace(str(archive), PREFIX, 1): row
        for path, row in _rows(tmp_path / "l.parquet").items()
    }
    rows = _rows(out)
    photos = {p: row for p, row in rows.items() if row["error"] is None and not row["in_library"]}

    assert set(photos) == set(local)
    assert all(_bits(photos[p]) == _bits(local[p]) for p in photos)
    assert all(photos[p]["content_hash"] == local[p]["content_hash"] for p in photos)
    assert f"{PREFIX}/.trash/old.jpg" not in rows
    (tmp_path / "broken.jpg").write_bytes(BROKEN)
    broken_reason = decode_to_pixels(str(tmp_path / "broken.jpg"), ANY_RECIPE)
    assert rows[f"{PREFIX}/broken.jpg"]["error"] == broken_reason
    assert rows[f"{PREFIX}/empty.jpg"]["error"] == REASON_EMPTY
    assert rows[KNOWN]["in_library"]
    assert rows[KNOWN]["embedding"] is None
    assert rows[KNOWN]["content_hash"] == content_hash(photo_set[1]["red"][0])
    assert f"{len(photos)} embedded, 1 already in the library, 2 unreadable" in result.out
    assert f"skipped {PREFIX}/empty.jpg: {REASON_EMPTY}" in result.err


def test_s3_rows_import_under_their_urls_and_predict_as_the_local_scan(
    embedded, endpoint, archive, scanned_archive, phototag, tmp_path, monkeypatch
):
    out, result = embedded
    assert result.code == 0, result.err
    imported, local = tmp_path / "imported", tmp_path / "local"
    shutil.copytree(scanned_archive, local)
    brought = phototag("batch", "import", out, library=imported)
    assert brought.code == 0, brought.err
    assert f"added folder {PREFIX}" in brought.err
    assert f"not imported {KNOWN}: the job's library has it, this one does not" in brought.err

    red = sorted(p.relative_to(archive).as_posix() for p in (archive / "red").glob("*"))
    for library, root in ((local, str(archive)), (imported, PREFIX)):
        assert phototag("labels", "add", "red", library=library).code == 0
        assert phototag("tag", "red", *[f"{root}/{p}" for p in red[:3]], library=library).code == 0
    exported = [phototag("export", "--format", "json", library=lib) for lib in (local, imported)]
    assert exported[0].code == exported[1].code == 0
    as_urls = exported[0].out.replace(str(archive), PREFIX)
    assert json.loads(exported[1].out) == json.loads(as_urls)
    assert f'"{PREFIX}/red/' in phototag("predict", "--json", library=imported).out
    status = json.loads(phototag("status", "--json", library=imported).out)
    assert status["unreadable"] == [
        {"path": f"{PREFIX}/broken.jpg", "reason": "truncated or corrupt image data"},
        {"path": f"{PREFIX}/empty.jpg", "reason": REASON_EMPTY},
    ]

    # The library cannot read the prefix itself: a scan leaves its photos as they are, and
    # sidecars are refused one line a photo.
    scanned = phototag("scan", library=imported)
    assert scanned.code == 0, scanned.err
    assert f"folder unavailable, its photos left as they were: {PREFIX}" in scanned.err
    assert phototag("export", "--format", "json", library=imported).out == exported[1].out
    sidecars = phototag("export", "--format", "xmp", library=imported)
    assert sidecars.code == 1
    assert f"cannot write {PREFIX}/red/{red[0].split('/')[-1]}: {OBJECT_NO_SIDECAR}" in sidecars.err
    assert "Traceback" not in sidecars.err

    # The next job of this library skips the objects it has, as a scan skips unchanged files.
    assert phototag("batch", "prepare", tmp_path / "next", library=imported).code == 0
    for name, value in S3_ENV.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "next-out").mkdir()
    known = batch_job.load(tmp_path / "next").known()
    shards = listing.shards_of(tmp_path / "next-out", [PREFIX], known, 64, endpoint)
    assert shards == [
        [(f"{PREFIX}/broken.jpg", None), (KNOWN, None), (f"{PREFIX}/empty.jpg", None)]
    ]

    assert phototag("folders", "remove", PREFIX, library=imported).code == 0
    assert PREFIX not in phototag("folders", "list", library=imported).out


def test_a_resumed_s3_job_skips_its_finished_shards(embedded, job, endpoint, tmp_path):
    """A killed job leaves some shards written and others not; the run after it, with the
    endpoint given as --s3-endpoint this time, writes only the missing one."""
    out, result = embedded
    assert result.code == 0, result.err
    resumed_out = tmp_path / "out"
    shutil.copytree(out, resumed_out)
    parts = sorted(resumed_out.glob("part-*.parquet"))
    assert len(parts) > 2
    parts[1].unlink()
    finished = {p.name: p.stat().st_mtime_ns for p in parts if p != parts[1]}

    resumed = _embed(job, resumed_out, {}, "--s3-endpoint", endpoint)
    assert resumed.code == 0, resumed.err
    assert f"{len(parts)} shards ({len(parts) - 1} done before)" in resumed.out
    assert {p.name: p.stat().st_mtime_ns for p in parts if p != parts[1]} == finished
    again, first = _rows(parts[1]), _rows(out / parts[1].name)
    assert set(again) == set(first)
    assert all(
        again[p]["error"] == first[p]["error"]
        and _bits(again[p], "feature") == _bits(first[p], "feature")
        for p in first
    )


def test_a_store_lost_mid_job_stops_it_in_one_line_and_the_shard_stays_to_do(
    embedded, job, tmp_path
):
    """The listing is kept, so only the actors meet the store that no longer answers: the
    shard they were on is not written as unreadable rows, and the job says why."""
    out, result = embedded
    assert result.code == 0, result.err
    lost = tmp_path / "out"
    shutil.copytree(out, lost)
    unfinished = sorted(lost.glob("part-*.parquet"))[0]
    unfinished.unlink()
    closed = closed_endpoint()

    stopped = _embed(job, lost, {}, "--s3-endpoint", closed)
    assert stopped.code == 2, stopped.err
    said = stopped.err.strip().splitlines()
    assert said[-1].startswith("phototag: cannot reach the object store for s3://photos/archive/")
    assert not [line for line in said if "Traceback" in line or "ERROR" in line], said
    assert not unfinished.exists()


def test_an_s3_source_that_cannot_be_reached_is_one_line(job, phototag, tmp_path):
    closed = closed_endpoint()
    args = ["batch", "embed", job, PREFIX, "--out", tmp_path / "out", "--s3-endpoint", closed]
    refused = phototag(*args)
    assert refused.code == 2
    assert refused.err.startswith("phototag: cannot reach the object store for s3://photos/archive")
    assert len(refused.err.strip().splitlines()) == 1


# connect(12, {sa_family=AF_INET, sin_port=htons(5000), sin_addr=inet_addr("127.0.0.1")}, 16)
_CONNECT = re.compile(
    r'^connect\(.*htons\((\d+)\), (?:sin_addr=inet_addr|inet_pton)\((?:AF_INET6, )?"([^"]+)"'
)
_LOOPBACK = re.compile(r"^(127\.|::1$|::ffff:127\.)")


def _connections(trace: Path) -> dict[int, set[tuple[str, int]]]:
    """(address, port) of every internet connect in the trace, by the pid that made it."""
    found: dict[int, set[tuple[str, int]]] = {}
    for pid, calls in network_attempts(trace).items():
        for call in calls:
            matched = _CONNECT.match(call)
            if matched:
                found.setdefault(pid, set()).add((matched[2], int(matched[1])))
    return found


def _traced_embed(job: Path, source: str, tmp_path: Path, name: str, endpoint: str):
    trace = tmp_path / f"{name}.trace"
    argv = [str(PHOTOTAG), "--library", str(tmp_path / "library"), "batch", "embed", str(job)]
    argv += [source, "--out", str(tmp_path / name), "--s3-endpoint", endpoint]
    env = {**private_env(tmp_path / f"{name}-home"), **S3_ENV}
    process = traced(find_strace(), trace, argv, env, ("connect",))
    _, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    return _connections(trace)


def test_only_an_s3_job_connects_to_the_store_and_nothing_leaves_loopback(
    job, endpoint, photo_set, tmp_path
):
    """strace -f sees every process the command starts (Ray's runtime and its actors): a job
    over a folder connects to loopback only and never to the store; the same job over the
    prefix reaches the store from the driver (the listing) and from an actor (the reading)."""
    port = int(endpoint.rsplit(":", 1)[1])
    shutil.copytree(photo_set[0] / "red", tmp_path / "red")
    local = _traced_embed(job, str(tmp_path / "red"), tmp_path, "local", endpoint)
    remote = _traced_embed(job, f"{PREFIX}/red", tmp_path, "remote", endpoint)

    for connections in (local, remote):
        everywhere = set().union(*connections.values())
        assert everywhere, "no connection was traced at all (did strace follow the runtime?)"
        assert all(_LOOPBACK.match(address) for address, _ in everywhere), everywhere
    assert not any(p == port for found in local.values() for _, p in found)
    assert len([pid for pid, found in remote.items() if any(p == port for _, p in found)]) >= 2
