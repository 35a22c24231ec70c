"""s3:// sources against a real S3 server on loopback (moto's): listing into shards, and an
object read with the steps and the reasons of a local file."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from phototag.core.batch import listing, sources
from phototag.core.errors import UserError
from phototag.core.ingest.decode import REASON_EMPTY, REASON_VANISHED
from phototag.core.ingest.decode_pool import Pixels, decode_to_pixels
from phototag.core.ingest.hashing import content_hash
from phototag.core.ingest.pixels import PixelRecipe
from tests.objectstore import S3_ENV, client, closed_endpoint, put, s3_server
from tests.photos import colour_photo
from tests.raws import write_colour_dng

pytest.importorskip("pyarrow.fs")

BROKEN_JPEG = b"\xff\xd8\xff\xe0 not really a JPEG"
RECIPE = PixelRecipe(224, 3, (224, 224), (0.5, 0.5, 0.5), (0.5, 0.5, 0.5))


@pytest.fixture
def endpoint(monkeypatch):
    for name, value in S3_ENV.items():
        monkeypatch.setenv(name, value)
    with s3_server() as url:
        yield url


def _jpeg(seed: int) -> bytes:
    buffer = io.BytesIO()
    colour_photo(["red"], seed).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def _listed(tmp_path: Path, endpoint: str, named: list[str], known=None, size=3) -> list:
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    shards = listing.shards_of(out, named, known or {}, size, endpoint)
    return [entry for shard in shards for entry in shard]


def test_a_prefix_lists_its_photos_in_key_order_as_a_scan_leaves_out_hidden_ones(
    endpoint, tmp_path
):
    put(
        endpoint,
        "photos",
        {
            "p/b.jpg": _jpeg(1),
            "p/a.JPG": _jpeg(2),
            "p/sub/deeper/c.png": _jpeg(3),
            "p/sub/notes.txt": b"not a photo",
            "p/.hidden/d.jpg": _jpeg(4),
            "p/sub/._e.jpg": _jpeg(5),
            "p2/sibling.jpg": _jpeg(6),
            "other/x.jpg": _jpeg(7),
        },
    )
    entries = _listed(tmp_path, endpoint, ["s3://photos/p"])
    assert entries == [
        ("s3://photos/p/a.JPG", None),
        ("s3://photos/p/b.jpg", None),
        ("s3://photos/p/sub/deeper/c.png", None),
    ]
    # Three shards of at most three photos: the listing is kept for a resumed job.
    assert listing.sources_of(tmp_path / "out") == ["s3://photos/p"]


def test_objects_the_library_has_with_the_same_size_and_date_are_left_out(endpoint, tmp_path):
    put(endpoint, "photos", {"p/same.jpg": _jpeg(1), "p/changed.jpg": _jpeg(2)})
    infos = {
        f"s3://{info.path}": (info.size, info.mtime_ns)
        for info in client(endpoint).get_file_info(["photos/p/same.jpg", "photos/p/changed.jpg"])
    }
    size, mtime = infos["s3://photos/p/changed.jpg"]
    known = {"s3://photos/p/same.jpg": infos["s3://photos/p/same.jpg"]}
    known["s3://photos/p/changed.jpg"] = (size + 1, mtime)
    entries = _listed(tmp_path, endpoint, ["s3://photos/p"], known)
    assert entries == [("s3://photos/p/changed.jpg", None)]


def test_a_file_list_names_objects_and_local_files(endpoint, tmp_path):
    put(endpoint, "photos", {"p/a.jpg": _jpeg(1), "p/b.jpg": _jpeg(2)})
    local = tmp_path / "here.jpg"
    local.write_bytes(_jpeg(3))
    named = tmp_path / "list.txt"
    named.write_text(f"s3://photos/p/b.jpg\n\n{local}\ns3://photos/p/gone.jpg\n")
    entries = _listed(tmp_path, endpoint, [str(named)])
    assert [path for path, _ in entries] == [
        "s3://photos/p/b.jpg",
        str(local),
        "s3://photos/p/gone.jpg",
    ]


def test_a_prefix_that_holds_nothing_is_one_error(endpoint, tmp_path):
    put(endpoint, "photos", {"p/a.jpg": _jpeg(1)})
    with pytest.raises(UserError, match="no such object or prefix: s3://photos/nothing"):
        _listed(tmp_path, endpoint, ["s3://photos/nothing"])
    with pytest.raises(UserError, match="no such object or prefix: s3://nobucket/p"):
        _listed(tmp_path, endpoint, ["s3://nobucket/p"])


def test_an_object_reads_as_the_same_file_does_bit_for_bit(endpoint, tmp_path):
    """The JPEG and the RAW path alike: same pixels, same facts, the file's own SHA-256."""
    files = {
        "photo.jpg": tmp_path / "photo.jpg",
        "shot.dng": write_colour_dng(tmp_path / "shot.dng", ["blue"], seed=5),
    }
    files["photo.jpg"].write_bytes(_jpeg(9))
    put(endpoint, "photos", {f"p/{name}": path.read_bytes() for name, path in files.items()})
    for name, path in files.items():
        read = sources.read_photo(sources.filesystem(endpoint), f"s3://photos/p/{name}", RECIPE)
        local = decode_to_pixels(str(path), RECIPE)
        assert not isinstance(read, str), read
        assert isinstance(local, Pixels)
        stated, digest, pixels = read
        assert digest == content_hash(path)
        assert stated.size == path.stat().st_size
        assert np.array_equal(pixels.crop, local.crop)
        assert (pixels.width, pixels.height, pixels.taken_at) == (
            local.width,
            local.height,
            local.taken_at,
        )


def test_an_unreadable_object_gives_the_reason_a_file_would(endpoint, tmp_path):
    broken = BROKEN_JPEG
    put(endpoint, "photos", {"p/broken.jpg": broken, "p/empty.jpg": b""})
    (tmp_path / "broken.jpg").write_bytes(broken)
    store = sources.filesystem(endpoint)

    def reason(key: str) -> object:
        return sources.read_photo(store, f"s3://photos/p/{key}", RECIPE)

    assert reason("broken.jpg") == decode_to_pixels(str(tmp_path / "broken.jpg"), RECIPE)
    assert reason("empty.jpg") == REASON_EMPTY
    assert reason("gone.jpg") == REASON_VANISHED


def test_a_store_out_of_reach_stops_the_job_rather_than_mark_photos_unreadable(tmp_path):
    endpoint = closed_endpoint()
    with pytest.raises(sources.ObjectStoreUnreachable, match="cannot reach the object store"):
        sources.read_photo(sources.filesystem(endpoint), "s3://photos/p/a.jpg", RECIPE)
    with pytest.raises(sources.ObjectStoreUnreachable):
        _listed(tmp_path, endpoint, ["s3://photos/p"])


def test_an_object_of_content_the_library_has_is_hashed_and_not_decoded(endpoint, tmp_path):
    """As a moved or copied file: its row says in_library, and import links its path."""
    data = _jpeg(4)
    put(endpoint, "photos", {"p/copy.jpg": data, "p/not-a-photo.jpg": BROKEN_JPEG})
    (tmp_path / "copy.jpg").write_bytes(data)
    (tmp_path / "broken.jpg").write_bytes(BROKEN_JPEG)
    known = frozenset({content_hash(tmp_path / "copy.jpg"), content_hash(tmp_path / "broken.jpg")})
    store = sources.filesystem(endpoint)
    for key in ("copy.jpg", "not-a-photo.jpg"):
        read = sources.read_photo(store, f"s3://photos/p/{key}", RECIPE, known)
        assert not isinstance(read, str), read
        stated, digest, pixels = read
        assert (stated.path, pixels) == (f"s3://photos/p/{key}", None)
        assert digest in known
