"""Scoring a network on labelled images: accuracy, loss, per-class accuracy, confusion,
and (``examine``) the images behind each cell of the confusion matrix.

A network with the "not a digit" output can be scored on images labelled ``NOT_A_DIGIT``
too (``examine``'s ``not_a_digit_below``): the matrix then has an eleventh row and
column."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from digitpad.core.layers import softmax
from digitpad.core.network import NOT_A_DIGIT, NUM_CLASSES, PREDICT_BATCH, Network


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
    labels: np.ndarray  # (N,) a digit, or NOT_A_DIGIT when ``classes`` is 11
    probabilities: np.ndarray  # (N, 10) the digits' shares
    predicted: np.ndarray  # (N,) the answer: a digit, or NOT_A_DIGIT when ``classes`` is 11
    # (N,) the share of the softmax "not a digit" holds; None for a reading of the digits alone
    not_a_digit_share: np.ndarray | None = None

    @property
    def classes(self) -> int:
        """10, or 11 when "not a digit" is one of the answers."""
        return NUM_CLASSES if self.not_a_digit_share is None else NUM_CLASSES + 1

    def confidence(self) -> np.ndarray:
        """(N,) how sure the network was of its answer: the answer's share of the softmax."""
        chosen = np.minimum(self.predicted, NUM_CLASSES - 1)
        sure = self.probabilities[np.arange(len(self.predicted)), chosen]
        if self.not_a_digit_share is not None:
            sure = np.where(self.predicted == NOT_A_DIGIT, self.not_a_digit_share, sure)
        return sure

    def cell(self, true: int, predicted: int) -> np.ndarray:
        """The indices of the images of ``true`` read as ``predicted``, the most
        confident answer first (for mistakes: the most confidently wrong)."""
        chosen = np.flatnonzero((self.labels == true) & (self.predicted == predicted))
        confidence = self.confidence()[chosen]
        return chosen[np.argsort(-confidence, kind="stable")]


def examine(
    network: Network,
    images: np.ndarray,
    labels: np.ndarray,
    should_stop: Callable[[], bool] | None = None,
    progress: Callable[[int, int], None] | None = None,
    batch_size: int = PREDICT_BATCH,
    not_a_digit_below: float | None = None,
) -> Examination:
    """``evaluate``, keeping every image's probabilities; ``progress(done, total)`` after
    each batch.

    ``not_a_digit_below``, for a network with the "not a digit" output: the familiarity
    (familiarity.py) below which it calls an image not a digit, as the window does (the
    model's calibrated threshold). Images labelled ``NOT_A_DIGIT`` are then scored too, and
    the matrix gets their row and column. Without it, the digits alone are read (argmax),
    and a ``NOT_A_DIGIT`` label is a ValueError: leave those images out first."""
    # familiarity.py reads its scores through this module: imported here, not at the top.
    from digitpad.core.familiarity import digit_share, familiarity

    labels = np.asarray(labels, dtype=np.intp)
    if not_a_digit_below is not None and not network.knows_non_digits:
        raise ValueError(
            f"not_a_digit_below={not_a_digit_below}: the network has no 'not a digit' output"
        )
    classes = NUM_CLASSES if not_a_digit_below is None else NUM_CLASSES + 1
    wrong = labels[(labels < 0) | (labels >= classes)]
    if len(wrong):
        what = "'not a digit' (10)" if int(wrong[0]) == NOT_A_DIGIT else str(int(wrong[0]))
        raise ValueError(
            f"label {what} cannot be scored: "
            + (
                "this reading has no 'not a digit' answer (leave those images out)"
                if int(wrong[0]) == NOT_A_DIGIT
                else f"labels are 0 to {classes - 1}"
            )
        )
    parts = []
    for start in range(0, len(images), batch_size):
        if should_stop is not None and should_stop():
            raise EvaluationStopped(f"stopped after {start} of {len(images)} images")
        parts.append(network.scores(images[start : start + batch_size], batch_size))
        if progress is not None:
            progress(min(start + batch_size, len(images)), len(images))
    scores = np.concatenate(parts) if parts else np.zeros((0, network.outputs), network.dtype)
    # As Network.predict: the digits' softmax, at the network's temperature.
    probabilities = softmax(scores[:, :NUM_CLASSES] / network.dtype(network.temperature))
    predicted = probabilities.argmax(axis=1)
    picked = probabilities[np.arange(len(labels)), np.minimum(labels, NUM_CLASSES - 1)]
    refused = None
    if not_a_digit_below is not None:
        refused = 1.0 - digit_share(scores)
        predicted = np.where(familiarity(scores) < not_a_digit_below, NOT_A_DIGIT, predicted)
        picked = np.where(labels == NOT_A_DIGIT, refused, picked)
    confusion = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    per_class = confusion.diagonal() / np.maximum(confusion.sum(axis=1), 1)
    evaluation = Evaluation(
        accuracy=float((predicted == labels).mean()) if len(labels) else 0.0,
        loss=float(-np.log(np.maximum(picked, 1e-12)).mean()) if len(labels) else 0.0,
        per_class_accuracy=[float(v) for v in per_class],
        confusion=confusion.tolist(),
        n=len(labels),
    )
    return Examination(evaluation, np.asarray(images), labels, probabilities, predicted, refused)
