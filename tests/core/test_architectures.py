"""Custom network specs from the retrain dialog's choices."""

from __future__ import annotations

import pytest

from digitpad.core.architectures import ConvChoice, custom_spec
from digitpad.core.bundled import CLASSIC
from digitpad.core.network import Network, SpecError


def test_the_classic_network_is_one_custom_choice():
    spec = custom_spec([ConvChoice(8, activation=None, pool="max")], dense_units=None)
    assert spec == CLASSIC.spec()


def test_blocks_pooling_and_dense_layer():
    spec = custom_spec(
        [ConvChoice(4, 5, 2, "same", "tanh", "average"), ConvChoice(6, pool=None)],
        global_pool=True,
        dense_units=16,
    )
    kinds = [layer["type"] for layer in spec["layers"]]
    assert kinds == [
        "conv2d",
        "tanh",
        "avgpool2d",
        "conv2d",
        "relu",
        "global_avgpool",
        "dense",
        "relu",
        "dense",
    ]
    network = Network(spec)
    assert network.shapes[0] == (4, 14, 14) and network.shapes[-1] == (10,)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"padding": "full"}, "padding"),
        ({"activation": "swish"}, "activation"),
        ({"pool": "min"}, "pool"),
    ],
)
def test_bad_choices_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ConvChoice(4, **kwargs)


def test_a_network_that_shrinks_too_far_is_refused_by_the_network():
    spec = custom_spec([ConvChoice(4, kernel=9, stride=2)] * 3)
    with pytest.raises(SpecError, match="below 1x1"):
        Network(spec)
