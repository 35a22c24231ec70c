"""Every setting Phototag keeps, declared once, and the defaults every process shares.

In the spirit of MusicBrainz Picard's options.py: a setting's key, type, default and meaning are
written here and nowhere else, so the command line, the GUI and the engine cannot drift apart
on a key's spelling or on what an absent value means.

How to add a library setting (a row of the library's `settings` table):
  1. Declare it below: NAME = Option("key", type, default, "one line: what it decides").
     The key is stored in every library on disk: never rename it once released.
  2. Read and write it with NAME.read(store) and NAME.write(store, value); code that needs the
     raw key (SQL inside a larger transaction) uses NAME.key, never the string itself.
  3. tests/core/test_options.py fails on a setting written under an undeclared key and on a
     key spelled out as a string literal at a call of Store.setting or Store.set_setting.

This module imports nothing of Phototag's, so any module may import it without a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

T = TypeVar("T", str, bool)


class SettingsStore(Protocol):
    """What an option needs of the store (core/store/database.py's Store)."""

    def setting(self, key: str) -> str | None: ...

    def set_setting(self, key: str, value: str | None) -> None: ...


@dataclass(frozen=True)
class Option(Generic[T]):
    """One library setting: stored as text, read back as `type`, `default` when absent."""

    key: str
    type: type[T]
    default: T | None
    comment: str

    def decode(self, raw: str | None) -> T | None:
        """The typed value of a stored text; booleans are stored as "1" and "0"."""
        if raw is None:
            return self.default
        if self.type is bool:
            return raw == "1"
        return raw

    def encode(self, value: T | None) -> str | None:
        if value is None or self.type is not bool:
            return value
        return "1" if value else "0"

    def read(self, store: SettingsStore) -> T | None:
        return self.decode(store.setting(self.key))

    def write(self, store: SettingsStore, value: T | None) -> None:
        store.set_setting(self.key, self.encode(value))


# ----- library settings (one row each in the library's settings table) ----------------------

ACTIVE_MODEL: Option[str] = Option(
    "active_model", str, None, "model key the library embeds with; set by its first scan"
)
LIBRARY_METHOD: Option[str] = Option(
    "method", str, None, "labelling method of labels without their own; None: MWI"
)
SIDECARS_ON_CONFIRM: Option[bool] = Option(
    "xmp_sidecars_on_confirm",
    bool,
    False,
    "write a photo's XMP sidecar whenever the user tags, rejects or untags it",
)

# How a RAW file's new sidecar is named. An existing sidecar under either name is always the one
# updated, and both are read. Keeping the extension is the default: digiKam, darktable and
# Immich read it, and it cannot be mistaken for the sidecar of the JPEG beside the RAW;
# Lightroom and Capture One read only the name with the extension replaced.
RAW_SIDECAR_KEEP_EXTENSION = "keep-extension"  # IMG_1.CR2.xmp
RAW_SIDECAR_REPLACE_EXTENSION = "replace-extension"  # IMG_1.xmp
RAW_SIDECAR_STYLES = (RAW_SIDECAR_KEEP_EXTENSION, RAW_SIDECAR_REPLACE_EXTENSION)
RAW_SIDECAR_NAME: Option[str] = Option(
    "raw_sidecar_name",
    str,
    RAW_SIDECAR_KEEP_EXTENSION,
    "name of a RAW file's new sidecar: keep-extension (IMG_1.CR2.xmp: darktable, digiKam) "
    "or replace-extension (IMG_1.xmp: Lightroom)",
)

LIBRARY_OPTIONS: tuple[Option, ...] = (
    ACTIVE_MODEL,
    LIBRARY_METHOD,
    SIDECARS_ON_CONFIRM,
    RAW_SIDECAR_NAME,
)

# ----- process-wide defaults ------------------------------------------------------------------

DEFAULT_MODEL = "ViT-B-32"
"""The model a library embeds with until the user picks another (scan, gui, eval, download)."""

LIBRARY_VARIABLE = "PHOTOTAG_LIBRARY"
"""Environment variable naming the library folder when --library is not given; read only by
core.library.library_root()."""

EVAL_SHOTS: tuple[int, ...] = (1, 2, 4, 8, 16)
"""`phototag eval --shots`: examples per label in each episode."""

EVAL_SEEDS = 5
"""`phototag eval --seeds`: episodes per shot count."""

EVAL_GROUPS = 2
"""How many groups labels arrive in for the evaluation's continual protocol."""
