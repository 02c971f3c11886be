"""GUI fixtures: a main window on isolated settings, dialogs recorded instead of shown."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from digitpad.core.bundled import resolve_model
from digitpad.gui.app import make_application
from digitpad.gui.canvas import CANVAS_SIZE
from digitpad.gui.main_window import MainWindow

from .handwriting import line

__all__ = ["canvas_point", "draw_stroke", "line", "open_window"]


@pytest.fixture(autouse=True)
def no_unexpected_errors(monkeypatch):
    """An exception in a slot or callback is printed by Qt and the app carries on; in a
    test it is a failure."""
    import sys

    errors = []
    monkeypatch.setattr(sys, "excepthook", lambda *info: errors.append(info))
    yield
    assert not errors, "".join(__import__("traceback").format_exception(*errors[0]))


@pytest.fixture(scope="session")
def qapp_cls():
    return type(make_application())


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def dialogs(monkeypatch):
    """Every message box the app opens, as (kind, title, text), instead of a modal dialog."""
    shown = []
    for kind in ("critical", "warning", "information"):

        def fake(parent, title, text, *args, _kind=kind, **kwargs):
            shown.append((_kind, title, text))
            return QMessageBox.StandardButton.Ok

        monkeypatch.setattr(QMessageBox, kind, staticmethod(fake))
    monkeypatch.setattr(
        QMessageBox,
        "about",
        staticmethod(lambda parent, title, text: shown.append(("about", title, text))),
    )

    def question(parent, title, text, *args, **kwargs):
        shown.append(("question", title, text))
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    return shown


@pytest.fixture
def library_folder(tmp_path):
    return tmp_path / "library"


def open_window(qtbot, settings, library_folder, model="default"):
    window = MainWindow(
        model_path=resolve_model(model) if model else None,
        settings=settings,
        library_folder=library_folder,
        samples_path=library_folder.parent / "samples.sqlite",
    )
    qtbot.addWidget(window, before_close_func=stop_work)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    # Shortcuts (Ctrl+Z, the digit keys) go to the active window only.
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    return window


def stop_work(window) -> None:
    """A test that fails mid-run must not leave a training thread for Qt to destroy."""
    window.model_menu.wait_for_work(60_000)


@pytest.fixture
def window(qtbot, settings, dialogs, library_folder):
    return open_window(qtbot, settings, library_folder)


def canvas_point(canvas, x: float, y: float) -> QPoint:
    """A point in canvas pixels (0..280) -> widget coordinates."""
    rect = canvas._view_rect()
    scale = rect.width() / CANVAS_SIZE
    return QPointF(rect.x() + x * scale, rect.y() + y * scale).toPoint()


def draw_stroke(canvas, points, button=Qt.MouseButton.LeftButton) -> None:
    """Press, move through every point, release: real mouse events on the canvas widget."""
    first = canvas_point(canvas, *points[0])
    QTest.mousePress(canvas, button, Qt.KeyboardModifier.NoModifier, first)
    for x, y in points[1:]:
        QTest.mouseMove(canvas, canvas_point(canvas, x, y))
    QTest.mouseRelease(
        canvas, button, Qt.KeyboardModifier.NoModifier, canvas_point(canvas, *points[-1])
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item):
    """After each test's widgets are closed: let Qt delete them, then collect the Python
    side now, rather than in the middle of a later test's window being built."""
    yield
    import gc

    from PySide6.QtCore import QCoreApplication, QEvent

    if QCoreApplication.instance() is not None:
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    gc.collect()
