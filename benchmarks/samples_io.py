"""Time and peak memory of exporting and importing many samples (.npz and IDX).

Fills a samples database with N distinct drawings (one real drawing of 120 points, its
strokes shifted and its network input marked per sample, so none is a duplicate), then runs
each step in a fresh process and prints its wall-clock time and how far the step raised the
process's peak resident memory above its resident memory when the step began (Linux:
VmHWM reset through /proc/self/clear_refs, then read from /proc/self/status). The last
step imports through the My Samples window (offscreen): the time the window cannot answer.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STEP = """
import json, sys, time
from pathlib import Path
from digitpad.core.samples import SampleStore, export_idx, export_npz, read_export
step, work = sys.argv[1], Path(sys.argv[2])
def memory_kb(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field))
def start_measuring():  # the peak from now on (ru_maxrss keeps the parent's, from the fork)
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    return memory_kb("VmRSS:")
base = start_measuring()
start = time.perf_counter()
if step == "export npz":
    with SampleStore(work / "source.sqlite") as store:
        count = export_npz(store, work / "export.npz")[1]
elif step == "export idx":
    with SampleStore(work / "source.sqlite") as store:
        count = export_idx(store, work / "idx")[1]
elif step == "import npz in My Samples":  # the click, the import and the thumbnails shown
    import os
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QFileDialog
    from digitpad.core.sample_browser import SampleBrowser
    from digitpad.gui.messages import Messages
    from digitpad.gui.samples_dialog import NPZ_FILTER, SamplesDialog
    app = QApplication([])
    target = work / "gui.sqlite"
    target.unlink(missing_ok=True)
    store = SampleStore(target)
    dialog = SamplesDialog(SampleBrowser(lambda: store), lambda sample: None, Messages(None, True))
    dialog.show()
    app.processEvents()
    chosen = (str(work / "export.npz"), NPZ_FILTER)
    QFileDialog.getOpenFileName = staticmethod(lambda *a, **k: chosen)
    base = start_measuring()
    start = time.perf_counter()
    QTest.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    app.processEvents()
    count = store.count()
else:
    source = work / ("export.npz" if step == "import npz" else "idx")
    target = work / f"{step.replace(' ', '-')}.sqlite"
    target.unlink(missing_ok=True)
    with SampleStore(target) as store:
        count = len(store.add_many(read_export(source))[0])
seconds = time.perf_counter() - start
peak = memory_kb("VmHWM:")
print(json.dumps({"count": count, "seconds": seconds, "peak_mb": (peak - base) / 1024}))
"""


def fill(path: Path, count: int) -> None:
    import numpy as np

    from digitpad.core.preprocess import to_mnist
    from digitpad.core.samples import Sample, SampleStore
    from digitpad.core.strokes import Stroke, render

    angle = np.linspace(0, 2 * np.pi, 120)
    points = np.stack([140 + 60 * np.sin(angle), 140 + 90 * np.sin(2 * angle) / 2], axis=1)
    canvas = render((Stroke(points, 22.0),))
    base = to_mnist(canvas)
    bits = 1 << np.arange(20)

    def samples():
        for index in range(count):
            marked = base.copy()
            marked[0, :20] = (index & bits) > 0  # the index in binary: a distinct input
            shift = np.array([index % 1000, index // 1000]) * 0.01  # distinct strokes
            yield Sample((Stroke(points + shift, 22.0),), canvas, marked, index % 10)

    with SampleStore(path) as store:
        store.add_many(list(samples()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        start = time.perf_counter()
        fill(work / "source.sqlite", args.count)
        print(f"{args.count:,} samples stored in {time.perf_counter() - start:.1f} s")
        steps = ("export npz", "export idx", "import npz", "import idx", "import npz in My Samples")
        for step in steps:
            child = subprocess.run(
                [sys.executable, "-c", STEP, step, str(work)], capture_output=True, text=True
            )
            if child.returncode:
                print(f"{step}: failed\n{child.stderr.strip().splitlines()[-1]}")
                continue
            result = json.loads(child.stdout)
            written = {"export npz": [work / "export.npz"], "export idx": (work / "idx").glob("*")}
            size = sum(path.stat().st_size for path in written.get(step, []))
            print(
                f"{step}: {result['count']:,} samples in {result['seconds']:.1f} s, "
                f"peak memory +{result['peak_mb']:.0f} MB"
                + (f", {size / 1e6:.0f} MB written" if size else "")
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
