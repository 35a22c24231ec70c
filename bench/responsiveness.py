"""Responsiveness of the real main window on a big library (issue 14), offscreen.

    .venv/bin/python bench/responsiveness.py [--photos 100000] [--labels 50]

A library with the real schema and synthetic 512-d embeddings (ViT-B-32's size) is built in a
child process (bench/scale.py's builder), then opened in the real MainWindow. The bench tags
one photo at a time and waits for the grid to show the label's suggestions, rejects one, moves
the threshold slider and switches labels, while a timer on the GUI thread records the longest
gap between its ticks: the worst frame a user would see. Each action's time runs until the
window shows its outcome: the library thread's job has run and its snapshot has been applied
(app/library_thread.py), the event loop turning meanwhile; applying the snapshots, the part
left on the GUI thread, is timed on its own. Then, in the same run, it re-scores
1M photos x 100 labels in full and for one changed label (incremental rescoring). A benchmark
prints figures (with the load average), it asserts nothing. Its last line is exactly
`tag_to_suggestions_ms=<p50> worst_frame_ms=<max> rss_mb=<peak>`.

Not measured yet: typing a search (needs a text tower loaded: no model is loaded here), and the
targets' "ViT-B-32-sized random model loaded" memory.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from scale import EMBED_DIM, build, unit_rows  # bench/ is on sys.path: the script is there

FRAME_TICK_MS = 5
TAGS = 7


class FrameTimer:
    """Ticks every FRAME_TICK_MS on the GUI thread; the longest gap between ticks is the
    longest time the window could not paint or answer input."""

    def __init__(self):
        from PySide6.QtCore import QTimer

        self.worst_ms = 0.0
        self.worst_between_ms = 0.0  # the worst gap that held no snapshot being applied
        self.applied = False  # set by time_applying: the gap now open held one
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.setInterval(FRAME_TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        gap = (now - self._last) * 1000
        self.worst_ms = max(self.worst_ms, gap)
        if not self.applied:  # a stall of its own: the library thread's work, say (the GIL)
            self.worst_between_ms = max(self.worst_between_ms, gap)
        self.applied = False
        self._last = now

    def reset(self) -> None:
        self.worst_ms = self.worst_between_ms = 0.0
        self._last = time.perf_counter()


def settle(app, seconds: float = 0.2) -> None:
    """Run the event loop for a while, as a user's window would between clicks."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()


def shown_ms(app, window, action: Callable[[], object]) -> float:
    """Milliseconds from the action to the window showing its outcome: every job it queued on
    the library thread has run and been applied, and the events that caused are handled. A
    window from before the library thread (no `library_thread`) did it all in `action`."""
    from PySide6.QtCore import QEventLoop

    started = time.perf_counter()
    action()
    worker = getattr(window, "library_thread", None)
    while worker is not None and not worker.idle:
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)  # the timer wakes it
    app.processEvents()
    return (time.perf_counter() - started) * 1000


def time_applying(window, frames: FrameTimer) -> list[float]:
    """Milliseconds of each snapshot applied on the GUI thread (MainWindow._show), if any; the
    frame gap each one falls in is marked as such."""
    applied: list[float] = []
    show = getattr(window, "_show", None)
    if show is None:
        return applied

    def timed(*args) -> None:
        started = time.perf_counter()
        show(*args)
        applied.append((time.perf_counter() - started) * 1000)
        frames.applied = True

    window._show = timed
    return applied


def drive_window(
    root: Path, labels: int
) -> tuple[list[float], dict[str, float], FrameTimer, list[float]]:
    """Tag, reject, threshold and label switches in the real window: (tag times, the other
    actions' times, the frames, the GUI thread's time applying each snapshot)."""
    from phototag.app.main import make_application
    from phototag.app.main_window import MainWindow
    from phototag.core.library import Library

    app = make_application()
    library = Library(root)
    opened = time.perf_counter()
    window = MainWindow(library, model=None)
    window.show()
    frames = FrameTimer()
    applied = time_applying(window, frames)
    shown_ms(app, window, lambda: None)
    print(f"window open with every label scored: {time.perf_counter() - opened:.2f} s")
    settle(app)
    frames.reset()
    label = "label 1"
    shown_ms(app, window, lambda: window._open_label(label))
    settle(app)
    applied.clear()
    tags = []
    for index in range(TAGS):
        path = f"/photos/{50_000 + index:07d}.jpg"
        tags.append(shown_ms(app, window, lambda p=path: window.tag_paths(label, [p])))
        settle(app)
    others = {}
    shown = window.photo_model.photos()
    others["reject"] = shown_ms(
        app, window, lambda: window._decide("reject", label, [shown[0].path])
    )
    settle(app)
    others["threshold"] = shown_ms(app, window, lambda: window._set_threshold(0.2))
    settle(app)
    others["switch_label"] = shown_ms(app, window, lambda: window._open_label(f"label {labels}"))
    settle(app)
    window.close()
    library.close()
    return tags, others, frames, list(applied)


def rescore_ms(photos: int, labels: int, repeats: int = 3) -> tuple[float, float]:
    """Median ms of a full re-score and of one label's incremental re-score, same matrix."""
    from phototag.core.labels.scoring import EmbeddingMatrix

    rng = np.random.default_rng(1)
    matrix = EmbeddingMatrix(np.arange(photos), unit_rows(rng, photos, EMBED_DIM))
    weights = unit_rows(rng, labels, EMBED_DIM)
    scores = matrix.scores(weights)
    # Missing on a checkout from before incremental rescoring, where one label's change
    # re-scored every label: run this bench against it for the "before" figures.
    incremental = getattr(matrix, "rescore_columns", None)
    full, one = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        matrix.scores(weights)
        full.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        if incremental is None:
            matrix.scores(weights)
        else:
            incremental(weights, scores, [labels // 2])
        one.append((time.perf_counter() - started) * 1000)
    return statistics.median(full), statistics.median(one)


def load() -> str:
    return "load average " + " ".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--labels", type=int, default=50)
    parser.add_argument("--examples", type=int, default=8, help="examples per label")
    parser.add_argument("--rescore-photos", type=int, default=1_000_000)
    parser.add_argument("--rescore-labels", type=int, default=100)
    args = parser.parse_args()
    print(f"start: {load()}")
    with tempfile.TemporaryDirectory(prefix="phototag-bench-responsive-") as scratch:
        root = Path(scratch) / "library"
        with ProcessPoolExecutor(1) as child:
            child.submit(build, root, args.photos, args.labels, args.examples).result()
        print(f"built {args.photos} photos, {args.labels} labels ({load()})")
        tags, others, frames, applied = drive_window(root, args.labels)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("tag -> suggestions shown, ms: " + ", ".join(f"{t:.0f}" for t in tags))
    print("other actions, ms: " + ", ".join(f"{k} {v:.0f}" for k, v in others.items()))
    if applied:
        print(
            f"applying a snapshot on the GUI thread, ms: median {statistics.median(applied):.0f}"
            f", max {max(applied):.0f} ({len(applied)} snapshots); worst frame without one "
            f"{frames.worst_between_ms:.0f} ms"
        )
    print(f"after the window: {load()}")
    full, one = rescore_ms(args.rescore_photos, args.rescore_labels)
    print(
        f"re-score {args.rescore_photos} x {args.rescore_labels}: full {full:.0f} ms, "
        f"one changed label {one:.0f} ms ({load()})"
    )
    print(
        f"tag_to_suggestions_ms={statistics.median(tags):.0f} worst_frame_ms={frames.worst_ms:.0f} "
        f"rss_mb={rss_mb:.0f}"
    )


if __name__ == "__main__":
    main()
