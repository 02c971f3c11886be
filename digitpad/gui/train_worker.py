"""Training and downloading off the GUI thread.

Each worker is a QObject moved to a QThread. It never touches a widget: it emits
signals carrying plain data (frozen dataclasses, dicts, NumPy arrays, networks) and
stops cooperatively when its ``threading.Event`` is set.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from threadpoolctl import threadpool_limits

from digitpad.core.data import DatasetError, DownloadCancelled, download_mnist, load_split
from digitpad.core.evaluation import Evaluation, evaluate
from digitpad.core.model_io import ModelMetadata
from digitpad.core.network import Network
from digitpad.core.training import (
    BatchEnd,
    EpochEnd,
    Finished,
    TrainConfig,
    TrainingDiverged,
    run_metadata,
    train,
)

PROGRESS_INTERVAL_S = 0.05  # at most 20 progress signals a second reach the GUI


@dataclass(frozen=True)
class TrainRequest:
    spec: dict
    config: TrainConfig
    data_dir: Path
    name: str
    arch: str
    current: Network | None  # the model in use, evaluated for comparison


@dataclass(frozen=True)
class TrainResult:
    network: Network
    metadata: ModelMetadata
    evaluation: Evaluation
    current_evaluation: Evaluation | None


class StoppableWorker(QObject):
    """A worker that ends with ``finished`` and stops when asked, from any thread."""

    finished = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()


class TrainWorker(StoppableWorker):
    """Runs one training request; ``finished`` is always the last signal."""

    batch_progress = Signal(object)  # BatchEnd
    epoch_finished = Signal(object)  # EpochEnd, with a snapshot of the network
    evaluating = Signal()
    succeeded = Signal(object)  # TrainResult
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, request: TrainRequest) -> None:
        super().__init__()
        self.request = request

    @Slot()
    def run(self) -> None:
        try:
            # One BLAS thread while training in the background: the worker keeps one core
            # and the window the other. With two, both threads queue for the same BLAS
            # pool and drawing stutters (benchmarks/training_responsiveness.py).
            with threadpool_limits(limits=1, user_api="blas"):
                self._run()
        except (DatasetError, TrainingDiverged, ValueError, MemoryError, OSError) as exc:
            self.failed.emit(str(exc))
        finally:
            self.finished.emit()

    def _run(self) -> None:
        request = self.request
        split = load_split(request.data_dir, "train")
        if self._stop.is_set():
            self.cancelled.emit()
            return
        network = Network(request.spec, np.random.default_rng(request.config.seed))
        last_emit = 0.0
        result = None
        for event in train(
            network, split.as_float(), split.labels, request.config, self._stop.is_set
        ):
            if isinstance(event, BatchEnd):
                now = time.perf_counter()
                if now - last_emit >= PROGRESS_INTERVAL_S or event.batch == event.batches:
                    last_emit = now
                    self.batch_progress.emit(event)
            elif isinstance(event, EpochEnd):
                self.epoch_finished.emit(event)
            elif isinstance(event, Finished):
                result = event
        if result is None or result.stopped:
            self.cancelled.emit()
            return
        self.evaluating.emit()
        test = load_split(request.data_dir, "test")
        images = test.as_float()
        scores = evaluate(network, images, test.labels)
        current = evaluate(request.current, images, test.labels) if request.current else None
        if self._stop.is_set():
            self.cancelled.emit()
            return
        metadata = run_metadata(request.name, request.arch, request.config, result, scores, split)
        self.succeeded.emit(TrainResult(network, metadata, scores, current))


class DownloadWorker(StoppableWorker):
    """Downloads and verifies MNIST into a folder."""

    progress = Signal(str, int, int)  # file name, bytes done, bytes total (0 if unknown)
    succeeded = Signal(str)  # the folder
    failed = Signal(str)

    def __init__(
        self, folder: Path, mirrors: tuple[str, ...] | None = None, timeout: float = 10.0
    ) -> None:
        super().__init__()
        self.folder, self.mirrors, self.timeout = folder, mirrors, timeout

    @Slot()
    def run(self) -> None:
        try:
            kwargs = {"mirrors": self.mirrors} if self.mirrors else {}
            folder = download_mnist(
                self.folder,
                progress=self.progress.emit,
                timeout=self.timeout,
                should_stop=self._stop.is_set,
                **kwargs,
            )
            self.succeeded.emit(str(folder))
        except DownloadCancelled:
            self.failed.emit("download cancelled")
        except DatasetError as exc:
            self.failed.emit(str(exc))
        finally:
            self.finished.emit()


class Background:
    """Owns a worker and its thread: start, stop cooperatively, and wait for the end.

    Connect to ``thread.finished`` to learn that the thread is over: it arrives after
    every signal the worker sent.
    """

    def __init__(self, worker: StoppableWorker) -> None:
        self.worker = worker
        self.thread = QThread()
        worker.moveToThread(self.thread)
        self.thread.started.connect(worker.run)
        # Direct: quit() is thread-safe, and a queued call would need the GUI thread's
        # event loop, which may itself be waiting for this thread to end.
        worker.finished.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)

    def start(self) -> None:
        self.thread.start()

    def is_running(self) -> bool:
        return self.thread.isRunning()

    def stop_and_wait(self, timeout_ms: int = 30000) -> bool:
        """Ask the worker to stop, then wait for its thread; True if it ended."""
        self.worker.stop()
        if not self.thread.isRunning():
            return True
        return self.thread.wait(timeout_ms)
