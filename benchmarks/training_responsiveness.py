"""How responsive the window stays while a model trains in the background.

Starts the app's own training worker (default architecture, all of MNIST) in its
QThread and, for a few seconds, measures the event loop's latency: a 10 ms timer
records how late each tick arrives. Meanwhile it draws on the canvas, so live
prediction competes too. Last, it cancels the run and times how long the worker takes
to stop. With --dialog-run it trains the Retrain dialog's default run to its end instead
and reports its seconds. Needs MNIST (DIGITPAD_MNIST_DIR or --data).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPointF, QSettings, Qt, QTimer
from PySide6.QtTest import QTest

from digitpad.core.bundled import DEFAULT
from digitpad.core.data import DatasetError, find_mnist_dir
from digitpad.core.training import TrainConfig
from digitpad.gui.app import make_application
from digitpad.gui.canvas import CANVAS_SIZE
from digitpad.gui.main_window import MainWindow
from digitpad.gui.train_dialog import TrainingForm
from digitpad.gui.workers import Background, TrainRequest, TrainWorker

TICK_MS = 10


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="unless --dialog-run")
    parser.add_argument("--data", help="folder with the MNIST IDX files")
    parser.add_argument(
        "--watch",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="show the network in training in the window, twice a second (the default)",
    )
    parser.add_argument(
        "--dialog-run",
        action="store_true",
        help="train the Retrain dialog's default run to the end (its settings as the dialog "
        "opens: 2 epochs, 54,000 images, augmented) and report its seconds",
    )
    args = parser.parse_args()
    try:
        data_dir = find_mnist_dir(args.data)
    except DatasetError as exc:
        print(exc, file=sys.stderr)
        return 1
    app = make_application()
    settings = QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, "digitpad", "benchmark"
    )
    window = MainWindow(model_path=DEFAULT.path, settings=settings, headless=True)
    window.show()
    config = TrainingForm().config() if args.dialog_run else TrainConfig(epochs=50, augment=True)
    request = TrainRequest(DEFAULT.spec(), config, data_dir, "benchmark", "default", None)
    worker = TrainWorker(request)
    batches = []
    worker.batch_progress.connect(batches.append)
    ended: list[float] = []  # when the run (training, then scoring on the test set) ended
    worker.finished.connect(lambda: ended.append(time.perf_counter()))
    if args.watch:  # as the retrain dialog does: the window shows the network in training
        worker.snapshot.connect(window.model_menu._on_train_dialog_watching)
    background = Background(worker)
    run_start = time.perf_counter()
    background.start()
    while not batches:  # wait until training is really under way
        app.processEvents()
        time.sleep(0.01)

    lateness: list[float] = []
    last = [time.perf_counter()]

    def on_tick() -> None:
        now = time.perf_counter()
        lateness.append(max(0.0, (now - last[0]) * 1000 - TICK_MS))
        last[0] = now

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(on_tick)
    timer.start(TICK_MS)
    canvas = window.canvas
    rect = canvas._view_rect()
    scale = rect.width() / CANVAS_SIZE
    predictions = []
    window.prediction_updated.connect(lambda *a: predictions.append(time.perf_counter()))
    start = time.perf_counter()
    step = 0
    while not ended if args.dialog_run else time.perf_counter() - start < args.seconds:
        if step % 60 == 0:
            canvas.clear()
            QTest.mousePress(
                canvas,
                Qt.MouseButton.LeftButton,
                Qt.KeyboardModifier.NoModifier,
                QPointF(rect.x() + 140 * scale, rect.y() + 40 * scale).toPoint(),
            )
        y = 40 + (step % 60) * 3
        QTest.mouseMove(canvas, QPointF(rect.x() + 140 * scale, rect.y() + y * scale).toPoint())
        step += 1
        deadline = time.perf_counter() + 0.008
        while time.perf_counter() < deadline:
            app.processEvents()
    timer.stop()
    cancel_start = time.perf_counter()
    background.stop()
    background.wait(30000)
    cancel_ms = (time.perf_counter() - cancel_start) * 1000
    rate = statistics.median(b.images_per_s for b in batches)
    print(
        f"event-loop lateness while training ({len(lateness)} ticks of {TICK_MS} ms, "
        f"{time.perf_counter() - start:.0f} s, drawing at 125 Hz, "
        f"{'watching the network in training' if args.watch else 'the model in use shown'}): "
        f"median {statistics.median(lateness):.1f} ms"
        f", p99 {percentile(lateness, 0.99):.1f} ms, max {max(lateness):.1f} ms"
    )
    cancelled = "" if args.dialog_run else f"; cancelling took {cancel_ms:.0f} ms"
    print(
        f"live predictions during that time: {len(predictions)}; training ran at "
        f"{rate:,.0f} images/s{cancelled}"
    )
    if args.dialog_run:
        print(
            f"the Retrain dialog's default run ({config.epochs} epochs, batch "
            f"{config.batch_size}, {config.validation_fraction:.0%} held for validation) "
            f"took {ended[0] - run_start:.1f} s from start to its test-set scores"
        )
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
