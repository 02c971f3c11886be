"""Shared fixtures: offscreen Qt, the MNIST folder from DIGITPAD_MNIST_DIR, the pen-digits
folder from DIGITPAD_PENDIGITS_DIR, tiny models."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The canonical MNIST folder; tests needing it skip, saying why, when it is absent."""
    value = os.environ.get("DIGITPAD_MNIST_DIR")
    if not value:
        pytest.skip("DIGITPAD_MNIST_DIR is not set (point it at ../shared/data/mnist)")
    folder = Path(value)
    if not (folder / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"DIGITPAD_MNIST_DIR={folder} does not hold the MNIST files")
    return folder


@pytest.fixture(scope="session")
def pendigits_dir() -> Path:
    """The UCI pen-digits folder; tests needing it skip, saying why, when it is absent."""
    value = os.environ.get("DIGITPAD_PENDIGITS_DIR")
    if not value:
        pytest.skip("DIGITPAD_PENDIGITS_DIR is not set (point it at ../shared/data/pendigits)")
    folder = Path(value)
    if not (folder / "pendigits-orig.tra.gz").is_file():
        pytest.skip(f"DIGITPAD_PENDIGITS_DIR={folder} does not hold pendigits-orig.tra.gz")
    return folder


@pytest.fixture(scope="session")
def mnist_test(mnist_dir):
    from digitpad.core.data import load_split

    return load_split(mnist_dir, "test")


@pytest.fixture(scope="session")
def mnist_train(mnist_dir):
    from digitpad.core.data import load_split

    return load_split(mnist_dir, "train")
