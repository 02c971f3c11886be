"""Time from launching a fresh Python process to the main window shown and painted.

Runs the app in a child process N times (offscreen unless a display is set) and prints
the median and worst wall-clock time until the window has been exposed and painted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

CHILD = """
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from digitpad.gui.app import make_application
from digitpad.gui.main_window import MainWindow
app = make_application()
settings = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "digitpad", "bench")
window = MainWindow(settings=settings)
window.show()
app.processEvents()
window.repaint()
print("shown", flush=True)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True, env=env
        )
        line = child.stdout.readline()
        elapsed = time.perf_counter() - start
        child.wait()
        if line.strip() != "shown":
            print("the app did not start", file=sys.stderr)
            return 1
        times.append(elapsed)
    print(
        f"window shown after {statistics.median(times):.2f} s median, "
        f"{max(times):.2f} s worst ({args.runs} runs, {env['QT_QPA_PLATFORM']})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
