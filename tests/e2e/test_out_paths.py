"""Files are what they seem: an OUT path that names a FIFO, a device node or a symbolic link is
refused in one line (exit 1) and left exactly as it was; a sidecar that is a symbolic link is
neither read nor written through, and the export goes on with the other photos."""

from __future__ import annotations

import os
import stat

import pytest

from phototag.core.interop import xmp


def _fifo(tmp_path):
    path = tmp_path / "out.fifo"
    os.mkfifo(path)
    return path


def _device(tmp_path):
    """A null device node of our own (as root); never a real one, in case the refusal breaks."""
    path = tmp_path / "null"
    try:
        os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs root (CI runs as root)")
    return path


def _symlink(tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    link = tmp_path / "out.link"
    link.symlink_to(target)
    return link


COMMANDS = {
    "csv": lambda out: ["export", "--format", "csv", str(out)],
    "json": lambda out: ["export", "--format", "json", str(out)],
    "pack": lambda out: ["labels", "export-pack", "red", str(out)],
    "backup": lambda out: ["backup", str(out)],
}


@pytest.mark.parametrize("make", [_fifo, _device, _symlink], ids=["fifo", "device", "symlink"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_out_path_that_is_not_a_file_is_refused_and_left_alone(
    phototag, photo_set, tmp_path, make, command
):
    assert phototag("tag", "red", str(photo_set[1]["red"][0])).code == 0
    out = make(tmp_path)
    before = os.lstat(out)
    result = phototag(*COMMANDS[command](out))
    assert result.code == 1, result
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert "Traceback" not in result.err
    after = os.lstat(out)
    assert (stat.S_IFMT(after.st_mode), after.st_ino) == (
        stat.S_IFMT(before.st_mode),
        before.st_ino,
    )
    if out.is_symlink():
        assert (tmp_path / "precious.txt").read_text() == "keep me"


PLANTED = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:subject><rdf:Bag><rdf:li>planted</rdf:li>'
    "</rdf:Bag></dc:subject></rdf:Description></rdf:RDF></x:xmpmeta>"
)


def test_a_sidecar_that_is_a_symlink_is_neither_read_nor_written_through(
    phototag, writable_photos, tmp_path
):
    library, folder = writable_photos
    photos = sorted(folder.glob("*.jpg"))
    elsewhere = tmp_path / "elsewhere.xmp"
    elsewhere.write_text(PLANTED)
    names = xmp.SidecarNames()
    link = names.to_write(photos[0])
    link.symlink_to(elsewhere)

    tagged = phototag("tag", "red", *map(str, photos[:2]), library=library)
    assert tagged.code == 0, tagged.err
    exported = phototag("export", "--format", "xmp", library=library)
    assert link.is_symlink()
    assert elsewhere.read_text() == PLANTED
    assert "symbolic link" in exported.out + exported.err
    assert names.to_write(photos[1]).is_file()

    phototag("import-keywords", library=library)
    assert "planted" not in phototag("labels", "list", library=library).out
