"""What a label may be called, and finding a label by the name a person typed."""

from __future__ import annotations

import difflib
import unicodedata

from phototag.core.errors import UserError
from phototag.core.store import labels as stored
from phototag.core.store.database import Store, is_storable, printable
from phototag.core.store.labels import LabelRow

LABEL_NAME_MAX = 200
# lr:hierarchicalSubject and digiKam:TagsList use these as hierarchy separators, so a label
# containing one could not be written to XMP unambiguously.
LABEL_FORBIDDEN = "|/"


def clean_label_name(name: str) -> str:
    """Labels become XMP keywords and file-system-safe names elsewhere, so some are refused."""
    cleaned = unicodedata.normalize("NFC", name).strip()
    if not cleaned:
        raise UserError("a label needs a name")
    if len(cleaned) > LABEL_NAME_MAX:
        raise UserError(f"label names are at most {LABEL_NAME_MAX} characters")
    if any(ch in cleaned for ch in LABEL_FORBIDDEN):
        raise UserError(f"label {cleaned!r}: '|' and '/' are reserved for label hierarchies")
    if not is_storable(cleaned):
        raise UserError(f"label {printable(cleaned)!r} is not valid UTF-8 text")
    if any(unicodedata.category(ch) == "Cc" for ch in cleaned):
        raise UserError(f"label {cleaned!r} contains control characters")
    return cleaned


def find_label(store: Store, name: str) -> LabelRow | None:
    """The label a typed name means (after cleaning), if it exists."""
    return stored.label_named(store, clean_label_name(name))


def near_match(store: Store, name: str) -> str | None:
    """The existing label a mistyped name most likely meant (difflib's ratio >= 0.6)."""
    names = {label.name.casefold(): label.name for label in stored.all_labels(store)}
    found = difflib.get_close_matches(name.casefold(), list(names), n=1)
    return names[found[0]] if found else None


def require_label(store: Store, name: str) -> LabelRow:
    """The label a typed name means, or a user error naming the likely one it was meant for."""
    row = find_label(store, name)
    if row is None:
        meant = near_match(store, name)
        hint = f"did you mean {meant!r}?" if meant else "see 'phototag labels list'"
        raise UserError(f"no label named {name!r} ({hint})")
    return row
