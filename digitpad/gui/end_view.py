"""The end of the network, a view per stage of the strip: flatten (the maps laid end to
end), a hidden dense layer's values (or global pooling's averages), the logits, and the
softmax worked out from them."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from digitpad.core.explain import explain_softmax, number
from digitpad.core.layers import ACTIVATION, DENSE, GLOBAL_POOL, RESHAPE
from digitpad.core.network import INPUT_SHAPE
from digitpad.core.scales import never_negative
from digitpad.core.stages import class_names, stage_of
from digitpad.core.viewer import ViewerModel
from digitpad.gui.describe import shape_text
from digitpad.gui.panels import MapPoint, MosaicPanel
from digitpad.gui.theme import Themed, fixed_plot, style_plot, theme
from digitpad.gui.throttle import Throttle

# Two spaces before each number column, in the type's own size: at the largest zoom the
# table's 3 px spacing ran "+15.613+22.392" together; a wider spacing made it taller.
GAP = "&nbsp;&nbsp;"
CELL = f"<td align=right>{GAP}"

SOFTMAX_NOTE = (
    "Softmax shares 100 % among the classes, whatever is drawn: even a scribble that "
    "is no digit gets its 100 % split over 0 to 9, so a high percentage means "
    "“more like this digit than the others”, not “certainly a digit”."
)
DENSE_TIP = (
    "Each square is one unit of the dense layer: a weighted sum of every value before it, "
    "then the activation. Hover to read one; click to see its sum."
)
GAP_TIP = (
    "Each square is one map's average: global average pooling turns each map into one "
    "number. Hover to read one; click to see it worked out."
)
FLATTEN_TIP = (
    "The maps before, laid end to end as one list: map 1's values row after row, then map "
    "2's, and so on. Nothing is computed. Hover to see where a number came from; click it "
    "to follow it."
)
LOGITS_TIP = (
    "The last dense layer's outputs: one score per class, a weighted sum of every value "
    "before it plus a bias. Click a bar to see its sum."
)
POSITIVE, NEGATIVE = (230, 120, 20), (70, 110, 200)


# Where the eleventh output goes in a network that knows non-digits (familiarity.py). In
# normal type with exp() rather than superscripts: a newcomer could not read the <small>
# e<sup>L</sup> even on a laptop.
NOT_A_DIGIT_NOTE = (
    "<p>This network has an eleventh score, <i>not a digit</i>, learned from letters and "
    "doodles. It is left out here: softmax shares 100 % among the ten digits alone, which "
    "digit it would be <i>if it were a digit</i>. Whether it is one is the eleventh "
    "score's job: the gauge under the answer weighs the ten digits together against it, "
    "exp(L) / (exp(L) + exp(n)), with L = log(sum of exp(z) over the ten digits) and n the "
    "not a digit score; below the gauge's tick the answer says Not a digit.</p>"
)


def vector_as_grid(values: np.ndarray) -> np.ndarray:
    """(D,) -> (1, rows, cols) near a 2:1 rectangle, for a dense layer's values."""
    count = len(values)
    cols = max(1, math.ceil(math.sqrt(2 * count)))
    rows = math.ceil(count / cols)
    grid = np.full(rows * cols, np.nan, np.float32)
    grid[:count] = values
    return grid.reshape(1, rows, cols)


def flatten_grid(values: np.ndarray, maps: tuple[int, ...]) -> np.ndarray:
    """flatten's (C*H*W,) output -> (1, C, H*W): one row per map, so the list reads left
    to right, row after row, map after map; a single map (the input) one row per row."""
    channels, height, width = maps
    per_row = height * width if channels > 1 else width
    return np.asarray(values, np.float32).reshape(1, -1, per_row)


class EndView(Themed, QWidget):
    """Reads the trace from the viewer; writes back a value to follow."""

    def __init__(self, viewer: ViewerModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("end_view")
        self.viewer = viewer
        self.dense = MosaicPanel("Dense layer", "dense_values", DENSE_TIP)
        self.dense.hovered.connect(self._on_dense_hovered)
        self.dense.clicked.connect(self._on_dense_clicked)
        self.dense_layer: int | None = None
        self.flat = MosaicPanel("Flatten", "flatten_values", FLATTEN_TIP)
        self.flat.hovered.connect(self._on_flat_hovered)
        self.flat.clicked.connect(self._on_flat_clicked)
        self.flatten_layer: int | None = None

        self.logits = pg.PlotWidget()
        self.logits.setObjectName("logits")
        self.logits.setToolTip(LOGITS_TIP)
        fixed_plot(self.logits)
        self.logits.setLabel("bottom", "class")
        self.logit_bars = pg.BarGraphItem(x=np.arange(10), height=np.zeros(10), width=0.7)
        self.logits.addItem(self.logit_bars)
        self.logit_labels: list[pg.TextItem] = []  # each bar's value, at its end
        self.logits.scene().sigMouseClicked.connect(self._on_logits_clicked)
        self.logits_text = QLabel()
        self.logits_text.setObjectName("logits_text")
        self.logits_text.setWordWrap(True)
        logits_page = QWidget()
        logits_layout = QVBoxLayout(logits_page)
        # Room below: in presentation mode the view ends at the window's edge.
        logits_layout.setContentsMargins(4, 0, 4, 6)
        logits_layout.addWidget(self.logits, 1)
        logits_layout.addWidget(self.logits_text)

        self.softmax = QLabel()
        self.softmax.setObjectName("softmax_text")
        self.softmax.setTextFormat(Qt.TextFormat.RichText)
        self.softmax.setWordWrap(True)
        self.softmax.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.softmax_table = QLabel()
        self.softmax_table.setObjectName("softmax_table")
        self.softmax_table.setTextFormat(Qt.TextFormat.RichText)
        self.softmax_table.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        softmax_page = QWidget()
        softmax_layout = QHBoxLayout(softmax_page)
        softmax_layout.setContentsMargins(4, 4, 4, 0)
        softmax_layout.addWidget(self.softmax_table)
        # The worked example is long beside the follow panel or in presentation type: it
        # scrolls rather than being cut.
        words = QScrollArea()
        words.setObjectName("softmax_words")
        words.setWidget(self.softmax)
        words.setWidgetResizable(True)
        words.setFrameShape(QFrame.Shape.NoFrame)
        words.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        softmax_layout.addWidget(words, 1)

        self.pages = QStackedWidget()
        for page in (self.dense, self.flat, logits_page, softmax_page):
            self.pages.addWidget(page)
        self.logits_page, self.softmax_page = logits_page, softmax_page
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)
        self.classes = 10
        self.start_theming()
        # The worked-out softmax is text: while drawing it follows four times a second.
        self.softmax_refresh = Throttle(250, self._show_softmax, self)
        viewer.network_shown_changed.connect(self._on_viewer_network_shown_changed)
        for event in (viewer.input_changed, viewer.scales_changed, viewer.selection_changed):
            event.connect(self._on_viewer_changed)
        self._on_viewer_network_shown_changed()

    def apply_theme(self) -> None:
        style_plot(self.logits, self._logits_title())
        background, text, _ = theme()
        for label in self.logit_labels:
            label.setColor(text)
            label.setFont(self.font())
        if hasattr(self, "pages"):
            for page in (self.logits_page, self.softmax_page):
                page.setAutoFillBackground(True)
                palette = page.palette()
                palette.setColor(page.backgroundRole(), background)
                palette.setColor(page.foregroundRole(), text)
                page.setPalette(palette)

    def _logits_title(self) -> str:
        network = self.viewer.network_shown if hasattr(self, "viewer") else None
        if network is None:
            return "Logits"
        return f"{network.names[-1]}: the logits, {self.classes} scores before softmax"

    # -- which page ------------------------------------------------------------------------

    def page(self) -> QWidget:
        """The page for the stage picked: softmax, the logits, flatten, or a list of values
        before the logits (a hidden dense layer, global pooling's averages)."""
        network, selected = self.viewer.network_shown, self.viewer.selected_layer
        if network is None:
            return self.logits_page
        last = len(network.layers) - 1
        if selected is not None and selected > last:
            return self.softmax_page
        stage = stage_of(self.viewer.stages, selected) if selected is not None else None
        if stage is not None and stage.first <= last <= stage.last:
            return self.logits_page
        if stage is not None and network.layers[stage.first].role == RESHAPE:
            return self.flat
        return self.dense if self.dense_layer is not None else self.logits_page

    def _grid_layer(self) -> int | None:
        """The layer whose values the grid shows: the picked stage's, when it is a list of
        numbers before the logits (global average pooling's map averages, a hidden dense
        layer), else the last hidden dense layer; None when there is none."""
        network, selected = self.viewer.network_shown, self.viewer.selected_layer
        if network is None:
            return None
        if selected is not None and 0 <= selected < len(network.layers) - 1:
            stage = stage_of(self.viewer.stages, selected)
            last = stage.last if stage is not None else selected
            vector = len(network.shapes[last]) == 1 and network.layers[last].role != RESHAPE
            if vector and last < len(network.layers) - 1:
                return last
        return self._hidden_dense()

    def _hidden_dense(self) -> int | None:
        """The last hidden dense layer, after its activation; None when the only dense
        layer gives the logits."""
        network = self.viewer.network_shown
        layers = network.layers
        dense = [i for i, layer in enumerate(layers) if layer.role == DENSE][:-1]
        if not dense:
            return None
        last = dense[-1]
        if last + 1 < len(layers) and layers[last + 1].role == ACTIVATION:
            return last + 1
        return last

    def _flatten_layer(self) -> int | None:
        network = self.viewer.network_shown
        return next((i for i, lay in enumerate(network.layers) if lay.role == RESHAPE), None)

    # -- from the viewer -------------------------------------------------------------------

    def _on_viewer_network_shown_changed(self) -> None:
        network = self.viewer.network_shown
        self.classes = network.shapes[-1][0] if network is not None else 10
        names = class_names(self.classes)
        axis = self.logits.getAxis("bottom")
        axis.setTicks([list(enumerate(names))])
        self.logits.setXRange(-0.6, self.classes - 0.4, padding=0)
        for label in self.logit_labels:
            self.logits.removeItem(label)
        self.logit_labels = [pg.TextItem(anchor=(0.5, 1.0)) for _ in range(self.classes)]
        for label in self.logit_labels:
            self.logits.addItem(label)
        self.apply_theme()
        self._on_viewer_changed()

    def _on_viewer_changed(self) -> None:
        network = self.viewer.network_shown
        if network is None:
            return
        self.dense_layer = self._grid_layer()
        self.flatten_layer = self._flatten_layer()
        self._show_dense()
        self._show_flatten()
        self._show_logits()
        self.pages.setCurrentWidget(self.page())
        if self.isVisible():
            self.softmax_refresh.request()
        else:
            self.softmax_refresh.now()

    def _show_dense(self) -> None:
        network, layer = self.viewer.network_shown, self.dense_layer
        if layer is None:
            return
        stage = stage_of(self.viewer.stages, layer)
        name = stage.name if stage is not None else network.names[layer]
        units = network.shapes[layer][0]
        if network.layers[layer].role == GLOBAL_POOL:
            source = network.names[layer - 1]
            self.dense.set_heading(
                f"{name}: the {units} averages, one per map of {source} (global average pooling)"
            )
            self.dense.setToolTip(GAP_TIP)
        else:
            self.dense.set_heading(
                f"{name}: the {units} values of the dense layer" + self._flatten_words()
            )
            self.dense.setToolTip(DENSE_TIP)
        values = self.viewer.output(layer)
        shown = values if values is not None else np.zeros(units, np.float32)
        self.dense.show_maps(
            vector_as_grid(shown),
            self.viewer.scale(layer),
            nonnegative=never_negative(network)[layer],
        )

    def _flatten_source(self) -> tuple[str, tuple[int, ...]]:
        """The name and shape of what flatten lays out."""
        network, layer = self.viewer.network_shown, self.flatten_layer
        if layer == 0:
            return "the input", INPUT_SHAPE
        stage = stage_of(self.viewer.stages, layer - 1)
        return (stage.name if stage else network.names[layer - 1]), network.shapes[layer - 1]

    def _show_flatten(self) -> None:
        network, layer = self.viewer.network_shown, self.flatten_layer
        if layer is None:
            return
        source, maps = self._flatten_source()
        count = network.shapes[layer][0]
        channels, height, width = maps
        rows = (
            f"one row per map ({height * width} numbers)"
            if channels > 1
            else f"one row per row of {width}"
        )
        self.flat.set_heading(
            f"{network.names[layer]}: {source}'s {channels} map{'s' if channels > 1 else ''} of "
            f"{height}×{width} laid end to end, one list of {count} numbers; shown here "
            f"{rows}, read left to right, top to bottom"
        )
        values = self.viewer.output(layer)
        shown = values if values is not None else np.zeros(count, np.float32)
        self.flat.show_maps(
            flatten_grid(shown, maps),
            self.viewer.scale(layer),
            nonnegative=never_negative(network)[layer],
        )

    def _show_logits(self) -> None:
        trace, network = self.viewer.trace, self.viewer.network_shown
        count = self.classes
        last = len(network.layers) - 1
        inputs = network.shapes[last - 1][0] if last else INPUT_SHAPE[0]
        before = stage_of(self.viewer.stages, last - 1)
        source = before.name if before is not None and last else "the input"
        self.logits_text.setText(
            f"Each of the {count} scores is a weighted sum of {source}'s {inputs} values plus "
            "a bias: one row of weights per class. The largest score wins; softmax turns "
            "them into shares of 100 %. Click a bar to see its sum."
        )
        if trace is None:
            self.logit_bars.setOpts(
                x=np.arange(count),
                height=np.zeros(count),
                brushes=[pg.mkBrush(150, 150, 150)] * count,
            )
            for label in self.logit_labels:
                label.setText("")
            return
        logits = trace.scores[0]  # every class's score, "not a digit" included
        brushes = [pg.mkBrush(*(POSITIVE if v >= 0 else NEGATIVE)) for v in logits]
        self.logit_bars.setOpts(x=np.arange(count), height=logits, brushes=brushes)
        for index, (label, value) in enumerate(zip(self.logit_labels, logits, strict=True)):
            label.setText(f"{value:+.1f}")
            # At the bar's end: above a positive one, below a negative one.
            label.setAnchor((0.5, 1.0) if value >= 0 else (0.5, 0.0))
            label.setPos(QPointF(index, float(value)))
        low, high = min(0.0, float(logits.min())), max(0.0, float(logits.max()))
        room = 0.18 * max(high - low, 1e-6)  # for the labels at the bars' ends
        self.logits.setYRange(low - (room if low < 0 else 0), high + room, padding=0)

    def _show_softmax(self) -> None:
        trace = self.viewer.trace
        if trace is None:
            self.softmax_table.setText("")
            self.softmax.setText(f"<p>Draw a digit.</p>{self._softmax_note()}")
            return
        step = explain_softmax(trace)
        scaled = step.temperature != 1.0
        names = class_names(len(step.logits))
        best = int(step.order[0])
        rows = "".join(
            (f"<tr><td><b>{names[d]}</b></td>" if d == best else f"<tr><td>{names[d]}</td>")
            + f"{CELL}{number(step.logits[d])}</td>"
            + (f"{CELL}{number(step.scaled[d])}</td>" if scaled else "")
            + f"{CELL}{step.shifted_exps[d]:.3g}</td>"
            + (
                f"{CELL}<b>{step.probabilities[d]:.1%}</b></td></tr>"
                if d == best
                else f"{CELL}{step.probabilities[d]:.1%}</td></tr>"
            )
            for d in range(len(step.logits))
        )
        self.softmax_table.setText(
            f"<table cellspacing=3><tr><th>class</th><th>{GAP}logit z</th>"
            + (f"<th>{GAP}s = z/T</th>" if scaled else "")
            + f"<th>{GAP}e<sup>s − max</sup></th><th>{GAP}share</th></tr>"
            f"{rows}</table>"
        )
        if scaled:
            what = (
                "e<sup>s</sup> over the sum of e<sup>s</sup> for all of them, with s the "
                f"logit z divided by the temperature T = {step.temperature:.2f}: fitted so "
                "that its shares match how often it is right on handwriting it never saw (it "
                "changes no answer)."
            )
        else:
            what = (
                "e<sup>s</sup> over the sum of e<sup>s</sup> for all of them, with s the "
                "logit z (this model has no temperature: T = 1)."
            )
        self.softmax.setText(
            f"<p><b>Softmax</b>: each class's share is {what} Subtracting the largest s "
            "first changes nothing but keeps the numbers small.</p>"
            f"<p>sum of e<sup>s − max</sup> over the {len(step.logits)} classes = "
            f"{step.total:.6g}; {names[best]}: {step.shifted_exps[best]:.3g} / "
            f"{step.total:.6g} = <b>{step.probabilities[best]:.1%}</b></p>" + self._softmax_note()
        )

    def _softmax_note(self) -> str:
        """What the shares mean: a ten-output model splits 100 % over the digits whatever is
        drawn; an eleven-output one has a score of its own for not a digit."""
        if self.viewer.knows_non_digits:
            return NOT_A_DIGIT_NOTE
        return f"<p><small>{SOFTMAX_NOTE}</small></p>"

    def _flatten_words(self) -> str:
        """What flatten did before the dense layer, on a second line (or nothing)."""
        network, layer = self.viewer.network_shown, self.dense_layer
        dense = layer if network.layers[layer].role == DENSE else layer - 1
        flatten = dense - 1
        if flatten < 0 or network.layers[flatten].role != RESHAPE:
            return ""
        maps = network.shapes[flatten - 1] if flatten >= 1 else INPUT_SHAPE
        source = network.names[flatten - 1] if flatten >= 1 else "the input"
        count = network.shapes[flatten][0]
        return (
            f"\nbefore it, flatten laid {source}'s {shape_text(maps)} maps out as one list of "
            f"{count} numbers: each unit weighs all {count}"
        )

    # -- from the user ---------------------------------------------------------------------

    def _on_dense_clicked(self, point: MapPoint) -> None:
        if self.dense_layer is None:
            return
        unit = point.row * self.dense.maps.shape[2] + point.col
        if unit < self.viewer.network_shown.shapes[self.dense_layer][0]:
            self.viewer.set_focus(self.dense_layer, unit, 0, 0)

    def _on_dense_hovered(self, point: MapPoint | None) -> None:
        if point is None or self.dense_layer is None:
            self.dense.set_readout("")
            return
        cols = self.dense.maps.shape[2]
        unit = point.row * cols + point.col
        values = self.viewer.output(self.dense_layer)
        if values is None or unit >= len(values):
            self.dense.set_readout("")
            return
        self.dense.set_readout(f"unit {unit + 1}: {number(float(values[unit]))}")

    def flat_place(self, point: MapPoint) -> tuple[int, int, int, int]:
        """A cell of the flatten grid -> (index in the list, map, row, col) it came from."""
        _, maps = self._flatten_source()
        _, height, width = maps
        index = point.row * self.flat.maps.shape[2] + point.col
        channel, rest = divmod(index, height * width)
        row, col = divmod(rest, width)
        return index, channel, row, col

    def _on_flat_hovered(self, point: MapPoint | None) -> None:
        values = self.viewer.output(self.flatten_layer) if self.flatten_layer is not None else None
        if point is None or values is None:
            self.flat.set_readout("")
            return
        index, channel, row, col = self.flat_place(point)
        source, _ = self._flatten_source()
        self.flat.set_readout(
            f"number {index + 1} of {len(values)} = {source} map {channel + 1}, row {row + 1}, "
            f"column {col + 1}: {number(float(values[index]))}"
        )

    def _on_flat_clicked(self, point: MapPoint) -> None:
        """Follow the value in the maps it came from: flatten only moved it."""
        if self.flatten_layer is None or self.flatten_layer == 0:
            return
        _, channel, row, col = self.flat_place(point)
        self.viewer.set_focus(self.flatten_layer - 1, channel, row, col)

    def _on_logits_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self.viewer.trace is None:
            return
        position = self.logits.getPlotItem().vb.mapSceneToView(event.scenePos())
        index = round(position.x())
        if 0 <= index < self.classes and abs(position.x() - index) <= 0.35:
            last = len(self.viewer.network_shown.layers) - 1
            self.viewer.set_focus(last, index, 0, 0)
