"""The main window: composes the views around one ViewerModel and wires menus and files."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import (
    QByteArray,
    QCoreApplication,
    QEvent,
    QSettings,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QIcon, QShowEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QStyle,
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
    FocusedControlFirst,
    connect_actions,
    create_actions,
    menu_actions,
    shortcuts_html,
)
from digitpad.gui.canvas_feed import CanvasFeed
from digitpad.gui.convolution_view import ConvolutionLauncher
from digitpad.gui.describe import about_html, stage_hint
from digitpad.gui.detail_view import DetailDock
from digitpad.gui.drawing_panel import DrawingPanel
from digitpad.gui.file_actions import FileActions
from digitpad.gui.guide import GuideDock
from digitpad.gui.layer_strip import LayerStrip
from digitpad.gui.messages import Messages
from digitpad.gui.model_menu import ModelMenu, status_text
from digitpad.gui.network_view import NetworkView
from digitpad.gui.placement import fitted_size, too_small_for, uncover
from digitpad.gui.presentation import Presentation
from digitpad.gui.samples_dialog import SamplesDialog
from digitpad.gui.settings import AppSettings
from digitpad.gui.teach_bar import Teaching
from digitpad.gui.theme import font_scale
from digitpad.gui.workspace import Workspace

# The follow panel's share of the window's width, at most (never below its minimum).
DOCK_SHARE = 0.3  # at the system's type size
DOCK_SHARE_MOST = 0.36  # at any zoom: the network's panels keep the larger part
# Beside a docked side panel the network's panels keep this width (at 1x type), or the
# panel floats: the focused stage's 32 maps at a screen pixel a value, the narrow panels.
PANELS_LEAST = 420
COMFORTABLE_SIZE = QSize(1180, 720)  # the window's first size, where the screen has room
# Around a status message, as QStatusBar lays it out: its margins, and the gap before a
# permanent widget (a few pixels more than Qt's own, so a hint never touches the name).
STATUS_MARGINS = 16
STATUS_SPACING = 12


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
        self._watching_screen = False  # for another screen's size (the zoom's limit)
        self._enter_hint = ""  # what Enter did instead of keeping the drawing, and how to
        # Before F11: whether maximised, and saveGeometry().
        self._before_full_screen: tuple[bool, QByteArray] | None = None
        self.settings = AppSettings(settings)
        self.library = Library(library_folder)
        self.library.clean_leftovers()
        self.viewer = ViewerModel()
        self.teacher = Teacher(self.viewer, samples_path)
        self._create_widgets()
        self._create_actions()
        self._create_menus()
        self._create_status_bar()
        self._connect_viewer()
        self._read_settings()
        self._create_presentation()
        self.setAcceptDrops(True)
        self.model_problem = self.model_menu.load_initial(model_path)

    # -- construction --------------------------------------------------------------------

    def _create_widgets(self) -> None:
        self.drawing = DrawingPanel(self.viewer)
        self.canvas, self.pen_slider = self.drawing.canvas, self.drawing.pen_slider
        self.prediction = self.drawing.prediction
        self.prediction.hint_on_first_start(self.settings)
        self.canvas_feed = CanvasFeed(self.canvas, self.viewer, self)
        self.canvas_feed.prediction_updated.connect(self.prediction_updated)
        self.detail_dock = DetailDock(self.viewer, self)
        self.guide_dock = GuideDock(self.viewer, self)
        for dock in (self.detail_dock, self.guide_dock):
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        # Side panels opened in the drawing's place: no room beside the network's panels.
        self._in_drawings_place: set[QDockWidget] = set()
        # The width the window had before the follow panel made it wider, to give back.
        self._width_before_dock: int | None = None
        self.detail_dock.opening.connect(self._on_detail_dock_opening)
        self.detail_dock.put_away.connect(self._on_detail_dock_put_away)
        self.layer_strip = LayerStrip(self.viewer)
        self.network_view = NetworkView(self.viewer)
        self.detail_dock.follow_bar_clicks(self.network_view.probabilities)
        self.network_view.status.connect(self._on_network_view_status)
        self.workspace = Workspace(
            self.drawing, self.layer_strip, self.network_view, beside=self._docked_width
        )
        self.setCentralWidget(self.workspace)
        # On a screen, a first size that fits it; a screenshot has no screen to fit (the
        # offscreen one is 800 px wide) and is taken at the size the window is made for.
        made_for = COMFORTABLE_SIZE
        self.resize(made_for if self.headless else fitted_size(self, *made_for.toTuple()))

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
        self.findChild(FocusedControlFirst).went_to_control.connect(self._on_key_went_to_control)
        self.actions["guide"].toggled.connect(self._on_guide_toggled)
        self.guide_dock.bind(self.actions["guide"])
        self.teaching = Teaching(
            self.teacher, self.canvas, self.actions, self.messages, self.canvas_feed.catch_up, self
        )
        self.teaching.status.connect(self._on_status)
        self.teaching.kept.connect(self.prediction.say_under_next)
        self.sample_browser = SampleBrowser(self._samples_store)
        self.samples_dialog: SamplesDialog | None = None
        connect_actions(self.actions, {"samples_browser": self._on_samples_browser_triggered})
        # Quit works from the retrain dialog too, not only from this window.
        self.actions["quit"].setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.drawing.use_actions(self.actions)
        self.convolution = ConvolutionLauncher(
            self.viewer, self.actions["watch_convolution"], self.network_view, self
        )

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
        panels = self.workspace.panels_widget
        self.files = FileActions(
            self.actions, self.canvas, panels, self.model_menu, self.messages, self
        )
        self.files.status.connect(self._on_status)

    def _create_status_bar(self) -> None:
        self.model_status = QLabel()
        self.model_status.setTextFormat(Qt.TextFormat.PlainText)  # model names come from files
        self.statusBar().addPermanentWidget(self.model_status)
        self.statusBar().messageChanged.connect(self._on_status_bar_message_changed)

    def _connect_viewer(self) -> None:
        # The status names the model in use, or the run shown instead of its network.
        self.viewer.model_in_use_changed.connect(self._on_viewer_shown_changed)
        self.viewer.network_shown_changed.connect(self._on_viewer_shown_changed)

    def _read_settings(self) -> None:
        geometry = self.settings.geometry()
        if geometry is not None:
            self.restoreGeometry(geometry)
        width = self.settings.pen_width()
        if width:
            self.pen_slider.setValue(width)

    def _create_presentation(self) -> None:
        self.presentation = Presentation(
            self,
            self.actions,
            self.settings,
            zoomed=[self.centralWidget(), self.detail_dock, self.guide_dock],
            secondary=self.drawing.secondary,
        )

    def show_at_start(self) -> None:
        """Show the window as the user left it (maximised or not, restored from the saved
        geometry); the first time, maximised on a screen smaller than it is made for."""
        if self.settings.geometry() is None and too_small_for(self, COMFORTABLE_SIZE):
            self.showMaximized()
        else:
            self.show()

    # -- full screen -----------------------------------------------------------------------

    def showFullScreen(self) -> None:
        if not self.isFullScreen():
            self._before_full_screen = (self.isMaximized(), self.saveGeometry())
        super().showFullScreen()

    def showNormal(self) -> None:
        """From full screen (F11 again): back to the window as it was before it, maximised
        or at its place and size. Qt's showNormal gave a maximised window its normal size
        instead (1180x656 on a 1280x720 screen), or a size the larger type of presentation
        mode had set meanwhile (the whole 1024x600 screen, looking full screen still)."""
        before, self._before_full_screen = self._before_full_screen, None
        if before is None or not self.isFullScreen():
            super().showNormal()
            return
        maximised, geometry = before
        if maximised:
            self.showMaximized()  # full screen off, maximised on, in one change of state
        else:
            super().showNormal()
            self.restoreGeometry(geometry)

    # -- window events ---------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        handle = self.windowHandle()
        if handle is not None and not self._watching_screen:
            self._watching_screen = True
            handle.screenChanged.connect(self._on_window_screen_changed)

    def _on_window_screen_changed(self) -> None:
        self.presentation.screen_changed()

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

    def _on_detail_dock_opening(self) -> None:
        self._width_before_dock = self.width()
        self._make_room_for(self.detail_dock)
        # Once it is laid out, its share of the window: as wide as its text wants (420 px
        # in presentation mode) it left the network's panels too narrow on a small screen.
        QTimer.singleShot(0, self, self._size_detail_dock)

    def _on_guide_toggled(self, on: bool) -> None:
        if on:  # before it shows: connected ahead of the guide's own slot
            self._make_room_for(self.guide_dock)
        else:
            self._give_back_room(self.guide_dock)

    def _make_room_for(self, dock: QDockWidget) -> None:
        """A panel about to open beside the window: at the right where the network's
        panels keep PANELS_LEAST beside it in the window's width, else in the drawing's
        place at the left, the drawing's column hidden while it is open. The window never
        widens for it (past the screen, at 1024 px) and the focused stage keeps its room
        (beside a panel at 1024 px its maps shrank to dots)."""
        if dock.isFloating():
            return
        smallest = self.minimumSizeHint().expandedTo(self.minimumSize()).width()
        beside = dock.minimumSizeHint().expandedTo(dock.minimumSize()).width()
        # Larger type widens the colour bars and the narrow panels' headings.
        panels = round(PANELS_LEAST * max(1.0, font_scale(self.network_view)))
        needed = max(smallest, self.drawing.minimumSizeHint().width() + panels) + beside
        fits = needed <= self.width()
        if fits:
            self._give_back_room(dock)
        elif dock not in self._in_drawings_place:
            self._in_drawings_place.add(dock)
            # First, and taken out of the layouts' sums now: the window's minimum must
            # never count both (it widened the window past the screen).
            self.drawing.hide()
            QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest.value)
            self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)

    def _give_back_room(self, dock: QDockWidget) -> None:
        """The panel goes back to the right; the drawing returns once no panel is in its
        place."""
        if dock in self._in_drawings_place:
            self._in_drawings_place.discard(dock)
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        if not self._in_drawings_place:
            self.drawing.show()

    def _size_detail_dock(self) -> None:
        dock = self.detail_dock
        if dock.isVisible() and not dock.isFloating():
            # Larger type (zoom, presentation mode) needs a wider dock for the same tables.
            share = min(DOCK_SHARE * font_scale(dock), DOCK_SHARE_MOST)
            width = max(dock.minimumWidth(), round(self.width() * share))
            if dock.width() != width:
                self.resizeDocks([dock], [width], Qt.Orientation.Horizontal)

    def _on_detail_dock_put_away(self) -> None:
        """The dock is put away: a window it had to widen (one narrower than the panels and
        the dock together) goes back to its width, not left reaching past the screen."""
        self._give_back_room(self.detail_dock)
        before, self._width_before_dock = self._width_before_dock, None
        if before is None or self.isMaximized() or self.isFullScreen():
            return
        # The window's minimum counts the dock until its layout has run again, after this.
        QTimer.singleShot(0, self, lambda: self._give_back_width(before))

    def _give_back_width(self, width: int) -> None:
        if self.width() > width and not self.detail_dock.isVisible():
            self.layout().activate()  # the minimum without the dock, before the resize
            self.resize(width, self.height())

    def _docked_width(self) -> int:
        """The width the docks beside the workspace take (they share one column)."""
        docks = [
            dock
            for dock in (self.detail_dock, self.guide_dock)
            if dock.isVisible() and not dock.isFloating()
        ]
        separator = self.style().pixelMetric(QStyle.PixelMetric.PM_DockWidgetSeparatorExtent)
        return max(dock.width() for dock in docks) + separator if docks else 0

    # -- small slots -----------------------------------------------------------------------

    def _on_viewer_shown_changed(self) -> None:
        self.model_status.setText(status_text(self.viewer.model_in_use, self.viewer.training_shown))

    def _on_status(self, text: str, milliseconds: int) -> None:
        self.show_status(text, milliseconds)

    def _on_network_view_status(self, text: str) -> None:
        network, layer = self.viewer.network_shown, self.viewer.selected_layer
        if not text and network is not None and layer is not None:
            text = stage_hint(network, layer)  # a stage whose panel has no tooltip to say it
        self.show_status(text, 4000)

    def _on_key_went_to_control(self, control: QWidget) -> None:
        """Enter pressed the focused control (a stage just clicked in the strip), not "It
        read it right": say so while there is a drawing to keep, and how to keep it."""
        if not self.actions["teach_confirm"].isEnabled():
            return
        text = control.text() if isinstance(control, QAbstractButton) else ""
        name = text.splitlines()[0] if text else ""  # a stage's name, not its shape
        went = f"Enter went to “{name}”. " if name else ""
        self._enter_hint = (
            f"{went}Enter keeps the drawing when the canvas has focus: draw on it, or click ✓"
        )
        # After what the control does with the key: a stage pressed says what it is first.
        QTimer.singleShot(0, self, self._show_enter_hint)

    def _show_enter_hint(self) -> None:
        self.show_status(self._enter_hint, 8000)

    def show_status(self, text: str, milliseconds: int) -> None:
        """A hint in the status bar, never cut mid-word under the model's name: the name
        steps aside while a hint too long to share the bar is shown, and a hint longer than
        the whole bar ends at its last whole word, with "…" (the whole as the tooltip)."""
        bar = self.statusBar()
        metrics = bar.fontMetrics()
        room = self._status_room(with_model=True)
        self.model_status.setVisible(metrics.horizontalAdvance(text) <= room)
        room = self._status_room(with_model=self.model_status.isVisible())
        shown = text
        if metrics.horizontalAdvance(shown) > room:
            words = text.split()
            while words and metrics.horizontalAdvance(" ".join(words) + " …") > room:
                words.pop()
            shown = " ".join(words) + " …"
        bar.setToolTip(text if shown != text else "")
        bar.showMessage(shown, milliseconds)

    def _status_room(self, with_model: bool) -> int:
        """The width a status message has: the bar's, less the model's name beside it and
        the margins the bar draws the message within."""
        bar = self.statusBar()
        model = self.model_status.sizeHint().width() + STATUS_SPACING if with_model else 0
        return bar.width() - model - STATUS_MARGINS - bar.layout().contentsMargins().left()

    def _on_status_bar_message_changed(self, text: str) -> None:
        if not text:  # the hint is gone: the model's name is back
            self.model_status.show()
            self.statusBar().setToolTip("")

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
        self.canvas_feed.show_exact(fit_to_canvas(network_input), network_input)
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
            self.canvas_feed.show_strokes(sample.strokes, sample.network_input)
        else:
            self.canvas_feed.show_exact(sample.canvas, sample.network_input)
        uncover(self.samples_dialog, self.canvas)

    # -- help ------------------------------------------------------------------------------

    def _on_shortcuts_triggered(self) -> None:
        QMessageBox.information(self, "Keyboard Shortcuts", shortcuts_html(self.actions))

    def _on_about_triggered(self) -> None:
        QMessageBox.about(self, "About digitpad", about_html(self.viewer.model_in_use))
