"""Scoring: examine keeps every answer, and a confusion cell lists its images, most
confident first; progress is reported per batch."""

from __future__ import annotations

import numpy as np

from digitpad.core.bundled import CLASSIC
from digitpad.core.evaluation import evaluate, examine
from digitpad.core.model_io import load_model


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
