"""Scoring: examine keeps every answer, and a confusion cell lists its images, most
confident first; progress is reported per batch."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.core.architectures import with_not_a_digit
from digitpad.core.bundled import CLASSIC
from digitpad.core.evaluation import evaluate, examine
from digitpad.core.familiarity import digit_share, familiarity
from digitpad.core.model_io import load_model
from digitpad.core.network import NOT_A_DIGIT, NUM_CLASSES, Network


def test_each_cell_lists_its_images_most_confident_first(mnist_test):
    network = load_model(CLASSIC.path).network
    images, labels = mnist_test.as_float()[:3000], mnist_test.labels[:3000]
    calls = []
    result = examine(
        network, images, labels, progress=lambda d, t: calls.append((d, t)), batch_size=1000
    )
    assert calls == [(1000, 3000), (2000, 3000), (3000, 3000)]
    plain = evaluate(network, images, labels)
    assert result.evaluation == plain
    confusion = np.array(plain.confusion)
    for true in range(10):
        for predicted in range(10):
            cell = result.cell(true, predicted)
            assert len(cell) == confusion[true, predicted]
            assert (labels[cell] == true).all() and (result.predicted[cell] == predicted).all()
            assert (np.diff(result.probabilities[cell, predicted]) <= 0).all()


def _tiny_spec() -> dict:
    return {"layers": [{"type": "flatten"}, {"type": "dense", "units": NUM_CLASSES}]}


def test_a_not_a_digit_label_without_that_output_is_a_clear_error_not_an_index_error():
    network = Network(_tiny_spec())
    images = np.random.default_rng(0).random((4, 28, 28), dtype=np.float32)
    with pytest.raises(ValueError, match="'not a digit'"):
        examine(network, images, np.array([1, 2, NOT_A_DIGIT, 3]))
    with pytest.raises(ValueError, match="no 'not a digit' output"):
        examine(network, images, np.array([1, 2, 3, 4]), not_a_digit_below=0.0)


def test_a_network_with_the_not_a_digit_output_is_scored_on_non_digits_too():
    network = Network(with_not_a_digit(_tiny_spec()), rng=np.random.default_rng(3))
    images = np.random.default_rng(1).random((40, 28, 28), dtype=np.float32)
    scores = network.scores(images)
    digits_familiarity = familiarity(scores)
    threshold = float(np.median(digits_familiarity))  # half of them called not a digit
    called_not = digits_familiarity < threshold
    labels = np.where(np.arange(40) % 4 == 0, NOT_A_DIGIT, np.arange(40) % 10)
    result = examine(network, images, labels, not_a_digit_below=threshold)
    digit_answer = network.predict(images).argmax(axis=1)
    expected = np.where(called_not, NOT_A_DIGIT, digit_answer)
    assert (result.predicted == expected).all()
    assert result.classes == NUM_CLASSES + 1
    confusion = np.array(result.evaluation.confusion)
    assert confusion.shape == (11, 11) and confusion.sum() == 40
    assert confusion[NOT_A_DIGIT, NOT_A_DIGIT] == int((called_not & (labels == NOT_A_DIGIT)).sum())
    assert result.evaluation.accuracy == pytest.approx(float((expected == labels).mean()))
    assert len(result.evaluation.per_class_accuracy) == 11
    cell = result.cell(NOT_A_DIGIT, NOT_A_DIGIT)
    assert len(cell) == confusion[NOT_A_DIGIT, NOT_A_DIGIT]
    assert (np.diff(result.not_a_digit_share[cell]) <= 0).all()
    assert np.allclose(result.not_a_digit_share, 1 - digit_share(scores))
