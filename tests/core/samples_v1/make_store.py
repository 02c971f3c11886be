"""Writes ``samples-v1.sqlite``: a samples database as digitpad wrote it before schema 2
(commit 78d4f11), to test that today's code opens, migrates and keeps every sample of it.

Run from the repository root: ``python tests/core/samples_v1/make_store.py``. The store is
written by the samples module of that commit, read from git, whatever the working tree holds.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from digitpad.core.preprocess import to_mnist
from digitpad.core.reference import DIGITS, arc, line
from digitpad.core.strokes import Stroke, render

COMMIT = "78d4f11"  # the last commit with samples schema 1
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent.parent
TARGET = HERE / "samples-v1.sqlite"


def old_samples_module():
    """digitpad/core/samples.py as it was at COMMIT, imported under its own name."""
    source = subprocess.check_output(
        ["git", "show", f"{COMMIT}:digitpad/core/samples.py"], cwd=ROOT, text=True
    )
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(source)
    spec = importlib.util.spec_from_file_location("samples_v1", handle.name)
    module = importlib.util.module_from_spec(spec)
    sys.modules["samples_v1"] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def main() -> None:
    old = old_samples_module()
    assert old.SCHEMA_VERSION == 1, old.SCHEMA_VERSION
    TARGET.unlink(missing_ok=True)

    def sample(digit: int, label: int, slant: float, number: int, **extra):
        # Slanted by ``slant`` px across the canvas: a moved digit would be the same input.
        strokes = tuple(
            Stroke(np.array([(x + slant * (140 - y) / 140, y) for x, y in points]), 22.0)
            for points in DIGITS[digit]
        )
        canvas = render(strokes)
        return old.Sample(
            strokes,
            canvas,
            to_mnist(canvas),
            label,
            created=f"2026-11-2{number // 10}T10:{number % 10:02d}:00+00:00",
            **extra,
        )

    probabilities = np.full(10, 0.01, np.float32)
    probabilities[7] = 0.91
    store = old.SampleStore(TARGET)
    # ids 1-10: five 7s (the 3rd held out), three 3s (the 3rd held out), two 1s.
    for number, (digit, label, slant) in enumerate(
        [
            (7, 7, 0),
            (7, 7, 30),
            (3, 3, 0),
            (7, 7, -30),
            (3, 3, 30),
            (7, 7, 60),
            (1, 1, 0),
            (7, 7, -60),
            (3, 3, -30),
            (1, 1, 30),
        ]
    ):
        extra = (
            {
                "predicted": 7,
                "probabilities": probabilities,
                "model_name": "default",
                "model_sha256": "ab" * 32,
            }
            if digit == 7
            else {"predicted": digit}
        )
        store.add(sample(digit, label, slant, number, **extra))
    # An image opened from a file: no strokes, no model.
    square = np.zeros((280, 280), np.float32)
    square[60:220, 120:160] = 1
    store.add(old.Sample((), square, to_mnist(square), 1, created="2026-11-21T09:00:00+00:00"))
    store.relabel(9, 8)  # a 3 relabelled 8 (held out as the 3rd 3 it was)
    store.delete_many([2, 5])  # gaps
    store.delete(11)  # the newest: the next sample takes its id (schema 1 reuses it)
    # A drawn 0 (two arcs) kept now: id 11 again, and the 7s' count shifted by the deletion.
    zero = (Stroke(np.array(arc(140, 140, 60, 90, 0, 360), np.float64), 22.0),)
    canvas = render(zero)
    store.add(
        old.Sample(
            zero, canvas, to_mnist(canvas), 0, predicted=6, created="2026-11-22T08:00:00+00:00"
        )
    )
    stroke = (Stroke(np.array(line((100, 60), (200, 220)), np.float64), 22.0),)
    canvas = render(stroke)
    store.add(
        old.Sample(
            stroke, canvas, to_mnist(canvas), 7, predicted=1, created="2026-11-22T08:01:00+00:00"
        )
    )
    # Another image from a file, kept: a sample without strokes in the migrated store too.
    bar = np.zeros((280, 280), np.float32)
    bar[40:240, 130:150] = 1
    store.add(old.Sample((), bar, to_mnist(bar), 1, created="2026-11-22T08:02:00+00:00"))
    for summary in store.summaries():
        print(summary.id, summary.label, store.get(summary.id).held_out, summary.created)
    store.close()
    print(f"{TARGET}: {TARGET.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
