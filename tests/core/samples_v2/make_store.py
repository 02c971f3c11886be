"""Writes ``samples-v2.sqlite``: a samples database as digitpad wrote it before schema 3
(commit 8b2188b, labels 0-9 only), to test that today's code opens, migrates and keeps
every sample of it, and the counts that decide which are held out; and ``samples-v2.npz``,
its export as that commit wrote it, to test that an old export still imports.

Run from the repository root: ``python tests/core/samples_v2/make_store.py``. The store is
written by the digitpad package of that commit, read from git into a temporary folder and
run there in a child process, whatever the working tree holds.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

COMMIT = "8b2188b"  # the last commit with samples schema 2
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent.parent
TARGET = HERE / "samples-v2.sqlite"
EXPORT = HERE / "samples-v2.npz"

# Run with the old package first on the path: everything it imports is of that commit.
WRITER = """
import sys
from pathlib import Path

import numpy as np

from digitpad.core.preprocess import to_mnist
from digitpad.core.reference import DIGITS, arc, line
from digitpad.core.samples import SCHEMA_VERSION, Sample, SampleStore, export_npz
from digitpad.core.strokes import Stroke, render

assert SCHEMA_VERSION == 2, SCHEMA_VERSION
target, export = Path(sys.argv[1]), Path(sys.argv[2])


def sample(digit, label, slant, number, **extra):
    # Slanted by ``slant`` px across the canvas: a moved digit would be the same input.
    strokes = tuple(
        Stroke(np.array([(x + slant * (140 - y) / 140, y) for x, y in points]), 22.0)
        for points in DIGITS[digit]
    )
    canvas = render(strokes)
    return Sample(
        strokes,
        canvas,
        to_mnist(canvas),
        label,
        created=f"2026-12-0{1 + number // 10}T10:{number % 10:02d}:00+00:00",
        **extra,
    )


probabilities = np.full(10, 0.01, np.float32)
probabilities[4] = 0.91
store = SampleStore(target)
# ids 1-9: four 4s (the 3rd held out), three 2s (the 3rd held out), two 9s.
for number, (digit, slant) in enumerate(
    [(4, 0), (4, 30), (2, 0), (4, -30), (2, 30), (9, 0), (4, 60), (2, -30), (9, 30)]
):
    extra = (
        {
            "predicted": 4,
            "probabilities": probabilities,
            "model_name": "default",
            "model_sha256": "cd" * 32,
        }
        if digit == 4
        else {"predicted": (digit + 1) % 10}
    )
    store.add(sample(digit, digit, slant, number, **extra))
store.relabel(8, 5)  # a 2 relabelled 5 (held out as the 3rd 2 it was)
store.delete_many([2, 6])  # gaps
# An image opened from a file: no strokes, no model.
square = np.zeros((280, 280), np.float32)
square[60:220, 120:160] = 1
store.add(Sample((), square, to_mnist(square), 1, created="2026-12-02T09:00:00+00:00"))
zero = (Stroke(np.array(arc(140, 140, 60, 90, 0, 360), np.float64), 22.0),)
canvas = render(zero)
store.add(
    Sample(zero, canvas, to_mnist(canvas), 0, predicted=6, created="2026-12-02T09:01:00+00:00")
)
stroke = (Stroke(np.array(line((100, 60), (200, 220)), np.float64), 22.0),)
canvas = render(stroke)
store.add(
    Sample(stroke, canvas, to_mnist(canvas), 7, predicted=1, created="2026-12-02T09:02:00+00:00")
)
store.delete(12)  # the newest: schema 2 never gives its id again
for summary in store.summaries():
    print(summary.id, summary.label, store.get(summary.id).held_out, summary.created)
export_npz(store, export)
store.close()
print(f"{target}: {target.stat().st_size:,} bytes")
"""


def main() -> None:
    TARGET.unlink(missing_ok=True)
    EXPORT.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        archive = subprocess.check_output(["git", "archive", COMMIT, "digitpad"], cwd=ROOT)
        source = Path(folder) / "source.tar"
        source.write_bytes(archive)
        with tarfile.open(source) as tar:
            tar.extractall(folder, filter="data")
        subprocess.run(
            [sys.executable, "-c", WRITER, str(TARGET), str(EXPORT)],
            cwd=folder,
            env={"PYTHONPATH": folder, "PATH": "/usr/bin:/bin"},
            check=True,
        )
    for extra in ("-wal", "-shm"):
        assert not TARGET.with_name(TARGET.name + extra).exists()


if __name__ == "__main__":
    main()
