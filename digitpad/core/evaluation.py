"""Scoring a network on labelled images: accuracy, loss, per-class accuracy, confusion."""

from __future__ import annotations

from collections.abc import Callable
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


class EvaluationStopped(Exception):
    """``should_stop`` said so before the evaluation was complete."""


def evaluate(
    network: Network,
    images: np.ndarray,
    labels: np.ndarray,
    should_stop: Callable[[], bool] | None = None,
    batch_size: int = 1000,
) -> Evaluation:
    """images (N, 28, 28) float32 in [0, 1], labels (N,) -> Evaluation.

    ``should_stop`` is asked between batches; when it returns True the evaluation ends
    with ``EvaluationStopped``.
    """
    labels = np.asarray(labels, dtype=np.intp)
    parts = []
    for start in range(0, len(images), batch_size):
        if should_stop is not None and should_stop():
            raise EvaluationStopped(f"stopped after {start} of {len(images)} images")
        parts.append(network.predict(images[start : start + batch_size], batch_size))
    probabilities = np.concatenate(parts) if parts else np.zeros((0, NUM_CLASSES), np.float32)
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
