"""Fixtures shared by the core tests."""

from __future__ import annotations

import pytest

from digitpad.core.bundled import CLASSIC, DEFAULT
from digitpad.core.model_io import Model, load_model


@pytest.fixture(scope="module")
def default_model() -> Model:
    return load_model(DEFAULT.path)


@pytest.fixture(scope="module")
def classic_model() -> Model:
    return load_model(CLASSIC.path)
