"""How much of the library the labels have seen: during a first scan they score only the photos
embedded so far, and the window says so ("Suggestions cover 12,400 of 50,000 photos")."""

from __future__ import annotations

from dataclasses import dataclass

from phototag.core.browsing import FileIndex


@dataclass(frozen=True)
class Coverage:
    """Photos the labels score (embedded with the active model) against the photos known to be
    in the library: the files a running scan has listed, or those the library holds if more."""

    seen: int
    known: int

    @property
    def fraction(self) -> float:
        """0..1; a library with nothing known is covered."""
        return self.seen / self.known if self.known else 1.0


def coverage(index: FileIndex, listed: int = 0) -> Coverage:
    """Coverage over the library's present files (the grid's, a RAW+JPEG pair once), with
    `listed` the files a running scan has found so far (0 when none runs)."""
    seen = int((index.rows >= 0).sum())
    return Coverage(seen, max(listed, len(index.paths), seen))
