"""The CNN building blocks: each layer's forward pass with its backward pass right under it.

Every layer is one class that registers itself in ``LAYER_TYPES`` under its spec type and
says everything the rest of digitpad needs to know about it (see ``Layer``): adding a
layer type means one class here and its tests. Arrays are batch-first: images
``(N, C, H, W)``, vectors ``(N, D)``; shapes given without the batch are per image.
Only their memory order may differ: a convolution returns a view of its matrix
product, images innermost (``Conv2D.forward``), and the layers after it keep that order.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

PADDINGS = ("valid", "same")
# 16M float32 weights = 64 MB in one layer: far above any network that trains here in
# reasonable time, far below what would exhaust memory.
MAX_LAYER_WEIGHTS = 16_000_000
# One image's largest intermediate array, im2col included (network.py's cost limits).
MAX_VALUES_PER_IMAGE = 32_000_000
# Up to this many weights a convolution's weight gradient is summed from one matrix
# product per output row (Conv2D.backward); the default model's second convolution (18,432)
# runs as fast either way, its first (288) and classic's (72) four times faster so.
SMALL_WEIGHT_GRADIENT = 4096
# The im2col columns a convolution holds at once when not training (16 MB of float32):
# small enough to stay near the cache, large enough for fast matrix products.
INFERENCE_COLUMNS = 4_000_000

# What a layer does to the picture, for the GUI and the receptive-field arithmetic.
CONV, ACTIVATION, POOL, GLOBAL_POOL, RESHAPE, DENSE = (
    "conv",
    "activation",
    "pool",
    "global_pool",
    "reshape",
    "dense",
)


class SpecError(ValueError):
    """A network spec that cannot be built; the message names the layer at fault."""


LAYER_TYPES: dict[str, type[Layer]] = {}


def register(cls: type[Layer]) -> type[Layer]:
    """Class decorator: make a layer buildable from specs of type ``cls.kind``."""
    if cls.kind in LAYER_TYPES:
        raise ValueError(f"layer type {cls.kind!r} is registered twice")
    LAYER_TYPES[cls.kind] = cls
    return cls


def _int_field(spec: dict, key: str, index: int, default: int | None = None) -> int:
    value = spec.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise SpecError(
            f"layer {index} ({spec.get('type')}): {key} must be an integer >= 1, got {value!r}"
        )
    return value


def _check_size(index: int, kind: str, weights: int) -> None:
    """Refuse a layer before allocating it: a spec from a file must not exhaust memory."""
    if weights > MAX_LAYER_WEIGHTS:
        raise SpecError(
            f"layer {index} ({kind}) would have {weights:,} weights; the limit is "
            f"{MAX_LAYER_WEIGHTS:,}"
        )


class Layer:
    """The interface every layer follows.

    Class attributes, read by the network builder and the GUI:
      ``kind``  the spec's ``type`` (``"conv2d"``); ``label`` the short name layers are
      numbered by (``conv1``, ``conv2``); ``role`` one of CONV, ACTIVATION, POOL,
      GLOBAL_POOL, RESHAPE, DENSE; ``input_rank`` 3 for image input (C, H, W), 1 for
      vectors (D,), None for either; ``title`` the layer in words.

    Methods: ``from_spec`` builds one from its spec (raising ``SpecError``);
    ``forward(x, training)`` and ``backward(d_out)``; ``params`` and ``grads``, dicts of
    arrays keyed by parameter name; ``output_shape(input_shape)`` per image;
    ``window()`` its (kernel, stride, padding) on the picture, for receptive fields;
    ``describe()`` in words; ``spec()`` the plain data it is rebuilt from.

    Not re-entrant: ``forward(training=True)`` caches what ``backward`` needs on the
    layer itself, and ``backward`` fills its ``grads``, so no two threads may train
    through the same layer objects at once: threads sharing a batch each take a
    ``Network.replica()`` (the same parameter arrays, its own caches and grads, as
    ``training.BatchGradients`` does), a separate run takes a ``Network.copy()``.
    Plain ``forward`` stores nothing on the layer: threads may read through one network
    at once, as long as nothing updates its parameters meanwhile.
    """

    kind: ClassVar[str] = "layer"
    label: ClassVar[str] = "layer"
    role: ClassVar[str] = ACTIVATION
    input_rank: ClassVar[int | None] = None
    title: ClassVar[str] = "layer"

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    @classmethod
    def from_spec(
        cls,
        spec: dict,
        index: int,
        input_shape: tuple[int, ...],
        rng: np.random.Generator,
        dtype: type,
    ) -> Layer:
        """The layer a spec describes, for an input of ``input_shape``; SpecError if bad."""
        return cls()

    @classmethod
    def parameters_of(cls, spec: dict, index: int, input_shape: tuple[int, ...]) -> int:
        """How many parameters ``from_spec`` would allocate, asked before it does (a
        layer too large by itself raises SpecError here already)."""
        return 0

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return input_shape

    def window(self) -> tuple[int, int, int] | None:
        """(kernel, stride, padding) of a sliding window; None for elementwise layers."""
        return None

    def describe(self) -> str:
        return self.title

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, d_out: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def spec(self) -> dict:
        return {"type": self.kind}


def conv_output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """(n + 2p - k) / s + 1, floored; may be <= 0 when the kernel does not fit."""
    return (size + 2 * padding - kernel) // stride + 1


@register
class Conv2D(Layer):
    """k x k convolution (cross-correlation) of C input channels into F filters.

    weight : (F, C, k, k), bias : (F,). ``padding='same'`` pads k // 2 on every side,
    which keeps the size for odd kernels at stride 1.
    """

    kind, label, role, input_rank, title = "conv2d", "conv", CONV, 3, "convolution"

    @classmethod
    def from_spec(cls, spec, index, input_shape, rng, dtype) -> Conv2D:
        padding = spec.get("padding", "valid")
        if padding not in PADDINGS:
            raise SpecError(
                f"layer {index} (conv2d): padding must be one of {PADDINGS}, got {padding!r}"
            )
        stride = spec.get("stride", 1)
        if stride not in (1, 2) or isinstance(stride, bool):
            raise SpecError(f"layer {index} (conv2d): stride must be 1 or 2, got {stride!r}")
        filters = _int_field(spec, "filters", index)
        kernel = _int_field(spec, "kernel", index, 3)
        _check_size(index, "conv2d", filters * input_shape[0] * kernel * kernel)
        # What one image will cost, before the weights exist: its im2col and its output.
        pad = kernel // 2 if padding == "same" else 0
        size = max(0, conv_output_size(input_shape[1], kernel, stride, pad))
        values = max(size * size * input_shape[0] * kernel * kernel, size * size * filters)
        if values > MAX_VALUES_PER_IMAGE:
            raise SpecError(
                f"layer {index} (conv2d) would make {values:,} values in one intermediate "
                f"array for each image; the limit is {MAX_VALUES_PER_IMAGE:,}"
            )
        return cls(input_shape[0], filters, kernel, stride, padding, rng=rng, dtype=dtype)

    @classmethod
    def parameters_of(cls, spec: dict, index: int, input_shape: tuple[int, ...]) -> int:
        filters = _int_field(spec, "filters", index)
        kernel = _int_field(spec, "kernel", index, 3)
        _check_size(index, "conv2d", filters * input_shape[0] * kernel * kernel)
        return filters * (input_shape[0] * kernel * kernel + 1)

    def __init__(
        self,
        in_channels: int,
        filters: int,
        kernel: int = 3,
        stride: int = 1,
        padding: str = "valid",
        rng: np.random.Generator | None = None,
        dtype: type = np.float32,
    ) -> None:
        super().__init__()
        if padding not in PADDINGS:
            raise ValueError(f"conv2d padding must be one of {PADDINGS}, got {padding!r}")
        if stride not in (1, 2):
            raise ValueError(f"conv2d stride must be 1 or 2, got {stride!r}")
        if kernel < 1 or filters < 1 or in_channels < 1:
            raise ValueError(
                f"conv2d needs kernel, filters and channels >= 1, got {kernel}, {filters}, "
                f"{in_channels}"
            )
        self.in_channels, self.filters, self.kernel = in_channels, filters, kernel
        self.stride, self.padding = stride, padding
        self.pad = kernel // 2 if padding == "same" else 0
        rng = rng if rng is not None else np.random.default_rng(0)
        fan_in = in_channels * kernel * kernel
        weight = rng.normal(0.0, math.sqrt(2.0 / fan_in), (filters, in_channels, kernel, kernel))
        self.params = {
            "weight": weight.astype(dtype),
            "bias": np.zeros(filters, dtype=dtype),
        }
        self.grads = {name: np.zeros_like(p) for name, p in self.params.items()}
        # The first layer's input gradient is never used; skipping it saves a col2im.
        self.needs_input_grad = True

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        _, h, w = input_shape
        return (
            self.filters,
            conv_output_size(h, self.kernel, self.stride, self.pad),
            conv_output_size(w, self.kernel, self.stride, self.pad),
        )

    def window(self) -> tuple[int, int, int]:
        return (self.kernel, self.stride, self.pad)

    def describe(self) -> str:
        return (
            f"conv {self.kernel}×{self.kernel}, {self.filters} filters, stride "
            f"{self.stride}, {self.padding} padding"
        )

    def spec(self) -> dict:
        return {
            "type": self.kind,
            "filters": self.filters,
            "kernel": self.kernel,
            "stride": self.stride,
            "padding": self.padding,
        }

    def _im2col(self, x: np.ndarray) -> np.ndarray:
        """x (N, C, H, W) -> cols (C*k*k, Ho*Wo*N): one column per output pixel of the batch.

        The whole batch is a single large matrix product, which BLAS runs far faster than
        one small product per image. Images are innermost in memory, (C, H, W, N): each of
        the k*k shifted copies below then moves runs of Wo*N values, not rows of Wo.
        """
        n, c, h, w = x.shape
        k, s, p = self.kernel, self.stride, self.pad
        ho, wo = conv_output_size(h, k, s, p), conv_output_size(w, k, s, p)
        source = np.empty((c, h + 2 * p, w + 2 * p, n), dtype=x.dtype)
        if p:
            source[:, :p] = 0
            source[:, p + h :] = 0
            source[:, :, :p] = 0
            source[:, :, p + w :] = 0
        source[:, p : p + h, p : p + w] = x.transpose(1, 2, 3, 0)
        # Rows ordered (C, k, k) like the weights' own memory, so that the weight matrix
        # is a view of them, not a copy.
        cols = np.empty((c, k, k, ho, wo, n), dtype=x.dtype)
        # A loop over the k*k kernel offsets, each a whole-batch strided copy.
        for i in range(k):
            for j in range(k):
                cols[:, i, j] = source[:, i : i + s * ho : s, j : j + s * wo : s]
        return cols.reshape(c * k * k, ho * wo * n)

    def _weight_matrix(self) -> np.ndarray:
        """weight (F, C, k, k) -> (F, C*k*k), ordered like the im2col rows (a view)."""
        return self.params["weight"].reshape(self.filters, -1)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """x : (N, C, H, W) -> feature maps (N, F, Ho, Wo). Caches the im2col columns.

        Without training a large batch goes through im2col in chunks of at most
        ``INFERENCE_COLUMNS`` values, so reading thousands of images never holds all their
        columns at once (they are k*k times the input).
        """
        n, c, h, w = x.shape
        ho = conv_output_size(h, self.kernel, self.stride, self.pad)
        wo = conv_output_size(w, self.kernel, self.stride, self.pad)
        weights = self._weight_matrix()
        per_chunk = max(1, INFERENCE_COLUMNS // (c * self.kernel**2 * ho * wo))
        if training or n <= per_chunk:
            cols = self._im2col(x)
            out = weights @ cols  # (F, C*k*k) @ (C*k*k, Ho*Wo*N) -> (F, Ho*Wo*N)
        else:
            out = np.empty((self.filters, ho, wo, n), dtype=np.result_type(x, weights))
            for start in range(0, n, per_chunk):
                part = x[start : start + per_chunk]
                products = weights @ self._im2col(part)
                out[..., start : start + len(part)] = products.reshape(self.filters, ho, wo, -1)
            out = out.reshape(self.filters, -1)
        out += self.params["bias"][:, None]
        if training:
            self._cache = (x.shape, cols)
        # A view, not a copy: the maps keep the matrix product's memory order
        # (F, Ho, Wo, N), which elementwise layers and pooling preserve (NumPy's ufuncs
        # keep their input's memory order) and the next convolution's im2col reads in
        # long runs. Pooling's strided views, too, then step over whole runs of N images.
        return out.reshape(self.filters, ho, wo, n).transpose(3, 0, 1, 2)

    def backward(self, d_out: np.ndarray) -> np.ndarray | None:
        """d_out : (N, F, Ho, Wo) -> d_x (N, C, H, W); fills grads."""
        x_shape, cols = self._cache
        n, c, h, w = x_shape
        k, s, p = self.kernel, self.stride, self.pad
        _, f, ho, wo = d_out.shape
        # No copy when d_out is (F, Ho, Wo, N) in memory, as forward's output and every
        # gradient shaped like it are.
        d_flat = np.ascontiguousarray(d_out.transpose(1, 2, 3, 0)).reshape(f, ho * wo * n)
        self.grads["bias"][...] = d_flat.sum(axis=1)
        if f * k * k * c <= SMALL_WEIGHT_GRADIENT:
            # The sum of one product per output row: BLAS runs a product this skinny over
            # the whole batch's pixels (inner dimension Ho*Wo*N, 43,264 for classic at
            # batch 64) four to five times slower than Ho products of Wo*N.
            rows = cols.reshape(-1, ho, wo * n).transpose(1, 0, 2)  # (Ho, C*k*k, Wo*N)
            d_rows = d_flat.reshape(f, ho, wo * n).transpose(1, 2, 0)  # (Ho, Wo*N, F)
            d_weight = np.matmul(rows, d_rows).sum(axis=0)  # (C*k*k, F)
        else:
            # (C*k*k, Ho*Wo*N) @ (Ho*Wo*N, F): ~5 % faster than d_flat @ cols.T in BLAS.
            d_weight = cols @ d_flat.T  # (C*k*k, F)
        self.grads["weight"][...] = d_weight.T.reshape(f, c, k, k)
        if not self.needs_input_grad:
            return None
        d_cols = (self._weight_matrix().T @ d_flat).reshape(c, k, k, ho, wo, n)
        d_source = np.zeros((c, h + 2 * p, w + 2 * p, n), dtype=d_out.dtype)
        for i in range(k):
            for j in range(k):
                d_source[:, i : i + s * ho : s, j : j + s * wo : s] += d_cols[:, i, j]
        # A view in forward's memory order, (C, H, W, N).
        return d_source[:, p : p + h, p : p + w].transpose(3, 0, 1, 2)


@register
class ReLU(Layer):
    """max(0, x), elementwise."""

    kind, label, title = "relu", "relu", "ReLU"

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Caches the mask of positive inputs."""
        if training:
            self._positive = x > 0
        return np.maximum(x, 0)

    def backward(self, d_out: np.ndarray) -> np.ndarray:
        return d_out * self._positive


@register
class LeakyReLU(Layer):
    """x for x > 0, alpha * x otherwise."""

    kind, label, title = "leaky_relu", "lrelu", "leaky ReLU"

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__()
        self.alpha = float(alpha)

    @classmethod
    def from_spec(cls, spec, index, input_shape, rng, dtype) -> LeakyReLU:
        alpha = spec.get("alpha", 0.01)
        if not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or not 0 <= alpha < 1:
            raise SpecError(f"layer {index} (leaky_relu): alpha must be in [0, 1), got {alpha!r}")
        return cls(alpha)

    def spec(self) -> dict:
        return {"type": self.kind, "alpha": self.alpha}

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Caches the per-element slope."""
        slope = np.where(x > 0, 1.0, self.alpha).astype(x.dtype)
        if training:
            self._slope = slope
        return x * slope

    def backward(self, d_out: np.ndarray) -> np.ndarray:
        return d_out * self._slope


@register
class Tanh(Layer):
    kind, label, title = "tanh", "tanh", "tanh"

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Caches the output: d tanh = 1 - tanh^2."""
        out = np.tanh(x)
        if training:
            self._out = out
        return out

    def backward(self, d_out: np.ndarray) -> np.ndarray:
        return d_out * (1 - self._out * self._out)


@register
class Sigmoid(Layer):
    kind, label, title = "sigmoid", "sigmoid", "sigmoid"

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Caches the output: d sigmoid = s (1 - s)."""
        # Split by sign so exp never overflows.
        e = np.exp(-np.abs(x))
        out = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)
        if training:
            self._out = out
        return out

    def backward(self, d_out: np.ndarray) -> np.ndarray:
        return d_out * self._out * (1 - self._out)


def _pool_shape(input_shape: tuple[int, ...]) -> tuple[int, ...]:
    c, h, w = input_shape
    return (c, h // 2, w // 2)


@register
class MaxPool2D(Layer):
    """2x2 max pooling, stride 2; an odd last row or column is dropped (floor)."""

    kind, label, role, input_rank = "maxpool2d", "maxpool", POOL, 3
    title = "2×2 max pooling"

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return _pool_shape(input_shape)

    def window(self) -> tuple[int, int, int]:
        return (2, 2, 0)

    @staticmethod
    def _corners(x: np.ndarray) -> list[np.ndarray]:
        """The four strided views of x: top-left, top-right, bottom-left, bottom-right."""
        ho, wo = x.shape[2] // 2, x.shape[3] // 2
        return [x[:, :, i : 2 * ho : 2, j : 2 * wo : 2] for i in (0, 1) for j in (0, 1)]

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """x : (N, C, H, W) -> pooled (N, C, H//2, W//2). Caches x and the output."""
        # Pairwise maxima of strided views beat a reduction over small reshaped axes.
        tl, tr, bl, br = self._corners(x)
        out = np.maximum(np.maximum(tl, tr), np.maximum(bl, br))
        if training:
            self._cache = (x, out)
        return out

    def backward(self, d_out: np.ndarray) -> np.ndarray:
        """Routes each gradient to the one input that won (the first on ties)."""
        x, out = self._cache
        # Every array here follows x's memory order (images innermost after a convolution):
        # ufuncs over arrays of mixed orders run several times slower.
        d_x = np.empty_like(x, dtype=d_out.dtype)
        d_x[:, :, 2 * out.shape[2] :] = 0  # an odd last row or column gets no gradient
        d_x[:, :, :, 2 * out.shape[3] :] = 0
        unclaimed = np.ones_like(out, dtype=bool)
        won = np.empty_like(out, dtype=bool)
        # In-place ufuncs writing straight into the strided views: no temporaries. Each
        # corner's view is written whole (zeros where it lost), so d_x needs no zero fill.
        corners = list(zip(self._corners(x), self._corners(d_x), strict=True))
        for corner, d_corner in corners[:3]:
            np.equal(corner, out, out=won)
            won &= unclaimed
            np.multiply(d_out, won, out=d_corner)
            unclaimed ^= won  # won is a subset of unclaimed: this clears exactly those
        # Whatever the first three left unclaimed the last corner won (it holds the max).
        np.multiply(d_out, unclaimed, out=corners[3][1])
        return d_x


@register
class AvgPool2D(Layer):
    """2x2 average pooling, stride 2; an odd last row or column is dropped (floor)."""

    kind, label, role, input_rank = "avgpool2d", "avgpool", POOL, 3
    title = "2×2 average pooling"

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return _pool_shape(input_shape)

    def window(self) -> tuple[int, int, int]:
        return (2, 2, 0)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """x : (N, C, H, W) -> pooled (N, C, H//2, W//2). Caches the input shape."""
        n, c, h, w = x.shape
        ho, wo = h // 2, w // 2
        if training:
            self._shape = x.shape
        blocks = x[:, :, : 2 * ho, : 2 * wo].reshape(n, c, ho, 2, wo, 2)
        return blocks.mean(axis=(3, 5), dtype=x.dtype)

    def backward(self, d_out: np.ndarray) -> np.ndarray:
        n, c, h, w = self._shape
        ho, wo = h // 2, w // 2
        d_x = np.zeros((n, c, h, w), dtype=d_out.dtype)
        share = np.repeat(np.repeat(d_out * 0.25, 2, axis=2), 2, axis=3)
        d_x[:, :, : 2 * ho, : 2 * wo] = share
        return d_x


@register
class GlobalAvgPool(Layer):
    """Mean over each whole feature map: (N, C, H, W) -> (N, C)."""

    kind, label, role, input_rank = "global_avgpool", "gap", GLOBAL_POOL, 3
    title = "global average pooling"

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (input_shape[0],)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Caches the input shape."""
        if training:
            self._shape = x.shape
        return x.mean(axis=(2, 3), dtype=x.dtype)

    def backward(self, d_out: np.ndarray) -> np.ndarray:
        n, c, h, w = self._shape
        return np.broadcast_to((d_out / (h * w))[:, :, None, None], (n, c, h, w)).copy()


@register
class Flatten(Layer):
    """(N, C, H, W) -> (N, C*H*W), channel-major like the arrays' memory order."""

    kind, label, role, input_rank, title = "flatten", "flatten", RESHAPE, 3, "flatten"

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (int(np.prod(input_shape)),)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Caches x (a reference, for its shape and memory order)."""
        if training:
            self._x = x
        return x.reshape(x.shape[0], -1)  # a view even with images innermost in memory

    def backward(self, d_out: np.ndarray) -> np.ndarray:
        """d_out (N, D) -> d_x (N, C, H, W) in x's memory order, which the pooling
        backward before it then reads in step (mixed orders run several times slower)."""
        d_x = np.empty_like(self._x, dtype=d_out.dtype)
        d_x[...] = d_out.reshape(self._x.shape)
        return d_x


@register
class Dense(Layer):
    """Fully connected: x (N, D) @ weight (D, U) + bias (U,)."""

    kind, label, role, input_rank, title = "dense", "dense", DENSE, 1, "dense"

    @classmethod
    def from_spec(cls, spec, index, input_shape, rng, dtype) -> Dense:
        units = _int_field(spec, "units", index)
        _check_size(index, "dense", units * input_shape[0])
        return cls(input_shape[0], units, rng=rng, dtype=dtype)

    @classmethod
    def parameters_of(cls, spec: dict, index: int, input_shape: tuple[int, ...]) -> int:
        units = _int_field(spec, "units", index)
        _check_size(index, "dense", units * input_shape[0])
        return units * (input_shape[0] + 1)

    def describe(self) -> str:
        return f"dense, {self.units} units"

    def __init__(
        self,
        in_features: int,
        units: int,
        rng: np.random.Generator | None = None,
        dtype: type = np.float32,
    ) -> None:
        super().__init__()
        if units < 1 or in_features < 1:
            raise ValueError(f"dense needs units and inputs >= 1, got {units}, {in_features}")
        self.in_features, self.units = in_features, units
        rng = rng if rng is not None else np.random.default_rng(0)
        weight = rng.normal(0.0, math.sqrt(2.0 / in_features), (in_features, units))
        self.params = {"weight": weight.astype(dtype), "bias": np.zeros(units, dtype=dtype)}
        self.grads = {name: np.zeros_like(p) for name, p in self.params.items()}

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (self.units,)

    def spec(self) -> dict:
        return {"type": self.kind, "units": self.units}

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """x : (N, D) -> (N, U). Caches x."""
        if training:
            self._x = x
        return x @ self.params["weight"] + self.params["bias"]

    def backward(self, d_out: np.ndarray) -> np.ndarray:
        """d_out : (N, U) -> d_x (N, D); fills grads."""
        self.grads["weight"][...] = self._x.T @ d_out
        self.grads["bias"][...] = d_out.sum(axis=0)
        # (D, U) @ (U, N), returned as its transposed view: BLAS runs this product faster
        # than d_out @ weight.T (0.43 -> 0.29 ms for the default model's 3,136 x 128 at a
        # batch of 32), and images innermost is the memory order a convolution's maps
        # have, which Flatten's backward then copies in order.
        return (self.params["weight"] @ d_out.T).T


# The spec types of the elementwise activations, in registration order.
ACTIVATIONS = tuple(kind for kind, cls in LAYER_TYPES.items() if cls.role == ACTIVATION)


def softmax(logits: np.ndarray) -> np.ndarray:
    """logits (N, K) -> probabilities (N, K), shifted by the row max for stability."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


class SoftmaxCrossEntropy:
    """Softmax over the logits with the mean cross-entropy against integer labels."""

    def forward(self, logits: np.ndarray, labels: np.ndarray) -> float:
        """logits (N, K), labels (N,) int -> mean loss. Caches the probabilities."""
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        log_probs = shifted - log_norm
        self._probabilities = np.exp(log_probs)
        self._labels = labels
        return float(-log_probs[np.arange(len(labels)), labels].mean())

    @property
    def probabilities(self) -> np.ndarray:
        return self._probabilities

    def backward(self) -> np.ndarray:
        """-> d_logits (N, K) = (p - onehot) / N."""
        d_logits = self._probabilities.copy()
        d_logits[np.arange(len(self._labels)), self._labels] -= 1
        return d_logits / len(self._labels)
