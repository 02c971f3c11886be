"""The main window: composes the views around one ViewerModel and wires menus and files."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QIcon, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from digitpad.core.bundled import resource_path
from digitpad.core.library import Library
from digitpad.core.preprocess import fit_to_canvas
from digitpad.core.sample_browser import SampleBrowser
from digitpad.core.samples import Sample, SampleStore
from digitpad.core.teaching import Teacher
from digitpad.core.viewer import ViewerModel
from digitpad.gui.actions import (
    MENUS,
    connect_actions,
    create_actions,
    menu_actions,
    shortcuts_html,
)
from digitpad.gui.describe import about_html
from digitpad.gui.detail_view import DetailDock
from digitpad.gui.drawing_panel import DrawingPanel
from digitpad.gui.file_actions import FileActions
from digitpad.gui.guide import GuideDock
from digitpad.gui.layer_strip import LayerStrip
from digitpad.gui.messages import Messages
from digitpad.gui.model_menu import ModelMenu, status_text
from digitpad.gui.network_view import NetworkView
from digitpad.gui.placement import fitted_size, uncover
from digitpad.gui.presentation import Presentation
from digitpad.gui.samples_dialog import SamplesDialog
from digitpad.gui.settings import AppSettings
from digitpad.gui.teach_bar import Teaching

# Live updates are coalesced to at most one per 8 ms: one per frame on 120 Hz screens.
# With 16 ms, a move arriving just after an update waits a whole 60 Hz frame, and a
# 125 Hz mouse then sees p95 latencies right at 16 ms (benchmarks/drawing_latency.py).
FRAME_MS = 8
LEFT_SHARE = 0.28  # of the window's width, for the canvas and the answer


class MainWindow(QMainWindow):
    """Emits ``prediction_updated(digit or None, ten probabilities)`` after every update."""

    prediction_updated = Signal(object, list)

    def __init__(
        self,
        model_path: Path | None = None,
        settings: QSettings | None = None,
        headless: bool = False,
        library_folder: Path | None = None,
        samples_path: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("digitpad")
        self.setWindowIcon(QIcon(str(resource_path("digitpad.svg"))))
        # Headless (screenshots, scripts): problems go to stderr, never to a modal dialog.
        self.messages = Messages(self, headless)
        self.headless = headless
        self.settings = AppSettings(settings)
        self.library = Library(library_folder)
        self.library.clean_leftovers()
        self.viewer = ViewerModel()
        self.teacher = Teacher(self.viewer, samples_path)
        self._create_widgets()
        self._create_actions()
        self._create_menus()
        self._connect_viewer()
        self._read_settings()
        self.presentation = Presentation(
            self,
            self.actions,
            self.settings,
            zoomed=[self.centralWidget(), self.detail_dock, self.guide_dock],
            secondary=self.drawing.secondary,
        )
        self.setAcceptDrops(True)
        self.model_problem = self.model_menu.load_initial(model_path)

    # -- construction --------------------------------------------------------------------

    def _create_widgets(self) -> None:
        self.drawing = DrawingPanel(self.viewer)
        self.canvas, self.pen_slider = self.drawing.canvas, self.drawing.pen_slider
        self.prediction = self.drawing.prediction
        self.canvas.changed.connect(self._schedule_update)
        self.canvas.stroke_finished.connect(self._schedule_update)
        self._last_update = 0.0
        # (canvas pixels, input): while the canvas shows exactly these pixels, the viewer
        # reads this input (a digit from Evaluate or a kept sample) rather than its own.
        self._exact: tuple[np.ndarray, np.ndarray] | None = None
        self._update_timer = QTimer(self)
        self._update_timer.setSingleShot(True)
        self._update_timer.timeout.connect(self._run_update)

        self.detail_dock = DetailDock(self.viewer, self)
        self.guide_dock = GuideDock(self.viewer, self)
        for dock in (self.detail_dock, self.guide_dock):
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.layer_strip = LayerStrip(self.viewer)
        self.network_view = NetworkView(self.viewer)
        self.network_view.status.connect(self._on_network_view_status)
        self.panels_widget = QWidget()
        right_layout = QVBoxLayout(self.panels_widget)
        right_layout.addWidget(self.layer_strip)
        right_layout.addWidget(self.network_view, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.drawing)
        splitter.addWidget(self.panels_widget)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        self.splitter = splitter
        self._split = False  # the first show divides the width (sizes set before it are lost)
        self.setCentralWidget(splitter)
        # On a screen, a first size that fits it; a screenshot has no screen to fit (the
        # offscreen one is 800 px wide) and is taken at the size the window is made for.
        self.resize(QSize(1180, 720) if self.headless else fitted_size(self, 1180, 720))

    def _create_actions(self) -> None:
        self.actions = create_actions(self)
        connect_actions(
            self.actions,
            {
                "quit": self.close,
                "fixed_scales": self.viewer.set_fixed_scales,
                "shortcuts": self._on_shortcuts_triggered,
                "about": self._on_about_triggered,
            },
        )
        self.actions["fixed_scales"].setChecked(self.viewer.fixed_scales)
        self.guide_dock.bind(self.actions["guide"])
        self.teaching = Teaching(
            self.teacher, self.canvas, self.actions, self.messages, self.catch_up, self
        )
        self.teaching.status.connect(self._on_status)
        self.teaching.kept.connect(self.prediction.say_under_next)
        self.sample_browser = SampleBrowser(self._samples_store)
        self.samples_dialog: SamplesDialog | None = None
        connect_actions(self.actions, {"samples_browser": self._on_samples_browser_triggered})
        # Quit works from the retrain dialog too, not only from this window.
        self.actions["quit"].setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.drawing.use_actions(self.actions)

    def _create_menus(self) -> None:
        bar = self.menuBar()
        menus = {name: bar.addMenu(f"&{name}") for name in MENUS}
        for name in ("File", "Edit", "View", "Samples", "Help"):
            for action in menu_actions(self.actions, name):
                if action in (
                    self.actions["quit"],
                    self.actions["teach_0"],
                    self.actions["samples_browser"],
                ):
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
            self._samples_store,
        )
        self.model_menu.status.connect(self._on_status)
        self.model_menu.open_input.connect(self._on_model_menu_open_input)
        self.files = FileActions(
            self.actions, self.canvas, self.panels_widget, self.model_menu, self.messages, self
        )
        self.files.status.connect(self._on_status)
        self.model_status = QLabel()
        self.model_status.setTextFormat(Qt.TextFormat.PlainText)  # model names come from files
        self.statusBar().addPermanentWidget(self.model_status)

    def _connect_viewer(self) -> None:
        self.viewer.model_in_use_changed.connect(self._on_viewer_model_changed)
        self.viewer.network_shown_changed.connect(self._on_viewer_model_changed)
        self.viewer.input_changed.connect(self._on_viewer_input_changed)

    def _read_settings(self) -> None:
        geometry = self.settings.geometry()
        if geometry is not None:
            self.restoreGeometry(geometry)
        width = self.settings.pen_width()
        if width:
            self.pen_slider.setValue(width)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._split:
            self._split = True
            # The panels get the larger share: 28 % of the width (360 px at 1280) is
            # plenty to draw a digit on, and 64 maps of 14x14 get 4 pixels a value.
            width = self.splitter.width()
            left = max(self.drawing.minimumSizeHint().width(), round(width * LEFT_SHARE))
            self.splitter.setSizes([left, width - left])

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.WindowStateChange and hasattr(self, "presentation"):
            self.presentation.sync_full_screen()
        super().changeEvent(event)

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
        self.presentation.release()
        self.teacher.close()
        super().closeEvent(event)

    def _on_model_menu_idle(self) -> None:
        """The work stopped after the window was closed: finish closing, and quit (Qt does
        not count a hidden window's close as the last window closed)."""
        self.close()
        if QApplication.quitOnLastWindowClosed():
            QApplication.quit()

    # -- the viewer model ------------------------------------------------------------------

    def _on_viewer_model_changed(self) -> None:
        self.model_status.setText(status_text(self.viewer.model_in_use, self.viewer.training_shown))

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

    def catch_up(self) -> None:
        """Run a pending update now: the answer is then the one to what is drawn."""
        if self._update_timer.isActive():
            self._update_timer.stop()
            self._run_update()

    def _run_update(self) -> None:
        self._last_update = time.perf_counter()
        pixels = self.canvas.pixels()
        exact = None
        if self._exact is not None:
            if np.array_equal(pixels, self._exact[0]):
                exact = self._exact[1]
            else:  # drawn on (or undone): the drawing is the input again
                self._exact = None
        self.viewer.update(pixels, self.canvas.pen_width, network_input=exact)

    # -- small slots -----------------------------------------------------------------------

    def _on_status(self, text: str, milliseconds: int) -> None:
        self.statusBar().showMessage(text, milliseconds)

    def _on_network_view_status(self, text: str) -> None:
        self.statusBar().showMessage(text, 4000)

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

    # -- samples ---------------------------------------------------------------------------

    def _samples_store(self) -> SampleStore:
        return self.teacher.store

    def _on_model_menu_open_input(self, network_input) -> None:
        """A digit from Model > Evaluate on the canvas, read as the very input Evaluate read
        (its enlarged picture prepared again would be another input) until it is drawn on."""
        self._show_exact(fit_to_canvas(network_input), network_input)
        uncover(self.model_menu.evaluate_dialog, self.canvas)

    def _on_samples_browser_triggered(self) -> None:
        if self.samples_dialog is None:
            self.samples_dialog = SamplesDialog(
                self.sample_browser, self.open_sample, self.messages, self
            )
            self.teacher.kept.connect(self._on_teacher_kept)
        self.samples_dialog.show()
        self.samples_dialog.raise_()
        self.samples_dialog.activateWindow()

    def _on_teacher_kept(self) -> None:
        if self.samples_dialog is not None and self.samples_dialog.isVisible():
            self.samples_dialog.refresh()

    def open_sample(self, sample: Sample) -> None:
        """Put a sample on the canvas: its strokes (undoable one by one), or its image,
        read as the input it was kept with."""
        if sample.strokes:
            self.canvas.show_strokes(sample.strokes)
            self._exact = (self.canvas.pixels().copy(), sample.network_input)
            self._run_update()
        else:
            self._show_exact(sample.canvas, sample.network_input)
        uncover(self.samples_dialog, self.canvas)

    def _show_exact(self, picture: np.ndarray, network_input: np.ndarray) -> None:
        self.canvas.place_pixels(picture)
        self._exact = (self.canvas.pixels().copy(), network_input)
        self._run_update()

    # -- help ------------------------------------------------------------------------------

    def _on_shortcuts_triggered(self) -> None:
        QMessageBox.information(self, "Keyboard Shortcuts", shortcuts_html(self.actions))

    def _on_about_triggered(self) -> None:
        QMessageBox.about(self, "About digitpad", about_html(self.viewer.model_in_use))
