"""The teaching loop's reads: the photos to ask about next (the "Help this label" queue, whose
rule is in core/labels/queue.py) and each label's health (how far to trust it, and why not).

Health, per label: its examples and rejections, the suggestions still unreviewed, and how
precise its suggestions have been, estimated from the suggestions the user has decided
(examples.suggested marks a decision made on a photo the model was suggesting): confirmed /
(confirmed + rejected), with a 95% Wilson interval, which stays honest for the handful of
reviews a label has early on (at 3 of 3 it is 0.44..1, not 1..1). A label is called weak, in
plain words, when it has one example, when its threshold comes from the fallback rule (no
held-out example to place it: median + 3 spreads), or when its precision is low with
confidence (the interval's top is under PRECISION_WARNING).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from phototag.core.browse import Browser
from phototag.core.labels import queue
from phototag.core.labels.names import require_label
from phototag.core.labels.readable import readable
from phototag.core.labels.state import LabelHead, ModelView
from phototag.core.store import labels as stored

QUEUE_SHOWN = 20
PRECISION_WARNING = 0.8
CONFIDENCE = 0.95
WILSON_Z = 1.959963984540054
"""The normal quantile of a two-sided 95% interval: scipy.special.ndtri(0.5 + 0.5 * CONFIDENCE),
written out (the standard library's NormalDist gives it one unit in the last place lower)."""


@dataclass(frozen=True)
class QueueItem:
    """A photo to decide next for a label: its path, its 0..1 score (on the scale the window
    shows, core/labels/readable.py) and why it was picked."""

    path: str
    content_hash: str
    score: float
    why: str


@dataclass(frozen=True)
class LabelHealth:
    name: str
    examples: int
    rejections: int
    unreviewed: int
    """Suggestions (the model gives the label) the user has neither confirmed nor rejected."""
    reviewed: int
    """Suggestions the user decided: the evidence behind `precision`."""
    precision: float | None
    precision_interval: tuple[float, float] | None
    fallback_threshold: bool
    warnings: list[str] = field(default_factory=list)

    @property
    def weak(self) -> bool:
        return bool(self.warnings)


def _first_files(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(matrix rows shown, sorted; the position of the first present file showing each), by
    np.unique's first occurrences: a dict filled file by file took 37 ms of a tag at 100k."""
    embedded = np.flatnonzero(rows >= 0)
    matrix_rows, first = np.unique(rows[embedded], return_index=True)
    return matrix_rows, embedded[first]


def help_queue(browser: Browser, label: str, count: int = QUEUE_SHOWN) -> list[QueueItem]:
    """The photos whose decision would teach the label most, in the order to ask."""
    name = require_label(browser.store, label).name
    view = browser.labels.view()
    if view is None:
        return []
    head = view.heads[browser.column(view, name)]
    index = browser.file_index()
    shown, first_file = _first_files(index.rows)
    candidates = np.zeros(len(view.matrix), dtype=bool)
    candidates[shown] = True
    decided = view.matrix.rows(list(head.examples))
    candidates[decided] = False
    column = view.heads.index(head)
    picks = queue.choose(
        view.matrix.embeddings,
        view.scores[:, column],
        (head.threshold, head.calibration.slope),
        candidates,
        decided,
        count,
    )
    items = []
    for pick in picks:
        position = int(first_file[np.searchsorted(shown, pick.row)])
        score = round(float(readable(view.scores[pick.row, column], head)), 4)
        items.append(QueueItem(index.paths[position], index.hashes[position], score, pick.why))
    return items


def wilson_interval(successes: int, trials: int) -> tuple[float, float] | None:
    """The 95% Wilson score interval of a proportion, None without trials: scipy's
    binomtest(...).proportion_ci(method="wilson") to the bit (Newcombe 1998, as scipy writes
    it; tests/core/test_teaching.py holds the two equal). Not scipy's own: importing scipy.stats
    took 1.2 s on the GUI thread, in the first tag whose photo the label had suggested."""
    if trials == 0:
        return None
    p = successes / trials
    denom = 2 * (trials + WILSON_Z**2)
    center = (2 * trials * p + WILSON_Z**2) / denom
    delta = WILSON_Z / denom * math.sqrt(4 * trials * p * (1 - p) + WILSON_Z**2)
    low = 0.0 if successes == 0 else center - delta
    high = 1.0 if successes == trials else center + delta
    return float(low), float(high)


def uses_fallback_threshold(view: ModelView, head: LabelHead) -> bool:
    """Whether the automatic threshold had no held-out example to go on (median + 3 spreads):
    no positive, or one alone without a prompt. A user's own threshold or an imported pack's
    calibration is not the fallback."""
    if head.user_threshold is not None or math.isinf(head.threshold):
        return False
    if head.preset is not None and not head.examples:
        return False
    if head.fitted is not None:
        return len(head.fitted.held_out_scores()) == 0
    positives = view.matrix.embeddings[view.matrix.rows(head.ids(1))]
    return len(head.prototype.leave_one_out_scores(positives)) == 0


def _warnings(health: LabelHealth, no_decision: bool) -> list[str]:
    found = []
    if no_decision:
        found.append("needs an example: it suggests nothing yet")
    elif health.examples == 1:
        found.append("only one example: confirm a few more photos")
    if health.fallback_threshold and health.examples != 1:
        found.append("threshold is a guess: too few examples to place it")
    interval = health.precision_interval
    if interval is not None and interval[1] < PRECISION_WARNING:
        found.append(
            f"suggestions are often wrong: about {health.precision:.0%} were right "
            "(reject the wrong ones, confirm the right ones)"
        )
    return found


def label_health(browser: Browser) -> list[LabelHealth]:
    """Every label's health, by name (see the module docstring)."""
    view = browser.labels.view()
    infos = {info.name: info for info in browser.label_infos()}
    reviewed = stored.reviewed_suggestions(browser.store)
    heads = {} if view is None else {h.label_id: h for h in view.heads}
    result = []
    for row in stored.all_labels(browser.store, by_name=True):
        info = infos[row.name]
        verdicts = reviewed.get(row.id, stored.ReviewedSuggestions(0, 0))
        trials = verdicts.confirmed + verdicts.rejected
        head = heads.get(row.id)
        health = LabelHealth(
            name=row.name,
            examples=info.confirmed,
            rejections=info.rejected,
            unreviewed=info.suggested,
            reviewed=trials,
            precision=verdicts.confirmed / trials if trials else None,
            precision_interval=wilson_interval(verdicts.confirmed, trials),
            fallback_threshold=(
                view is not None and head is not None and uses_fallback_threshold(view, head)
            ),
        )
        no_decision = info.threshold is None and info.threshold_is_automatic
        health.warnings.extend(_warnings(health, no_decision))
        result.append(health)
    return result
