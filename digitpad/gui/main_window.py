"""The main window: canvas, live prediction, the layer strip and panels, menus and settings."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QIcon,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from digitpad import __version__
from digitpad.core.bundled import DEFAULT, RECIPES, bundled_name, resolve_model, resource_path
from digitpad.core.layers import ACTIVATION, RESHAPE
from digitpad.core.library import Library, LibraryError, export_model
from digitpad.core.model_io import Model, ModelFormatError, load_model
from digitpad.core.network import Network
from digitpad.core.preprocess import to_ink, to_mnist
from digitpad.gui.canvas import MAX_PEN_WIDTH, MIN_PEN_WIDTH, DrawingCanvas
from digitpad.gui.describe import (
    ConvBlock,
    conv_blocks,
    model_info_html,
    shape_text,
)
from digitpad.gui.images import ImageError, read_gray
from digitpad.gui.panels import (
    Hover,
    InputPanel,
    MosaicPanel,
    ProbabilityPanel,
    filter_images,
)
from digitpad.gui.train_dialog import TrainDialog

UNSURE_BELOW = 0.5
# Live updates are coalesced to at most one per 8 ms: one per frame on 120 Hz screens.
# With 16 ms, a move arriving just after an update waits a whole 60 Hz frame, and a
# 125 Hz mouse then sees p95 latencies right at 16 ms (benchmarks/drawing_latency.py).
FRAME_MS = 8
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp)"


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
        # Headless (screenshots, scripts): problems go to stderr, never to a modal dialog
        # that nobody could close.
        self.headless = headless
        self.library = Library(library_folder)
        self.library.clean_leftovers()
        self.train_dialog: TrainDialog | None = None
        self.setWindowTitle("digitpad")
        self.setWindowIcon(QIcon(str(resource_path("digitpad.svg"))))
        self.settings = settings if settings is not None else QSettings()
        self.model: Model | None = None
        self.blocks: list[ConvBlock] = []
        self.block_index = 0
        self.last_input: np.ndarray | None = None
        self.last_probabilities: np.ndarray | None = None
        self._trace = None
        self._last_update = 0.0
        self._update_timer = QTimer(self)
        self._update_timer.setSingleShot(True)
        self._update_timer.timeout.connect(self._on_update_timer_timeout)
        self._flashed: QWidget | None = None
        self._flash_timer = QTimer(self)
        self._flash_timer.setSingleShot(True)
        self._flash_timer.setInterval(700)
        self._flash_timer.timeout.connect(self._on_flash_timer_timeout)
        self._build_widgets()
        self._build_actions()
        self._build_menus()
        self.setAcceptDrops(True)
        self._restore_settings()
        self._load_initial_model(model_path)

    # -- construction --------------------------------------------------------------------

    def _build_widgets(self) -> None:
        self.canvas = DrawingCanvas()
        self.canvas.changed.connect(self._schedule_update)
        self.canvas.stroke_finished.connect(self._schedule_update)
        self.canvas.history_changed.connect(self._on_canvas_history_changed)

        self.prediction = QLabel()
        self.prediction.setObjectName("prediction")
        self.prediction.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.prediction.setTextFormat(Qt.TextFormat.RichText)
        self.prediction.setMinimumHeight(90)
        self.prediction.setToolTip("The network's answer and how sure it is")

        self.pen_slider = QSlider(Qt.Orientation.Horizontal)
        self.pen_slider.setObjectName("pen_width")
        self.pen_slider.setRange(MIN_PEN_WIDTH, MAX_PEN_WIDTH)
        self.pen_slider.setValue(int(self.canvas.pen_width))
        self.pen_slider.setToolTip("Pen width in canvas pixels ([ and ] change it)")
        self.pen_slider.valueChanged.connect(self._on_pen_slider_value_changed)
        self.pen_label = QLabel()

        self.tool_buttons = QHBoxLayout()
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(self.canvas, 1)
        left_layout.addLayout(self.tool_buttons)
        pen_row = QHBoxLayout()
        pen_row.addWidget(QLabel("Pen"))
        pen_row.addWidget(self.pen_slider, 1)
        pen_row.addWidget(self.pen_label)
        left_layout.addLayout(pen_row)
        left_layout.addWidget(self.prediction)

        self.layer_strip = QWidget()
        self.layer_strip.setObjectName("layer_strip")
        self.layer_strip_layout = QHBoxLayout(self.layer_strip)
        self.layer_strip_layout.setContentsMargins(0, 0, 0, 0)
        self.layer_strip_layout.setSpacing(2)
        # Flat buttons with little padding keep a deep network's strip on one screen.
        self.layer_strip.setStyleSheet("QPushButton { padding: 2px 4px; }")
        self.layer_buttons: list[QPushButton] = []
        # Deep networks make a long strip: let it scroll rather than widen the window.
        strip_scroll = QScrollArea()
        strip_scroll.setWidget(self.layer_strip)
        strip_scroll.setWidgetResizable(True)
        strip_scroll.setFrameShape(QFrame.Shape.NoFrame)
        strip_scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        strip_scroll.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.strip_scroll = strip_scroll

        self.network_input = InputPanel()
        self.probabilities = ProbabilityPanel()
        top_row = QHBoxLayout()
        top_row.addWidget(self.network_input, 1)
        top_row.addWidget(self.probabilities, 2)

        self.layer_selector = QComboBox()
        self.layer_selector.setObjectName("layer_selector")
        self.layer_selector.setToolTip("Which convolutional layer the panels below show")
        self.layer_selector.currentIndexChanged.connect(self._on_layer_selector_changed)
        self.layer_caption = QLabel()
        self.layer_caption.setWordWrap(True)
        selector_row = QHBoxLayout()
        selector_row.addWidget(QLabel("Layer:"))
        selector_row.addWidget(self.layer_selector)
        selector_row.addWidget(self.layer_caption, 1)

        self.filters = MosaicPanel(
            "Filters (weights)",
            "filters",
            "Each filter's 3×3 weights: red adds, blue subtracts. For deeper layers, the "
            "mean over input channels.",
            wide=0.5,
        )
        self.feature_maps = MosaicPanel(
            "Feature maps",
            "feature_maps",
            "Each filter slid over the input: where it matches, the map lights up. "
            "Hover to see a value and the input pixels it comes from.",
        )
        self.pooled = MosaicPanel(
            "Pooled",
            "pooled",
            "After the activation and 2×2 pooling: each map shrunk to its strongest responses.",
        )
        for panel in (self.feature_maps, self.pooled):
            panel.hovered.connect(self._on_map_hovered)
        maps_row = QSplitter(Qt.Orientation.Horizontal)
        for panel in (self.filters, self.feature_maps, self.pooled):
            maps_row.addWidget(panel)
        maps_row.setSizes([200, 320, 260])

        right = QWidget()
        self.panels_widget = right
        right_layout = QVBoxLayout(right)
        right_layout.addWidget(self.strip_scroll)
        right_layout.addLayout(top_row, 2)
        right_layout.addLayout(selector_row)
        right_layout.addWidget(maps_row, 3)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([420, 680])
        self.setCentralWidget(splitter)
        self.resize(1180, 720)

    def _action(
        self, text: str, slot, shortcuts=(), tip: str = "", checkable: bool = False
    ) -> QAction:
        action = QAction(text, self)
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.open_image_action = self._action(
            "&Open Image…",
            self._on_open_image_triggered,
            [QKeySequence.StandardKey.Open],
            "Open a PNG, JPEG or BMP image of a digit onto the canvas",
        )
        self.save_drawing_action = self._action(
            "&Save Drawing…",
            self._on_save_drawing_triggered,
            [QKeySequence.StandardKey.Save],
            "Save the canvas as a PNG",
        )
        self.export_panels_action = self._action(
            "&Export Panels…",
            self._on_export_panels_triggered,
            ["Ctrl+E"],
            "Save all the panels as one PNG",
        )
        self.quit_action = self._action("&Quit", self.close, [QKeySequence.StandardKey.Quit])
        self.undo_action = self._action(
            "&Undo Stroke",
            self.canvas.undo,
            [QKeySequence.StandardKey.Undo],
            "Undo the last stroke",
        )
        self.redo_action = self._action(
            "&Redo Stroke", self.canvas.redo, ["Ctrl+Shift+Z", "Ctrl+Y"], "Redo a stroke"
        )
        self.clear_action = self._action(
            "&Clear", self.canvas.clear, ["Esc", "Delete"], "Clear the canvas"
        )
        self.eraser_action = self._action(
            "&Eraser",
            self._on_eraser_toggled,
            ["E"],
            "Erase instead of draw (right-drag erases too)",
            checkable=True,
        )
        self.thinner_action = self._action("&Thinner Pen", lambda: self._change_pen(-2), ["["])
        self.thicker_action = self._action("T&hicker Pen", lambda: self._change_pen(2), ["]"])
        self.open_model_action = self._action(
            "&Open Model File…",
            self._on_open_model_triggered,
            ["Ctrl+M"],
            "Load a digitpad model (.npz)",
        )
        self.model_info_action = self._action(
            "Model &Info",
            self._on_model_info_triggered,
            ["Ctrl+I"],
            "Architecture, parameters, accuracy and date of the current model",
        )
        self.retrain_action = self._action(
            "&Retrain…",
            self._on_retrain_triggered,
            ["F5"],
            "Train a new network on MNIST and watch it learn",
        )
        self.rename_model_action = self._action(
            "Re&name Model…", self._on_rename_model_triggered, [], "Rename your current model"
        )
        self.delete_model_action = self._action(
            "&Delete Model…", self._on_delete_model_triggered, [], "Delete your current model"
        )
        self.export_model_action = self._action(
            "E&xport Model…",
            self._on_export_model_triggered,
            [],
            "Save a copy of the current model file",
        )
        self.revert_action = self._action(
            "Revert to &Bundled Default",
            self._on_revert_triggered,
            [],
            "Go back to the model digitpad ships with",
        )
        self.shortcuts_action = self._action(
            "&Keyboard Shortcuts",
            self._on_shortcuts_triggered,
            [QKeySequence.StandardKey.HelpContents],
        )
        self.about_action = self._action("&About digitpad", self._on_about_triggered)
        for action in (self.undo_action, self.redo_action, self.clear_action, self.eraser_action):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            self.tool_buttons.addWidget(button)
        self.tool_buttons.addStretch(1)
        self.model_group = QActionGroup(self)
        self.bundled_actions: dict[str, QAction] = {}
        for name, recipe in RECIPES.items():
            self.bundled_actions[name] = self._model_action(f"Bundled: {name}", recipe.path)
        self.library_actions: dict[Path, QAction] = {}
        self._on_canvas_history_changed()

    def _model_action(self, text: str, path: Path) -> QAction:
        action = QAction(text, self, checkable=True)
        action.setData(str(path))
        action.triggered.connect(lambda _=False, p=path: self.load_model_file(p))
        self.model_group.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        for action in (self.open_image_action, self.save_drawing_action, self.export_panels_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = bar.addMenu("&Edit")
        for action in (
            self.undo_action,
            self.redo_action,
            self.clear_action,
            self.eraser_action,
            self.thinner_action,
            self.thicker_action,
        ):
            edit_menu.addAction(action)
        self.model_menu = bar.addMenu("&Model")
        self._rebuild_model_menu()
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.shortcuts_action)
        help_menu.addAction(self.about_action)
        self.model_status = QLabel()
        self.model_status.setTextFormat(Qt.TextFormat.PlainText)  # model names come from files
        self.statusBar().addPermanentWidget(self.model_status)

    # -- settings ------------------------------------------------------------------------

    def _restore_settings(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        width = self.settings.value("canvas/pen_width", type=int)
        if width:
            self.pen_slider.setValue(width)
        self._on_pen_slider_value_changed(self.pen_slider.value())

    def _load_initial_model(self, model_path: Path | None) -> None:
        """The model asked for, else the one used last time, else the bundled default."""
        self.model_problem: str | None = None
        remembered = self.settings.value("model/path", type=str)
        candidates = [model_path] if model_path else []
        if remembered:
            candidates.append(resolve_model(remembered))
        candidates.append(DEFAULT.path)
        for index, candidate in enumerate(candidates):
            try:
                self._use_model(load_model(candidate))
                return
            except ModelFormatError as exc:
                if model_path is not None and index == 0:
                    self.model_problem = str(exc)
                    self._complain("critical", "Cannot open model", str(exc))
                else:
                    self.statusBar().showMessage(f"Skipped a model: {exc}", 10000)
        self.model_status.setText("No model")
        self._show_prediction()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.train_dialog is not None:
            self.train_dialog.shutdown()  # stop training and wait for its thread
            self.train_dialog.close()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("canvas/pen_width", self.pen_slider.value())
        self.settings.sync()
        super().closeEvent(event)

    # -- model ---------------------------------------------------------------------------

    def load_model_file(self, path: Path) -> bool:
        """Switch to the model at path; on a bad file, say why and keep the current one."""
        try:
            model = load_model(path)
        except ModelFormatError as exc:
            self._complain("critical", "Cannot open model", str(exc))
            self._check_model_action()
            return False
        self._use_model(model)
        return True

    def _use_model(self, model: Model) -> None:
        self.model = model
        network = model.network
        self.blocks = conv_blocks(network)
        self._rebuild_layer_strip(network)
        self.layer_selector.blockSignals(True)
        self.layer_selector.clear()
        for block in self.blocks:
            self.layer_selector.addItem(network.names[block.conv])
        self.layer_selector.blockSignals(False)
        self.layer_selector.setEnabled(len(self.blocks) > 1)
        self.block_index = 0
        self._show_block_static()
        self._check_model_action()
        accuracy = model.metadata.metrics.get("test_accuracy")
        name = model.metadata.name or (model.path.stem if model.path else "model")
        self.model_status.setText(
            f"Model: {name}" + (f" · MNIST test accuracy {accuracy:.2%}" if accuracy else "")
        )
        # A bundled model is remembered by name: an upgrade or a new venv moves its file.
        remembered = (bundled_name(model.path) or str(model.path)) if model.path else ""
        self.settings.setValue("model/path", remembered)
        self._run_update()

    def _rebuild_model_menu(self) -> None:
        """Bundled models, then the user's own (broken ones greyed out with the reason)."""
        menu = self.model_menu
        menu.clear()
        for action in self.library_actions.values():
            self.model_group.removeAction(action)
            action.deleteLater()
        self.library_actions = {}
        for action in self.bundled_actions.values():
            menu.addAction(action)
        entries = self.library.entries()
        if entries:
            menu.addSeparator()
            section = menu.addAction("Your models")
            section.setEnabled(False)
        for entry in entries:
            if entry.problem is None:
                accuracy = entry.model.metadata.metrics.get("test_accuracy")
                # '&' would make a keyboard mnemonic in a menu; '&&' shows one '&'.
                label = entry.name.replace("&", "&&")
                text = label + (f" ({accuracy:.2%})" if accuracy is not None else "")
                action = self._model_action(text, entry.path)
            else:
                action = QAction(f"{entry.path.name} (broken)", self)
                action.setEnabled(False)
                action.setToolTip(entry.problem)
                action.setStatusTip(entry.problem)
            menu.addAction(action)
            self.library_actions[entry.path] = action
        menu.setToolTipsVisible(True)
        menu.addSeparator()
        for action in (
            self.open_model_action,
            self.model_info_action,
            self.export_model_action,
            self.rename_model_action,
            self.delete_model_action,
            self.revert_action,
        ):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.retrain_action)
        self._check_model_action()

    def _in_library(self) -> bool:
        return bool(
            self.model
            and self.model.path
            and self.model.path.parent.resolve() == self.library.folder.resolve()
        )

    def _check_model_action(self) -> None:
        path = self.model.path.resolve() if self.model and self.model.path else None
        self.model_group.setExclusive(False)
        for action in self.model_group.actions():
            action.setChecked(path is not None and Path(action.data()).resolve() == path)
        self.model_group.setExclusive(True)
        own = self._in_library()
        self.rename_model_action.setEnabled(own)
        self.delete_model_action.setEnabled(own)
        self.export_model_action.setEnabled(path is not None)

    # -- retraining and the model library ------------------------------------------------

    def _on_retrain_triggered(self) -> None:
        if self.train_dialog is None:
            self.train_dialog = TrainDialog(
                self.model.network if self.model else None, self.settings, self
            )
            self.train_dialog.model_accepted.connect(self._on_train_dialog_model_accepted)
        else:
            self.train_dialog.current = self.model.network if self.model else None
        self.train_dialog.show()
        self.train_dialog.raise_()
        self.train_dialog.activateWindow()

    def _on_train_dialog_model_accepted(self, result) -> None:
        try:
            path = self.library.add(result.network, result.metadata)
        except LibraryError as exc:
            self._complain("critical", "Cannot save the model", str(exc))
            return
        self._rebuild_model_menu()
        self.load_model_file(path)
        self.statusBar().showMessage(f"Saved and using {path}", 6000)

    def _on_rename_model_triggered(self) -> None:
        if not self._in_library():
            return
        old = self.model.metadata.name or self.model.path.stem
        name, ok = QInputDialog.getText(self, "Rename model", "New name:", text=old)
        if not ok or not name.strip():
            return
        try:
            path = self.library.rename(self.model.path, name)
        except LibraryError as exc:
            self._complain("warning", "Cannot rename", str(exc))
            return
        self._rebuild_model_menu()
        self.load_model_file(path)

    def _on_delete_model_triggered(self) -> None:
        if not self._in_library():
            return
        answer = QMessageBox.question(
            self,
            "Delete model",
            f"Delete {self.model.metadata.name or self.model.path.name}? This cannot be undone.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            self.library.delete(self.model.path)
        except LibraryError as exc:
            self._complain("warning", "Cannot delete", str(exc))
            return
        self._rebuild_model_menu()
        self._on_revert_triggered()

    def _on_export_model_triggered(self) -> None:
        if not (self.model and self.model.path):
            return
        target, _ = QFileDialog.getSaveFileName(
            self, "Export model", self.model.path.name, "digitpad models (*.npz)"
        )
        if not target:
            return
        try:
            path = export_model(self.model.path, Path(target))
        except LibraryError as exc:
            self._complain("warning", "Cannot export", str(exc))
            return
        self.statusBar().showMessage(f"Exported {path}", 4000)

    def _on_revert_triggered(self) -> None:
        self.load_model_file(DEFAULT.path)

    def _rebuild_layer_strip(self, network: Network) -> None:
        for button in self.layer_buttons:
            button.deleteLater()
        while self.layer_strip_layout.count():
            self.layer_strip_layout.takeAt(0)
        self.layer_buttons = []
        # Activations fold into the layer they follow ("conv1 + relu"): same shape, and
        # the strip stays short enough to read at a glance.
        entries = [("input", "28×28×1", -1)]
        for index, (name, shape, layer) in enumerate(
            zip(network.names, network.shapes, network.layers, strict=True)
        ):
            if layer.role == RESHAPE:
                continue
            if layer.role == ACTIVATION and len(entries) > 1:
                previous_name, previous_shape, previous_index = entries[-1]
                entries[-1] = (f"{previous_name} + {layer.kind}", previous_shape, previous_index)
                continue
            entries.append((name, shape_text(shape), index))
        entries.append(("softmax", "10", len(network.layers)))
        for position, (name, shape, index) in enumerate(entries):
            if position:
                arrow = QLabel("→")
                self.layer_strip_layout.addWidget(arrow)
            button = QPushButton(f"{name}\n{shape}")
            button.setFlat(True)
            button.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
            tip = (
                "the 28×28 input"
                if index < 0
                else "softmax over the 10 digits"
                if index >= len(network.layers)
                else network.layers[index].describe()
            )
            button.setToolTip(f"{name}: {tip}; output {shape}. Click to show its panel.")
            button.clicked.connect(lambda _=False, i=index: self.show_layer(i))
            self.layer_strip_layout.addWidget(button)
            self.layer_buttons.append(button)
        self.layer_strip_layout.addStretch(1)
        self.layer_strip.adjustSize()
        self.strip_scroll.setFixedHeight(
            self.layer_strip.sizeHint().height()
            + self.strip_scroll.horizontalScrollBar().sizeHint().height()
        )

    def show_layer(self, index: int) -> None:
        """Bring up the panel of layer ``index`` (-1 input, len(layers) the softmax)."""
        for block_number, block in enumerate(self.blocks):
            if block.conv <= index <= block.last:
                self.layer_selector.setCurrentIndex(block_number)
                self._flash(self.feature_maps if index == block.conv else self.pooled)
                return
        if index < 0:
            self._flash(self.network_input)
        else:
            self._flash(self.probabilities)

    def _flash(self, widget: QWidget) -> None:
        """Outline a panel briefly so the eye finds it; the window's own timer ends it."""
        self._on_flash_timer_timeout()
        widget.setStyleSheet(f"#{widget.objectName()} {{ border: 2px solid #e6781e; }}")
        self._flashed = widget
        self._flash_timer.start()
        self.statusBar().showMessage(widget.toolTip(), 4000)

    def _on_flash_timer_timeout(self) -> None:
        if self._flashed is not None:
            self._flashed.setStyleSheet("")
            self._flashed = None

    def _on_layer_selector_changed(self, index: int) -> None:
        if 0 <= index < len(self.blocks):
            self.block_index = index
            self._show_block_static()
            self._show_trace()

    def _show_block_static(self) -> None:
        """The parts of the layer panels that do not depend on the drawing: the filters."""
        if not self.blocks or self.model is None:
            return
        network = self.model.network
        block = self.blocks[self.block_index]
        conv = network.layers[block.conv]
        weights = conv.params["weight"]  # (F, C, k, k)
        self.filters.show_maps(filter_images(weights))
        name = network.names[block.conv]
        channels = weights.shape[1]
        self.filters.set_heading(
            f"{name} filters {conv.kernel}×{conv.kernel}"
            + (f" (mean of {channels} channels)" if channels > 1 else "")
        )
        conv_shape = shape_text(network.shapes[block.conv])
        self.feature_maps.set_heading(f"{name} feature maps {conv_shape}")
        last_name = network.names[block.last]
        self.pooled.set_heading(f"{last_name} output {shape_text(network.shapes[block.last])}")
        parts = [
            network.layers[i].describe()
            for i in (block.conv, block.activation, block.pool)
            if i is not None
        ]
        self.layer_caption.setText(" → ".join(parts))

    # -- live prediction -----------------------------------------------------------------

    def _schedule_update(self) -> None:
        """Coalesce edits: at most one update per frame, as soon as the frame allows."""
        if self._update_timer.isActive():
            return
        since = (time.perf_counter() - self._last_update) * 1000
        self._update_timer.start(int(max(0, FRAME_MS - since)))

    def _on_update_timer_timeout(self) -> None:
        self._run_update()

    def _run_update(self) -> None:
        self._last_update = time.perf_counter()
        digit = to_mnist(self.canvas.pixels())
        self.last_input = digit
        if digit is None or self.model is None:
            self._trace = None
            self.last_probabilities = None
        else:
            self._trace = self.model.network.trace(digit)
            self.last_probabilities = self._trace.probabilities[0]
        self.network_input.show_input(digit)
        self.probabilities.show_probabilities(self.last_probabilities)
        self._show_trace()
        self._show_prediction()
        probabilities = (
            [float(p) for p in self.last_probabilities]
            if self.last_probabilities is not None
            else [0.0] * 10
        )
        self.prediction_updated.emit(
            None if self.last_probabilities is None else int(np.argmax(probabilities)),
            probabilities,
        )

    def _show_trace(self) -> None:
        if not self.blocks or self.model is None:
            return
        block = self.blocks[self.block_index]
        network = self.model.network
        if self._trace is None:
            self.feature_maps.show_maps(np.zeros(network.shapes[block.conv], np.float32))
            self.pooled.show_maps(np.zeros(network.shapes[block.last], np.float32))
            return
        self.feature_maps.show_maps(self._trace.steps[block.conv].output[0])
        self.pooled.show_maps(self._trace.steps[block.last].output[0])

    def _show_prediction(self) -> None:
        probabilities = self.last_probabilities
        if self.model is None:
            self.prediction.setText(
                "<span style='font-size:16pt'>No model: open one from the Model menu</span>"
            )
            return
        if probabilities is None:
            self.prediction.setText("<span style='font-size:22pt'>Draw a digit</span>")
            return
        order = np.argsort(probabilities)[::-1]
        best, second = int(order[0]), int(order[1])
        if probabilities[best] >= UNSURE_BELOW:
            self.prediction.setText(
                f"<span style='font-size:48pt; font-weight:600'>{best}</span>"
                f"<span style='font-size:16pt'>&nbsp;&nbsp;{probabilities[best]:.0%} sure</span>"
            )
        else:
            self.prediction.setText(
                f"<span style='font-size:16pt'>Not sure:</span> "
                f"<span style='font-size:32pt; font-weight:600'>{best}</span>"
                f"<span style='font-size:14pt'> {probabilities[best]:.0%} or </span>"
                f"<span style='font-size:32pt; font-weight:600'>{second}</span>"
                f"<span style='font-size:14pt'> {probabilities[second]:.0%}</span>"
            )

    def _on_map_hovered(self, hover: Hover | None) -> None:
        if hover is None or self.model is None or not self.blocks:
            self.network_input.highlight(None)
            return
        block = self.blocks[self.block_index]
        layer = block.conv if self.sender() is self.feature_maps else block.last
        self.network_input.highlight(
            self.model.network.receptive_field(layer, hover.row, hover.col)
        )

    # -- canvas tools --------------------------------------------------------------------

    def _on_canvas_history_changed(self) -> None:
        self.undo_action.setEnabled(self.canvas.can_undo())
        self.redo_action.setEnabled(self.canvas.can_redo())

    def _on_eraser_toggled(self, checked: bool) -> None:
        self.canvas.eraser = checked

    def _change_pen(self, delta: int) -> None:
        self.pen_slider.setValue(self.pen_slider.value() + delta)

    def _on_pen_slider_value_changed(self, value: int) -> None:
        self.canvas.set_pen_width(value)
        self.pen_label.setText(f"{value} px")

    # -- files ---------------------------------------------------------------------------

    def open_image(self, path: Path) -> bool:
        """Put the image file on the canvas; a bad file gets a message and changes nothing."""
        try:
            ink = to_ink(read_gray(path))
            if to_mnist(ink) is None:
                raise ImageError(f"{path}: the image is blank (no digit found)")
        except ImageError as exc:
            self._complain("warning", "Cannot open image", str(exc))
            return False
        self.canvas.place_image(ink)
        self.statusBar().showMessage(f"Opened {path}", 4000)
        return True

    def _on_open_image_triggered(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open image", "", IMAGE_FILTER)
        if path:
            self.open_image(Path(path))

    def _on_save_drawing_triggered(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save drawing", "digit.png", "PNG (*.png)")
        if path:
            self._save_image(self.canvas.image(), Path(path))

    def _on_export_panels_triggered(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export panels", "panels.png", "PNG (*.png)")
        if path:
            self._save_image(self.panels_widget.grab().toImage(), Path(path))

    def _save_image(self, image, path: Path) -> None:
        if path.suffix.lower() != ".png":
            path = path.with_suffix(".png")
        if image.save(str(path), "PNG"):
            self.statusBar().showMessage(f"Saved {path}", 4000)
        else:
            self._complain("warning", "Cannot save", f"{path}: could not be written")

    def _on_open_model_triggered(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open model", str(self.library.folder), "digitpad models (*.npz)"
        )
        if path:
            self.load_model_file(Path(path))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        for url in event.mimeData().urls():
            if url.isLocalFile():
                path = Path(url.toLocalFile())
                if path.suffix.lower() == ".npz":
                    self.load_model_file(path)
                else:
                    self.open_image(path)
                event.acceptProposedAction()
                return

    def _complain(self, kind: str, title: str, text: str) -> None:
        """Tell the user what went wrong: a message box, or stderr when headless."""
        if self.headless:
            print(f"digitpad: {text}", file=sys.stderr)
        else:
            getattr(QMessageBox, kind)(self, title, text)

    # -- dialogs -------------------------------------------------------------------------

    def _on_model_info_triggered(self) -> None:
        QMessageBox.information(self, "Model info", model_info_html(self.model))

    def _on_shortcuts_triggered(self) -> None:
        rows = [
            ("Draw", "Left mouse button or pen"),
            ("Erase", "Right mouse button, or E"),
            ("Undo / redo stroke", "Ctrl+Z / Ctrl+Shift+Z"),
            ("Clear", "Esc or Delete"),
            ("Thinner / thicker pen", "[ / ]"),
            ("Open image", "Ctrl+O"),
            ("Save drawing", "Ctrl+S"),
            ("Export panels", "Ctrl+E"),
            ("Open model", "Ctrl+M"),
            ("Model info", "Ctrl+I"),
            ("Quit", "Ctrl+Q"),
        ]
        table = "".join(f"<tr><td>{a}</td><td><b>{k}</b></td></tr>" for a, k in rows)
        QMessageBox.information(self, "Keyboard shortcuts", f"<table>{table}</table>")

    def _on_about_triggered(self) -> None:
        name = self.model.metadata.name if self.model else "none"
        QMessageBox.about(
            self,
            "About digitpad",
            f"<b>digitpad {__version__}</b><br>Draw a digit and watch a convolutional network "
            "written from scratch in NumPy recognise it.<br><br>"
            f"Current model: {name}<br><br>"
            "Trained on the MNIST database of handwritten digits by Yann LeCun, Corinna Cortes "
            "and Christopher J.C. Burges, available under the Creative Commons "
            "Attribution-Share Alike 3.0 license.",
        )
