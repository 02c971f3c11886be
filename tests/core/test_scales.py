"""Colour scales: from 0 exactly where the structure rules negative values out, and round
ends that keep the maps' contrast."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.core.architectures import ConvChoice, custom_spec
from digitpad.core.network import Network
from digitpad.core.scales import PERCENTILE, layer_scales, never_negative, nice_ceiling


def spec_of(*layers: dict) -> dict:
    return {"layers": [*layers, {"type": "flatten"}, {"type": "dense", "units": 10}]}


CONV = {"type": "conv2d", "filters": 2, "kernel": 3}


@pytest.mark.parametrize(
    ("layers", "expected"),
    [
        # The default shape: conv, relu, max pooling.
        ((CONV, {"type": "relu"}, {"type": "maxpool2d"}), [False, True, True]),
        # tanh and a leaky ReLU can be negative, and so can pooling of them.
        ((CONV, {"type": "tanh"}, {"type": "maxpool2d"}), [False, False, False]),
        ((CONV, {"type": "leaky_relu", "alpha": 0.1}, {"type": "avgpool2d"}), [False] * 3),
        # A sigmoid's values lie in (0, 1); a leaky ReLU of slope 0 is a ReLU.
        ((CONV, {"type": "sigmoid"}, {"type": "avgpool2d"}), [False, True, True]),
        ((CONV, {"type": "leaky_relu", "alpha": 0.0}), [False, True]),
        # Pooling the input (ink in 0..1) first: nothing negative until the convolution.
        (({"type": "avgpool2d"}, CONV, {"type": "maxpool2d"}), [True, False, False]),
    ],
)
def test_never_negative_follows_the_structure(layers, expected):
    network = Network(spec_of(*layers), np.random.default_rng(0))
    # Flatten keeps its input's sign; the dense layer (the logits) is signed.
    assert never_negative(network) == [*expected, expected[-1], False]


def test_a_retrain_dialog_network_with_global_pooling():
    spec = custom_spec(
        [ConvChoice(4, activation="tanh"), ConvChoice(4, pool="average")],
        global_pool=True,
        dense_units=8,
    )
    network = Network(spec, np.random.default_rng(0))
    signs = dict(zip(network.names, never_negative(network), strict=True))
    assert signs["tanh1"] is False and signs["maxpool1"] is False
    assert signs["relu1"] is True and signs["avgpool1"] is True and signs["gap1"] is True
    assert signs["dense1"] is False and signs["relu2"] is True


@pytest.mark.parametrize(
    ("value", "ceiling"), [(2.51, 3.0), (1.6, 2.0), (1.04, 1.2), (0.82, 1.0), (14.3, 15.0)]
)
def test_nice_ceilings_cost_little_contrast(value, ceiling):
    assert nice_ceiling(value) == pytest.approx(ceiling)
    assert value <= nice_ceiling(value) <= value * 1.34


def test_a_scale_ends_at_a_round_number_just_above_the_percentile():
    spec = spec_of(CONV, {"type": "relu"}, {"type": "maxpool2d"})
    network = Network(spec, np.random.default_rng(1))
    references = np.random.default_rng(2).random((6, 28, 28)).astype(np.float32)
    scales = layer_scales(network, references)
    trace = network.trace(references)
    for bound, step in zip(scales, trace.steps, strict=True):
        strong = float(np.percentile(np.abs(step.output), PERCENTILE))
        assert strong <= bound <= strong * 1.34
