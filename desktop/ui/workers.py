"""Run a function off the UI thread and hear about it through signals (the superqt/napari pattern).

Widgets are touched only on the main thread: a `Worker` runs in a `QThreadPool`, and its result
or exception reaches the main thread as a queued signal on a `WorkerSignals` object.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class WorkerSignals(QObject):
    """What a worker reports. Lives on the main thread, so connected slots run there."""

    finished = Signal(object, float)  # result, seconds the work took
    failed = Signal(object)  # the exception raised


class Worker(QRunnable):
    """Calls `fn(*args)` on a pool thread; emits `signals.finished` or `signals.failed`."""

    def __init__(self, fn: Callable, *args) -> None:
        super().__init__()
        self.fn = fn
        self.args = args
        self.signals = WorkerSignals()

    def run(self) -> None:
        started = time.perf_counter()
        try:
            result = self.fn(*self.args)
        except Exception as error:  # reported to the UI, which says what went wrong
            self.signals.failed.emit(error)
            return
        self.signals.finished.emit(result, time.perf_counter() - started)


class WorkerPool(QObject):
    """A thread pool that keeps each worker alive until its signal has been delivered."""

    def __init__(self, max_threads: int = 1, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._running: set[WorkerSignals] = set()

    def start(self, worker: Worker) -> Worker:
        # The pool deletes the runnable when it returns; the signals object must outlive it until
        # the main thread has handled the queued signal, so hold it here until then.
        signals = worker.signals
        self._running.add(signals)
        signals.finished.connect(lambda *_: self._running.discard(signals))
        signals.failed.connect(lambda *_: self._running.discard(signals))
        self._pool.start(worker)
        return worker

    def wait(self, msecs: int = -1) -> bool:
        """Block until every worker has returned (on close: never leave a thread running)."""
        return self._pool.waitForDone(msecs)
