"""Throttle: the first call at once, then at most one per interval, the last never lost."""

from __future__ import annotations

from PySide6.QtCore import QObject

from digitpad.gui.throttle import Throttle


def test_calls_are_coalesced_and_the_last_is_made(qtbot):
    calls = []
    owner = QObject()
    throttle = Throttle(200, lambda: calls.append(len(calls)), owner)
    throttle.request()
    assert calls == [0]  # at once: nothing called lately
    for _ in range(10):
        throttle.request()
    assert calls == [0]  # within the interval: one call waits
    qtbot.waitUntil(lambda: len(calls) == 2, timeout=2000)
    qtbot.wait(300)
    assert len(calls) == 2  # ten requests, one trailing call
    throttle.request()
    throttle.now()
    assert len(calls) >= 3
