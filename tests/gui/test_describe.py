"""Model Info's words about handwriting and calibration, from what a model file records
(whatever it holds: the file may be hand-edited)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from digitpad.core.bundled import CLASSIC
from digitpad.core.model_io import Model, ModelMetadata
from digitpad.core.network import Network
from digitpad.gui.describe import about_html, model_info_html


def model(training: dict, metrics: dict | None = None, temperature: float = 1.0) -> Model:
    network = Network(CLASSIC.spec(), np.random.default_rng(0))
    network.temperature = temperature
    return Model(
        network, ModelMetadata(name="m", training=training, metrics=metrics or {}), "m.npz"
    )


def test_a_model_trained_on_pen_digits_says_so_with_its_held_out_figure_and_calibration():
    pen = {
        "held_out_writers": [3, 7, 8],
        "train_writers": list(range(20, 44)),
        "ece_before": 0.0253,
        "ece_after": 0.004,
    }
    info = model_info_html(
        model(
            {"pen_digits": pen, "config": {"pen_ratio": 0.25}},
            {"held_out_writers_accuracy": 0.9967},
            temperature=0.89,
        )
    )
    assert "pen-written digits of 24 writers, drawn as the canvas draws (25% of each batch)" in info
    assert "Pen-written digits by writers it never saw (3, 7, 8): 99.67%" in info
    assert "calibrated on writers 3, 7, 8 (temperature 0.89; calibration error 2.5% → 0.4%)" in info


def test_a_model_of_mnist_only_says_so_and_whether_its_percentages_were_calibrated():
    info = model_info_html(model({}))
    assert "Not trained on pen-written digits, MNIST only" in info
    assert "Percentages not calibrated on drawn digits (temperature 1)" in info
    fit = {
        "writers": [25, 26],
        "ece_before": 0.042,
        "ece_after": 0.021,
        "temperature": 1.91,
        "accuracy": 0.9287,
    }
    info = model_info_html(model({"temperature_fit": fit}, temperature=1.91))
    assert (
        "Not trained on pen-written digits, MNIST only: it reads 92.87% of the pen-written "
        "digits of writers 25, 26"
    ) in info
    assert "calibrated on writers 25, 26 (temperature 1.91; calibration error 4.2% → 2.1%)" in info


@pytest.mark.parametrize(
    "pen",
    [
        {"held_out_writers": "3,7", "ece_before": "x"},
        {"held_out_writers": [True, None], "train_writers": 5},
        {"held_out_writers": list(range(10_000))},
        {"held_out_writers": [1], "ece_before": 7, "ece_after": -1},
    ],
)
def test_odd_records_never_break_model_info(pen):
    info = model_info_html(
        model({"pen_digits": pen, "config": "x"}, {"held_out_writers_accuracy": 4}, 1.3)
    )
    assert "Also trained on pen-written digits" in info
    assert "temperature 1.30" in info  # the percentages' scaling is always told
    assert "never saw" not in info  # an accuracy of 4 is no accuracy


def test_about_credits_both_data_sets():
    text = about_html(None)
    assert "Attribution-Share Alike 3.0" in text
    assert "Alpaydin" in text and "Alimoglu" in text and "Attribution 4.0" in text


def test_a_fine_tuned_model_says_from_what_and_on_how_many_of_your_samples():
    info = model_info_html(
        model(
            {
                "fine_tuned_from": {"name": "default <b>"},
                "samples": {"held_out": 4, "accuracy_after": 0.75},
                "pen_digits": {"held_out_writers": [3], "ece_before": 0.02, "ece_after": 0.01},
                "temperature_fit": {"writers": [9], "ece_before": 0.05, "ece_after": 0.03},
            },
            temperature=1.2,
        )
    )
    assert "Fine-tuned from default &lt;b&gt;" in info
    assert "Trained on your samples too (4 held out: 75% of them read right)" in info
    # A later calibration on other writers is the one the percentages follow.
    assert "calibrated on writers 9 (temperature 1.20; calibration error 5.0% → 3.0%)" in info


def test_a_fine_tuned_model_says_its_temperature_is_its_sources():
    info = model_info_html(model({"fine_tuned_from": {"name": "classic"}}, temperature=1.91))
    assert "temperature 1.91, kept from classic (not fitted again after fine-tuning)" in info


def test_a_fine_tune_of_a_model_that_learned_pen_digits_says_it_still_knows_them():
    from digitpad.core.bundled import DEFAULT
    from digitpad.core.model_io import load_model
    from digitpad.core.training import fine_tuned_from

    source = load_model(DEFAULT.path).metadata
    record = fine_tuned_from(source, 0.99, "default.npz")
    assert record["name"] == "default" and record["path"] == "default.npz"
    assert record["pen_digits"]["accuracy"] == source.metrics["held_out_writers_accuracy"]
    info = model_info_html(model({"fine_tuned_from": record}, temperature=0.67))
    assert "Not trained on pen-written digits" not in info
    assert "Its source also learned pen-written digits of 24 writers" in info
    assert "it read writers it never saw (3, 7, 8, 12, 19, 25) at 99.93% before" in info
    assert "kept from default (not fitted again after fine-tuning)" in info
    # A fine-tune of that fine-tune still knows where the pen digits came from.
    again = fine_tuned_from(replace(source, training={"fine_tuned_from": record}), 0.99)
    assert again["pen_digits"]["held_out_writers"] == [3, 7, 8, 12, 19, 25]
