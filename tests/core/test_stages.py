"""A network's stages and conv blocks, as the strip and the panels lay them out."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.core.stages import (
    ConvBlock,
    class_names,
    conv_blocks,
    network_stages,
    readers_of_pixel,
    stage_of,
)


def test_stages_fold_activations_and_show_flatten(default_model, classic_model):
    names = [stage.name for stage in network_stages(default_model.network)]
    assert names == [
        "input",
        "conv1 + relu",
        "maxpool1",
        "conv2 + relu",
        "maxpool2",
        "flatten1",
        "dense1 + relu",
        "dense2",
        "softmax",
    ]
    stages = network_stages(classic_model.network)
    assert [s.name for s in stages] == [
        "input",
        "conv1",
        "maxpool1",
        "flatten1",
        "dense1",
        "softmax",
    ]
    assert [(s.first, s.last) for s in stages] == [
        (-1, -1),
        (0, 0),
        (1, 1),
        (2, 2),
        (3, 3),
        (4, 4),
    ]
    flatten = stages[3]
    assert flatten.shape == (1352,)  # maxpool1's 13x13x8 maps end to end
    assert "maxpool1's maps end to end as one list of 1352 numbers" in flatten.description
    assert stages[-1].shape == (10,) and "10 digits" in stages[-1].description
    conv = network_stages(default_model.network)[1]
    assert (conv.first, conv.last, conv.shape) == (0, 1, (32, 28, 28))
    assert "ReLU" in conv.description


def test_conv_blocks(default_model, classic_model):
    assert conv_blocks(default_model.network) == [ConvBlock(0, 1, 2), ConvBlock(3, 4, 5)]
    assert conv_blocks(classic_model.network) == [ConvBlock(0, None, 1)]
    assert 2 in ConvBlock(0, 1, 2) and 3 not in ConvBlock(0, 1, 2)


def test_stage_of_a_layer(default_model):
    stages = network_stages(default_model.network)
    assert stage_of(stages, -1).name == "input"
    assert stage_of(stages, 1).name == "conv1 + relu"  # the activation folded in
    assert stage_of(stages, 6).name == "flatten1"
    assert stage_of(stages, len(default_model.network.layers)).name == "softmax"
    assert stage_of(stages, 99) is None


def test_a_network_without_convolutions_flattens_the_input():
    from digitpad.core.network import Network

    spec = {
        "input_shape": [1, 28, 28],
        "layers": [{"type": "flatten"}, {"type": "dense", "units": 10}],
    }
    stages = network_stages(Network(spec))
    assert [s.name for s in stages] == ["input", "flatten1", "dense1", "softmax"]
    assert stages[1].description.startswith("lays the input's maps end to end")


def test_an_eleventh_output_is_not_a_digit():
    assert class_names(11) == [*map(str, range(10)), "not a digit"]
    assert class_names(10) == [str(d) for d in range(10)]


def changed_by(network, row: int, col: int) -> tuple[int, int, int, int] | None:
    """The slow, obvious answer: change one input pixel, see which first-layer outputs
    move."""
    rng = np.random.default_rng(0)
    image = rng.uniform(0, 1, (1, 1, 28, 28)).astype(np.float64)
    first = network.layers[0]
    before = first.forward(image.astype(np.float32)).copy()
    image[0, 0, row, col] += 1.0
    after = first.forward(image.astype(np.float32))
    moved = np.abs(after - before).max(axis=(0, 1)) > 1e-6
    rows, cols = np.flatnonzero(moved.any(axis=1)), np.flatnonzero(moved.any(axis=0))
    if rows.size == 0:
        return None
    return int(rows[0]), int(cols[0]), int(rows[-1]), int(cols[-1])


@pytest.mark.parametrize(
    "conv",
    [
        {"type": "conv2d", "filters": 3, "kernel": 3, "padding": "same"},
        {"type": "conv2d", "filters": 3, "kernel": 5, "padding": "valid"},
        {"type": "conv2d", "filters": 3, "kernel": 3, "padding": "same", "stride": 2},
        {"type": "conv2d", "filters": 3, "kernel": 5, "padding": "valid", "stride": 2},
    ],
)
def test_the_first_layer_values_that_read_a_pixel(conv):
    from digitpad.core.network import Network

    spec = {"input_shape": [1, 28, 28], "layers": [conv, {"type": "flatten"}]}
    spec["layers"].append({"type": "dense", "units": 10})
    network = Network(spec, rng=np.random.default_rng(1))
    for row, col in [(0, 0), (0, 27), (13, 14), (27, 27), (1, 26), (5, 2)]:
        assert readers_of_pixel(network, row, col) == changed_by(network, row, col), (row, col)
    assert readers_of_pixel(network, 28, 0) is None and readers_of_pixel(network, -1, 3) is None


def test_a_first_layer_without_a_window_has_no_readers_to_outline():
    from digitpad.core.network import Network

    spec = {"input_shape": [1, 28, 28], "layers": [{"type": "flatten"}]}
    spec["layers"].append({"type": "dense", "units": 10})
    assert readers_of_pixel(Network(spec), 3, 3) is None
