"""Building networks from specs, shapes, trace and a whole-network gradient check."""

from __future__ import annotations

import json

import numpy as np
import pytest

from digitpad.core.bundled import CLASSIC, DEFAULT
from digitpad.core.layers import SoftmaxCrossEntropy
from digitpad.core.network import Network, SpecError

from .test_layers import numeric_gradient


def test_classic_shapes_follow_the_tutorial():
    net = Network(CLASSIC.spec())
    assert [shape for _, shape, _ in net.summary()] == [
        (1, 28, 28),
        (8, 26, 26),
        (8, 13, 13),
        (1352,),
        (10,),
    ]
    assert net.parameter_count == 8 * 9 + 8 + 1352 * 10 + 10


def test_default_shapes_and_spec_is_json():
    net = Network(DEFAULT.spec())
    assert net.shapes[0] == (32, 28, 28)
    assert net.shapes[2] == (32, 14, 14)
    assert net.shapes[5] == (64, 7, 7)
    assert json.loads(json.dumps(net.spec)) == net.spec


def test_every_layer_kind_builds_and_runs():
    spec = {
        "layers": [
            {"type": "conv2d", "filters": 4, "kernel": 5, "stride": 2, "padding": "same"},
            {"type": "leaky_relu", "alpha": 0.1},
            {"type": "avgpool2d"},
            {"type": "conv2d", "filters": 6, "kernel": 3},
            {"type": "tanh"},
            {"type": "maxpool2d"},
            {"type": "conv2d", "filters": 10, "kernel": 1},
            {"type": "sigmoid"},
            {"type": "global_avgpool"},
            {"type": "dense", "units": 10},
        ]
    }
    net = Network(spec)
    assert net.shapes[0] == (4, 14, 14)
    assert net.shapes[3] == (6, 5, 5)
    probabilities = net.predict(np.random.default_rng(0).random((3, 28, 28)))
    assert probabilities.shape == (3, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize(
    "layers,message",
    [
        ([], "at least one layer"),
        ([{"type": "conv3d"}], "unknown type"),
        ([{"type": "dense", "units": 10}], "flatten"),
        ([{"type": "conv2d", "filters": 0}], "filters"),
        ([{"type": "conv2d", "filters": 2, "padding": "full"}], "padding"),
        ([{"type": "conv2d", "filters": 2, "kernel": 29}], "layer 0 .*below 1x1"),
        ([{"type": "flatten"}, {"type": "dense", "units": 10**9}], "would have 784,000,000,000"),
        ([{"type": "conv2d", "filters": 10**6, "kernel": 5}], "layer 0 .*would have"),
        (
            [
                {"type": "conv2d", "filters": 4, "kernel": 3},
                {"type": "flatten"},
                {"type": "dense", "units": 7},
            ],
            "10 class scores",
        ),
        (
            [{"type": "maxpool2d"}] * 5 + [{"type": "flatten"}, {"type": "dense", "units": 10}],
            "layer 4 .*below 1x1",
        ),
    ],
)
def test_bad_specs_are_refused_naming_the_layer(layers, message):
    with pytest.raises(SpecError, match=message):
        Network({"layers": layers})


def test_trace_gives_every_intermediate():
    net = Network(DEFAULT.spec())
    image = np.random.default_rng(0).random((28, 28)).astype(np.float32)
    trace = net.trace(image)
    assert [step.name for step in trace.steps] == [
        "conv1",
        "relu1",
        "maxpool1",
        "conv2",
        "relu2",
        "maxpool2",
        "flatten1",
        "dense1",
        "relu3",
        "dense2",
    ]
    assert trace.steps[0].output.shape == (1, 32, 28, 28)
    assert trace.steps[1].output.min() >= 0
    np.testing.assert_allclose(trace.probabilities, net.predict(image), rtol=1e-6)
    assert trace.logits.shape == (1, 10)


def test_whole_network_gradient_check_float64():
    spec = {
        "layers": [
            {"type": "conv2d", "filters": 2, "kernel": 3, "padding": "same"},
            {"type": "relu"},
            {"type": "maxpool2d"},
            {"type": "conv2d", "filters": 3, "kernel": 3, "stride": 2},
            {"type": "tanh"},
            {"type": "flatten"},
            {"type": "dense", "units": 10},
        ]
    }
    net = Network(spec, np.random.default_rng(3), dtype=np.float64)
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 1, 28, 28))
    labels = np.array([3, 7])
    criterion = SoftmaxCrossEntropy()

    def loss():
        return criterion.forward(net.forward(x), labels)

    criterion.forward(net.forward(x, training=True), labels)
    net.backward(criterion.backward())
    grads = {k: v.copy() for k, v in net.named_grads().items()}
    for name, param in net.named_params().items():
        if param.size > 60:  # check a random sample of a big weight's entries
            flat = param.reshape(-1)
            picks = rng.choice(flat.size, 40, replace=False)
            for index in picks:
                saved = flat[index]
                flat[index] = saved + 1e-6
                plus = loss()
                flat[index] = saved - 1e-6
                minus = loss()
                flat[index] = saved
                numeric = (plus - minus) / 2e-6
                assert grads[name].reshape(-1)[index] == pytest.approx(
                    numeric, rel=1e-4, abs=1e-8
                ), name
        else:
            np.testing.assert_allclose(
                grads[name], numeric_gradient(loss, param), rtol=1e-4, atol=1e-8, err_msg=name
            )


def _grads_in_order(net, layers, x, labels):
    criterion = SoftmaxCrossEntropy()
    out = x
    for layer in layers:
        out = layer.forward(out, training=True)
    loss = criterion.forward(out, labels)
    d = criterion.backward()
    for layer in reversed(layers):
        d = layer.backward(d)
        if d is None:
            break
    return loss, out, {k: v.copy() for k, v in net.named_grads().items()}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pooling_before_relu_gives_the_spec_orders_results_exactly(dtype):
    net = Network(DEFAULT.spec(), np.random.default_rng(5), dtype=dtype)
    assert net.run_order != net.layers  # both ReLU + max-pool pairs are swapped
    assert [type(layer).__name__ for layer in net.run_order[:3]] == ["Conv2D", "MaxPool2D", "ReLU"]
    rng = np.random.default_rng(6)
    x = rng.normal(size=(4, 1, 28, 28)).astype(dtype)
    # Ties: blank regions make every window of conv1's output equal to its bias (its
    # biases are set positive here), and a blank image makes whole maps tie.
    x[:, :, :10] = 0
    x[1] = 0
    for layer in net.layers:
        if "bias" in layer.params:
            layer.params["bias"][...] = rng.uniform(-0.1, 0.1, layer.params["bias"].shape)
    net.layers[0].params["bias"][:4] = 0.05
    labels = np.array([1, 2, 3, 4])
    spec_loss, spec_logits, spec_grads = _grads_in_order(net, net.layers, x, labels)
    run_loss, run_logits, run_grads = _grads_in_order(net, net.run_order, x, labels)
    assert run_loss == spec_loss
    np.testing.assert_array_equal(run_logits, spec_logits)
    for name, grad in spec_grads.items():
        np.testing.assert_array_equal(run_grads[name], grad, err_msg=name)


def test_copy_is_independent():
    net = Network(CLASSIC.spec())
    twin = net.copy()
    twin.named_params()["0.weight"][...] = 0
    assert np.abs(net.named_params()["0.weight"]).sum() > 0


def test_predict_rejects_wrong_shapes():
    with pytest.raises(ValueError, match="28, 28"):
        Network(CLASSIC.spec()).predict(np.zeros((2, 27, 28)))


def test_receptive_field_arithmetic():
    net = Network(CLASSIC.spec())
    assert net.receptive_field(0, 0, 0) == (0, 0, 2, 2)  # conv 3x3 valid
    assert net.receptive_field(0, 5, 7) == (5, 7, 7, 9)
    assert net.receptive_field(1, 0, 0) == (0, 0, 3, 3)  # pool doubles the step
    assert net.receptive_field(1, 12, 12) == (24, 24, 27, 27)
    assert net.receptive_field(3, 0, 0) == (0, 0, 27, 27)  # dense sees everything
    deep = Network(DEFAULT.spec())
    assert deep.receptive_field(0, 0, 0) == (0, 0, 1, 1)  # same padding: clipped at the edge
    assert deep.receptive_field(0, 10, 10) == (9, 9, 11, 11)
    assert deep.receptive_field(3, 3, 3) == (3, 3, 10, 10)  # 4 + 2*2 = 8 pixels wide


def test_receptive_field_matches_gradient_support():
    """The pixels whose change can move an output pixel are exactly its field."""
    net = Network(DEFAULT.spec(), np.random.default_rng(0), dtype=np.float64)
    for layer_index, (row, col) in [(0, (5, 6)), (2, (3, 4)), (3, (6, 2)), (5, (2, 3))]:
        x = np.random.default_rng(1).random((1, 1, 28, 28))
        out = x
        for layer in net.layers[: layer_index + 1]:
            out = layer.forward(out, training=True)
        d = np.zeros_like(out)
        d[0, :, row, col] = 1.0
        for layer in reversed(net.layers[: layer_index + 1]):
            layer.needs_input_grad = True
            d = layer.backward(d)
        rows, cols = np.nonzero(np.abs(d[0, 0]) > 0)
        top, left, bottom, right = net.receptive_field(layer_index, row, col)
        assert rows.min() >= top and rows.max() <= bottom
        assert cols.min() >= left and cols.max() <= right
