"""One typed reading of what a model file says about itself (its metadata's dictionaries).

A model file may come from anywhere, so every value is checked for its type and range
here, once; the CLI, Model Info and the dialogs read these fields instead of walking the
dictionaries, and a value that is missing or malformed reads as None.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from digitpad.core.calibration import CALIBRATION_KEY
from digitpad.core.familiarity import THRESHOLD_KEY
from digitpad.core.model_io import ModelMetadata

# Where a model file records its pen digits (training) and how it read the held-out
# writers' digits (metrics), the model a fine-tune started from, and the user's samples.
PEN_DIGITS_KEY = "pen_digits"
HELD_OUT_KEY = "held_out_writers_accuracy"
FINE_TUNED_FROM_KEY = "fine_tuned_from"
SAMPLES_KEY = "samples"
NON_DIGITS_KEY = "non_digits"  # what it learned of letters and doodles (outliers.py)
MAX_TEXT = 60  # longer names from a file are cut: they are shown, never trusted


def _number(value: object, low: float = -math.inf, high: float = math.inf) -> float | None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    try:  # JSON allows integers past any float (10**400): OverflowError here
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) and low <= number <= high else None


def _fraction(value: object) -> float | None:
    return _number(value, 0.0, 1.0)


def _count(value: object) -> int | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return value if ok else None


def _text(value: object) -> str | None:
    return value[:MAX_TEXT] if isinstance(value, str) else None


def _writers(value: object) -> tuple[int, ...] | None:
    """Writer numbers (>= 1) from a list in the file, sorted and unique; None otherwise."""
    if not (isinstance(value, list) and value and len(value) <= 1000):
        return None
    if not all(isinstance(w, int) and not isinstance(w, bool) and w >= 1 for w in value):
        return None
    return tuple(sorted(set(value)))


def _mapping(value: object) -> Mapping:
    return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True)
class PenDigitsRecord:
    """What a model learned of pen-written digits, and how it read writers it never saw."""

    train_writers: tuple[int, ...] | None
    held_out_writers: tuple[int, ...] | None
    accuracy: float | None  # on the held-out writers' digits
    share: float | None  # of each batch
    inherited: bool  # learned by the model a fine-tune started from, not measured again
    raw: Mapping  # the record as the file has it (a fine-tune copies it on)

    @classmethod
    def of(cls, raw: Mapping, accuracy: object, share: object, inherited: bool) -> PenDigitsRecord:
        return cls(
            _writers(raw.get("train_writers")),
            _writers(raw.get("held_out_writers")),
            _fraction(accuracy),
            _fraction(share),
            inherited,
            raw,
        )


@dataclass(frozen=True)
class NonDigitsRecord:
    """What a model learned of things that are not digits, and how it read held-out ones:
    the share of each it calls "not a digit"."""

    held_out_writers: tuple[int, ...] | None  # the letters' writers it never saw
    letters_flagged: float | None
    digit_like_letters_flagged: float | None
    doodles_flagged: float | None
    share: float | None  # of each batch
    inherited: bool  # learned by the model a fine-tune started from, not measured again
    raw: Mapping

    @classmethod
    def of(cls, raw: Mapping, share: object, inherited: bool) -> NonDigitsRecord:
        return cls(
            _writers(raw.get("held_out_writers")),
            _fraction(raw.get("letters_flagged")),
            _fraction(raw.get("digit_like_letters_flagged")),
            _fraction(raw.get("doodles_flagged")),
            _number(share, 0.0, 1.0),
            inherited,
            raw,
        )


@dataclass(frozen=True)
class CalibrationRecord:
    """Where a model's temperature was fitted (``digitpad calibrate --strokes``, or its
    training on pen digits) and the calibration error before and after."""

    writers: tuple[int, ...] | None
    ece_before: float | None
    ece_after: float | None
    accuracy: float | None  # how it read those writers' digits


@dataclass(frozen=True)
class SourceRecord:
    """The model a fine-tune started from."""

    name: str | None
    path: str | None
    test_accuracy: float | None


@dataclass(frozen=True)
class SamplesRecord:
    """The user's samples in a model's training: how many were held out and read right."""

    held_out: int
    accuracy_before: float | None
    accuracy_after: float | None


@dataclass(frozen=True)
class RunRecord:
    """The settings of the run that made a model."""

    images: int
    epochs: int | None
    optimizer: str | None
    learning_rate: float | None
    augment: bool
    seconds: float | None


@dataclass(frozen=True)
class ModelRecord:
    name: str
    arch: str  # a bundled recipe's name, "custom", or what the file says (cut to 60)
    created: datetime | None
    digitpad_version: str
    test_accuracy: float | None
    run: RunRecord | None
    pen_digits: PenDigitsRecord | None  # its own, or for a fine-tune its source's
    fine_tuned_from: SourceRecord | None
    samples: SamplesRecord | None
    calibration: CalibrationRecord | None
    non_digits: NonDigitsRecord | None  # its own, or for a fine-tune its source's
    familiarity_threshold: float | None
    augmented: bool  # it learned from distorted (augmented) digits
    validated: bool  # its run kept some of its MNIST digits aside for validation

    @property
    def held_out_writers(self) -> tuple[int, ...] | None:
        """The pen-digit writers its training kept out: writers it never saw. A fine-tune
        without pen digits keeps its source's."""
        return self.pen_digits.held_out_writers if self.pen_digits is not None else None

    @classmethod
    def of(cls, metadata: ModelMetadata) -> ModelRecord:
        training = _mapping(metadata.training)
        metrics = _mapping(metadata.metrics)
        config = _mapping(training.get("config"))
        source_raw = training.get(FINE_TUNED_FROM_KEY)
        source = None
        if isinstance(source_raw, Mapping):
            source = SourceRecord(
                _text(source_raw.get("name")),
                source_raw.get("path") if isinstance(source_raw.get("path"), str) else None,
                _fraction(source_raw.get("test_accuracy")),
            )
        pen = None
        own = training.get(PEN_DIGITS_KEY)
        if isinstance(own, Mapping):
            pen = PenDigitsRecord.of(own, metrics.get(HELD_OUT_KEY), config.get("pen_ratio"), False)
        elif isinstance(source_raw, Mapping) and isinstance(
            source_raw.get(PEN_DIGITS_KEY), Mapping
        ):
            inherited = source_raw[PEN_DIGITS_KEY]
            pen = PenDigitsRecord.of(inherited, inherited.get("accuracy"), None, True)
        non_digits = None
        own_non = training.get(NON_DIGITS_KEY)
        if isinstance(own_non, Mapping):
            non_digits = NonDigitsRecord.of(own_non, config.get("outlier_ratio"), False)
        elif isinstance(source_raw, Mapping) and isinstance(
            source_raw.get(NON_DIGITS_KEY), Mapping
        ):
            inherited = source_raw[NON_DIGITS_KEY]
            non_digits = NonDigitsRecord.of(inherited, inherited.get("share"), True)
        fit = training.get(CALIBRATION_KEY)
        calibration = None
        if isinstance(fit, Mapping):
            calibration = CalibrationRecord(
                _writers(fit.get("writers", fit.get("held_out_writers"))),
                _fraction(fit.get("ece_before")),
                _fraction(fit.get("ece_after")),
                _fraction(fit.get("accuracy")),
            )
        elif isinstance(own, Mapping):
            calibration = CalibrationRecord(
                _writers(own.get("held_out_writers")),
                _fraction(own.get("ece_before")),
                _fraction(own.get("ece_after")),
                _fraction(metrics.get(HELD_OUT_KEY)),
            )
        mine = training.get(SAMPLES_KEY)
        samples = None
        if isinstance(mine, Mapping) and _count(mine.get("held_out")) is not None:
            samples = SamplesRecord(
                mine["held_out"],
                _fraction(mine.get("accuracy_before")),
                _fraction(mine.get("accuracy_after")),
            )
        run = None
        if config and _count(training.get("images")) is not None:
            epochs = _count(config.get("epochs"))
            run = RunRecord(
                training["images"],
                epochs if epochs else None,
                _text(config.get("optimizer")),
                _number(config.get("learning_rate"), 0.0),
                config.get("augment") is True,
                _number(training.get("seconds"), 0.0),
            )
        return cls(
            name=metadata.name[:MAX_TEXT] if isinstance(metadata.name, str) else "",
            arch=_text(training.get("arch")) or "custom",
            created=_date(metadata.created),
            digitpad_version=str(metadata.digitpad_version)[:MAX_TEXT],
            test_accuracy=_fraction(metrics.get("test_accuracy")),
            run=run,
            pen_digits=pen,
            fine_tuned_from=source,
            samples=samples,
            calibration=calibration,
            non_digits=non_digits,
            familiarity_threshold=_number(metrics.get(THRESHOLD_KEY)),
            augmented=config.get("augment") is True,
            validated=(_fraction(config.get("validation_fraction")) or 0.0) > 0,
        )


def _date(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text[:40])
    except ValueError:
        return None
