"""Many names for one content (hard links, copies) cost a scan linear work: the move check
looks at a content's other paths once per scan, not once for each new name."""

from __future__ import annotations

import os

from phototag.core.ingest import scan as scanning
from phototag.core.library import Library
from tests.photos import write_photo

LINKS = 300


def test_hundreds_of_hard_links_are_recorded_with_linear_work(tmp_path, monkeypatch):
    photos = tmp_path / "photos"
    originals = [write_photo(photos / f"p{index}.jpg", ["red"], seed=index) for index in range(2)]
    for index in range(LINKS):
        os.link(originals[index % 2], photos / f"link{index:04d}.jpg")
    examined: list[int] = []
    real = scanning.ingest_sql.present_files_elsewhere

    def counting(store, image_id, path):
        rows = real(store, image_id, path)
        examined.append(len(rows))
        return rows

    monkeypatch.setattr(scanning.ingest_sql, "present_files_elsewhere", counting)
    with Library(tmp_path / "library") as library:
        library.add_folder(photos)
        report = library.scan(model="tiny-random")
        # Names hashed while their content is still with the model are embedded once more
        # (a few batches' worth); every name is recorded, as one of two images.
        assert (report.embedded + report.linked, report.missing) == (LINKS + 2, 0)
        status = library.status()
        assert (status.photos, status.images) == (LINKS + 2, 2)
    # Linear: at most a few rows looked at per name (quadratic would be ~LINKS**2 / 4).
    assert sum(examined) <= 2 * (LINKS + 2), sum(examined)
