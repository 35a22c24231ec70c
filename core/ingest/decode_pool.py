"""Photos decoded in worker processes, in order, with a bounded number in flight.

Decoding (Huffman decoding, mostly) takes about as much CPU as the model per photo, and Python
threads cannot run it beside the model's forward pass, so it runs in processes. They are
started with 'spawn', never 'fork': the GUI and the watcher call ingest from threads while torch
and Qt hold locks in other threads, and a forked child would inherit those locks held. Workers
import PIL and numpy only (no torch), and send back 224-pixel uint8 crops, not full images.

A pool outlives each ingest and is reused by the next, so the watcher's single photos do not
pay a process start-up each time. Each worker has its own pipe and one photo at a time, so when
a decoder crashes its process (a segfault in a codec on a hostile file) the photo it was on is
known: it is tried once more in a fresh worker, then recorded as unreadable, and the rest of the
scan goes on.

A worker imports this module's chain only (PIL, numpy: 36 MB resident). 'spawn' would also run
the parent's main module again in every worker (multiprocessing's "safe importing of main"):
the `phototag` script's imports are the whole command line and the store's SQLite layer with
pandas and pyarrow, and a script that imports PySide6 at its top, as the benches do, brought Qt
into every worker (130 MB resident each, measured from the GUI). So a worker starts with the
parent's main module hidden (_main_module_hidden); no worker code lives in a main module.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import signal
import sys
import threading
import types
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TypeVar

import numpy as np

from phototag.core.ingest.decode import DecodedImage, UnreadableImage, decode_image
from phototag.core.ingest.pixels import PixelRecipe

REASON_DECODER_CRASHED = "the image decoder crashed on this file"
# A worker can also die for reasons of its own (the OOM killer): a photo whose decoder died
# is tried once more in a fresh worker before it is called unreadable.
CRASHES_BEFORE_GIVING_UP = 2

Item = TypeVar("Item")


@dataclass(frozen=True)
class Pixels:
    """What a worker sends back: the model's crop and the facts the library records."""

    crop: np.ndarray  # (height, width, 3) uint8
    width: int
    height: int
    taken_at: str | None


def decode_to_pixels(path: str, recipe: PixelRecipe) -> Pixels | str:
    """Runs in a worker: the crop the model needs, or the reason the file cannot give one."""
    try:
        decoded = decode_image(Path(path), recipe.min_side)
    except UnreadableImage as exc:
        return exc.reason
    return pixels_of(decoded, recipe)


def pixels_of(decoded: DecodedImage, recipe: PixelRecipe) -> Pixels:
    return Pixels(recipe.crop_of(decoded.image), decoded.width, decoded.height, decoded.taken_at)


def _serve(connection: Connection) -> None:
    """A worker's life: decode what arrives until told to stop (None) or the parent is gone.

    Ctrl-C in a terminal reaches the whole process group; the parent decides what stops.
    A parent killed outright (SIGKILL, a crash, SIGTERM outside the app's handler) must not
    leave workers waiting forever, nor make them print anything: its end of the pipe closes,
    which is this worker's cue to end quietly (an EOFError traceback from recv() reached the
    terminal in 2 of 5 parents killed by SIGTERM). SIGTERM itself keeps its default: the
    worker ends at once, without a traceback.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    with contextlib.suppress(EOFError, OSError):
        while (task := connection.recv()) is not None:
            connection.send(decode_to_pixels(*task))


def _exit_with(parent) -> None:
    parent.join()  # returns when the parent's end of the start-up pipe closes: it is gone
    os._exit(0)


# What multiprocessing reads as the parent's main module while a worker starts: it has neither a
# file nor a spec, so the worker has nothing to run again.
_BARE_MAIN = types.ModuleType("__main__")
_starting = threading.Lock()


@contextmanager
def _main_module_hidden() -> Iterator[None]:
    """sys.modules["__main__"] stands in for the parent's main module while a worker starts:
    spawn's preparation data (multiprocessing.spawn.get_preparation_data) names the module it
    finds there for the child to run again. Only the start itself, a few milliseconds."""
    with _starting:
        main = sys.modules["__main__"]
        sys.modules["__main__"] = _BARE_MAIN
        try:
            yield
        finally:
            sys.modules["__main__"] = main


class _Worker:
    """One process with its own pipe: when it dies, only its own photo is in question (a pool
    sharing one result pipe hangs when a worker dies half-way through writing to it)."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.connection, child_end = context.Pipe()
        self.process = context.Process(
            target=_serve, args=(child_end,), name="phototag-decode", daemon=True
        )
        with _main_module_hidden():
            self.process.start()
        child_end.close()
        self.task: _Task | None = None

    def start(self, task: _Task) -> bool:
        """False when the worker is gone (it died while idle)."""
        try:
            self.connection.send((task.path, task.recipe))
        except OSError:
            return False
        self.task = task
        return True

    def finish(self) -> Pixels | str | None:
        """The result of the current task; None when the worker died on it."""
        try:
            return self.connection.recv()
        except (EOFError, OSError):
            return None
        finally:
            self.task = None

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.connection.send(None)
        self.connection.close()
        self.process.join(timeout=1)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


@dataclass
class _Task:
    index: int
    path: str
    recipe: PixelRecipe
    crashes: int = 0


class DecodePool:
    """Worker processes, started on first use and replaced one by one when they die."""

    def __init__(self, workers: int | None = None):
        self.size = workers or os.cpu_count() or 1
        self._workers: list[_Worker] = []

    def decode_in_order(
        self,
        items: Iterable[Item],
        path_of: Callable[[Item], str],
        recipe: PixelRecipe,
        in_flight: int,
    ) -> Iterator[tuple[Item, Pixels | str]]:
        """See the module function of the same name."""
        self._workers = [w for w in self._workers if w.process.is_alive()]
        self._workers += [_Worker() for _ in range(self.size - len(self._workers))]
        source = iter(items)
        drawn: deque[tuple[int, Item]] = deque()
        waiting: deque[_Task] = deque()
        done: dict[int, Pixels | str] = {}
        numbered = enumerate(source)
        try:
            while True:
                # Topped up before every wait, so the workers never run dry while the caller
                # runs the model on what came before.
                for index, item in itertools.islice(numbered, max(0, in_flight - len(drawn))):
                    drawn.append((index, item))
                    waiting.append(_Task(index, path_of(item), recipe))
                if not drawn:
                    return
                yield self._next_in_order(drawn, waiting, done)
        finally:
            self._settle()

    def _next_in_order(self, drawn: deque, waiting: deque, done: dict):
        index, item = drawn[0]
        while index not in done:
            self._dispatch(waiting)
            self._collect(waiting, done)
        drawn.popleft()
        return item, done.pop(index)

    def _dispatch(self, waiting: deque[_Task]) -> None:
        for position, worker in enumerate(self._workers):
            while waiting and worker.task is None:
                if not worker.start(waiting[0]):
                    worker = self._workers[position] = _Worker()
                    continue
                waiting.popleft()

    def _collect(self, waiting: deque[_Task], done: dict) -> None:
        """Wait for at least one busy worker to answer or die."""
        busy = [w for w in self._workers if w.task is not None]
        wait([w.connection for w in busy] + [w.process.sentinel for w in busy])
        for position, worker in enumerate(self._workers):
            task = worker.task
            if task is None or not (worker.connection.poll() or not worker.process.is_alive()):
                continue
            result = worker.finish()
            if result is not None:
                done[task.index] = result
                continue
            self._workers[position] = _Worker()
            task.crashes += 1
            if task.crashes < CRASHES_BEFORE_GIVING_UP:
                waiting.appendleft(task)  # first in line for a fresh worker
            else:
                done[task.index] = REASON_DECODER_CRASHED

    def _settle(self) -> None:
        """After an early stop, let busy workers finish (one photo each) so that no stale
        result is left in a pipe for the next run."""
        for position, worker in enumerate(self._workers):
            if worker.task is not None and worker.finish() is None:
                self._workers[position] = _Worker()

    def close(self) -> None:
        for worker in self._workers:
            worker.stop()
        self._workers = []


_idle: list[DecodePool] = []
_idle_lock = threading.Lock()


def decode_in_order(
    items: Iterable[Item],
    path_of: Callable[[Item], str],
    recipe: PixelRecipe,
    in_flight: int,
    pool: DecodePool | None = None,
) -> Iterator[tuple[Item, Pixels | str]]:
    """Each item with its decoded pixels (or unreadable reason), in the order given.

    At most `in_flight` items are drawn from `items` ahead of the one yielded, so memory stays
    flat for any library size and `items` may do work lazily (hash, link) as it is drawn.
    Without a pool, one of the process's idle pools is used (or a new one): two ingests at once
    (the GUI's scan and its watcher) each get their own.
    """
    if pool is not None:
        yield from pool.decode_in_order(items, path_of, recipe, in_flight)
        return
    with _idle_lock:
        borrowed = _idle.pop() if _idle else DecodePool()
    try:
        yield from borrowed.decode_in_order(items, path_of, recipe, in_flight)
    finally:
        with _idle_lock:
            _idle.append(borrowed)
