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
    assert "written with a pen by 24 people, drawn as the canvas draws (25% of each batch)" in info
    assert "Reads 99.67% of the pen-written digits of people it never saw (writers 3, 7, 8)" in info
    assert "Percentages calibrated on writers 3, 7, 8" in info
    assert "divided by 0.89 (its <i>temperature</i>) before softmax" in info
    assert "differ by 0.4%, 2.5% before" in info


def test_a_model_of_mnist_only_says_so_and_whether_its_percentages_were_calibrated():
    info = model_info_html(model({}))
    assert "Learned from MNIST only, no pen-written digits" in info
    assert "not calibrated on drawn digits" in info
    fit = {
        "writers": [25, 26],
        "ece_before": 0.042,
        "ece_after": 0.021,
        "temperature": 1.91,
        "accuracy": 0.9287,
    }
    info = model_info_html(model({"temperature_fit": fit}, temperature=1.91))
    assert (
        "Learned from MNIST only, no pen-written digits: it reads 92.87% of the pen-written "
        "digits of writers 25, 26"
    ) in info
    assert "Percentages calibrated on writers 25, 26" in info
    assert "divided by 1.91" in info and "differ by 2.1%, 4.2% before" in info


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
    assert "Also learned from digits written with a pen" in info
    assert "divided by 1.30" in info  # the percentages' scaling is always told
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
    assert "Learned from your samples too: it reads 75% of the 4 held out to test it" in info
    # A later calibration on other writers is the one the percentages follow.
    assert "Percentages calibrated on writers 9" in info
    assert "divided by 1.20" in info and "differ by 3.0%, 5.0% before" in info


def test_a_fine_tuned_model_says_its_temperature_is_its_sources():
    info = model_info_html(model({"fine_tuned_from": {"name": "classic"}}, temperature=1.91))
    assert "use the temperature of classic (its scores are divided by 1.91" in info
    assert "not fitted again after fine-tuning" in info


def test_a_fine_tune_of_a_model_that_learned_pen_digits_says_it_still_knows_them():
    from digitpad.core.bundled import DEFAULT
    from digitpad.core.model_io import load_model
    from digitpad.core.training import fine_tuned_from

    source = load_model(DEFAULT.path).metadata
    record = fine_tuned_from(source, 0.99, "default.npz")
    assert record["name"] == "default" and record["path"] == "default.npz"
    assert record["pen_digits"]["accuracy"] == source.metrics["held_out_writers_accuracy"]
    info = model_info_html(model({"fine_tuned_from": record}, temperature=0.67))
    assert "MNIST only" not in info
    assert "Its source also learned digits written with a pen by 24 people" in info
    assert "people it never saw (writers 3, 7, 8, 12, 19, 25) at 99.87% before" in info
    assert "use the temperature of default" in info
    # A fine-tune of that fine-tune still knows where the pen digits came from.
    again = fine_tuned_from(replace(source, training={"fine_tuned_from": record}), 0.99)
    assert again["pen_digits"]["held_out_writers"] == [3, 7, 8, 12, 19, 25]


def test_model_info_says_when_in_words_and_explains_its_terms():
    info = model_info_html(
        Model(
            Network(CLASSIC.spec(), np.random.default_rng(0)),
            ModelMetadata(name="m", created="2026-11-26T07:30:00+00:00"),
            "m.npz",
        )
    )
    assert "2026-11-26T" not in info and "November 2026 at" in info
    assert "How it reads MNIST's test digits: not recorded" in info


@pytest.mark.parametrize(
    "created", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "no date", ""]
)
def test_any_date_a_file_holds_is_shown_without_error(created):
    network = Network(CLASSIC.spec(), np.random.default_rng(0))
    info = model_info_html(Model(network, ModelMetadata(name="m", created=created), "m.npz"))
    assert "Made on" in info


def test_model_info_says_whether_it_can_tell_a_drawing_is_not_a_digit():
    info = model_info_html(model({}, {"familiarity_threshold": 3.0}))
    assert "It cannot tell that a drawing is not a digit" in info
    assert "doesn't look like the digits it learned" in info
    spec = CLASSIC.spec()
    spec["layers"][-1]["units"] = 11
    knows = Model(
        Network(spec),
        ModelMetadata(
            name="m",
            training={
                "config": {"outlier_ratio": 0.125},
                "non_digits": {
                    "held_out_writers": [2, 5],
                    "letters_flagged": 0.91,
                    "doodles_flagged": 0.964,
                    "digit_like_letters_flagged": "odd",
                },
            },
        ),
        "m.npz",
    )
    info = model_info_html(knows)
    assert "from letters written with a pen and doodles (12% of each batch)" in info
    assert "it calls 91% of the letters of writers it never saw (2, 5) and 96% of doodles" in info


def table_rows(info: str) -> list[list[str]]:
    import re

    rows = re.findall(r"<tr>(.*?)</tr>", info)
    return [
        [
            re.sub(r"<[^>]+>|&nbsp;", "", cell).strip()
            for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)
        ]
        for row in rows
    ]


@pytest.mark.parametrize("name", ["default", "classic"])
def test_model_info_names_the_stages_as_the_layer_strip_does(name):
    """The strip says "conv1 + relu": Model Info's table groups each activation with the
    layer before it the same way, its parameters counted with that layer's, and ends with
    the softmax the strip ends with."""
    from digitpad.core.bundled import resolve_model
    from digitpad.core.model_io import load_model
    from digitpad.core.stages import network_stages

    loaded = load_model(resolve_model(name))
    info = model_info_html(loaded)
    rows = table_rows(info)[1:]  # the heading row first
    stages = network_stages(loaded.network)
    assert [row[0] for row in rows] == [stage.name for stage in stages]
    assert rows[-1][0] == "softmax" and rows[-1][1] == "10"
    assert not any(row[0].startswith("relu") for row in rows)
    assert sum(int(row[2].replace(",", "")) for row in rows) == loaded.network.parameter_count
    assert "the weights and biases that training adjusts" in info
    assert "training sets" not in info


def test_model_info_of_a_network_with_the_not_a_digit_output_keeps_working():
    from digitpad.core.architectures import ConvChoice, custom_spec, with_not_a_digit

    spec = with_not_a_digit(custom_spec([ConvChoice(4, padding="same")], dense_units=16))
    network = Network(spec, np.random.default_rng(0))
    rows = table_rows(model_info_html(Model(network, ModelMetadata(name="m"), "m.npz")))[1:]
    assert rows[-2][1] == "11" and rows[-1] == ["softmax", "10", "0"]


def test_the_stages_after_the_maps_have_a_plain_status_hint():
    from digitpad.core.stages import network_stages
    from digitpad.gui.describe import stage_hint

    network = Network(CLASSIC.spec(), np.random.default_rng(0))
    default = load_default()
    hints = {stage.name: stage_hint(default, stage.first) for stage in network_stages(default)}
    assert "3136" in hints["flatten1"] and "end to end" in hints["flatten1"]
    assert "128 units" in hints["dense1 + relu"] and "3136" in hints["dense1 + relu"]
    assert "(below zero becomes zero)" in hints["dense1 + relu"]
    assert "one score per digit" in hints["dense2"] and "128" in hints["dense2"]
    assert all(stage_hint(network, stage.first) for stage in network_stages(network))


def load_default() -> Network:
    from digitpad.core.bundled import resolve_model
    from digitpad.core.model_io import load_model

    return load_model(resolve_model("default")).network
