"""How many true labels `phototag discover` surfaces in its top 10 groups, on the synthetic
benchmark (core/evaluation/synthetic.py): photos in label clusters, no encoder needed.

A group surfaces a label when at least PURE of its photos carry that label (the user then
deselects the few misfits). Printed for HDBSCAN (what discover uses) against k-means with
k = 10 on the same PCA-reduced embeddings, with the adjusted Rand index of each grouping
against the photos' first label (photos left out as noise excluded), the seconds each took and
the load average.

    .venv/bin/python bench/discover.py [--labels 16] [--photos 3000] [--seeds 3] [--timing]

--timing also prints why discover reduces dimensions first: HDBSCAN's seconds on 4,000
CLIP-sized (512) embeddings as they are and after PCA to discover.PCA_DIMS.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from phototag.core.evaluation.synthetic import SyntheticSpec, make_synthetic
from phototag.core.finding import discover

PURE = 0.8


def surfaced(groups: list[np.ndarray], truth: np.ndarray) -> tuple[int, list[float]]:
    """Distinct labels that some group carries at purity >= PURE, and each group's purity."""
    found, purities = set(), []
    for rows in groups:
        shares = truth[rows].mean(axis=0)
        purities.append(float(shares.max()))
        if shares.max() >= PURE:
            found.add(int(shares.argmax()))
    return len(found), purities


def rand_index(groups: list[np.ndarray], truth: np.ndarray) -> float:
    if not groups:
        return 0.0
    rows = np.concatenate(groups)
    assigned = np.concatenate([np.full(len(g), i) for i, g in enumerate(groups)])
    return float(adjusted_rand_score(truth[rows].argmax(axis=1), assigned))


def hdbscan_groups(embeddings: np.ndarray, seed: int) -> list[np.ndarray]:
    return [c.rows for c in discover.cluster(embeddings, seed=seed)]


def kmeans_groups(embeddings: np.ndarray, seed: int) -> list[np.ndarray]:
    reduced = discover._reduced(embeddings, seed)
    labels = KMeans(discover.GROUPS_SHOWN, n_init=4, random_state=seed).fit_predict(reduced)
    return [np.flatnonzero(labels == k) for k in range(discover.GROUPS_SHOWN)]


def timing(photos: int = 4000, dims: int = 512) -> None:
    data = make_synthetic(SyntheticSpec(labels=16, photos=photos, embed_dim=dims, seed=0))
    smallest = max(discover.MIN_GROUP, round(discover.GROUP_FRACTION * photos))
    start = time.perf_counter()
    discover._hdbscan(data.embeddings, smallest)
    full = time.perf_counter() - start
    start = time.perf_counter()
    discover._hdbscan(discover._reduced(data.embeddings, 0), smallest)
    reduced = time.perf_counter() - start
    print(
        f"HDBSCAN on {photos} x {dims}: {full:.1f} s as they are, {reduced:.1f} s after PCA "
        f"to {discover.PCA_DIMS} (load average {os.getloadavg()[0]:.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=16)
    parser.add_argument("--photos", type=int, default=3000)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--timing", action="store_true", help="also time PCA against none")
    args = parser.parse_args()
    if args.timing:
        timing()
    print(
        f"synthetic: {args.labels} labels, {args.photos} photos, {args.seeds} seeds; "
        f"a label is surfaced by a group with purity >= {PURE}"
    )
    for name, method in (("hdbscan", hdbscan_groups), ("k-means", kmeans_groups)):
        found, purity, ari, seconds, sizes = [], [], [], 0.0, []
        for seed in range(args.seeds):
            spec = SyntheticSpec(labels=args.labels, photos=args.photos, seed=seed)
            data = make_synthetic(spec)
            start = time.perf_counter()
            groups = method(data.embeddings, seed)
            seconds += time.perf_counter() - start
            count, purities = surfaced(groups, data.truth)
            found.append(count)
            purity += purities
            ari.append(rand_index(groups, data.truth))
            sizes.append(sum(len(g) for g in groups) / args.photos)
        print(
            f"{name:8s} labels surfaced in top {discover.GROUPS_SHOWN}: "
            f"{np.mean(found):.1f} of {min(args.labels, discover.GROUPS_SHOWN)} possible "
            f"(per seed {found}); mean group purity {np.mean(purity):.2f}; "
            f"ARI {np.mean(ari):.2f}; photos in groups {np.mean(sizes):.0%}; "
            f"{seconds / args.seeds:.2f} s a run"
        )
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
