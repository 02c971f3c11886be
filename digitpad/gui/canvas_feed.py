"""The canvas written into the viewer model: at most once a frame while drawing, as soon as
the frame allows, and a digit that already is a network input read as that very input."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from digitpad.core.strokes import Stroke
from digitpad.core.viewer import ViewerModel
from digitpad.gui.canvas import DrawingCanvas

# Live updates are coalesced to at most one per 8 ms: one per frame on 120 Hz screens.
# With 16 ms, a move arriving just after an update waits a whole 60 Hz frame, and a
# 125 Hz mouse then sees p95 latencies right at 16 ms (benchmarks/drawing_latency.py).
FRAME_MS = 8


class CanvasFeed(QObject):
    """Owns the coalescing timer; emits ``prediction_updated(digit or None, ten
    probabilities)`` after every update the viewer model makes."""

    prediction_updated = Signal(object, list)

    def __init__(self, canvas: DrawingCanvas, viewer: ViewerModel, parent: QObject) -> None:
        super().__init__(parent)
        self.canvas, self.viewer = canvas, viewer
        self._last_update = 0.0
        # (canvas pixels, input): while the canvas shows exactly these pixels, the viewer
        # reads this input (a digit from Evaluate or a kept sample) rather than its own.
        self._exact: tuple[np.ndarray, np.ndarray] | None = None
        # A timer, not a direct call: moves queued behind one update merge into the next.
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.update_now)
        canvas.changed.connect(self.schedule)
        canvas.stroke_finished.connect(self.schedule)
        viewer.input_changed.connect(self._on_viewer_input_changed)

    def schedule(self) -> None:
        """Coalesce edits: at most one update per frame, as soon as the frame allows."""
        if self._timer.isActive():
            return
        since = (time.perf_counter() - self._last_update) * 1000
        self._timer.start(int(max(0, FRAME_MS - since)))

    def catch_up(self) -> None:
        """Run a pending update now: the answer is then the one to what is drawn."""
        if self._timer.isActive():
            self._timer.stop()
            self.update_now()

    def update_now(self) -> None:
        """Write what the canvas shows into the viewer model, now: any update pending is
        answered by this one."""
        self._timer.stop()
        self._last_update = time.perf_counter()
        pixels = self.canvas.pixels()
        exact = None
        if self._exact is not None:
            if np.array_equal(pixels, self._exact[0]):
                exact = self._exact[1]
            else:  # drawn on (or undone): the drawing is the input again
                self._exact = None
        self.viewer.update(pixels, self.canvas.pen_width, network_input=exact)

    def show_exact(self, picture: np.ndarray, network_input: np.ndarray) -> None:
        """Put ``picture`` (280, 280) on the canvas, read as ``network_input`` (28, 28) until
        it is drawn on: its enlarged picture prepared again would be another input."""
        self.canvas.place_pixels(picture)
        self._exact = (self.canvas.pixels().copy(), network_input)
        self.update_now()

    def show_strokes(self, strokes: tuple[Stroke, ...], network_input: np.ndarray) -> None:
        """Put strokes on the canvas (undoable one by one), read as ``network_input``."""
        self.canvas.show_strokes(strokes)
        self._exact = (self.canvas.pixels().copy(), network_input)
        self.update_now()

    def _on_viewer_input_changed(self) -> None:
        probabilities = self.viewer.probabilities
        verdict = self.viewer.verdict
        self.prediction_updated.emit(
            verdict.digit if verdict is not None else None,
            [float(p) for p in probabilities] if probabilities is not None else [0.0] * 10,
        )
