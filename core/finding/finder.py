"""The Library's finding verbs: more like these, one-off queries, saved smart albums and groups
worth naming. They read the label state and the file index through the Browser
(core/browse.py) and keep no state of their own but the texts already embedded."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from phototag.core.browse import Browser, file_scores
from phototag.core.browsing import FileIndex, PhotoRef
from phototag.core.errors import UserError
from phototag.core.finding import discover as discovery
from phototag.core.finding.match import Facts, matches, ranked
from phototag.core.finding.query import parse, rename_label, texts_in
from phototag.core.finding.similar import direction
from phototag.core.labels.names import require_label
from phototag.core.labels.state import ModelView
from phototag.core.store import finding as albums_store
from phototag.core.store import photos as files
from phototag.core.store.database import Store, is_storable, printable

ALBUM_NAME_MAX = 200


@dataclass(frozen=True)
class Album:
    """A saved query with how many photos it holds now; `count` is None and `problem` says
    why when the query cannot run (a label it names was deleted) or needs a text embedded
    first (counting without the model)."""

    name: str
    query: str
    count: int | None
    problem: str | None = None


@dataclass(frozen=True)
class PhotoGroup:
    """Unlabelled photos that look alike, closest to the group's centre first; each `score`
    is the photo's cosine to that centre and `tightness` their mean."""

    photos: Sequence[PhotoRef]
    tightness: float


Filters = tuple[Iterable[str], Iterable[str], str | None]


class Finder:
    def __init__(self, store: Store, browser: Browser, embed_text: Callable[[str], np.ndarray]):
        self.store = store
        self.browser = browser
        self.embed_text = embed_text
        self._texts: dict[tuple[str, str], np.ndarray] = {}

    # ----- texts ---------------------------------------------------------------------------

    def _model_key(self) -> str:
        model = files.active_model(self.store)
        return "" if model is None else model["key"]

    def remember_text(self, text: str, vector: np.ndarray) -> None:
        """A text's embedding made elsewhere (the GUI's model thread), so queries need no model."""
        self._texts[(self._model_key(), text)] = np.asarray(vector, dtype=np.float32)

    def texts_to_embed(self, queries: Iterable[str]) -> list[str]:
        """The texts of these queries not embedded yet (malformed queries are skipped)."""
        key, wanted = self._model_key(), []
        for query in queries:
            try:
                texts = texts_in(parse(query))
            except UserError:
                continue
            wanted += [t for t in texts if (key, t) not in self._texts and t not in wanted]
        return wanted

    def _text_vector(self, text: str, embed: bool) -> np.ndarray:
        key = (self._model_key(), text)
        if key not in self._texts:
            if not embed:
                raise _NeedsText(text)
            self._texts[key] = np.asarray(self.embed_text(text), dtype=np.float32)
        return self._texts[key]

    # ----- the facts a query reads ---------------------------------------------------------

    def _facts(self, embed: bool = True) -> Facts:
        view = self.browser.labels.view()
        index = self.browser.file_index()
        carried, any_label = _label_masks(self.browser, view, index)

        @functools.cache  # one read for every date term of the queries
        def taken() -> list[str | None]:
            dates = albums_store.taken_dates(self.store)
            return [dates.get(p) for p in index.paths]

        def similarity(text: str) -> np.ndarray:
            if view is None:
                return np.full(len(index.paths), -np.inf, dtype=np.float32)
            vector = self._text_vector(text, embed)
            return file_scores(index, view.matrix.embeddings @ vector)

        return Facts(index, carried, any_label, similarity, taken)

    def find(self, query: str, embed: bool = True) -> Sequence[PhotoRef]:
        """The photos a query selects: path order, or best first when it searches by text."""
        tree = parse(query)
        facts = self._facts(embed)
        return ranked(matches(tree, facts), texts_in(tree), facts)

    # ----- more like this ------------------------------------------------------------------

    def similar(
        self,
        liked: Iterable[str],
        disliked: Iterable[str],
        where: str | None,
        filters: Filters,
        limit: int,
    ) -> Sequence[PhotoRef]:
        """Photos nearest to the liked ones and away from the disliked, best first, the given
        photos themselves left out; `where` is a query the results must also match."""
        view = self.browser.labels.view()
        if view is None:
            raise UserError("nothing is scanned yet: run 'phototag scan' first")
        liked_ids, disliked_ids = self._images(liked), self._images(disliked)
        vector = direction(
            view.matrix.embeddings[view.matrix.rows(liked_ids)],
            view.matrix.embeddings[view.matrix.rows(disliked_ids)],
        )
        index = self.browser.file_index()
        within = ~np.isin(index.image_ids, liked_ids + disliked_ids)
        if where is not None:
            within &= matches(parse(where), self._facts())
        return self.browser.search(vector, self.embed_text, filters, limit, within)

    def _images(self, paths: Iterable[str]) -> list[int]:
        found: dict[int, None] = {}
        for given in paths:
            at = files.files_at(self.store, given) if is_storable(given) else []
            if not at:
                raise UserError(f"not a photo in this library: {printable(given)}")
            found.update(dict.fromkeys(f.image_id for f in at))
        return list(found)

    # ----- smart albums --------------------------------------------------------------------

    def save_album(self, name: str, query: str) -> str:
        """Save (or change) an album; the query is checked first, so a saved album always
        parses. Returns the album's name as stored."""
        cleaned = _album_name(name)
        parse(query)
        existing = albums_store.album_named(self.store, cleaned)
        albums_store.save_album(self.store, cleaned, query.strip())
        return cleaned if existing is None else existing.name

    def remove_album(self, name: str) -> None:
        """Only the saved query goes; no photo and no label is touched."""
        if not albums_store.delete_album(self.store, name.strip()):
            raise UserError(f"no album named {name!r} (see 'phototag albums list')")

    def follow_rename(self, old: str, new: str) -> None:
        """A renamed label keeps its albums: their queries name it by its new name."""
        for row in albums_store.all_albums(self.store):
            renamed = rename_label(row.query, old, new)
            if renamed != row.query:
                albums_store.save_album(self.store, row.name, renamed)

    def saved_queries(self) -> list[str]:
        return [row.query for row in albums_store.all_albums(self.store)]

    def album_query(self, name: str) -> str:
        row = albums_store.album_named(self.store, name.strip())
        if row is None:
            raise UserError(f"no album named {name!r} (see 'phototag albums list')")
        return row.query

    def albums(self, embed: bool = True) -> list[Album]:
        """Every album with its live count; without `embed`, albums whose texts were not
        embedded yet get no count (the GUI embeds them on its model thread first)."""
        found: list[Album] = []
        saved = albums_store.all_albums(self.store)
        if not saved:  # no facts to read: a tag's sidebar refresh read them for nothing
            return found
        facts = self._facts(embed)  # read once for every album: a sidebar refresh stays cheap
        for row in saved:
            try:
                held = int(matches(parse(row.query), facts).sum())
                found.append(Album(row.name, row.query, held))
            except _NeedsText as missing:
                found.append(Album(row.name, row.query, None, f"needs {missing.text!r} embedded"))
            except UserError as exc:
                found.append(Album(row.name, row.query, None, str(exc)))
        return found

    # ----- groups worth naming -------------------------------------------------------------

    def discover(self, limit: int) -> list[PhotoGroup]:
        """The largest tight groups among embedded photos that carry no label."""
        view = self.browser.labels.view()
        if view is None:
            return []
        index = self.browser.file_index()
        _, any_label = _label_masks(self.browser, view, index)
        candidates = np.flatnonzero(~any_label() & (index.rows >= 0))
        matrix_rows, first = np.unique(index.rows[candidates], return_index=True)
        groups = discovery.cluster(view.matrix.embeddings[matrix_rows], limit)
        return [_photo_group(index, candidates[first[g.rows]], g) for g in groups]


class _NeedsText(UserError):
    def __init__(self, text: str):
        super().__init__(f"the text {text!r} is not embedded yet")
        self.text = text


def _photo_group(index: FileIndex, members: np.ndarray, group: discovery.Cluster) -> PhotoGroup:
    closeness = np.zeros(len(index.paths), dtype=np.float32)
    closeness[members] = group.closeness
    return PhotoGroup(index.refs(members, closeness), round(group.tightness, 4))


def _label_masks(
    browser: Browser, view: ModelView | None, index: FileIndex
) -> tuple[Callable[[str, bool], np.ndarray], Callable[[], np.ndarray]]:
    """(carried(name, confirmed_only) -> mask, any_label() -> mask of files carrying any label),
    each computed when a query asks: an album naming one label reads that label's column, not
    every label's decisions (100k x 50 at each sidebar refresh). A confirmed photo carries its
    label even before it is embedded with the active model."""
    embedded = index.rows >= 0

    def decided(column: int) -> np.ndarray:
        mask = np.zeros(len(index.paths), dtype=bool)
        if view is not None:
            mask[embedded] = view.decided(column)[index.rows[embedded]]
        return mask

    def carried(name: str, confirmed_only: bool) -> np.ndarray:
        if view is None:
            require_label(browser.store, name)  # an unknown name is an error, scanned or not
            return np.zeros(len(index.paths), dtype=bool)
        column = browser.column(view, name)
        confirmed = np.isin(index.image_ids, view.heads[column].ids(1))
        return confirmed if confirmed_only else confirmed | decided(column)

    @functools.cache  # one read for every unlabelled term of the queries
    def any_label() -> np.ndarray:
        carrying = np.isin(index.image_ids, _confirmed_images(view))
        if view is not None:
            carrying[embedded] |= view.decisions()[index.rows[embedded]].any(axis=1)
        return carrying

    return carried, any_label


def _confirmed_images(view: ModelView | None) -> list[int]:
    if view is None:
        return []
    return [image for head in view.heads for image in head.ids(1)]


def _album_name(name: str) -> str:
    cleaned = unicodedata.normalize("NFC", name).strip()
    if not cleaned:
        raise UserError("an album needs a name")
    if len(cleaned) > ALBUM_NAME_MAX or not is_storable(cleaned):
        raise UserError(f"album names are at most {ALBUM_NAME_MAX} characters of UTF-8 text")
    if any(unicodedata.category(ch) == "Cc" for ch in cleaned):
        raise UserError(f"album {cleaned!r} contains control characters")
    return cleaned
