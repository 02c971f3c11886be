"""The CNN building blocks: each layer's forward pass with its backward pass right under it.

Every layer follows one small interface: ``forward(x, training)``, ``backward(d_out)``,
``params`` and ``grads`` (dicts of arrays keyed by parameter name) and
``output_shape(input_shape)`` on per-image shapes (batch dimension left out).
Arrays are batch-first: images ``(N, C, H, W)``, vectors ``(N, D)``.
"""

from __future__ import annotations

import math

import numpy as np

PADDINGS = ("valid", "same")
ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid")


class Layer:
    """Base: a layer without parameters."""

    kind = "layer"

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return input_shape

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, d_out: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def spec(self) -> dict:
        return {"type": self.kind}


def conv_output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """(n + 2p - k) / s + 1, floored; may be <= 0 when the kernel does not fit."""
    return (size + 2 * padding - kernel) // stride + 1


class Conv2D(Layer):
    """k x k convolution (cross-correlation) of C input channels into F filters.

    weight : (F, C, k, k), bias : (F,). ``padding='same'`` pads k // 2 on every side,
    which keeps the size for odd kernels at stride 1.
    """

    kind = "conv2d"

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

    def spec(self) -> dict:
        return {
            "type": self.kind,
            "filters": self.filters,
            "kernel": self.kernel,
            "stride": self.stride,
            "padding": self.padding,
        }

    def _im2col(self, x: np.ndarray) -> np.ndarray:
        """x (N, C, H, W) -> cols (k*k*C, N*Ho*Wo): one column per output pixel of the batch.

        Channels go before images (C, N, ...) so that the whole batch is a single large
        matrix product, which BLAS runs far faster than one small product per image.
        """
        n, c, h, w = x.shape
        k, s, p = self.kernel, self.stride, self.pad
        ho, wo = conv_output_size(h, k, s, p), conv_output_size(w, k, s, p)
        source = np.empty((c, n, h + 2 * p, w + 2 * p), dtype=x.dtype)
        if p:
            source[:, :, :p] = 0
            source[:, :, p + h :] = 0
            source[:, :, :, :p] = 0
            source[:, :, :, p + w :] = 0
        source[:, :, p : p + h, p : p + w] = x.transpose(1, 0, 2, 3)
        cols = np.empty((k, k, c, n, ho, wo), dtype=x.dtype)
        # A loop over the k*k kernel offsets, each a whole-batch strided copy.
        for i in range(k):
            for j in range(k):
                cols[i, j] = source[:, :, i : i + s * ho : s, j : j + s * wo : s]
        return cols.reshape(k * k * c, n * ho * wo)

    def _weight_matrix(self) -> np.ndarray:
        """weight (F, C, k, k) -> (F, k*k*C), ordered like the im2col rows."""
        return self.params["weight"].transpose(0, 2, 3, 1).reshape(self.filters, -1)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """x : (N, C, H, W) -> feature maps (N, F, Ho, Wo). Caches the im2col columns."""
        n, _, h, w = x.shape
        ho = conv_output_size(h, self.kernel, self.stride, self.pad)
        wo = conv_output_size(w, self.kernel, self.stride, self.pad)
        cols = self._im2col(x)
        out = self._weight_matrix() @ cols  # (F, k*k*C) @ (k*k*C, N*P) -> (F, N*P)
        out += self.params["bias"][:, None]
        if training:
            self._cache = (x.shape, cols)
        return np.ascontiguousarray(out.reshape(self.filters, n, ho, wo).transpose(1, 0, 2, 3))

    def backward(self, d_out: np.ndarray) -> np.ndarray | None:
        """d_out : (N, F, Ho, Wo) -> d_x (N, C, H, W); fills grads."""
        x_shape, cols = self._cache
        n, c, h, w = x_shape
        k, s, p = self.kernel, self.stride, self.pad
        _, f, ho, wo = d_out.shape
        d_flat = np.ascontiguousarray(d_out.transpose(1, 0, 2, 3)).reshape(f, n * ho * wo)
        self.grads["bias"][...] = d_flat.sum(axis=1)
        d_weight = d_flat @ cols.T  # (F, k*k*C)
        self.grads["weight"][...] = d_weight.reshape(f, k, k, c).transpose(0, 3, 1, 2)
        if not self.needs_input_grad:
            return None
        d_cols = (self._weight_matrix().T @ d_flat).reshape(k, k, c, n, ho, wo)
        d_source = np.zeros((c, n, h + 2 * p, w + 2 * p), dtype=d_out.dtype)
        for i in range(k):
            for j in range(k):
                d_source[:, :, i : i + s * ho : s, j : j + s * wo : s] += d_cols[i, j]
        return np.ascontiguousarray(d_source[:, :, p : p + h, p : p + w].transpose(1, 0, 2, 3))


class ReLU(Layer):
    """max(0, x), elementwise."""

    kind = "relu"

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Caches the mask of positive inputs."""
        if training:
            self._positive = x > 0
        return np.maximum(x, 0)

    def backward(self, d_out: np.ndarray) -> np.ndarray:
        return d_out * self._positive


class LeakyReLU(Layer):
    """x for x > 0, alpha * x otherwise."""

    kind = "leaky_relu"

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__()
        self.alpha = float(alpha)

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


class Tanh(Layer):
    kind = "tanh"

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Caches the output: d tanh = 1 - tanh^2."""
        out = np.tanh(x)
        if training:
            self._out = out
        return out

    def backward(self, d_out: np.ndarray) -> np.ndarray:
        return d_out * (1 - self._out * self._out)


class Sigmoid(Layer):
    kind = "sigmoid"

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


class MaxPool2D(Layer):
    """2x2 max pooling, stride 2; an odd last row or column is dropped (floor)."""

    kind = "maxpool2d"

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return _pool_shape(input_shape)

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
        d_x = np.zeros(x.shape, dtype=d_out.dtype)
        unclaimed = np.ones(out.shape, dtype=bool)
        won = np.empty(out.shape, dtype=bool)
        # In-place ufuncs writing straight into the strided views: no temporaries.
        for corner, d_corner in zip(self._corners(x), self._corners(d_x), strict=True):
            np.equal(corner, out, out=won)
            won &= unclaimed
            np.multiply(d_out, won, out=d_corner)
            unclaimed ^= won  # won is a subset of unclaimed: this clears exactly those
        return d_x


class AvgPool2D(Layer):
    """2x2 average pooling, stride 2; an odd last row or column is dropped (floor)."""

    kind = "avgpool2d"

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return _pool_shape(input_shape)

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


class GlobalAvgPool(Layer):
    """Mean over each whole feature map: (N, C, H, W) -> (N, C)."""

    kind = "global_avgpool"

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


class Flatten(Layer):
    """(N, C, H, W) -> (N, C*H*W), channel-major like the arrays' memory order."""

    kind = "flatten"

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (int(np.prod(input_shape)),)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Caches the input shape."""
        if training:
            self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, d_out: np.ndarray) -> np.ndarray:
        return d_out.reshape(self._shape)


class Dense(Layer):
    """Fully connected: x (N, D) @ weight (D, U) + bias (U,)."""

    kind = "dense"

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
        return d_out @ self.params["weight"].T


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
