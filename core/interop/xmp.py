"""XMP sidecars, the files other photo tools (Lightroom, digiKam, darktable, Immich) read labels
from: where a photo's sidecar is, which keywords it holds, and how Phototag's keywords are merged
into it without disturbing anything another tool keeps there.

A sidecar is plain RDF/XML. It is parsed without DTDs or entities (it comes from other programs)
and written back by a small serializer that keeps every element, attribute and namespace it does
not own, with their prefixes; only the keyword lists and Phototag's private namespace change. The
meaning is kept, not the bytes: namespace declarations move to the root element.

Keywords go to three fields that must agree (Immich reads whichever it finds first):
dc:subject (flat: the leaf and its ancestors), lr:hierarchicalSubject (`A|B|C`) and
digiKam:TagsList (`A/B/C`). Scores and the model go to Phototag's own namespace, which other
tools ignore.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeGuard
from xml.etree import ElementTree
from xml.etree.ElementTree import Element, ParseError, SubElement

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from phototag.core.atomic import NotAFile, replacing, require_regular_or_absent
from phototag.core.ingest.pairs import is_raw_path
from phototag.core.options import RAW_SIDECAR_KEEP_EXTENSION, RAW_SIDECAR_REPLACE_EXTENSION

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XMPMETA = "adobe:ns:meta/"
DC = "http://purl.org/dc/elements/1.1/"
LR = "http://ns.adobe.com/lightroom/1.0/"
DIGIKAM = "http://www.digikam.org/ns/1.0/"
PHOTOTAG = "https://phototag.invalid/ns/1.0/"
XML = "http://www.w3.org/XML/1998/namespace"

PREFERRED_PREFIXES = {
    RDF: "rdf",
    XMPMETA: "x",
    DC: "dc",
    LR: "lr",
    DIGIKAM: "digiKam",
    PHOTOTAG: "phototag",
    XML: "xml",
}

SUBJECT = "subject"
HIERARCHICAL = "hierarchical"
TAGS_LIST = "tagslist"
FIELDS = (SUBJECT, HIERARCHICAL, TAGS_LIST)
# (property, array kind) per field, as Lightroom and digiKam write them.
_PROPERTIES = {
    SUBJECT: (f"{{{DC}}}subject", "Bag"),
    HIERARCHICAL: (f"{{{LR}}}hierarchicalSubject", "Bag"),
    TAGS_LIST: (f"{{{DIGIKAM}}}TagsList", "Seq"),
}
_ARRAYS = tuple(f"{{{RDF}}}{kind}" for kind in ("Bag", "Seq", "Alt"))
_LI = f"{{{RDF}}}li"
_DESCRIPTION = f"{{{RDF}}}Description"
_ABOUT = f"{{{RDF}}}about"

SIDECAR_SUFFIX = ".xmp"
MAX_SIDECAR_BYTES = 16 * 1024 * 1024
# Real sidecars nest about 8 deep (x:xmpmeta > rdf:RDF > rdf:Description > property > rdf:Bag >
# rdf:li ...); 5,000 levels made the serializer raise RecursionError and stopped the export.
MAX_DEPTH = 64
# Keywords per field a sidecar may hold to be read: 100,000 dc:subject items made
# import-keywords create 100,000 labels and every later command slow (> 60 s).
MAX_KEYWORDS = 1_000
NEW_SIDECAR_MODE = 0o644  # like the photos beside it; the temporary file starts private
_NEW_SIDECAR = (
    "<?xpacket begin='\ufeff' id='W5M0MpCehiHzreSzNTczkc9d'?>\n"
    f"<x:xmpmeta xmlns:x='{XMPMETA}' x:xmptk='Phototag'>\n"
    f" <rdf:RDF xmlns:rdf='{RDF}'>\n"
    "  <rdf:Description rdf:about=''>\n"
    "  </rdf:Description>\n"
    " </rdf:RDF>\n"
    "</x:xmpmeta>\n"
    "<?xpacket end='w'?>\n"
).encode()


class XmpError(ValueError):
    """A sidecar that is not XMP Phototag can safely rewrite; it is left as it is."""


@dataclass(frozen=True)
class Tag:
    """One label to write: its path from the top of the label tree to it, and how sure."""

    path: tuple[str, ...]
    score: float
    confirmed: bool


def keywords_for(tags: Iterable[Tag]) -> dict[str, list[str]]:
    """The three keyword fields for a set of labels, from one tag tree."""
    fields: dict[str, list[str]] = {field: [] for field in FIELDS}
    for tag in tags:
        fields[SUBJECT].extend(tag.path)
        fields[HIERARCHICAL].append("|".join(tag.path))
        fields[TAGS_LIST].append("/".join(tag.path))
    return {field: list(dict.fromkeys(values)) for field, values in fields.items()}


# ----- where a photo's sidecar is ---------------------------------------------------------


class SidecarNames:
    """Sidecar names for photos: `name.ext.xmp` is written; `name.xmp` (Lightroom, Capture One)
    is read, and updated instead of adding a second file, when it can only be this photo's:
    no other file in the folder shares the photo's name without its extension, or the photo is
    the one RAW file of that name (Lightroom writes sidecars only for RAW, so beside `IMG_1.jpg`
    and `IMG_1.cr2`, `IMG_1.xmp` is the RAW's and never the JPEG's). A RAW file without a
    sidecar gets `name.xmp` when `raw_style` says so (options.RAW_SIDECAR_NAME). Folder
    listings are cached for one run."""

    def __init__(self, raw_style: str = RAW_SIDECAR_KEEP_EXTENSION) -> None:
        self._raw_style = raw_style
        self._stems: dict[Path, dict[str, tuple[int, int]]] = {}

    def to_write(self, photo: Path) -> Path:
        kept = extension_kept(photo)
        if kept.exists():
            return kept
        existing = self._adobe(photo)
        if existing is not None:
            return existing
        if is_raw_path(photo) and self._raw_style == RAW_SIDECAR_REPLACE_EXTENSION:
            return photo.with_suffix(SIDECAR_SUFFIX)
        return kept

    def to_read(self, photo: Path) -> list[Path]:
        found = [extension_kept(photo), self._adobe(photo)]
        return [path for path in found if path is not None and path.is_file()]

    def _adobe(self, photo: Path) -> Path | None:
        """The existing `name.xmp` sidecar when it can only be this photo's."""
        files, raws = self._stem_count(photo.parent).get(photo.stem.casefold(), (0, 0))
        if not (files == 1 or (is_raw_path(photo) and raws == 1)):
            return None
        for suffix in (SIDECAR_SUFFIX, SIDECAR_SUFFIX.upper()):
            candidate = photo.with_suffix(suffix)
            if candidate.is_file():
                return candidate
        return None

    def _stem_count(self, folder: Path) -> dict[str, tuple[int, int]]:
        """Per name without extension: how many files (sidecars aside), how many of them RAW."""
        if folder not in self._stems:
            counts: dict[str, tuple[int, int]] = {}
            try:
                names = os.listdir(folder)
            except OSError:
                names = []
            for name in names:
                stem, suffix = os.path.splitext(name)
                if suffix.lower() != SIDECAR_SUFFIX:
                    files, raws = counts.get(stem.casefold(), (0, 0))
                    counts[stem.casefold()] = (files + 1, raws + is_raw_path(name))
            self._stems[folder] = counts
        return self._stems[folder]


def extension_kept(photo: Path) -> Path:
    return photo.with_name(photo.name + SIDECAR_SUFFIX)


# ----- reading and changing one packet ----------------------------------------------------


class Packet:
    """One parsed XMP packet, changed in place and serialized back."""

    def __init__(self, data: bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise XmpError("not UTF-8 text") from exc
        prefixes: dict[str, str] = {}
        try:
            events = iterparse(
                io.BytesIO(data), events=("start-ns", "start", "end"), forbid_dtd=True
            )
            depth = 0
            for event, item in events:
                if event == "start-ns":
                    prefixes.setdefault(item[1], item[0])
                elif event == "start":
                    depth += 1
                    if depth > MAX_DEPTH:
                        raise XmpError(f"nested deeper than {MAX_DEPTH} levels: not a sidecar")
                else:
                    depth -= 1
            self.root: Element = events.root
        except (ParseError, DefusedXmlException) as exc:
            raise XmpError(f"not valid XML: {exc}") from exc
        self.rdf = self._find_rdf()
        self._refuse_keyword_floods()
        self._prefixes = prefixes
        self._prolog, self._epilog = _outside_root(text)

    @classmethod
    def new(cls) -> Packet:
        return cls(_NEW_SIDECAR)

    def _refuse_keyword_floods(self) -> None:
        for field, (tag, _kind) in _PROPERTIES.items():
            count = sum(1 for prop in self.rdf.iter(tag) for _ in prop.iter(_LI))
            if count > MAX_KEYWORDS:
                raise XmpError(f"{count} keywords in {field}, more than {MAX_KEYWORDS}: not read")

    def _find_rdf(self) -> Element:
        found = next(self.root.iter(f"{{{RDF}}}RDF"), None)
        if found is None:
            raise XmpError("no rdf:RDF element: not an XMP packet")
        return found

    # keywords

    def keywords(self, field: str) -> list[str]:
        """The field's values in order; a simple (non-array) value counts as one."""
        tag, _kind = _PROPERTIES[field]
        values: list[str] = []
        for description in self.rdf.iter(_DESCRIPTION):
            if tag in description.attrib:
                values.append(description.attrib[tag])
            for prop in description.findall(tag):
                items = [li for array in prop if array.tag in _ARRAYS for li in array.iter(_LI)]
                text = (prop.text or "").strip()
                if items:
                    values.extend((li.text or "").strip() for li in items)
                elif text:
                    values.append(text)
        return [value for value in values if value]

    def set_keywords(self, field: str, values: list[str]) -> None:
        """Make the field hold exactly `values`: kept items stay as they were (attributes and
        all), new ones are appended; an empty field is removed."""
        tag, kind = _PROPERTIES[field]
        for description in self.rdf.iter(_DESCRIPTION):
            if tag in description.attrib:
                del description.attrib[tag]
        props = [(d, p) for d in self.rdf.iter(_DESCRIPTION) for p in d.findall(tag)]
        for description, prop in props[1:]:
            _remove(description, prop)
        if not values:
            if props:
                _remove(*props[0])
            return
        existing = _array(props[0][1]) if props else None
        if existing is not None:
            _update_array(existing, values)
            return
        if props:
            _remove(*props[0])
        prop = Element(tag)
        array = SubElement(prop, f"{{{RDF}}}{kind}")
        for value in values:
            SubElement(array, _LI).text = value
        _insert(self._description_for(tag), prop)

    # Phototag's private namespace

    def private(self) -> tuple[str | None, list[tuple[str, str, str]]]:
        """The model and the (label, score, confirmed) records Phototag last wrote."""
        model = None
        records: list[tuple[str, str, str]] = []
        for description in self.rdf.iter(_DESCRIPTION):
            model = description.findtext(f"{{{PHOTOTAG}}}model", model)
            for record in description.iterfind(f"{{{PHOTOTAG}}}labels/*/{_LI}"):
                name, score, confirmed = (
                    record.findtext(f"{{{PHOTOTAG}}}{field}", "")
                    for field in ("name", "score", "confirmed")
                )
                records.append((name, score, confirmed))
        return model, records

    def set_private(self, model: str | None, tags: list[Tag]) -> None:
        """Replace everything in Phototag's namespace with the labels just written."""
        for description in self.rdf.iter(_DESCRIPTION):
            for key in [k for k in description.attrib if k.startswith(f"{{{PHOTOTAG}}}")]:
                del description.attrib[key]
            for prop in [p for p in description if p.tag.startswith(f"{{{PHOTOTAG}}}")]:
                _remove(description, prop)
        if not tags:
            return
        description = self._description_for(f"{{{PHOTOTAG}}}labels")
        if model:
            _insert(description, Element(f"{{{PHOTOTAG}}}model")).text = model
        labels = Element(f"{{{PHOTOTAG}}}labels")
        bag = SubElement(labels, f"{{{RDF}}}Bag")
        for record in private_records(tags):
            item = SubElement(bag, _LI, {f"{{{RDF}}}parseType": "Resource"})
            for name, value in zip(("name", "score", "confirmed"), record, strict=True):
                SubElement(item, f"{{{PHOTOTAG}}}{name}").text = value
        _insert(description, labels)

    def _description_for(self, tag: str) -> Element:
        """The rdf:Description new properties go in: one already using the property's
        namespace, else the first, else a new one about the same resource."""
        namespace = tag[: tag.index("}") + 1]
        descriptions = self.rdf.findall(_DESCRIPTION)
        for description in descriptions:
            if any(child.tag.startswith(namespace) for child in description):
                return description
        if descriptions:
            return descriptions[0]
        return _insert(self.rdf, Element(_DESCRIPTION, {_ABOUT: ""}))

    # writing

    def serialize(self) -> bytes:
        names = _Names(self._prefixes)
        body: list[str] = []
        _serialize(self.root, names, body)
        declarations = "".join(
            f' xmlns:{prefix}="{_attribute(uri)}"' for uri, prefix in names.used.items()
        )
        root_start = body[0]
        cut = len(root_start) - (2 if root_start.endswith("/>") else 1)
        body[0] = root_start[:cut] + declarations + root_start[cut:]
        return (self._prolog + "".join(body) + self._epilog).encode("utf-8")


def private_records(tags: Iterable[Tag]) -> list[tuple[str, str, str]]:
    return [
        ("|".join(tag.path), f"{tag.score:.4f}", "True" if tag.confirmed else "False")
        for tag in tags
    ]


def _array(prop: Element) -> Element | None:
    return next((child for child in prop if child.tag in _ARRAYS), None)


def _update_array(array: Element, values: list[str]) -> None:
    wanted = dict.fromkeys(values)
    seen: set[str] = set()
    for li in array.findall(_LI):
        text = (li.text or "").strip()
        if text not in wanted or text in seen:
            _remove(array, li)
        seen.add(text)
    for value in wanted:
        if value not in seen:
            _insert(array, Element(_LI)).text = value


def _remove(parent: Element, child: Element) -> None:
    """Remove child and the whitespace before it, so the indentation stays tidy."""
    index = list(parent).index(child)
    if index:
        parent[index - 1].tail = child.tail
    parent.remove(child)


def _insert(parent: Element, child: Element) -> Element:
    """Append a finished subtree indented like its new siblings (the file's own style where
    there is one), its inside indented one space further per level."""
    children = list(parent)
    if children:
        indent = parent.text if _blank(parent.text) else "\n"
        child.tail = children[-1].tail
        children[-1].tail = indent
    else:
        closing = parent.text if _blank(parent.text) else "\n"
        indent = closing + " "
        parent.text = indent
        child.tail = closing
    parent.append(child)
    indent_level = len(indent.rsplit("\n", 1)[-1])
    ElementTree.indent(child, space=" ", level=indent_level)
    return child


def _blank(text: str | None) -> TypeGuard[str]:
    """Whitespace with a line break: an indent to copy. (A TypeGuard: true means not None.)"""
    return text is not None and "\n" in text and not text.strip()


def _outside_root(text: str) -> tuple[str, str]:
    """The text before the root element (XML declaration, <?xpacket begin?>) and after it
    (padding, <?xpacket end?>), kept as they were."""
    start = re.search(r"<[^?!]", text)
    if start is None:
        return "", ""
    opening = re.match(r"<([^\s/>]+)", text[start.start() :])
    if opening is None:  # not after a successful parse: this is the root's start tag
        return text[: start.start()], ""
    name = opening.group(1)
    end = text.rfind(f"</{name}")
    if end < 0:
        return text[: start.start()], ""
    return text[: start.start()], text[text.index(">", end) + 1 :]


class _Names:
    """Prefixes for namespace URIs: the file's own where it had them, ours, else made up. No
    default namespace is ever declared, so attributes and elements share one mapping."""

    def __init__(self, found: dict[str, str]):
        self._known = {**{uri: p for uri, p in found.items() if p}, **{XML: "xml"}}
        self.used: dict[str, str] = {}

    def qualified(self, name: str) -> str:
        if not name.startswith("{"):
            return name
        uri, local = name[1:].split("}", 1)
        if uri == XML:
            return f"xml:{local}"
        if uri not in self.used:
            self.used[uri] = self._free_prefix(uri)
        return f"{self.used[uri]}:{local}"

    def _free_prefix(self, uri: str) -> str:
        wanted = self._known.get(uri) or PREFERRED_PREFIXES.get(uri) or "ns"
        taken = set(self.used.values()) | {"xml", "xmlns"}
        prefix, number = wanted, 1
        while prefix in taken:
            prefix, number = f"{wanted}{number}", number + 1
        return prefix


def _serialize(element: Element, names: _Names, out: list[str]) -> None:
    tag = names.qualified(element.tag)
    attributes = "".join(
        f' {names.qualified(key)}="{_attribute(value)}"' for key, value in element.attrib.items()
    )
    if len(element) == 0 and not element.text:
        out.append(f"<{tag}{attributes}/>")
        return
    out.append(f"<{tag}{attributes}>")
    out.append(_text(element.text or ""))
    for child in element:
        _serialize(child, names, out)
        out.append(_text(child.tail or ""))
    out.append(f"</{tag}>")


def _text(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def _attribute(value: str) -> str:
    escaped = _text(value).replace('"', "&quot;")
    return escaped.replace("\n", "&#10;").replace("\t", "&#9;")


# ----- one sidecar, merged and written ----------------------------------------------------


@dataclass(frozen=True)
class Merge:
    """What merging into one sidecar did: whether it changed, and which keywords per field
    Phototag owns there now (to remove them, and only them, when they stop being true)."""

    changed: bool
    owned: dict[str, set[str]]


def read(path: Path) -> Packet:
    """A sidecar's packet; a symbolic link or anything but a regular file is refused, so a
    sidecar planted as a link never makes Phototag read (or learn keywords from) its target."""
    try:
        require_regular_or_absent(path)
    except NotAFile as exc:
        raise XmpError(str(exc)) from None
    with open(path, "rb") as handle:
        data = handle.read(MAX_SIDECAR_BYTES + 1)
    if len(data) > MAX_SIDECAR_BYTES:
        raise XmpError(f"larger than {MAX_SIDECAR_BYTES // 2**20} MB: not a sidecar")
    return Packet(data)


def merge(packet: Packet, tags: list[Tag], owned: dict[str, set[str]], model: str | None) -> Merge:
    """Add the labels' keywords, drop the ones Phototag wrote earlier that are no longer true,
    and leave every keyword someone else wrote, even one that equals a label's name."""
    desired = keywords_for(tags)
    changed = False
    now_owned = {}
    for field in FIELDS:
        current = packet.keywords(field)
        values, now_owned[field] = merge_field(current, desired[field], owned.get(field, set()))
        if values != current:
            packet.set_keywords(field, values)
            changed = True
    if packet.private() != (model if tags else None, private_records(tags)):
        packet.set_private(model, tags)
        changed = True
    return Merge(changed, now_owned)


def merge_field(
    current: list[str], desired: list[str], owned: set[str]
) -> tuple[list[str], set[str]]:
    """One keyword list merged: (its new values, the ones Phototag owns in it). A keyword that
    was there before Phototag first wanted it stays someone else's."""
    stale = owned - set(desired)
    kept = [value for value in dict.fromkeys(current) if value not in stale]
    added = [value for value in desired if value not in kept]
    return kept + added, (owned & set(desired)) | set(added)


def write(path: Path, packet: Packet) -> None:
    """Replace the sidecar whole (temporary file + rename) with the permissions it had."""
    data = packet.serialize()
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        mode = NEW_SIDECAR_MODE
    with replacing(path) as temporary:
        temporary.write_bytes(data)
        os.chmod(temporary, mode)
