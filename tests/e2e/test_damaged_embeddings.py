"""A damaged embedding row (a 7-byte blob, a NaN) passes SQLite's integrity_check, and used to
crash most commands or print `"score": NaN`, which is not JSON. Such a row is derived data: every
command works around it, and the next scan embeds that photo again."""

from __future__ import annotations

import json
import sqlite3
import struct

import pytest


def _damage(database, how: str) -> int:
    """Damage one stored embedding in place and return its image id."""
    with sqlite3.connect(database) as conn:
        image_id, blob = conn.execute(
            "SELECT image_id, embedding FROM embeddings ORDER BY image_id LIMIT 1 OFFSET ?",
            (0 if how == "short" else 1,),
        ).fetchone()
        damaged = b"\x00" * 7 if how == "short" else struct.pack("f", float("nan")) + blob[4:]
        conn.execute("UPDATE embeddings SET embedding = ? WHERE image_id = ?", (damaged, image_id))
    return image_id


def _strict_json_lines(text: str) -> list[dict]:
    def refuse(constant: str) -> float:
        raise ValueError(f"{constant} is not JSON")

    return [json.loads(line, parse_constant=refuse) for line in text.splitlines()]


@pytest.mark.parametrize("how", ["short", "nan"])
def test_commands_survive_a_damaged_embedding_and_scan_repairs_it(
    phototag, library_dir, photo_set, how
):
    red = [str(path) for path in photo_set[1]["red"][:3]]
    assert phototag("tag", "red", *red).code == 0
    with sqlite3.connect(library_dir / "library.db") as conn:
        embedded = conn.execute("SELECT count(*) FROM embeddings").fetchone()[0]
    _damage(library_dir / "library.db", how)

    predicted = phototag("predict", "--json")
    assert predicted.code == 0, predicted.err
    records = _strict_json_lines(predicted.out)
    assert any(record["labels"].get("red", {}).get("confirmed") for record in records)
    for args in (["status", "--json"], ["labels", "list"], ["tag", "red", red[0]]):
        result = phototag(*args)
        assert result.code == 0, (args, result.err)
    assert phototag("untag", "red", red[1]).code == 0

    rescan = phototag("scan", "--model", "tiny-random")
    assert rescan.code == 0, rescan.err
    assert "1 embedded" in rescan.out + rescan.err
    with sqlite3.connect(library_dir / "library.db") as conn:
        assert conn.execute("SELECT count(*) FROM embeddings").fetchone()[0] == embedded
