"""One filter of a convolution slid over its input, position by position: the numbers the
animated convolution shows, read from the network's own weights and forward pass."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digitpad.core.layers import Conv2D
from digitpad.core.network import Network, Trace


@dataclass(frozen=True)
class Position:
    """The filter at one output cell: the window it covers and what it makes there.

    ``top`` and ``left`` are the window's first row and column in the *padded* input
    (``Sweep.padded``), so they are never negative."""

    index: int  # in reading order: row * width + col
    row: int
    col: int
    top: int
    left: int
    inputs: np.ndarray  # (C, k, k) the window, zeros where it covers padding
    products: np.ndarray  # (C, k, k) inputs * the filter's weights
    channel_sums: np.ndarray  # (C,) each input channel's products, summed
    value: float  # channel_sums.sum() + bias


@dataclass(frozen=True)
class Sweep:
    """Filter ``filter`` of conv layer ``layer`` over the input it read for one drawing.

    Every position is computed at once (vectorised); ``at`` picks one to show and
    ``filled`` gives the output map as far as an animation has got."""

    layer: int
    name: str  # as the network names the layer: "conv2"
    filter: int
    kernel: int
    stride: int
    pad: int
    source: np.ndarray  # (C, H, W) the layer's input, float64
    padded: np.ndarray  # (C, H + 2 pad, W + 2 pad) the same with its zero border
    weights: np.ndarray  # (C, k, k) float64
    bias: float
    channel_maps: np.ndarray  # (C, H_out, W_out) each input channel's share of every value
    output: np.ndarray  # (H_out, W_out) channel_maps summed, plus the bias

    def __post_init__(self) -> None:
        if self.output.shape != self.channel_maps.shape[1:]:
            raise ValueError(
                f"{self.name}: output {self.output.shape} does not match channel maps "
                f"{self.channel_maps.shape}"
            )

    @property
    def channels(self) -> int:
        return self.source.shape[0]

    @property
    def height(self) -> int:
        return self.output.shape[0]

    @property
    def width(self) -> int:
        return self.output.shape[1]

    @property
    def positions(self) -> int:
        """How many values the filter makes: one animation from start to end."""
        return self.output.size

    def index_of(self, row: int, col: int) -> int:
        if not (0 <= row < self.height and 0 <= col < self.width):
            raise ValueError(
                f"{self.name}: ({row}, {col}) is outside its {self.height}x{self.width} map"
            )
        return row * self.width + col

    def at(self, index: int) -> Position:
        """The filter at position ``index`` (reading order) with its arithmetic."""
        if not 0 <= index < self.positions:
            raise ValueError(f"{self.name}: position {index} is outside 0..{self.positions - 1}")
        row, col = divmod(index, self.width)
        top, left = row * self.stride, col * self.stride
        k = self.kernel
        inputs = self.padded[:, top : top + k, left : left + k]
        products = inputs * self.weights
        channel_sums = products.sum(axis=(1, 2))
        value = float(channel_sums.sum() + self.bias)
        return Position(index, row, col, top, left, inputs, products, channel_sums, value)

    def filled(self, count: int, channel: int | None = None) -> np.ndarray:
        """The output map with its first ``count`` values (reading order) made and the
        rest NaN (not yet computed); with ``channel``, that input channel's share only."""
        source = self.output if channel is None else self.channel_maps[channel]
        out = np.full(source.size, np.nan)
        count = max(0, min(count, source.size))
        out[:count] = source.reshape(-1)[:count]
        return out.reshape(source.shape)


def conv_layers(network: Network) -> list[int]:
    """The indices of the network's convolutions, first to last."""
    return [i for i, layer in enumerate(network.layers) if isinstance(layer, Conv2D)]


def sweep(network: Network, trace: Trace, layer: int, filter: int) -> Sweep:
    """Filter ``filter`` of conv layer ``layer`` slid over the input the trace gave it
    (the drawing for the first convolution, the previous block's pooled maps after)."""
    if not 0 <= layer < len(network.layers) or not isinstance(network.layers[layer], Conv2D):
        raise ValueError(f"layer {layer} is not a convolution of this network")
    conv = network.layers[layer]
    if not 0 <= filter < conv.filters:
        raise ValueError(
            f"{network.names[layer]} has {conv.filters} filters; there is no filter {filter + 1}"
        )
    # The trace keeps the spec's order of layers, so this is what the layer read.
    source = (trace.input[0] if layer == 0 else trace.steps[layer - 1].output[0]).astype(np.float64)
    k, stride, pad = conv.kernel, conv.stride, conv.pad
    padded = np.pad(source, ((0, 0), (pad, pad), (pad, pad)))
    # (C, H', W', k, k): every window at once; the stride keeps the windows the layer used.
    windows = np.lib.stride_tricks.sliding_window_view(padded, (k, k), axis=(1, 2))
    windows = windows[:, ::stride, ::stride]
    weights = conv.params["weight"][filter].astype(np.float64)
    bias = float(conv.params["bias"][filter])
    channel_maps = np.einsum("chwij,cij->chw", windows, weights)
    output = channel_maps.sum(axis=0) + bias
    return Sweep(
        layer,
        network.names[layer],
        filter,
        k,
        stride,
        pad,
        source,
        padded,
        weights,
        bias,
        channel_maps,
        output,
    )
