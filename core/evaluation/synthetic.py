"""Synthetic labelled embeddings: label clusters on the unit hypersphere, no encoder needed.

This is the regression check that every method works (it must beat chance clearly), not a
measure of real accuracy: real photos are not Gaussian clusters, and the ranking of methods
here says little about their ranking on CLIP embeddings of real photos (`phototag eval` with
real weights measures that).

Every knob a photo library varies is explicit:
- spread: noise norm relative to a label centre (0.5: same-label cosine about 0.8);
- co_occurrence: the chance that a photo also carries its label's fixed partner label;
- imbalance: Zipf exponent of the label frequencies (0: balanced);
- shared: weight of one direction every photo has in common (CLIP embeddings of unrelated
  photos still have cosines around 0.5); with it, same-label cosines land where CLIP's do, which
  matters for the methods with an absolute radius (Tip-Adapter's beta, LLU's gate);
- prompt_noise: how far each label's "text" prior sits from its cluster.
Photos are made in a pre-projection feature space and mapped by a random projection, so ProLIP
has features and a projection W0 to refine, exactly like the real encoder's output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from phototag.core.evaluation.embedded import EmbeddedSet
from phototag.core.labels.imprint import normalize_rows


@dataclass(frozen=True)
class SyntheticSpec:
    labels: int = 8
    photos: int = 800
    embed_dim: int = 64
    feature_dim: int = 96
    spread: float = 1.5
    co_occurrence: float = 0.2
    imbalance: float = 0.7
    shared: float = 0.0
    prompt_noise: float = 2.0
    seed: int = 0


def label_frequencies(spec: SyntheticSpec) -> np.ndarray:
    weights = 1.0 / np.arange(1, spec.labels + 1) ** spec.imbalance
    return weights / weights.sum()


def make_synthetic(spec: SyntheticSpec = SyntheticSpec()) -> EmbeddedSet:
    rng = np.random.default_rng(spec.seed)
    centres = normalize_rows(rng.normal(size=(spec.labels, spec.feature_dim)))
    partner = np.roll(np.arange(spec.labels), -1)
    primary = rng.choice(spec.labels, size=spec.photos, p=label_frequencies(spec))
    truth = np.zeros((spec.photos, spec.labels), dtype=bool)
    truth[np.arange(spec.photos), primary] = True
    doubled = rng.random(spec.photos) < spec.co_occurrence
    truth[np.flatnonzero(doubled), partner[primary[doubled]]] = True
    common = normalize_rows(rng.normal(size=(1, spec.feature_dim)))
    mixture = normalize_rows(truth.astype(np.float64) @ centres) + spec.shared * common
    noise = rng.normal(size=mixture.shape) * (spec.spread / np.sqrt(spec.feature_dim))
    features = mixture + noise
    projection = rng.normal(size=(spec.feature_dim, spec.embed_dim)) / np.sqrt(spec.feature_dim)
    embeddings = normalize_rows(features @ projection)
    label_directions = normalize_rows(centres @ projection)
    prompt_noise = rng.normal(size=label_directions.shape) / np.sqrt(spec.embed_dim)
    priors = normalize_rows(label_directions + spec.prompt_noise * prompt_noise)
    return EmbeddedSet(
        label_names=[f"label{index}" for index in range(spec.labels)],
        truth=truth,
        embeddings=embeddings.astype(np.float32),
        features=features.astype(np.float32),
        projection=projection.astype(np.float32),
        priors=priors.astype(np.float32),
    )
