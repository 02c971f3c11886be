"""The typed reading of a model file's metadata: every value checked once, odd ones None."""

from __future__ import annotations

from datetime import datetime

import pytest

from digitpad.core.bundled import CLASSIC, DEFAULT
from digitpad.core.model_io import ModelMetadata, load_model
from digitpad.core.record import ModelRecord
from digitpad.core.training import fine_tuned_from


def record(training: dict, metrics: dict | None = None, **fields) -> ModelRecord:
    return ModelRecord.of(ModelMetadata(training=training, metrics=metrics or {}, **fields))


def test_the_bundled_models_read_as_what_their_recipes_made():
    default = ModelRecord.of(load_model(DEFAULT.path).metadata)
    assert default.arch == "default" and default.augmented
    assert default.held_out_writers == (3, 7, 8, 12, 19, 25)
    assert default.pen_digits.share == 0.05 and not default.pen_digits.inherited
    assert default.test_accuracy == pytest.approx(0.9933)
    # Its recipe's run, then the fine-tune that taught it what is not a digit.
    assert default.run.images == 60_000 and default.run.epochs == DEFAULT.then.epochs == 8
    assert default.fine_tuned_from.name == "default"
    assert default.fine_tuned_from.test_accuracy == pytest.approx(0.9938)
    assert default.non_digits.share == 0.125 and not default.non_digits.inherited
    assert isinstance(default.created, datetime)
    classic = ModelRecord.of(load_model(CLASSIC.path).metadata)
    assert classic.arch == "classic" and not classic.augmented and classic.pen_digits is None
    assert classic.calibration.writers == (3, 7, 8, 12, 19, 25)
    assert classic.calibration.accuracy == pytest.approx(0.9287, abs=1e-4)


def test_the_writers_held_out_are_read_from_a_fine_tunes_source_too():
    own = {"pen_digits": {"held_out_writers": [7, 3, 7]}}
    assert record(own).held_out_writers == (3, 7)
    assert record({"fine_tuned_from": own}).held_out_writers == (3, 7)
    assert record({"fine_tuned_from": own}).pen_digits.inherited
    assert record({"fine_tuned_from": {"name": "x"}}).held_out_writers is None
    assert record({"pen_digits": {"held_out_writers": [True]}}).held_out_writers is None


def test_a_fine_tune_of_a_fine_tune_still_knows_its_pen_digits():
    source = load_model(DEFAULT.path).metadata
    first = fine_tuned_from(source, 0.99, "default.npz")
    assert first["pen_digits"]["accuracy"] == source.metrics["held_out_writers_accuracy"]
    again = fine_tuned_from(ModelMetadata(name="f", training={"fine_tuned_from": first}), 0.98)
    assert again["pen_digits"]["held_out_writers"] == [3, 7, 8, 12, 19, 25]
    read = record({"fine_tuned_from": again})
    assert read.fine_tuned_from.name == "f" and read.fine_tuned_from.test_accuracy == 0.98
    assert read.pen_digits.accuracy == source.metrics["held_out_writers_accuracy"]


@pytest.mark.parametrize(
    "training, metrics",
    [
        ({"config": "x", "images": -1, "arch": 7}, {"test_accuracy": 4}),
        ({"pen_digits": [1, 2], "fine_tuned_from": "me", "samples": {"held_out": True}}, {}),
        ({"pen_digits": {"held_out_writers": list(range(1, 5000))}}, {"test_accuracy": "1"}),
        ({"config": {"epochs": "many", "learning_rate": float("nan")}, "images": 10}, {}),
        ({"temperature_fit": {"writers": "3", "ece_before": -2}}, {"familiarity_threshold": None}),
        (
            {
                "config": {"learning_rate": 10**400, "pen_ratio": -(10**400)},
                "images": 5,
                "seconds": 10**400,
                "fine_tuned_from": {"name": "x", "test_accuracy": 10**400},
                "samples": {"held_out": 3, "accuracy_after": 10**400},
            },
            {"test_accuracy": 10**400},
        ),
    ],
)
@pytest.mark.parametrize("created", ["yesterday", "0001-01-01T00:00:00+14:00"])
def test_odd_values_read_as_none_and_never_raise(training, metrics, created):
    read = record(training, metrics, created=created, name="x" * 500)
    assert read.test_accuracy is None and len(read.name) == 60
    assert read.held_out_writers is None
    if read.run is not None:
        assert read.run.epochs is None and read.run.learning_rate is None
    assert isinstance(read.arch, str) and read.familiarity_threshold is None
