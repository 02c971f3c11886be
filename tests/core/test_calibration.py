"""Calibration: the ECE measures what it says, temperature scaling finds a known
temperature and leaves every answer as it was, and the network and its file keep it."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.core.bundled import CLASSIC
from digitpad.core.calibration import (
    cross_fitted_ece,
    expected_calibration_error,
    fit,
    fit_temperature,
    negative_log_likelihood,
    scaled_probabilities,
)
from digitpad.core.model_io import ModelFormatError, ModelMetadata, load_model, save_model
from digitpad.core.network import Network


def drawn(logits: np.ndarray, temperature: float, rng: np.random.Generator) -> np.ndarray:
    """Labels drawn from softmax(logits / temperature): the truth of a model whose honest
    temperature is ``temperature``."""
    probabilities = scaled_probabilities(logits, temperature)
    cumulative = probabilities.cumsum(axis=1)
    return (rng.random((len(logits), 1)) > cumulative).sum(axis=1).clip(0, 9)


def test_ece_is_near_zero_when_confidence_is_honest_and_the_gap_when_not():
    rng = np.random.default_rng(0)
    n = 40_000
    confidence = rng.uniform(0.5, 1.0, n)
    right = rng.random(n) < confidence
    probabilities = np.full((n, 10), 0.0)
    probabilities[:, 0] = confidence
    probabilities[:, 1] = 1 - confidence  # below the top one: argmax stays 0
    labels = np.where(right, 0, 2)
    assert expected_calibration_error(probabilities, labels) < 0.01
    # Shown as 99 % sure, right 70 % of the time: 29 points over-confident.
    probabilities[:, 0], probabilities[:, 1] = 0.99, 0.01
    labels = np.where(rng.random(n) < 0.7, 0, 2)
    assert expected_calibration_error(probabilities, labels) == pytest.approx(0.29, abs=0.01)


def test_ece_counts_a_confidence_of_one_in_the_last_bin():
    probabilities = np.eye(10)[[3, 4]]
    assert expected_calibration_error(probabilities, np.array([3, 4])) == 0.0
    assert expected_calibration_error(probabilities, np.array([3, 5])) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="no digits"):
        expected_calibration_error(np.zeros((0, 10)), np.zeros(0, int))


@pytest.mark.parametrize("truth", [0.6, 1.0, 2.5])
def test_the_fitted_temperature_is_the_one_the_labels_were_drawn_with(truth):
    rng = np.random.default_rng(1)
    logits = rng.normal(0, 4, (20_000, 10))
    labels = drawn(logits, truth, rng)
    fitted = fit_temperature(logits, labels)
    assert fitted == pytest.approx(truth, rel=0.06)
    best = negative_log_likelihood(logits, labels, fitted)
    assert best <= negative_log_likelihood(logits, labels, fitted * 1.1)
    assert best <= negative_log_likelihood(logits, labels, fitted / 1.1)


def test_scaling_an_overconfident_model_lowers_its_ece_and_keeps_every_answer():
    rng = np.random.default_rng(2)
    logits = rng.normal(0, 3, (10_000, 10))
    labels = drawn(logits, 1.0, rng)
    overconfident = logits * 3  # what an overfitted network does
    writers = rng.integers(0, 5, len(labels))
    result = fit(overconfident, labels, writers)
    assert result.temperature == pytest.approx(3.0, rel=0.08)
    assert result.ece_before > 0.1
    assert result.ece_after < result.ece_before / 4
    np.testing.assert_array_equal(
        scaled_probabilities(overconfident, result.temperature).argmax(axis=1),
        overconfident.argmax(axis=1),
    )


def test_cross_fitting_needs_two_writers():
    logits = np.zeros((4, 10))
    with pytest.raises(ValueError, match="two writers"):
        cross_fitted_ece(logits, np.zeros(4, int), np.ones(4, int))


def test_a_network_divides_its_logits_by_its_temperature_when_predicting():
    net = Network(CLASSIC.spec(), np.random.default_rng(0))
    images = np.random.default_rng(1).random((5, 28, 28), dtype=np.float32)
    logits = net.logits(images)
    net.temperature = 2.0
    np.testing.assert_allclose(net.predict(images), scaled_probabilities(logits, 2.0), atol=1e-6)
    np.testing.assert_allclose(
        net.trace(images).probabilities, scaled_probabilities(logits, 2.0), atol=1e-6
    )
    np.testing.assert_array_equal(net.trace(images).logits, logits)  # the logits stay raw
    assert net.copy().temperature == 2.0
    for bad in (0.0, -1.0, float("nan"), 1e9, True, "2"):
        with pytest.raises(ValueError, match="temperature"):
            net.temperature = bad


def test_the_temperature_is_saved_and_read_back_and_a_bad_one_refused(tmp_path):
    net = Network(CLASSIC.spec(), np.random.default_rng(0))
    net.temperature = 1.7
    path = save_model(tmp_path / "t.npz", net, ModelMetadata(name="t"))
    model = load_model(path)
    assert model.network.temperature == 1.7
    assert model.metadata.metrics["temperature"] == 1.7
    # The network is the truth: a stale figure in the metadata is not written.
    net.temperature = 1.0
    save_model(path, net, ModelMetadata(name="t", metrics={"temperature": 3.0}))
    assert load_model(path).network.temperature == 1.0
    assert "temperature" not in load_model(path).metadata.metrics
    save_model(path, net, ModelMetadata(name="t"))
    # A file whose temperature is out of range: refused, naming the file and the value.
    hostile = Network(CLASSIC.spec(), np.random.default_rng(0))
    hostile._temperature = 1e6  # as a hand-edited file would hold it
    save_model(tmp_path / "hot.npz", hostile, ModelMetadata(name="hot"))
    with pytest.raises(ModelFormatError, match=r"hot\.npz: temperature must be .* got 1000000"):
        load_model(tmp_path / "hot.npz")
