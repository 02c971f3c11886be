"""How one number of the network was computed on a drawing: the arithmetic to show.

Each ``explain_*`` function reads a ``Trace`` (every layer's output for one image) and the
layer's weights, and returns plain data: the inputs, the weights, the products and the
sums, which add up to the value the network itself computed. ``route`` chains them the
way a value travels: back from it to the first layer, and on from it to the softmax.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from digitpad.core.layers import (
    ACTIVATION,
    CONV,
    DENSE,
    GLOBAL_POOL,
    POOL,
    RESHAPE,
    Conv2D,
    Dense,
    MaxPool2D,
)
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
    # (c, i, j): the input on a route, channel c at (i, j) of the window
    followed: tuple[int, int, int] | None = None


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
    followed: int | None = None  # the input on a route


@dataclass(frozen=True)
class SoftmaxStep:
    """p_d = e^(s_d - m) / sum_k e^(s_k - m) with s = z / T, the logits divided by the
    network's temperature, and m the largest s (the same ratio, in smaller numbers)."""

    logits: np.ndarray  # (K,) z, one score a class (the last layer gives K)
    temperature: float  # T
    scaled: np.ndarray  # (K,) z / T
    shifted_exps: np.ndarray  # (K,) e^(s - max s)
    total: float
    probabilities: np.ndarray  # (K,)
    order: np.ndarray  # digits by probability, highest first
    digit: int | None = None  # the share a route follows


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


# -- one value followed through the whole network ---------------------------------------------

Position = tuple[int, ...]  # (channel, row, col) in a map, (unit,) in a vector


@dataclass(frozen=True)
class Node:
    """One value on a route: ``position`` in layer ``layer``'s output; the softmax is layer
    ``len(network.layers)``, its position the digit."""

    layer: int
    position: Position


@dataclass(frozen=True)
class FlattenStep:
    """A map value laid out in the long vector: maps one after another, row by row."""

    layer: int
    source: Position  # (channel, row, col) in the maps before
    shape: tuple[int, int, int]  # (C, H, W) of those maps
    index: int  # in the vector, from 0
    value: float


@dataclass(frozen=True)
class AverageStep:
    """Global average pooling: one map's values added up and divided by their count."""

    layer: int
    unit: int  # the map
    values: np.ndarray  # (H, W) the map
    total: float
    value: float
    followed: tuple[int, int] | None = None  # (row, col): the map value on a route


@dataclass(frozen=True)
class FanOut:
    """Where one value goes: every value of layer ``layer`` that reads it (a convolution's
    windows that cover it, or every unit of a dense layer), the weight each reads it with
    and the product, value * weight, it adds to that value's sum."""

    layer: int
    source: Node  # the value read
    value: float
    targets: np.ndarray  # (N, 3) (filter, row, col) for a convolution, (N, 1) units
    weights: np.ndarray  # (N,)
    products: np.ndarray  # (N,)
    order: np.ndarray  # (N,) target indices, the one the value helps most first
    # (N,) whether each target passes a value other than 0 on: after the activation that
    # follows the layer, if one does (a ReLU that is off passes 0, and explains nothing)
    passes: np.ndarray
    # Into the logits: the target that is the network's answer (its highest logit), else
    # None. A route into the logits prefers it when the value adds to it at all: a stroke
    # of a 4 followed greedily ended at "the share of digit 2" = 0.000, which reads wrong.
    answer: int | None = None

    @property
    def chosen(self) -> int:
        """The target a route follows: into the logits, the answer's if the value adds to
        it; else the one the value helps most among those that pass something on; the one
        it helps most when none does."""
        if self.answer is not None and self.products[self.answer] > 0:
            return self.answer
        passing = self.order[self.passes[self.order]]
        return int(passing[0]) if len(passing) else int(self.order[0])


Step = ConvStep | ActivationStep | PoolStep | AverageStep | FlattenStep | DenseStep | SoftmaxStep


@dataclass(frozen=True)
class Route:
    """A value followed both ways: back from it, each value through its largest
    contribution (a pooling's winner, a sum's largest product), to the first layer; on
    from it, into the value it helps most among those that pass something on (not a unit
    whose ReLU is off, at 0), to the softmax; into the logits, the answer's if it adds to
    it at all (see ``FanOut.chosen``).

    ``nodes[k]`` is computed by ``steps[k]`` from ``nodes[k - 1]`` (which ``steps[k]``
    marks as ``followed``); ``fanouts[k]`` lists every value of ``nodes[k]``'s layer that
    reads ``nodes[k - 1]`` (for a convolution or a dense layer, else None). ``pages`` group
    the nodes one stage at a time: a conv block (convolution, activation, pooling), flatten,
    a dense layer with its activation, the softmax. ``start`` is the page of the value
    followed. A route ends before the softmax only where pooling drops a map's odd last
    row or column: that value goes no further.
    """

    nodes: tuple[Node, ...]
    steps: tuple[Step, ...]
    fanouts: tuple[FanOut | None, ...]
    pages: tuple[tuple[int, ...], ...]  # node indices per page
    start: int

    @property
    def complete(self) -> bool:
        """Whether the route reaches the softmax."""
        return isinstance(self.steps[-1], SoftmaxStep)


def step_value(step: Step) -> float:
    """The value ``step`` computes (a softmax step's: the followed digit's share)."""
    if isinstance(step, ActivationStep):
        return step.after
    if isinstance(step, SoftmaxStep):
        return float(step.probabilities[step.digit if step.digit is not None else 0])
    return step.value


def class_count(network: Network) -> int:
    """How many scores the network's last layer gives (ten digits, or more)."""
    return int(network.shapes[-1][0])


def _value(trace: Trace, node: Node) -> float:
    if node.layer == len(trace.steps):
        return float(trace.probabilities[0][node.position[0]])
    return float(trace.steps[node.layer].output[0][node.position])


def explain_flatten(network: Network, trace: Trace, layer: int, index: int) -> FlattenStep:
    if network.layers[layer].role != RESHAPE:
        raise ValueError(f"layer {layer} ({network.names[layer]}) is not a flatten")
    shape = layer_input(trace, layer).shape
    source = tuple(int(v) for v in np.unravel_index(index, shape))
    value = float(trace.steps[layer].output[0, index])
    return FlattenStep(layer, source, shape, index, value)


def explain_average(network: Network, trace: Trace, layer: int, unit: int) -> AverageStep:
    if network.layers[layer].role != GLOBAL_POOL:
        raise ValueError(f"layer {layer} ({network.names[layer]}) is not a global average")
    values = layer_input(trace, layer)[unit].astype(np.float64)
    value = float(trace.steps[layer].output[0, unit])
    return AverageStep(layer, unit, values, float(values.sum()), value)


def explain_fanout(network: Network, trace: Trace, source: Node) -> FanOut:
    """Every value of layer ``source.layer + 1`` (a convolution or a dense layer) that
    reads ``source``, ranked by how much it helps each: value * weight, largest first
    (a value of 0 helps none: then by weight, where it would help most)."""
    layer = source.layer + 1
    reader = network.layers[layer]
    value = _value(trace, source) if source.layer >= 0 else float(trace.input[0][source.position])
    if isinstance(reader, Conv2D):
        channel, row, col = source.position
        k, stride, pad = reader.kernel, reader.stride, reader.pad
        _, out_h, out_w = network.shapes[layer]
        # Output r reads input rows r * stride - pad .. + k - 1: those covering this row.
        rows = [r for r in range(out_h) if 0 <= row - (r * stride - pad) < k]
        cols = [c for c in range(out_w) if 0 <= col - (c * stride - pad) < k]
        filters, rr, cc = np.meshgrid(np.arange(reader.filters), rows, cols, indexing="ij")
        targets = np.stack([filters.ravel(), rr.ravel(), cc.ravel()], axis=1)
        i = row - (targets[:, 1] * stride - pad)
        j = col - (targets[:, 2] * stride - pad)
        weights = reader.params["weight"][targets[:, 0], channel, i, j].astype(np.float64)
    elif isinstance(reader, Dense):
        weights = reader.params["weight"][source.position[0]].astype(np.float64)
        targets = np.arange(len(weights))[:, None]
    else:
        raise ValueError(f"layer {layer} ({network.names[layer]}) has no weights to read with")
    products = value * weights
    order = np.lexsort((-weights, -products))  # by product; ties (a zero value) by weight
    # What each target passes on: its value after the activation that follows, if one does.
    after = layer + 1
    if after >= len(network.layers) or network.layers[after].role != ACTIVATION:
        after = layer
    passes = trace.steps[after].output[0][tuple(targets.T)] != 0
    answer = None
    if layer == len(network.layers) - 1 and isinstance(reader, Dense):  # the logits
        answer = int(np.argmax(trace.logits[0]))  # the digit it reads ("not a digit" apart)
    return FanOut(layer, source, value, targets, weights, products, order, passes, answer)


def _explain_node(network: Network, trace: Trace, node: Node) -> Step:
    """How ``node``'s value was computed from the layer before, nothing followed yet."""
    if node.layer == len(network.layers):
        return replace(explain_softmax(trace), digit=node.position[0])
    layer = network.layers[node.layer]
    if layer.role == CONV:
        return explain_conv(network, trace, node.layer, *node.position)
    if layer.role == POOL:
        return explain_pool(network, trace, node.layer, *node.position)
    if layer.role == GLOBAL_POOL:
        return explain_average(network, trace, node.layer, node.position[0])
    if layer.role == RESHAPE:
        return explain_flatten(network, trace, node.layer, node.position[0])
    if layer.role == DENSE:
        return explain_dense(network, trace, node.layer, node.position[0])
    before = float(layer_input(trace, node.layer)[node.position])
    return ActivationStep(node.layer, layer.kind, before, _value(trace, node))


def _largest_contribution(network: Network, trace: Trace, node: Node, step: Step) -> Position:
    """The input of ``step`` (which computes ``node``) that contributes most to its value:
    the way back."""
    if isinstance(step, ConvStep):
        channel = int(np.argmax(np.abs(step.channel_sums)))
        _, height, width = layer_input(trace, step.layer).shape
        k = step.inputs.shape[1]
        rows, cols = np.arange(k)[:, None] + step.top, np.arange(k)[None, :] + step.left
        inside = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
        # Padding adds nothing: the largest |product| among the cells inside the input.
        sizes = np.where(inside, np.abs(step.products[channel]), -1.0)
        i, j = divmod(int(np.argmax(sizes)), k)
        return (channel, step.top + i, step.left + j)
    if isinstance(step, PoolStep):
        # Max pooling keeps its winner; an average, each value's share: the largest.
        i, j = step.winner if step.winner is not None else divmod(int(np.argmax(step.values)), 2)
        return (step.channel, 2 * step.row + i, 2 * step.col + j)
    if isinstance(step, AverageStep):
        row, col = np.unravel_index(int(np.argmax(step.values)), step.values.shape)
        return (step.unit, int(row), int(col))
    if isinstance(step, FlattenStep):
        return step.source
    if isinstance(step, DenseStep):
        return (int(step.order[0]),)
    return node.position  # an activation, or the softmax share: its own logit


def _next_position(
    network: Network, trace: Trace, node: Node
) -> tuple[Position | None, FanOut | None]:
    """Where ``node``'s value goes in the next layer (None: pooling drops it), and, for a
    convolution or a dense layer, every value reading it."""
    following = node.layer + 1
    if following == len(network.layers):
        # A digit's logit -> its share; "not a digit"'s score has none among the ten
        # digits' shares (the softmax the window shows), so the route ends at it.
        shares = trace.probabilities.shape[-1]
        return (node.position if node.position[0] < shares else None), None
    layer = network.layers[following]
    if layer.role in (CONV, DENSE):
        fanout = explain_fanout(network, trace, node)
        best = fanout.targets[fanout.chosen]
        return tuple(int(v) for v in best), fanout
    if layer.role == POOL:
        channel, row, col = node.position
        _, height, width = network.shapes[following]
        if row // 2 >= height or col // 2 >= width:
            return None, None  # an odd last row or column: no 2x2 window holds it
        return (channel, row // 2, col // 2), None
    if layer.role == GLOBAL_POOL:
        return (node.position[0],), None
    if layer.role == RESHAPE:
        shape = network.shapes[node.layer] if node.layer >= 0 else tuple(trace.input.shape[1:])
        return (int(np.ravel_multi_index(node.position, shape)),), None
    return node.position, None  # an activation: the same place


def _mark(step: Step, before: Node) -> Step:
    """``step`` with the input ``before`` (on the route) marked as followed."""
    where = before.position
    if isinstance(step, ConvStep):
        return replace(step, followed=(where[0], where[1] - step.top, where[2] - step.left))
    if isinstance(step, PoolStep):
        return replace(step, followed=(where[1] - 2 * step.row, where[2] - 2 * step.col))
    if isinstance(step, AverageStep):
        return replace(step, followed=(where[1], where[2]))
    if isinstance(step, DenseStep):
        return replace(step, followed=where[0])
    return step


def _pages(network: Network, nodes: list[Node]) -> tuple[tuple[int, ...], ...]:
    """Node indices grouped one stage at a time (see ``Route``)."""
    blocks = conv_blocks(network)
    block_of = {i: b for b in blocks for i in range(b.conv, b.last + 1)}
    pages: list[list[int]] = []
    for k, node in enumerate(nodes):
        previous = nodes[k - 1].layer if k else None
        same_block = previous is not None and block_of.get(node.layer) is block_of.get(
            previous, object()
        )
        is_activation = (
            node.layer < len(network.layers) and network.layers[node.layer].role == ACTIVATION
        )
        if pages and (same_block or is_activation):
            pages[-1].append(k)
        else:
            pages.append([k])
    return tuple(tuple(page) for page in pages)


def route(network: Network, trace: Trace, layer: int, position: Position) -> Route:
    """Follow the value at ``position`` of layer ``layer``'s output (or, for layer
    ``len(network.layers)``, the softmax share of digit ``position[0]``) back to the first
    layer and on to the softmax; see ``Route``."""
    count = len(network.layers)
    if not 0 <= layer <= count:
        raise ValueError(f"layer {layer} is not in the network (it has {count} layers)")
    shape = network.shapes[layer] if layer < count else (trace.probabilities.shape[-1],)
    if len(position) != len(shape) or not all(
        0 <= p < s for p, s in zip(position, shape, strict=True)
    ):
        raise ValueError(f"position {position} is outside layer {layer}'s output {shape}")
    clicked = Node(layer, tuple(int(p) for p in position))
    # Back: each value through its largest contribution, to the first layer.
    nodes, steps = [clicked], [_explain_node(network, trace, clicked)]
    while nodes[0].layer > 0:
        before = Node(nodes[0].layer - 1, _largest_contribution(network, trace, nodes[0], steps[0]))
        steps[0] = _mark(steps[0], before)
        nodes.insert(0, before)
        steps.insert(0, _explain_node(network, trace, before))
    fanouts: list[FanOut | None] = [None] * len(nodes)
    for k in range(1, len(nodes)):
        if nodes[k].layer < count and network.layers[nodes[k].layer].role in (CONV, DENSE):
            fanouts[k] = explain_fanout(network, trace, nodes[k - 1])
    start = len(nodes) - 1
    # On: each value into the one it helps most (of those not at 0), to the softmax.
    while nodes[-1].layer < count:
        position, fanout = _next_position(network, trace, nodes[-1])
        if position is None:
            break
        node = Node(nodes[-1].layer + 1, position)
        steps.append(_mark(_explain_node(network, trace, node), nodes[-1]))
        nodes.append(node)
        fanouts.append(fanout)
    pages = _pages(network, nodes)
    page = next(p for p, members in enumerate(pages) if start in members)
    return Route(tuple(nodes), tuple(steps), tuple(fanouts), pages, page)
