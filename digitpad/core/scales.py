"""Colour scales fixed per model, so the same colour means the same value on every drawing.

Each layer's scale comes from its outputs on the reference digits (``reference.py``):
computed once when a model is shown, never from the drawing on screen. A layer whose
values cannot be negative (``never_negative``) gets a scale from 0; the others a scale
symmetric about 0.
"""

from __future__ import annotations

import math

import numpy as np

from digitpad.core.layers import ACTIVATION, GLOBAL_POOL, POOL, RESHAPE
from digitpad.core.network import Network

# A scale ends at this percentile of |value| over the reference digits: the rarer larger
# values are clipped (the colour bar says so) instead of washing every other map out to
# grey. 99.5 with a coarse rounding left a drawn 7's conv1 maps faint on a projector
# (conv1 on -5..5 where the 7 reached 1.75); 98 puts it on -2..2.
PERCENTILE = 98.0

# Round scale ends, fine enough that rounding up costs at most a third of the contrast
# (1, 2, 5 alone could double the scale: 2.51 became 5).
NICE_STEPS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)

# Every activation is tried on these inputs: one whose outputs are all >= 0 here cannot
# make a negative value (ReLU, sigmoid, a leaky ReLU of slope 0), whatever its name.
_PROBE = np.array([-1e6, -100.0, -1.0, -0.01, 0.0, 0.01, 1.0, 100.0, 1e6])[None, :]

# Roles whose output is a selection or an average of their input's values (max or average
# pooling, global averages, flatten): never negative exactly when their input is not.
_KEEPS_SIGN = (POOL, GLOBAL_POOL, RESHAPE)


def nice_ceiling(value: float) -> float:
    """The smallest of NICE_STEPS x 10^k at or above value (value > 0)."""
    exponent = math.floor(math.log10(value))
    for step in NICE_STEPS:
        # Dividing by a power of ten keeps 0.6 exact where 6 * 0.1 is 0.6000000000000001.
        bound = step * 10.0**exponent if exponent >= 0 else step / 10.0**-exponent
        if bound >= value * (1 - 1e-9):
            return bound
    return 10.0 ** (exponent + 1)


def never_negative(network: Network) -> list[bool]:
    """Per layer: whether its outputs cannot be negative, read from the structure alone.

    The input (ink in [0, 1]) is not negative; an activation decides by its own range;
    pooling, global averages and flatten keep what their input is; convolutions and dense
    layers (signed weights) can be negative."""
    result = []
    before = True  # the network's input
    with np.errstate(over="ignore"):
        for layer in network.layers:
            if layer.role == ACTIVATION:
                probe = np.asarray(layer.forward(_PROBE.copy()), dtype=np.float64)
                now = bool((probe >= 0).all())
            elif layer.role in _KEEPS_SIGN:
                now = before
            else:
                now = False
            result.append(now)
            before = now
    return result


def layer_scales(network: Network, references: np.ndarray) -> list[float]:
    """Per layer: the end b of its colour scale, a round number: the scale is [0, b] for
    a layer that is ``never_negative``, [-b, b] for the others."""
    trace = network.trace(references)
    scales = []
    for step in trace.steps:
        magnitude = np.abs(step.output)
        strong = float(np.percentile(magnitude, PERCENTILE)) if magnitude.size else 0.0
        scales.append(nice_ceiling(strong) if strong > 0 else 1.0)
    return scales
