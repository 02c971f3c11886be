"""Peak memory and time of reading MNIST's 10,000 test digits with a bundled model.

Each measurement runs in a fresh process so that its peak resident set size (RSS, the
kernel's high-water mark) belongs to that run alone: the process loads the model and
the images, notes its RSS, then calls ``network.predict`` on all 10,000 images and
reports the peak RSS, how far above the starting RSS it went, the peak of NumPy's
arrays alive during the call (tracemalloc) and the call's wall time (a second,
untraced call). Needs MNIST (DIGITPAD_MNIST_DIR or --data).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import tracemalloc


def measure(model: str, batch_size: int | None, data: str | None) -> dict:
    """Runs inside the fresh process: the figures for one model and batch size."""
    from digitpad.core.bundled import resolve_model
    from digitpad.core.data import find_mnist_dir, load_split
    from digitpad.core.model_io import load_model

    network = load_model(resolve_model(model)).network
    images = load_split(find_mnist_dir(data), "test").as_float()
    kwargs = {} if batch_size is None else {"batch_size": batch_size}
    network.predict(images[:10], **kwargs)  # imports and first allocations done
    start_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    network.predict(images, **kwargs)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    network.predict(images, **kwargs)
    seconds = time.perf_counter() - start
    return {
        "model": model,
        "batch_size": batch_size or "default",
        "peak_rss_mb": peak_mb,
        "above_start_mb": peak_mb - start_mb,
        "arrays_peak_mb": traced_peak / 2**20,
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument(
        "--batch-sizes",
        default="default,1000",
        help="comma-separated predict batch sizes; 'default' is predict's own",
    )
    parser.add_argument("--data", help="folder with the MNIST IDX files")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # the child process's job
    args = parser.parse_args()
    if args.one is not None:
        size = None if args.one == "default" else int(args.one)
        print(json.dumps(measure(args.model, size, args.data)))
        return
    print(f"{args.model}: predict on 10,000 MNIST test digits, each in a fresh process")
    print(f"{'batch':>8} {'peak RSS':>9} {'above start':>12} {'arrays peak':>12} {'time':>7}")
    for size in args.batch_sizes.split(","):
        command = [sys.executable, __file__, "--model", args.model, "--one", size]
        if args.data:
            command += ["--data", args.data]
        row = json.loads(subprocess.run(command, check=True, capture_output=True).stdout)
        print(
            f"{row['batch_size']!s:>8} {row['peak_rss_mb']:7.0f} MB {row['above_start_mb']:9.0f} MB"
            f" {row['arrays_peak_mb']:9.0f} MB {row['seconds']:6.2f} s"
        )


if __name__ == "__main__":
    main()
