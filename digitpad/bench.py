"""`digitpad bench`: forward latency and training throughput, beside PyTorch when present.

PyTorch is only ever imported here, only if it is installed, and only to build the
same architecture from the same spec and time it in the same run.
"""

from __future__ import annotations

import importlib.util
import platform
import statistics
import time

import numpy as np

from digitpad.core.bundled import RECIPES
from digitpad.core.data import DatasetError, find_mnist_dir, load_split
from digitpad.core.layers import SoftmaxCrossEntropy
from digitpad.core.model_io import load_model
from digitpad.core.network import Network
from digitpad.core.training import Optimizer, TrainConfig

ROUNDS = 3


def forward_latency_ms(network: Network, image: np.ndarray, repeats: int = 300) -> float:
    """Median wall time of predict() on one (28, 28) image, in milliseconds."""
    for _ in range(20):
        network.predict(image)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        network.predict(image)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


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


def numpy_train_step(spec: dict, images: np.ndarray, labels: np.ndarray, batch_size: int):
    """One optimisation step of our network on a fixed batch, as a callable."""
    network = Network(spec, np.random.default_rng(0))
    optimizer = Optimizer(network, TrainConfig(batch_size=batch_size))
    criterion = SoftmaxCrossEntropy()
    x, y = images[:batch_size, None], labels[:batch_size].astype(np.intp)

    def step() -> None:
        criterion.forward(network.forward(x, training=True), y)
        network.backward(criterion.backward())
        optimizer.step(1e-3)

    return step


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


def run(batch_size: int = 64, seconds: float = 3.0, data: str | None = None) -> dict:
    """Every figure `digitpad bench` prints, as plain data, for every bundled model."""
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
    result: dict = {
        "forward_latency_ms": {},
        "train_images_per_s": {},
        "torch_train_images_per_s": None,
        "ratio": None,
        "batch_size": batch_size,
        "data": source,
        "machine": f"{platform.machine()}, {platform.system()}, Python "
        f"{platform.python_version()}, NumPy {np.__version__}",
    }
    for name, recipe in RECIPES.items():
        network = load_model(recipe.path).network
        result["forward_latency_ms"][name] = forward_latency_ms(network, images[0])
    if has_torch:
        import torch

        result["torch_train_images_per_s"], result["ratio"] = {}, {}
        result["machine"] += f", PyTorch {torch.__version__} ({torch.get_num_threads()} threads)"
    for arch, recipe in RECIPES.items():
        spec = recipe.spec()
        steps = {"numpy": numpy_train_step(spec, images, labels, batch_size)}
        if has_torch:
            steps["torch"] = torch_train_step(spec, images, labels, batch_size)
        # Alternate short timings of the two and keep each one's median, so a burst of
        # load from elsewhere on a shared machine does not land on one side only.
        rates: dict[str, list[float]] = {name: [] for name in steps}
        for _ in range(ROUNDS):
            for name, step in steps.items():
                rates[name].append(_timed_steps(step, batch_size, seconds / ROUNDS))
        ours = statistics.median(rates["numpy"])
        result["train_images_per_s"][arch] = ours
        if has_torch:
            theirs = statistics.median(rates["torch"])
            result["torch_train_images_per_s"][arch] = theirs
            result["ratio"][arch] = ours / theirs
    return result
