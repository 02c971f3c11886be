"""A network's structure as the window shows it: its stages (the layer strip) and its conv
blocks (a convolution with the activation and pooling that follow it)."""

from __future__ import annotations

from dataclasses import dataclass

from digitpad.core.layers import ACTIVATION, CONV, POOL, RESHAPE
from digitpad.core.network import INPUT_SHAPE, NUM_CLASSES, Network


@dataclass(frozen=True)
class Stage:
    """One stop on the way through the network, as the layer strip lists it.

    An activation is folded into the layer before it ("conv1 + relu": same shape), so the
    strip reads like the diagrams in tutorials. Flatten is a stage of its own: it is where
    the maps become the one long list the dense layer weighs, a step the class asks about
    (and Model Info lists it too). ``first``..``last`` are layer indices; the input is -1
    and the softmax is ``len(network.layers)``.
    """

    name: str
    shape: tuple[int, ...]
    first: int
    last: int
    description: str


@dataclass(frozen=True)
class ConvBlock:
    """Indices of one conv layer, the activation and the pooling that directly follow it."""

    conv: int
    activation: int | None
    pool: int | None

    @property
    def last(self) -> int:
        for index in (self.pool, self.activation):
            if index is not None:
                return index
        return self.conv

    def __contains__(self, index: int) -> bool:
        return self.conv <= index <= self.last


def network_stages(network: Network) -> list[Stage]:
    stages = [Stage("input", INPUT_SHAPE, -1, -1, "the 28×28 input")]
    for index, (name, shape, layer) in enumerate(
        zip(network.names, network.shapes, network.layers, strict=True)
    ):
        previous = stages[-1]
        if layer.role == RESHAPE:
            source = "the input" if previous.first < 0 else previous.name
            stages.append(
                Stage(
                    name,
                    shape,
                    index,
                    index,
                    f"lays {source}'s maps end to end as one list of {shape[0]} numbers",
                )
            )
            continue
        if layer.role == ACTIVATION and previous.first >= 0:
            stages[-1] = Stage(
                f"{previous.name} + {layer.kind}",
                previous.shape,
                previous.first,
                index,
                f"{previous.description}, then {layer.describe()}",
            )
            continue
        stages.append(Stage(name, shape, index, index, layer.describe()))
    # The answer's softmax is over the ten digits; a "not a digit" score beside them is
    # weighed against them all together (familiarity.py), not as an eleventh share.
    count = len(network.layers)
    what = f"softmax over the {NUM_CLASSES} digits" + (
        " (the 'not a digit' score weighed against them apart)" if network.knows_non_digits else ""
    )
    stages.append(Stage("softmax", (NUM_CLASSES,), count, count, what))
    return stages


def stage_of(stages: list[Stage], layer: int) -> Stage | None:
    """The stage that layer ``layer`` belongs to (-1 the input, len(layers) the softmax)."""
    return next((stage for stage in stages if stage.first <= layer <= stage.last), None)


def class_names(count: int) -> list[str]:
    """The network's outputs by name: the digits 0 to 9, and an 11th "not a digit"."""
    names = [str(digit) for digit in range(min(count, 10))]
    if count > 10:
        names += ["not a digit"] + [f"class {n}" for n in range(11, count)]
    return names


def conv_blocks(network: Network) -> list[ConvBlock]:
    """Each conv layer with the activation and pooling that directly follow it."""
    blocks = []
    for index, layer in enumerate(network.layers):
        if layer.role != CONV:
            continue
        activation = pool = None
        for later in range(index + 1, len(network.layers)):
            role = network.layers[later].role
            if role == ACTIVATION and activation is None and pool is None:
                activation = later
            elif role == POOL and pool is None:
                pool = later
            else:
                break
        blocks.append(ConvBlock(index, activation, pool))
    return blocks


def readers_of_pixel(network: Network, row: int, col: int) -> tuple[int, int, int, int] | None:
    """The outputs of the first layer whose window covers input pixel (row, col): (top,
    left, bottom, right), inclusive, in each of its maps; None when the first layer has no
    window (flatten, global pooling: the pixel reaches every value after it) or the pixel
    is outside the input.

    Output (i, j) of a layer with kernel k, stride s and padding p reads input rows
    i*s - p .. i*s - p + k - 1, so pixel r is read by rows ceil((r + p - k + 1) / s) up to
    floor((r + p) / s), clipped to the map.
    """
    _, height, width = INPUT_SHAPE
    if not (0 <= row < height and 0 <= col < width) or not network.layers:
        return None
    window = network.layers[0].window()
    if window is None:
        return None
    k, s, p = window
    _, out_h, out_w = network.shapes[0]

    def span(pixel: int, size: int) -> tuple[int, int]:
        first = max(0, -(-(pixel + p - k + 1) // s))
        last = min(size - 1, (pixel + p) // s)
        return first, last

    (top, bottom), (left, right) = span(row, out_h), span(col, out_w)
    if top > bottom or left > right:  # a stride that steps over the pixel
        return None
    return top, left, bottom, right
