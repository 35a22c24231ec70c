"""The scan's decisions by name alone: which folder a path belongs to, what it looks at, and how
targets are grouped (core/ingest/scan.py). Moves and missing files are in tests/e2e."""

from __future__ import annotations

import os

from phototag.core.ingest.scan import Ingest, _owner, in_scope, is_within, skipped_inside

ROOT = os.path.join(os.sep, "photos")


def under(*parts: str) -> str:
    return os.path.join(ROOT, *parts)


def test_a_path_is_within_its_folder_and_the_folder_itself_not_a_namesake():
    assert is_within(under("2024", "a.jpg"), ROOT)
    assert is_within(ROOT, ROOT)
    assert is_within(under("2024", "a.jpg"), ROOT + os.sep)
    assert not is_within(ROOT + "-old" + os.sep + "a.jpg", ROOT)
    assert not is_within(os.path.dirname(ROOT), ROOT)


def test_the_scan_looks_at_photos_and_folders_below_root_and_nothing_hidden_or_skipped():
    skip = {under("library")}
    assert in_scope(under("2024", "a.jpg"), ROOT, skip)
    assert in_scope(under("2024"), ROOT, skip, is_dir=True)
    assert in_scope(ROOT, ROOT, skip, is_dir=True)
    assert not in_scope(under("2024", "notes.txt"), ROOT, skip)
    assert not in_scope(under("2024", "a.jpg.part"), ROOT, skip)
    assert not in_scope(under(".trash", "a.jpg"), ROOT, skip)
    assert not in_scope(under("2024", ".a.jpg"), ROOT, skip)
    assert not in_scope(under("library", "thumbs", "a.jpg"), ROOT, skip)
    assert not in_scope(under("library"), ROOT, skip, is_dir=True)
    assert not in_scope(os.path.join(os.sep, "elsewhere", "a.jpg"), ROOT, skip)


def test_only_what_is_hidden_below_root_counts_not_above_it():
    root = os.path.join(os.sep, "home", ".photos")
    assert in_scope(os.path.join(root, "a.jpg"), root, set())


def test_the_folders_skipped_are_the_other_folders_inside_root():
    inner, outside = under("phone"), os.path.join(os.sep, "other")
    namesake = ROOT + "-old"
    assert skipped_inside(ROOT, {ROOT, inner, outside, namesake}) == {inner}


def test_a_path_belongs_to_the_innermost_library_folder_holding_it():
    outer = {"id": 1, "path": ROOT}
    inner = {"id": 2, "path": under("phone")}
    folders = [outer, inner]
    assert _owner(under("phone", "a.jpg"), folders) is inner
    assert _owner(under("phone"), folders) is inner
    assert _owner(under("phone-old", "a.jpg"), folders) is outer
    assert _owner(os.path.join(os.sep, "other", "a.jpg"), folders) is None
    assert _owner(under("phone", "a.jpg"), [inner, outer]) is inner


def test_targets_are_grouped_by_folder_once_each_and_outsiders_dropped():
    outer = {"id": 1, "path": ROOT}
    inner = {"id": 2, "path": under("phone")}
    targets = [
        under("a.jpg"),
        under("phone", "b.jpg"),
        os.path.join(os.sep, "other", "c.jpg"),
        under("a.jpg"),
        under("d.jpg"),
    ]
    grouped = Ingest._by_folder([outer, inner], targets)
    assert grouped == [
        (outer, [under("a.jpg"), under("d.jpg")]),
        (inner, [under("phone", "b.jpg")]),
    ]
