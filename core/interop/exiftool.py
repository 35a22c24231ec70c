"""Keywords embedded in the photos themselves (XMP and IPTC inside JPEG, TIFF, PNG, ...), read
and written through ExifTool: rewriting an original in place is where a home-made writer would
risk the user's photo, and ExifTool is the tool every photo program trusts for it. It is an
optional program (Debian/Ubuntu: libimage-exiftool-perl); only these two features need it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from phototag.core.errors import EnvironmentProblem
from phototag.core.interop.xmp import HIERARCHICAL, SUBJECT, TAGS_LIST

IPTC = "iptc"
# ExifTool's names for the keyword fields, by Phototag's field names.
TAGS = {
    SUBJECT: "XMP-dc:Subject",
    HIERARCHICAL: "XMP-lr:HierarchicalSubject",
    TAGS_LIST: "XMP-digiKam:TagsList",
    IPTC: "IPTC:Keywords",
}
EMBEDDED_FIELDS = tuple(TAGS)
FILES_PER_CALL = 100
TIMEOUT_SECONDS = 300
INSTALL_HINT = (
    "install ExifTool (Debian/Ubuntu: apt install libimage-exiftool-perl; "
    "macOS: brew install exiftool; Windows: exiftool.org)"
)


def find() -> str | None:
    return shutil.which("exiftool")


def require(purpose: str) -> str:
    found = find()
    if found is None:
        raise EnvironmentProblem(
            f"{purpose} needs ExifTool, which is not installed: {INSTALL_HINT}"
        )
    return found


def read_keywords(paths: list[Path]) -> dict[str, dict[str, list[str]]]:
    """Each readable file's embedded keywords by field; files ExifTool cannot read are left
    out (the caller reports them)."""
    program = require("reading keywords embedded in photos")
    found: dict[str, dict[str, list[str]]] = {}
    for start in range(0, len(paths), FILES_PER_CALL):
        chunk = paths[start : start + FILES_PER_CALL]
        for record in _json(program, [f"-{tag}" for tag in TAGS.values()], chunk):
            found[record["SourceFile"]] = {
                field: _as_list(record.get(tag.split(":")[1])) for field, tag in TAGS.items()
            }
    return found


def write_keywords(path: Path, fields: dict[str, list[str]]) -> None:
    """Replace these keyword lists inside the photo; every other tag stays as it was."""
    program = require("writing keywords into photos (--embed)")
    arguments = []
    for field, values in fields.items():
        arguments.append(f"-{TAGS[field]}=")
        arguments.extend(f"-{TAGS[field]}={value}" for value in values)
    _run(program, ["-overwrite_original", "-preserve", *arguments], [path])


def _json(program: str, arguments: list[str], paths: list[Path]) -> list[dict]:
    output = _run(program, ["-json", *arguments], paths, failing_ok=True)
    if not output.strip():
        return []
    # Keywords stay text: "2024" or "1.50" must not turn into numbers.
    return json.loads(output, parse_int=str, parse_float=str)


def _run(program: str, arguments: list[str], paths: list[Path], failing_ok: bool = False) -> str:
    """Run ExifTool on these files; absolute paths, so no file name can pass for an option."""
    command = [program, "-quiet", *arguments, *(str(path.absolute()) for path in paths)]
    try:
        completed = subprocess.run(
            command, capture_output=True, timeout=TIMEOUT_SECONDS, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EnvironmentProblem(f"ExifTool did not run: {exc}") from exc
    if completed.returncode != 0 and not failing_ok:
        message = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OSError(message[0] if message else f"ExifTool failed ({completed.returncode})")
    return completed.stdout.decode("utf-8", "replace")


def _as_list(value) -> list[str]:
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    return [str(v).strip() for v in values if str(v).strip()]
