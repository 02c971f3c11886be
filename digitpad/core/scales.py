"""Colour scales fixed per model, so the same colour means the same value on every drawing.

Each layer's scale comes from its outputs on the reference digits (``reference.py``):
computed once when a model is shown, never from the drawing on screen.
"""

from __future__ import annotations

import math

import numpy as np

from digitpad.core.network import Network

# A scale ends at this percentile of |value| over the reference digits: the rare larger
# values saturate instead of washing every other map out to white.
PERCENTILE = 99.5


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k at or above value (value > 0)."""
    exponent = math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        bound = step * 10.0**exponent
        if bound >= value * (1 - 1e-9):
            return bound
    return 10.0 ** (exponent + 1)


def layer_scales(network: Network, references: np.ndarray) -> list[float]:
    """Per layer: the bound b of its symmetric colour scale [-b, b], a round number."""
    trace = network.trace(references)
    scales = []
    for step in trace.steps:
        magnitude = np.abs(step.output)
        strong = float(np.percentile(magnitude, PERCENTILE)) if magnitude.size else 0.0
        scales.append(nice_ceiling(strong) if strong > 0 else 1.0)
    return scales
