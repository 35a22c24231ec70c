"""The scan's embedding order (core/ingest/order.py) and a real scan that follows it: every folder
early, the same order every time, and an interrupted scan resumed without redoing or skipping."""

from __future__ import annotations

import os
import random
from collections import Counter

import pytest

from phototag.core.ingest.order import in_listing_order, spread_order
from phototag.core.library import Library


def listing(sizes: dict[str, int]) -> list[str]:
    """Paths as a scan lists them: folder after folder, names sorted."""
    return [f"/photos/{folder}/{i:04d}.jpg" for folder, size in sizes.items() for i in range(size)]


def folder_of(path: str) -> str:
    return os.path.dirname(path)


SIZES = {"2019": 300, "2020": 1, "2021": 40, "2022/spain": 7, "2022": 120, "scans": 2}


def test_every_folder_gives_a_photo_within_the_first_photos_one_per_folder():
    ordered = spread_order(listing(SIZES), str)
    first = ordered[: len(SIZES)]
    assert sorted(map(folder_of, first)) == sorted(f"/photos/{f}" for f in SIZES)
    assert sorted(ordered) == sorted(listing(SIZES))  # each photo exactly once


def test_after_the_first_round_every_folder_is_embedded_in_proportion_to_its_size():
    total = sum(SIZES.values())
    ordered = spread_order(listing(SIZES), str)
    for done in (total // 10, total // 2):
        per_folder = Counter(map(folder_of, ordered[:done]))
        for folder, size in SIZES.items():
            share = per_folder[f"/photos/{folder}"] / size
            assert abs(share - done / total) <= 1 / size + 0.01, folder


def test_a_folders_sample_spans_it_rather_than_its_first_shots():
    ordered = spread_order(listing({"trip": 100}), str)
    first_four = sorted(int(p[-8:-4]) for p in ordered[:4])
    assert first_four == [0, 25, 50, 75]


def test_the_order_depends_on_the_paths_alone():
    paths = listing(SIZES)
    assert spread_order(paths, str) == spread_order(list(paths), str)
    assert spread_order([], str) == []
    assert in_listing_order(paths, str) == paths


def test_no_folder_waits_for_a_big_one_whatever_the_listing_interleaves():
    paths = listing({"big": 1000, "small": 3})
    shuffled = paths[:]
    random.Random(0).shuffle(shuffled)  # a watcher's batch comes in any order
    ordered = spread_order(shuffled, str)
    assert {folder_of(p) for p in ordered[:2]} == {"/photos/big", "/photos/small"}


class Enough(Exception):
    """Stops a scan from its progress callback, as the GUI's cancel does."""


def test_a_scan_reaches_every_folder_first_and_resumes_without_redoing_or_skipping(
    tmp_path, photo_set
):
    folder, made = photo_set
    folders = {os.path.dirname(str(p)) for paths in made.values() for p in paths}
    total = sum(len(paths) for paths in made.values())

    def stop_at(count: int):
        def progress(done: int, _total: int) -> None:
            if done >= count:
                raise Enough

        return progress

    root = tmp_path / "library"
    with Library(root) as library:
        library.add_folder(folder)
        with pytest.raises(Enough):
            library.scan(model="tiny-random", progress=stop_at(8))
        first = {p.path for p in library.photos()}
        assert len(first) == 8
        assert {os.path.dirname(p) for p in first} == folders

        with pytest.raises(Enough):
            library.scan(model="tiny-random", progress=stop_at(len(first) + 16))
        second = {p.path for p in library.photos()}
        assert first < second
        assert len(second) == 24

        report = library.scan(model="tiny-random")
        assert report.unchanged == len(second)
        assert report.embedded == total - len(second)
        assert library.status().embedded == total
        assert len(library.photos()) == total
