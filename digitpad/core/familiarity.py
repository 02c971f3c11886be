"""Does a drawing look like the digits the network learned? A calibrated familiarity score.

Softmax always shares 100 % among the ten digits, so a scribble can come out "7, 98 %
sure". The logits themselves say more: digits like the training ones drive one logit far
up, while an unfamiliar shape leaves them all low. The familiarity of an input is
``log(sum(exp(logits)))``, the negative of the "energy" of Liu et al., *Energy-based
Out-of-distribution Detection* (NeurIPS 2020), which they found separates unfamiliar inputs
better than the top softmax share.

A network with a "not a digit" output (``network.NOT_A_DIGIT``, trained on letters and
doodles: outliers.py) says it outright: its familiarity is the log-odds its softmax gives
the ten digits together against "not a digit", ``log(sum(exp(digit logits))) - not-a-digit
logit``, so that ``digit_share`` (its logistic) is the share of the softmax the digits
hold. Both scores grow with how digit-like the drawing is.

A score means nothing without a threshold, and every model has its own scale, so the
threshold is measured on digits when the model is trained: the familiarity below which
``FLAGGED_SHARE`` of its calibration digits fall (MNIST digits held out for validation, or
a fixed sample of its training digits when it kept none; those were seen in training and
score a little higher, which makes the threshold a little stricter). It is stored in the
model file's metrics; a model without one simply gives no cue.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from digitpad.core.evaluation import stoppable_scores
from digitpad.core.network import NUM_CLASSES, Network

THRESHOLD_KEY = "familiarity_threshold"
# The share of real digits the cue may wrongly flag: one in two hundred.
FLAGGED_SHARE = 0.005
CALIBRATION_SIZE = 6000
# Fewer validation digits than this leave the 0.5 % quantile to a handful of digits.
MIN_VALIDATION = 2000


def _log_sum_exp(values: np.ndarray) -> np.ndarray:
    top = values.max(axis=-1, keepdims=True)
    return (top + np.log(np.exp(values - top).sum(axis=-1, keepdims=True)))[..., 0]


def familiarity(scores: np.ndarray) -> np.ndarray:
    """A network's outputs (..., 10 or 11) -> how digit-like: log-sum-exp of the ten
    logits, less the "not a digit" score when there is one; computed without overflow."""
    scores = np.asarray(scores, dtype=np.float64)
    digits = _log_sum_exp(scores[..., :NUM_CLASSES])
    return digits - scores[..., NUM_CLASSES] if scores.shape[-1] > NUM_CLASSES else digits


def digit_share(scores: np.ndarray) -> np.ndarray | None:
    """The share of the softmax the ten digits hold together (1 - p(not a digit)), for a
    network with the "not a digit" output; None for one without (nothing to share with)."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape[-1] <= NUM_CLASSES:
        return None
    return 1.0 / (1.0 + np.exp(-np.clip(familiarity(scores), -700, 700)))


def calibration_images(train_images: np.ndarray, val_images: np.ndarray, seed: int) -> np.ndarray:
    """The digits a model's threshold is measured on: its validation digits when it kept
    enough, else ``CALIBRATION_SIZE`` of its training digits picked with its seed."""
    if len(val_images) >= MIN_VALIDATION:
        return val_images
    rng = np.random.default_rng([seed, 1])  # its own stream: training draws stay as they were
    count = min(CALIBRATION_SIZE, len(train_images))
    return train_images[np.sort(rng.permutation(len(train_images))[:count])]


def threshold_for(
    network: Network, images: np.ndarray, should_stop: Callable[[], bool] | None = None
) -> float:
    """The familiarity below which ``FLAGGED_SHARE`` of ``images`` (N, 28, 28) fall.
    ``should_stop`` is asked between chunks (EvaluationStopped)."""
    if len(images) == 0:
        raise ValueError("no calibration digits")
    scores = stoppable_scores(network, images, should_stop)
    return float(np.quantile(familiarity(scores), FLAGGED_SHARE))


def threshold_of(metrics: dict) -> float | None:
    """The threshold a model file records, if any."""
    value = metrics.get(THRESHOLD_KEY)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
