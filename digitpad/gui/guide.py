"""Help > What Am I Seeing?: a paragraph per stage of the network in use, in plain words,
with its real sizes; clicking a paragraph's title brings that stage up."""

from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QTextBrowser, QWidget

from digitpad.core.layers import ACTIVATION, CONV, DENSE, GLOBAL_POOL, POOL, RESHAPE
from digitpad.core.network import INPUT_SHAPE, Network
from digitpad.core.viewer import ViewerModel
from digitpad.gui.describe import shape_text

ACTIVATION_WORDS = {
    "relu": "ReLU keeps every positive value and turns every negative one into 0.",
    "leaky_relu": "Leaky ReLU keeps positive values and shrinks negative ones to a small "
    "fraction, so they are not lost entirely.",
    "tanh": "tanh squeezes every value into -1..1: large values saturate.",
    "sigmoid": "The sigmoid squeezes every value into 0..1.",
}


def _conv_words(network: Network, index: int) -> str:
    layer = network.layers[index]
    source = INPUT_SHAPE if index == 0 else network.shapes[index - 1]
    channels, size = source[0], source[1]
    filters, out = network.shapes[index][0], network.shapes[index][1]
    k, s, p = layer.kernel, layer.stride, layer.pad
    padding = (
        f"with {p} pixel{'s' if p > 1 else ''} of zeros around the edge (“same” padding)"
        if p
        else "without padding (“valid”: the filter stays inside the image)"
    )
    depth = (
        ""
        if channels == 1
        else f" Each filter has {k}×{k} weights for each of the {channels} input maps, and "
        f"adds up all {k * k * channels} products."
    )
    span = size + 2 * p - k
    if span % s:  # the last places would hang over the edge: the division rounds down
        steps = (
            f"⌊({size} + 2·{p} − {k}) / {s}⌋ + 1 = ⌊{span / s:g}⌋ + 1 = {out} (rounded "
            f"down: the filter never steps past the edge)"
        )
    else:
        steps = f"({size} + 2·{p} − {k}) / {s} + 1 = {out}"
    return (
        f"Convolution: each of the {filters} filters is a {k}×{k} grid of weights, slid over "
        f"the {size}×{size} input {s} pixel{'s' if s > 1 else ''} at a time, {padding}. At "
        f"each place it multiplies the window by its weights and adds them up, plus a bias: "
        f"where the window looks like the filter, the sum is large.{depth} Output size: "
        f"(n + 2p − k) / s + 1 = {steps}, so {filters} maps of {out}×{out}. Click a map "
        f"value to see its sum worked out."
    )


def _relu_meaning(before: str) -> str:
    """What the values ReLU leaves mean: a dense layer has units and weights, no filters."""
    if before == CONV:
        return "What is left marks where the filter found its pattern."
    if before == DENSE:
        return (
            "What is left are the units whose weighted sum came out positive: the ones "
            "the drawing switched on."
        )
    return ""


def _softmax_words(temperature: float, knows_non_digits: bool = False) -> str:
    if temperature == 1.0:
        scaling = (
            "This model's temperature T = 1: its scores go in unchanged (a calibrated "
            "model divides them by a T fitted so that its shares match how often it is "
            "right)."
        )
    else:
        # The panel shows s = z / T: the guide must say why its scores are not the logits.
        effect = "sharper" if temperature < 1.0 else "softer"
        scaling = (
            f"First each score is divided by the model's temperature T = {temperature:.2f}, "
            f"fitted so that its shares match how often it is right on handwriting it never "
            f"saw: this T makes them {effect}, and dividing all ten by the same T never "
            "changes which digit wins."
        )
    return (
        "Softmax turns the ten final scores (the logits) into shares of 100 %. "
        f"{scaling} Then each digit gets e to the power of its score, divided by the sum "
        "of that over all ten. The largest score gets the largest share; the shares always "
        "add up to 100 %, even for a drawing that is no digit at all."
        + (
            " That is why this network has an eleventh score, 'not a digit', learned from "
            "letters and doodles: the gauge under the answer weighs all ten digits together "
            "against it, and below its tick the answer says Not a digit."
            if knows_non_digits
            else " This network learned from digits alone: it reads a letter or a smiley as "
            "the digit it most resembles, and only a drawing that drives all its scores low "
            "is called unlike the digits it learned."
        )
    )


def stage_words(network: Network, first: int, last: int) -> str:
    """Plain words for the layers first..last (one stage of the strip)."""
    if first < 0:
        return (
            "Your drawing, cropped to its ink, shrunk to fit 20×20 pixels and centred in a "
            "28×28 square, the way the MNIST digits the network learned from were prepared. "
            "White is 1, black is 0: 784 numbers."
        )
    if first >= len(network.layers):
        return _softmax_words(network.temperature, network.knows_non_digits)
    parts = []
    for index in range(first, last + 1):
        layer = network.layers[index]
        if layer.role == CONV:
            parts.append(_conv_words(network, index))
        elif layer.role == ACTIVATION:
            parts.append(ACTIVATION_WORDS.get(layer.kind, layer.describe()))
            meaning = _relu_meaning(network.layers[index - 1].role) if index else ""
            if layer.kind == "relu" and meaning:
                parts.append(meaning)
        elif layer.role == POOL:
            kind = "largest" if layer.kind == "maxpool2d" else "average"
            out = network.shapes[index]
            parts.append(
                f"2×2 pooling keeps the {kind} of each 2×2 block of every map: "
                f"{out[0]} maps of {out[1]}×{out[2]}, a quarter of the values, and a small "
                "shift of the drawing changes less."
            )
        elif layer.role == RESHAPE:
            maps = network.shapes[index - 1] if index else INPUT_SHAPE
            parts.append(
                f"Flatten lays the {shape_text(maps)} maps end to end as one list of "
                f"{network.shapes[index][0]} numbers, map after map, row after row: no "
                "arithmetic, the same values in a line for the dense layer to weigh."
            )
        elif layer.role == GLOBAL_POOL:
            count = network.shapes[index][0]
            parts.append(
                f"Global average pooling turns each map into its average: {count} numbers, "
                "one per filter."
            )
        elif layer.role == DENSE:
            inputs = (network.shapes[index - 1] if index else INPUT_SHAPE)[0]
            before = network.layers[index - 1] if index else None
            maps = network.shapes[index - 2] if index >= 2 else INPUT_SHAPE
            flat = (
                f"First, flatten lays the {shape_text(maps)} maps out as "
                f"one list of {inputs} numbers. "
                if before is not None and before.role == RESHAPE
                else ""
            )
            units = network.shapes[index][0]
            ending = ""
            if index == len(network.layers) - 1:
                ending = (
                    " These eleven are the logits: the ten digits' scores and not a digit's, "
                    "before softmax."
                    if network.knows_non_digits
                    else " These ten are the logits: one score per digit, before softmax."
                )
            parts.append(
                f"{flat}Dense: each of its {units} units multiplies every one of the {inputs} "
                f"numbers before it by a weight of its own and adds them up, plus a bias "
                f"({inputs * units:,} weights in all).{ending}"
            )
    return " ".join(parts)


def guide_html(viewer: ViewerModel) -> str:
    network = viewer.network_shown
    if network is None:
        return "<p>Open a model from the Model menu to see its stages explained.</p>"
    paragraphs = [
        "<p>Your drawing goes through these stages, left to right along the strip. Click a "
        "title to bring that stage up.</p>"
    ]
    for stage in viewer.stages:
        paragraphs.append(
            f"<h4><a href='stage:{stage.first}'>{stage.name}</a> — {shape_text(stage.shape)}</h4>"
            f"<p>{stage_words(network, stage.first, stage.last)}</p>"
        )
    return "".join(paragraphs)


class GuideDock(QDockWidget):
    """The guide at the window's side; it follows the model in use."""

    def __init__(self, viewer: ViewerModel, parent: QWidget | None = None) -> None:
        super().__init__("What am I seeing?", parent)
        self.setObjectName("guide_dock")
        self.viewer = viewer
        self.text = QTextBrowser()
        self.text.setObjectName("guide_text")
        self.text.setOpenLinks(False)
        self.text.anchorClicked.connect(self._on_text_anchor_clicked)
        self.setWidget(self.text)
        self.setMinimumWidth(320)
        viewer.network_shown_changed.connect(self._on_viewer_network_shown_changed)
        self._on_viewer_network_shown_changed()
        self.hide()

    def _on_viewer_network_shown_changed(self) -> None:
        self.text.setHtml(guide_html(self.viewer))

    def _on_text_anchor_clicked(self, url: QUrl) -> None:
        text = url.toString()
        if text.startswith("stage:"):
            self.viewer.select_layer(int(text.removeprefix("stage:")))

    def bind(self, action: QAction) -> None:
        """A checkable action that shows and hides the guide, and follows its state."""
        action.toggled.connect(self.setVisible)
        self.visibilityChanged.connect(action.setChecked)
