"""Mini-batch training: a generator that reports progress and stops promptly when asked."""

from __future__ import annotations

import functools
import itertools
import math
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np
from threadpoolctl import ThreadpoolController

from digitpad.core import calibration, pendigits
from digitpad.core.augment import AugmentConfig, augment_batch
from digitpad.core.data import DatasetError, Split
from digitpad.core.evaluation import (
    Evaluation,
    EvaluationStopped,
    evaluate,
    stoppable_logits,
    stoppable_scores,
)
from digitpad.core.familiarity import (
    THRESHOLD_KEY,
    calibration_images,
    familiarity,
    threshold_for,
)
from digitpad.core.layers import SoftmaxCrossEntropy
from digitpad.core.model_io import ModelMetadata
from digitpad.core.network import Network
from digitpad.core.outliers import OutlierDrawingStopped, OutlierMix, OutlierValidation
from digitpad.core.record import HELD_OUT_KEY, NON_DIGITS_KEY, PEN_DIGITS_KEY, ModelRecord
from digitpad.core.samples import PersonalSet
from digitpad.core.uji import PenLetter

OPTIMIZERS = ("sgd", "adam")
# Chance-level cross-entropy over 10 classes is 2.3; a loss this large means the run blew up.
EXPLODED_LOSS = 1000.0
SCHEDULES = ("constant", "cosine", "step")


class TrainingStopped(Exception):
    """The run was asked to stop (``should_stop``) and ended without a model."""


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
    # The share of each batch that is pen-written digits (pendigits.py), each drawn afresh
    # as the canvas draws; 0 trains on MNIST alone. Whole writers are held out of them.
    pen_ratio: float = 0.0
    pen_held_out: int = 6
    # The share of each batch that is the user's own samples (samples/), oversampled so a
    # few hundred count beside MNIST; those held out (``samples.held_out``) are not used.
    samples_ratio: float = 0.0
    # The share of each batch that is not digits (outliers.py: letters and doodles),
    # labelled "not a digit": only for a network with that output. Whole writers of the
    # letters are held out.
    outlier_ratio: float = 0.0
    letters_held_out: int = 6

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
        if not (math.isfinite(self.pen_ratio) and 0 <= self.pen_ratio < 1):
            raise bad("pen_ratio", "must be in [0, 1)")
        if not (math.isfinite(self.samples_ratio) and 0 <= self.samples_ratio < 1):
            raise bad("samples_ratio", "must be in [0, 1)")
        if not (math.isfinite(self.outlier_ratio) and 0 <= self.outlier_ratio < 1):
            raise bad("outlier_ratio", "must be in [0, 1)")
        ratios = {
            "pen_ratio": self.pen_ratio,
            "samples_ratio": self.samples_ratio,
            "outlier_ratio": self.outlier_ratio,
        }
        mixed = sum(
            max(1, round(self.batch_size * ratio)) if ratio else 0 for ratio in ratios.values()
        )
        if mixed >= self.batch_size:
            name = next(name for name, ratio in reversed(ratios.items()) if ratio)
            raise bad(name, f"leaves no MNIST digits in a batch of {self.batch_size}")
        for name in ("pen_held_out", "letters_held_out"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise bad(name, "must be an integer >= 0")

    def to_json(self) -> dict:
        data = {k: v for k, v in vars(self).items() if k != "augment_config"}
        data["augment_config"] = vars(self.augment_config).copy() if self.augment else None
        return data


# Fine-tuning a trained model (``digitpad train --from``): a few short epochs from its
# weights at a fifth of the default model's rate, each on 6,000 MNIST digits so it keeps
# what it knew, beside the user's samples (a quarter of each batch).
FINE_TUNE = TrainConfig(
    epochs=3,
    learning_rate=3e-4,
    schedule="cosine",
    augment=True,
    validation_fraction=0.0,
    limit=6000,
)
SAMPLES_RATIO = 0.25


def fine_tuned_from(
    source: ModelMetadata, test_accuracy: float | None, path: str | None = None
) -> dict:
    """What a fine-tuned model records of the model it started from: its name, where it
    was, how it read MNIST, and what it had learned of pen-written digits (a fine-tune on
    MNIST and samples alone keeps that, but does not measure it again)."""
    record: dict = {"name": source.name, "test_accuracy": test_accuracy}
    if path is not None:
        record["path"] = path
    source_record = ModelRecord.of(source)
    pen = source_record.pen_digits
    if pen is not None:
        accuracy = pen.accuracy if pen.accuracy is not None else pen.raw.get("accuracy")
        record[PEN_DIGITS_KEY] = {**pen.raw, "accuracy": accuracy}
    non_digits = source_record.non_digits
    if non_digits is not None:
        record[NON_DIGITS_KEY] = {**non_digits.raw, "share": non_digits.share}
    return record


def fine_tune_config(source: ModelRecord) -> TrainConfig:
    """FINE_TUNE for the model ``source`` records: MNIST is augmented only if the model
    learned from augmented digits (``classic`` never did: it reads them at 62 %, and three
    epochs of them cost it four points of MNIST), and non-digits are mixed in as they were
    when it learned them, or three short epochs of digits alone would unteach them."""
    share = source.non_digits.share if source.non_digits is not None else None
    return replace(FINE_TUNE, augment=source.augmented, outlier_ratio=share or 0.0)


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

    def step(self, learning_rate: float, gradients: BatchGradients | None = None) -> None:
        """Updates every parameter from its grad. Given the ``gradients`` that filled them,
        each of its workers updates a share of every parameter: the update is elementwise,
        so the result is the same to the bit."""
        self.steps += 1
        if gradients is None:
            self._update(learning_rate, 0, 1)
        else:
            gradients.share(functools.partial(self._update, learning_rate))

    def _update(self, learning_rate: float, part: int, parts: int) -> None:
        """The update of part ``part`` of ``parts`` of every parameter's flat values."""
        c = self.config
        for name, whole in self.params.items():
            share = slice(whole.size * part // parts, whole.size * (part + 1) // parts)
            param, grad = whole.reshape(-1)[share], self.grads[name].reshape(-1)[share]
            if c.weight_decay and name.endswith("weight"):
                grad = grad + c.weight_decay * param
            first, second = (moment.reshape(-1)[share] for moment in self.state[name])
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


class BatchGradients:
    """Forward, loss and backward for one batch: fills the network's grads.

    With ``workers`` > 1 the batch is split into that many parts, each run on its own
    thread on a replica sharing the network's parameters (``Network.replica``), and their
    grads are summed into the network's: the same gradient up to float rounding. NumPy and
    BLAS release the GIL, so the parts' element-wise work and matrix products overlap on
    the machine's cores; meanwhile BLAS is held to one thread, or each part's products
    would compete for the same cores. One worker is the plain sequential step, with BLAS
    as the caller set it (the app limits it to one thread so the window keeps a core).
    Use as a context manager, or call ``close`` to end the threads.
    """

    def __init__(self, network: Network, workers: int = 1) -> None:
        if not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
        self.network = network
        self.replicas = [network] + [network.replica() for _ in range(workers - 1)]
        self.criteria = [SoftmaxCrossEntropy() for _ in self.replicas]
        self._pool = ThreadPoolExecutor(workers - 1) if workers > 1 else None
        self._blas = ThreadpoolController() if workers > 1 else None

    def __enter__(self) -> BatchGradients:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def __call__(self, x: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
        """x (N, 1, 28, 28), labels (N,) -> (mean loss, logits (N, 10)); fills grads."""
        n = len(labels)
        if self._pool is None or n < len(self.replicas):
            return self._part(0, x, labels, n)
        bounds = np.linspace(0, n, len(self.replicas) + 1).astype(int)
        parts = [slice(start, stop) for start, stop in itertools.pairwise(bounds)]
        with self._blas.limit(limits=1, user_api="blas"):
            others = [
                self._pool.submit(self._part, i, x[part], labels[part], n)
                for i, part in enumerate(parts[1:], start=1)
            ]
            results = [self._part(0, x[parts[0]], labels[parts[0]], n)]
            results += [future.result() for future in others]
        grads = self.network.named_grads()
        for replica in self.replicas[1:]:
            for name, grad in replica.named_grads().items():
                grads[name] += grad
        losses = [
            loss * (part.stop - part.start) for (loss, _), part in zip(results, parts, strict=True)
        ]
        return sum(losses) / n, np.concatenate([logits for _, logits in results])

    def share(self, work: Callable[[int, int], None]) -> None:
        """Runs ``work(part, parts)`` for every part, one per worker, and waits for all."""
        parts = len(self.replicas)
        if self._pool is None:
            work(0, 1)
            return
        others = [self._pool.submit(work, part, parts) for part in range(1, parts)]
        work(0, parts)
        for future in others:
            future.result()

    def _part(
        self, index: int, x: np.ndarray, labels: np.ndarray, batch: int
    ) -> tuple[float, np.ndarray]:
        """A part of a batch of ``batch`` images, on replica ``index``: its mean loss and
        logits; the grads it leaves are its share of the whole batch's mean loss."""
        network, criterion = self.replicas[index], self.criteria[index]
        logits = network.forward(x, training=True)
        loss = criterion.forward(logits, labels)
        d_logits = criterion.backward()
        if len(labels) != batch:
            d_logits *= len(labels) / batch
        network.backward(d_logits)
        return loss, logits


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
    held_out_writers_accuracy: float | None = None  # pen digits of writers not trained on


@dataclass(frozen=True)
class PenValidation:
    """How the trained network reads the held-out writers' digits, drawn as on the canvas,
    and the temperature that makes its probabilities honest on them (calibration.py)."""

    held_out_writers: tuple[int, ...]
    train_writers: tuple[int, ...]
    scores: Evaluation  # with the temperature; the answers are the same without it
    per_writer: dict[int, float]
    calibration: calibration.TemperatureFit

    def to_json(self) -> dict:
        return {
            "held_out_writers": list(self.held_out_writers),
            "train_writers": list(self.train_writers),
            "accuracy": self.scores.accuracy,
            "per_digit_accuracy": self.scores.per_class_accuracy,
            "per_writer_accuracy": {str(w): a for w, a in self.per_writer.items()},
            **self.calibration.to_json(),
        }


@dataclass(frozen=True)
class PersonalValidation:
    """The held-out personal samples read by the model the run was compared with (the
    model in use, or the one fine-tuned; None for a new network with nothing to compare)
    and by the trained one: which it learned to read (fixed) and which it no longer reads
    (broken), by sample id."""

    ids: np.ndarray  # (K,) the held-out samples
    labels: np.ndarray
    before: np.ndarray | None  # (K,) what the baseline read
    after: np.ndarray

    @staticmethod
    def _accuracy(read: np.ndarray | None, labels: np.ndarray) -> float | None:
        return float((read == labels).mean()) if read is not None and len(labels) else None

    @property
    def accuracy_before(self) -> float | None:
        return self._accuracy(self.before, self.labels)

    @property
    def accuracy_after(self) -> float | None:
        return self._accuracy(self.after, self.labels)

    @property
    def fixed(self) -> list[int]:
        if self.before is None:
            return []
        return self.ids[(self.before != self.labels) & (self.after == self.labels)].tolist()

    @property
    def broken(self) -> list[int]:
        if self.before is None:
            return []
        return self.ids[(self.before == self.labels) & (self.after != self.labels)].tolist()

    def to_json(self) -> dict:
        return {
            "held_out": len(self.ids),
            "accuracy_before": self.accuracy_before,
            "accuracy_after": self.accuracy_after,
            "fixed": self.fixed,
            "broken": self.broken,
        }


def held_out_samples_line(mine: PersonalValidation) -> str:
    """'your 3 held-out samples: 66.7% read right before, 100.0% after (1 fixed, 0 broken)'."""
    count = len(mine.ids)
    if not count:
        return "no sample was held out to score it on (keep a digit three times)"
    samples = f"your {count} held-out sample{'' if count == 1 else 's'}"
    if mine.accuracy_before is None:
        return f"{samples}: {mine.accuracy_after:.1%} read right"
    return (
        f"{samples}: {mine.accuracy_before:.1%} read right before, {mine.accuracy_after:.1%} "
        f"after ({len(mine.fixed)} fixed, {len(mine.broken)} broken)"
    )


@dataclass(frozen=True)
class Finished:
    network: Network
    stopped: bool  # True when should_stop ended the run early
    history: list[dict]
    elapsed_s: float
    # The familiarity below which a drawing is "unlike the digits it learned" (familiarity.py).
    familiarity_threshold: float | None = None
    pen: PenValidation | None = None  # when it trained on pen digits and held writers out
    personal: PersonalValidation | None = None  # when it trained on the user's samples
    outliers: OutlierValidation | None = None  # when it learned what is not a digit


Event = BatchEnd | EpochEnd | Finished


def run_metadata(
    name: str,
    arch: str,
    config: TrainConfig,
    finished: Finished,
    scores: Evaluation,
    data: Split,
    pen_sha256: str = "",
    letters_sha256: str = "",
) -> ModelMetadata:
    """What a model file records about the run that made it and how it scored: with pen
    digits, their hash (``pendigits.sha256``), the writers held out and how it read them."""
    training = {
        "arch": arch,
        "config": config.to_json(),
        "history": finished.history,
        "seconds": round(finished.elapsed_s, 1),
        "images": int(config.limit or len(data.labels)),
    }
    metrics = {
        "test_accuracy": scores.accuracy,
        "test_loss": scores.loss,
        "per_class_accuracy": scores.per_class_accuracy,
    }
    if finished.familiarity_threshold is not None:
        metrics[THRESHOLD_KEY] = finished.familiarity_threshold
    if finished.personal is not None:
        training["samples"] = finished.personal.to_json()
    if finished.pen is not None:
        training[PEN_DIGITS_KEY] = {"sha256": pen_sha256, **finished.pen.to_json()}
        metrics[HELD_OUT_KEY] = finished.pen.scores.accuracy
    if finished.outliers is not None:
        training[NON_DIGITS_KEY] = {"letters_sha256": letters_sha256, **finished.outliers.to_json()}
    return ModelMetadata(name=name, training=training, metrics=metrics, data_sha256=data.sha256)


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


class PenMix:
    """The pen digits of a training run: the training writers' digits, each drawn afresh
    every time a batch takes it, and the held-out writers' digits, drawn once as the canvas
    draws them (``pendigits.render_inputs``, what ``digitpad evaluate --strokes`` scores).

    Held-out writers are picked with the run's seed on their own random stream, as are the
    drawings, so a run without pen digits draws exactly the numbers it drew before pen
    digits existed (the bundled models' recipes stay reproducible)."""

    def __init__(
        self,
        digits: Sequence[pendigits.PenDigit],
        config: TrainConfig,
        held_out: Sequence[int] | None = None,
    ) -> None:
        writers = sorted({digit.writer for digit in digits})
        count = config.pen_held_out if held_out is None else len(set(held_out) & set(writers))
        if len(writers) <= count:
            raise DatasetError(
                f"holding out {count} writers of the pen digits' {len(writers)} "
                "leaves none to train on"
            )
        if held_out is None:
            held_out = np.random.default_rng([config.seed, 2]).choice(
                writers, config.pen_held_out, replace=False
            )
        self.held_out = tuple(sorted(int(writer) for writer in held_out))
        self.train_writers = tuple(w for w in writers if w not in self.held_out)
        self.train_digits, self.val_digits = pendigits.split_by_writer(digits, self.held_out)
        self.train_labels = pendigits.labels(self.train_digits)
        self.val_images = pendigits.render_inputs(self.val_digits)
        self.val_labels = pendigits.labels(self.val_digits)
        self.per_batch = max(1, round(config.batch_size * config.pen_ratio))
        self._rng = np.random.default_rng([config.seed, 3])
        self._order = np.zeros(0, np.intp)

    def take(self) -> tuple[np.ndarray, np.ndarray]:
        """The next ``per_batch`` digits, newly drawn, going through them all in a random
        order before any comes again: (images (n, 28, 28), labels (n,))."""
        while len(self._order) < self.per_batch:
            self._order = np.concatenate(
                [self._order, self._rng.permutation(len(self.train_digits))]
            )
        chosen, self._order = self._order[: self.per_batch], self._order[self.per_batch :]
        digits = [self.train_digits[i] for i in chosen]
        return pendigits.augmented_inputs(digits, self._rng), self.train_labels[chosen]

    def validate(
        self, network: Network, should_stop: Callable[[], bool] | None = None
    ) -> PenValidation:
        """Score the trained network on the held-out writers and fit its temperature on
        them; sets ``network.temperature``. Raises EvaluationStopped if asked to stop."""
        logits = stoppable_logits(network, self.val_images, should_stop)
        fitted = calibration.fit(logits, self.val_labels, pendigits.writers(self.val_digits))
        network.temperature = fitted.temperature
        scores = evaluate(network, self.val_images, self.val_labels, should_stop)
        per_writer = pendigits.by_writer(self.val_digits, logits.argmax(axis=1))
        return PenValidation(
            self.held_out,
            self.train_writers,
            scores,
            {writer: accuracy for writer, (accuracy, _) in per_writer.items()},
            fitted,
        )


class PersonalMix:
    """The user's own samples in a run: the taught ones oversampled, each exactly as drawn;
    the held-out ones read before and after.

    Never augmented: a flagged 1 rotated or slanted a little is an MNIST 7, so distorted
    copies of a writer's digits teach the network to misread other people's (with them,
    20 samples of writer 12 cost 0.86 points of MNIST; without, 0.04).
    """

    def __init__(
        self, personal: PersonalSet, baseline: Network | None, config: TrainConfig
    ) -> None:
        taught = ~personal.held_out
        if not taught.any():
            raise ValueError("no samples to train on: every sample is held out")
        self.inputs, self.labels = personal.inputs[taught], personal.labels[taught]
        self.val_ids = personal.ids[personal.held_out]
        self.val_inputs = personal.inputs[personal.held_out]
        self.val_labels = personal.labels[personal.held_out]
        self.before = self._read(baseline) if baseline is not None else None
        self.per_batch = max(1, round(config.batch_size * config.samples_ratio))
        self._rng = np.random.default_rng([config.seed, 4])
        self._order = np.zeros(0, np.intp)

    def _read(self, network: Network) -> np.ndarray:
        if not len(self.val_inputs):
            return np.zeros(0, np.int64)
        # Every output: a sample kept as "not a digit" is read right when that score wins.
        return network.scores(self.val_inputs).argmax(axis=1)

    def take(self) -> tuple[np.ndarray, np.ndarray]:
        while len(self._order) < self.per_batch:
            self._order = np.concatenate([self._order, self._rng.permutation(len(self.labels))])
        chosen, self._order = self._order[: self.per_batch], self._order[self.per_batch :]
        return self.inputs[chosen], self.labels[chosen]

    def validate(self, network: Network) -> PersonalValidation:
        return PersonalValidation(self.val_ids, self.val_labels, self.before, self._read(network))


def train(
    network: Network,
    images: np.ndarray,
    labels: np.ndarray,
    config: TrainConfig,
    should_stop: Callable[[], bool] | None = None,
    pen_digits: Sequence[pendigits.PenDigit] = (),
    personal: PersonalSet | None = None,
    personal_baseline: Network | None = None,
    held_out_writers: Sequence[int] | None = None,
    workers: int = 1,
    letters: Sequence[PenLetter] = (),
    held_out_letter_writers: Sequence[int] | None = None,
) -> Iterator[Event]:
    """Train network in place on images (N, 28, 28) float32 in [0, 1] and labels (N,),
    and on ``pen_digits`` when ``config.pen_ratio`` > 0, and on the user's samples
    (``personal``) when ``config.samples_ratio`` > 0; their held-out ones are read by
    ``personal_baseline`` first (the model to compare with) and by the result at the end.
    ``held_out_writers`` keeps those pen-digit writers out (a fine-tune keeps its source's
    out, so they stay unseen); otherwise ``config.pen_held_out`` are picked by the seed.
    With ``config.outlier_ratio`` > 0 the network (which must have the "not a digit"
    output) also learns non-digits: ``letters`` (``held_out_letter_writers`` or
    ``config.letters_held_out`` of their writers kept out) and doodles (outliers.py).

    Yields a BatchEnd per batch, an EpochEnd per epoch and lastly Finished. Checks
    should_stop before every batch and between the chunks of every validation and
    calibration read, and then ends with a Finished that says it stopped. Raises
    TrainingDiverged on a non-finite loss.
    ``workers`` threads share each batch (``BatchGradients``); results then differ from
    one worker's in float rounding only.
    """
    if bool(config.pen_ratio) != bool(pen_digits):
        raise ValueError(
            "pen digits need a pen_ratio above 0"
            if pen_digits
            else f"pen_ratio {config.pen_ratio:g} needs pen digits to train on"
        )
    if bool(config.samples_ratio) != (personal is not None and len(personal) > 0):
        raise ValueError(
            "samples need a samples_ratio above 0"
            if config.samples_ratio == 0
            else f"samples_ratio {config.samples_ratio:g} needs samples to train on"
        )
    if config.outlier_ratio and not network.knows_non_digits:
        raise ValueError(
            f"outlier_ratio {config.outlier_ratio:g} needs a network with a 'not a digit' "
            "output (an eleventh unit in its last layer)"
        )
    if letters and not config.outlier_ratio:
        raise ValueError("letters need an outlier_ratio above 0")
    rng = np.random.default_rng(config.seed)
    train_images, train_labels, val_images, val_labels = validation_split(
        images, labels, config, rng
    )
    n_val, n_train = len(val_images), len(train_images)
    if n_train == 0:
        raise ValueError("no training images left after the validation split")
    pen = PenMix(pen_digits, config, held_out_writers) if pen_digits else None
    mine = PersonalMix(personal, personal_baseline, config) if config.samples_ratio else None
    mixes: list[PenMix | PersonalMix | OutlierMix] = [m for m in (pen, mine) if m is not None]
    per_batch = sum(mix.per_batch for mix in mixes)
    if config.outlier_ratio:
        per_batch += max(1, round(config.batch_size * config.outlier_ratio))
    mnist_per_batch = config.batch_size - per_batch
    batches = math.ceil(n_train / mnist_per_batch)
    outliers = None
    if config.outlier_ratio:
        try:
            outliers = OutlierMix.for_run(
                letters,
                config.outlier_ratio,
                config.batch_size,
                batches * config.epochs,
                config.seed,
                config.letters_held_out
                if held_out_letter_writers is None
                else held_out_letter_writers,
                config.augment_config if config.augment else None,
                should_stop,
            )
        except OutlierDrawingStopped:
            yield Finished(network, True, [], 0.0)
            return
        mixes.append(outliers)
    total_batches = batches * config.epochs
    optimizer = Optimizer(network, config)
    history: list[dict] = []
    start = time.perf_counter()
    seen = 0
    with BatchGradients(network, workers) as gradients:
        for epoch in range(1, config.epochs + 1):
            perm = rng.permutation(n_train)
            loss_sum = correct = count = 0.0
            for batch in range(1, batches + 1):
                if should_stop is not None and should_stop():
                    yield Finished(network, True, history, time.perf_counter() - start)
                    return
                idx = perm[(batch - 1) * mnist_per_batch : batch * mnist_per_batch]
                x = train_images[idx]
                if config.augment:
                    x = augment_batch(x, rng, config.augment_config)
                y = train_labels[idx]
                for mix in mixes:
                    mix_x, mix_y = mix.take()
                    x, y = np.concatenate([x, mix_x]), np.concatenate([y, mix_y])
                done = (epoch - 1) * batches + batch - 1
                lr = learning_rate_at(config, done / total_batches)
                loss, logits = gradients(x[:, None], y)
                if not math.isfinite(loss) or loss > EXPLODED_LOSS:
                    raise TrainingDiverged(epoch, batch, lr, loss)
                optimizer.step(lr, gradients)
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
            try:
                if n_val:
                    scores = evaluate(network, val_images, val_labels, should_stop)
                    val_loss, val_accuracy = scores.loss, scores.accuracy
                pen_accuracy = (
                    evaluate(network, pen.val_images, pen.val_labels, should_stop).accuracy
                    if pen is not None and len(pen.val_labels)
                    else None
                )
            except EvaluationStopped:
                yield Finished(network, True, history, time.perf_counter() - start)
                return
            record = {
                "epoch": epoch,
                "train_loss": loss_sum / count,
                "train_accuracy": correct / count,
                "val_loss": val_loss,
                "val_accuracy": val_accuracy,
            }
            if pen_accuracy is not None:
                record["held_out_writers_accuracy"] = pen_accuracy
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
                record.get("held_out_writers_accuracy"),
            )

    # The last steps read thousands of digits: a stop asked for meanwhile is honoured too.
    try:
        threshold = threshold_for(
            network,
            calibration_images(train_images, val_images, config.seed),
            should_stop,
        )
        validation = (
            pen.validate(network, should_stop) if pen is not None and len(pen.val_labels) else None
        )
        outlier_validation = (
            outliers.validate(
                lambda inputs: (
                    familiarity(stoppable_scores(network, inputs, should_stop)) < threshold
                )
            )
            if outliers is not None
            else None
        )
    except EvaluationStopped:
        yield Finished(network, True, history, time.perf_counter() - start)
        return
    personal_result = mine.validate(network) if mine is not None else None
    yield Finished(
        network,
        False,
        history,
        time.perf_counter() - start,
        threshold,
        validation,
        personal_result,
        outlier_validation,
    )
