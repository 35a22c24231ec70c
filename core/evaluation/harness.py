"""Runs the k-shot episodes for every method and summarises them.

For each shot count and seed one support set is drawn (the same for every method, so methods
are compared on identical episodes), every method is fitted on it and scored on the rest.
At the largest shot count the continual protocol also runs: labels arrive in groups, every
method is refitted after each group, and the table reports how much the earlier labels' mAP
moved once the later ones arrived (MWI: exactly 0).
Timing: fit time per label (held-out scores not included), and score time per label for
100,000 photos, measured on a block of photos tiled from the dataset. Everything runs on one
BLAS thread (see core/model/adam.py), so the times are those of one core.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from time import perf_counter

import numpy as np

from phototag.core.evaluation.approaches import Approach, Fitted
from phototag.core.evaluation.embedded import EmbeddedSet
from phototag.core.evaluation.episodes import Support, label_groups, sample_support
from phototag.core.evaluation.metrics import (
    chance_levels,
    f1_scores,
    mean_average_precision,
    thresholds,
    top1,
)
from phototag.core.model.adam import single_threaded
from phototag.core.options import EVAL_GROUPS, EVAL_SEEDS

METRICS = ("top1", "map", "micro_f1", "macro_f1")
SCORE_BLOCK = 10_000


@dataclass
class Row:
    method: str
    shots: int
    seeds: int
    mean: dict[str, float]
    std: dict[str, float]
    fit_ms_per_label: float
    score_s_per_100k: float
    old_label_map_change: float | None = None


@dataclass
class Report:
    rows: list[Row]
    single_label: bool
    chance: dict[str, float]
    photos: int
    labels: int
    continual_shots: int | None
    groups: int
    meaningless: bool = False
    notes: list[str] = field(default_factory=list)


def _episode_metrics(data: EmbeddedSet, fitted: Fitted, support: Support) -> dict[str, float]:
    scores = fitted.scores(data)
    query = np.setdiff1d(np.arange(len(data.truth)), support.rows())
    truth = data.truth[query]
    labels = support.labels
    cut = thresholds(scores, [fitted.heads[c] for c in labels], [support.chosen[c] for c in labels])
    micro, macro = f1_scores(scores[query] >= cut[None, :], truth)
    single = data.single_label
    return {
        "top1": top1(scores[query], truth) if single else float("nan"),
        "map": mean_average_precision(scores[query], truth),
        "micro_f1": micro,
        "macro_f1": macro,
    }


def _score_seconds_per_100k(data: EmbeddedSet, fitted: Fitted) -> float:
    rows = np.arange(SCORE_BLOCK) % len(data.truth)
    started = perf_counter()
    fitted.scores(data, rows)
    elapsed = perf_counter() - started
    return elapsed / len(fitted.heads) * (100_000 / SCORE_BLOCK)


def _old_label_change(
    data: EmbeddedSet, approach: Approach, support: Support, final: Fitted, groups: int, prompts
) -> float | None:
    """Mean change of each earlier group's per-label AP between its arrival and the end."""
    parts = label_groups(data.label_count, groups)
    if len(parts) < 2:
        return None
    query = np.setdiff1d(np.arange(len(data.truth)), support.rows())
    final_scores = final.scores(data, query)
    changes = []
    for stage in range(len(parts) - 1):
        known = [label for part in parts[: stage + 1] for label in part]
        fitted = approach.fit(data, support.restricted(known), prompts)
        scores = fitted.scores(data, query)
        for column, label in enumerate(known):
            if label not in parts[stage]:
                continue
            truth = data.truth[query][:, [label]]
            before = mean_average_precision(scores[:, [column]], truth)
            after = mean_average_precision(final_scores[:, [label]], truth)
            changes.append(after - before)
    return float(np.nanmean(changes)) if changes else None


def evaluate(
    data: EmbeddedSet,
    approaches: list[Approach],
    shots: list[int],
    seeds: int = EVAL_SEEDS,
    *,
    prompts: bool = False,
    groups: int = EVAL_GROUPS,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    with single_threaded():
        return _evaluate(data, approaches, shots, seeds, prompts, groups, progress)


def _evaluate(data, approaches, shots, seeds, prompts, groups, progress) -> Report:
    total = len(shots) * seeds * len(approaches)
    done = 0
    continual_shots = max(shots)
    rows = []
    for count in shots:
        supports = [sample_support(data.truth, count, seed) for seed in range(seeds)]
        for approach in approaches:
            results, fit_times, changes = [], [], []
            score_time = float("nan")
            for seed, support in enumerate(supports):
                fitted = approach.fit(data, support, prompts)
                fit_times.append(fitted.fit_seconds / data.label_count)
                results.append(_episode_metrics(data, fitted, support))
                if seed == 0:
                    score_time = _score_seconds_per_100k(data, fitted)
                if count == continual_shots:
                    changes.append(
                        _old_label_change(data, approach, support, fitted, groups, prompts)
                    )
                done += 1
                if progress is not None:
                    progress(done, total)
            rows.append(_summarise(approach.name, count, results, fit_times, score_time, changes))
    return Report(
        rows=rows,
        single_label=data.single_label,
        chance=chance_levels(data.truth),
        photos=len(data.truth),
        labels=data.label_count,
        continual_shots=continual_shots,
        groups=groups,
        meaningless=data.meaningless,
    )


def _summarise(name, count, results, fit_times, score_time, changes) -> Row:
    values = {m: np.array([r[m] for r in results], dtype=np.float64) for m in METRICS}
    present = [c for c in changes if c is not None]
    return Row(
        method=name,
        shots=count,
        seeds=len(results),
        mean={m: _nanmean(v) for m, v in values.items()},
        std={m: _nanstd(v) for m, v in values.items()},
        fit_ms_per_label=1000 * float(np.median(fit_times)),
        score_s_per_100k=score_time,
        old_label_map_change=float(np.mean(present)) if present else None,
    )


def _nanmean(values: np.ndarray) -> float:
    return float(np.nanmean(values)) if not np.isnan(values).all() else float("nan")


def _nanstd(values: np.ndarray) -> float:
    return float(np.nanstd(values)) if not np.isnan(values).all() else float("nan")
