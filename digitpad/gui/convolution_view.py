"""View > Watch a Convolution: one filter slides over its input and builds its feature map
value by value, with the window, the products and the sum of every position shown.

The numbers are ``core.convolution``'s: the network shown, its weights and the input its
forward pass gave the layer (the drawing for conv1, the pooled maps for a deeper one).
Below, the filter's weights for each input channel, on one colour scale.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QObject, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QFontMetrics,
    QHideEvent,
    QKeySequence,
    QPainter,
    QPaintEvent,
    QPen,
    QResizeEvent,
    QShortcut,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from digitpad.core.convolution import Sweep, conv_layers, sweep
from digitpad.core.explain import number
from digitpad.core.scales import never_negative, nice_ceiling
from digitpad.core.viewer import ViewerModel
from digitpad.gui.network_view import WATCH
from digitpad.gui.panels import GAP, MapPoint, MosaicPanel, Outline
from digitpad.gui.placement import fitted_size
from digitpad.gui.theme import StyleFollower, Themed, diverging_colour, theme
from digitpad.gui.throttle import Throttle

if TYPE_CHECKING:
    from PySide6.QtGui import QAction

    from digitpad.gui.network_view import NetworkView

# Values made per second at each step of the speed control; a tick never comes faster
# than a 60 Hz frame, so the fast speeds make several values a tick.
SPEEDS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
START_SPEED = 3  # 8 values a second: a row of 28 in 3.5 s
FRAME_MS = 16
DRAWING_REFRESH_MS = 100
WINDOW_COLOUR = QColor(230, 120, 20)  # the maps' selection colour: window and cell move together


def tick(speed: int) -> tuple[int, int]:
    """(milliseconds between ticks, values made a tick) for ``speed`` values a second."""
    interval = max(FRAME_MS, 1000 // speed)
    return interval, max(1, round(speed * interval / 1000))


class NumberGrid(Themed, QWidget):
    """A small table of numbers on the maps' colours (half mixed with white behind black
    digits, as the follow panel's tables): an input window, weights or their products."""

    def __init__(self, title: str, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.title = title
        self.values: np.ndarray = np.zeros((3, 3))
        self.known = False  # nothing to show yet: empty cells
        self.bound = 0.0
        self.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        self.start_theming()

    def apply_theme(self) -> None:
        self.updateGeometry()
        self.update()

    def set_title(self, title: str) -> None:
        self.title = title
        self.updateGeometry()
        self.update()

    def show_values(self, values: np.ndarray | None, bound: float = 0.0) -> None:
        """``bound``: the end of the colour scale (the panel's the values come from, so
        a 0.0004 that reads 0.000 is as grey as zero); 0: the largest |value|."""
        if values is None:
            self.known = False
        else:
            resized = values.shape != self.values.shape
            self.values, self.known = np.asarray(values, dtype=np.float64), True
            self.bound = bound
            if resized:
                self.updateGeometry()
        self.update()

    def _cell(self) -> QSize:
        metrics = QFontMetrics(self.font())
        return QSize(metrics.horizontalAdvance("+0.000") + 8, metrics.height() + 6)

    def sizeHint(self) -> QSize:
        cell = self._cell()
        rows, cols = self.values.shape
        metrics = QFontMetrics(self.font())
        width = max(cols * cell.width(), metrics.horizontalAdvance(self.title) + 4)
        return QSize(width, metrics.height() + 2 + rows * cell.height())

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        _, text_colour, _ = theme()
        metrics = QFontMetrics(self.font())
        painter.setPen(text_colour)
        painter.drawText(
            QRectF(0, 0, self.width(), metrics.height()), Qt.AlignmentFlag.AlignLeft, self.title
        )
        cell = self._cell()
        rows, cols = self.values.shape
        bound = self.bound or (float(np.abs(self.values).max()) if self.known else 0.0)
        top = metrics.height() + 2
        for r in range(rows):
            for c in range(cols):
                box = QRectF(
                    c * cell.width(), top + r * cell.height(), cell.width() - 1, cell.height() - 1
                )
                if not self.known:
                    painter.fillRect(box, theme()[2])
                    continue
                value = float(self.values[r, c])
                painter.fillRect(box, diverging_colour(value, bound or 1.0, pale=0.5))
                painter.setPen(QColor(0, 0, 0))
                painter.drawText(
                    box.adjusted(0, 0, -4, 0),
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                    number(value),
                )
        painter.end()


class ConvolutionView(QDialog):
    """A window of its own beside the main one (not modal: the user keeps drawing, and the
    animation follows the drawing)."""

    def __init__(
        self,
        viewer: ViewerModel,
        parent: QWidget | None = None,
        style_source: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Watch a Convolution")
        self.setObjectName("convolution_view")
        self.viewer = viewer
        self.sweep: Sweep | None = None
        self.layers: list[int] = []
        self.layer: int | None = None
        self.position = 0
        self.speed_index = START_SPEED
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._on_timer_timeout)
        # While the user draws, the numbers follow a few times a second, not at every
        # mouse move (the drawing's own panels come first); a hidden view waits until shown.
        self.refresh = Throttle(DRAWING_REFRESH_MS, self._on_refresh, self)
        self._stale = False
        self._create_controls()
        self._create_panels()
        self._create_keys()
        self._lay_out()
        # Presentation mode and zoom set the main window's panels' type and palette; this
        # window follows them (a window does not inherit them from its parent).
        self._style = StyleFollower(style_source, self) if style_source is not None else None
        viewer.network_shown_changed.connect(self._on_viewer_network_shown_changed)
        viewer.weights_changed.connect(self._on_viewer_input_changed)
        viewer.input_changed.connect(self._on_viewer_input_changed)
        viewer.scales_changed.connect(self._on_viewer_input_changed)
        self.resize(fitted_size(self, 1180, 680))
        self._on_viewer_network_shown_changed()

    # -- construction --------------------------------------------------------------------

    def _create_controls(self) -> None:
        self.layer_box = QComboBox()
        self.layer_box.setObjectName("conv_layer")
        self.layer_box.setToolTip("The convolution to watch")
        self.layer_box.currentIndexChanged.connect(self._on_layer_box_changed)
        self.filter_box = QSpinBox(minimum=1, maximum=1)
        self.filter_box.setObjectName("conv_filter")
        self.filter_box.setToolTip("The filter that slides: filter k makes feature map k")
        self.filter_box.valueChanged.connect(self._on_filter_box_changed)
        self.channel_label = QLabel("Channel")
        self.channel_box = QSpinBox(minimum=1, maximum=1)
        self.channel_box.setObjectName("conv_channel")
        self.channel_box.setToolTip(
            "A deeper convolution reads every map of the layer before it: the window, weights "
            "and products shown are this channel's; the value sums all channels"
        )
        self.channel_box.valueChanged.connect(self._on_channel_box_changed)
        self.back_button = QPushButton("◀ Back")
        self.back_button.setObjectName("step_back")
        self.back_button.setToolTip("One value back (Left)")
        self.back_button.clicked.connect(self._on_back_button_clicked)
        self.play_button = QPushButton("▶ Play")
        self.play_button.setObjectName("play")
        self.play_button.setToolTip("Play or pause (Space)")
        self.play_button.clicked.connect(self._on_play_button_clicked)
        self.step_button = QPushButton("Step ▶")
        self.step_button.setObjectName("step_forward")
        self.step_button.setToolTip("One value on (Right)")
        self.step_button.clicked.connect(self._on_step_button_clicked)
        self.speed = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=len(SPEEDS) - 1)
        self.speed.setObjectName("speed")
        self.speed.setToolTip("Values made a second (Up or + faster, Down or - slower)")
        self.speed.setValue(self.speed_index)
        self.speed.setMinimumWidth(60)
        self.speed.valueChanged.connect(self._on_speed_value_changed)
        self.speed_label = QLabel()
        self.speed_label.setObjectName("speed_label")
        # Keys act on the animation wherever the focus is in this window, so the buttons
        # and the slider do not keep it (Space would press the focused button instead).
        for widget in (self.back_button, self.play_button, self.step_button, self.speed):
            widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for button in (self.back_button, self.play_button, self.step_button):
            button.setAutoDefault(False)  # Enter in a number box is not a click
        self.position_label = QLabel()
        self.position_label.setObjectName("position_label")
        self.position_label.setWordWrap(True)

    def _create_panels(self) -> None:
        self.input_panel = MosaicPanel(
            "Input",
            "conv_input",
            "What the convolution reads, with the zero padding around it (dashed line: "
            "the input's edge). The orange square is the window the filter covers now.",
            wide=1.0,
        )
        self.window_outline = Outline(QPen(WINDOW_COLOUR, 0))
        self.window_outline.setZValue(3)
        self.input_panel.view.addItem(self.window_outline)
        edge_pen = QPen(QColor(120, 120, 120), 0, Qt.PenStyle.DashLine)
        self.edge_outline = Outline(edge_pen)
        self.edge_outline.setZValue(2)
        self.input_panel.view.addItem(self.edge_outline)
        self.input_panel.hovered.connect(self._on_input_panel_hovered)
        self.output_panel = MosaicPanel(
            "Feature map",
            "conv_output",
            "The feature map, value by value in reading order; the orange square is the value "
            "made now. Click a value to go to it.",
            wide=1.0,
        )
        self.cell_outline = Outline(QPen(WINDOW_COLOUR, 0))
        self.cell_outline.setZValue(3)
        self.output_panel.view.addItem(self.cell_outline)
        self.output_panel.clicked.connect(self._on_output_panel_clicked)
        self.output_panel.hovered.connect(self._on_output_panel_hovered)
        self.window_grid = NumberGrid("The window", "window_grid")
        self.weights_grid = NumberGrid("× weights", "weights_grid")
        self.products_grid = NumberGrid("= products", "products_grid")
        self.sums = QLabel()
        self.sums.setObjectName("sums")
        self.sums.setTextFormat(Qt.TextFormat.RichText)  # our own numbers and names only
        self.sums.setWordWrap(True)
        self.sums.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.channel_filters = MosaicPanel(
            "The filter's weights",
            "channel_filters",
            "The filter's weights for each input channel, on one colour scale: yellow adds, "
            "blue subtracts, grey is zero. Click a channel to watch it.",
            wide=10.0,
        )
        self.channel_filters.clicked.connect(self._on_channel_filters_clicked)
        self.channel_filters.hovered.connect(self._on_channel_filters_hovered)
        self.note = QLabel()
        self.note.setObjectName("note")
        self.note.setWordWrap(True)
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)

    def _create_keys(self) -> None:
        for keys, slot in (
            (("Space",), self._on_play_button_clicked),
            (("Right",), self._on_step_button_clicked),
            (("Left",), self._on_back_button_clicked),
            (("Up", "+", "="), self.faster),
            (("Down", "-"), self.slower),
            (("Home",), self.go_to_start),
            (("End",), self.go_to_end),
        ):
            for key in keys:
                shortcut = QShortcut(QKeySequence(key), self)
                shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                shortcut.activated.connect(slot)

    def _lay_out(self) -> None:
        controls = QHBoxLayout()
        for label, widget in (("Layer", self.layer_box), ("Filter", self.filter_box)):
            controls.addWidget(QLabel(label))
            controls.addWidget(widget)
        controls.addWidget(self.channel_label)
        controls.addWidget(self.channel_box)
        controls.addSpacing(8)
        for widget in (self.back_button, self.play_button, self.step_button):
            controls.addWidget(widget)
        controls.addSpacing(8)
        controls.addWidget(QLabel("Speed"))
        controls.addWidget(self.speed, 1)
        controls.addWidget(self.speed_label)
        maps = QHBoxLayout()
        maps.addWidget(self.input_panel, 1)
        maps.addWidget(self.output_panel, 1)
        # The arithmetic of the position in one row under the maps: window x weights =
        # products, then the sums (in a column, the three tables did not fit 600 px).
        row = QWidget()
        arithmetic = QHBoxLayout(row)
        arithmetic.setContentsMargins(0, 0, 0, 0)
        for grid in (self.window_grid, self.weights_grid, self.products_grid):
            arithmetic.addWidget(grid, 0, Qt.AlignmentFlag.AlignTop)
        sums = QVBoxLayout()
        sums.addWidget(self.position_label)
        sums.addWidget(self.sums, 1)
        arithmetic.addLayout(sums, 1)
        # A custom network's kernel can be 9x9: its three tables then scroll across
        # rather than push the window past a small screen.
        self.arithmetic = QScrollArea()
        self.arithmetic.setObjectName("arithmetic")
        self.arithmetic.setWidget(row)
        self.arithmetic.setWidgetResizable(True)
        self.arithmetic.setFrameShape(QFrame.Shape.NoFrame)
        self.arithmetic.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.arithmetic.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.note)
        layout.addLayout(maps, 4)
        layout.addWidget(self.arithmetic)
        layout.addWidget(self.channel_filters, 1)
        self._show_speed()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_channel_filters()
        self._fit_arithmetic()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit_arithmetic()

    def _fit_arithmetic(self) -> None:
        """The tables' row as tall as its tables, and its scroll bar when they are wider
        than the window."""
        row = self.arithmetic.widget()
        row.layout().activate()
        height = row.sizeHint().height()
        if row.sizeHint().width() > self.arithmetic.viewport().width():
            height += self.arithmetic.horizontalScrollBar().sizeHint().height()
        self.arithmetic.setFixedHeight(height)

    def _fit_channel_filters(self) -> None:
        """The per-channel weights no taller than their width lets the tiles be: the rest
        of the height goes to the maps."""
        panel = self.channel_filters
        count, k, _ = panel.maps.shape
        rows = -(-count // panel.cols)
        across = panel.cols * (k + GAP) - GAP
        down = rows * (k + GAP) - GAP
        width = self.width() - 2 * self.layout().contentsMargins().left()
        pixels = max(1.0, (width - panel.bar.width() - 8) / across)
        # The heading may wrap (panels.py): its height at the width it has.
        heading = max(panel.heading.sizeHint().height(), panel.heading.heightForWidth(width))
        text = heading + panel.readout.sizeHint().height() + 12
        # Two values' worth more than the tiles: the outline of the channel picked stands
        # out around it (in presentation mode's thicker line and the margins around the
        # heading too).
        height = round((down + 2) * pixels) + text
        panel.setMaximumHeight(max(panel.minimumHeight(), height))

    # -- what is shown --------------------------------------------------------------------

    def show_filter(self, layer: int, filter: int) -> None:
        """Watch filter ``filter`` (from 0) of conv layer ``layer``, from its first value."""
        if layer not in self.layers:
            return
        self.pause()
        self.position = 0
        self.layer_box.setCurrentIndex(self.layers.index(layer))  # sets the layer, if new
        self.filter_box.setValue(filter + 1)
        self._rebuild()

    def _on_viewer_network_shown_changed(self) -> None:
        network = self.viewer.network_shown
        layers = conv_layers(network) if network is not None else []
        previous = self.layer
        self.layers = layers
        self.layer_box.blockSignals(True)
        self.layer_box.clear()
        for layer in layers:
            self.layer_box.addItem(network.names[layer], layer)
        self.layer_box.blockSignals(False)
        self.layer = previous if previous in layers else (layers[0] if layers else None)
        if self.layer is not None:
            self.layer_box.setCurrentIndex(layers.index(self.layer))
        self._set_ranges()
        self._rebuild()

    def _on_viewer_input_changed(self) -> None:
        self.refresh.request()

    def _on_refresh(self) -> None:
        if self.isVisible():
            self._rebuild()
        else:
            self._stale = True

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self._stale = False
            self._rebuild()

    def _set_ranges(self) -> None:
        network = self.viewer.network_shown
        if network is None or self.layer is None:
            return
        conv = network.layers[self.layer]
        for box, count in ((self.filter_box, conv.filters), (self.channel_box, conv.in_channels)):
            box.blockSignals(True)
            box.setMaximum(count)
            box.blockSignals(False)
        deep = conv.in_channels > 1
        self.channel_label.setVisible(deep)
        self.channel_box.setVisible(deep)

    def _rebuild(self) -> None:
        """A new sweep from the network shown and the drawing, keeping the position."""
        network, trace = self.viewer.network_shown, self.viewer.trace
        enabled = network is not None and trace is not None and self.layer is not None
        if not enabled:
            self.pause()
            self.sweep = None
            self.note.setText(
                "No convolution in this network."
                if network is not None and not self.layers
                else "Draw a digit: the filter slides over your drawing."
            )
        else:
            self.sweep = sweep(network, trace, self.layer, self.filter_box.value() - 1)
            self.position = min(self.position, self.sweep.positions - 1)
        self.note.setVisible(not enabled)
        for widget in (self.back_button, self.play_button, self.step_button):
            widget.setEnabled(enabled)
        self._show_static()
        self._show_position()

    def _show_static(self) -> None:
        """What stays while the filter slides: the input, the map's scale, the weights."""
        made = self.sweep
        network = self.viewer.network_shown
        if made is None or network is None:
            for panel in (self.input_panel, self.output_panel, self.channel_filters):
                panel.show_maps(np.zeros((1, 1, 1), np.float32))
            return
        channel = self.channel_box.value() - 1
        filter_number = made.filter + 1
        pad = made.pad
        height, width = made.source.shape[1:]
        if self.layer == 0:
            source_name = f"The drawing as the network sees it, {height}×{width}"
            nonnegative, bound = True, 1.0
        else:
            before = self.layer - 1
            source_name = (
                f"{network.names[before]} map {channel + 1} of {made.channels}, {height}×{width}"
            )
            nonnegative = never_negative(network)[before]
            bound = self.viewer.scale(before) or nice_ceiling(
                max(float(np.abs(made.source).max()), 1e-6)
            )
        self._input_bound = bound
        padding = f", padded by {pad}" if pad else ""
        self.input_panel.set_heading(f"{source_name}{padding}", short=f"Input {height}×{width}")
        self.input_panel.show_maps(
            made.padded[channel][None].astype(np.float32), bound=bound, nonnegative=nonnegative
        )
        self.edge_outline.setRect(QRectF(pad, pad, width, height))
        self.edge_outline.setVisible(pad > 0)
        conv = network.layers[self.layer]
        self.output_panel.set_heading(
            f"{made.name} feature map {filter_number}, {made.height}×{made.width}, "
            "before the activation",
            short=f"{made.name} map {filter_number}",
        )
        self._output_bound = self.viewer.scale(self.layer) or nice_ceiling(
            max(float(np.abs(made.output).max()), 1e-6)
        )
        self.channel_filters.set_heading(
            f"{made.name} filter {filter_number}: its {conv.kernel}×{conv.kernel} weights for "
            f"each of the {made.channels} input channels, on one colour scale "
            "(click a channel to watch it)"
            if made.channels > 1
            else f"{made.name} filter {filter_number}: its {conv.kernel}×{conv.kernel} weights",
            short=f"filter {filter_number} per channel",
        )
        self.channel_filters.show_maps(made.weights.astype(np.float32))
        self._fit_channel_filters()
        self.channel_filters.mark_tile(channel if made.channels > 1 else None)
        self.weights_grid.set_title(
            f"× weights (channel {channel + 1})" if made.channels > 1 else "× the filter's weights"
        )
        self._weights_bound = float(np.abs(made.weights).max())
        self.weights_grid.show_values(made.weights[channel], self._weights_bound)
        self._fit_arithmetic()
        self.channel_filters.setVisible(made.channels > 1)  # one channel: the grid says it all

    def _show_position(self) -> None:
        made = self.sweep
        if made is None:
            for grid in (self.window_grid, self.weights_grid, self.products_grid):
                grid.show_values(None)
            self.sums.setText("")
            self.position_label.setText("")
            self.window_outline.setVisible(False)
            self.cell_outline.setVisible(False)
            return
        position = made.at(self.position)
        channel = self.channel_box.value() - 1
        k = made.kernel
        self.window_outline.setRect(QRectF(position.left, position.top, k, k))
        self.window_outline.setVisible(True)
        self.output_panel.show_maps(
            made.filled(self.position + 1)[None].astype(np.float32), bound=self._output_bound
        )
        self.cell_outline.setRect(QRectF(position.col, position.row, 1, 1))
        self.cell_outline.setVisible(True)
        self.window_grid.show_values(position.inputs[channel], self._input_bound)
        self.products_grid.show_values(
            position.products[channel], float(np.abs(position.products).max())
        )
        lines = []
        if made.channels > 1:
            lines.append(f"channel {channel + 1}: {number(float(position.channel_sums[channel]))}")
            lines.append(
                f"all {made.channels} channels: {number(float(position.channel_sums.sum()))}"
            )
        else:
            lines.append(f"sum of products: {number(float(position.channel_sums.sum()))}")
        lines.append(f"+ bias: {number(made.bias)}")
        lines.append(f"= <b>{number(position.value)}</b>")
        self.sums.setText("<br>".join(lines))
        self.position_label.setText(
            f"Value {self.position + 1:,} of {made.positions:,}: "
            f"row {position.row + 1}, column {position.col + 1}"
        )
        self.play_button.setText("❚❚ Pause" if self.timer.isActive() else "▶ Play")

    # -- the animation ---------------------------------------------------------------------

    def playing(self) -> bool:
        return self.timer.isActive()

    def play(self) -> None:
        if self.sweep is None:
            return
        if self.position >= self.sweep.positions - 1:
            self.position = 0  # from the end, play starts again
        self.timer.start(tick(SPEEDS[self.speed_index])[0])
        self._show_position()

    def pause(self) -> None:
        self.timer.stop()
        self.play_button.setText("▶ Play")

    def go_to(self, index: int) -> None:
        if self.sweep is not None:
            self.position = max(0, min(index, self.sweep.positions - 1))
            self._show_position()

    def go_to_start(self) -> None:
        self.pause()
        self.go_to(0)

    def go_to_end(self) -> None:
        self.pause()
        if self.sweep is not None:
            self.go_to(self.sweep.positions - 1)

    def faster(self) -> None:
        self.speed.setValue(min(self.speed.value() + 1, len(SPEEDS) - 1))

    def slower(self) -> None:
        self.speed.setValue(max(self.speed.value() - 1, 0))

    def _show_speed(self) -> None:
        speed = SPEEDS[self.speed_index]
        self.speed_label.setText(f"{speed} value{'s' if speed != 1 else ''}/s")

    def _on_speed_value_changed(self, index: int) -> None:
        self.speed_index = index
        self._show_speed()
        if self.timer.isActive():
            self.timer.setInterval(tick(SPEEDS[index])[0])

    def _on_timer_timeout(self) -> None:
        if self.sweep is None:
            self.pause()
            return
        step = tick(SPEEDS[self.speed_index])[1]
        last = self.sweep.positions - 1
        self.position = min(self.position + step, last)
        if self.position >= last:
            self.timer.stop()  # the map is whole
        self._show_position()

    def _on_play_button_clicked(self) -> None:
        if self.playing():
            self.pause()
        else:
            self.play()

    def _on_step_button_clicked(self) -> None:
        self.pause()
        self.go_to(self.position + 1)

    def _on_back_button_clicked(self) -> None:
        self.pause()
        self.go_to(self.position - 1)

    # -- choices ---------------------------------------------------------------------------

    def _on_layer_box_changed(self, index: int) -> None:
        if 0 <= index < len(self.layers) and self.layers[index] != self.layer:
            self.layer = self.layers[index]
            self.pause()
            self.position = 0
            self.channel_box.setValue(1)
            self._set_ranges()
            self._rebuild()

    def _on_filter_box_changed(self) -> None:
        self.position = 0 if not self.playing() else self.position
        self._rebuild()

    def _on_channel_box_changed(self) -> None:
        self._show_static()
        self._show_position()

    def _on_output_panel_clicked(self, point: MapPoint) -> None:
        if self.sweep is not None:
            self.pause()
            self.go_to(self.sweep.index_of(point.row, point.col))

    def _on_channel_filters_clicked(self, point: MapPoint) -> None:
        self.channel_box.setValue(point.tile + 1)

    def _on_input_panel_hovered(self, point: MapPoint | None) -> None:
        made = self.sweep
        if point is None or made is None:
            self.input_panel.set_readout("")
            return
        value = float(self.input_panel.maps[0, point.row, point.col])
        pad = made.pad
        row, col = point.row - pad, point.col - pad
        inside = 0 <= row < made.source.shape[1] and 0 <= col < made.source.shape[2]
        where = f"row {row + 1}, column {col + 1}" if inside else "padding"
        self.input_panel.set_readout(f"{where}: {number(value)}")

    def _on_output_panel_hovered(self, point: MapPoint | None) -> None:
        if point is None or self.sweep is None:
            self.output_panel.set_readout("")
            return
        if QApplication.mouseButtons() & Qt.MouseButton.LeftButton:  # dragged: scrub
            self.pause()
            self.go_to(self.sweep.index_of(point.row, point.col))
        value = float(self.output_panel.maps[0, point.row, point.col])
        shown = number(value) if np.isfinite(value) else "not made yet (click to go there)"
        self.output_panel.set_readout(f"row {point.row + 1}, column {point.col + 1}: {shown}")

    def _on_channel_filters_hovered(self, point: MapPoint | None) -> None:
        if point is None or self.sweep is None:
            self.channel_filters.set_readout("")
            return
        value = float(self.channel_filters.maps[point.tile, point.row, point.col])
        channel = f"channel {point.tile + 1}, " if self.sweep.channels > 1 else ""
        self.channel_filters.set_readout(
            f"{channel}row {point.row + 1}, column {point.col + 1}: {number(value)}"
        )

    def hideEvent(self, event: QHideEvent) -> None:
        self.pause()  # nothing runs in a closed window
        super().hideEvent(event)


class ConvolutionLauncher(QObject):
    """Opens the view: from View > Watch a Convolution…, or by clicking a filter in the main
    window's filters panel once it is enlarged (the first click enlarges it, as before).
    While the view is open, a click on any filter there watches that filter."""

    def __init__(
        self, viewer: ViewerModel, action: QAction, network_view: NetworkView, window: QWidget
    ) -> None:
        super().__init__(window)
        self.viewer, self.network_view, self.window = viewer, network_view, window
        self.view: ConvolutionView | None = None
        self._enlarged_at_press = False
        action.triggered.connect(self._on_action_triggered)
        filters = network_view.filters
        # Whether the filters were enlarged is read when the button goes down: the click
        # that enlarges them is over by the time the panel says it was clicked.
        filters.plot.viewport().installEventFilter(self)
        filters.clicked.connect(self._on_filters_clicked)
        filters.tile_tip = self._filter_tip

    def _filter_tip(self, point: MapPoint) -> str:
        """A filter's tooltip: what its tile is, and what a click on it does now."""
        block, network = self.viewer.block, self.viewer.network_shown
        if block is None or network is None:
            return ""
        number, name = point.tile + 1, network.names[block.conv]
        channels = network.layers[block.conv].in_channels
        watching = self.view is not None and self.view.isVisible()
        if watching or self.network_view.filters_picked:
            each = ", one channel at a time and their sum" if channels > 1 else ""
            click = f"Click to watch filter {number} of {name} slide over its input{each}"
        else:
            click = (
                f"Click to enlarge the filters; click filter {number} then to watch it slide "
                "over its input"
            )
        return f"{self.network_view.filter_tip(point.tile)} {click} ({WATCH})."

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.MouseButtonPress:
            self._enlarged_at_press = self.network_view.filters_picked
        return super().eventFilter(watched, event)

    def open(self, layer: int | None = None, filter: int | None = None) -> ConvolutionView:
        if self.view is None:
            central = getattr(self.window, "centralWidget", lambda: None)()
            self.view = ConvolutionView(self.viewer, self.window, central)
        if layer is not None and filter is not None:
            self.view.show_filter(layer, filter)
        self.view.show()
        self.view.raise_()
        self.view.activateWindow()
        return self.view

    def _on_action_triggered(self) -> None:
        block = self.viewer.block
        if self.view is None and block is not None:
            self.open(block.conv, 0)  # the block the panels show
        else:
            self.open()

    def _on_filters_clicked(self, point: MapPoint) -> None:
        block = self.viewer.block
        if block is None:
            return
        if self.view is not None and self.view.isVisible():
            self.view.show_filter(block.conv, point.tile)
        elif self._enlarged_at_press:
            self.open(block.conv, point.tile)
