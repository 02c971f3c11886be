"""What the window shows, as plain data that tells its subscribers when it changes.

The pattern is napari's ``ViewerModel``: no Qt here. Each widget wraps a piece of this
model, subscribes to the events it needs (``events.py``) and writes user input back through
the methods (``update``, ``use_model``, ``select_layer``, ``hover_over``). Tests drive it
directly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digitpad.core.events import EventEmitter
from digitpad.core.familiarity import digit_share, familiarity, threshold_of
from digitpad.core.model_io import Model
from digitpad.core.network import Network, Trace
from digitpad.core.preprocess import to_mnist
from digitpad.core.reference import reference_inputs
from digitpad.core.scales import layer_scales
from digitpad.core.stages import ConvBlock, Stage, conv_blocks, network_stages

# Below this probability for the best digit the app says it is not sure. The bundled models'
# probabilities are calibrated on writers they never saw (calibration.py), so this reads
# "it is likelier than 1 in 5 to be wrong". On those writers' digits (README, "Real
# handwriting") the classic model's answers below it were right 64 % of the time; the
# default model gave only 4 answers below it, all right: too few to say more.
UNSURE_BELOW = 0.8
# Ink whose box is smaller than this many pen widths both ways is a dot or a dash: every
# drawing is blown up to fill 20x20 pixels, so the network would read it as a digit.
TOO_SMALL_PENS = 2.5
INK_THRESHOLD = 0.1


def too_small(pixels: np.ndarray, pen_width: float) -> bool:
    """Whether the ink on the canvas is too small to be read as a digit."""
    ink = pixels > INK_THRESHOLD
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if len(rows) == 0:
        return False
    height, width = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    return max(height, width) < TOO_SMALL_PENS * pen_width


@dataclass(frozen=True)
class Verdict:
    """The network's answer: the best digit, the runner-up, and whether it is sure."""

    digit: int
    confidence: float
    runner_up: int
    runner_up_confidence: float

    @property
    def sure(self) -> bool:
        return self.confidence >= UNSURE_BELOW

    @classmethod
    def of(cls, probabilities: np.ndarray) -> Verdict:
        order = np.argsort(probabilities)[::-1]
        best, second = int(order[0]), int(order[1])
        return cls(best, float(probabilities[best]), second, float(probabilities[second]))


@dataclass(frozen=True)
class Focus:
    """A value the user clicked, to follow through its arithmetic: which map, where."""

    layer: int
    channel: int
    row: int
    col: int


@dataclass(frozen=True)
class Hover:
    """The value under the pointer in a layer's output, and the input pixels it sees."""

    layer: int
    channel: int
    row: int
    col: int
    value: float
    field: tuple[int, int, int, int]  # (top, left, bottom, right) on the 28x28 input


class ViewerModel:
    """The model in use, the network shown, the drawing's input, its trace and verdict,
    selection and hover.

    The model in use (``model_in_use``) is the one the user chose: Evaluate, Retrain, Model
    Info and the samples' records speak of it. The network shown (``network_shown``) is the
    one that reads the drawing: the model in use's network, or a training run's latest
    weights while that run is shown in the window (``training_shown``).

    Events (``events.EventEmitter``; each carries the value named after the colon):
      ``model_in_use_changed``   another model is in use: the model
      ``network_shown_changed``  another network is shown (stages, blocks, scales anew):
                                 the network
      ``weights_changed``        the network shown, same architecture, with new weights (a
                                 training run's next snapshot): the network
      ``input_changed``          the drawing changed: input, trace, probabilities, verdict,
                                 familiarity: the (28, 28) input
      ``selection_changed``      another conv block or layer was picked: the layer
      ``hover_changed``          the pointer moved over a value, or away: the ``Hover``
      ``scales_changed``         colour scales switched between fixed and per-map: whether
                                 they are fixed
      ``focus_changed``          a value was clicked to follow (or the focus went): the
                                 ``Focus``

    Colour scales are fixed per model (``scales.layer_scales`` on the reference digits,
    cached by model file), unless ``fixed_scales`` is off.
    """

    def __init__(self) -> None:
        self.model_in_use: Model | None = None
        self.network_shown: Network | None = None
        self._training_shown = False  # network_shown is a training run's, not the model's
        self.pixels: np.ndarray | None = None  # (280, 280) float32, ink bright
        self.input: np.ndarray | None = None  # (28, 28) float32, what the network sees
        self.trace: Trace | None = None
        self.probabilities: np.ndarray | None = None  # (10,)
        self.verdict: Verdict | None = None
        self.too_small = False  # the drawing is a dot or a dash: no verdict is given
        # Its familiarity (familiarity.py) and whether that is below the model's threshold:
        # "this doesn't look like the digits it learned". No threshold, no cue.
        # With a network that has a "not a digit" output, the familiarity is the digits'
        # log-odds against it, ``digit_share`` the share of the softmax they hold, and
        # "unfamiliar" means "not a digit".
        self.familiarity: float | None = None
        self.digit_share: float | None = None
        self.unfamiliar = False
        self.pen_width: float | None = None
        self.stages: list[Stage] = []
        self.blocks: list[ConvBlock] = []
        self.block_index = 0
        self.selected_layer: int | None = None
        self.hover: Hover | None = None
        self.focus: Focus | None = None
        self.scales: list[float] = []  # per layer, the bound of its colour scale
        self.fixed_scales = True
        self._given_input: np.ndarray | None = None  # see ``update``
        self._references: np.ndarray | None = None
        self._scale_cache: dict[tuple, list[float]] = {}
        self.model_in_use_changed = EventEmitter("model_in_use_changed")
        self.network_shown_changed = EventEmitter("network_shown_changed")
        self.weights_changed = EventEmitter("weights_changed")
        self.input_changed = EventEmitter("input_changed")
        self.selection_changed = EventEmitter("selection_changed")
        self.hover_changed = EventEmitter("hover_changed")
        self.scales_changed = EventEmitter("scales_changed")
        self.focus_changed = EventEmitter("focus_changed")

    # -- reading -------------------------------------------------------------------------

    @property
    def training_shown(self) -> bool:
        """Whether the network shown is a training run's, not the model in use's."""
        return self._training_shown

    @property
    def block(self) -> ConvBlock | None:
        """The conv block the panels show."""
        return self.blocks[self.block_index] if self.blocks else None

    @property
    def familiarity_threshold(self) -> float | None:
        """The model's calibrated threshold. While a training run is shown the threshold
        fitted on the model's network is not the answering one's: a network with the "not a
        digit" output then answers for itself (0: that output holds more of its softmax than
        the ten digits together), one without has none (None)."""
        if self._training_shown:
            shown = self.network_shown
            return 0.0 if shown is not None and shown.knows_non_digits else None
        if self.model_in_use is None:
            return None
        return threshold_of(self.model_in_use.metadata.metrics)

    def scale(self, layer: int) -> float | None:
        """The colour-scale bound for layer ``layer``'s maps; None: scale each map itself."""
        if not self.fixed_scales or not 0 <= layer < len(self.scales):
            return None
        return self.scales[layer]

    def output(self, layer: int) -> np.ndarray | None:
        """Layer ``layer``'s output for the current drawing, one image: (C, H, W) or (D,)."""
        if self.trace is None or not 0 <= layer < len(self.trace.steps):
            return None
        return self.trace.steps[layer].output[0]

    # -- writing -------------------------------------------------------------------------

    def use_model(self, model: Model | None) -> None:
        """Use ``model`` and show its network: new stages and blocks, first block selected,
        the drawing re-run. A training run shown until now gives way to it (its next
        snapshot, if it is still shown, comes back)."""
        self.model_in_use = model
        self.network_shown = model.network if model is not None else None
        self._training_shown = False
        self._restructure(model_changed=True)

    def _restructure(self, model_changed: bool = False) -> None:
        """A network of another shape is shown: stages, blocks, scales and selection anew."""
        network = self.network_shown
        self.stages = network_stages(network) if network is not None else []
        self.blocks = conv_blocks(network) if network is not None else []
        if self._training_shown:
            self.scales = self._training_scales()
        elif self.model_in_use is not None:
            self.scales = self._scales_for(self.model_in_use)
        else:
            self.scales = []
        self.block_index = 0
        self.selected_layer = None
        had_hover, self.hover = self.hover is not None, None
        had_focus, self.focus = self.focus is not None, None
        # Everything is consistent with the new network before anyone hears of it.
        self._run(self.pixels)
        if model_changed:
            self.model_in_use_changed.emit(self.model_in_use)
        self.network_shown_changed.emit(network)
        self.input_changed.emit(self.input)
        if had_hover:
            self.hover_changed.emit(None)
        if had_focus:
            self.focus_changed.emit(None)

    def _scales_for(self, model: Model) -> list[float]:
        key: tuple = (id(model.network),)
        if model.path is not None:
            try:
                stat = model.path.stat()
                key = (str(model.path), stat.st_mtime_ns, stat.st_size)
            except OSError:
                pass
        if key not in self._scale_cache:
            if self._references is None:
                self._references = reference_inputs()
            self._scale_cache[key] = layer_scales(model.network, self._references)
        return self._scale_cache[key]

    def _training_scales(self) -> list[float]:
        if self._references is None:
            self._references = reference_inputs()
        return layer_scales(self.network_shown, self._references)

    def show_training(self, network: Network | None) -> None:
        """Show a training run's latest weights on the drawing (None: back to the model in
        use's network). The model in use stays what it is.

        A snapshot of the same architecture only refreshes weights and values
        (``weights_changed``, ``input_changed``); another architecture, or the end of the
        run, re-lays the panels out (``network_shown_changed``)."""
        before, was_shown = self.network_shown, self._training_shown
        self._training_shown = network is not None
        if network is not None:
            self.network_shown = network
        else:
            model = self.model_in_use
            self.network_shown = model.network if model is not None else None
        after = self.network_shown
        same_shape = before is not None and after is not None and before.spec == after.spec
        if not (same_shape and was_shown and network is not None):
            self._restructure()  # showing starts or ends, or another architecture
            return
        # The scales stay those of the run's first snapshot: growing weights show as
        # colours growing stronger, on one scale for the whole run.
        self._run(self.pixels)
        self.weights_changed.emit(network)
        self.input_changed.emit(self.input)
        hover = self.hover
        if hover is not None:  # the same place, a new value
            self._set_hover(self._hover_at(hover.layer, hover.channel, hover.row, hover.col))

    def set_fixed_scales(self, fixed: bool) -> None:
        if fixed != self.fixed_scales:
            self.fixed_scales = fixed
            self.scales_changed.emit(fixed)

    def update(
        self,
        pixels: np.ndarray | None,
        pen_width: float | None = None,
        network_input: np.ndarray | None = None,
    ) -> None:
        """The drawing changed: pixels (280, 280) in [0, 1], or None for no drawing.

        With the pen's width, ink too small to read (a dot, a dash) gets no verdict.
        ``network_input`` (28, 28): the input to read instead of the pixels' own, when the
        pixels show a digit that already is an input (one of a data set's, from Evaluate):
        preparing its enlarged picture again would give the network another input."""
        self.pen_width = pen_width
        self._given_input = network_input
        self._run(pixels)
        before = self.hover
        if before is not None:
            # The same place now holds another value (or none, on an empty canvas).
            self.hover = self._hover_at(before.layer, before.channel, before.row, before.col)
        self.input_changed.emit(self.input)
        if self.hover != before:
            self.hover_changed.emit(self.hover)

    def _run(self, pixels: np.ndarray | None) -> None:
        self.pixels = pixels
        if pixels is None:
            self.input = None
        elif self._given_input is not None:
            self.input = np.asarray(self._given_input, dtype=np.float32)
        else:
            self.input = to_mnist(pixels)
        network = self.network_shown
        self.too_small = self.unfamiliar = False
        self.familiarity = self.digit_share = None
        if self.input is None or network is None:
            self.trace = self.probabilities = self.verdict = None
        else:
            self.trace = network.trace(self.input)
            self.probabilities = self.trace.probabilities[0]
            self.too_small = self.pen_width is not None and too_small(pixels, self.pen_width)
            self.verdict = None if self.too_small else Verdict.of(self.probabilities)
            scores = self.trace.scores[0]
            self.familiarity = float(familiarity(scores))
            share = digit_share(scores)
            self.digit_share = None if share is None else float(share)
            threshold = self.familiarity_threshold
            self.unfamiliar = (
                not self.too_small and threshold is not None and self.familiarity < threshold
            )

    @property
    def knows_non_digits(self) -> bool:
        """The network shown has the "not a digit" output: an unfamiliar drawing is not a
        digit, not merely unlike the digits it learned."""
        network = self.network_shown
        return network is not None and network.knows_non_digits

    def select_block(self, index: int) -> None:
        """Show conv block ``index`` (as the Layer box does): its convolution is picked."""
        if not 0 <= index < len(self.blocks) or index == self.block_index:
            return
        self.block_index = index
        self.selected_layer = self.blocks[index].conv
        self._set_hover(None)
        self.selection_changed.emit(self.selected_layer)

    def select_layer(self, index: int) -> None:
        """Pick layer ``index`` (-1 the input, len(layers) the softmax), as the strip does."""
        self.selected_layer = index
        for number, block in enumerate(self.blocks):
            if index in block and number != self.block_index:
                self.block_index = number
                self._set_hover(None)
                break
        self.selection_changed.emit(self.selected_layer)

    def hover_over(self, layer: int, channel: int, row: int, col: int) -> None:
        """The pointer is over one value of layer ``layer``'s output."""
        self._set_hover(self._hover_at(layer, channel, row, col))

    def _hover_at(self, layer: int, channel: int, row: int, col: int) -> Hover | None:
        output = self.output(layer)
        network = self.network_shown
        if output is None or network is None or output.ndim != 3:
            return None
        channels, height, width = output.shape
        if not (0 <= channel < channels and 0 <= row < height and 0 <= col < width):
            return None
        return Hover(
            layer,
            channel,
            row,
            col,
            float(output[channel, row, col]),
            network.receptive_field(layer, row, col),
        )

    def clear_hover(self) -> None:
        self._set_hover(None)

    def set_focus(self, layer: int, channel: int, row: int, col: int) -> None:
        """Follow the value at (channel, row, col) of layer ``layer``'s output: a map's, or
        for a vector (a dense layer's) unit ``channel`` with row and col 0."""
        network = self.network_shown
        if network is None or not 0 <= layer < len(network.layers):
            return
        shape = network.shapes[layer]
        if len(shape) == 1:
            valid = 0 <= channel < shape[0] and row == col == 0
        else:
            valid = 0 <= channel < shape[0] and 0 <= row < shape[1] and 0 <= col < shape[2]
        if not valid:
            return
        focus = Focus(layer, channel, row, col)
        if focus != self.focus:
            self.focus = focus
            self.focus_changed.emit(self.focus)

    def clear_focus(self) -> None:
        if self.focus is not None:
            self.focus = None
            self.focus_changed.emit(self.focus)

    def _set_hover(self, hover: Hover | None) -> None:
        if hover == self.hover:
            return
        self.hover = hover
        self.hover_changed.emit(self.hover)
