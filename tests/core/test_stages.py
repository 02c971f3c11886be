"""A network's stages and conv blocks, as the strip and the panels lay them out."""

from __future__ import annotations

from digitpad.core.stages import ConvBlock, conv_blocks, network_stages


def test_stages_fold_activations_and_skip_flatten(default_model, classic_model):
    names = [stage.name for stage in network_stages(default_model.network)]
    assert names == [
        "input",
        "conv1 + relu",
        "maxpool1",
        "conv2 + relu",
        "maxpool2",
        "dense1 + relu",
        "dense2",
        "softmax",
    ]
    stages = network_stages(classic_model.network)
    assert [s.name for s in stages] == ["input", "conv1", "maxpool1", "dense1", "softmax"]
    assert [(s.first, s.last) for s in stages] == [(-1, -1), (0, 0), (1, 1), (3, 3), (4, 4)]
    conv = network_stages(default_model.network)[1]
    assert (conv.first, conv.last, conv.shape) == (0, 1, (32, 28, 28))
    assert "ReLU" in conv.description


def test_conv_blocks(default_model, classic_model):
    assert conv_blocks(default_model.network) == [ConvBlock(0, 1, 2), ConvBlock(3, 4, 5)]
    assert conv_blocks(classic_model.network) == [ConvBlock(0, None, 1)]
    assert 2 in ConvBlock(0, 1, 2) and 3 not in ConvBlock(0, 1, 2)
