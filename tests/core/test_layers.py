"""Layers against finite differences (float64) and against slow loop implementations."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.core import layers
from digitpad.core.layers import (
    ACTIVATION,
    ACTIVATIONS,
    CONV,
    DENSE,
    GLOBAL_POOL,
    LAYER_TYPES,
    POOL,
    RESHAPE,
    AvgPool2D,
    Conv2D,
    Dense,
    Flatten,
    GlobalAvgPool,
    Layer,
    LeakyReLU,
    MaxPool2D,
    ReLU,
    Sigmoid,
    SoftmaxCrossEntropy,
    SpecError,
    Tanh,
    conv_output_size,
    register,
)

RNG = np.random.default_rng(1234)


# -- slow, obvious reference implementations -------------------------------------------


def conv_reference(x, weight, bias, stride, pad):
    n, _, h, w = x.shape
    f, _, k, _ = weight.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ho = (h + 2 * pad - k) // stride + 1
    wo = (w + 2 * pad - k) // stride + 1
    out = np.zeros((n, f, ho, wo))
    for b in range(n):
        for o in range(f):
            for i in range(ho):
                for j in range(wo):
                    patch = xp[b, :, i * stride : i * stride + k, j * stride : j * stride + k]
                    out[b, o, i, j] = (patch * weight[o]).sum() + bias[o]
    return out


def conv_reference_backward(x, weight, d_out, stride, pad):
    n, _, h, w = x.shape
    f, _, k, _ = weight.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    d_xp = np.zeros_like(xp)
    d_w = np.zeros_like(weight)
    _, _, ho, wo = d_out.shape
    for b in range(n):
        for o in range(f):
            for i in range(ho):
                for j in range(wo):
                    rs, cs = i * stride, j * stride
                    d_w[o] += d_out[b, o, i, j] * xp[b, :, rs : rs + k, cs : cs + k]
                    d_xp[b, :, rs : rs + k, cs : cs + k] += d_out[b, o, i, j] * weight[o]
    return d_xp[:, :, pad : pad + h, pad : pad + w], d_w, d_out.sum(axis=(0, 2, 3))


def pool_reference(x, reduce):
    n, c, h, w = x.shape
    out = np.zeros((n, c, h // 2, w // 2))
    for b in range(n):
        for ch in range(c):
            for i in range(h // 2):
                for j in range(w // 2):
                    out[b, ch, i, j] = reduce(x[b, ch, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2])
    return out


def maxpool_reference_backward(x, d_out):
    d_x = np.zeros_like(x)
    n, c, ho, wo = d_out.shape
    for b in range(n):
        for ch in range(c):
            for i in range(ho):
                for j in range(wo):
                    block = x[b, ch, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2]
                    r, s = np.unravel_index(np.argmax(block), (2, 2))
                    d_x[b, ch, 2 * i + r, 2 * j + s] += d_out[b, ch, i, j]
    return d_x


CONV_CASES = [
    # (n, c, h, w, filters, kernel, stride, padding)
    (2, 1, 8, 8, 3, 3, 1, "valid"),
    (3, 2, 7, 9, 4, 3, 2, "valid"),
    (2, 3, 6, 6, 2, 3, 1, "same"),
    (1, 2, 9, 7, 3, 5, 2, "same"),
    (2, 1, 5, 5, 2, 1, 1, "valid"),
]


@pytest.mark.parametrize("n,c,h,w,f,k,s,padding", CONV_CASES)
@pytest.mark.parametrize("weight_gradient", ["per image", "whole batch"])
def test_conv_matches_loop_reference(monkeypatch, weight_gradient, n, c, h, w, f, k, s, padding):
    # Both ways of computing the weight gradient (Conv2D.backward picks by weight count).
    threshold = 10**9 if weight_gradient == "per image" else 0
    monkeypatch.setattr(layers, "SMALL_WEIGHT_GRADIENT", threshold)
    layer = Conv2D(c, f, k, s, padding, rng=RNG, dtype=np.float64)
    layer.params["bias"][:] = RNG.normal(size=f)
    x = RNG.normal(size=(n, c, h, w))
    pad = k // 2 if padding == "same" else 0
    out = layer.forward(x, training=True)
    expected = conv_reference(x, layer.params["weight"], layer.params["bias"], s, pad)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)
    d_out = RNG.normal(size=out.shape)
    d_x = layer.backward(d_out)
    ref_dx, ref_dw, ref_db = conv_reference_backward(x, layer.params["weight"], d_out, s, pad)
    np.testing.assert_allclose(d_x, ref_dx, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(layer.grads["weight"], ref_dw, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(layer.grads["bias"], ref_db, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("n,c,h,w,f,k,s,padding", CONV_CASES)
@pytest.mark.parametrize("columns", [1, 150, 10**9])
def test_conv_inference_in_chunks_matches_loop_reference(
    monkeypatch, columns, n, c, h, w, f, k, s, padding
):
    """Without training the batch goes through im2col in chunks (one image, a few, all)."""
    monkeypatch.setattr(layers, "INFERENCE_COLUMNS", columns)
    layer = Conv2D(c, f, k, s, padding, rng=RNG, dtype=np.float64)
    layer.params["bias"][:] = RNG.normal(size=f)
    x = RNG.normal(size=(n + 2, c, h, w))
    pad = k // 2 if padding == "same" else 0
    expected = conv_reference(x, layer.params["weight"], layer.params["bias"], s, pad)
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("shape", [(2, 3, 6, 6), (1, 2, 7, 5), (3, 1, 4, 8)])
@pytest.mark.parametrize("memory", ["batch-first", "channel-first", "images-innermost", "ties"])
def test_pools_match_loop_reference(shape, memory):
    x = RNG.normal(size=shape)
    if memory == "ties":  # few distinct values: most windows hold their maximum twice
        x = RNG.integers(-1, 2, size=shape).astype(np.float64)
    if memory == "channel-first":  # (C, N, H, W) in memory
        x = np.ascontiguousarray(x.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
    if memory in ("images-innermost", "ties"):  # as a convolution leaves its maps
        x = np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    pool = MaxPool2D()
    out = pool.forward(x, training=True)
    np.testing.assert_allclose(out, pool_reference(x, np.max))
    d_out = RNG.normal(size=out.shape)
    np.testing.assert_allclose(pool.backward(d_out), maxpool_reference_backward(x, d_out))
    avg = AvgPool2D()
    np.testing.assert_allclose(avg.forward(x, training=True), pool_reference(x, np.mean))


def test_maxpool_routes_ties_to_one_input():
    x = np.zeros((1, 1, 2, 2))
    pool = MaxPool2D()
    pool.forward(x, training=True)
    d_x = pool.backward(np.ones((1, 1, 1, 1)))
    assert d_x.sum() == 1.0 and d_x[0, 0, 0, 0] == 1.0


@pytest.mark.parametrize(
    "size,kernel,stride,padding,expected",
    [
        (28, 3, 1, 0, 26),
        (28, 3, 1, 1, 28),
        (28, 3, 2, 1, 14),
        (28, 5, 2, 0, 12),
        (3, 5, 1, 0, -1),
    ],
)
def test_output_size_formula(size, kernel, stride, padding, expected):
    assert conv_output_size(size, kernel, stride, padding) == expected


# -- finite-difference gradient checks --------------------------------------------------


def numeric_gradient(f, array, eps=1e-6):
    grad = np.zeros_like(array)
    it = np.nditer(array, flags=["multi_index"])
    for _ in it:
        idx = it.multi_index
        saved = array[idx]
        array[idx] = saved + eps
        plus = f()
        array[idx] = saved - eps
        minus = f()
        array[idx] = saved
        grad[idx] = (plus - minus) / (2 * eps)
    return grad


def check_layer(layer, x):
    """Compare analytic input and parameter grads of sum(out * r) with finite differences."""
    r = RNG.normal(size=layer.forward(x).shape)

    def loss():
        return float((layer.forward(x) * r).sum())

    layer.forward(x, training=True)
    d_x = layer.backward(r)
    np.testing.assert_allclose(d_x, numeric_gradient(loss, x), rtol=1e-5, atol=1e-7)
    for name, param in layer.params.items():
        layer.forward(x, training=True)
        layer.backward(r)
        analytic = layer.grads[name].copy()
        np.testing.assert_allclose(
            analytic, numeric_gradient(loss, param), rtol=1e-5, atol=1e-7, err_msg=name
        )


@pytest.mark.parametrize("n,c,h,w,f,k,s,padding", CONV_CASES)
def test_conv_gradients(n, c, h, w, f, k, s, padding):
    check_layer(
        Conv2D(c, f, k, s, padding, rng=RNG, dtype=np.float64), RNG.normal(size=(n, c, h, w))
    )


@pytest.mark.parametrize(
    "layer",
    [
        ReLU(),
        LeakyReLU(0.1),
        Tanh(),
        Sigmoid(),
        MaxPool2D(),
        AvgPool2D(),
        GlobalAvgPool(),
        Flatten(),
    ],
    ids=lambda layer: layer.kind,
)
def test_parameterless_layer_gradients(layer):
    # Offset from zero so ReLU kinks and pooling ties are not met by the finite differences.
    x = RNG.normal(size=(2, 3, 5, 6))
    x += np.sign(x) * 0.01
    check_layer(layer, x)


def test_dense_gradients():
    check_layer(Dense(7, 4, rng=RNG, dtype=np.float64), RNG.normal(size=(3, 7)))


def test_softmax_cross_entropy_gradient():
    logits = RNG.normal(size=(4, 10))
    labels = np.array([0, 3, 9, 3])
    criterion = SoftmaxCrossEntropy()
    criterion.forward(logits, labels)
    analytic = criterion.backward()
    numeric = numeric_gradient(lambda: criterion.forward(logits, labels), logits)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    criterion = SoftmaxCrossEntropy()
    loss = criterion.forward(np.array([[1e4, 0.0, -1e4]]), np.array([0]))
    assert loss == pytest.approx(0.0)
    assert np.isfinite(criterion.probabilities).all()


def test_sigmoid_does_not_overflow():
    out = Sigmoid().forward(np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_allclose(out, [0.0, 0.5, 1.0])


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"padding": "full"}, "padding"),
        ({"stride": 3}, "stride"),
        ({"kernel": 0}, "kernel"),
    ],
)
def test_conv_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Conv2D(1, 2, **kwargs)


# -- the registry ----------------------------------------------------------------------

EXAMPLE_SPECS = {
    "conv2d": (
        {"type": "conv2d", "filters": 4, "kernel": 5, "stride": 2, "padding": "same"},
        (3, 12, 12),
    ),
    "relu": ({"type": "relu"}, (3, 6, 6)),
    "leaky_relu": ({"type": "leaky_relu", "alpha": 0.2}, (3, 6, 6)),
    "tanh": ({"type": "tanh"}, (5,)),
    "sigmoid": ({"type": "sigmoid"}, (5,)),
    "maxpool2d": ({"type": "maxpool2d"}, (3, 6, 6)),
    "avgpool2d": ({"type": "avgpool2d"}, (3, 6, 6)),
    "global_avgpool": ({"type": "global_avgpool"}, (3, 6, 6)),
    "flatten": ({"type": "flatten"}, (3, 6, 6)),
    "dense": ({"type": "dense", "units": 7}, (12,)),
}


def test_every_registered_layer_has_an_example_here():
    """A new layer type must come with its tests: this list names them all."""
    assert set(LAYER_TYPES) == set(EXAMPLE_SPECS)


@pytest.mark.parametrize("kind", list(EXAMPLE_SPECS))
def test_a_layer_is_rebuilt_from_its_own_spec(kind):
    spec, shape = EXAMPLE_SPECS[kind]
    cls = LAYER_TYPES[kind]
    layer = cls.from_spec(spec, 0, shape, np.random.default_rng(0), np.float32)
    assert type(layer) is cls and layer.kind == kind
    assert layer.spec() == spec
    assert layer.role in (CONV, ACTIVATION, POOL, GLOBAL_POOL, RESHAPE, DENSE)
    assert layer.describe() and layer.label.isidentifier()
    x = RNG.normal(size=(2, *shape)).astype(np.float32)
    assert layer.forward(x).shape == (2, *layer.output_shape(shape))
    window = layer.window()
    assert window is None or (layer.role in (CONV, POOL) and len(window) == 3)


def test_labels_are_unique_so_layer_names_are():
    labels = [cls.label for cls in LAYER_TYPES.values()]
    assert len(labels) == len(set(labels))


def test_activations_are_read_from_the_registry():
    assert ACTIVATIONS == ("relu", "leaky_relu", "tanh", "sigmoid")


def test_a_type_cannot_be_registered_twice():
    class Again(Layer):
        kind = "relu"

    with pytest.raises(ValueError, match="registered twice"):
        register(Again)
    assert LAYER_TYPES["relu"] is ReLU


@pytest.mark.parametrize(
    "spec,message",
    [
        ({"type": "leaky_relu", "alpha": 1.5}, "alpha"),
        ({"type": "leaky_relu", "alpha": True}, "alpha"),
        ({"type": "conv2d", "filters": 2, "stride": True}, "stride"),
        ({"type": "conv2d", "filters": "8"}, "filters"),
        ({"type": "dense", "units": 0}, "units"),
    ],
)
def test_from_spec_refuses_bad_fields_naming_them(spec, message):
    shape = (4,) if spec["type"] == "dense" else (1, 8, 8)
    with pytest.raises(SpecError, match=f"layer 3 .*{message}"):
        LAYER_TYPES[spec["type"]].from_spec(spec, 3, shape, np.random.default_rng(0), np.float32)
