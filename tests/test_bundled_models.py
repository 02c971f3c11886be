"""The two models shipped in models/: the right architectures, at their promised accuracy."""

from __future__ import annotations

import pytest

from digitpad.core.bundled import CLASSIC, DEFAULT, resolve_model
from digitpad.core.evaluation import evaluate
from digitpad.core.model_io import load_model


@pytest.mark.parametrize(
    "name,spec,required",
    [
        ("classic", CLASSIC.spec(), 0.976),
        ("default", DEFAULT.spec(), 0.993),
    ],
)
def test_bundled_model_accuracy(name, spec, required, mnist_test):
    model = load_model(resolve_model(name))
    assert model.network.spec == spec
    scores = evaluate(model.network, mnist_test.as_float(), mnist_test.labels)
    assert scores.n == 10000
    assert scores.accuracy >= required
    # The accuracy the file claims is the one it has.
    assert model.metadata.metrics["test_accuracy"] == pytest.approx(scores.accuracy)
    assert model.metadata.training["images"] == 60000


@pytest.mark.parametrize("name", ["classic", "default"])
def test_bundled_models_carry_their_names(name):
    assert load_model(resolve_model(name)).metadata.name == name
