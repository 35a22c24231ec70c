"""Which photos an XMP verb works on, and the labels it writes for each of them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from phototag.core.browse import Browser
from phototag.core.errors import UserError
from phototag.core.ingest.pairs import files_of_shot
from phototag.core.interop import keywords
from phototag.core.interop.keywords import PhotoLabels
from phototag.core.store import photos
from phototag.core.store.database import Store, is_storable, printable


def photo_files(
    store: Store, paths: Iterable[str | Path] | None
) -> tuple[list[tuple[str, int]], list[str]]:
    """(path, image id) of present photo files at `paths` (all when None), and the paths
    that name none. A file of a RAW+JPEG pair brings the other: they are one photo, so a tag
    given to it reaches both files' sidecars."""
    if paths is None:
        return [(f.path, f.image_id) for f in photos.present_photos(store)], []
    found: dict[str, int] = {}
    not_found = []
    for given in paths:
        files = photos.files_at(store, str(given)) if is_storable(str(given)) else []
        if not files:
            not_found.append(printable(str(given)))
        for file in files:
            found.update(
                dict.fromkeys(files_of_shot(store, file.path, file.image_id), file.image_id)
            )
    return list(found.items()), not_found


def labels_to_write(
    browser: Browser, paths: Iterable[str | Path] | None, predicted: bool
) -> Iterator[PhotoLabels]:
    """Each photo with the labels to write for it: confirmed, and suggested if asked."""
    if paths is None:
        for prediction in browser.predictions(None):
            yield (
                prediction.path,
                [
                    (name, label.score, label.confirmed)
                    for name, label in prediction.labels.items()
                    if predicted or label.confirmed
                ],
            )
        return
    wanted = {"confirmed", "suggested"} if predicted else {"confirmed"}
    for path, image_id in photo_files(browser.store, paths)[0]:
        yield (
            path,
            [
                (label.name, label.score, label.state == "confirmed")
                for label in browser.labels_of(image_id)
                if label.state in wanted
            ],
        )


def import_keywords(
    store: Store,
    source: str,
    paths: Iterable[str | Path] | None,
    clean_name: Callable[[str], str],
) -> keywords.ImportReport:
    """Learn labels and positive examples from the keywords at `source` (sidecars or the
    photos themselves); the caller refits the labels when anything was learnt."""
    if source not in keywords.IMPORT_SOURCES:
        raise UserError(f"keywords come from {' or '.join(keywords.IMPORT_SOURCES)}")
    found, not_found = photo_files(store, paths)
    reader = {
        keywords.FROM_SIDECARS: keywords.read_sidecar_keywords,
        keywords.FROM_EMBEDDED: keywords.read_embedded_keywords,
    }[source]
    report = keywords.ImportReport(
        skipped=[(path, "", "not a photo in the library") for path in not_found]
    )
    keywords.learn(store, reader(store, found, report), clean_name, report)
    return report
