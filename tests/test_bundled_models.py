"""The two models shipped in models/: the right architectures, at their promised accuracy."""

from __future__ import annotations

import pytest

from digitpad.core.bundled import CLASSIC, DEFAULT, resolve_model
from digitpad.core.evaluation import evaluate
from digitpad.core.model_io import load_model
from digitpad.core.record import ModelRecord

# What the bundled default must do with letters by writers and doodles by seeds it never
# saw (issue 21's aim): call at least this share of each "not a digit".
LETTERS_FLAGGED = 0.90
DOODLES_FLAGGED = 0.95


@pytest.mark.parametrize(
    "name,spec,required",
    [
        ("classic", CLASSIC.file_spec(), 0.976),
        ("default", DEFAULT.file_spec(), 0.993),
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


def test_default_tells_letters_and_doodles_it_never_saw_from_digits(uji_letters_dir, mnist_test):
    """The figures default's file records for held-out letters and doodles are the ones
    they produce; it calls few real digits 'not a digit' and most non-digits so."""
    from digitpad.core import uji
    from digitpad.core.familiarity import familiarity, threshold_of
    from digitpad.core.outliers import OutlierMix

    model = load_model(resolve_model("default"))
    network = model.network
    assert network.knows_non_digits
    threshold = threshold_of(model.metadata.metrics)
    record = model.metadata.training["non_digits"]
    assert record["letters_sha256"] == uji.sha256(uji_letters_dir)
    mix = OutlierMix(uji.load_letters(uji_letters_dir), 1, 1, 0, record["held_out_writers"])
    measured = mix.validate(lambda inputs: familiarity(network.scores(inputs)) < threshold)
    assert measured.letters_flagged == pytest.approx(record["letters_flagged"])
    assert measured.doodles_flagged == pytest.approx(record["doodles_flagged"])
    assert (
        measured.letters_flagged >= LETTERS_FLAGGED and measured.doodles_flagged >= DOODLES_FLAGGED
    )
    digits_flagged = (familiarity(network.scores(mnist_test.as_float())) < threshold).mean()
    assert digits_flagged <= 0.01


def test_classic_cannot_answer_not_a_digit():
    assert not load_model(resolve_model("classic")).network.knows_non_digits


def test_default_was_made_by_its_recipe_then_its_fine_tune_with_non_digits():
    """The file is the recipe's first run fine-tuned with ``DEFAULT.then``: its record says
    so, and how the first run read MNIST (README: the bundled models' commands)."""
    model = load_model(resolve_model("default"))
    training = model.metadata.training
    assert training["config"] == DEFAULT.then.to_json()
    source = training["fine_tuned_from"]
    assert source["name"] == "default" and source["test_accuracy"] >= 0.993
    assert ModelRecord.of(model.metadata).non_digits.share == DEFAULT.then.outlier_ratio
    assert model.network.knows_non_digits
