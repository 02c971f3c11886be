"""The end of the network, for the strip's dense and softmax stages: each hidden dense
layer's values, the ten logits before softmax, and the softmax worked out."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from digitpad.core.explain import explain_softmax
from digitpad.core.layers import ACTIVATION, DENSE, GLOBAL_POOL, RESHAPE
from digitpad.core.network import INPUT_SHAPE
from digitpad.core.scales import never_negative
from digitpad.core.viewer import ViewerModel
from digitpad.gui.describe import shape_text
from digitpad.gui.panels import MapPoint, MosaicPanel
from digitpad.gui.theme import Themed, fixed_plot, style_plot
from digitpad.gui.throttle import Throttle

SOFTMAX_NOTE = (
    "Softmax shares 100 % among the ten digits, whatever is drawn: even a scribble that "
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


def vector_as_grid(values: np.ndarray) -> np.ndarray:
    """(D,) -> (1, rows, cols) near a 2:1 rectangle, for a dense layer's values."""
    count = len(values)
    cols = max(1, math.ceil(math.sqrt(2 * count)))
    rows = math.ceil(count / cols)
    grid = np.full(rows * cols, np.nan, np.float32)
    grid[:count] = values
    return grid.reshape(1, rows, cols)


class EndView(Themed, QWidget):
    def __init__(self, viewer: ViewerModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("end_view")
        self.viewer = viewer
        self.dense = MosaicPanel("Dense layer", "dense_values", DENSE_TIP)
        self.dense.hovered.connect(self._on_dense_hovered)
        self.dense.clicked.connect(self._on_dense_clicked)
        self.dense_layer: int | None = None
        self.logits = pg.PlotWidget()
        self.logits.setObjectName("logits")
        fixed_plot(self.logits, digits=True)
        self.logits.setLabel("bottom", "digit")
        self.logit_bars = pg.BarGraphItem(x=np.arange(10), height=np.zeros(10), width=0.7)
        self.logits.addItem(self.logit_bars)
        self.softmax = QLabel()
        self.softmax.setObjectName("softmax_text")
        self.softmax.setTextFormat(Qt.TextFormat.RichText)
        self.softmax.setWordWrap(True)
        self.softmax.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        right = QVBoxLayout()
        right.addWidget(self.logits, 1)
        right.addWidget(self.softmax)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.dense, 1)
        layout.addLayout(right, 1)
        self.start_theming()
        # The worked-out softmax is text: while drawing it follows four times a second.
        self.softmax_refresh = Throttle(250, self._show_softmax, self)
        for event in (
            viewer.network_shown_changed,
            viewer.input_changed,
            viewer.scales_changed,
            viewer.selection_changed,
        ):
            event.connect(self._on_viewer_changed)
        self._on_viewer_changed()

    def apply_theme(self) -> None:
        style_plot(self.logits, "Logits: the ten scores before softmax")

    def _grid_layer(self) -> int | None:
        """The layer whose values the grid shows: the picked stage's, when it is a list of
        numbers before the logits (global average pooling's map averages, a hidden dense
        layer), else the last hidden dense layer; None when there is none."""
        network, selected = self.viewer.network_shown, self.viewer.selected_layer
        if network is None:
            return None
        if selected is not None and selected < len(network.layers) - 1:
            last = next(s.last for s in self.viewer.stages if s.first <= selected <= s.last)
            if len(network.shapes[last]) == 1 and last < len(network.layers) - 1:
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

    def _on_viewer_changed(self) -> None:
        network, trace = self.viewer.network_shown, self.viewer.trace
        self.dense_layer = self._grid_layer()
        self.dense.setVisible(self.dense_layer is not None)
        if self.dense_layer is not None:
            name = next(
                (s.name for s in self.viewer.stages if s.last == self.dense_layer),
                network.names[self.dense_layer],
            )
            units = network.shapes[self.dense_layer][0]
            if network.layers[self.dense_layer].role == GLOBAL_POOL:
                source = network.names[self.dense_layer - 1]
                self.dense.set_heading(
                    f"{name}: the {units} averages, one per map of {source} (global "
                    "average pooling)"
                )
                self.dense.setToolTip(GAP_TIP)
            else:
                self.dense.set_heading(
                    f"{name}: the {units} values of the dense layer" + self._flatten_words()
                )
                self.dense.setToolTip(DENSE_TIP)
            values = self.viewer.output(self.dense_layer)
            shown = values if values is not None else np.zeros(units, np.float32)
            self.dense.show_maps(
                vector_as_grid(shown),
                self.viewer.scale(self.dense_layer),
                nonnegative=never_negative(network)[self.dense_layer],
            )
        if trace is None:
            self.logit_bars.setOpts(height=np.zeros(10), brushes=[pg.mkBrush(150, 150, 150)] * 10)
        else:
            logits = trace.logits[0]
            brushes = [
                pg.mkBrush(230, 120, 20) if v >= 0 else pg.mkBrush(70, 110, 200) for v in logits
            ]
            self.logit_bars.setOpts(height=logits, brushes=brushes)
        if self.isVisible():
            self.softmax_refresh.request()
        else:
            self.softmax_refresh.now()

    def _show_softmax(self) -> None:
        trace = self.viewer.trace
        if trace is None:
            self.softmax.setText(f"<p>Draw a digit.</p><p><small>{SOFTMAX_NOTE}</small></p>")
            return
        step = explain_softmax(trace)
        scaled = step.temperature != 1.0
        rows = "".join(
            f"<tr><td>{d}</td><td align=right>{step.logits[d]:+.2f}</td>"
            + (f"<td align=right>{step.scaled[d]:+.2f}</td>" if scaled else "")
            + f"<td align=right>{step.shifted_exps[d]:.3g}</td>"
            f"<td align=right><b>{step.probabilities[d]:.1%}</b></td></tr>"
            for d in step.order[:3]
        )
        if scaled:
            what = (
                "e<sup>s</sup> over the sum of e<sup>s</sup> for all ten, with s the logit z "
                f"divided by T = {step.temperature:.2f}: the model's temperature, fitted so "
                "that its shares match how often it is right on handwriting it never saw (it "
                "changes no answer). Subtracting the largest s first changes nothing but "
                "keeps the numbers small."
            )
        else:
            what = (
                "e<sup>s</sup> over the sum of e<sup>s</sup> for all ten, with s the logit z "
                "(subtracting the largest s first changes nothing but keeps the numbers small)."
            )
        self.softmax.setText(
            f"<p><b>Softmax</b>: each digit's share is {what}</p>"
            "<table cellspacing=4><tr><th>digit</th><th>logit z</th>"
            + ("<th>s = z/T</th>" if scaled else "")
            + "<th>e<sup>s − max</sup></th><th>share</th></tr>"
            f"{rows}</table>"
            f"<p>sum of e<sup>s − max</sup> over the ten digits = {step.total:.6g}</p>"
            f"<p><small>{SOFTMAX_NOTE}</small></p>"
        )

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
        self.dense.set_readout(f"unit {unit + 1}: {float(values[unit]):+.3f}")
