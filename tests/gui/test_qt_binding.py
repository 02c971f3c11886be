"""The Qt binding itself: a release that miscounts references would crash the app later."""

from __future__ import annotations

import sys

from PySide6.QtGui import QAction


def test_void_calls_keep_none_alive(qapp):
    # Under Python < 3.12 None is reference-counted; PySide6 6.12.0 drops one reference
    # per void call, and the interpreter aborts once the count reaches zero.
    action = QAction("probe")
    action.setCheckable(True)
    before = sys.getrefcount(None)
    for _ in range(2000):
        action.setChecked(True)
    assert abs(sys.getrefcount(None) - before) < 50
