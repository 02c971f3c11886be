"""Where a training step's time goes: each layer's forward and backward, timed alone.

Builds a bundled architecture (default: ``default``), runs whole training steps on a fixed
batch and, inside them, times every layer's ``forward(training=True)`` and ``backward``
plus the loss and the optimiser; prints a table of medians in milliseconds. BLAS threads
are set with threadpoolctl (``--threads``; the app trains with 1, ``digitpad bench`` with
the machine's default). Random inputs: the time does not depend on the pixels.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_limits

from digitpad.core.bundled import RECIPES
from digitpad.core.layers import SoftmaxCrossEntropy
from digitpad.core.network import Network
from digitpad.core.training import Optimizer, TrainConfig


def profile(arch: str, batch_size: int, steps: int) -> list[tuple[str, float, float]]:
    """(row name, forward ms, backward ms) medians over ``steps`` training steps.

    Layers run in ``network.run_order`` (a ReLU after its max pooling), as training runs them.
    """
    network = Network(RECIPES[arch].spec(), np.random.default_rng(0))
    optimizer = Optimizer(network, TrainConfig(batch_size=batch_size))
    criterion = SoftmaxCrossEntropy()
    rng = np.random.default_rng(0)
    x = rng.random((batch_size, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, batch_size)
    names = [*network.names, "loss", "adam", "whole step"]
    order = [network.names[network.layers.index(layer)] for layer in network.run_order]
    forward = {name: [] for name in names}
    backward = {name: [] for name in names}
    for step in range(steps + 3):  # the first three warm up caches and allocators
        step_start = time.perf_counter()
        out = x
        for name, layer in zip(order, network.run_order, strict=True):
            start = time.perf_counter()
            out = layer.forward(out, training=True)
            forward[name].append(time.perf_counter() - start)
        start = time.perf_counter()
        criterion.forward(out, y)
        d = criterion.backward()
        forward["loss"].append(time.perf_counter() - start)
        for name, layer in zip(reversed(order), reversed(network.run_order), strict=True):
            start = time.perf_counter()
            d = layer.backward(d)
            backward[name].append(time.perf_counter() - start)
            if d is None:
                break
        start = time.perf_counter()
        optimizer.step(1e-3)
        forward["adam"].append(time.perf_counter() - start)
        forward["whole step"].append(time.perf_counter() - step_start)
        if step < 3:
            for times in (*forward.values(), *backward.values()):
                times.clear()

    def median_ms(times: list[float]) -> float:
        return statistics.median(times) * 1e3 if times else 0.0

    return [(name, median_ms(forward[name]), median_ms(backward[name])) for name in names]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=list(RECIPES), default="default")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--threads", type=int, default=None, help="BLAS threads")
    args = parser.parse_args()
    with threadpool_limits(limits=args.threads, user_api="blas"):
        rows = profile(args.arch, args.batch_size, args.steps)
    print(
        f"{args.arch}, batch {args.batch_size}, BLAS threads {args.threads or 'default'}, "
        f"median of {args.steps} steps (ms)"
    )
    print(f"{'layer':<12} {'forward':>8} {'backward':>9}")
    for name, fwd, bwd in rows:
        print(f"{name:<12} {fwd:8.2f} {bwd:9.2f}")
    *layers, whole = rows
    total = sum(f + b for _, f, b in layers)
    print(f"{'sum of rows':<12} {total:8.2f}")
    step_ms = whole[1]
    print(f"images/s     {args.batch_size / step_ms * 1e3:8.0f}")


if __name__ == "__main__":
    main()
