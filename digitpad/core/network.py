"""A network built from a plain-data spec: forward, backward, predict and trace.

A spec is JSON-serialisable: ``{"input_shape": [1, 28, 28], "layers": [{"type": ...}, ...]}``.
The last layer must produce the ten class logits; softmax is applied by ``predict``
and by the loss, never stored as a layer. ``predict`` and ``trace`` divide the logits by
the network's ``temperature`` first (1 unless calibrated: ``calibration.py``); training's
loss never does.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from digitpad.core.layers import (
    DENSE,
    GLOBAL_POOL,
    LAYER_TYPES,
    MAX_LAYER_WEIGHTS,
    MAX_VALUES_PER_IMAGE,
    RESHAPE,
    Conv2D,
    Layer,
    MaxPool2D,
    ReLU,
    SpecError,
    softmax,
)

__all__ = [
    "INPUT_SHAPE",
    "MAX_LAYER_WEIGHTS",
    "NOT_A_DIGIT",
    "NUM_CLASSES",
    "Network",
    "SpecError",
    "Trace",
]

# The temperatures a network may divide its logits by (calibration.py): far outside what
# fitting gives (about 0.5-3); beyond them every answer would read 10 % or 100 %.
MIN_TEMPERATURE, MAX_TEMPERATURE = 0.05, 20.0
NUM_CLASSES = 10
# A network may have one output more than the ten digits: "not a digit", trained on
# letters and doodles (outliers.py). Its label, and its index among the outputs.
NOT_A_DIGIT = NUM_CLASSES
OUTPUT_COUNTS = (NUM_CLASSES, NUM_CLASSES + 1)
INPUT_SHAPE = (1, 28, 28)

# What one network may cost, checked while it is built, before its first image: a model
# file is data, and data must not exhaust memory or time. Far above anything the Retrain
# dialog builds (the default model: 8 layers, 421,642 parameters, 8.5 M FLOPs an image).
MAX_LAYERS = 64
MAX_PARAMETERS = 20_000_000  # 80 MB of float32 weights in all
MAX_FLOPS_PER_IMAGE = 2_000_000_000
# Images per forward pass when predicting many (benchmarks/predict_memory.py): the default
# model's 10,000 test digits peak at about 130 MB of RSS in chunks of 256, 410 MB in
# chunks of 1,000, and read no slower (the chunk's arrays stay nearer the cache).
PREDICT_BATCH = 256


def layer_cost(
    layer: Layer, input_shape: tuple[int, ...], output_shape: tuple[int, ...]
) -> tuple[int, int]:
    """(largest array it makes for one image, in values; FLOPs for one image)."""
    out = int(np.prod(output_shape))
    if isinstance(layer, Conv2D):
        cols = output_shape[1] * output_shape[2] * input_shape[0] * layer.kernel**2
        return max(cols, out), 2 * cols * layer.filters
    if layer.role == DENSE:
        return out, 2 * int(np.prod(input_shape)) * out
    return out, int(np.prod(input_shape))


def _build_layer(
    spec: dict,
    index: int,
    shape: tuple[int, ...],
    rng: np.random.Generator,
    dtype: type,
    parameters_left: int,
) -> Layer:
    """The registered layer class for ``spec["type"]``, checked against its input shape
    and, before its weights are allocated, against the parameters the network has left."""
    if not isinstance(spec, dict):
        raise SpecError(f"layer {index}: expected an object, got {type(spec).__name__}")
    kind = spec.get("type")
    cls = LAYER_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise SpecError(f"layer {index}: unknown type {kind!r} (known: {', '.join(LAYER_TYPES)})")
    if cls.input_rank == 3 and len(shape) != 3:
        raise SpecError(f"layer {index} ({kind}) needs an image input, got shape {shape}")
    if cls.input_rank == 1 and len(shape) != 1:
        raise SpecError(f"layer {index} ({kind}) needs a flat input; add a flatten layer first")
    if cls.parameters_of(spec, index, shape) > parameters_left:
        raise SpecError(
            f"layer {index} ({kind}) takes the network past {MAX_PARAMETERS:,} parameters in all"
        )
    return cls.from_spec(spec, index, shape, rng, dtype)


def pooling_before_relu(layers: list[Layer]) -> list[Layer]:
    """The layers in the order forward and backward run them: each ReLU directly followed
    by a 2x2 max pooling swapped with it.

    The two commute exactly, max(relu(a), relu(b)) = relu(max(a, b)), and so do their
    gradients, ties included (a window whose maximum is <= 0 passes no gradient either
    way; otherwise both route it to the first input holding the maximum), so pooling first
    leaves the ReLU a quarter of the values. ``trace`` keeps the spec's order: it shows
    each layer's own output.
    """
    order = list(layers)
    for i in range(len(order) - 1):
        if type(order[i]) is ReLU and type(order[i + 1]) is MaxPool2D:
            order[i], order[i + 1] = order[i + 1], order[i]
    return order


@dataclass(frozen=True)
class TraceStep:
    """One layer's output for the traced images: name like 'conv1', its spec, its array."""

    name: str
    spec: dict
    output: np.ndarray


@dataclass(frozen=True)
class Trace:
    """Every intermediate of a forward pass, in order, plus the digits' logits and
    probabilities. ``scores`` is the last layer's whole output: the ten digits' logits and,
    in a network that knows non-digits, the "not a digit" score after them."""

    input: np.ndarray
    steps: list[TraceStep]
    logits: np.ndarray  # (N, 10)
    probabilities: np.ndarray  # softmax(logits / temperature): the digits' shares
    temperature: float = 1.0

    @property
    def scores(self) -> np.ndarray:
        return self.steps[-1].output


class Network:
    """A feed-forward CNN; ``spec`` is kept verbatim so it can be saved and rebuilt."""

    def __init__(
        self,
        spec: dict,
        rng: np.random.Generator | None = None,
        dtype: type = np.float32,
    ) -> None:
        if not isinstance(spec, dict) or not isinstance(spec.get("layers"), list):
            raise SpecError("a network spec must be an object with a 'layers' list")
        if not spec["layers"]:
            raise SpecError("a network spec needs at least one layer")
        if len(spec["layers"]) > MAX_LAYERS:
            raise SpecError(
                f"a network spec may have at most {MAX_LAYERS} layers, got {len(spec['layers'])}"
            )
        input_shape = spec.get("input_shape", list(INPUT_SHAPE))
        if list(input_shape) != list(INPUT_SHAPE):
            raise SpecError(f"input_shape must be {list(INPUT_SHAPE)}, got {input_shape!r}")
        rng = rng if rng is not None else np.random.default_rng(0)
        self._temperature = 1.0
        self.spec = {"input_shape": list(INPUT_SHAPE), "layers": copy.deepcopy(spec["layers"])}
        self.dtype = dtype
        self.layers: list[Layer] = []
        self.names: list[str] = []
        self.shapes: list[tuple[int, ...]] = []
        counts: dict[str, int] = {}
        shape: tuple[int, ...] = INPUT_SHAPE
        parameters = flops = 0
        for index, layer_spec in enumerate(self.spec["layers"]):
            # Weights and a convolution's intermediate arrays are checked before they
            # exist; the operations as each layer is added (they allocate nothing).
            layer = _build_layer(layer_spec, index, shape, rng, dtype, MAX_PARAMETERS - parameters)
            counts[layer.label] = counts.get(layer.label, 0) + 1
            name = f"{layer.label}{counts[layer.label]}"
            input_shape, shape = shape, layer.output_shape(shape)
            if min(shape) < 1:
                size = "×".join(str(v) for v in shape[1:]) if len(shape) == 3 else str(shape)
                raise SpecError(
                    f"layer {index} ({name}) shrinks the map to {size}: below 1x1; use a "
                    "smaller kernel or stride, 'same' padding, or less pooling before it"
                )
            values, layer_flops = layer_cost(layer, input_shape, shape)
            parameters += sum(p.size for p in layer.params.values())
            flops += layer_flops
            for what, amount, limit in (
                ("values in one intermediate array", values, MAX_VALUES_PER_IMAGE),
                ("operations for one image", flops, MAX_FLOPS_PER_IMAGE),
            ):
                if amount > limit:
                    raise SpecError(
                        f"layer {index} ({name}) takes the network to {amount:,} {what}; "
                        f"the limit is {limit:,}"
                    )
            self.layers.append(layer)
            self.names.append(name)
            self.shapes.append(shape)
        if len(shape) != 1 or shape[0] not in OUTPUT_COUNTS:
            raise SpecError(
                f"the last layer must output {NUM_CLASSES} class scores (or "
                f"{NUM_CLASSES + 1}: the digits and 'not a digit'), got {shape}"
            )
        self.outputs = shape[0]
        self.flops_per_image = flops  # forward pass, for one image
        first = self.layers[0]
        if isinstance(first, Conv2D):
            first.needs_input_grad = False
        self.run_order = pooling_before_relu(self.layers)

    @property
    def temperature(self) -> float:
        """What the logits are divided by before softmax when predicting (calibration.py)."""
        return self._temperature

    @temperature.setter
    def temperature(self, value: float) -> None:
        if not (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and MIN_TEMPERATURE <= value <= MAX_TEMPERATURE
        ):
            raise ValueError(
                f"temperature must be a number from {MIN_TEMPERATURE} to {MAX_TEMPERATURE}, "
                f"got {value!r}"
            )
        self._temperature = float(value)

    # -- introspection -------------------------------------------------------------------

    @property
    def knows_non_digits(self) -> bool:
        """True when the network has the "not a digit" output (``NOT_A_DIGIT``)."""
        return self.outputs > NUM_CLASSES

    @property
    def parameter_count(self) -> int:
        return sum(p.size for layer in self.layers for p in layer.params.values())

    def summary(self) -> list[tuple[str, tuple[int, ...], int]]:
        """(name, output shape, parameter count) per layer, input first."""
        rows = [("input", INPUT_SHAPE, 0)]
        for name, shape, layer in zip(self.names, self.shapes, self.layers, strict=True):
            rows.append((name, shape, sum(p.size for p in layer.params.values())))
        return rows

    def receptive_field(self, layer_index: int, row: int, col: int) -> tuple[int, int, int, int]:
        """The input pixels one output pixel of layer ``layer_index`` sees.

        Returns (top, left, bottom, right), inclusive and clipped to the 28x28 input,
        by the usual arithmetic: each conv or pool layer of kernel k and stride s grows
        the field by (k - 1) * jump and multiplies the jump by s.
        """
        size, jump, start = 1, 1, 0.0  # field size, step between pixels, first centre
        for layer in self.layers[: layer_index + 1]:
            if layer.role in (GLOBAL_POOL, RESHAPE, DENSE):
                # From here on every value depends on the whole input.
                return (0, 0, INPUT_SHAPE[1] - 1, INPUT_SHAPE[2] - 1)
            window = layer.window()
            if window is None:
                continue
            k, s, p = window
            start += ((k - 1) / 2 - p) * jump
            size += (k - 1) * jump
            jump *= s
        half = (size - 1) / 2
        last_r, last_c = INPUT_SHAPE[1] - 1, INPUT_SHAPE[2] - 1
        centre_r, centre_c = start + row * jump, start + col * jump
        return (
            max(0, int(np.ceil(centre_r - half))),
            max(0, int(np.ceil(centre_c - half))),
            min(last_r, int(np.floor(centre_r + half))),
            min(last_c, int(np.floor(centre_c + half))),
        )

    def named_params(self) -> dict[str, np.ndarray]:
        """'<layer index>.<param>' -> array, the names used in model files."""
        return {
            f"{index}.{key}": value
            for index, layer in enumerate(self.layers)
            for key, value in layer.params.items()
        }

    def named_grads(self) -> dict[str, np.ndarray]:
        return {
            f"{index}.{key}": value
            for index, layer in enumerate(self.layers)
            for key, value in layer.grads.items()
        }

    def set_params(self, arrays: dict[str, np.ndarray]) -> None:
        """Copy arrays (same names and shapes as ``named_params``) into the layers."""
        for name, target in self.named_params().items():
            target[...] = arrays[name]

    def copy(self) -> Network:
        twin = Network(self.spec, dtype=self.dtype)
        twin.set_params(self.named_params())
        twin.temperature = self.temperature
        return twin

    def replica(self) -> Network:
        """A network sharing this one's parameter arrays (not copies: an update to either
        is an update to both) with its own grads and caches, so that another thread can
        run forward and backward on it at the same time (``training.BatchGradients``)."""
        twin = Network(self.spec, dtype=self.dtype)
        for mine, theirs in zip(self.layers, twin.layers, strict=True):
            theirs.params = mine.params
        twin.temperature = self.temperature
        return twin

    # -- computation -----------------------------------------------------------------------

    def _as_batch(self, images: np.ndarray) -> np.ndarray:
        """(28, 28), (N, 28, 28) or (N, 1, 28, 28) -> (N, 1, 28, 28) in the network dtype."""
        x = np.asarray(images, dtype=self.dtype)
        if x.ndim == 2:
            x = x[None, None]
        elif x.ndim == 3:
            x = x[:, None]
        if x.ndim != 4 or x.shape[1:] != INPUT_SHAPE:
            raise ValueError(f"expected images of shape (N, 1, 28, 28), got {np.shape(images)}")
        return x

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """x : (N, 1, 28, 28) -> the last layer's output (N, ``outputs``): the ten digits'
        logits and, in a network that knows non-digits, its "not a digit" score;
        training=True caches for backward."""
        for layer in self.run_order:
            x = layer.forward(x, training)
        return x

    def backward(self, d_logits: np.ndarray) -> None:
        """d_logits : (N, ``outputs``); fills every layer's grads."""
        d = d_logits
        for layer in reversed(self.run_order):
            d = layer.backward(d)
            if d is None:
                break

    def scores(self, images: np.ndarray, batch_size: int = PREDICT_BATCH) -> np.ndarray:
        """images -> the last layer's output (N, ``outputs``), in chunks to bound memory."""
        x = self._as_batch(images)
        parts = [
            self.forward(x[start : start + batch_size]) for start in range(0, len(x), batch_size)
        ]
        return np.concatenate(parts) if parts else np.zeros((0, self.outputs), self.dtype)

    def logits(self, images: np.ndarray, batch_size: int = PREDICT_BATCH) -> np.ndarray:
        """images -> the ten digits' logits (N, 10), in chunks to bound memory."""
        return self.scores(images, batch_size)[:, :NUM_CLASSES]

    def predict(self, images: np.ndarray, batch_size: int = PREDICT_BATCH) -> np.ndarray:
        """images -> the digits' probabilities (N, 10), in chunks to bound memory: which
        digit the drawing looks most like. (Whether it is a digit at all is
        ``familiarity.familiarity`` of its ``scores``.)"""
        return softmax(self.logits(images, batch_size) / self.dtype(self.temperature))

    def trace(self, images: np.ndarray) -> Trace:
        """Every layer's output (conv maps before and after their activation, pooled maps...)."""
        x = self._as_batch(images)
        steps = []
        out = x
        for name, layer in zip(self.names, self.layers, strict=True):
            out = layer.forward(out)
            # Layers may return views with images innermost in memory (layers.py); what callers
            # keep is a plain (N, C, H, W) array (no copy for one image).
            steps.append(TraceStep(name, layer.spec(), np.ascontiguousarray(out)))
        logits = out[:, :NUM_CLASSES]
        probabilities = softmax(logits / self.dtype(self.temperature))
        return Trace(x, steps, logits, probabilities, self.temperature)
