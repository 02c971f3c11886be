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


def test_default_reads_writers_it_never_saw_and_its_file_says_which(pendigits_dir):
    from digitpad.core import pendigits

    model = load_model(resolve_model("default"))
    record = model.metadata.training["pen_digits"]
    assert record["sha256"] == pendigits.sha256(pendigits_dir)
    held = set(record["held_out_writers"])
    assert len(held) == 6 and not held & set(record["train_writers"])
    assert model.metadata.training["config"]["pen_ratio"] == DEFAULT.config.pen_ratio > 0
    _, digits = pendigits.split_by_writer(pendigits.load(pendigits_dir), held)
    scores = evaluate(model.network, pendigits.render_inputs(digits), pendigits.labels(digits))
    assert scores.accuracy >= 0.99
    # The figure the file (and the README) gives is the one these digits produce.
    assert model.metadata.metrics["held_out_writers_accuracy"] == pytest.approx(scores.accuracy)
    assert model.network.temperature == pytest.approx(record["temperature"])
    assert record["ece_after"] <= record["ece_before"]


def test_classic_is_the_tutorials_network_on_mnist_alone_with_calibrated_percentages():
    model = load_model(resolve_model("classic"))
    assert "pen_digits" not in model.metadata.training
    assert model.metadata.training["config"].get("pen_ratio", 0) == 0
    fit = model.metadata.training["temperature_fit"]
    assert model.network.temperature == pytest.approx(fit["temperature"]) != 1
    assert fit["ece_after"] < fit["ece_before"]
    assert (
        fit["writers"]
        == load_model(resolve_model("default")).metadata.training["pen_digits"]["held_out_writers"]
    )
