"""Shared fixtures: offscreen Qt, the MNIST folder from DIGITPAD_MNIST_DIR, the pen-digits
folder from DIGITPAD_PENDIGITS_DIR, tiny models."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if os.environ["QT_QPA_PLATFORM"] == "offscreen":
    # A 1920x1080 screen like a user's, not the plugin's 800x800: windows open at the size
    # they open at for users (a first size never exceeds the screen).
    screen = Path(__file__).resolve().parent / "offscreen_screen.json"
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={screen}"

ROOT = Path(__file__).resolve().parent.parent


def data_folder(variable: str, needed: str, shared: str) -> Path:
    """The folder ``variable`` names; a test needing it skips, saying why, when it is
    unset or lacks ``needed`` (CI sets every one, so there nothing is skipped)."""
    value = os.environ.get(variable)
    if not value:
        pytest.skip(f"{variable} is not set (point it at ../shared/data/{shared})")
    folder = Path(value)
    if not (folder / needed).is_file():
        pytest.skip(f"{variable}={folder} does not hold {needed}")
    return folder


# No test takes near this long: one that hangs prints every thread's stack and ends the run,
# so a deadlock fails with its diagnosis instead of stalling CI.
HANG_S = 300


@pytest.fixture(autouse=True)
def no_hangs():
    import faulthandler
    import sys

    faulthandler.dump_traceback_later(HANG_S, exit=True, file=sys.__stderr__)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture(autouse=True)
def private_user_data(tmp_path, monkeypatch):
    """No test writes to the real user data folder (samples, library, rescued models)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "user-data"))


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The canonical MNIST folder."""
    return data_folder("DIGITPAD_MNIST_DIR", "t10k-images-idx3-ubyte.gz", "mnist")


@pytest.fixture(scope="session")
def pendigits_dir() -> Path:
    """The UCI pen-digits folder."""
    return data_folder("DIGITPAD_PENDIGITS_DIR", "pendigits-orig.tra.gz", "pendigits")


@pytest.fixture(scope="session")
def uji_digits_dir() -> Path:
    """The UJI Pen Characters digits of 20 more writers."""
    return data_folder("DIGITPAD_UJI_DIGITS_DIR", "uji-digits-W01-W20.txt.gz", "uji-digits")


@pytest.fixture(scope="session")
def uji_letters_dir() -> Path:
    """The UJI Pen Characters letters of the same 20 writers."""
    return data_folder("DIGITPAD_UJI_LETTERS_DIR", "uji-letters-W01-W20.txt.gz", "uji-letters")


@pytest.fixture(scope="session")
def mnist_test(mnist_dir):
    from digitpad.core.data import load_split

    return load_split(mnist_dir, "test")


@pytest.fixture(scope="session")
def mnist_train(mnist_dir):
    from digitpad.core.data import load_split

    return load_split(mnist_dir, "train")


@pytest.fixture(scope="session")
def pen_digits(pendigits_dir):
    """All 7,494 pen digits, read once."""
    from digitpad.core import pendigits

    return pendigits.load(pendigits_dir)
