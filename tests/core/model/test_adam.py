"""single_threaded(): one BLAS thread while any section of the process runs."""

from __future__ import annotations

import threading

from threadpoolctl import threadpool_info, threadpool_limits

from phototag.core.model.adam import single_threaded


def _blas_threads() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


def test_a_section_ending_on_one_thread_leaves_another_threads_section_on_one_thread():
    """The limit is process-wide: a scoring on the library thread must not get two BLAS
    threads halfway because a training on another thread ended its own section."""
    entered, release = threading.Event(), threading.Event()

    def other_section() -> None:
        with single_threaded():
            entered.set()
            release.wait(10)

    other = threading.Thread(target=other_section)
    with threadpool_limits(limits=2, user_api="blas"):
        with single_threaded():
            other.start()
            assert entered.wait(10)
        during_the_other = _blas_threads()
        release.set()
        other.join(10)
    assert during_the_other == {1}
