"""Scoring a network on labelled images: accuracy, loss, per-class accuracy, confusion,
and (``examine``) the images behind each cell of the confusion matrix."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from digitpad.core.network import NUM_CLASSES, PREDICT_BATCH, Network


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


def stoppable_scores(
    network: Network,
    images: np.ndarray,
    should_stop: Callable[[], bool] | None = None,
    batch_size: int = PREDICT_BATCH,
) -> np.ndarray:
    """``network.scores(images)`` (every output, "not a digit" included), asking
    ``should_stop`` between chunks (EvaluationStopped when it says so)."""
    parts = []
    for start in range(0, len(images), batch_size):
        if should_stop is not None and should_stop():
            raise EvaluationStopped(f"stopped after {start} of {len(images)} images")
        parts.append(network.scores(images[start : start + batch_size], batch_size))
    return np.concatenate(parts) if parts else np.zeros((0, network.outputs), network.dtype)


def stoppable_logits(
    network: Network,
    images: np.ndarray,
    should_stop: Callable[[], bool] | None = None,
    batch_size: int = PREDICT_BATCH,
) -> np.ndarray:
    """``network.logits(images)``: the ten digits' logits, as ``stoppable_scores``."""
    return stoppable_scores(network, images, should_stop, batch_size)[:, :NUM_CLASSES]


def evaluate(
    network: Network,
    images: np.ndarray,
    labels: np.ndarray,
    should_stop: Callable[[], bool] | None = None,
    batch_size: int = PREDICT_BATCH,
) -> Evaluation:
    """images (N, 28, 28) float32 in [0, 1], labels (N,) -> Evaluation.

    ``should_stop`` is asked between batches; when it returns True the evaluation ends
    with ``EvaluationStopped``.
    """
    return examine(network, images, labels, should_stop, batch_size=batch_size).evaluation


@dataclass(frozen=True, eq=False)
class Examination:
    """An evaluation that keeps what the network said of every image, so each cell of the
    confusion matrix can show the images behind it."""

    evaluation: Evaluation
    images: np.ndarray  # (N, 28, 28)
    labels: np.ndarray  # (N,)
    probabilities: np.ndarray  # (N, 10)

    @property
    def predicted(self) -> np.ndarray:
        return self.probabilities.argmax(axis=1)

    def cell(self, true: int, predicted: int) -> np.ndarray:
        """The indices of the images of digit ``true`` read as ``predicted``, the most
        confident answer first (for mistakes: the most confidently wrong)."""
        chosen = np.flatnonzero((self.labels == true) & (self.predicted == predicted))
        confidence = self.probabilities[chosen, predicted]
        return chosen[np.argsort(-confidence, kind="stable")]


def examine(
    network: Network,
    images: np.ndarray,
    labels: np.ndarray,
    should_stop: Callable[[], bool] | None = None,
    progress: Callable[[int, int], None] | None = None,
    batch_size: int = PREDICT_BATCH,
) -> Examination:
    """``evaluate``, keeping every image's probabilities; ``progress(done, total)`` after
    each batch."""
    labels = np.asarray(labels, dtype=np.intp)
    parts = []
    for start in range(0, len(images), batch_size):
        if should_stop is not None and should_stop():
            raise EvaluationStopped(f"stopped after {start} of {len(images)} images")
        parts.append(network.predict(images[start : start + batch_size], batch_size))
        if progress is not None:
            progress(min(start + batch_size, len(images)), len(images))
    probabilities = np.concatenate(parts) if parts else np.zeros((0, NUM_CLASSES), np.float32)
    predicted = probabilities.argmax(axis=1)
    picked = probabilities[np.arange(len(labels)), labels]
    confusion = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    per_class = confusion.diagonal() / np.maximum(confusion.sum(axis=1), 1)
    evaluation = Evaluation(
        accuracy=float((predicted == labels).mean()) if len(labels) else 0.0,
        loss=float(-np.log(np.maximum(picked, 1e-12)).mean()) if len(labels) else 0.0,
        per_class_accuracy=[float(v) for v in per_class],
        confusion=confusion.tolist(),
        n=len(labels),
    )
    return Examination(evaluation, np.asarray(images), labels, probabilities)
