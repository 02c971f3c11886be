"""A network's structure as the window shows it: its stages (the layer strip) and its conv
blocks (a convolution with the activation and pooling that follow it)."""

from __future__ import annotations

from dataclasses import dataclass

from digitpad.core.layers import ACTIVATION, CONV, POOL, RESHAPE
from digitpad.core.network import INPUT_SHAPE, Network


@dataclass(frozen=True)
class Stage:
    """One stop on the way through the network, as the layer strip lists it.

    An activation is folded into the layer before it ("conv1 + relu": same shape) and
    flatten is left out, so the strip reads like the diagrams in tutorials.
    ``first``..``last`` are layer indices; the input is -1 and the softmax is
    ``len(network.layers)``.
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
        if layer.role == RESHAPE:
            continue
        previous = stages[-1]
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
    count = len(network.layers)
    stages.append(Stage("softmax", (10,), count, count, "softmax over the 10 digits"))
    return stages


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
