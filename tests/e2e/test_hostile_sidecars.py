"""Sidecars made to hurt: nested 5,000 levels deep, flooded with 100,000 keywords, or beside a
photo whose name leaves no room for `.xmp`. Each becomes one reason; the export and the import
go on with every other photo."""

from __future__ import annotations

import shutil

from phototag.core.interop import xmp

HEAD = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/">'
)
TAIL = "</rdf:Description></rdf:RDF></x:xmpmeta>"


def _deep() -> str:
    return HEAD + "<dc:title>" + "<a>" * 5000 + "</a>" * 5000 + "</dc:title>" + TAIL


def _flooded() -> str:
    items = "".join(f"<rdf:li>k{index}</rdf:li>" for index in range(100_000))
    return HEAD + f"<dc:subject><rdf:Bag>{items}</rdf:Bag></dc:subject>" + TAIL


def test_hostile_sidecars_are_one_reason_each_and_the_rest_goes_on(phototag, writable_photos):
    library, folder = writable_photos
    photos = sorted(folder.glob("*.jpg"))
    long_name = folder / ("l" * 251 + ".jpg")  # 255 bytes: the longest name a file can have
    shutil.copy(photos[0], long_name)
    assert phototag("scan", "--model", "tiny-random", library=library).code == 0
    names = xmp.SidecarNames()
    deep, flooded = names.to_write(photos[0]), names.to_write(photos[1])
    deep.write_text(_deep())
    flooded.write_text(_flooded())
    before = {path: path.read_bytes() for path in (deep, flooded)}

    assert phototag("tag", "red", str(folder), library=library).code == 0
    exported = phototag("export", "--format", "xmp", library=library)
    said = exported.out + exported.err
    assert "Traceback" not in said
    assert "nested deeper than 64 levels" in said
    assert "100000 keywords in subject, more than 1000" in said
    assert "File name too long" in said
    assert {path: path.read_bytes() for path in (deep, flooded)} == before
    for photo in photos[2:]:
        assert "red" in xmp.read(names.to_write(photo)).keywords("subject")

    imported = phototag("import-keywords", library=library)
    assert "Traceback" not in imported.err
    assert "more than 1000" in imported.out + imported.err
    listed = phototag("labels", "list", library=library).out
    assert "k99999" not in listed
    assert "k0" not in listed
