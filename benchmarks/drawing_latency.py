"""Mouse-move to panels-repainted latency while drawing, for each bundled model.

Strokes are drawn on the real canvas with mouse-move events at 125 Hz (a common mouse
report rate), through the app's own event loop, coalescing and painting: figure-eights of
120 moves each, about a second of drawing per stroke, as when writing a digit. For every move
we record the time until an update that includes it has been computed and the window has
processed its repaints. Prints median, p95 and max per model; run with
QT_QPA_PLATFORM=offscreen or on a real screen.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPointF, QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from digitpad.core.bundled import resolve_model
from digitpad.gui.app import make_application
from digitpad.gui.canvas import CANVAS_SIZE
from digitpad.gui.main_window import MainWindow

MOVE_INTERVAL_S = 0.008


STROKE_MOVES = 120


def stroke_points(count: int) -> list[tuple[float, float]]:
    """A figure-eight through the canvas, drawn once in ``count`` moves."""
    return [
        (
            140 + 90 * math.sin(2 * math.pi * t / count),
            140 + 110 * math.sin(4 * math.pi * t / count),
        )
        for t in range(count + 1)
    ]


def measure(window: MainWindow, moves: int) -> list[float]:
    """Latencies in ms for ``moves`` mouse moves, in strokes of STROKE_MOVES."""
    latencies: list[float] = []
    for _ in range(max(1, moves // STROKE_MOVES)):
        window.canvas.clear()
        latencies += measure_stroke(window, STROKE_MOVES)
    return latencies


def measure_stroke(window: MainWindow, moves: int) -> list[float]:
    app = QApplication.instance()
    canvas = window.canvas
    rect = canvas._view_rect()
    scale = rect.width() / CANVAS_SIZE

    def to_widget(x: float, y: float):
        return QPointF(rect.x() + x * scale, rect.y() + y * scale).toPoint()

    points = stroke_points(moves)
    waiting: list[float] = []
    latencies: list[float] = []
    updated = []
    window.prediction_updated.connect(lambda *args: updated.append(True))
    QTest.mousePress(
        canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, to_widget(*points[0])
    )
    app.processEvents()
    for x, y in points[1:]:
        tick = time.perf_counter()
        QTest.mouseMove(canvas, to_widget(x, y))
        waiting.append(tick)
        while time.perf_counter() - tick < MOVE_INTERVAL_S:
            app.processEvents()
            if updated:
                updated.clear()
                app.processEvents()  # the repaints the update asked for
                done = time.perf_counter()
                latencies.extend(done - t for t in waiting)
                waiting.clear()
    QTest.mouseRelease(
        canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, to_widget(*points[-1])
    )
    return [1000 * v for v in latencies]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=600)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--follow",
        action="store_true",
        help="with a feature-map value followed in the side panel, its arithmetic live",
    )
    args = parser.parse_args()
    make_application()
    settings = QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, "digitpad", "benchmark"
    )
    settings.clear()
    results = {}
    for name in ("classic", "default"):
        window = MainWindow(model_path=resolve_model(name), settings=settings)
        window.show()
        QApplication.instance().processEvents()
        if args.follow:  # the side panel open on conv1's map 1 at the middle of the input
            window.viewer.set_focus(0, 0, 13, 13)
        measure(window, STROKE_MOVES)  # warm-up
        latencies = sorted(measure(window, args.moves))
        p95 = latencies[int(0.95 * (len(latencies) - 1))]
        results[name] = {
            "median_ms": statistics.median(latencies),
            "p95_ms": p95,
            "max_ms": latencies[-1],
            "moves": len(latencies),
        }
        window.close()
    if args.json:
        print(json.dumps(results))
    else:
        print(
            f"mouse-move to repaint, {args.moves} moves at {1 / MOVE_INTERVAL_S:.0f} Hz "
            f"({sys.platform}, {QApplication.platformName()}"
            f"{', a value followed' if args.follow else ''}):"
        )
        for name, r in results.items():
            print(
                f"  {name:8s} median {r['median_ms']:.1f} ms  p95 {r['p95_ms']:.1f} ms  "
                f"max {r['max_ms']:.1f} ms"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
