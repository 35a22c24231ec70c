"""The statements `phototag batch prepare` runs: what the library already knows, so a batch
job skips files whose embedding the library has."""

from __future__ import annotations

from dataclasses import dataclass

from phototag.core.store.database import Store


@dataclass(frozen=True)
class KnownFile:
    """A present file whose content this model has embedded, as it was last seen."""

    path: str
    size: int
    mtime_ns: int
    content_hash: str


# Present files whose content the model (?) has embedded, in path order.
_EMBEDDED_PRESENT_FILES = (
    "FROM files JOIN images ON images.id = files.image_id "
    "JOIN embeddings ON embeddings.image_id = images.id AND embeddings.model_id = ? "
    "WHERE files.status = 'ok' ORDER BY files.path"
)


def known_files(store: Store, model_id: int) -> list[KnownFile]:
    rows = store.conn.execute(
        "SELECT files.path, files.size, files.mtime_ns, images.content_hash "
        + _EMBEDDED_PRESENT_FILES,
        (model_id,),
    )
    return [KnownFile(*row) for row in rows]


@dataclass(frozen=True)
class EmbeddedFile:
    """A present file with its content hash and this model's embedding of it."""

    path: str
    content_hash: str
    embedding: bytes


def embedded_files(store: Store, model_id: int) -> list[EmbeddedFile]:
    rows = store.conn.execute(
        "SELECT files.path, images.content_hash, embeddings.embedding " + _EMBEDDED_PRESENT_FILES,
        (model_id,),
    )
    return [EmbeddedFile(*row) for row in rows]


def embedded_image_with_content(store: Store, model_id: int, content_hash: str) -> int | None:
    """The image with this content hash, if the model (?) has embedded it."""
    return store.scalar(
        "SELECT images.id FROM images JOIN embeddings ON embeddings.image_id = images.id "
        "AND embeddings.model_id = ? WHERE images.content_hash = ?",
        (model_id, content_hash),
    )


@dataclass(frozen=True)
class ContentExample:
    """One example of a label, named by its photo's content hash rather than its image id."""

    label_id: int
    content_hash: str
    polarity: int


def content_examples(store: Store) -> list[ContentExample]:
    rows = store.conn.execute(
        "SELECT examples.label_id, images.content_hash, examples.polarity FROM examples "
        "JOIN images ON images.id = examples.image_id ORDER BY examples.label_id, images.id"
    )
    return [ContentExample(*row) for row in rows]
