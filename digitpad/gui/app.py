"""Application setup and `digitpad gui`: the window, or an offscreen screenshot."""

from __future__ import annotations

import argparse
import sys
import tempfile
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QMessageLogContext,
    QSettings,
    Qt,
    QTimer,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from digitpad import __version__
from digitpad.core.bundled import resource_path
from digitpad.gui import wheel
from digitpad.gui.main_window import MainWindow

# Qt's offscreen platform warns about a window-manager feature it lacks, every time a
# window gets size hints; it says nothing about the app. Other messages pass through.
_OFFSCREEN_NOISE = (
    "This plugin does not support propagateSizeHints()",
    "This plugin does not support raise()",
)


def _filter_offscreen_noise(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
    if message in _OFFSCREEN_NOISE:
        return
    sys.stderr.write(message + "\n")


def make_application(argv: list[str] | None = None) -> QApplication:
    """The one QApplication, named so QSettings has a stable place to live."""
    app = QApplication.instance()
    if app is None:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
        )
        app = QApplication(argv or [sys.argv[0]])
        if QGuiApplication.platformName() == "offscreen":
            qInstallMessageHandler(_filter_offscreen_noise)
    QCoreApplication.setOrganizationName("digitpad")
    QCoreApplication.setApplicationName("digitpad")
    QCoreApplication.setApplicationVersion(__version__)
    QGuiApplication.setDesktopFileName("digitpad")
    app.setWindowIcon(QIcon(str(resource_path("digitpad.svg"))))
    wheel.install(app)
    return app


def take_screenshot(window: MainWindow, out: Path) -> bool:
    """Render the window as it would appear and save it as PNG."""
    app = QApplication.instance()
    window.show()
    for _ in range(5):
        app.processEvents()
    window.canvas_feed.update_now()
    app.processEvents()
    return window.grab().save(str(out), "PNG")


def report_unexpected_errors(window: MainWindow) -> None:
    """A bug in a slot must not pass silently: print it, tell the user, keep running."""

    def hook(kind: type[BaseException], error: BaseException, trace: TracebackType | None):
        traceback.print_exception(kind, error, trace)
        if issubclass(kind, KeyboardInterrupt):
            QApplication.quit()
            return
        QMessageBox.warning(
            window,
            "Something went wrong",
            f"digitpad hit an unexpected error and carried on:\n\n{kind.__name__}: {error}\n\n"
            "Your drawing and models are untouched. The details were printed to the "
            "terminal; please report them.",
        )

    sys.excepthook = hook


def run(args: argparse.Namespace) -> int:
    app = make_application()
    if args.screenshot is None:
        # Python runs a signal's handler only when it runs code, and an idle event loop
        # runs none: this tick lets Ctrl+C (cli._run_window) act within a fifth of a second.
        QTimer(app, timeout=lambda: None).start(200)
        window = MainWindow(model_path=args.model)
        report_unexpected_errors(window)
        if args.image is not None:
            window.open_image(args.image)
        window.show_at_start()
        code = app.exec()
        # The window is gone; a run or download still going is stopped and waited for
        # here (no GUI left to freeze), so Qt never destroys a running thread.
        window.model_menu.wait_for_work()
        return code
    # A screenshot neither reads nor changes the user's settings, and never waits on a
    # dialog: problems are printed and give a non-zero exit status.
    with tempfile.TemporaryDirectory() as folder:
        settings = QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(model_path=args.model, settings=settings, headless=True)
        problems = args.model is not None and window.model_problem is not None
        if args.image is not None and not window.open_image(args.image):
            problems = True
        ok = take_screenshot(window, args.screenshot)
        window.close()
        # Destroyed by Qt, children first, now: not whenever Python's collector gets to it
        # (a later window could then be half-built when the old one's parts go).
        window.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
        del window, settings
    if not ok:
        print(f"digitpad gui: could not write {args.screenshot}", file=sys.stderr)
        return 1
    print(args.screenshot)
    return 1 if problems else 0
