"""`phototag batch label`, the golden photos of the numerics fingerprint and the skip by content
hash, end to end on a real local Ray runtime (`--address local`), started once for the module."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

# Not imported here: Ray imported at collection, without its loopback setting, refuses a local
# runtime to the in-process commands of test_batch_cli.py (runtime.py's check).
if importlib.util.find_spec("ray") is None:
    pytest.skip("phototag[cluster] is not installed", allow_module_level=True)
pq = pytest.importorskip("pyarrow.parquet")

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module", autouse=True)
def cluster():
    """The runtime the first `batch embed` starts in this process, shut down after the module."""
    yield
    import ray

    ray.shutdown()


def _new_content_copy(source: Path, target: Path) -> Path:
    """The photos at new paths, each with a byte after its image data: the same pixels, but
    content no library has, so a job embeds every one."""
    shutil.copytree(source, target)
    for photo in target.rglob("*.jpg"):
        with open(photo, "ab") as handle:
            handle.write(b"\0")
    return target


@pytest.fixture
def archive(tmp_path, photo_set) -> Path:
    return _new_content_copy(photo_set[0], tmp_path / "archive")


def _embed(phototag, job: Path, out: Path, *sources: Path, tolerance: str | None = None):
    extra = ["--tolerance", tolerance] if tolerance else []
    return phototag("batch", "embed", job, *sources, "--address", "local", "--out", out, *extra)


def _parquet_records(path: Path) -> dict[str, dict]:
    """Rows of a `batch label` Parquet file as predict's records (a map reads as pairs)."""
    return {
        row["path"]: {"path": row["path"], "labels": dict(row["labels"])}
        for row in pq.read_table(path).to_pylist()
    }


def _json_lines(text: str) -> dict[str, dict]:
    records = [json.loads(line) for line in text.splitlines() if line.strip()]
    return {record["path"]: record for record in records}


def test_batch_label_gives_what_predict_gives_on_the_library_that_imported_the_embeddings(
    phototag, archive, tmp_path
):
    job, out = tmp_path / "job", tmp_path / "out"
    assert phototag("batch", "prepare", job).code == 0
    assert _embed(phototag, job, out, archive).code == 0
    library = tmp_path / "imported"
    assert phototag("batch", "import", out, library=library).code == 0
    red = sorted(str(p) for p in (archive / "red").glob("*.jpg"))
    blue = sorted(str(p) for p in (archive / "blue").glob("*.jpg"))
    mixed = sorted(str(p) for p in (archive / "mixed").glob("*.jpg"))
    for command in (
        ("tag", "red", *red[:3]),
        ("reject", "red", mixed[0]),
        ("tag", "blue", *blue[:4]),
        ("labels", "method", "blue", "linear-probe"),
    ):
        assert phototag(*command, library=library).code == 0, command
    predicted = phototag("predict", "--json", library=library)
    assert predicted.code == 0
    expected = _json_lines(predicted.out)
    assert any(r["labels"].get("red", {}).get("confirmed") for r in expected.values())
    assert any("blue" in r["labels"] for r in expected.values())

    by_library = phototag("batch", "label", library, out, "--out", tmp_path / "l.parquet")
    assert by_library.code == 0, by_library.err
    assert by_library.err == ""  # no progress bar when stderr is no terminal
    assert f"tagged {len(expected)} photos" in by_library.out
    assert _parquet_records(tmp_path / "l.parquet") == expected
    # Blue's fitted head and red's weights, thresholds and examples travel in a job.
    labelled_job = tmp_path / "labelled-job"
    assert phototag("batch", "prepare", labelled_job, library=library).code == 0
    by_job = phototag(
        "batch", "label", labelled_job, out, "--out", tmp_path / "j.jsonl", "--format", "jsonl"
    )
    assert by_job.code == 0, by_job.err
    assert _json_lines((tmp_path / "j.jsonl").read_text()) == expected


def test_a_changed_labels_file_or_a_folder_that_is_no_job_nor_library_is_refused_in_one_line(
    phototag, archive, tmp_path
):
    job, out = tmp_path / "job", tmp_path / "out"
    assert phototag("batch", "prepare", job).code == 0
    assert _embed(phototag, job, out, archive / "green").code == 0
    labels = (job / "labels.npz").read_bytes()
    (job / "labels.npz").write_bytes(labels[:-1] + bytes([labels[-1] ^ 1]))
    tampered = phototag("batch", "label", job, out, "--out", tmp_path / "t.parquet")
    assert tampered.code == 1
    assert tampered.err.count("\n") == 1
    assert "not the labels the job was prepared with" in tampered.err
    neither = phototag("batch", "label", archive, out, "--out", tmp_path / "n.parquet")
    assert neither.code == 1
    assert neither.err.count("\n") == 1
    assert "neither a prepared batch job nor a library" in neither.err


def _tamper_golden(job: Path) -> None:
    """One golden photo's embedding as another decoder might give it: two values swapped (a
    cosine of about 0.97), the probe untouched."""
    manifest = json.loads((job / "manifest.json").read_text())
    row = manifest["golden"][1]
    row[0], row[1] = row[1], row[0]
    (job / "manifest.json").write_text(json.dumps(manifest))


def test_a_node_that_decodes_the_golden_photos_otherwise_is_refused_in_one_line(
    phototag, archive, tmp_path
):
    job = tmp_path / "job"
    assert phototag("batch", "prepare", job).code == 0
    manifest = json.loads((job / "manifest.json").read_text())
    assert len(manifest["golden"]) == 3
    _tamper_golden(job)

    refused = _embed(phototag, job, tmp_path / "refused", archive / "red")
    assert refused.code == 2
    # Phototag's own word is one line, the last (Ray's logging above it is not Phototag's).
    said = [line for line in refused.err.splitlines() if line.startswith("phototag: ")]
    assert said == refused.err.splitlines()[-1:], refused.err
    assert "numerics differ" in said[0]
    assert "on the golden photos" in said[0]

    accepted = _embed(phototag, job, tmp_path / "accepted", archive / "red", tolerance="0.5")
    assert accepted.code == 0, accepted.err
    rows = pq.read_table(sorted((tmp_path / "accepted").glob("part-*"))).to_pylist()
    agreement = {row["agreement"] for row in rows}
    assert len(agreement) == 1
    assert 0.5 <= agreement.pop() < 1.0


def test_a_copied_or_moved_photo_the_library_has_is_not_embedded_and_imports_linked(
    phototag, photo_set, tmp_path
):
    root, made = photo_set
    copies = tmp_path / "copies"
    shutil.copytree(root / "red", copies)  # the library's content at other paths
    new = _new_content_copy(root / "blue", tmp_path / "new")
    job, out = tmp_path / "job", tmp_path / "out"
    assert phototag("tag", "red", str(made["red"][0])).code == 0
    assert phototag("batch", "prepare", job).code == 0

    embedded = _embed(phototag, job, out, copies, new)
    assert embedded.code == 0, embedded.err
    copied, fresh = len(made["red"]), len(made["blue"])
    assert f"{fresh} embedded, {copied} already in the library" in embedded.out
    rows = {r["path"]: r for r in pq.read_table(sorted(out.glob("part-*"))).to_pylist()}
    known = [r for r in rows.values() if r["in_library"]]
    assert sorted(r["path"] for r in known) == sorted(str(p) for p in copies.glob("*.jpg"))
    assert all(r["embedding"] is None and r["width"] is None for r in known)

    imported = phototag("batch", "import", out)
    assert imported.code == 0, imported.err
    assert f"imported {fresh} photos, {copied} files of photos the library has" in imported.out
    first_copy = str(copies / made["red"][0].name)
    predicted = _json_lines(phototag("predict", "--json").out)
    assert predicted[first_copy]["labels"]["red"]["confirmed"] is True
    assert predicted[first_copy]["labels"] == predicted[str(made["red"][0])]["labels"]

    elsewhere = phototag("batch", "import", out, library=tmp_path / "fresh")
    assert elsewhere.code == 0, elsewhere.err
    assert f"imported {fresh} photos, 0 files" in elsewhere.out
    assert f"not imported {first_copy}: the job's library has it" in elsewhere.err
