"""Adam with cosine annealing on numpy arrays, for the few small trainings the methods need.

ProLIP, LLU and the MWI fine-tune each train one small matrix on a few hundred cached rows.
Their gradients are written out by hand, so torch's autograd, thread pool and tensor
bookkeeping would be pure overhead at this size; numpy runs such a step in microseconds.
"""

from __future__ import annotations

import functools
import math
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np


class Adam:
    """Adam (Kingma and Ba) updating the given float arrays in place.

    The learning rate follows torch's CosineAnnealingLR down to 0 over `total_steps`, so a
    short training ends on small steps instead of oscillating around its minimum.
    """

    def __init__(
        self,
        params: list[np.ndarray],
        learning_rate: float,
        total_steps: int,
        eps: float = 1e-8,
        betas: tuple[float, float] = (0.9, 0.999),
    ):
        self.params = params
        self.learning_rate = learning_rate
        self.total_steps = max(total_steps, 1)
        self.eps = eps
        self.beta1, self.beta2 = betas
        self.first = [np.zeros_like(p) for p in params]
        self.second = [np.zeros_like(p) for p in params]
        self.steps_done = 0

    def current_rate(self) -> float:
        progress = min(self.steps_done, self.total_steps) / self.total_steps
        return self.learning_rate * 0.5 * (1.0 + math.cos(math.pi * progress))

    def step(self, grads: list[np.ndarray]) -> None:
        rate = self.current_rate()
        self.steps_done += 1
        correction1 = 1.0 - self.beta1**self.steps_done
        correction2 = 1.0 - self.beta2**self.steps_done
        for param, grad, first, second in zip(
            self.params, grads, self.first, self.second, strict=True
        ):
            first *= self.beta1
            first += (1.0 - self.beta1) * grad
            second *= self.beta2
            second += (1.0 - self.beta2) * grad * grad
            denominator = np.sqrt(second / correction2) + self.eps
            param -= (rate / correction1) * first / denominator


class _SharedLimit:
    """The one-thread limit of every single_threaded() section in the process, counted: the
    limit is process-wide, so it is lifted when the last section ends, never while a section
    on another thread (a label's scoring, whose bits depend on it) is still running. Measured
    here: OpenBLAS ignores a raise asked from another thread than the one that lowered it, so
    when the last section ends elsewhere the process stays on one thread (the safe side)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inside = 0
        self._limiter = None

    def enter(self) -> None:
        with self._lock:
            if self._inside == 0:
                self._limiter = _controller(len(sys.modules)).limit(limits=1)
            self._inside += 1

    def leave(self) -> None:
        with self._lock:
            self._inside -= 1
            if self._inside == 0 and self._limiter is not None:
                self._limiter.restore_original_limits()
                self._limiter = None


_SHARED_LIMIT = _SharedLimit()


@contextmanager
def single_threaded() -> Iterator[None]:
    """BLAS and OpenMP on one thread for the duration: these trainings are hundreds of small
    products, and with a second thread on a busy 2-core machine each product waits for a core
    (measured: 1.7 s on one thread vs 24 s on two for the same ProLIP refine, bench/prolip.py;
    scikit-learn's L-BFGS and k-means on a few dozen rows: 10x slower with two threads)."""
    _SHARED_LIMIT.enter()
    try:
        yield
    finally:
        _SHARED_LIMIT.leave()


@functools.lru_cache(maxsize=1)
def _controller(modules_loaded: int):
    """Finding the thread pools scans the process's libraries (7 ms), so it is done again only
    when modules were imported since: scikit-learn and SciPy load pools of their own late."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()
