"""One training session for the CLI and the Retrain dialog: what it yields, what it
records, and that a stop is honoured at every step."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from digitpad.core.bundled import CLASSIC
from digitpad.core.model_io import load_model
from digitpad.core.network import Network
from digitpad.core.session import (
    FineTune,
    NewNetwork,
    SessionRequest,
    SessionResult,
    Step,
    Training,
    result_of,
    run,
)
from digitpad.core.training import FINE_TUNE, BatchEnd, TrainConfig, TrainingStopped

SMALL = TrainConfig(epochs=1, limit=500, validation_fraction=0.2, augment=False)


def new_classic(mnist_dir, config=SMALL, **fields) -> SessionRequest:
    return SessionRequest(NewNetwork("classic", CLASSIC.spec()), config, mnist_dir, "n", **fields)


def test_a_new_network_is_trained_scored_and_described(mnist_dir):
    events = list(run(new_classic(mnist_dir)))
    steps = [e.text for e in events if isinstance(e, Step)]
    assert steps[0] == "Loading MNIST…" and steps[-1].startswith("Scoring on the 10,000")
    assert sum(isinstance(e, Training) for e in events) == 1
    result = events[-1]
    assert isinstance(result, SessionResult) and result.evaluation.n == 10_000
    assert result.baseline_evaluation is None  # nothing to compare with
    assert result.metadata.training["arch"] == "classic"
    assert result.metadata.training["config"]["limit"] == 500
    assert result.metadata.metrics["test_accuracy"] == result.evaluation.accuracy
    assert "fine_tuned_from" not in result.metadata.training
    # The same request and seed make the same model.
    again = result_of(run(new_classic(mnist_dir)))
    for name, value in result.network.named_params().items():
        assert np.array_equal(value, again.network.named_params()[name])


def test_a_fine_tune_starts_from_its_source_records_it_and_keeps_none_aside(mnist_dir):
    source = load_model(CLASSIC.path)
    config = replace(FINE_TUNE, epochs=1, limit=500, augment=False)
    request = SessionRequest(FineTune(source), config, mnist_dir, "tuned")
    assert request.baseline is source.network  # compared with what it started from
    assert "classic trained on every MNIST training digit" in request.validation_note
    result = result_of(run(request))
    assert result.metadata.training["arch"] == "classic"
    assert result.metadata.training["fine_tuned_from"]["name"] == "classic"
    before = result.baseline_evaluation.accuracy
    assert before == pytest.approx(source.metadata.metrics["test_accuracy"])
    assert result.metadata.training["fine_tuned_from"]["test_accuracy"] == before
    assert result.network.temperature == source.network.temperature
    pristine = load_model(CLASSIC.path).network.named_params()
    for name, value in source.network.named_params().items():
        assert np.array_equal(value, pristine[name])  # the source itself is left as it was


@pytest.mark.parametrize("stop_at", ["Loading MNIST…", "Training…", "batch", "Scoring"])
def test_a_stop_is_honoured_at_every_step(mnist_dir, stop_at):
    stop = False
    after: list = []  # what came after the stop was asked for
    events = run(new_classic(mnist_dir), lambda: stop)
    with pytest.raises(TrainingStopped):
        for event in events:
            if stop:
                after.append(event)
            if isinstance(event, Step) and event.text.startswith(stop_at):
                stop = True
            if isinstance(event, BatchEnd) and stop_at == "batch":
                stop = True
    # Nothing more is done once asked: no training after loading, no batch after the
    # first, no result after scoring.
    assert not any(isinstance(event, (BatchEnd, SessionResult)) for event in after)
    if stop_at == "Loading MNIST…":
        assert not any(isinstance(event, Training) for event in after)


def test_settings_that_do_not_fit_the_data_are_refused_naming_the_value(mnist_dir):
    config = replace(SMALL, limit=10, validation_fraction=0.95)
    with pytest.raises(ValueError, match="validation fraction of 0.95 .* of 10 images"):
        list(run(new_classic(mnist_dir, config)))
    with pytest.raises(ValueError, match="pen_ratio 0.1 needs a pen-digits folder"):
        new_classic(mnist_dir, replace(SMALL, pen_ratio=0.1))


def test_the_model_compared_with_is_scored_beside(mnist_dir):
    other = Network(CLASSIC.spec(), np.random.default_rng(1))
    result = result_of(run(new_classic(mnist_dir, compare_with=other)))
    assert result.baseline_evaluation.accuracy < 0.3  # an untrained network: about chance
