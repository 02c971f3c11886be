"""The panels right of the canvas: the network's input, the softmax, and one conv block's
filters, feature maps and pooled maps, all following the viewer model."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QEvent, QObject, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from digitpad.core.explain import Node, Route, number, route
from digitpad.core.network import Network
from digitpad.core.scales import never_negative
from digitpad.core.stages import ConvBlock
from digitpad.core.viewer import ViewerModel
from digitpad.gui.describe import shape_text
from digitpad.gui.end_view import EndView
from digitpad.gui.input_view import InputView
from digitpad.gui.panels import (
    COMPACT_MIN,
    InputPanel,
    MapPoint,
    MosaicPanel,
    Outline,
    ProbabilityPanel,
    best_columns,
    filter_images,
    grid_shape,
    route_pen,
)
from digitpad.gui.theme import high_contrast

FLASH_MS = 700
FOCUS_MIN = 150  # the focused panel's narrowest
BAR_WIDTH = 60  # at least this beside a grid: its colour bar with numbers, in pixels
BAR_STRIPE = 9 + 12  # the colour bar's stripe and the space around it
# Image pixels across a filter's weight: the one-pixel gap between filters then takes
# 1/13 of a 3x3 filter's room, not 1/4 (enlarged at 1024 a weight was 15 px, now 18).
FILTER_MAGNIFY = 4


COLOURS = "Yellow adds, blue subtracts, grey is zero."
WATCH = "View > Watch a Convolution…"


def filters_tip(network: Network, block: ConvBlock) -> str:
    """What the filters panel shows: a deeper layer's tiles are means, and say so."""
    conv = network.layers[block.conv]
    name, k, channels = network.names[block.conv], conv.kernel, conv.in_channels
    size = f"{name} filters {k}×{k}"
    click = f"Click to enlarge them; click one then to watch it slide over its input ({WATCH})."
    if channels == 1:
        return f"{size}: each filter's weights. {COLOURS} {click}"
    source = network.names[block.conv - 1] if block.conv > 0 else "the input"
    return (
        f"{size}, each the mean of its {channels} channels' weights: {name} reads the "
        f"{channels} maps of {source} with a {k}×{k} grid of weights for each, and a tile "
        f"here is their mean, not weights the filter has ({WATCH} shows each channel's). "
        f"{COLOURS} {click}"
    )


def pooled_tip(network: Network, block: ConvBlock) -> str:
    """What the pooled panel shows, in the words of the block's own pooling."""
    if block.pool is None:
        return "The block's output: it has no pooling, so its maps keep their size."
    if network.layers[block.pool].kind == "maxpool2d":
        return (
            "After the activation and 2×2 max pooling: each 2×2 block of a map keeps only "
            "its largest value, its strongest response."
        )
    return (
        "After the activation and 2×2 average pooling: each 2×2 block of a map becomes its average."
    )


class FlashFrame(QWidget):
    """An orange frame laid over a panel for a moment, so the eye finds it: drawn on top,
    not a style sheet on the panel (which would cut it off from the window's zoomed type)."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.hide()

    def show_over(self, widget: QWidget) -> None:
        """Frame ``widget`` (and keep framing it as it is resized) until ``end``."""
        self.end()
        self.setParent(widget)
        widget.installEventFilter(self)
        self.setGeometry(widget.rect())
        self.raise_()
        self.show()

    def end(self) -> None:
        if self.parentWidget() is not None:
            self.parentWidget().removeEventFilter(self)
        self.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and watched is self.parentWidget():
            self.setGeometry(self.parentWidget().rect())
        return False

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        width = 4 if high_contrast() else 2
        painter.setPen(QPen(QColor(0xE6, 0x78, 0x1E), width))
        painter.drawRect(self.rect().adjusted(width // 2, width // 2, -width // 2, -width // 2))


class NetworkView(QWidget):
    """Reads everything from the viewer; writes back the block picked and the hover."""

    status = Signal(str)  # a line for the status bar

    def __init__(self, viewer: ViewerModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.viewer = viewer
        # Fits that wait for the layouts to take a new size: timers of this view's own, so
        # that a view deleted meanwhile is never called (nor kept alive by a pending call).
        self._refit_timer = self._deferred(self._refit_columns)
        self._focus_timer = self._deferred(self._focus_panel)
        self.network_input = InputPanel()
        # The small input above is a way in: a click brings up the input's own view.
        self.network_input.scene().sigMouseClicked.connect(self._on_network_input_clicked)
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
        # The feature maps before the activation, or after it: both are stages of the block.
        self.after_activation = QPushButton("After ReLU")
        self.after_activation.setObjectName("after_activation")
        self.after_activation.setCheckable(True)
        self.after_activation.setToolTip(
            "Show the feature maps after the activation (what the next layer receives) "
            "instead of before it"
        )
        self.after_activation.toggled.connect(self._on_after_activation_toggled)
        selector_row = QHBoxLayout()
        selector_row.addWidget(QLabel("Layer:"))
        selector_row.addWidget(self.layer_selector)
        selector_row.addWidget(self.layer_caption, 1)
        selector_row.addWidget(self.after_activation)

        self.filters = MosaicPanel(
            "Filters (weights)", "filters", "", wide=0.5, magnify=FILTER_MAGNIFY
        )
        self.filters.tile_tip = self._filters_tile_tip  # the launcher says what a click does
        self.feature_maps = MosaicPanel(
            "Feature maps",
            "feature_maps",
            "Each filter slid over the input: where it matches, the map lights up yellow; "
            "blue is below zero. Hover to see a value and the input pixels it comes from; "
            "click to follow it.",
        )
        self.pooled = MosaicPanel(
            "Pooled",
            "pooled",
            "",  # the block's own pooling, in _show_block
        )
        self.filters.hovered.connect(self._on_filters_hovered)
        self.filters.clicked.connect(self._on_filters_clicked)
        self.filters_picked = False  # clicked: the filters get the room until a stage is picked
        self.feature_maps.hovered.connect(self._on_feature_maps_hovered)
        self.pooled.hovered.connect(self._on_pooled_hovered)
        self.filters.picked.connect(self._on_filters_picked)
        self.feature_maps.picked.connect(self._on_feature_maps_picked)
        self.pooled.picked.connect(self._on_pooled_picked)
        self.feature_maps.clicked.connect(self._on_feature_maps_clicked)
        self.pooled.clicked.connect(self._on_pooled_clicked)
        self._filter_hover: int | None = None
        # The filter value clicked: its filter outlined and read until a map value is.
        self._filter_picked: MapPoint | None = None
        self.maps_row = maps_row = QSplitter(Qt.Orientation.Horizontal)
        for panel in (self.filters, self.feature_maps, self.pooled):
            maps_row.addWidget(panel)
        self.focused_panel: MosaicPanel = self.feature_maps

        # Below the input and the softmax: a conv block's panels, or the network's end.
        conv_page = QWidget()
        conv_layout = QVBoxLayout(conv_page)
        conv_layout.setContentsMargins(0, 0, 0, 0)
        conv_layout.addLayout(selector_row)
        conv_layout.addWidget(maps_row, 1)
        self.end_view = EndView(viewer)
        self.input_view = InputView(viewer)
        self.pages = QStackedWidget()
        self.pages.addWidget(conv_page)
        self.pages.addWidget(self.end_view)
        self.pages.addWidget(self.input_view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top_row, 1)
        layout.addWidget(self.pages, 3)

        self.cols: int | None = None  # the grids' shared column count
        # The value followed (viewer.focus) and its way through the network, as the follow
        # panel finds it: every value on it outlined wherever it is shown.
        self.route: Route | None = None
        self.logit_mark = Outline(route_pen())
        self.logit_mark.setZValue(2)
        self.logit_mark.setVisible(False)
        self.end_view.logits.addItem(self.logit_mark)
        self.marked_logit: int | None = None
        self.flash_frame = FlashFrame(self)
        self._flash_timer = QTimer(self)
        self._flash_timer.setSingleShot(True)
        self._flash_timer.setInterval(FLASH_MS)
        self._flash_timer.timeout.connect(self._on_flash_timer_timeout)
        viewer.network_shown_changed.connect(self._on_viewer_network_shown_changed)
        viewer.input_changed.connect(self._on_viewer_input_changed)
        viewer.selection_changed.connect(self._on_viewer_selection_changed)
        viewer.hover_changed.connect(self._on_viewer_hover_changed)
        viewer.scales_changed.connect(self._on_viewer_scales_changed)
        viewer.focus_changed.connect(self._on_viewer_focus_changed)
        viewer.weights_changed.connect(self._on_viewer_weights_changed)
        self._on_viewer_network_shown_changed()

    # -- from the viewer -----------------------------------------------------------------

    def _on_viewer_network_shown_changed(self) -> None:
        network = self.viewer.network_shown
        self.layer_selector.blockSignals(True)
        self.layer_selector.clear()
        for block in self.viewer.blocks:
            self.layer_selector.addItem(network.names[block.conv])
        self.layer_selector.setCurrentIndex(self.viewer.block_index)
        self.layer_selector.blockSignals(False)
        self.layer_selector.setEnabled(len(self.viewer.blocks) > 1)
        self.cols = None
        self.filters_picked = False
        self._filter_picked = None
        self._find_route()  # none: the focus goes with the network
        self._show_page()
        self._show_block()
        self._focus_panel()  # the new maps get the room, in the grid that fits them best

    def _on_viewer_input_changed(self) -> None:
        self.network_input.show_input(self.viewer.input)
        self.probabilities.show_probabilities(
            self.viewer.probabilities,
            answered=not self.viewer.too_small,
            not_a_digit=self.viewer.unfamiliar and self.viewer.knows_non_digits,
        )
        self._find_route()  # the drawing changed: the route may go another way
        self._show_maps()
        self._mark_route()

    def _maps_layer(self) -> int:
        """The layer the feature-map panel shows: the convolution, or its activation."""
        block = self.viewer.block
        if self.after_activation.isChecked() and block.activation is not None:
            return block.activation
        return block.conv

    def _on_after_activation_toggled(self, checked: bool) -> None:
        self.viewer.clear_hover()
        self._show_block()

    def _show_page(self) -> None:
        """The input's own view for the input, the network's end for a layer after the last
        conv block, else the block."""
        selected, blocks = self.viewer.selected_layer, self.viewer.blocks
        end = not blocks or (selected is not None and selected > blocks[-1].last)
        if selected == -1:
            self.pages.setCurrentWidget(self.input_view)
        else:
            self.pages.setCurrentWidget(self.end_view if end else self.pages.widget(0))

    def _focus_panel(self) -> None:
        """The stage picked gets the room: its maps large enough to read (about 2 screen
        pixels per value of a 28x28 map at 1280x720), the other two panels narrow."""
        block, selected = self.viewer.block, self.viewer.selected_layer
        pooled = block is not None and selected is not None and selected == block.pool
        panels = [self.filters, self.feature_maps, self.pooled]
        if self.filters_picked:
            self.focused_panel = self.filters
        else:
            self.focused_panel = self.pooled if pooled else self.feature_maps
        focused = panels.index(self.focused_panel)
        for panel in panels:
            panel.set_compact(panel is not self.focused_panel)
        total = max(self.maps_row.width(), 3 * FOCUS_MIN)
        # The other two, without colour bars, share a sixth of a wide window, never less
        # than their minimum: 64 maps of 14x14 get 4 screen pixels a value at 1280x720.
        narrow = max(COMPACT_MIN, int(total / 12))
        sizes = [narrow, narrow, narrow]
        sizes[focused] = total - 2 * narrow
        self.maps_row.setSizes(sizes)
        self._fit_columns(sizes[focused])
        # Once the panels are laid out at their new widths (a colour bar shown or hidden
        # changes the room beside the grid), fit again with what they really have.
        self._refit_timer.start(0)

    def _deferred(self, call: Callable[[], None]) -> QTimer:
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.timeout.connect(call)
        return timer

    def _refit_columns(self) -> None:
        self._fit_columns(self.focused_panel.width())

    def _fit_columns(self, width: int) -> None:
        """One column count for the three grids (map k at the same place in each), the one
        that draws the focused panel's maps largest."""
        network, block = self.viewer.network_shown, self.viewer.block
        if network is None or block is None:
            return
        if self.focused_panel is self.filters:
            conv = network.layers[block.conv]
            count = network.shapes[block.conv][0]
            height = map_width = conv.kernel * self.filters.magnify
        else:
            layer = block.last if self.focused_panel is self.pooled else self._maps_layer()
            count, height, map_width = network.shapes[layer]
        # The room for the grid: less the colour bar beside it and the lines above and below.
        panel = self.focused_panel
        labels = panel.heading.sizeHint().height() + panel.readout.sizeHint().height()
        # Beside the grid: the colour bar and its numbers, as laid out now (until it is
        # laid out, as wide as colour bars are).
        bar = panel.bar.axis.geometry().width() + BAR_STRIPE
        beside = bar if panel.bar.isVisible() and bar >= BAR_WIDTH / 3 else BAR_WIDTH
        room_w, room_h = width - beside - 8, self.maps_row.height() - labels - 8
        cols = best_columns(count, height, map_width, room_w, room_h)
        if cols != self.cols:
            self.cols = cols
            self._show_block()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # After the layouts below have taken the new size: the fit needs their real heights.
        self._focus_timer.start(0)

    def _on_viewer_selection_changed(self) -> None:
        self.filters_picked = False  # the stage picked gets the room again
        self._filter_picked = None
        self._focus_panel()
        self._show_page()
        if self.layer_selector.currentIndex() != self.viewer.block_index:
            self.layer_selector.blockSignals(True)
            self.layer_selector.setCurrentIndex(self.viewer.block_index)
            self.layer_selector.blockSignals(False)
        self._show_block()
        selected = self.viewer.selected_layer
        if selected is not None:
            self._flash(self._panel_of(selected))

    def _on_viewer_scales_changed(self) -> None:
        self._show_maps()

    def _on_viewer_weights_changed(self) -> None:
        # Only the filters: the maps are redrawn by the input_changed that follows.
        if self.viewer.block is not None:
            self._show_filters()

    def _show_filters(self) -> None:
        weights = self.viewer.network_shown.layers[self.viewer.block.conv].params["weight"]
        self.filters.show_maps(filter_images(weights), cols=self.cols)

    def _on_viewer_focus_changed(self) -> None:
        self._find_route()
        self._mark_route()

    # -- the route followed ----------------------------------------------------------------

    def _find_route(self) -> None:
        """The followed value's route, as the follow panel walks it (None: none followed,
        or nothing drawn to follow it through)."""
        focus, network, trace = self.viewer.focus, self.viewer.network_shown, self.viewer.trace
        self.route = None
        if focus is None or network is None or trace is None:
            return
        if len(network.shapes[focus.layer]) == 1:
            position: tuple[int, ...] = (focus.channel,)
        else:
            position = (focus.channel, focus.row, focus.col)
        self.route = route(network, trace, focus.layer, position)

    def route_node(self, layer: int | None) -> Node | None:
        """The route's value in layer ``layer`` (the softmax: len(layers)), if it has one."""
        if self.route is None or layer is None:
            return None
        return next((node for node in self.route.nodes if node.layer == layer), None)

    def _mark_route(self) -> None:
        """Outline the route's value in every panel that shows its layer: the maps of the
        block shown and their filter, flatten's and a dense layer's grids, the logit and
        the softmax bar. Called whenever a panel is shown anew."""
        block, end = self.viewer.block, self.end_view
        for panel, layer in (
            (self.feature_maps, self._maps_layer() if block is not None else None),
            (self.pooled, block.last if block is not None else None),
        ):
            node = self.route_node(layer)
            panel.mark_cell(MapPoint(*node.position) if node is not None else None)
        # The end's grids lay a vector out in rows: flatten one per map, dense ~2:1.
        for panel, layer in ((end.flat, end.flatten_layer), (end.dense, end.dense_layer)):
            node = self.route_node(layer)
            per_row = panel.maps.shape[2]
            cell = MapPoint(0, *divmod(node.position[0], per_row)) if node is not None else None
            panel.mark_cell(cell)
        network = self.viewer.network_shown
        count = len(network.layers) if network is not None else 0
        logit = self.route_node(count - 1) if count else None
        share = self.route_node(count) if count else None
        self.marked_logit = logit.position[0] if logit is not None else None
        trace = self.viewer.trace
        if self.marked_logit is not None and trace is not None:
            height = float(trace.logits[0][self.marked_logit])
            self.logit_mark.setRect(
                QRectF(self.marked_logit - 0.45, min(0.0, height), 0.9, abs(height))
            )
        self.logit_mark.setVisible(self.marked_logit is not None and trace is not None)
        self.probabilities.mark_bar(share.position[0] if share is not None else None)
        self._on_viewer_hover_changed()  # the tiles outlined, and the input's window

    def _mark_tiles(self) -> None:
        """Filter k, map k and pooled map k outlined together: the one pointed at, else the
        filter pointed at, else the filter clicked, else the value being followed (if it is
        in this block). Called after every re-layout too: map k moves when the column
        count changes."""
        hover, focus, block = self.viewer.hover, self.viewer.focus, self.viewer.block
        tile = None
        if hover is not None and block is not None and hover.layer in block:
            tile = hover.channel
        elif self._filter_hover is not None:
            tile = self._filter_hover
        elif self._filter_picked is not None:
            tile = self._filter_picked.tile
        elif block is not None and self.route_node(block.conv) is not None:
            tile = self.route_node(block.conv).position[0]  # the route's map in this block
        elif focus is not None and block is not None and focus.layer in block:
            tile = focus.channel
        for panel in (self.filters, self.feature_maps, self.pooled):
            panel.mark_tile(tile)

    def _on_viewer_hover_changed(self) -> None:
        self._mark_tiles()
        hover, block, focus = self.viewer.hover, self.viewer.block, self.viewer.focus
        network = self.viewer.network_shown
        # The pixels of the value hovered, else of the route's value in the stage shown
        # (a map's), else of the value followed.
        shown = self.route_node(self.viewer.selected_layer)
        if hover is not None:
            self.network_input.highlight(hover.field)
        elif shown is not None and len(shown.position) == 3:
            _, row, col = shown.position
            self.network_input.highlight(network.receptive_field(shown.layer, row, col))
        elif focus is not None and network is not None:
            self.network_input.highlight(network.receptive_field(focus.layer, focus.row, focus.col))
        else:
            self.network_input.highlight(None)
        for panel, layer in (
            (self.feature_maps, self._maps_layer() if block else None),
            (self.pooled, block.last if block else None),
        ):
            if hover is not None and hover.layer == layer:
                panel.set_readout(  # rows and columns count from 1, as the maps do
                    f"map {hover.channel + 1}, row {hover.row + 1}, column {hover.col + 1}: "
                    f"{number(hover.value)}"
                )
            else:
                panel.set_readout("")

    # -- drawing the block -----------------------------------------------------------------

    def _show_block(self) -> None:
        """The parts that do not depend on the drawing (filters, headings), then the maps."""
        network, block = self.viewer.network_shown, self.viewer.block
        for panel in (self.filters, self.feature_maps, self.pooled):
            panel.set_readout("")
        if network is None or block is None:
            self.layer_caption.setText("This network has no convolutional layer to show.")
            for panel in (self.filters, self.feature_maps, self.pooled):
                panel.show_maps(np.zeros((1, 1, 1), np.float32))
            self._mark_route()
            return
        conv = network.layers[block.conv]
        weights = conv.params["weight"]  # (F, C, k, k)
        # Filter k, map k and pooled map k sit at the same place in their grids.
        if self.cols is None or self.cols > weights.shape[0]:
            self.cols = grid_shape(weights.shape[0], 1.5)[1]
        self._show_filters()
        name = network.names[block.conv]
        channels = weights.shape[1]
        size = f"{name} filters {conv.kernel}×{conv.kernel}"
        if channels > 1:  # a tile is a mean, not weights the filter has: said even compact
            self.filters.set_heading(
                f"{size}, mean of {channels} channels' weights", short=f"{name} filter means"
            )
        else:
            self.filters.set_heading(size)
        self.filters.setToolTip(filters_tip(network, block))
        activation = (
            network.layers[block.activation].describe() if block.activation is not None else ""
        )
        self.after_activation.setVisible(block.activation is not None)
        self.after_activation.setText(f"After {activation}")
        shape = shape_text(network.shapes[block.conv])
        if self._maps_layer() == block.conv:
            when = f", before {activation}" if activation else ""
            self.feature_maps.set_heading(
                f"{name} feature maps {shape}{when}", short=f"{name} maps"
            )
        else:
            self.feature_maps.set_heading(
                f"{network.names[block.activation]}: {name}'s maps after {activation} {shape}",
                short=network.names[block.activation],
            )
        self.pooled.set_heading(
            f"{network.names[block.last]} output {shape_text(network.shapes[block.last])}",
            short=network.names[block.last],
        )
        self.pooled.setToolTip(pooled_tip(network, block))
        self.layer_caption.setText(
            " → ".join(
                network.layers[i].describe()
                for i in (block.conv, block.activation, block.pool)
                if i is not None
            )
        )
        self._show_maps()
        self._read_filter(self._filter_picked)
        # After the maps: each panel's outline is placed by the grid it now has (placed
        # before, it went by the old column count and framed another map).
        self._mark_route()

    def _show_maps(self) -> None:
        network, block = self.viewer.network_shown, self.viewer.block
        if network is None or block is None:
            return
        for panel, layer in ((self.feature_maps, self._maps_layer()), (self.pooled, block.last)):
            output = self.viewer.output(layer)
            panel.show_maps(
                output if output is not None else np.zeros(network.shapes[layer], np.float32),
                self.viewer.scale(layer),
                self.cols,
                nonnegative=never_negative(network)[layer],
            )

    def _panel_of(self, layer: int) -> QWidget:
        block = next((b for b in self.viewer.blocks if layer in b), None)
        if layer < 0:
            return self.input_view
        if block is not None:
            return self.pooled if layer == block.pool else self.feature_maps
        if layer >= len(self.viewer.network_shown.layers):
            return self.probabilities
        return self.end_view

    def _flash(self, widget: QWidget) -> None:
        """Outline a panel briefly so the eye finds it."""
        self.flash_frame.show_over(widget)
        self._flash_timer.start()
        self.status.emit(widget.toolTip())

    def _on_flash_timer_timeout(self) -> None:
        self.flash_frame.end()

    # -- from the user ---------------------------------------------------------------------

    def _on_network_input_clicked(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.viewer.select_layer(-1)

    def _on_layer_selector_changed(self, index: int) -> None:
        self.viewer.select_block(index)

    def _on_feature_maps_hovered(self, point: MapPoint | None) -> None:
        self._hover(point, "conv")

    def _on_pooled_hovered(self, point: MapPoint | None) -> None:
        self._hover(point, "last")

    def _hover(self, point: MapPoint | None, which: str) -> None:
        block = self.viewer.block
        if point is None or block is None:
            self.viewer.clear_hover()
            return
        layer = self._maps_layer() if which == "conv" else block.last
        self.viewer.hover_over(layer, point.tile, point.row, point.col)

    def _on_feature_maps_clicked(self, point: MapPoint) -> None:
        if self.viewer.block is not None:
            self._follow(self.feature_maps, self._maps_layer(), point)

    def _on_pooled_clicked(self, point: MapPoint) -> None:
        block = self.viewer.block
        if block is not None:
            self._follow(self.pooled, block.last, point)

    def _follow(self, panel: MosaicPanel, layer: int, point: MapPoint) -> None:
        """A click on a value follows that value, the one under the pointer; a narrow
        panel clicked also gets the room (its stage is picked), as the filters do, so the
        value followed is seen at a size it can be read."""
        self._filter_picked = None
        self.viewer.set_focus(layer, point.tile, point.row, point.col)
        if panel.compact or self.filters_picked:
            self.viewer.select_layer(layer)

    def _on_filters_picked(self) -> None:
        """A click on the filters off their tiles: they get the room, nothing is read."""
        if not self.filters_picked and self.viewer.block is not None:
            self.filters_picked = True
            self._focus_panel()
            self._flash(self.filters)

    def _on_feature_maps_picked(self) -> None:
        self._give_room(self.feature_maps, self._maps_layer())

    def _on_pooled_picked(self) -> None:
        if self.viewer.block is not None:
            self._give_room(self.pooled, self.viewer.block.last)

    def _give_room(self, panel: MosaicPanel, layer: int) -> None:
        """A narrow maps panel clicked off its maps: its stage is picked, as the strip
        would pick it, and it gets the room (no value is followed: none was clicked)."""
        if self.viewer.block is not None and (panel.compact or self.filters_picked):
            self.viewer.select_layer(layer)

    def _on_filters_clicked(self, point: MapPoint) -> None:
        """The filters enlarged, numbered and with their colour bar, beside the maps; the
        filter clicked outlined with its maps."""
        self._filter_picked = point
        self._mark_tiles()
        self._read_filter(point)
        if not self.filters_picked:
            self.filters_picked = True
            self._focus_panel()
            self._flash(self.filters)

    def filter_tip(self, tile: int) -> str:
        """What filter ``tile``'s tile shows, for its tooltip: its weights, or a mean."""
        network, block = self.viewer.network_shown, self.viewer.block
        if network is None or block is None:
            return ""
        conv = network.layers[block.conv]
        what = f"{network.names[block.conv]} filter {tile + 1}: "
        if conv.in_channels == 1:
            return what + f"its {conv.kernel}×{conv.kernel} weights. {COLOURS}"
        return what + (
            f"the mean of its {conv.in_channels} channels' weights (one {conv.kernel}×"
            f"{conv.kernel} grid for each map it reads). {COLOURS}"
        )

    def _filters_tile_tip(self, point: MapPoint) -> str:
        enlarge = " Click to enlarge the filters." if not self.filters_picked else ""
        return self.filter_tip(point.tile) + enlarge

    def _on_filters_hovered(self, point: MapPoint | None) -> None:
        self._filter_hover = point.tile if point is not None else None
        self._mark_tiles()
        self._read_filter(point if point is not None else self._filter_picked)

    def _read_filter(self, point: MapPoint | None) -> None:
        """The filters' read-out: the weight at ``point`` (None: nothing)."""
        if point is None or point.tile >= len(self.filters.maps):
            self.filters.set_readout("")
            return
        value = float(self.filters.maps[point.tile, point.row, point.col])
        self.filters.set_readout(
            f"filter {point.tile + 1}, row {point.row + 1}, column {point.col + 1}: {number(value)}"
        )
