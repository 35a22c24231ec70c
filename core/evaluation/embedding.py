"""Embeds an evaluation dataset once per (dataset, model) and keeps the result in the cache.

An evaluation runs dozens of episodes over the same photos, and is often re-run with other
methods or shot counts; the encoder is by far the slowest step, so its output (pre-projection
features and embeddings) is cached per dataset and model in the per-user cache folder. A photo is
re-embedded only when its size or modification time changed. Unreadable photos are reported and
left out, never fatal.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from phototag.core.atomic import replacing
from phototag.core.evaluation.dataset import LabelledPhotos
from phototag.core.evaluation.embedded import EmbeddedSet
from phototag.core.ingest.decode import UnreadableImage, decode_image
from phototag.core.model.onnx_encoder import EncoderBase
from phototag.core.paths import user_cache_dir

BATCH_SIZE = 32
PROMPT = "a photo of {}"


@dataclass
class Embedded:
    data: EmbeddedSet
    kept_paths: list[Path]
    unreadable: list[tuple[Path, str]] = field(default_factory=list)


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns


def cache_path(dataset: LabelledPhotos, model_key: str) -> Path:
    digest = hashlib.sha256(f"{dataset.source}\n{model_key}".encode()).hexdigest()[:20]
    return user_cache_dir() / "eval" / f"{digest}.npz"


def _load_cache(path: Path) -> dict[tuple[str, int, int], tuple[np.ndarray, np.ndarray]]:
    if not path.exists():
        return {}
    try:
        with np.load(path, allow_pickle=False) as stored:
            keys = zip(stored["paths"], stored["sizes"], stored["mtimes"], strict=True)
            return {
                (str(p), int(s), int(m)): (f, e)
                for (p, s, m), f, e in zip(
                    keys, stored["features"], stored["embeddings"], strict=True
                )
            }
    except (OSError, ValueError, KeyError):
        return {}  # a damaged cache is recomputed, never trusted


def _save_cache(path: Path, entries: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = list(entries)
    with replacing(path) as temporary, open(temporary, "wb") as handle:
        np.savez(
            handle,
            paths=np.array([k[0] for k in keys], dtype=str),
            sizes=np.array([k[1] for k in keys], dtype=np.int64),
            mtimes=np.array([k[2] for k in keys], dtype=np.int64),
            features=np.stack([entries[k][0] for k in keys]),
            embeddings=np.stack([entries[k][1] for k in keys]),
        )


def embed_dataset(
    dataset: LabelledPhotos,
    encoder: EncoderBase,
    progress: Callable[[int, int], None] | None = None,
) -> Embedded:
    """The dataset's vectors, from the cache where the photo is unchanged."""
    location = cache_path(dataset, encoder.model_key)
    cached = _load_cache(location)
    entries: dict[tuple[str, int, int], tuple[np.ndarray, np.ndarray]] = {}
    unreadable: list[tuple[Path, str]] = []
    pending: list[tuple[tuple[str, int, int], Path]] = []
    for path in dataset.paths:
        signature = _signature(path)
        if signature is None:
            unreadable.append((path, "file not found"))
            continue
        key = (str(path), *signature)
        if key in cached:
            entries[key] = cached[key]
        else:
            pending.append((key, path))
    done = len(entries)
    for start in range(0, len(pending), BATCH_SIZE):
        batch = pending[start : start + BATCH_SIZE]
        decoded = []
        for key, path in batch:
            try:
                decoded.append((key, decode_image(path, encoder.image_size).image))
            except UnreadableImage as exc:
                unreadable.append((path, exc.reason))
        features, embeddings = encoder.encode_images([image for _, image in decoded])
        for (key, _), f, e in zip(decoded, features, embeddings, strict=True):
            entries[key] = (f, e)
        done += len(batch)
        if progress is not None:
            progress(done, len(dataset.paths))
    if pending and entries:
        _save_cache(location, entries)
    return _assemble(dataset, encoder, entries, unreadable)


def _assemble(dataset, encoder, entries, unreadable) -> Embedded:
    by_path = {key[0]: value for key, value in entries.items()}
    rows = [i for i, path in enumerate(dataset.paths) if str(path) in by_path]
    vectors = [by_path[str(dataset.paths[i])] for i in rows]
    dims = (encoder.feature_dim, encoder.embed_dim)
    features = np.stack([v[0] for v in vectors]) if vectors else np.empty((0, dims[0]))
    embeddings = np.stack([v[1] for v in vectors]) if vectors else np.empty((0, dims[1]))
    priors = encoder.encode_texts([PROMPT.format(name) for name in dataset.label_names])
    data = EmbeddedSet(
        label_names=list(dataset.label_names),
        truth=dataset.truth[rows],
        embeddings=embeddings.astype(np.float32),
        features=features.astype(np.float32),
        projection=np.asarray(encoder.projection, dtype=np.float32),
        priors=priors.astype(np.float32),
        meaningless=encoder.spec.meaningless,
    )
    return Embedded(data, [dataset.paths[i] for i in rows], unreadable)
