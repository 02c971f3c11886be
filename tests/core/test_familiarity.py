"""The "doesn't look like the digits it learned" cue: score, calibration, storage, viewer."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from digitpad.core.bundled import CLASSIC, resolve_model
from digitpad.core.data import Split
from digitpad.core.evaluation import evaluate
from digitpad.core.familiarity import (
    CALIBRATION_SIZE,
    FLAGGED_SHARE,
    MIN_VALIDATION,
    THRESHOLD_KEY,
    calibration_images,
    familiarity,
    threshold_for,
    threshold_of,
)
from digitpad.core.model_io import Model, load_model, save_model
from digitpad.core.network import Network
from digitpad.core.reference import DIGITS
from digitpad.core.strokes import Stroke, render
from digitpad.core.training import (
    Finished,
    TrainConfig,
    calibration_set,
    run_metadata,
    train,
)
from digitpad.core.viewer import ViewerModel


def drawn(strokes, pen=22.0) -> np.ndarray:
    return render([Stroke(np.array(points, float), pen) for points in strokes])


# A scribble that is no digit. (A drawn capital A no longer serves: since the default
# model learned pen-written digits, an A reads as an open 4, familiar enough.)
SCRIBBLE = [
    [
        *((160, 119), (191, 199), (216, 197), (211, 172), (184, 142), (172, 129), (194, 117)),
        *((188, 80), (237, 96), (260, 119), (260, 112), (260, 193), (260, 228)),
    ]
]


def test_familiarity_is_log_sum_exp_without_overflow():
    logits = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(familiarity(logits), np.log(np.exp(logits).sum(axis=1)))
    assert familiarity(np.array([1000.0, 999.0])) == pytest.approx(1000 + np.log1p(np.exp(-1)))


def test_calibration_digits_are_the_validation_ones_or_a_seeded_sample():
    rng = np.random.default_rng(0)
    train_images = rng.random((CALIBRATION_SIZE + 500, 2, 2), dtype=np.float32)
    enough = rng.random((MIN_VALIDATION, 2, 2), dtype=np.float32)
    assert calibration_images(train_images, enough, seed=3) is enough
    few = enough[:10]
    sample = calibration_images(train_images, few, seed=3)
    assert len(sample) == CALIBRATION_SIZE
    np.testing.assert_array_equal(sample, calibration_images(train_images, few, seed=3))
    assert not np.array_equal(sample, calibration_images(train_images, few, seed=4))


def test_threshold_flags_the_stated_share_of_its_calibration_digits():
    rng = np.random.default_rng(1)
    images = rng.random((2000, 28, 28), dtype=np.float32)
    network = Network(CLASSIC.spec(), rng)
    threshold = threshold_for(network, images)
    below = (familiarity(network.logits(images)) < threshold).mean()
    assert below == pytest.approx(FLAGGED_SHARE, abs=1 / len(images))
    with pytest.raises(ValueError, match="no calibration digits"):
        threshold_for(network, images[:0])


def test_training_records_the_threshold_that_calibrate_reproduces(tmp_path):
    rng = np.random.default_rng(2)
    images = rng.random((300, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, 300)
    config = TrainConfig(epochs=1, batch_size=50, validation_fraction=0.2, seed=5)
    network = Network(CLASSIC.spec(), np.random.default_rng(5))
    finished = list(train(network, images, labels, config))[-1]
    assert isinstance(finished, Finished) and finished.familiarity_threshold is not None
    # `digitpad calibrate` picks the same digits from the recorded config.
    again = threshold_for(network, calibration_set(images, labels, config))
    assert again == pytest.approx(finished.familiarity_threshold)
    scores = evaluate(network, images[:50], labels[:50])
    split = Split(images, labels.astype(np.uint8), "0" * 64)
    metadata = run_metadata("tiny", "classic", config, finished, scores, split)
    assert metadata.metrics[THRESHOLD_KEY] == finished.familiarity_threshold
    path = save_model(tmp_path / "tiny.npz", network, metadata)
    assert threshold_of(load_model(path).metadata.metrics) == finished.familiarity_threshold


def test_a_stopped_run_has_no_threshold():
    rng = np.random.default_rng(0)
    images, labels = rng.random((100, 28, 28), dtype=np.float32), rng.integers(0, 10, 100)
    events = list(
        train(Network(CLASSIC.spec()), images, labels, TrainConfig(batch_size=10), lambda: True)
    )
    assert events[-1].stopped and events[-1].familiarity_threshold is None


@pytest.mark.parametrize("value", ["6.0", True, None])
def test_only_a_number_is_a_threshold(value):
    assert threshold_of({THRESHOLD_KEY: value}) is None
    assert threshold_of({THRESHOLD_KEY: 6}) == 6.0


@pytest.mark.parametrize("name", ["default", "classic"])
def test_bundled_models_flag_at_most_one_percent_of_mnist_test_digits(name, mnist_test):
    model = load_model(resolve_model(name))
    threshold = threshold_of(model.metadata.metrics)
    assert threshold is not None
    scores = familiarity(model.network.logits(mnist_test.as_float()))
    assert (scores < threshold).mean() <= 0.01


def test_viewer_flags_a_scribble_but_not_a_digit():
    model = load_model(resolve_model("default"))
    viewer = ViewerModel()
    viewer.use_model(model)
    for digit, strokes in DIGITS.items():
        viewer.update(drawn(strokes), pen_width=22)
        assert viewer.verdict.digit == digit and not viewer.unfamiliar, digit
        assert viewer.familiarity > viewer.familiarity_threshold
    viewer.update(drawn(SCRIBBLE), pen_width=22)
    assert viewer.unfamiliar and viewer.verdict is not None  # the best guess is still there
    assert viewer.familiarity == pytest.approx(float(familiarity(viewer.trace.scores[0])))
    # A model without a threshold gives no cue; neither does a run being watched.
    bare = Model(model.network, dataclasses.replace(model.metadata, metrics={}), None)
    viewer.use_model(bare)
    assert not viewer.unfamiliar and viewer.familiarity is not None
    viewer.use_model(model)
    assert viewer.unfamiliar
    # A run being watched has no calibrated threshold: default's network, with the "not a
    # digit" output, answers for itself (more than half its softmax); classic's gives none.
    viewer.show_training(model.network.copy())
    assert viewer.familiarity_threshold == 0.0 and viewer.unfamiliar
    viewer.show_training(load_model(resolve_model("classic")).network.copy())
    assert not viewer.unfamiliar and viewer.familiarity_threshold is None


def test_too_small_is_said_before_unfamiliar():
    viewer = ViewerModel()
    viewer.use_model(load_model(resolve_model("default")))
    viewer.update(drawn([[(140, 140)]]), pen_width=22)
    assert viewer.too_small and not viewer.unfamiliar
