"""A batch run on a pool thread: find the files, read and classify them, and report each batch
through queued signals. Cancel sets an event that the core checks between batches.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass

from PySide6.QtCore import QObject, QRunnable, Signal

from review_sentiment._batch import BATCH_SIZE, InputMode, ReviewReader, classify_reviews, find_input_files
from review_sentiment._cli import default_jobs

# The `classify` command's batches and encoding processes, so the tab keeps the command's pace;
# results still reach the table a few times a second (REPORT_SECONDS) and Cancel acts per batch.
REPORT_SECONDS = 0.2
GIL_SWITCH_SECONDS = 0.0002


@dataclass(frozen=True)
class BatchRequest:
    paths: tuple[str, ...]
    mode: InputMode
    field: str
    extensions: tuple[str, ...]
    band: float
    workers: int = -1
    """Processes that encode text beside this one; -1: as many as the `classify` command uses."""


@dataclass(frozen=True)
class BatchProgress:
    reviews: int
    """Records so far (classified and failed)."""
    work_done: int
    work_total: int
    """Files for one-review-per-file, bytes otherwise."""
    counts_files: bool
    seconds: float

    @property
    def fraction(self) -> float:
        return min(1.0, self.work_done / self.work_total) if self.work_total else 0.0

    @property
    def rate(self) -> float:
        return self.reviews / self.seconds if self.seconds > 0 else 0.0

    @property
    def seconds_left(self) -> float | None:
        if not self.work_done or self.seconds <= 0:
            return None
        return self.seconds * (self.work_total - self.work_done) / self.work_done


class BatchSignals(QObject):
    progressed = Signal(object, object)  # the new results (a list), BatchProgress
    finished = Signal(object)  # the last BatchProgress
    cancelled = Signal(object)  # the last BatchProgress; results so far are kept
    failed = Signal(str)  # a message: the run could not go on


class BatchJob(QRunnable):
    def __init__(self, bundle, request: BatchRequest) -> None:
        super().__init__()
        # Python owns the job: a pool that deleted it on return would free the Python object's
        # contents a second time when it is collected (a crash at exit).
        self.setAutoDelete(False)
        self.bundle = bundle
        self.request = request
        self.signals = BatchSignals()
        self._cancel = threading.Event()
        self._shown = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()
        self._shown.set()

    def results_shown(self) -> None:
        """The window has shown the last results: the job may go on (see `_report`)."""
        self._shown.set()

    def _report(self, results: list, progress: BatchProgress) -> None:
        """Hand results to the window and pause until it has shown them (at most a second).

        Classifying is pure Python and would hold the GIL; every model call the table makes
        while showing rows would then wait its turn. Pausing here lets the window do its short
        work at once, a few times a second.
        """
        self._shown.clear()
        self.signals.progressed.emit(results, progress)
        self._shown.wait(1.0)

    @property
    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def run(self) -> None:
        # While this thread classifies (pure Python, holding the GIL), hand the GIL over more often
        # than every 5 ms, so each of the table's many small calls into Python waits less.
        switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(GIL_SWITCH_SECONDS)
        try:
            self._run()
        finally:
            sys.setswitchinterval(switch_interval)

    def _run(self) -> None:
        started = time.perf_counter()
        request = self.request
        progress = BatchProgress(0, 0, 0, request.mode is InputMode.FILE, 0.0)
        try:
            files = list(find_input_files(request.paths, request.extensions, self._cancel))
            reader = ReviewReader(files, request.mode, request.field)
            total = reader.work_total
            reviews = 0
            pending: list = []
            last_report = 0.0
            workers = default_jobs() if request.workers < 0 else request.workers
            # The same worker processes as `classify`: they encode and run the model, this thread
            # only reads and hands the results on.
            for results in classify_reviews(self.bundle, reader, request.band, BATCH_SIZE, self._cancel, workers,
                                            model_in_workers=True):
                reviews += len(results)
                pending += results
                now = time.perf_counter()
                # Report at most every REPORT_SECONDS: the table and bar update a few times a
                # second however small the batches, so the window stays free to react.
                if now - last_report >= REPORT_SECONDS or self._cancel.is_set():
                    progress = BatchProgress(reviews, reader.work_done, total, progress.counts_files, now - started)
                    self._report(pending, progress)
                    pending, last_report = [], time.perf_counter()
                if self._cancel.is_set():
                    break
            if pending:
                progress = BatchProgress(reviews, reader.work_done, total, progress.counts_files,
                                         time.perf_counter() - started)
                self._report(pending, progress)
        except Exception as error:  # reported to the user; the results so far stay in the table
            self.signals.failed.emit(f"The batch stopped: {type(error).__name__}: {error}")
            return
        if self._cancel.is_set():
            self.signals.cancelled.emit(progress)
        else:
            self.signals.finished.emit(BatchProgress(progress.reviews, progress.work_total, progress.work_total,
                                                     progress.counts_files, time.perf_counter() - started))
