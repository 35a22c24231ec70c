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

The window's process holds a ViT-B-32-sized random model (numpy-drawn weights under the real
file names, in a private hub cache; converted in a child process, as a first use does), loaded
as a scan leaves it, so rss_mb counts the model; typing a search is timed with it (the text
tower's encode on the window's text thread, then the ranked view).
"""

from __future__ import annotations

import argparse
import gc
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
    started = time.perf_counter()
    action()
    until_library_idle(app, window)
    return (time.perf_counter() - started) * 1000


def until_library_idle(app, window) -> None:
    """Run the event loop until the window's library thread has run and applied every job."""
    from PySide6.QtCore import QEventLoop

    worker = getattr(window, "library_thread", None)
    while worker is not None and not worker.idle:
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)  # the timer wakes it
    app.processEvents()


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


# open_clip's ViT-B-32.json: the default model's shapes (151M parameters, 605 MB of float32).
VIT_B_32 = {
    "embed_dim": 512,
    "vision_cfg": {"image_size": 224, "layers": 12, "width": 768, "patch_size": 32},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 512, "heads": 8, "layers": 12},
}
SEARCHES = ("a dog on the beach", "sunset over the sea", "birthday cake", "snow in the mountains")


def private_model_folders(scratch: Path) -> None:
    """The hub cache and the converted graphs in the scratch folder: the random weights must
    never sit where the user's real ViT-B-32 (same model key) would be found. Set before
    anything reads them (huggingface_hub reads HF_HUB_CACHE at its import)."""
    os.environ["HF_HUB_CACHE"] = str(scratch / "hub")
    os.environ["XDG_CACHE_HOME"] = str(scratch / "cache")


def random_vit_b_32() -> None:
    """ViT-B-32-sized random weights where the default model's download puts them (the hub
    cache's layout), and its two ONNX towers converted from them, as a first use does. Run in a
    child process: the conversion's peak memory (weights, graph and its serialisation at once)
    is a one-time cost, not the window's."""
    from safetensors.numpy import save_file

    from phototag.core.model.hub import hub_files
    from phototag.core.model.shared import shared_model
    from phototag.core.model.specs import get_spec
    from phototag.core.model.tiny import random_clip_state

    repo_id, filenames = hub_files(get_spec("ViT-B-32"))
    commit = "0" * 40
    repo = Path(os.environ["HF_HUB_CACHE"]) / f"models--{repo_id.replace('/', '--')}"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    path = repo / "snapshots" / commit / filenames[0]
    path.parent.mkdir(parents=True)
    save_file(random_clip_state(VIT_B_32, seed=0), str(path))
    shared_model("ViT-B-32", None).prepare()


def load_model() -> float:
    """Load the random ViT-B-32 into this process as a scan leaves it (the image tower's
    session; the text tower's loads with the first search): seconds taken."""
    from phototag.core.model.shared import shared_model

    started = time.perf_counter()
    shared_model("ViT-B-32", None).prepare()
    return time.perf_counter() - started


def searched_ms(app, window, text: str, timeout_s: float = 300) -> float:
    """Milliseconds from a search typed (Return) to its results shown: the text tower's
    encode on the window's text thread, then the ranked view."""
    started = time.perf_counter()
    window.search_box.setText(text)
    window.search(text)
    while window.query is None or window.query[0] != text:
        if time.perf_counter() - started > timeout_s:
            raise TimeoutError(f"no answer to the search {text!r} in {timeout_s:.0f} s")
        app.processEvents()
    until_library_idle(app, window)  # the ranked view is read on the library thread
    return (time.perf_counter() - started) * 1000


def drive_search(root: Path) -> tuple[list[float], float]:
    """Searches typed in the real window: (each search's ms, the first one loading the text
    tower; the worst frame meanwhile)."""
    from phototag.app.main import make_application
    from phototag.app.main_window import MainWindow
    from phototag.core.library import Library

    app = make_application()
    library = Library(root)
    window = MainWindow(library, model=None)
    window.show()
    until_library_idle(app, window)  # the first view is read and shown
    frames = FrameTimer()
    settle(app)
    frames.worst_ms = 0.0
    frames.reset()
    times = []
    for text in SEARCHES:
        times.append(searched_ms(app, window, text))
        settle(app)
    worst = frames.worst_ms
    window.close()
    library.close()
    return times, worst


def release_windows() -> None:
    """Delete the closed windows: Qt's connections hold their methods, a cycle through C++
    that gc cannot see, so a closed MainWindow kept its Library (the 100k library's matrix and
    scores, 260 MB) alive under the next window's."""
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication

    for widget in QApplication.topLevelWidgets():
        widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
        private_model_folders(Path(scratch))
        with ProcessPoolExecutor(1) as child:
            child.submit(build, root, args.photos, args.labels, args.examples).result()
            print(f"built {args.photos} photos, {args.labels} labels ({load()})")
            child.submit(random_vit_b_32).result()
        print(f"random ViT-B-32 weights written and converted ({load()})")
        print(f"random ViT-B-32 loaded in {load_model():.1f} s: peak RSS {rss_mb():.0f} MB")
        tags, others, frames, applied = drive_window(root, args.labels)
        release_windows()  # the first window's library and grid go before the second opens
        searches, search_worst = drive_search(root)
    peak_mb = rss_mb()
    worst = max(frames.worst_ms, search_worst)
    print("tag -> suggestions shown, ms: " + ", ".join(f"{t:.0f}" for t in tags))
    print("other actions, ms: " + ", ".join(f"{k} {v:.0f}" for k, v in others.items()))
    if applied:
        print(
            f"applying a snapshot on the GUI thread, ms: median {statistics.median(applied):.0f}"
            f", max {max(applied):.0f} ({len(applied)} snapshots); worst frame without one "
            f"{frames.worst_between_ms:.0f} ms"
        )
    print(
        f"type a search -> results shown, ms: first (text tower loads) {searches[0]:.0f}, "
        f"then {statistics.median(searches[1:]):.0f} (median); worst frame {search_worst:.0f} ms"
    )
    print(f"after the window: {load()}")
    full, one = rescore_ms(args.rescore_photos, args.rescore_labels)
    print(
        f"re-score {args.rescore_photos} x {args.rescore_labels}: full {full:.0f} ms, "
        f"one changed label {one:.0f} ms ({load()})"
    )
    print(
        f"tag_to_suggestions_ms={statistics.median(tags):.0f} worst_frame_ms={worst:.0f} "
        f"rss_mb={peak_mb:.0f}"
    )


if __name__ == "__main__":
    main()
