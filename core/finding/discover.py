"""Groups worth naming: clusters among the photos that carry no label yet.

scikit-learn's HDBSCAN (already a dependency, so nothing new to install; the separate
`hdbscan` package on PyPI is the same algorithm with a C build of its own) rather than k-means:
k-means must be told how many groups there are and puts every photo in one, misfits included,
whereas HDBSCAN finds dense groups of any number and leaves the scattered photos out as noise,
which is what "these look alike" needs: on the synthetic benchmark its top 10 groups surface
8.7 of 16 true labels at purity 0.8 or more, against 4.7 for k-means with k = 10
(`bench/discover.py`). Embeddings are first reduced to PCA_DIMS dimensions: HDBSCAN's
neighbour search degrades in CLIP's 512 (4,000 photos: 35.1 s as they are, 2.7 s after PCA to
24, by `bench/discover.py --timing` at load average 16), and at most SAMPLE photos are
clustered. A named group then spreads to the rest of the library on its own: the
label it becomes suggests itself on every similar photo.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from phototag.core.labels.imprint import normalize_rows

PCA_DIMS = 24
SAMPLE = 10_000
MIN_GROUP = 5
"""The smallest group offered; smaller ones are not worth a label yet."""
GROUP_FRACTION = 0.005
"""A group is at least this share of the photos clustered (and at least MIN_GROUP)."""
NEIGHBOURS = 2
"""HDBSCAN's min_samples: a small value lets tight small groups stand (with the default, equal
to the group size, the synthetic benchmark's 3,000 photos gave 3 groups, one of them mixed)."""
GROUPS_SHOWN = 10


@dataclass(frozen=True)
class Cluster:
    """Rows of the clustered matrix, closest to the group's centre first, with their cosine to
    it; `tightness` is the mean of those cosines."""

    rows: np.ndarray
    closeness: np.ndarray
    tightness: float


def cluster(embeddings: np.ndarray, limit: int = GROUPS_SHOWN, seed: int = 0) -> list[Cluster]:
    """The largest dense groups among these (L2-normalised) rows, largest first."""
    embeddings = np.asarray(embeddings, dtype=np.float32)
    rows = _sample(len(embeddings), seed)
    smallest = max(MIN_GROUP, round(GROUP_FRACTION * len(rows)))
    if len(rows) < 2 * smallest:
        return []
    labels = _hdbscan(_reduced(embeddings[rows], seed), smallest)
    groups = [_group(embeddings, rows[labels == g]) for g in range(labels.max() + 1)]
    groups.sort(key=lambda group: (-len(group.rows), -group.tightness))
    return groups[:limit]


def _sample(count: int, seed: int) -> np.ndarray:
    if count <= SAMPLE:
        return np.arange(count)
    return np.sort(np.random.default_rng(seed).choice(count, SAMPLE, replace=False))


def _reduced(embeddings: np.ndarray, seed: int) -> np.ndarray:
    from sklearn.decomposition import PCA

    dims = min(PCA_DIMS, embeddings.shape[1], len(embeddings) - 1)
    if dims >= embeddings.shape[1]:
        return embeddings
    return PCA(dims, random_state=seed).fit_transform(embeddings)


def _hdbscan(points: np.ndarray, smallest: int) -> np.ndarray:
    from sklearn.cluster import HDBSCAN

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return HDBSCAN(
            min_cluster_size=smallest,
            min_samples=NEIGHBOURS,
            cluster_selection_method="leaf",
            copy=True,
        ).fit_predict(points)


def _group(embeddings: np.ndarray, members: np.ndarray) -> Cluster:
    centre = normalize_rows(embeddings[members].sum(axis=0, keepdims=True))[0]
    closeness = embeddings[members] @ centre
    order = np.argsort(-closeness, kind="stable")
    return Cluster(members[order], closeness[order], float(closeness.mean()))
