"""CI: the installed wheel works on its own, run from a folder outside the checkout.

Run with the wheel's virtual environment's python, in an empty folder, with
DIGITPAD_MNIST_DIR set: predicts real MNIST digits with both bundled models, starts the
window with the default model, renders a screenshot, and installs a desktop entry whose
Exec line starts the app. Any failure raises, and CI fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

import digitpad
from digitpad.core.data import load_split

VENV_BIN = Path(sys.executable).parent
DIGITPAD = str(VENV_BIN / "digitpad")


def run(*argv: str, env: dict | None = None) -> str:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=300, env=env)
    if result.returncode != 0 or "Traceback" in result.stderr:
        raise SystemExit(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stderr}")
    return result.stdout


def main() -> None:
    here = Path.cwd()
    installed = Path(digitpad.__file__).resolve()
    assert installed.is_relative_to(Path(sys.prefix).resolve()), f"not the wheel: {installed}"
    assert "site-packages" in installed.parts, f"not an installed package: {installed}"

    from PySide6.QtGui import QImage

    test = load_split(Path(os.environ["DIGITPAD_MNIST_DIR"]), "test")
    images, expected = [], []
    for index in range(5):
        pixels = np.ascontiguousarray(255 - test.images[index])  # dark ink on white paper
        path = here / f"digit{index}.png"
        image = QImage(pixels.data, 28, 28, 28, QImage.Format.Format_Grayscale8)
        assert image.scaled(140, 140).save(str(path)), path
        images.append(str(path))
        expected.append(int(test.labels[index]))
    for model in ("default", "classic"):
        results = json.loads(run(DIGITPAD, "predict", *images, "--model", model, "--json"))
        digits = [r["digit"] for r in results]
        assert digits == expected, f"{model}: predicted {digits}, expected {expected}"
        print(f"predict --model {model}: {digits}")

    shot = here / "window.png"
    run(DIGITPAD, "gui", "--screenshot", str(shot), "--image", images[0])
    assert QImage(str(shot)).width() >= 800, "screenshot too small"
    print(f"gui --screenshot: {QImage(str(shot)).width()}x{QImage(str(shot)).height()}")

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings

    from digitpad.gui.app import make_application
    from digitpad.gui.main_window import MainWindow

    app = make_application()
    with tempfile.TemporaryDirectory() as folder:
        settings = QSettings(str(Path(folder) / "s.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings=settings, headless=True, library_folder=Path(folder))
        status = window.model_status.text()
        window.close()
        del settings
    assert status.startswith("Model: default"), status
    print(f"window status: {status}")
    del app

    env = {**os.environ, "XDG_DATA_HOME": str(here / "xdg"), "XDG_CONFIG_HOME": str(here)}
    result = json.loads(run(DIGITPAD, "desktop", "install", "--json", env=env))
    entry = Path(result["entry"]).read_text()
    exec_line = next(line[5:] for line in entry.splitlines() if line.startswith("Exec="))
    command = [part for part in exec_line.split() if part != "%f"]
    assert command[0] == DIGITPAD, exec_line
    run(*command, "--screenshot", str(here / "menu.png"), env=env)
    print(f"desktop entry: Exec={exec_line} starts the app")


if __name__ == "__main__":
    main()
