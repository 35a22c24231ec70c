"""`phototag method`, `labels method` and `refine` through the real entry point."""

from __future__ import annotations

import json

import pytest

from phototag.core.library import Library
from tests.e2e.conftest import run_process
from tests.methods import NEAREST, register_test_methods
from tests.privacy import DENY_NETWORK, NETWORK_ATTEMPT


@pytest.fixture(autouse=True)
def test_methods(monkeypatch):
    register_test_methods(monkeypatch)


def _methods(phototag) -> dict[str, str]:
    listed = [json.loads(line) for line in phototag("labels", "list", "--json").out.splitlines()]
    return {label["name"]: label["method"] for label in listed}


def test_choosing_the_library_method_and_a_label_method(phototag, photo_set):
    _, made = photo_set
    shown = phototag("method")
    assert shown.code == 0
    assert shown.out.splitlines()[0].startswith("* mwi\t")
    assert f"  {NEAREST}\t" in shown.out

    assert phototag("tag", "red", *made["red"][:3]).code == 0
    assert phototag("tag", "blue", *made["blue"][:3]).code == 0
    assert phototag("labels", "method", "red", NEAREST).out == f"red: method {NEAREST}\n"
    assert _methods(phototag) == {"red": NEAREST, "blue": "mwi"}
    assert f"method {NEAREST}\n" in phototag("labels", "list").out

    assert phototag("method", NEAREST).out == f"library method: {NEAREST}\n"
    assert f"* {NEAREST}\t" in phototag("method").out
    assert "blue\t" in phototag("labels", "list").out
    assert f"method {NEAREST} (library's)" in phototag("labels", "list").out
    assert _methods(phototag) == {"red": NEAREST, "blue": NEAREST}

    assert phototag("labels", "method", "red", "mwi").code == 0
    assert phototag("labels", "method", "blue", "default").out == (
        f"blue: method {NEAREST} (the library's)\n"
    )
    assert _methods(phototag) == {"red": "mwi", "blue": NEAREST}
    predicted = [json.loads(line) for line in phototag("predict", "--json").out.splitlines()]
    carried = {p["path"]: set(p["labels"]) for p in predicted}
    assert all("blue" in carried[str(p)] for p in made["blue"][:3])


def test_an_unknown_method_is_one_line_and_exit_1(phototag, photo_set):
    for args in (("method", "bogus"), ("labels", "method", "red", "bogus")):
        if args[0] == "labels":
            phototag("tag", "red", photo_set[1]["red"][0])
        result = phototag(*args)
        assert result.code == 1
        assert result.err.count("\n") == 1
        assert "unknown method 'bogus' (known: mwi, " in result.err
        assert NEAREST in result.err
    assert phototag("method").out.startswith("* mwi\t")


def test_refine_revert_and_list(phototag, photo_set, library_dir):
    _, made = photo_set
    nothing = phototag("refine")
    assert nothing.code == 1
    assert "nothing to refine from" in nothing.err
    assert phototag("refine", "--revert").code == 1
    assert phototag("refine", "--to", "0").code == 1
    assert phototag("refine", "--list").out.startswith("* 0\t")

    phototag("tag", "red", *made["red"][:3])
    phototag("reject", "red", made["red+green"][0])
    refined = phototag("refine")
    assert refined.code == 0, refined.err
    assert refined.out.startswith("projection version 1: refined from version 0 on 4 photos of 1")
    assert "embeddings recomputed" in refined.out
    listed = phototag("refine", "--list").out.splitlines()
    assert [line[:3] for line in listed] == ["  0", "* 1"]
    assert "ProLIP on 4 photos" in listed[1]

    reverted = phototag("refine", "--revert")
    assert reverted.code == 0
    assert reverted.out.startswith("reverted to projection version 0 (from 1)")
    assert phototag("refine", "--revert").code == 1
    assert phototag("refine", "--revert", "--to", "1").code == 0
    with Library(library_dir) as library:
        assert library._active_model()["projection_version"] == 1


def test_refine_opens_no_network_connection(library_dir, photo_set):
    _, made = photo_set
    with Library(library_dir) as library:
        library.tag("red", made["red"][:3])
    result = run_process("--library", str(library_dir), "refine", prelude=DENY_NETWORK)
    assert NETWORK_ATTEMPT not in result.err
    assert result.code == 0, result.err
    assert "projection version 1" in result.out
