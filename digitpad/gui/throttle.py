"""At most one call per interval, the last one always made: for text panels that follow
the drawing, whose relayout would otherwise cost every mouse move its frame."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer


class Throttle(QObject):
    def __init__(self, interval_ms: int, call: Callable[[], None], parent: QObject) -> None:
        super().__init__(parent)
        self.interval_ms = interval_ms
        self.call = call
        self._last = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timer_timeout)

    def request(self) -> None:
        """Call now if the last call was long enough ago, else once the interval is over."""
        if self._timer.isActive():
            return
        wait_ms = self.interval_ms - (time.perf_counter() - self._last) * 1000
        if wait_ms <= 0:
            self._on_timer_timeout()
        else:
            self._timer.start(int(wait_ms))

    def now(self) -> None:
        """Call at once (a change the user asked for, not one of many while drawing)."""
        self._timer.stop()
        self._on_timer_timeout()

    def _on_timer_timeout(self) -> None:
        self._last = time.perf_counter()
        self.call()
