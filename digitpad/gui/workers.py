"""Work off the GUI thread: a training session (``core/session.py``), an evaluation
(Model > Evaluate) and downloading MNIST.

One contract for every worker (the pattern of Qt's threading examples and superqt's
workers): a QObject moved to a QThread that never touches a widget, emits signals of
plain data, and stops cooperatively when its ``threading.Event`` is set. Its one base
``run()`` reports how the work ended, exactly once: ``succeeded`` (each worker's own, with
its result), ``cancelled`` when it stopped because it was asked to, or ``failed(message)``
for any exception; then always ``finished``, last. Connect its signals only to bound slots
of GUI objects: PySide6 runs a lambda in the emitting thread.
"""

from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot
from threadpoolctl import threadpool_limits

from digitpad.core import pendigits, session, uji
from digitpad.core.data import DatasetError, DownloadCancelled, download_mnist, load_split
from digitpad.core.evaluation import EvaluationStopped, examine
from digitpad.core.network import Network
from digitpad.core.session import SessionRequest
from digitpad.core.training import BatchEnd, EpochEnd, TrainingDiverged, TrainingStopped

PROGRESS_INTERVAL_S = 0.05  # at most 20 progress signals a second reach the GUI
SNAPSHOT_INTERVAL_S = 0.5  # how often a copy of the network in training is sent
# Failures whose message already says what went wrong, in words for the user.
EXPECTED = (DatasetError, TrainingDiverged, ValueError, MemoryError, OSError)


class Cancelled(Exception):
    """Raised inside ``work`` when the worker was asked to stop."""


class Worker(QObject):
    """The base: ``run`` calls ``work`` and reports how it ended, exactly once."""

    failed = Signal(str)
    cancelled = Signal()
    finished = Signal()  # always the last signal

    def __init__(self) -> None:
        super().__init__()
        self._stop = threading.Event()

    def stop(self) -> None:
        """Ask the work to stop; safe from any thread, returns at once."""
        self._stop.set()

    def stopping(self) -> bool:
        return self._stop.is_set()

    def check_stop(self) -> None:
        if self._stop.is_set():
            raise Cancelled

    def work(self) -> None:
        raise NotImplementedError

    @Slot()
    def run(self) -> None:
        try:
            self.work()
        except (Cancelled, DownloadCancelled, EvaluationStopped, TrainingStopped):
            self.cancelled.emit()
        except EXPECTED as exc:
            self.failed.emit(str(exc) or type(exc).__name__)
        except Exception as exc:  # a bug: say so, never die silently on a thread
            traceback.print_exc()
            self.failed.emit(f"unexpected error: {type(exc).__name__}: {exc}")
        finally:
            # Home to the GUI thread before the thread ends, so that dropping the last
            # reference there later deletes it on the thread it belongs to.
            self.moveToThread(QCoreApplication.instance().thread())
            self.finished.emit()


class TrainWorker(Worker):
    """Runs one training session (``core/session.py``, as ``digitpad train`` does): trains,
    then scores the new model and the model in use on the test set."""

    step = Signal(str)  # what the session is doing, in words
    batch_progress = Signal(object)  # BatchEnd
    epoch_finished = Signal(object)  # EpochEnd, with a snapshot of the network
    snapshot = Signal(object)  # a copy of the network as it is now, twice a second
    succeeded = Signal(object)  # SessionResult

    def __init__(self, request: SessionRequest) -> None:
        super().__init__()
        self.request = request

    def work(self) -> None:
        # One BLAS thread while training in the background: the worker keeps one core
        # and the window the other. With two, both threads queue for the same BLAS
        # pool and drawing stutters (benchmarks/training_responsiveness.py).
        with threadpool_limits(limits=1, user_api="blas"):
            self._run_session()

    def _run_session(self) -> None:
        last_emit = last_snapshot = 0.0
        network = None
        for event in session.run(self.request, self.stopping):
            if isinstance(event, BatchEnd):
                now = time.perf_counter()
                if now - last_emit >= PROGRESS_INTERVAL_S or event.batch == event.batches:
                    last_emit = now
                    self.batch_progress.emit(event)
                if now - last_snapshot >= SNAPSHOT_INTERVAL_S:
                    # Between batches nothing changes the weights: a consistent copy.
                    last_snapshot = now
                    self.snapshot.emit(network.copy())
            elif isinstance(event, EpochEnd):
                self.epoch_finished.emit(event)
            elif isinstance(event, session.Training):
                network = event.network
            elif isinstance(event, session.Step):
                self.step.emit(event.text)
            elif isinstance(event, session.SessionResult):
                self.succeeded.emit(event)


@dataclass(frozen=True)
class EvaluateRequest:
    """What to read, for Model > Evaluate: MNIST's test set in a folder, pen-digits strokes
    in a folder (drawn as the canvas draws them), or given images (the user's samples)."""

    network: Network  # a copy: the window may switch models meanwhile
    source: str  # "mnist", "pendigits" or "samples"
    folder: Path | None = None
    images: np.ndarray | None = None
    labels: np.ndarray | None = None
    not_a_digit_below: float | None = None  # evaluation.examine's: scores "not a digit" too


class EvaluateWorker(Worker):
    """Reads the source and runs the network on all of it, keeping every answer. Progress
    comes in stages, each named: reading the pen-digits file (no count: 0 of 0), drawing
    the pen digits as the canvas draws them (seconds for thousands), reading the images."""

    progress = Signal(str, int, int)  # what is being done, done, in all (0: not counted)
    succeeded = Signal(object)  # evaluation.Examination

    def __init__(self, request: EvaluateRequest) -> None:
        super().__init__()
        self.request = request
        self._stage, self._reported = "", 0.0

    def work(self) -> None:
        with threadpool_limits(limits=1, user_api="blas"):  # the window keeps a core
            images, labels = self._data()
            reading = f"Reading {len(images):,} digits…"
            self._report(reading, 0, len(images))
            result = examine(
                self.request.network,
                images,
                labels,
                self.stopping,
                lambda done, total: self._report(reading, done, total),
                not_a_digit_below=self.request.not_a_digit_below,
            )
        self.succeeded.emit(result)

    def _data(self) -> tuple[np.ndarray, np.ndarray]:
        request = self.request
        if request.source == "mnist":
            self._report("Loading MNIST's test set…", 0, 0)
            test = load_split(request.folder, "test")
            return test.as_float(), test.labels
        if request.source == "pendigits":
            collection = uji.holds_digits(request.folder)
            name = uji.DIGITS_FILE if collection else pendigits.FILE_NAME
            self._report(f"Loading {name}…", 0, 0)
            digits = (uji.load_digits if collection else pendigits.load)(request.folder)
            drawing = f"Drawing {len(digits):,} pen digits as the canvas draws them…"
            self._report(drawing, 0, len(digits))
            images = pendigits.render_inputs(
                digits, progress=lambda done, total: self._report(drawing, done, total)
            )
            return images, pendigits.labels(digits)
        return request.images, request.labels

    def _report(self, stage: str, done: int, total: int) -> None:
        """Say how far ``stage`` is (a new stage and its end always, else at most
        every ``PROGRESS_INTERVAL_S``); a stop asked for ends the work here."""
        self.check_stop()
        now = time.monotonic()
        if stage != self._stage or done == total or now - self._reported >= PROGRESS_INTERVAL_S:
            self._stage, self._reported = stage, now
            self.progress.emit(stage, done, total)


class DownloadWorker(Worker):
    """Downloads and verifies MNIST into a folder."""

    progress = Signal(str, int, int)  # file name, bytes done, bytes total (0 if unknown)
    succeeded = Signal(str)  # the folder

    def __init__(
        self, folder: Path, mirrors: tuple[str, ...] | None = None, timeout: float = 10.0
    ) -> None:
        super().__init__()
        self.folder, self.mirrors, self.timeout = folder, mirrors, timeout

    def work(self) -> None:
        kwargs = {"mirrors": self.mirrors} if self.mirrors else {}
        folder = download_mnist(
            self.folder,
            progress=self.progress.emit,
            timeout=self.timeout,
            should_stop=self.stopping,
            **kwargs,
        )
        self.succeeded.emit(str(folder))


class Background(QObject):
    """Owns a worker and its thread. ``done`` is emitted (on the GUI thread) once the
    thread has ended, after every signal the worker sent; nothing here ever waits."""

    done = Signal()

    def __init__(self, worker: Worker, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.thread = QThread(self)  # deleted with this owner, once it has ended
        worker.moveToThread(self.thread)
        self.thread.started.connect(worker.run)
        # Direct: quit() is thread-safe, and a queued call would need an event loop.
        worker.finished.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)
        self.thread.finished.connect(self._on_thread_finished)

    def start(self) -> None:
        self.thread.start()

    def is_running(self) -> bool:
        return self.thread.isRunning()

    def stop(self) -> None:
        """Ask the worker to stop; ``done`` follows when it has."""
        self.worker.stop()

    def wait(self, timeout_ms: int) -> bool:
        """Block until the thread ends (scripts and benchmarks; never the app's GUI)."""
        return self.thread.wait(timeout_ms)

    def _on_thread_finished(self) -> None:
        # QThread.finished is sent from the thread just before it ends: this wait is the
        # last instant of it, after which the QThread may be deleted safely.
        self.thread.wait()
        self.done.emit()
