"""Labels that travel: written as keywords where other photo apps read them (XMP sidecars, or
embedded in the photos on request), and keywords other apps wrote learned back as examples.

Phototag remembers, per sidecar (or photo), the keywords it wrote there (table xmp_written), so a
label that stops being true is removed again while every keyword someone else wrote stays, even
one that equals a label's name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from phototag.core.atomic import NotAFile
from phototag.core.batch.sources import is_object_url
from phototag.core.errors import UserError
from phototag.core.interop import exiftool, xmp
from phototag.core.interop.xmp import FIELDS, HIERARCHICAL, SUBJECT, TAGS_LIST, Tag
from phototag.core.options import RAW_SIDECAR_KEEP_EXTENSION, RAW_SIDECAR_NAME
from phototag.core.store import keywords as keywords_sql
from phototag.core.store.database import Store, printable
from phototag.core.store.keywords import LabelNode, WrittenKeyword

FROM_SIDECARS = "xmp"
FROM_EMBEDDED = "embedded"
IMPORT_SOURCES = (FROM_SIDECARS, FROM_EMBEDDED)
# A photo `batch import` brought in from an object store has no folder to hold a sidecar.
OBJECT_NO_SIDECAR = "in an object store (s3://): sidecars are written beside local files only"

# (photo path, [(label name, score, confirmed)]): what the Library says each photo carries.
PhotoLabels = tuple[str, list[tuple[str, float, bool]]]


@dataclass
class WriteReport:
    """Per sidecar (or photo, when embedding): written, already right, or failed and why."""

    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ImportReport:
    photos: int = 0
    labels_created: list[str] = field(default_factory=list)
    examples_added: int = 0
    already: int = 0
    # (photo, label): the user said this photo is not one; the keyword does not overrule that.
    rejected: list[tuple[str, str]] = field(default_factory=list)
    # (photo or sidecar, keyword or file, why): keywords that cannot be labels, unreadable files.
    skipped: list[tuple[str, str, str]] = field(default_factory=list)


# ----- the label tree ---------------------------------------------------------------------


def label_paths(store: Store) -> dict[str, tuple[str, ...]]:
    """Each label's path from the top of its tree (labels.parent) down to it."""
    nodes = {node.id: node for node in keywords_sql.label_tree(store)}
    paths = {}
    for node in nodes.values():
        chain: list[str] = []
        current: LabelNode | None = node
        seen: set[int] = set()
        while current is not None and current.id not in seen:
            seen.add(current.id)
            chain.append(current.name)
            current = None if current.parent is None else nodes.get(current.parent)
        paths[node.name] = tuple(reversed(chain))
    return paths


def _tags(photo_labels: list[tuple[str, float, bool]], paths: dict) -> list[Tag]:
    return [
        Tag(paths.get(name, (name,)), score, confirmed) for name, score, confirmed in photo_labels
    ]


# ----- what Phototag wrote where ----------------------------------------------------------


def _owned(store: Store, path: Path) -> dict[str, set[str]]:
    owned: dict[str, set[str]] = {}
    for row in keywords_sql.keywords_written_to(store, str(path)):
        owned.setdefault(row.field, set()).add(row.keyword)
    return owned


def _record(store: Store, path: Path, owned: dict[str, set[str]]) -> None:
    written = [
        WrittenKeyword(name, keyword) for name, values in owned.items() for keyword in values
    ]
    with store.transaction():
        keywords_sql.replace_keywords_written_to(store, str(path), written)


def _union(first: dict[str, set[str]], second: dict[str, set[str]]) -> dict[str, set[str]]:
    return {name: first.get(name, set()) | second.get(name, set()) for name in {*first, *second}}


def _write_tracked(store: Store, path: Path, before: dict, after: dict, write) -> None:
    """Record both old and new keywords as Phototag's before writing and only the new ones
    after: a crash in between can leave Phototag owning too much, never a keyword it wrote
    unrecorded (which it could then never remove). A write that fails with an OSError (a
    full disk) leaves the file as it was, sidecars and ExifTool alike writing a whole new file
    and renaming it, so the record goes back to what it was: an ENOSPC export had recorded
    keywords as written that never were, which Phototag would have removed had the user typed
    them. An interruption keeps the union: the rename may have happened."""
    _record(store, path, _union(before, after))
    try:
        write()
    except OSError:
        _record(store, path, before)
        raise
    _record(store, path, after)


# ----- writing ----------------------------------------------------------------------------


def write_sidecars(store: Store, photos: Iterable[PhotoLabels], model: str | None) -> WriteReport:
    """Merge each photo's labels into its sidecar, creating one only when there is something
    to write. A failure is reported and the next photo goes on."""
    report = WriteReport()
    names = xmp.SidecarNames(RAW_SIDECAR_NAME.read(store) or RAW_SIDECAR_KEEP_EXTENSION)
    paths = label_paths(store)
    for photo, labels in photos:
        if is_object_url(photo):
            report.failed.append((photo, OBJECT_NO_SIDECAR))
            continue
        sidecar = xmp.extension_kept(Path(photo))
        try:
            sidecar = names.to_write(Path(photo))
            written = _write_sidecar(store, sidecar, _tags(labels, paths), model)
        except (OSError, xmp.XmpError, NotAFile) as exc:
            report.failed.append((printable(str(sidecar)), _reason(exc)))
            continue
        if written:
            report.written.append(str(sidecar))
        else:
            report.unchanged += 1
    return report


def _write_sidecar(store: Store, sidecar: Path, tags: list[Tag], model: str | None) -> bool:
    owned = _owned(store, sidecar)
    if sidecar.exists():
        packet = xmp.read(sidecar)
    elif tags:
        packet = xmp.Packet.new()
    else:
        if owned:
            _record(store, sidecar, {})  # the sidecar was deleted, with what Phototag wrote
        return False
    merged = xmp.merge(packet, tags, owned, model)
    if not merged.changed:
        if merged.owned != owned:
            _record(store, sidecar, merged.owned)
        return False
    _write_tracked(store, sidecar, owned, merged.owned, lambda: xmp.write(sidecar, packet))
    return True


def embed(store: Store, photos: Iterable[PhotoLabels]) -> WriteReport:
    """Merge each photo's labels into the XMP and IPTC keywords inside the photo itself."""
    exiftool.require("writing keywords into photos (--embed)")
    report = WriteReport()
    paths = label_paths(store)
    photos = list(photos)
    current = exiftool.read_keywords([Path(photo) for photo, _ in photos])
    for photo, labels in photos:
        if photo not in current:
            report.failed.append((printable(photo), "ExifTool cannot read this file"))
            continue
        try:
            written = _embed_one(store, Path(photo), current[photo], _tags(labels, paths))
        except OSError as exc:
            report.failed.append((printable(photo), _reason(exc)))
            continue
        if written:
            report.written.append(photo)
        else:
            report.unchanged += 1
    return report


def _embed_one(store: Store, photo: Path, current: dict[str, list[str]], tags: list[Tag]) -> bool:
    desired = xmp.keywords_for(tags)
    desired[exiftool.IPTC] = desired[SUBJECT]
    owned = _owned(store, photo)
    changed: dict[str, list[str]] = {}
    now_owned = {}
    for name in exiftool.EMBEDDED_FIELDS:
        values, now_owned[name] = xmp.merge_field(
            current[name], desired[name], owned.get(name, set())
        )
        if values != current[name]:
            changed[name] = values
    if not changed:
        if now_owned != owned:
            _record(store, photo, now_owned)
        return False
    _write_tracked(store, photo, owned, now_owned, lambda: exiftool.write_keywords(photo, changed))
    return True


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)


# ----- importing --------------------------------------------------------------------------


def keyword_paths(fields: dict[str, list[str]]) -> list[tuple[str, ...]]:
    """Label paths from one photo's keywords: hierarchical ones as written, flat ones only
    when no hierarchy already names them (dc:subject repeats every ancestor)."""
    found = [tuple(value.split("|")) for value in fields.get(HIERARCHICAL, [])]
    found += [tuple(value.split("/")) for value in fields.get(TAGS_LIST, [])]
    found = [tuple(part.strip() for part in path if part.strip()) for path in found]
    found = [path for path in found if path]
    named = {part for path in found for part in path}
    flat = fields.get(SUBJECT, []) + fields.get(exiftool.IPTC, [])
    found += [(value,) for value in flat if value not in named]
    return list(dict.fromkeys(found))


def read_sidecar_keywords(
    store: Store, photos: list[tuple[str, int]], report: ImportReport
) -> list[tuple[str, int, dict[str, list[str]]]]:
    """Keywords from each photo's sidecars (both names), without those Phototag wrote."""
    names = xmp.SidecarNames()
    found = []
    for photo, image_id in photos:
        fields: dict[str, list[str]] = {}
        try:
            sidecars = names.to_read(Path(photo))
        except OSError as exc:  # a name too long to have a sidecar beside it, say
            report.skipped.append((printable(photo), "", _reason(exc)))
            sidecars = []
        for sidecar in sidecars:
            try:
                packet = xmp.read(sidecar)
            except (OSError, xmp.XmpError) as exc:
                report.skipped.append((printable(str(sidecar)), "", _reason(exc)))
                continue
            owned = _owned(store, sidecar)
            for name in FIELDS:
                theirs = [k for k in packet.keywords(name) if k not in owned.get(name, set())]
                fields.setdefault(name, []).extend(theirs)
        found.append((photo, image_id, fields))
    return found


def read_embedded_keywords(
    store: Store, photos: list[tuple[str, int]], report: ImportReport
) -> list[tuple[str, int, dict[str, list[str]]]]:
    """Keywords embedded in the photos (XMP and IPTC), without those Phototag embedded."""
    current = exiftool.read_keywords([Path(photo) for photo, _ in photos])
    found = []
    for photo, image_id in photos:
        if photo not in current:
            report.skipped.append((printable(photo), "", "ExifTool cannot read this file"))
            continue
        owned = _owned(store, Path(photo))
        fields = {
            name: [k for k in values if k not in owned.get(name, set())]
            for name, values in current[photo].items()
        }
        found.append((photo, image_id, fields))
    return found


def learn(
    store: Store,
    found: list[tuple[str, int, dict[str, list[str]]]],
    clean: Callable[[str], str],
    report: ImportReport,
) -> None:
    """Make every keyword a label (its hierarchy as parents) and its photo a positive example,
    source 'import', in one transaction. A photo the user rejected for a label stays rejected;
    running again adds nothing."""
    with store.transaction():
        for photo, image_id, fields in found:
            paths = keyword_paths(fields)
            report.photos += bool(paths)
            for path in paths:
                try:
                    names = [clean(part) for part in path]
                except UserError as exc:
                    report.skipped.append((printable(photo), printable("|".join(path)), str(exc)))
                    continue
                label_id = _ensure_labels(store, names, report)
                _add_example(store, label_id, image_id, photo, names[-1], report)


def _ensure_labels(store: Store, names: list[str], report: ImportReport) -> int:
    """The leaf label's id, creating the path's labels; a label without a parent is given
    the keyword's, one that has a parent keeps it (the user's tree wins)."""
    parent: int | None = None
    for name in names:
        parent = _ensure_label(store, name, parent, report)
    if parent is None:
        raise ValueError("a keyword path names at least one label")
    return parent


def _ensure_label(store: Store, name: str, parent: int | None, report: ImportReport) -> int:
    """One label of a keyword's path, below parent: created there, or given parent when it has
    none yet (and parent is not below it, which would make a loop)."""
    label = keywords_sql.label_named(store, name)
    if label is None:
        created = keywords_sql.create_label(store, name, parent)
        report.labels_created.append(name)
        return created
    if label.parent is None and parent is not None and label.id not in _ancestors(store, parent):
        keywords_sql.set_label_parent(store, label.id, parent)
    return label.id


def _ancestors(store: Store, label_id: int) -> set[int]:
    found: set[int] = set()
    current: int | None = label_id
    while current is not None and current not in found:
        found.add(current)
        current = keywords_sql.label_parent(store, current)
    return found


def _add_example(
    store: Store, label_id: int, image_id: int, photo: str, label: str, report: ImportReport
) -> None:
    polarity = keywords_sql.example_polarity(store, label_id, image_id)
    if polarity == -1:
        report.rejected.append((printable(photo), label))
    elif polarity == 1:
        report.already += 1
    else:
        keywords_sql.add_imported_example(store, label_id, image_id)
        report.examples_added += 1
