"""Every number the detail view shows adds up to what the network itself computed."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.core.architectures import ConvChoice, custom_spec
from digitpad.core.bundled import CLASSIC, DEFAULT
from digitpad.core.explain import (
    ActivationStep,
    ConvStep,
    PoolStep,
    explain_conv,
    explain_dense,
    explain_pool,
    explain_softmax,
    follow,
    number,
)
from digitpad.core.model_io import load_model
from digitpad.core.network import Network

RNG = np.random.default_rng(7)


def digit_like() -> np.ndarray:
    image = np.zeros((28, 28), np.float32)
    image[4:24, 12:16] = 1.0  # a bar
    image[4:8, 8:20] = 0.7  # and a bar across
    return image


@pytest.fixture(scope="module")
def default():
    network = load_model(DEFAULT.path).network
    return network, network.trace(digit_like())


@pytest.fixture(scope="module")
def classic():
    network = load_model(CLASSIC.path).network
    return network, network.trace(digit_like())


def test_a_conv1_value_is_its_window_times_the_filter_plus_bias(default):
    network, trace = default
    for channel, row, col in [(0, 10, 13), (5, 0, 0), (31, 27, 27), (12, 4, 9)]:
        step = explain_conv(network, trace, 0, channel, row, col)
        assert step.inputs.shape == step.weights.shape == (1, 3, 3)
        assert step.products.sum() + step.bias == pytest.approx(step.value, abs=1e-5)
        assert step.value == trace.steps[0].output[0, channel, row, col]
        # 'same' padding: the window starts one pixel up and left, zeros outside.
        assert (step.top, step.left) == (row - 1, col - 1)
    corner = explain_conv(network, trace, 0, 5, 0, 0)
    assert corner.inputs[0, 0].tolist() == [0, 0, 0] and corner.inputs[0, :, 0].tolist() == [0] * 3


def test_a_conv2_value_sums_its_channel_contributions(default):
    network, trace = default
    step = explain_conv(network, trace, 3, 17, 6, 7)
    assert step.inputs.shape == (32, 3, 3)
    assert step.channel_sums.shape == (32,)
    assert step.channel_sums.sum() + step.bias == pytest.approx(step.value, abs=1e-5)
    assert step.value == trace.steps[3].output[0, 17, 6, 7]


def test_stride_two_valid_padding(classic):
    network = Network(custom_spec([ConvChoice(4, kernel=5, stride=2, padding="valid")]))
    trace = network.trace(digit_like())
    step = explain_conv(network, trace, 0, 2, 5, 7)
    assert (step.top, step.left) == (10, 14)
    np.testing.assert_array_equal(step.inputs[0], digit_like()[10:15, 14:19])
    assert step.products.sum() + step.bias == pytest.approx(step.value, abs=1e-5)


def test_following_a_value_through_relu_and_max_pooling(default):
    network, trace = default
    steps = follow(network, trace, 0, 3, 9, 13)
    conv, relu, pool = steps
    assert isinstance(conv, ConvStep) and isinstance(relu, ActivationStep)
    assert isinstance(pool, PoolStep) and (pool.row, pool.col) == (4, 6)
    assert relu.before == conv.value and relu.after == max(conv.value, 0.0)
    assert pool.values[1, 1] == pytest.approx(relu.after)  # (9, 13) is the window's corner
    assert pool.followed == (1, 1)  # and the cell the panel outlines
    assert pool.value == pool.values.max() == trace.steps[2].output[0, 3, 4, 6]
    i, j = pool.winner
    assert pool.values[i, j] == pool.value


def test_following_back_from_a_pooled_value_goes_through_the_winner(default):
    network, trace = default
    conv, relu, pool = follow(network, trace, 5, 40, 3, 3)  # maxpool2
    i, j = pool.winner
    assert (conv.row, conv.col) == (6 + i, 6 + j) and conv.layer == 3
    assert relu.after == pytest.approx(pool.value)
    assert pool.followed == pool.winner  # the way back, outlined


def test_numbers_are_written_one_way():
    assert [number(v) for v in (-0.0, -0.0004, 0.0, 2 / 3, -2 / 3, 12.5)] == [
        "0.000",
        "0.000",
        "0.000",
        "+0.667",
        "-0.667",
        "+12.500",
    ]


def test_classic_has_no_activation_in_its_block(classic):
    network, trace = classic
    steps = follow(network, trace, 0, 2, 10, 10)
    assert [type(s) for s in steps] == [ConvStep, PoolStep]
    with pytest.raises(ValueError, match="not in a conv block"):
        follow(network, trace, 3, 0, 0, 0)


def test_average_pooling_and_an_odd_map():
    network = Network(custom_spec([ConvChoice(3, kernel=2, pool="average")]))  # 27x27 -> 13
    trace = network.trace(digit_like())
    step = explain_pool(network, trace, 2, 1, 5, 6)
    assert step.winner is None and step.value == pytest.approx(step.values.mean(), abs=1e-6)
    assert len(follow(network, trace, 0, 1, 26, 26)) == 2  # row 26 is dropped by pooling


def test_a_dense_value_and_its_largest_inputs(default):
    network, trace = default
    step = explain_dense(network, trace, 7, 5)
    assert step.inputs.shape == (3136,)
    assert step.products.sum() + step.bias == pytest.approx(step.value, rel=1e-5, abs=1e-4)
    top = step.order[:5]
    assert np.all(np.abs(step.products[top]) >= np.abs(step.products[step.order[5]]))
    logits = explain_dense(network, trace, 9, 3)
    assert logits.value == pytest.approx(float(trace.logits[0, 3]))


def test_softmax_from_the_real_logits(default):
    _, trace = default
    step = explain_softmax(trace)
    np.testing.assert_allclose(step.shifted_exps / step.total, step.probabilities, rtol=1e-5)
    assert step.order[0] == int(trace.probabilities[0].argmax())
    assert step.probabilities.sum() == pytest.approx(1.0, abs=1e-6)
    # Calibrated: the shares come from the logits divided by the temperature.
    np.testing.assert_allclose(step.scaled, step.logits / trace.temperature)
    assert step.temperature == trace.temperature != 1.0


def test_asking_the_wrong_layer_says_so(default):
    network, trace = default
    with pytest.raises(ValueError, match="not a convolution"):
        explain_conv(network, trace, 1, 0, 0, 0)
    with pytest.raises(ValueError, match="not a dense"):
        explain_dense(network, trace, 0, 0)
