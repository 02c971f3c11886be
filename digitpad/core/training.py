"""Mini-batch training: a generator that reports progress and stops promptly when asked."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import numpy as np

from digitpad.core.augment import AugmentConfig, augment_batch
from digitpad.core.data import Split
from digitpad.core.evaluation import Evaluation, evaluate
from digitpad.core.familiarity import THRESHOLD_KEY, calibration_images, threshold_for
from digitpad.core.layers import SoftmaxCrossEntropy
from digitpad.core.model_io import ModelMetadata
from digitpad.core.network import Network

OPTIMIZERS = ("sgd", "adam")
# Chance-level cross-entropy over 10 classes is 2.3; a loss this large means the run blew up.
EXPLODED_LOSS = 1000.0
SCHEDULES = ("constant", "cosine", "step")


class TrainingDiverged(Exception):
    """The loss became NaN, infinite or exploded; the message gives epoch, batch and rate."""

    def __init__(self, epoch: int, batch: int, learning_rate: float, loss: float) -> None:
        super().__init__(
            f"training diverged at epoch {epoch}, batch {batch}: loss is {loss} with learning "
            f"rate {learning_rate:g}; try a lower learning rate"
        )
        self.epoch, self.batch, self.learning_rate, self.loss = epoch, batch, learning_rate, loss


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run; the same config and seed give the same model."""

    epochs: int = 3
    batch_size: int = 64
    learning_rate: float = 1e-3
    optimizer: str = "adam"
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: str = "cosine"
    augment: bool = False
    augment_config: AugmentConfig = field(default_factory=AugmentConfig)
    validation_fraction: float = 0.1
    limit: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        def bad(name: str, why: str) -> ValueError:
            return ValueError(f"{name} {why}, got {getattr(self, name)!r}")

        if not isinstance(self.epochs, int) or self.epochs < 1:
            raise bad("epochs", "must be an integer >= 1")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise bad("batch_size", "must be an integer >= 1")
        if not (math.isfinite(self.learning_rate) and self.learning_rate > 0):
            raise bad("learning_rate", "must be a positive number")
        if self.optimizer not in OPTIMIZERS:
            raise bad("optimizer", f"must be one of {OPTIMIZERS}")
        if not 0 <= self.momentum < 1:
            raise bad("momentum", "must be in [0, 1)")
        if not (math.isfinite(self.weight_decay) and self.weight_decay >= 0):
            raise bad("weight_decay", "must be >= 0")
        if self.schedule not in SCHEDULES:
            raise bad("schedule", f"must be one of {SCHEDULES}")
        if not 0 <= self.validation_fraction < 1:
            raise bad("validation_fraction", "must be in [0, 1)")
        if self.limit is not None and (not isinstance(self.limit, int) or self.limit < 10):
            raise bad("limit", "must be an integer >= 10")

    def to_json(self) -> dict:
        data = {k: v for k, v in vars(self).items() if k != "augment_config"}
        data["augment_config"] = vars(self.augment_config).copy() if self.augment else None
        return data


def with_overrides(config: TrainConfig, **overrides: object) -> TrainConfig:
    """A copy with the given non-None fields replaced."""
    return replace(config, **{k: v for k, v in overrides.items() if v is not None})


# -- optimisers --------------------------------------------------------------------------


class Optimizer:
    """Updates the network's parameters in place from its grads."""

    def __init__(self, network: Network, config: TrainConfig) -> None:
        self.params = network.named_params()
        self.grads = network.named_grads()
        self.config = config
        self.state: dict[str, list[np.ndarray]] = {
            name: [np.zeros_like(p), np.zeros_like(p)] for name, p in self.params.items()
        }
        self.steps = 0

    def step(self, learning_rate: float) -> None:
        self.steps += 1
        c = self.config
        for name, param in self.params.items():
            grad = self.grads[name]
            if c.weight_decay and name.endswith("weight"):
                grad = grad + c.weight_decay * param
            first, second = self.state[name]
            if c.optimizer == "sgd":
                first *= c.momentum
                first += grad
                param -= learning_rate * first
            else:
                beta1, beta2, eps = 0.9, 0.999, 1e-8
                first *= beta1
                first += (1 - beta1) * grad
                second *= beta2
                second += (1 - beta2) * grad * grad
                correction = math.sqrt(1 - beta2**self.steps) / (1 - beta1**self.steps)
                param -= (learning_rate * correction) * first / (np.sqrt(second) + eps)


def learning_rate_at(config: TrainConfig, progress: float) -> float:
    """progress in [0, 1) through the whole run -> the scheduled learning rate."""
    if config.schedule == "cosine":
        return config.learning_rate * 0.5 * (1 + math.cos(math.pi * progress))
    if config.schedule == "step":
        return config.learning_rate * 0.1 ** int(progress * 3)
    return config.learning_rate


# -- progress events ---------------------------------------------------------------------


@dataclass(frozen=True)
class BatchEnd:
    epoch: int  # 1-based
    epochs: int
    batch: int  # 1-based within the epoch
    batches: int
    loss: float
    accuracy: float
    learning_rate: float
    images_per_s: float
    elapsed_s: float
    eta_s: float


@dataclass(frozen=True)
class EpochEnd:
    epoch: int
    epochs: int
    train_loss: float
    train_accuracy: float
    val_loss: float | None
    val_accuracy: float | None
    elapsed_s: float
    network: Network  # a snapshot callers may keep (e.g. to show the filters forming)


@dataclass(frozen=True)
class Finished:
    network: Network
    stopped: bool  # True when should_stop ended the run early
    history: list[dict]
    elapsed_s: float
    # The familiarity below which a drawing is "unlike the digits it learned" (familiarity.py).
    familiarity_threshold: float | None = None


Event = BatchEnd | EpochEnd | Finished


def run_metadata(
    name: str,
    arch: str,
    config: TrainConfig,
    finished: Finished,
    scores: Evaluation,
    data: Split,
) -> ModelMetadata:
    """What a model file records about the run that made it and how it scored."""
    return ModelMetadata(
        name=name,
        training={
            "arch": arch,
            "config": config.to_json(),
            "history": finished.history,
            "seconds": round(finished.elapsed_s, 1),
            "images": int(config.limit or len(data.labels)),
        },
        metrics={
            "test_accuracy": scores.accuracy,
            "test_loss": scores.loss,
            "per_class_accuracy": scores.per_class_accuracy,
            **(
                {THRESHOLD_KEY: finished.familiarity_threshold}
                if finished.familiarity_threshold is not None
                else {}
            ),
        },
        data_sha256=data.sha256,
    )


def validation_split(
    images: np.ndarray, labels: np.ndarray, config: TrainConfig, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(train images, train labels, validation images, validation labels) as ``train`` splits
    them; ``rng`` is seeded with ``config.seed`` and left where training goes on from."""
    labels = np.asarray(labels, dtype=np.intp)
    if config.limit is not None:
        chosen = rng.permutation(len(images))[: config.limit]
        images, labels = images[chosen], labels[chosen]
    order = rng.permutation(len(images))
    n_val = round(len(images) * config.validation_fraction)
    val_idx, train_idx = order[:n_val], order[n_val:]
    return images[train_idx], labels[train_idx], images[val_idx], labels[val_idx]


def calibration_set(images: np.ndarray, labels: np.ndarray, config: TrainConfig) -> np.ndarray:
    """The digits the familiarity threshold of a model trained with ``config`` on
    ``images`` is measured on (its validation digits, or a sample of its training ones)."""
    rng = np.random.default_rng(config.seed)
    train_images, _, val_images, _ = validation_split(images, labels, config, rng)
    return calibration_images(train_images, val_images, config.seed)


def train(
    network: Network,
    images: np.ndarray,
    labels: np.ndarray,
    config: TrainConfig,
    should_stop: Callable[[], bool] | None = None,
) -> Iterator[Event]:
    """Train network in place on images (N, 28, 28) float32 in [0, 1] and labels (N,).

    Yields a BatchEnd per batch, an EpochEnd per epoch and lastly Finished. Checks
    should_stop before every batch. Raises TrainingDiverged on a non-finite loss.
    """
    rng = np.random.default_rng(config.seed)
    train_images, train_labels, val_images, val_labels = validation_split(
        images, labels, config, rng
    )
    n_val, n_train = len(val_images), len(train_images)
    if n_train == 0:
        raise ValueError("no training images left after the validation split")
    batches = math.ceil(n_train / config.batch_size)
    total_batches = batches * config.epochs
    optimizer = Optimizer(network, config)
    criterion = SoftmaxCrossEntropy()
    history: list[dict] = []
    start = time.perf_counter()
    seen = 0
    for epoch in range(1, config.epochs + 1):
        perm = rng.permutation(n_train)
        loss_sum = correct = count = 0.0
        for batch in range(1, batches + 1):
            if should_stop is not None and should_stop():
                yield Finished(network, True, history, time.perf_counter() - start)
                return
            idx = perm[(batch - 1) * config.batch_size : batch * config.batch_size]
            x = train_images[idx]
            if config.augment:
                x = augment_batch(x, rng, config.augment_config)
            y = train_labels[idx]
            done = (epoch - 1) * batches + batch - 1
            lr = learning_rate_at(config, done / total_batches)
            logits = network.forward(x[:, None], training=True)
            loss = criterion.forward(logits, y)
            if not math.isfinite(loss) or loss > EXPLODED_LOSS:
                raise TrainingDiverged(epoch, batch, lr, loss)
            network.backward(criterion.backward())
            optimizer.step(lr)
            batch_correct = int((logits.argmax(axis=1) == y).sum())
            loss_sum += loss * len(y)
            correct += batch_correct
            count += len(y)
            seen += len(y)
            elapsed = time.perf_counter() - start
            rate = seen / elapsed if elapsed > 0 else 0.0
            remaining = (total_batches - done - 1) * config.batch_size
            yield BatchEnd(
                epoch,
                config.epochs,
                batch,
                batches,
                loss,
                batch_correct / len(y),
                lr,
                rate,
                elapsed,
                remaining / rate if rate else 0.0,
            )
        val_loss = val_accuracy = None
        if n_val:
            scores = evaluate(network, val_images, val_labels)
            val_loss, val_accuracy = scores.loss, scores.accuracy
        record = {
            "epoch": epoch,
            "train_loss": loss_sum / count,
            "train_accuracy": correct / count,
            "val_loss": val_loss,
            "val_accuracy": val_accuracy,
        }
        history.append(record)
        yield EpochEnd(
            epoch,
            config.epochs,
            record["train_loss"],
            record["train_accuracy"],
            val_loss,
            val_accuracy,
            time.perf_counter() - start,
            network.copy(),
        )
    threshold = threshold_for(network, calibration_images(train_images, val_images, config.seed))
    yield Finished(network, False, history, time.perf_counter() - start, threshold)
