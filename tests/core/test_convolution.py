"""The animated convolution's numbers are the network's own: every filter of every conv
layer, slid position by position, rebuilds the trace's feature map."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.core.architectures import ConvChoice, custom_spec
from digitpad.core.convolution import conv_layers, sweep
from digitpad.core.network import Network
from digitpad.core.reference import reference_inputs


@pytest.fixture(scope="module")
def drawings() -> np.ndarray:
    return reference_inputs()  # ten digits drawn as pen strokes, as the canvas draws them


def slow_sweep(source: np.ndarray, weights: np.ndarray, bias: float, stride: int, pad: int):
    """The obvious loops: the reference the vectorised sweep is checked against."""
    c, h, w = source.shape
    k = weights.shape[-1]
    padded = np.zeros((c, h + 2 * pad, w + 2 * pad))
    padded[:, pad : pad + h, pad : pad + w] = source
    out_h = (h + 2 * pad - k) // stride + 1
    out_w = (w + 2 * pad - k) // stride + 1
    out = np.zeros((out_h, out_w))
    for row in range(out_h):
        for col in range(out_w):
            window = padded[:, row * stride : row * stride + k, col * stride : col * stride + k]
            out[row, col] = float((window * weights).sum()) + bias
    return out


@pytest.mark.parametrize("model", ["default_model", "classic_model"])
def test_every_filter_rebuilds_the_traces_feature_map(request, model, drawings):
    network = request.getfixturevalue(model).network
    layers = conv_layers(network)
    assert layers == ([0, 3] if model == "default_model" else [0])
    for drawing in drawings[:3]:
        trace = network.trace(drawing)
        for layer in layers:
            expected = trace.steps[layer].output[0]
            for filter in range(expected.shape[0]):
                made = sweep(network, trace, layer, filter)
                # What the animation shows once it has run to its end.
                np.testing.assert_allclose(
                    made.filled(made.positions), expected[filter], atol=1e-5, rtol=0
                )
                np.testing.assert_allclose(made.output, expected[filter], atol=1e-5, rtol=0)


def test_each_position_adds_up_to_its_value(default_model, drawings):
    network = default_model.network
    trace = network.trace(drawings[4])
    made = sweep(network, trace, 3, 17)  # conv2: 32 pooled maps in, 'same' padding
    assert made.channels == 32 and (made.height, made.width) == (14, 14)
    assert made.name == "conv2" and made.padded.shape == (32, 16, 16)
    for index in (0, 13, 14 * 6 + 7, made.positions - 1):
        position = made.at(index)
        assert position.inputs.shape == position.products.shape == (32, 3, 3)
        np.testing.assert_allclose(position.products, position.inputs * made.weights)
        assert position.channel_sums.sum() + made.bias == pytest.approx(position.value)
        assert position.value == pytest.approx(
            float(trace.steps[3].output[0, 17, position.row, position.col]), abs=1e-5
        )
        # Each channel's share of the value is that channel's map at the position.
        np.testing.assert_allclose(
            position.channel_sums, made.channel_maps[:, position.row, position.col]
        )
    corner = made.at(0)
    assert (corner.top, corner.left) == (0, 0)
    assert not corner.inputs[:, 0, :].any() and not corner.inputs[:, :, 0].any()  # padding
    # The window of conv2 at (row, col) covers pooled rows row-1..row+1 (zero outside).
    middle = made.at(made.index_of(6, 7))
    np.testing.assert_array_equal(
        middle.inputs, trace.steps[2].output[0][:, 5:8, 6:9].astype(np.float64)
    )


def test_the_map_fills_in_reading_order(classic_model, drawings):
    network = classic_model.network
    made = sweep(network, network.trace(drawings[7]), 0, 5)
    assert (made.height, made.width, made.positions) == (26, 26, 676)  # 'valid' padding
    partial = made.filled(30)
    assert np.isfinite(partial.reshape(-1)[:30]).all()
    assert np.isnan(partial.reshape(-1)[30:]).all()
    np.testing.assert_array_equal(partial[0], made.output[0])  # the first row, whole
    assert partial[1, 3] == made.output[1, 3] and np.isnan(partial[1, 4])
    assert np.isnan(made.filled(0)).all()
    channel = made.filled(made.positions, channel=0)
    np.testing.assert_allclose(channel + made.bias, made.output)  # one input channel


def test_a_vectorised_sweep_matches_the_obvious_loops_with_stride_two():
    rng = np.random.default_rng(3)
    for choice in (
        ConvChoice(4, kernel=5, stride=2, padding="valid"),
        ConvChoice(3, kernel=3, stride=2, padding="same"),
    ):
        network = Network(custom_spec([choice, ConvChoice(2, kernel=3)]), rng=rng)
        image = rng.random((28, 28)).astype(np.float32)
        trace = network.trace(image)
        for layer in conv_layers(network):
            conv = network.layers[layer]
            made = sweep(network, trace, layer, 1)
            slow = slow_sweep(made.source, made.weights, made.bias, conv.stride, conv.pad)
            np.testing.assert_allclose(made.output, slow, atol=1e-9)
            np.testing.assert_allclose(made.output, trace.steps[layer].output[0, 1], atol=1e-5)
            last = made.at(made.positions - 1)
            assert last.value == pytest.approx(slow[-1, -1])


def test_refusals_name_the_layer_and_the_value(default_model, drawings):
    network = default_model.network
    trace = network.trace(drawings[0])
    with pytest.raises(ValueError, match="layer 1 is not a convolution"):
        sweep(network, trace, 1, 0)
    with pytest.raises(ValueError, match="conv1 has 32 filters; there is no filter 33"):
        sweep(network, trace, 0, 32)
    made = sweep(network, trace, 0, 0)
    with pytest.raises(ValueError, match="position 784 is outside 0..783"):
        made.at(784)
    with pytest.raises(ValueError, match=r"\(28, 0\) is outside its 28x28 map"):
        made.index_of(28, 0)
