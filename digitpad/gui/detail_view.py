"""Follow one number: the arithmetic of the value the user clicked, on their own drawing.

From a feature-map value: the input window, the filter's weights, their products, the
sum plus the bias; then the activation; then the 2x2 pooling window it falls in and its
winner. With many input channels, each channel's contribution. Every number comes from
``core.explain``, which reads the network's own forward pass, and updates as the user
draws.
"""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import QRectF, Signal
from PySide6.QtGui import QCloseEvent, QColor, QHideEvent, QPen
from PySide6.QtWidgets import (
    QDockWidget,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from digitpad.core.explain import (
    ActivationStep,
    ConvStep,
    PoolStep,
    explain_dense,
    follow,
    layer_input,
    number,
)
from digitpad.core.layers import ACTIVATION, DENSE, GLOBAL_POOL, RESHAPE
from digitpad.core.scales import never_negative
from digitpad.core.viewer import ViewerModel
from digitpad.gui.panels import MapPoint, MosaicPanel, Outline
from digitpad.gui.theme import diverging_colour
from digitpad.gui.throttle import Throttle

# How many channel contributions are listed one by one (the rest are summed).
TOP_CHANNELS = 8
DRAWING_REFRESH_MS = 250


# The outline of the followed cell in a table: the maps' selection colour.
OUTLINE = "#e67814"


def _cell_colour(value: float, bound: float) -> str:
    """The maps' colour for the value, half mixed with white behind black digits."""
    return diverging_colour(value, bound, pale=0.5).name()


def grid_html(
    values: np.ndarray,
    title: str,
    bold: tuple[int, int] | None = None,
    outline: tuple[int, int] | None = None,
) -> str:
    """A small table of numbers; the ``bold`` cell's number in bold, the ``outline`` cell
    framed in the maps' selection colour."""
    bound = float(np.abs(values).max()) or 1.0
    rows = []
    for r, row in enumerate(values):
        cells = []
        for c, value in enumerate(row):
            text = number(float(value))
            if bold == (r, c):
                text = f"<b>{text}</b>"
            frame = f" border:2px solid {OUTLINE};" if outline == (r, c) else ""
            cells.append(
                f"<td align=right style='background:{_cell_colour(float(value), bound)};"
                f"color:#000; padding:1px 3px;{frame}'>{text}</td>"
            )
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f"<table cellspacing=1><tr><td colspan={values.shape[1]}><i>{title}</i></td></tr>"
        + "".join(rows)
        + "</table>"
    )


def bar_html(value: float, largest: float, width: int = 12) -> str:
    """A bar as long as |value| is against the largest, coloured by sign."""
    length = max(1, round(width * abs(value) / largest))
    return f"<span style='background:{_cell_colour(value, largest)}'>{'&nbsp;' * length}</span>"


def side_by_side(*tables: str) -> str:
    cells = "".join(f"<td valign=top style='padding-right:6px'>{table}</td>" for table in tables)
    return f"<table><tr>{cells}</tr></table>"


def window_times_weights(window: np.ndarray, weights: np.ndarray, titles: tuple[str, str]) -> str:
    """window and weights side by side, and their products below them."""
    tables = (grid_html(window, titles[0]), grid_html(weights, titles[1]))
    # Two 3x3 tables of three decimals fit the panel side by side; wider ones go one under
    # the other rather than under a horizontal scroll bar.
    above = side_by_side(*tables) if window.shape[1] <= 3 else "".join(tables)
    return above + grid_html(window * weights, "input × weight, cell by cell")


class DetailView(QWidget):
    """Shows ``viewer.focus``; ``closed`` when the user puts it away."""

    closed = Signal()

    def __init__(self, viewer: ViewerModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detail_view")
        self.viewer = viewer
        self.steps: list[ConvStep | ActivationStep | PoolStep] = []
        # A text browser lays its page out inside its own viewport: updating it while the
        # user draws costs no relayout of the window (a word-wrapped QLabel cost ~20 ms).
        self.text = QTextBrowser()
        self.text.setObjectName("detail_text")
        self.text.setOpenLinks(False)
        self.html = ""  # what is shown: our own markup and numbers only
        # The clicked map, large: hover it to read values, click it to follow another.
        self.map_view = MosaicPanel(
            "The map",
            "enlarged_map",
            "The map holding the value you follow, enlarged. Hover to read a value; click "
            "to follow another. Maps, rows and columns count from 1.",
            wide=1.0,
        )
        self.map_view.setMinimumHeight(300)
        self.map_view.setMaximumHeight(330)  # the arithmetic below needs the rest
        self.pixel = Outline(QPen(QColor(230, 120, 20), 0))
        self.pixel.setZValue(3)
        self.map_view.view.addItem(self.pixel)
        self.map_view.hovered.connect(self._on_map_view_hovered)
        self.map_view.clicked.connect(self._on_map_view_clicked)
        self.close_button = QPushButton("Close")
        self.close_button.setObjectName("close_detail")
        self.close_button.clicked.connect(self._on_close_button_clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.map_view)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.close_button)
        # While the user draws, the arithmetic follows at most four times a second: its
        # text layout must not take the frame from the panels' live update.
        self.refresh = Throttle(DRAWING_REFRESH_MS, self._on_viewer_changed, self)
        viewer.input_changed.connect(self.refresh.request)
        viewer.focus_changed.connect(self.refresh.now)
        viewer.network_shown_changed.connect(self.refresh.now)
        self._on_viewer_changed()

    def _show_html(self, html_text: str) -> None:
        if html_text != self.html:
            self.html = html_text
            self.text.setHtml(html_text)

    def _on_close_button_clicked(self) -> None:
        self.viewer.clear_focus()
        self.closed.emit()

    def _on_viewer_changed(self) -> None:
        focus, network, trace = self.viewer.focus, self.viewer.network_shown, self.viewer.trace
        self.steps = []
        self.map_view.setVisible(False)
        if focus is None or network is None:
            self._show_html(
                "Click any value of a feature map or pooled map to see how the network "
                "computed it from your drawing."
            )
            return
        vector = len(network.shapes[focus.layer]) == 1
        title = (
            f"<h3>{html.escape(self._stage_name(focus.layer))}, unit {focus.channel + 1}</h3>"
            if vector
            else f"<h3>{html.escape(self._layer_name(focus.layer))}, map {focus.channel + 1}, "
            f"row {focus.row + 1}, column {focus.col + 1}</h3>"
        )
        if trace is None:
            self._show_html(title + "Draw a digit: this value is computed from it.")
            return
        if vector:
            self._show_html(title + self._dense_html(focus.layer, focus.channel))
            return
        self._show_map()
        self.steps = follow(network, trace, focus.layer, focus.channel, focus.row, focus.col)
        parts = [title]
        for step in self.steps:
            if isinstance(step, ConvStep):
                parts.append(self._conv_html(step))
            elif isinstance(step, ActivationStep):
                parts.append(self._activation_html(step))
            else:
                parts.append(self._pool_html(step))
        self._show_html("".join(parts))

    def _show_map(self) -> None:
        focus = self.viewer.focus
        output = self.viewer.output(focus.layer)
        network = self.viewer.network_shown
        self.map_view.show_maps(
            output[focus.channel][None],
            self.viewer.scale(focus.layer),
            cols=1,
            nonnegative=never_negative(network)[focus.layer],
        )
        name = self._layer_name(focus.layer)
        self.map_view.set_heading(f"{name}, map {focus.channel + 1}")
        self.pixel.setRect(QRectF(focus.col, focus.row, 1, 1))
        self.map_view.setVisible(True)

    def _on_map_view_hovered(self, point: MapPoint | None) -> None:
        focus = self.viewer.focus
        if point is None or focus is None:
            self.viewer.clear_hover()
            self.map_view.set_readout("")
            return
        self.viewer.hover_over(focus.layer, focus.channel, point.row, point.col)
        hover = self.viewer.hover
        self.map_view.set_readout(
            f"row {point.row + 1}, column {point.col + 1}: {number(hover.value)}" if hover else ""
        )

    def _on_map_view_clicked(self, point: MapPoint) -> None:
        focus = self.viewer.focus
        if focus is not None:
            self.viewer.set_focus(focus.layer, focus.channel, point.row, point.col)

    def _conv_html(self, step: ConvStep) -> str:
        name = html.escape(self._layer_name(step.layer))
        channels, k, _ = step.inputs.shape
        where = (
            f"the {k}×{k} window of the input at rows {step.top + 1}..{step.top + k}, "
            f"columns {step.left + 1}..{step.left + k}"
            + (" (beyond the edge counts as 0: padding)" if self._padded(step) else "")
        )
        total = float(step.products.sum())
        if channels == 1:
            body = window_times_weights(
                step.inputs[0], step.weights[0], ("input window", f"filter {step.channel + 1}")
            )
            sums = f"sum of the {k * k} products = {number(total)}"
        else:
            order = np.argsort(-np.abs(step.channel_sums))
            largest = float(np.abs(step.channel_sums).max()) or 1.0
            rows = "".join(
                f"<tr><td>channel {c + 1}</td>"
                f"<td align=right>{number(float(step.channel_sums[c]))}</td>"
                f"<td>{bar_html(float(step.channel_sums[c]), largest)}</td></tr>"
                for c in order[:TOP_CHANNELS]
            )
            rest = float(step.channel_sums[order[TOP_CHANNELS:]].sum())
            if channels > TOP_CHANNELS:
                rows += (
                    f"<tr><td>the other {channels - TOP_CHANNELS}</td>"
                    f"<td align=right>{number(rest)}</td><td></td></tr>"
                )
            top = int(order[0])
            body = (
                f"Each of the {channels} input channels has its own {k}×{k} weights; each "
                f"channel's window times its weights gives one contribution:"
                f"<table>{rows}</table>"
                f"The largest, channel {top + 1}:"
                + window_times_weights(
                    step.inputs[top], step.weights[top], ("its window", "its weights")
                )
            )
            sums = f"sum of the {channels} contributions = {number(total)}"
        return (
            f"<p><b>{name}</b> (convolution): filter {step.channel + 1} laid on {where}.</p>"
            f"{body}<p>{sums}<br>+ bias {number(step.bias)}<br>"
            f"= <b>{number(step.value)}</b></p>"
        )

    def _padded(self, step: ConvStep) -> bool:
        _, height, width = layer_input(self.viewer.trace, step.layer).shape
        k = step.inputs.shape[1]
        return min(step.top, step.left) < 0 or step.top + k > height or step.left + k > width

    def _layer_name(self, layer: int) -> str:
        """A layer's name as the strip gives it: an activation is folded into the stage
        before it ("conv1 + relu", not "relu1"); other layers keep their own name."""
        network = self.viewer.network_shown
        if network.layers[layer].role == ACTIVATION:
            return self._stage_name(layer)
        return network.names[layer]

    def _stage_name(self, layer: int) -> str:
        """The strip's name for the stage holding ``layer`` ("dense1 + relu")."""
        stage = next((s for s in self.viewer.stages if s.first <= layer <= s.last), None)
        return stage.name if stage is not None else self.viewer.network_shown.names[layer]

    def _average_html(self, layer: int, unit: int) -> str:
        """A global average: one map's values added up and divided by their count."""
        trace = self.viewer.trace
        source = trace.steps[layer - 1].output[0][unit] if layer else trace.input[0][unit]
        total, count = float(source.astype(np.float64).sum()), source.size
        value = float(trace.steps[layer].output[0][unit])
        name = self._layer_name(layer - 1) if layer else "the input"
        height, width = source.shape
        return (
            f"<p><b>{html.escape(self._layer_name(layer))}</b> (global average pooling): unit "
            f"{unit + 1} is the average of the {height}×{width} = {count} values of "
            f"{html.escape(name)} map {unit + 1}.</p>"
            f"<p>their sum {number(total)} / {count} = <b>{number(value)}</b></p>"
        )

    def _dense_html(self, layer: int, unit: int) -> str:
        """A dense unit: its largest contributions, the sum, the bias, then its activation."""
        network, trace = self.viewer.network_shown, self.viewer.trace
        if network.layers[layer].role == GLOBAL_POOL:
            return self._average_html(layer, unit)
        dense = layer if network.layers[layer].role == DENSE else layer - 1
        if dense < 0 or network.layers[dense].role != DENSE:
            return "<p>This value is not a dense layer's.</p>"
        step = explain_dense(network, trace, dense, unit)
        self.steps = [step]
        largest = float(np.abs(step.products).max()) or 1.0
        rows = "".join(
            f"<tr><td>{html.escape(self._input_name(dense, int(i)))}</td>"
            f"<td align=right>{number(float(step.inputs[i]))}</td>"
            f"<td align=right>× {number(float(step.weights[i]))}</td>"
            f"<td align=right>= {number(float(step.products[i]))}</td>"
            f"<td>{bar_html(float(step.products[i]), largest)}</td></tr>"
            for i in step.order[:TOP_CHANNELS]
        )
        count = len(step.inputs)
        rest = float(step.products[step.order[TOP_CHANNELS:]].sum())
        others = (
            f"the other {count - TOP_CHANNELS} products: {number(rest)}<br>"
            if count > TOP_CHANNELS
            else ""
        )
        parts = [
            f"<p><b>{html.escape(self._layer_name(dense))}</b> (dense): unit {unit + 1} "
            f"multiplies each of the {count} values before it by its own weight and adds "
            "them up. The largest products:</p>"
            f"<table cellspacing=2>{rows}</table>"
            f"<p>{others}"
            f"sum of all {count} = {number(float(step.products.sum()))}<br>"
            f"+ bias {number(step.bias)}<br>= <b>{number(step.value)}</b></p>"
        ]
        after = dense + 1
        if after < len(network.layers) and network.layers[after].role == ACTIVATION:
            value = float(trace.steps[after].output[0, unit])
            parts.append(
                self._activation_html(
                    ActivationStep(after, network.layers[after].kind, step.value, value)
                )
            )
        return "".join(parts)

    def _input_name(self, dense: int, index: int) -> str:
        """Where input ``index`` of a dense layer comes from, in the network's terms."""
        network = self.viewer.network_shown
        source = dense - 1
        while source >= 0 and network.layers[source].role == RESHAPE:
            source -= 1  # flatten: name the map value it came from
        if source < 0:
            return f"input pixel {index}"
        shape = network.shapes[source]
        name = self._layer_name(source)
        if network.layers[source].role == GLOBAL_POOL:
            return f"{name}: map {index + 1}'s average"
        if len(shape) == 3:
            _, height, width = shape
            channel, rest = divmod(index, height * width)
            row, col = divmod(rest, width)
            return f"{name} map {channel + 1}, row {row + 1}, column {col + 1}"
        return f"{name} unit {index + 1}"

    def _activation_html(self, step: ActivationStep) -> str:
        name = html.escape(self._layer_name(step.layer))
        rule = (
            f"max(0, {number(step.before)})"
            if step.kind == "relu"
            else f"{html.escape(step.kind)}({number(step.before)})"
        )
        kind = html.escape(step.kind)
        return f"<p><b>{name}</b> ({kind}): {rule} = <b>{number(step.after)}</b></p>"

    def _pool_html(self, step: PoolStep) -> str:
        name = html.escape(self._layer_name(step.layer))
        what = "the largest" if step.kind == "max" else "the average"
        return (
            f"<p><b>{name}</b> ({step.kind} pooling): the 2×2 window holding this value "
            f"(outlined) becomes row {step.row + 1}, column {step.col + 1} of the pooled map, "
            f"keeping {what} of its four values:</p>"
            + grid_html(step.values, "the window", bold=step.winner, outline=step.followed)
            + f"<p>= <b>{number(step.value)}</b></p>"
        )


DOCK_MIN_WIDTH = 340


class DetailDock(QDockWidget):
    """The detail view at the window's side: shown while a value is followed."""

    opening = Signal()  # about to show: the window's width is still its own
    put_away = Signal()  # hidden (not merely with its window)

    def __init__(self, viewer: ViewerModel, parent: QWidget | None = None) -> None:
        super().__init__("Follow one number", parent)
        self.setObjectName("detail_dock")
        self.viewer = viewer
        self.detail = DetailView(viewer)
        self.setWidget(self.detail)
        # Its tables of numbers side by side, and still narrow enough that the panels
        # beside it (the drawing's 320 px, the network's 320) and it fit a 1024 px screen.
        self.setMinimumWidth(DOCK_MIN_WIDTH)
        viewer.focus_changed.connect(self._on_viewer_focus_changed)
        self.detail.closed.connect(self.hide)
        self.hide()

    def _on_viewer_focus_changed(self) -> None:
        following = self.viewer.focus is not None
        if following and self.isHidden():
            self.opening.emit()
        self.setVisible(following)

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        if self.isHidden():
            self.put_away.emit()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closed with its title bar's button: stop following the value."""
        self.viewer.clear_focus()
        super().closeEvent(event)
