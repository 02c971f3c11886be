"""Network specs built from a few choices: the custom networks of the retrain dialog.

The bundled ``classic`` and ``default`` specs are recipes in ``bundled.py``; this builds
the others, as plain data that ``Network`` then checks layer by layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from digitpad.core.layers import ACTIVATIONS, PADDINGS
from digitpad.core.network import INPUT_SHAPE, NUM_CLASSES, Network

POOLS = {"max": "maxpool2d", "average": "avgpool2d"}


@dataclass(frozen=True)
class ConvChoice:
    """One conv block: the convolution, then an optional activation and 2x2 pooling."""

    filters: int
    kernel: int = 3
    stride: int = 1
    padding: str = "valid"
    activation: str | None = "relu"
    pool: str | None = "max"  # "max", "average" or None

    def __post_init__(self) -> None:
        if self.padding not in PADDINGS:
            raise ValueError(f"padding must be one of {PADDINGS}, got {self.padding!r}")
        if self.activation is not None and self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {self.activation!r}")
        if self.pool is not None and self.pool not in POOLS:
            raise ValueError(f"pool must be one of {tuple(POOLS)}, got {self.pool!r}")

    def layers(self) -> list[dict]:
        layers: list[dict] = [
            {
                "type": "conv2d",
                "filters": self.filters,
                "kernel": self.kernel,
                "stride": self.stride,
                "padding": self.padding,
            }
        ]
        if self.activation is not None:
            layers.append({"type": self.activation})
        if self.pool is not None:
            layers.append({"type": POOLS[self.pool]})
        return layers


def custom_spec(
    blocks: Sequence[ConvChoice], global_pool: bool = False, dense_units: int | None = 64
) -> dict:
    """conv blocks -> global average pooling or flatten -> [dense + ReLU] -> dense 10."""
    layers: list[dict] = []
    for block in blocks:
        layers += block.layers()
    layers.append({"type": "global_avgpool" if global_pool else "flatten"})
    if dense_units is not None:
        layers += [{"type": "dense", "units": dense_units}, {"type": "relu"}]
    layers.append({"type": "dense", "units": NUM_CLASSES})
    return {"input_shape": list(INPUT_SHAPE), "layers": layers}


def with_not_a_digit(spec: dict) -> dict:
    """``spec`` with an eleventh output after the ten digits' (``network.NOT_A_DIGIT``), for
    a run that learns what is not a digit (outliers.py); a spec that has it is returned as
    it is. Its last layer must be a dense layer of the ten digits."""
    layers = [dict(layer) for layer in spec["layers"]]
    last = layers[-1] if layers else {}
    if last.get("type") != "dense" or last.get("units") not in (NUM_CLASSES, NUM_CLASSES + 1):
        raise ValueError("the network's last layer must be a dense layer of the ten digits")
    layers[-1] = {**last, "units": NUM_CLASSES + 1}
    return {**spec, "layers": layers}


def grown_by_not_a_digit(network: Network) -> Network:
    """A copy of ``network`` with the eleventh output added, for a fine-tune that teaches a
    trained network what is not a digit (Hendrycks et al., 2019, exposed trained networks
    to outliers so): every weight as it was and the new unit's weights and bias zero, so it
    starts out reading every digit exactly as before. A network that has the output is
    copied as it is."""
    if network.knows_non_digits:
        return network.copy()
    grown = Network(with_not_a_digit(network.spec), dtype=network.dtype)
    before = network.named_params()
    arrays = {}
    for name, target in grown.named_params().items():
        old = before[name]
        if old.shape != target.shape:  # the last layer's weights and bias: one unit more
            old = np.concatenate([old, np.zeros((*old.shape[:-1], 1), old.dtype)], axis=-1)
        arrays[name] = old
    grown.set_params(arrays)
    grown.temperature = network.temperature
    return grown
