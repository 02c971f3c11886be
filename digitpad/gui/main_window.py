"""The main window: composes the views around one ViewerModel and wires menus and files."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QIcon
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSlider,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from digitpad.core.bundled import resource_path
from digitpad.core.library import Library
from digitpad.core.viewer import ViewerModel
from digitpad.gui.actions import (
    MENUS,
    connect_actions,
    create_actions,
    menu_actions,
    shortcuts_html,
)
from digitpad.gui.canvas import MAX_PEN_WIDTH, MIN_PEN_WIDTH, DrawingCanvas
from digitpad.gui.describe import about_html
from digitpad.gui.detail_view import DetailDock
from digitpad.gui.file_actions import FileActions
from digitpad.gui.layer_strip import LayerStrip
from digitpad.gui.messages import Messages
from digitpad.gui.model_menu import ModelMenu, status_text
from digitpad.gui.network_view import NetworkView
from digitpad.gui.prediction_view import PredictionView
from digitpad.gui.settings import AppSettings

# Live updates are coalesced to at most one per 8 ms: one per frame on 120 Hz screens.
# With 16 ms, a move arriving just after an update waits a whole 60 Hz frame, and a
# 125 Hz mouse then sees p95 latencies right at 16 ms (benchmarks/drawing_latency.py).
FRAME_MS = 8


class MainWindow(QMainWindow):
    """Emits ``prediction_updated(digit or None, ten probabilities)`` after every update."""

    prediction_updated = Signal(object, list)

    def __init__(
        self,
        model_path: Path | None = None,
        settings: QSettings | None = None,
        headless: bool = False,
        library_folder: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("digitpad")
        self.setWindowIcon(QIcon(str(resource_path("digitpad.svg"))))
        # Headless (screenshots, scripts): problems go to stderr, never to a modal dialog.
        self.messages = Messages(self, headless)
        self.settings = AppSettings(settings)
        self.library = Library(library_folder)
        self.library.clean_leftovers()
        self.viewer = ViewerModel()
        self._create_widgets()
        self._create_actions()
        self._create_menus()
        self._connect_viewer()
        self._read_settings()
        self.setAcceptDrops(True)
        self.model_problem = self.model_menu.load_initial(model_path)

    # -- construction --------------------------------------------------------------------

    def _create_widgets(self) -> None:
        self.canvas = DrawingCanvas()
        self.canvas.changed.connect(self._schedule_update)
        self.canvas.stroke_finished.connect(self._schedule_update)
        self._last_update = 0.0
        self._update_timer = QTimer(self)
        self._update_timer.setSingleShot(True)
        self._update_timer.timeout.connect(self._run_update)

        self.pen_slider = QSlider(Qt.Orientation.Horizontal)
        self.pen_slider.setObjectName("pen_width")
        self.pen_slider.setRange(MIN_PEN_WIDTH, MAX_PEN_WIDTH)
        self.pen_slider.setValue(int(self.canvas.pen_width))
        self.pen_slider.setToolTip("Pen width in canvas pixels ([ and ] change it)")
        self.pen_slider.valueChanged.connect(self._on_pen_slider_value_changed)
        self.pen_label = QLabel()
        self.prediction = PredictionView(self.viewer)

        self.tool_buttons = QHBoxLayout()
        pen_row = QHBoxLayout()
        pen_row.addWidget(QLabel("Pen"))
        pen_row.addWidget(self.pen_slider, 1)
        pen_row.addWidget(self.pen_label)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(self.canvas, 1)
        left_layout.addLayout(self.tool_buttons)
        left_layout.addLayout(pen_row)
        left_layout.addWidget(self.prediction)

        self.detail_dock = DetailDock(self.viewer, self)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.detail_dock)
        self.layer_strip = LayerStrip(self.viewer)
        self.network_view = NetworkView(self.viewer)
        self.network_view.status.connect(self._on_network_view_status)
        self.panels_widget = QWidget()
        right_layout = QVBoxLayout(self.panels_widget)
        right_layout.addWidget(self.layer_strip)
        right_layout.addWidget(self.network_view, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.panels_widget)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        self.setCentralWidget(splitter)
        self.resize(1180, 720)
        splitter.setSizes([440, 740])  # the panels get the larger share

    def _create_actions(self) -> None:
        self.actions = create_actions(self)
        connect_actions(
            self.actions,
            {
                "quit": self.close,
                "undo": self.canvas.undo,
                "redo": self.canvas.redo,
                "clear": self.canvas.clear,
                "eraser": self._on_eraser_toggled,
                "thinner": self._on_thinner_triggered,
                "thicker": self._on_thicker_triggered,
                "fixed_scales": self.viewer.set_fixed_scales,
                "shortcuts": self._on_shortcuts_triggered,
                "about": self._on_about_triggered,
            },
        )
        # Availability follows the canvas's history, as it changes.
        self.canvas.undo_available.connect(self.actions["undo"].setEnabled)
        self.canvas.redo_available.connect(self.actions["redo"].setEnabled)
        self.actions["fixed_scales"].setChecked(self.viewer.fixed_scales)
        # Quit works from the retrain dialog too, not only from this window.
        self.actions["quit"].setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.actions["undo"].setEnabled(False)
        self.actions["redo"].setEnabled(False)
        for name in ("undo", "redo", "clear", "eraser"):
            button = QToolButton()
            button.setDefaultAction(self.actions[name])
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            self.tool_buttons.addWidget(button)
        self.tool_buttons.addStretch(1)

    def _create_menus(self) -> None:
        bar = self.menuBar()
        menus = {name: bar.addMenu(f"&{name}") for name in MENUS}
        for name in ("File", "Edit", "View", "Help"):
            for action in menu_actions(self.actions, name):
                if action is self.actions["quit"]:
                    menus[name].addSeparator()
                menus[name].addAction(action)
        self.model_menu = ModelMenu(
            menus["Model"],
            self.actions,
            self.viewer,
            self.library,
            self.settings,
            self.messages,
            self,
        )
        self.model_menu.status.connect(self._on_status)
        self.files = FileActions(
            self.actions, self.canvas, self.panels_widget, self.model_menu, self.messages, self
        )
        self.files.status.connect(self._on_status)
        self.model_status = QLabel()
        self.model_status.setTextFormat(Qt.TextFormat.PlainText)  # model names come from files
        self.statusBar().addPermanentWidget(self.model_status)

    def _connect_viewer(self) -> None:
        self.viewer.model_changed.connect(self._on_viewer_model_changed)
        self.viewer.input_changed.connect(self._on_viewer_input_changed)

    def _read_settings(self) -> None:
        geometry = self.settings.geometry()
        if geometry is not None:
            self.restoreGeometry(geometry)
        width = self.settings.pen_width()
        if width:
            self.pen_slider.setValue(width)
        self._on_pen_slider_value_changed(self.pen_slider.value())

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.model_menu.has_unsaved_model() and not self.messages.confirm(
            "Close digitpad",
            "The model you just trained has not been saved. Close anyway and discard it?",
        ):
            self.model_menu.show_trained()
            event.ignore()
            return
        if self.model_menu.busy():
            # Never wait on the GUI thread: ask the work to stop, hide, and finish closing
            # once its thread has ended (a stalled download ends at its socket timeout).
            self.model_menu.stop_work()
            self.model_menu.idle.connect(
                self._on_model_menu_idle, Qt.ConnectionType.SingleShotConnection
            )
            self.hide()
            event.ignore()
            return
        self.settings.save_window(self.saveGeometry(), self.pen_slider.value())
        super().closeEvent(event)

    def _on_model_menu_idle(self) -> None:
        """The work stopped after the window was closed: finish closing, and quit (Qt does
        not count a hidden window's close as the last window closed)."""
        self.close()
        if QApplication.quitOnLastWindowClosed():
            QApplication.quit()

    # -- the viewer model ------------------------------------------------------------------

    def _on_viewer_model_changed(self) -> None:
        self.model_status.setText(status_text(self.viewer.model))

    def _on_viewer_input_changed(self) -> None:
        probabilities = self.viewer.probabilities
        verdict = self.viewer.verdict
        self.prediction_updated.emit(
            verdict.digit if verdict is not None else None,
            [float(p) for p in probabilities] if probabilities is not None else [0.0] * 10,
        )

    def _schedule_update(self) -> None:
        """Coalesce edits: at most one update per frame, as soon as the frame allows."""
        if self._update_timer.isActive():
            return
        since = (time.perf_counter() - self._last_update) * 1000
        self._update_timer.start(int(max(0, FRAME_MS - since)))

    def _run_update(self) -> None:
        self._last_update = time.perf_counter()
        self.viewer.update(self.canvas.pixels(), self.canvas.pen_width)

    # -- small slots -----------------------------------------------------------------------

    def _on_status(self, text: str, milliseconds: int) -> None:
        self.statusBar().showMessage(text, milliseconds)

    def _on_network_view_status(self, text: str) -> None:
        self.statusBar().showMessage(text, 4000)

    def _on_eraser_toggled(self, checked: bool) -> None:
        self.canvas.eraser = checked

    def _on_thinner_triggered(self) -> None:
        self.pen_slider.setValue(self.pen_slider.value() - 2)

    def _on_thicker_triggered(self) -> None:
        self.pen_slider.setValue(self.pen_slider.value() + 2)

    def _on_pen_slider_value_changed(self, value: int) -> None:
        self.canvas.set_pen_width(value)
        self.pen_label.setText(f"{value} px")

    # -- dropped files ---------------------------------------------------------------------

    def open_image(self, path: Path) -> bool:
        return self.files.open_image(path)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.files.open_any(Path(url.toLocalFile()))
                event.acceptProposedAction()
                return

    # -- help ------------------------------------------------------------------------------

    def _on_shortcuts_triggered(self) -> None:
        QMessageBox.information(self, "Keyboard shortcuts", shortcuts_html(self.actions))

    def _on_about_triggered(self) -> None:
        QMessageBox.about(self, "About digitpad", about_html(self.viewer.model))
