"""`digitpad bench`: forward latency and training throughput, beside PyTorch when present.

PyTorch is only ever imported here, only if it is installed, and only to build the
same architecture from the same spec and time it in the same run.
"""

from __future__ import annotations

import importlib.util
import math
import os
import platform
import statistics
import time

import numpy as np

from digitpad.core.bundled import RECIPES
from digitpad.core.data import DatasetError, find_mnist_dir, load_split
from digitpad.core.layers import Conv2D, Dense
from digitpad.core.model_io import load_model
from digitpad.core.network import INPUT_SHAPE, Network, layer_cost
from digitpad.core.training import BatchGradients, Optimizer, TrainConfig

ROUNDS = 3


def _median_ms(call, repeats: int) -> float:
    """Median wall time of ``call()`` in milliseconds, after 20 warm-up calls."""
    for _ in range(20):
        call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def matmul_gflops(size: int = 512, repeats: int = 30) -> float:
    """What this machine can do: the float32 rate of a size x size matrix product on
    BLAS's threads, its fastest of ``repeats`` (the least disturbed by other work)."""
    rng = np.random.default_rng(0)
    a, b = rng.random((2, size, size), dtype=np.float32)
    for _ in range(5):
        a @ b
    fastest = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        fastest = min(fastest, time.perf_counter() - start)
    return 2 * size**3 / fastest / 1e9


def training_flops(network: Network) -> int:
    """Floating-point operations to train on one image: forward, then backward twice the
    forward's products for every convolution and dense layer (weights' and inputs'
    gradients; the first layer's input gradient is skipped) and once the rest's."""
    total = 0
    shape = INPUT_SHAPE
    for index, (layer, out_shape) in enumerate(zip(network.layers, network.shapes, strict=True)):
        flops = layer_cost(layer, shape, out_shape)[1]
        products = isinstance(layer, (Conv2D, Dense))
        total += flops * (1 + (2 if products and index > 0 else 1))
        shape = out_shape
    return total


def _timed_steps(step, batch_size: int, seconds: float) -> float:
    """Run step() for about `seconds` after a warm-up; images per second."""
    for _ in range(2):
        step()
    count = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        count += 1
    return count * batch_size / (time.perf_counter() - start)


def numpy_train_step(
    spec: dict, images: np.ndarray, labels: np.ndarray, batch_size: int, workers: int = 1
):
    """One optimisation step of our network on a fixed batch, as a callable (and the
    BatchGradients to close after it), as ``training.train`` runs it with ``workers``."""
    network = Network(spec, np.random.default_rng(0))
    optimizer = Optimizer(network, TrainConfig(batch_size=batch_size))
    gradients = BatchGradients(network, workers)
    x, y = images[:batch_size, None], labels[:batch_size].astype(np.intp)

    def step() -> None:
        gradients(x, y)
        optimizer.step(1e-3, gradients)

    return step, gradients


def torch_model(spec: dict):
    """The same architecture in PyTorch, built layer by layer from the spec."""
    import torch.nn as nn

    modules = []
    channels, features = 1, None
    for layer in spec["layers"]:
        kind = layer["type"]
        if kind == "conv2d":
            k = layer.get("kernel", 3)
            modules.append(
                nn.Conv2d(
                    channels,
                    layer["filters"],
                    k,
                    layer.get("stride", 1),
                    k // 2 if layer.get("padding") == "same" else 0,
                )
            )
            channels = layer["filters"]
        elif kind == "dense":
            modules.append(
                nn.LazyLinear(layer["units"])
                if features is None
                else nn.Linear(features, layer["units"])
            )
            features = layer["units"]
        elif kind == "leaky_relu":
            modules.append(nn.LeakyReLU(layer.get("alpha", 0.01)))
        elif kind == "global_avgpool":
            modules.append(nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten()))
        else:
            modules.append(
                {
                    "relu": nn.ReLU(),
                    "tanh": nn.Tanh(),
                    "sigmoid": nn.Sigmoid(),
                    "maxpool2d": nn.MaxPool2d(2),
                    "avgpool2d": nn.AvgPool2d(2),
                    "flatten": nn.Flatten(),
                }[kind]
            )
    return nn.Sequential(*modules)


def torch_train_step(spec: dict, images: np.ndarray, labels: np.ndarray, batch_size: int):
    """The same step in PyTorch on the CPU, as a callable."""
    import torch

    model = torch_model(spec)
    x = torch.from_numpy(np.ascontiguousarray(images[:batch_size, None]))
    y = torch.from_numpy(labels[:batch_size].astype(np.int64))
    model(x)  # materialise lazy layers before the optimiser sees the parameters
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step() -> None:
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()

    return step


def torch_predict(network: Network, image: np.ndarray):
    """PyTorch's version of ``network.predict`` on one (28, 28) float32 image, with the
    same weights, as a callable returning probabilities (1, 10)."""
    import torch

    model = torch_model(network.spec)
    model(torch.zeros((1, *INPUT_SHAPE)))  # materialise lazy layers
    modules = [m for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    layers = [layer for layer in network.layers if isinstance(layer, (Conv2D, Dense))]
    with torch.no_grad():
        for module, layer in zip(modules, layers, strict=True):
            weight = layer.params["weight"]
            module.weight.copy_(torch.from_numpy(weight if module.weight.ndim == 4 else weight.T))
            module.bias.copy_(torch.from_numpy(layer.params["bias"]))
    model.eval()
    temperature = float(network.temperature)

    def predict():
        with torch.inference_mode():
            x = torch.from_numpy(image).reshape(1, *INPUT_SHAPE)
            return torch.softmax(model(x) / temperature, dim=1)

    return predict


def _alternated(calls: dict, measure, rounds: int = ROUNDS) -> dict[str, float]:
    """Each call measured ``rounds`` times, the calls taking turns, and each one's median,
    so that a burst of load from elsewhere on a shared machine does not land on one only."""
    figures: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            figures[name].append(measure(call))
    return {name: statistics.median(values) for name, values in figures.items()}


def run(
    batch_size: int = 64, seconds: float = 3.0, data: str | None = None, workers: int | None = None
) -> dict:
    """Every figure `digitpad bench` prints, as plain data, for every bundled model.

    NumPy trains with ``workers`` threads (``training.BatchGradients``; default: one per
    core, as many as PyTorch's threads), PyTorch with its default threads.
    """
    try:
        split = load_split(find_mnist_dir(data), "train")
        images, labels, source = split.as_float()[:1024], split.labels[:1024], "mnist"
    except DatasetError:
        if data is not None:  # asked for: say it is not there, never measure other data
            raise
        rng = np.random.default_rng(0)
        images = rng.random((1024, 28, 28), dtype=np.float32)
        labels, source = rng.integers(0, 10, 1024), "random (MNIST not found)"
    has_torch = importlib.util.find_spec("torch") is not None
    workers = workers or os.cpu_count() or 1
    result: dict = {
        "forward_latency_ms": {},
        "torch_forward_latency_ms": None,
        "train_images_per_s": {},
        "torch_train_images_per_s": None,
        "ratio": None,
        "train_flops_per_image": {},
        "forward_flops_per_image": {},
        "matmul_gflops": matmul_gflops(),
        "machine_limit_images_per_s": {},
        "fraction_of_machine": {},
        "torch_fraction_of_machine": None,
        "batch_size": batch_size,
        "workers": workers,
        "data": source,
        "machine": f"{platform.machine()}, {platform.system()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, NumPy {np.__version__}",
    }
    if has_torch:
        import torch

        result["torch_forward_latency_ms"] = {}
        result["torch_train_images_per_s"], result["ratio"] = {}, {}
        result["torch_fraction_of_machine"] = {}
        result["machine"] += f", PyTorch {torch.__version__} ({torch.get_num_threads()} threads)"
    for name, recipe in RECIPES.items():
        network = load_model(recipe.path).network
        calls = {"numpy": lambda network=network: network.predict(images[0])}
        if has_torch:
            calls["torch"] = torch_predict(network, images[0])
        latency = _alternated(calls, lambda call: _median_ms(call, 100))
        result["forward_latency_ms"][name] = latency["numpy"]
        if has_torch:
            result["torch_forward_latency_ms"][name] = latency["torch"]
    for arch, recipe in RECIPES.items():
        spec = recipe.spec()
        network = Network(spec)
        flops = training_flops(network)
        result["train_flops_per_image"][arch] = flops
        result["forward_flops_per_image"][arch] = network.flops_per_image
        limit = result["matmul_gflops"] * 1e9 / flops
        result["machine_limit_images_per_s"][arch] = limit
        step, gradients = numpy_train_step(spec, images, labels, batch_size, workers)
        steps = {"numpy": step}
        if has_torch:
            steps["torch"] = torch_train_step(spec, images, labels, batch_size)
        with gradients:
            rates = _alternated(
                steps, lambda call: _timed_steps(call, batch_size, seconds / ROUNDS)
            )
        result["train_images_per_s"][arch] = rates["numpy"]
        result["fraction_of_machine"][arch] = rates["numpy"] / limit
        if has_torch:
            result["torch_train_images_per_s"][arch] = rates["torch"]
            result["ratio"][arch] = rates["numpy"] / rates["torch"]
            result["torch_fraction_of_machine"][arch] = rates["torch"] / limit
    return result
