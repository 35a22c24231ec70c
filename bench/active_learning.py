"""Does the "Help this label" queue save the user's time? A simulated user answers truthfully.

Each run teaches one label from 3 of its photos; then, round after round, the user decides 10
more photos (confirming those that carry the label, rejecting the others), chosen by
  queue   the Help-this-label queue (core/labels/queue.py),
  top     the top suggestions first (best score among the undecided, as the review lists them),
  random  photos drawn at random among the undecided.
After each round the label's F1 is measured over the whole library as the user sees it (the
photos the label carries: score over the threshold, overridden by the user's decisions). A run
reports the decisions it needed to reach F1 >= 0.9 (a run that does not get there within
BUDGET decisions counts as BUDGET, and is counted as unreached) and the F1 after 30 decisions.

Two data sets:
  synthetic  core/evaluation/synthetic.py, several seeds, every label (multi-label: photos
             carry a partner label 20% of the time; imbalanced: Zipf 0.7 label frequencies),
             taught through the engine's own ModelView (imprint, calibration, decisions);
  photos     generated scenes (bench/screenshot.py), imbalanced counts, scanned with the tiny
             model and taught through the Library itself (tag, reject, help_queue, predictions).
Run:
    .venv/bin/python bench/active_learning.py [--seeds 5] [--skip-photos]
The last line is `decisions_to_f1_90 queue=<n> top=<n> random=<n>`: the mean over every run of
both data sets.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from phototag.core.evaluation.synthetic import SyntheticSpec, make_synthetic
from phototag.core.labels.imprint import Prototype
from phototag.core.labels.queue import choose
from phototag.core.labels.scoring import EmbeddingMatrix
from phototag.core.labels.state import LabelHead, ModelView

STRATEGIES = ("queue", "top", "random")
START_EXAMPLES = 3
PER_ROUND = 10
BUDGET = 300
TARGET_F1 = 0.9
EARLY = 30
SCENE_COUNTS = {"sunset": 30, "sea": 20, "forest": 14, "night": 10, "desert": 8, "snow": 6}


@dataclass
class Run:
    strategy: str
    dataset: str
    decisions: int
    reached: bool
    f1_early: float


def f1(decided: np.ndarray, truth: np.ndarray) -> float:
    true_positive = int(np.sum(decided & truth))
    if true_positive == 0:
        return 0.0
    return 2 * true_positive / (int(decided.sum()) + int(truth.sum()))


# ----- synthetic: the engine's ModelView without a database --------------------------------


class SyntheticLabel:
    """One label taught in memory with the library's own imprint, calibration and decisions."""

    def __init__(self, embeddings: np.ndarray):
        matrix = EmbeddingMatrix(np.arange(len(embeddings)), embeddings)
        prototype = Prototype.empty(matrix.dims)
        self.head = LabelHead(0, "label", None, {}, prototype)
        self.view = ModelView({"id": 0, "key": "synthetic"}, matrix, [self.head])  # type: ignore[arg-type]

    def decide(self, answers: dict[int, int]) -> None:
        embeddings = self.view.matrix.embeddings
        for row, polarity in answers.items():
            self.head.examples[row] = polarity
            if polarity == 1:
                self.head.prototype.add(embeddings[row])
        self.view.rescore()
        self.view.calibrate(self.head)

    def undecided(self) -> np.ndarray:
        mask = np.ones(len(self.view.matrix), dtype=bool)
        mask[list(self.head.examples)] = False
        return mask

    def shown(self) -> np.ndarray:
        return self.view.decisions()[:, 0]

    def next_rows(self, strategy: str, rng: np.random.Generator) -> list[int]:
        free = self.undecided()
        cosines = self.view.scores[:, 0]
        if strategy == "queue":
            calibration = (self.head.threshold, self.head.calibration.slope)
            decided = np.asarray(list(self.head.examples), dtype=np.int64)
            picks = choose(
                self.view.matrix.embeddings, cosines, calibration, free, decided, PER_ROUND
            )
            return [p.row for p in picks]
        rows = np.flatnonzero(free)
        if strategy == "top":
            return [int(r) for r in rows[np.argsort(-cosines[rows], kind="stable")][:PER_ROUND]]
        return [int(r) for r in rng.choice(rows, size=min(PER_ROUND, len(rows)), replace=False)]


def simulate(
    decide: Callable[[dict[int, int]], None],
    pick: Callable[[], list[int]],
    shown: Callable[[], np.ndarray],
    truth: np.ndarray,
    start: list[int],
) -> tuple[int, bool, float]:
    """(decisions to F1 >= 0.9 or BUDGET, whether reached, F1 after EARLY decisions)."""
    decide({row: 1 for row in start})
    decisions, early, reached_at = 0, None, None
    while decisions < BUDGET:
        rows = pick()
        if not rows:
            break
        decide({row: 1 if truth[row] else -1 for row in rows})
        decisions += len(rows)
        score = f1(shown(), truth)
        if early is None and decisions >= EARLY:
            early = score
        if score >= TARGET_F1:
            reached_at = decisions
            break
    final = f1(shown(), truth)
    return (
        BUDGET if reached_at is None else reached_at,
        reached_at is not None,
        final if early is None else early,
    )


def synthetic_runs(seeds: int) -> list[Run]:
    runs = []
    for seed in range(seeds):
        data = make_synthetic(SyntheticSpec(seed=seed))
        for column in range(data.truth.shape[1]):
            truth = data.truth[:, column]
            start_rng = np.random.default_rng([seed, column])
            start = [
                int(r)
                for r in start_rng.choice(np.flatnonzero(truth), START_EXAMPLES, replace=False)
            ]
            for strategy in STRATEGIES:
                label = SyntheticLabel(data.embeddings)
                rng = np.random.default_rng([seed, column, 7])
                pick = partial(label.next_rows, strategy, rng)
                decisions, reached, early = simulate(label.decide, pick, label.shown, truth, start)
                runs.append(Run(strategy, "synthetic", decisions, reached, early))
    return runs


# ----- generated photos through the Library, scanned with the tiny model --------------------


def _scene_library(root: Path) -> tuple[Path, dict[str, str]]:
    """Generated scenes in imbalanced numbers, scanned once; returns (library, path -> scene)."""
    sys.path.insert(0, str(Path(__file__).parent))
    from screenshot import scene  # bench/screenshot.py draws the scenes

    from phototag.core.library import Library

    folder = root / "photos"
    folder.mkdir()
    kinds: dict[str, str] = {}
    seed = 0
    for kind, count in SCENE_COUNTS.items():
        for index in range(count):
            seed += 1
            path = folder / f"{kind}_{index:02d}.jpg"
            scene(kind, seed).save(path, quality=90)
            kinds[os.path.realpath(path)] = kind
    library_dir = root / "template"
    with Library(library_dir) as library:
        library.add_folder(folder)
        library.scan(model="tiny-random")
    return library_dir, kinds


class LibraryLabel:
    """One label taught through the Library's own verbs, as the CLI and the GUI do."""

    def __init__(self, library, name: str, paths: list[str]):
        self.library = library
        self.name = name
        self.paths = paths
        self.decided: set[int] = set()

    def decide(self, answers: dict[int, int]) -> None:
        confirm = [self.paths[r] for r, polarity in answers.items() if polarity == 1]
        refuse = [self.paths[r] for r, polarity in answers.items() if polarity == -1]
        if confirm:
            self.library.tag(self.name, confirm)
        if refuse:
            self.library.reject(self.name, refuse)
        self.decided.update(answers)

    def shown(self) -> np.ndarray:
        carried = {p.path for p in self.library.predictions(self.name)}
        return np.array([path in carried for path in self.paths])

    def next_rows(self, strategy: str, rng: np.random.Generator) -> list[int]:
        row_of = {path: row for row, path in enumerate(self.paths)}
        if strategy == "queue":
            return [row_of[item.path] for item in self.library.help_queue(self.name, PER_ROUND)]
        free = [r for r in range(len(self.paths)) if r not in self.decided]
        if strategy == "random":
            return [int(r) for r in rng.choice(free, size=min(PER_ROUND, len(free)), replace=False)]
        review = self.library.review(self.name, near_misses=len(self.paths))
        ranked = [row_of[p.path] for p in review.suggested + review.near_misses]
        ranked += [r for r in free if r not in set(ranked)]
        return ranked[:PER_ROUND]


def photo_runs(workdir: Path) -> list[Run]:
    from phototag.core.library import Library

    template, kinds = _scene_library(workdir)
    paths = sorted(kinds)
    runs = []
    for kind in SCENE_COUNTS:
        truth = np.array([kinds[p] == kind for p in paths])
        start = [
            int(r)
            for r in np.random.default_rng(len(kind)).choice(
                np.flatnonzero(truth), START_EXAMPLES, replace=False
            )
        ]
        for strategy in STRATEGIES:
            copy = workdir / f"{kind}-{strategy}"
            shutil.copytree(template, copy)
            with Library(copy) as library:
                label = LibraryLabel(library, kind, paths)
                rng = np.random.default_rng([len(kind), 7])
                pick = partial(label.next_rows, strategy, rng)
                decisions, reached, early = simulate(label.decide, pick, label.shown, truth, start)
            runs.append(Run(strategy, "photos", decisions, reached, early))
    return runs


# ----- report --------------------------------------------------------------------------------


def table(runs: list[Run]) -> list[str]:
    heads = ("runs", "mean", "median", "unreached", "F1@30")
    widths = (4, 6, 6, 9, 6)
    lines = [
        f"{'data':<10} {'strategy':<8} "
        + " ".join(f"{h:>{w}}" for h, w in zip(heads, widths, strict=True))
    ]
    for dataset in ("synthetic", "photos", "all"):
        for strategy in STRATEGIES:
            chosen = [r for r in runs if r.strategy == strategy and dataset in ("all", r.dataset)]
            if not chosen:
                continue
            decisions = np.array([r.decisions for r in chosen])
            lines.append(
                f"{dataset:<10} {strategy:<8} {len(chosen):>4} {decisions.mean():>6.1f} "
                f"{np.median(decisions):>6.0f} {sum(not r.reached for r in chosen):>9} "
                f"{np.mean([r.f1_early for r in chosen]):>6.3f}"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--skip-photos", action="store_true", help="synthetic data only")
    args = parser.parse_args()
    started = time.perf_counter()
    runs = synthetic_runs(args.seeds)
    if not args.skip_photos:
        with tempfile.TemporaryDirectory(prefix="phototag-active-") as workdir:
            runs += photo_runs(Path(workdir))
    print(f"start {START_EXAMPLES} examples, {PER_ROUND} decisions a round, budget {BUDGET}")
    print("\n".join(table(runs)))
    print(f"{time.perf_counter() - started:.0f} s, load average {os.getloadavg()[0]:.2f}")
    means = {s: np.mean([r.decisions for r in runs if r.strategy == s]) for s in STRATEGIES}
    print("decisions_to_f1_90 " + " ".join(f"{s}={means[s]:.0f}" for s in STRATEGIES))


if __name__ == "__main__":
    main()
