"""Does a drawing look like the digits the network learned? A calibrated familiarity score.

Softmax always shares 100 % among the ten digits, so a scribble can come out "7, 98 %
sure". The logits themselves say more: digits like the training ones drive one logit far
up, while an unfamiliar shape leaves them all low. The familiarity of an input is
``log(sum(exp(logits)))``, the negative of the "energy" of Liu et al., *Energy-based
Out-of-distribution Detection* (NeurIPS 2020), which they found separates unfamiliar inputs
better than the top softmax share.

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

from digitpad.core.evaluation import stoppable_logits
from digitpad.core.network import Network

THRESHOLD_KEY = "familiarity_threshold"
# The share of real digits the cue may wrongly flag: one in two hundred.
FLAGGED_SHARE = 0.005
CALIBRATION_SIZE = 6000
# Fewer validation digits than this leave the 0.5 % quantile to a handful of digits.
MIN_VALIDATION = 2000


def familiarity(logits: np.ndarray) -> np.ndarray:
    """log-sum-exp of the logits over the last axis, computed without overflow."""
    logits = np.asarray(logits, dtype=np.float64)
    top = logits.max(axis=-1, keepdims=True)
    return (top + np.log(np.exp(logits - top).sum(axis=-1, keepdims=True)))[..., 0]


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
    logits = stoppable_logits(network, images, should_stop)
    return float(np.quantile(familiarity(logits), FLAGGED_SHARE))


def threshold_of(metrics: dict) -> float | None:
    """The threshold a model file records, if any."""
    value = metrics.get(THRESHOLD_KEY)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
