"""XMP sidecars: written by Phototag, read back by ExifTool (an independent reader), merged into
the sidecars darktable, digiKam and Lightroom leave (made here by ExifTool) without disturbing
anything else in them."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from phototag.core.ingest.watch import Batch, Watcher
from phototag.core.interop import xmp
from phototag.core.interop.xmp import Packet, SidecarNames, Tag
from phototag.core.library import Library
from tests.exiftool import (
    keywords,
    make_darktable_sidecar,
    make_digikam_sidecar,
    make_lightroom_sidecar,
    tags,
    without_keywords,
)

REX = Tag(("Animals", "Pets", "Rex"), 0.97, True)
BEACH = Tag(("Beach",), 0.81, False)


def merge_into(path: Path, tags_: list[Tag], owned: dict | None = None) -> xmp.Merge:
    packet = xmp.read(path) if path.exists() else Packet.new()
    merged = xmp.merge(packet, tags_, owned or {}, "tiny-random/abc")
    xmp.write(path, packet)
    return merged


def test_exiftool_reads_back_exactly_the_keywords_written(tmp_path):
    sidecar = tmp_path / "IMG_1.jpg.xmp"
    merge_into(sidecar, [REX, BEACH])

    assert keywords(sidecar) == {
        "XMP-dc:Subject": ["Animals", "Pets", "Rex", "Beach"],
        "XMP-lr:HierarchicalSubject": ["Animals|Pets|Rex", "Beach"],
        "XMP-digiKam:TagsList": ["Animals/Pets/Rex", "Beach"],
    }
    found = tags(sidecar)
    assert found["XMP-phototag:Model"] == "tiny-random/abc"
    assert found["XMP-phototag:Labels"] == [
        {"Name": "Animals|Pets|Rex", "Score": "0.9700", "Confirmed": True},
        {"Name": "Beach", "Score": "0.8100", "Confirmed": False},
    ]


@pytest.mark.parametrize(
    ("make", "theirs"),
    [
        (
            make_darktable_sidecar,
            {
                "XMP-dc:Subject": ["darktable", "format"],
                "XMP-lr:HierarchicalSubject": ["darktable|format|jpg"],
                "XMP-digiKam:TagsList": [],
            },
        ),
        (
            make_digikam_sidecar,
            {
                "XMP-dc:Subject": ["Home", "Ann"],
                "XMP-lr:HierarchicalSubject": ["Places|Home", "People|Ann"],
                "XMP-digiKam:TagsList": ["Places/Home", "People/Ann"],
            },
        ),
        (
            make_lightroom_sidecar,
            {
                "XMP-dc:Subject": ["Holiday", "Beach"],
                "XMP-lr:HierarchicalSubject": ["Trips|Holiday", "Beach"],
                "XMP-digiKam:TagsList": [],
            },
        ),
    ],
)
def test_merging_keeps_every_other_tag_and_their_keywords(tmp_path, make, theirs):
    sidecar = make(tmp_path / "IMG_1.jpg.xmp")
    before = tags(sidecar)

    merged = merge_into(sidecar, [REX, BEACH])

    assert without_keywords(tags(sidecar)) == without_keywords(before)
    after = keywords(sidecar)
    ours = {
        "XMP-dc:Subject": ["Animals", "Pets", "Rex", "Beach"],
        "XMP-lr:HierarchicalSubject": ["Animals|Pets|Rex", "Beach"],
        "XMP-digiKam:TagsList": ["Animals/Pets/Rex", "Beach"],
    }
    for field, values in after.items():
        assert values == list(dict.fromkeys(theirs[field] + ours[field]))
    # A keyword that was there already (Lightroom's "Beach") stays theirs, not Phototag's.
    assert ("Beach" in merged.owned["subject"]) == ("Beach" not in theirs["XMP-dc:Subject"])

    # Taking Phototag's labels away again restores exactly what the other program wrote.
    merge_into(sidecar, [], merged.owned)
    assert tags(sidecar) == before


def test_only_keywords_phototag_wrote_are_removed(tmp_path):
    sidecar = tmp_path / "IMG_1.jpg.xmp"
    make_lightroom_sidecar(sidecar)  # the user already has "Beach" (flat) and "Holiday"
    first = merge_into(sidecar, [REX, Tag(("Holiday",), 0.9, True), BEACH])

    merge_into(sidecar, [], first.owned)

    assert keywords(sidecar) == {
        "XMP-dc:Subject": ["Holiday", "Beach"],
        "XMP-lr:HierarchicalSubject": ["Trips|Holiday", "Beach"],
        "XMP-digiKam:TagsList": [],
    }


def test_a_keyword_phototag_wrote_that_someone_removed_is_not_a_problem(tmp_path):
    sidecar = tmp_path / "a.jpg.xmp"
    first = merge_into(sidecar, [REX])
    packet = xmp.read(sidecar)
    packet.set_keywords(xmp.SUBJECT, ["Rex"])
    xmp.write(sidecar, packet)

    second = merge_into(sidecar, [BEACH], first.owned)

    assert keywords(sidecar)["XMP-dc:Subject"] == ["Beach"]
    assert second.owned == {
        "subject": {"Beach"},
        "hierarchical": {"Beach"},
        "tagslist": {"Beach"},
    }


def test_an_unchanged_merge_reports_no_change(tmp_path):
    sidecar = tmp_path / "a.jpg.xmp"
    first = merge_into(sidecar, [REX, BEACH])
    assert first.changed
    again = xmp.merge(xmp.read(sidecar), [REX, BEACH], first.owned, "tiny-random/abc")
    assert not again.changed
    assert again.owned == first.owned


def test_shorthand_rdf_and_foreign_prefixes_survive(tmp_path):
    """darktable writes history entries as attributes; some tools use unusual prefixes."""
    sidecar = tmp_path / "IMG_2.jpg.xmp"
    sidecar.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 4.4.0-Exiv2">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '  <rdf:Description rdf:about=""\n'
        '    xmlns:xmp="http://ns.adobe.com/xap/1.0/"\n'
        '    xmlns:darktable="http://darktable.sf.net/"\n'
        '    xmlns:d="http://purl.org/dc/elements/1.1/"\n'
        '   xmp:Rating="2" darktable:xmp_version="5" darktable:history_end="1">\n'
        "   <darktable:history>\n"
        "    <rdf:Seq>\n"
        '     <rdf:li darktable:num="0" darktable:operation="exposure" darktable:enabled="1"'
        ' darktable:params="0000c03f" darktable:multi_name="a &amp; b &lt;1&gt;"/>\n'
        "    </rdf:Seq>\n"
        "   </darktable:history>\n"
        "   <d:subject><rdf:Bag><rdf:li>mine</rdf:li></rdf:Bag></d:subject>\n"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n",
        encoding="utf-8",
    )
    before = tags(sidecar)

    merge_into(sidecar, [REX])

    text = sidecar.read_text(encoding="utf-8")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<x:xmpmeta')
    assert "<d:subject>" in text  # the file's own prefix, not a new one
    assert without_keywords(tags(sidecar)) == without_keywords(before)
    assert keywords(sidecar)["XMP-dc:Subject"] == ["mine", "Animals", "Pets", "Rex"]


def test_unicode_and_markup_in_labels_round_trip(tmp_path):
    sidecar = tmp_path / "IMG 3 ünïcødé.jpg.xmp"
    odd = Tag(("Straße & <Café>", '日本 "quoted"'), 0.5, True)
    merge_into(sidecar, [odd])
    assert keywords(sidecar)["XMP-lr:HierarchicalSubject"] == ['Straße & <Café>|日本 "quoted"']
    assert xmp.read(sidecar).keywords(xmp.HIERARCHICAL) == ['Straße & <Café>|日本 "quoted"']


def test_an_unreadable_sidecar_is_refused_and_left_alone(tmp_path):
    for content in (b"<x:xmpmeta", b"<!DOCTYPE x [<!ENTITY a 'b'>]><x/>", b"<a>no rdf</a>"):
        with pytest.raises(xmp.XmpError):
            Packet(content)


def test_a_failed_write_leaves_the_old_sidecar_and_no_temporary_file(tmp_path, monkeypatch):
    sidecar = make_lightroom_sidecar(tmp_path / "IMG_1.jpg.xmp")
    original = sidecar.read_bytes()
    packet = xmp.read(sidecar)
    xmp.merge(packet, [REX], {}, None)

    def disk_full(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError, match="No space"):
        xmp.write(sidecar, packet)

    assert sidecar.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["IMG_1.jpg.xmp"]


def test_a_rewritten_sidecar_keeps_its_permissions(tmp_path):
    sidecar = make_digikam_sidecar(tmp_path / "a.jpg.xmp")
    sidecar.chmod(0o640)
    merge_into(sidecar, [REX])
    assert sidecar.stat().st_mode & 0o777 == 0o640
    fresh = tmp_path / "b.jpg.xmp"
    merge_into(fresh, [REX])
    assert fresh.stat().st_mode & 0o777 == xmp.NEW_SIDECAR_MODE


# ----- naming -----------------------------------------------------------------------------


def test_sidecar_names(tmp_path):
    for name in ("plain.jpg", "adobe.jpg", "raw+jpeg.jpg", "raw+jpeg.cr2", "both.jpg"):
        (tmp_path / name).write_bytes(b"")
    for name in ("adobe.xmp", "raw+jpeg.xmp", "both.xmp", "both.jpg.xmp"):
        (tmp_path / name).write_bytes(b"")
    names = SidecarNames()

    assert names.to_write(tmp_path / "plain.jpg") == tmp_path / "plain.jpg.xmp"
    assert names.to_read(tmp_path / "plain.jpg") == []
    # Only an Adobe-style sidecar: update it rather than adding a second.
    assert names.to_write(tmp_path / "adobe.jpg") == tmp_path / "adobe.xmp"
    assert names.to_read(tmp_path / "adobe.jpg") == [tmp_path / "adobe.xmp"]
    # raw+jpeg.xmp may be the raw file's: neither read nor written for the JPEG.
    assert names.to_write(tmp_path / "raw+jpeg.jpg") == tmp_path / "raw+jpeg.jpg.xmp"
    assert names.to_read(tmp_path / "raw+jpeg.jpg") == []
    # Both names: write the extension-kept one, read both.
    assert names.to_write(tmp_path / "both.jpg") == tmp_path / "both.jpg.xmp"
    assert names.to_read(tmp_path / "both.jpg") == [
        tmp_path / "both.jpg.xmp",
        tmp_path / "both.xmp",
    ]


# ----- through the Library ----------------------------------------------------------------


@pytest.fixture
def own_photos(writable_photos) -> Path:
    return writable_photos[1]


@pytest.fixture
def small_library(writable_photos):
    with Library(writable_photos[0]) as library:
        yield library


def test_library_writes_confirmed_tags_and_removes_them_when_untagged(small_library, own_photos):
    red = own_photos / "red_00.jpg"
    small_library.tag("red", [red])
    small_library.tag("warm", [red])
    sidecar = own_photos / "red_00.jpg.xmp"

    report = small_library.write_sidecars()
    assert report.written == [str(sidecar)]
    assert report.unchanged == 5
    assert report.failed == []
    assert keywords(sidecar)["XMP-dc:Subject"] == ["red", "warm"]
    assert not (own_photos / "blue_00.jpg.xmp").exists()  # nothing to say: no empty sidecars

    assert small_library.write_sidecars().written == []
    small_library.untag("warm", [red])
    small_library.write_sidecars()
    assert keywords(sidecar)["XMP-dc:Subject"] == ["red"]


def test_a_users_keyword_equal_to_a_label_is_never_removed(small_library, own_photos):
    blue = own_photos / "blue_00.jpg"
    sidecar = make_digikam_sidecar(own_photos / "blue_00.jpg.xmp")
    small_library.tag("Ann", [blue])  # the user had "Ann" before Phototag wrote anything
    small_library.write_sidecars()
    small_library.untag("Ann", [blue])
    small_library.write_sidecars()
    assert keywords(sidecar)["XMP-dc:Subject"] == ["Home", "Ann"]


def test_label_hierarchy_is_written_as_paths(small_library, own_photos):
    small_library.tag("red", [own_photos / "red_00.jpg"])
    for name in ("colour", "warm colours"):
        small_library.add_label(name)
    ids = {r["name"]: r["id"] for r in small_library.store.query("SELECT id, name FROM labels")}
    with small_library.store.transaction() as conn:
        conn.execute(
            "UPDATE labels SET parent = ? WHERE id = ?", (ids["colour"], ids["warm colours"])
        )
        conn.execute("UPDATE labels SET parent = ? WHERE id = ?", (ids["warm colours"], ids["red"]))
    small_library.write_sidecars()
    assert keywords(own_photos / "red_00.jpg.xmp") == {
        "XMP-dc:Subject": ["colour", "warm colours", "red"],
        "XMP-lr:HierarchicalSubject": ["colour|warm colours|red"],
        "XMP-digiKam:TagsList": ["colour/warm colours/red"],
    }


def test_predicted_tags_only_when_asked(small_library, own_photos):
    small_library.tag("red", [own_photos / "red_00.jpg", own_photos / "red_01.jpg"])
    small_library.write_sidecars()
    assert not (own_photos / "red_02.jpg.xmp").exists()

    suggested = {p.path for p in small_library.predictions("red") if not p.labels["red"].confirmed}
    small_library.write_sidecars(predicted=True)
    assert suggested, "the tiny model should spread red to another red photo"
    for path in suggested:
        found = tags(Path(path + ".xmp"))
        assert found["XMP-dc:Subject"] == ["red"]
        assert found["XMP-phototag:Labels"][0]["Confirmed"] is False


def test_failures_are_reported_and_the_rest_is_written(small_library, own_photos):
    small_library.tag("red", [own_photos / "red_00.jpg", own_photos / "red_01.jpg"])
    (own_photos / "red_00.jpg.xmp").mkdir()  # something in the way that is not a sidecar
    broken = own_photos / "red_01.jpg.xmp"
    broken.write_bytes(b"<not xml")

    report = small_library.write_sidecars()

    assert [path for path, _ in report.failed] == [
        str(own_photos / "red_00.jpg.xmp"),
        str(broken),
    ]
    assert "not valid XML" in report.failed[1][1]
    assert broken.read_bytes() == b"<not xml"
    assert not [p for p in own_photos.iterdir() if p.name.endswith(".tmp")]


def test_odd_file_names(small_library, own_photos):
    odd = []
    for index, name in enumerate(["with space.jpg", "ünïcødé 写真.jpg", "new\nline.jpg"]):
        shutil.copy(own_photos / f"red_0{index}.jpg", own_photos / name)
        odd.append(own_photos / name)
    small_library.scan()
    small_library.tag("odd", odd)

    small_library.write_sidecars()

    for path in odd:
        assert keywords(path.with_name(path.name + ".xmp"))["XMP-dc:Subject"] == ["odd"]


def test_writing_sidecars_in_a_watched_folder_causes_no_ingest_work(small_library, own_photos):
    small_library.tag("red", [own_photos / f"red_0{i}.jpg" for i in range(3)])
    events: list = []
    watcher = Watcher(
        small_library.root,
        on_event=events.append,
        settle_seconds=0.1,
        folder_check_seconds=0.2,
        poll_seconds=0.2,
    )
    watcher.start()
    try:
        deadline = time.monotonic() + 30
        while not any(isinstance(e, Batch) for e in events) and time.monotonic() < deadline:
            time.sleep(0.05)  # the start-up reconcile
        assert any(isinstance(e, Batch) for e in events)
        events.clear()
        assert small_library.write_sidecars(predicted=True).written
        time.sleep(1.5)  # several settle and folder checks
    finally:
        watcher.stop()
    assert [e for e in events if isinstance(e, Batch)] == []


def test_merging_one_field_keeps_others_keywords_and_drops_only_stale_ones_it_owns():
    values, owned = xmp.merge_field(
        ["Holiday", "Rex", "Old", "Holiday"], ["Rex", "Beach"], {"Rex", "Old"}
    )
    assert values == ["Holiday", "Rex", "Beach"]
    assert owned == {"Rex", "Beach"}
    # A keyword someone else wrote before Phototag wanted it stays theirs.
    assert xmp.merge_field(["Beach"], ["Beach"], set()) == (["Beach"], set())
    assert xmp.merge_field([], [], {"Gone"}) == ([], set())


def test_keywords_for_a_tag_tree():
    fields = xmp.keywords_for([REX, BEACH, Tag(("Animals", "Pets", "Cat"), 0.5, False)])
    assert fields == {
        xmp.SUBJECT: ["Animals", "Pets", "Rex", "Beach", "Cat"],
        xmp.HIERARCHICAL: ["Animals|Pets|Rex", "Beach", "Animals|Pets|Cat"],
        xmp.TAGS_LIST: ["Animals/Pets/Rex", "Beach", "Animals/Pets/Cat"],
    }


def test_the_private_records_hold_each_labels_path_score_and_confirmation():
    assert xmp.private_records([REX, BEACH]) == [
        ("Animals|Pets|Rex", "0.9700", "True"),
        ("Beach", "0.8100", "False"),
    ]


def test_a_merge_records_the_model_and_labels_and_clears_them_with_the_last_label():
    packet = Packet.new()
    merged = xmp.merge(packet, [REX, BEACH], {}, "tiny-random/abc")
    assert merged.changed
    assert packet.private() == ("tiny-random/abc", xmp.private_records([REX, BEACH]))
    reread = Packet(packet.serialize())
    assert reread.private() == packet.private()
    assert reread.keywords(xmp.HIERARCHICAL) == ["Animals|Pets|Rex", "Beach"]
    cleared = xmp.merge(reread, [], merged.owned, "tiny-random/abc")
    assert cleared.changed
    assert reread.private() == (None, [])
    assert [reread.keywords(field) for field in xmp.FIELDS] == [[], [], []]
    assert xmp.PHOTOTAG.encode() not in reread.serialize()


def test_keywords_are_read_from_attributes_single_values_and_arrays_alike():
    packet = Packet(
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF'
        b' xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        b' xmlns:dc="http://purl.org/dc/elements/1.1/">'
        b'<rdf:Description rdf:about="" dc:subject="Flat"/>'
        b'<rdf:Description rdf:about=""><dc:subject> Single </dc:subject></rdf:Description>'
        b'<rdf:Description rdf:about=""><dc:subject><rdf:Bag><rdf:li> A </rdf:li><rdf:li/>'
        b"<rdf:li>B</rdf:li></rdf:Bag></dc:subject></rdf:Description>"
        b"</rdf:RDF></x:xmpmeta>"
    )
    assert packet.keywords(xmp.SUBJECT) == ["Flat", "Single", "A", "B"]
    packet.set_keywords(xmp.SUBJECT, ["A", "B", "C"])
    assert packet.keywords(xmp.SUBJECT) == ["A", "B", "C"]
    assert Packet(packet.serialize()).keywords(xmp.SUBJECT) == ["A", "B", "C"]
    packet.set_keywords(xmp.SUBJECT, [])
    assert packet.keywords(xmp.SUBJECT) == []
    assert b"subject" not in packet.serialize()


def test_an_array_keeps_its_items_in_place_drops_duplicates_and_appends_new_ones():
    packet = Packet(
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF'
        b' xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        b' xmlns:dc="http://purl.org/dc/elements/1.1/">'
        b'<rdf:Description rdf:about=""><dc:subject><rdf:Bag>'
        b'<rdf:li xml:lang="en">A</rdf:li><rdf:li>Gone</rdf:li><rdf:li>B</rdf:li><rdf:li>A</rdf:li>'
        b"</rdf:Bag></dc:subject></rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    packet.set_keywords(xmp.SUBJECT, ["B", "A", "C"])
    assert packet.keywords(xmp.SUBJECT) == ["A", "B", "C"]
    assert b'xml:lang="en">A<' in packet.serialize()


TWO_DESCRIPTIONS = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF'
    b' xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
    b' xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    b'<rdf:Description rdf:about="" xmp:Rating="3"/>'
    b'<rdf:Description rdf:about=""><dc:title><rdf:Alt><rdf:li xml:lang="x-default">Trip'
    b"</rdf:li></rdf:Alt></dc:title></rdf:Description>"
    b"</rdf:RDF></x:xmpmeta>"
)


def test_merging_the_same_labels_again_into_a_sidecar_of_several_descriptions_changes_nothing():
    """Phototag's model goes in the first rdf:Description; one after it without a model must not
    hide it, or every write would rewrite every such sidecar."""
    packet = Packet(TWO_DESCRIPTIONS)
    first = xmp.merge(packet, [REX, BEACH], {}, "tiny-random/abc")
    reread = Packet(packet.serialize())
    assert reread.private() == ("tiny-random/abc", xmp.private_records([REX, BEACH]))
    assert not xmp.merge(reread, [REX, BEACH], first.owned, "tiny-random/abc").changed


def test_each_private_record_is_written_as_an_rdf_struct():
    """An array item holding fields must be a parseType="Resource" struct (RDF/XML, and the XMP
    specification's form for a struct in an array), or strict RDF readers drop the record."""
    packet = Packet.new()
    xmp.merge(packet, [REX, BEACH], {}, "tiny-random/abc")
    rdf = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
    ours = f"{{{xmp.PHOTOTAG}}}"
    labels = next(Packet(packet.serialize()).rdf.iter(f"{ours}labels"))
    items = labels.iter(f"{rdf}li")
    assert [(item.attrib, [field.tag.removeprefix(ours) for field in item]) for item in items] == [
        ({f"{rdf}parseType": "Resource"}, ["name", "score", "confirmed"])
    ] * 2


def test_a_keyword_removed_by_hand_while_the_labels_stayed_is_written_back():
    """Only the keywords differ (Phototag's own records are as it left them): still a change,
    or the sidecar would never be rewritten and the keyword would stay lost."""
    packet = Packet.new()
    first = xmp.merge(packet, [REX, BEACH], {}, "tiny-random/abc")
    edited = Packet(packet.serialize())
    edited.set_keywords(xmp.SUBJECT, ["Animals", "Pets", "Rex"])

    again = xmp.merge(edited, [REX, BEACH], first.owned, "tiny-random/abc")

    assert again.changed
    assert edited.keywords(xmp.SUBJECT) == ["Animals", "Pets", "Rex", "Beach"]


def test_merging_no_labels_into_someone_elses_sidecar_changes_nothing():
    packet = Packet(TWO_DESCRIPTIONS)
    assert not xmp.merge(packet, [], {}, "tiny-random/abc").changed
    assert packet.private() == (None, [])


def test_keywords_of_an_embedded_document_are_not_the_photos():
    """An xmpMM:Pantry keeps the metadata of documents placed in this one (InDesign writes it):
    their dc:subject, as a struct's field or as a property attribute, is not the photo's, and
    setting the photo's keywords leaves it alone. An empty dc:subject holds no keyword."""
    packet = Packet(
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF'
        b' xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        b' xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"'
        b' xmlns:lr="http://ns.adobe.com/lightroom/1.0/"'
        b' xmlns:dc="http://purl.org/dc/elements/1.1/">'
        b'<rdf:Description rdf:about=""><lr:hierarchicalSubject/>'
        b"<dc:subject><rdf:Bag><rdf:li>Mine</rdf:li></rdf:Bag></dc:subject>"
        b'<xmpMM:Pantry><rdf:Bag><rdf:li rdf:parseType="Resource">'
        b"<dc:subject><rdf:Bag><rdf:li>Placed</rdf:li></rdf:Bag></dc:subject></rdf:li>"
        b'<rdf:li dc:subject="Also placed"/></rdf:Bag></xmpMM:Pantry>'
        b"</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    assert packet.keywords(xmp.SUBJECT) == ["Mine"]
    assert packet.keywords(xmp.HIERARCHICAL) == []

    packet.set_keywords(xmp.SUBJECT, ["Rex"])

    reread = Packet(packet.serialize())
    assert reread.keywords(xmp.SUBJECT) == ["Rex"]
    assert b"<rdf:li>Placed</rdf:li>" in packet.serialize()
    assert b'dc:subject="Also placed"' in packet.serialize()
