"""How one number of the network was computed on a drawing: the arithmetic to show.

Each ``explain_*`` function reads a ``Trace`` (every layer's output for one image) and the
layer's weights, and returns plain data: the inputs, the weights, the products and the
sums, which add up to the value the network itself computed. ``follow`` chains them the
way a value travels: a convolution, then its activation, then the pooling window it
falls in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from digitpad.core.layers import ACTIVATION, POOL, Conv2D, Dense, MaxPool2D
from digitpad.core.network import Network, Trace
from digitpad.core.stages import conv_blocks


@dataclass(frozen=True)
class ConvStep:
    """value = sum over channels c and offsets (i, j) of inputs * weights, plus bias."""

    layer: int
    channel: int  # the filter
    row: int
    col: int
    top: int  # the window's first row and column in the layer's input (may be < 0:
    left: int  # padding, whose inputs are zero)
    inputs: np.ndarray  # (C, k, k) the input window, zeros where it covers padding
    weights: np.ndarray  # (C, k, k) the filter
    products: np.ndarray  # (C, k, k) inputs * weights
    channel_sums: np.ndarray  # (C,) the products of each input channel, summed
    bias: float
    value: float  # sum of products + bias, as the network computed it


@dataclass(frozen=True)
class ActivationStep:
    layer: int
    kind: str  # "relu", "tanh", ...
    before: float
    after: float


@dataclass(frozen=True)
class PoolStep:
    """A 2x2 window of the previous map and what the pooling made of it."""

    layer: int
    kind: str  # "max" or "average"
    channel: int
    row: int  # in the pooled map
    col: int
    values: np.ndarray  # (2, 2) the window in the input map
    winner: tuple[int, int] | None  # (i, j) in the window for max pooling
    value: float
    followed: tuple[int, int] | None = None  # (i, j): the cell a followed value is


@dataclass(frozen=True)
class DenseStep:
    """value = sum over inputs of input * weight, plus bias; ``order`` ranks the inputs."""

    layer: int
    unit: int
    inputs: np.ndarray  # (D,)
    weights: np.ndarray  # (D,)
    products: np.ndarray  # (D,)
    order: np.ndarray  # (D,) input indices by |product|, largest first
    bias: float
    value: float


@dataclass(frozen=True)
class SoftmaxStep:
    """p_d = e^(s_d - m) / sum_k e^(s_k - m) with s = z / T, the logits divided by the
    network's temperature, and m the largest s (the same ratio, in smaller numbers)."""

    logits: np.ndarray  # (10,) z
    temperature: float  # T
    scaled: np.ndarray  # (10,) z / T
    shifted_exps: np.ndarray  # (10,) e^(s - max s)
    total: float
    probabilities: np.ndarray  # (10,)
    order: np.ndarray  # digits by probability, highest first


def number(value: float) -> str:
    """How every number of an explanation is written: three decimals with a sign. A value
    that rounds to zero is 0.000, never -0.000 (a negative zero, or -0.0004)."""
    return f"{value:+.3f}" if abs(value) >= 0.0005 else "0.000"


def layer_input(trace: Trace, layer: int) -> np.ndarray:
    """What layer ``layer`` received, for the first traced image."""
    return trace.input[0] if layer == 0 else trace.steps[layer - 1].output[0]


def explain_conv(
    network: Network, trace: Trace, layer: int, channel: int, row: int, col: int
) -> ConvStep:
    conv = network.layers[layer]
    if not isinstance(conv, Conv2D):
        raise ValueError(f"layer {layer} ({network.names[layer]}) is not a convolution")
    source = layer_input(trace, layer).astype(np.float64)  # (C, H, W)
    k, stride, pad = conv.kernel, conv.stride, conv.pad
    top, left = row * stride - pad, col * stride - pad
    c, h, w = source.shape
    window = np.zeros((c, k, k))
    rows = slice(max(top, 0), min(top + k, h))
    cols = slice(max(left, 0), min(left + k, w))
    window[:, rows.start - top : rows.stop - top, cols.start - left : cols.stop - left] = source[
        :, rows, cols
    ]
    weights = conv.params["weight"][channel].astype(np.float64)
    products = window * weights
    bias = float(conv.params["bias"][channel])
    value = float(trace.steps[layer].output[0, channel, row, col])
    return ConvStep(
        layer,
        channel,
        row,
        col,
        top,
        left,
        window,
        weights,
        products,
        products.sum(axis=(1, 2)),
        bias,
        value,
    )


def explain_activation(
    network: Network, trace: Trace, layer: int, channel: int, row: int, col: int
) -> ActivationStep:
    if network.layers[layer].role != ACTIVATION:
        raise ValueError(f"layer {layer} ({network.names[layer]}) is not an activation")
    before = float(layer_input(trace, layer)[channel, row, col])
    after = float(trace.steps[layer].output[0, channel, row, col])
    return ActivationStep(layer, network.layers[layer].kind, before, after)


def explain_pool(
    network: Network,
    trace: Trace,
    layer: int,
    channel: int,
    row: int,
    col: int,
    followed: tuple[int, int] | None = None,
) -> PoolStep:
    """The 2x2 window of pooled value (row, col); ``followed`` marks one of its cells."""
    pool = network.layers[layer]
    if pool.role != POOL:
        raise ValueError(f"layer {layer} ({network.names[layer]}) is not a 2x2 pooling")
    source = layer_input(trace, layer)[channel]
    values = source[2 * row : 2 * row + 2, 2 * col : 2 * col + 2].astype(np.float64)
    winner = None
    if isinstance(pool, MaxPool2D):
        flat = int(np.argmax(values))  # the first maximum, as the layer's backward routes
        winner = divmod(flat, 2)
    value = float(trace.steps[layer].output[0, channel, row, col])
    kind = "max" if isinstance(pool, MaxPool2D) else "average"
    return PoolStep(layer, kind, channel, row, col, values, winner, value, followed)


def explain_dense(network: Network, trace: Trace, layer: int, unit: int) -> DenseStep:
    dense = network.layers[layer]
    if not isinstance(dense, Dense):
        raise ValueError(f"layer {layer} ({network.names[layer]}) is not a dense layer")
    inputs = layer_input(trace, layer).astype(np.float64)
    weights = dense.params["weight"][:, unit].astype(np.float64)
    products = inputs * weights
    order = np.argsort(-np.abs(products), kind="stable")
    bias = float(dense.params["bias"][unit])
    value = float(trace.steps[layer].output[0, unit])
    return DenseStep(layer, unit, inputs, weights, products, order, bias, value)


def explain_softmax(trace: Trace) -> SoftmaxStep:
    logits = trace.logits[0].astype(np.float64)
    scaled = logits / trace.temperature
    exps = np.exp(scaled - scaled.max())
    total = float(exps.sum())
    probabilities = trace.probabilities[0].astype(np.float64)
    return SoftmaxStep(
        logits, trace.temperature, scaled, exps, total, probabilities, np.argsort(-probabilities)
    )


def follow(
    network: Network, trace: Trace, layer: int, channel: int, row: int, col: int
) -> list[ConvStep | ActivationStep | PoolStep]:
    """A value of a conv block's map (its convolution, activation or pooling) followed
    through the block: the convolution that made it, the activation, and the pooling
    window it falls in. From a pooled value, the way back goes through the window's
    winner (max pooling) or its first value (average pooling)."""
    block = next((b for b in conv_blocks(network) if layer in b), None)
    if block is None:
        raise ValueError(f"layer {layer} ({network.names[layer]}) is not in a conv block")
    pool = None
    if layer == block.pool:
        pool = explain_pool(network, trace, layer, channel, row, col)
        i, j = pool.winner if pool.winner is not None else (0, 0)
        pool = replace(pool, followed=(i, j))
        row, col = 2 * row + i, 2 * col + j
    steps: list[ConvStep | ActivationStep | PoolStep] = [
        explain_conv(network, trace, block.conv, channel, row, col)
    ]
    if block.activation is not None:
        steps.append(explain_activation(network, trace, block.activation, channel, row, col))
    if pool is None and block.pool is not None:
        pooled_h, pooled_w = trace.steps[block.pool].output.shape[2:]
        if row // 2 < pooled_h and col // 2 < pooled_w:  # an odd last row is dropped
            pool = explain_pool(
                network, trace, block.pool, channel, row // 2, col // 2, (row % 2, col % 2)
            )
    if pool is not None:
        steps.append(pool)
    return steps
