"""Scoring a network on labelled images: accuracy, loss, per-class accuracy, confusion."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digitpad.core.network import NUM_CLASSES, Network


@dataclass(frozen=True)
class Evaluation:
    accuracy: float
    loss: float
    per_class_accuracy: list[float]
    confusion: list[list[int]]  # confusion[true][predicted]
    n: int

    def to_json(self) -> dict:
        return {
            "accuracy": self.accuracy,
            "loss": self.loss,
            "per_class_accuracy": self.per_class_accuracy,
            "confusion": self.confusion,
            "n": self.n,
        }


def evaluate(network: Network, images: np.ndarray, labels: np.ndarray) -> Evaluation:
    """images (N, 28, 28) float32 in [0, 1], labels (N,) -> Evaluation."""
    labels = np.asarray(labels, dtype=np.intp)
    probabilities = network.predict(images)
    predicted = probabilities.argmax(axis=1)
    picked = probabilities[np.arange(len(labels)), labels]
    confusion = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    per_class = confusion.diagonal() / np.maximum(confusion.sum(axis=1), 1)
    return Evaluation(
        accuracy=float((predicted == labels).mean()) if len(labels) else 0.0,
        loss=float(-np.log(np.maximum(picked, 1e-12)).mean()) if len(labels) else 0.0,
        per_class_accuracy=[float(v) for v in per_class],
        confusion=confusion.tolist(),
        n=len(labels),
    )
