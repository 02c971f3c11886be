"""One training session, used by ``digitpad train`` and the Retrain dialog alike: a request
in, progress events out, and at the end a model scored on the test set with its metadata.

A session either trains a new network from a spec or fine-tunes a model from its weights
(``digitpad train --from``, the dialog's *Fine-tune the model in use*): the same data, the
same settings and the same validation wherever it is started from. It loads its data,
trains (``training.train``), scores the result and the model it is compared with on
MNIST's 10,000 test digits, and says what it is doing at each step. A stop asked for at
any point, evaluation and calibration included, ends it with ``TrainingStopped``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitpad.core import pendigits, uji
from digitpad.core.architectures import grown_by_not_a_digit
from digitpad.core.data import load_split
from digitpad.core.evaluation import Evaluation, EvaluationStopped, evaluate
from digitpad.core.model_io import Model, ModelMetadata
from digitpad.core.network import NOT_A_DIGIT, NUM_CLASSES, Network
from digitpad.core.record import FINE_TUNED_FROM_KEY, ModelRecord
from digitpad.core.samples import PersonalSet
from digitpad.core.training import (
    BatchEnd,
    EpochEnd,
    Finished,
    PenValidation,
    PersonalValidation,
    TrainConfig,
    TrainingStopped,
    fine_tuned_from,
    run_metadata,
    train,
)

FULL_MNIST = 60_000  # training digits


class SettingsError(ValueError):
    """Settings that are fine alone but do not fit the data (the message names them)."""


@dataclass(frozen=True)
class NewNetwork:
    """Train a new network: ``arch`` names it in the model file (a bundled recipe's name,
    or "custom"), ``spec`` builds it with the run's seed."""

    arch: str
    spec: dict

    @property
    def knows_non_digits(self) -> bool:
        """The spec ends in a "not a digit" output (eleven units), without building it."""
        layers = self.spec.get("layers") if isinstance(self.spec, dict) else None
        last = layers[-1] if isinstance(layers, list) and layers else None
        return isinstance(last, dict) and last.get("units") == NUM_CLASSES + 1


@dataclass(frozen=True)
class FineTune:
    """Train ``source`` further from its weights; its file's record goes into the new one
    (``training.fine_tuned_from``), and the pen-digit writers it never saw stay unseen."""

    source: Model


@dataclass(frozen=True)
class SessionRequest:
    """Everything a session needs. ``compare_with`` is the model the result is scored
    beside (and the user's held-out samples read by first): the dialog's model in use; a
    fine-tune's source when not given."""

    start: NewNetwork | FineTune
    config: TrainConfig
    mnist_dir: Path
    name: str
    pen_dir: Path | None = None
    personal: PersonalSet | None = None
    compare_with: Network | None = None
    workers: int = 1
    # Pen-written letters (uji.load_letters' folder) among the non-digits a network with a
    # "not a digit" output learns; without, it learns from doodles alone (outliers.py).
    letters_dir: Path | None = None

    def __post_init__(self) -> None:
        if bool(self.config.pen_ratio) != (self.pen_dir is not None):
            raise ValueError(
                f"pen_ratio {self.config.pen_ratio:g} needs a pen-digits folder"
                if self.config.pen_ratio
                else "a pen-digits folder needs a pen_ratio above 0"
            )

    @property
    def baseline(self) -> Network | None:
        """The network the result is compared with."""
        if self.compare_with is not None:
            return self.compare_with
        return self.start.source.network if isinstance(self.start, FineTune) else None

    @property
    def validation_note(self) -> str | None:
        """Why the run has no held-out MNIST curve, when it has none."""
        if self.config.validation_fraction > 0:
            return None
        if isinstance(self.start, FineTune):
            record = ModelRecord.of(self.start.source.metadata)
            name = record.name or "the model"
            if record.run is not None and record.run.images >= FULL_MNIST and not record.validated:
                why = f"{name} trained on every MNIST training digit, so none of them would"
            else:
                why = "a fine-tune keeps none aside (as digitpad train --from), so none would"
            return (
                f"no held-out MNIST curve: {why} show how it reads digits it never saw; the "
                "test digits score it at the end"
            )
        return "no held-out MNIST curve (validation fraction 0): the test digits score it"


@dataclass(frozen=True)
class Step:
    """What the session is doing between training's own events, in words for the user."""

    text: str


@dataclass(frozen=True)
class Training:
    """Training starts on ``network``, which changes in place from here on: between its
    events nothing touches it, so a copy taken then is consistent (the dialog shows one
    twice a second)."""

    network: Network


@dataclass(frozen=True)
class SessionResult:
    network: Network
    metadata: ModelMetadata
    evaluation: Evaluation  # the result on MNIST's test digits
    baseline_evaluation: Evaluation | None  # the model compared with, on the same digits
    history: list[dict]
    elapsed_s: float
    pen: PenValidation | None = None
    personal: PersonalValidation | None = None


SessionEvent = Step | Training | BatchEnd | EpochEnd | SessionResult


def run(
    request: SessionRequest, should_stop: Callable[[], bool] | None = None
) -> Iterator[SessionEvent]:
    """Yields Steps, Training, training's BatchEnd and EpochEnd, and lastly the result.
    Raises TrainingStopped when ``should_stop`` says so (at any step), TrainingDiverged,
    DatasetError and PenDigitsFormatError for data that cannot be read, and SettingsError
    for settings that do not fit the data."""

    def check() -> None:
        if should_stop is not None and should_stop():
            raise TrainingStopped("stopped before the run ended")

    config = request.config
    yield Step("Loading MNIST…")
    train_split = load_split(request.mnist_dir, "train")
    check()
    count = min(config.limit or len(train_split.labels), len(train_split.labels))
    if count - round(count * config.validation_fraction) < 1:
        raise SettingsError(
            f"a validation fraction of {config.validation_fraction:g} (--val-fraction) of "
            f"{count} images leaves none to train on"
        )
    letters: list[uji.PenLetter] = []
    if request.letters_dir is not None:
        if not config.outlier_ratio:
            raise SettingsError("letters are for a run that learns non-digits (--outlier-ratio)")
        yield Step("Reading the letters…")
        letters = uji.load_letters(request.letters_dir)
        check()
    pen_digits: list[pendigits.PenDigit] = []
    if request.pen_dir is not None:
        yield Step("Reading the pen digits…")
        pen_digits = pendigits.load(request.pen_dir)
        check()
    if isinstance(request.start, FineTune):
        source = request.start.source
        network = source.network.copy()  # from its weights, keeping its temperature
        if config.outlier_ratio and not network.knows_non_digits:
            # Learning non-digits from a digits-only model: it gains the output first.
            network = grown_by_not_a_digit(network)
        record = ModelRecord.of(source.metadata)
        arch = record.arch
        held_out_writers = record.held_out_writers
        held_out_letters = record.non_digits.held_out_writers if record.non_digits else None
    else:
        network = Network(request.start.spec, np.random.default_rng(config.seed))
        arch = request.start.arch
        held_out_writers = held_out_letters = None
    new = isinstance(request.start, NewNetwork)
    if new and network.knows_non_digits and not config.outlier_ratio:
        raise SettingsError(
            "this network has a 'not a digit' output but would learn no non-digits: "
            "give it an outlier ratio above 0 (--outlier-ratio)"
        )
    if config.outlier_ratio and not network.knows_non_digits:
        raise SettingsError(
            f"an outlier ratio of {config.outlier_ratio:g} (--outlier-ratio) needs a network "
            "with a 'not a digit' output; this one has only the ten digits"
        )
    personal = request.personal
    if personal is not None and not network.knows_non_digits:
        # Drawings kept as "not a digit" teach only a network that can answer so.
        digits = personal.labels != NOT_A_DIGIT
        if not digits.all():
            personal = PersonalSet(
                personal.ids[digits],
                personal.inputs[digits],
                personal.labels[digits],
                personal.held_out[digits],
            )
            if not len(personal) and config.samples_ratio:
                raise SettingsError(
                    "every sample is kept as 'not a digit', which this network cannot answer"
                )
    yield Step("Training…")
    yield Training(network)
    finished = None
    events = train(
        network,
        train_split.as_float(),
        train_split.labels,
        config,
        should_stop,
        pen_digits=pen_digits,
        personal=personal,
        personal_baseline=request.baseline,
        held_out_writers=held_out_writers,
        workers=request.workers,
        letters=letters,
        held_out_letter_writers=held_out_letters,
    )
    for event in events:
        if isinstance(event, Finished):
            finished = event
        else:
            yield event
    if finished is None or finished.stopped:
        raise TrainingStopped("stopped before the run ended")
    yield Step("Scoring on the 10,000 test digits…")
    test = load_split(request.mnist_dir, "test")
    images = test.as_float()
    try:
        scores = evaluate(network, images, test.labels, should_stop)
        baseline = (
            evaluate(request.baseline, images, test.labels, should_stop)
            if request.baseline is not None
            else None
        )
    except EvaluationStopped as exc:
        raise TrainingStopped(str(exc)) from exc
    check()  # a Cancel during the last chunk: the run ends as stopped, not as done
    pen_sha256 = pendigits.sha256(request.pen_dir) if request.pen_dir is not None else ""
    letters_sha256 = uji.sha256(request.letters_dir) if request.letters_dir is not None else ""
    metadata = run_metadata(
        request.name, arch, config, finished, scores, train_split, pen_sha256, letters_sha256
    )
    if isinstance(request.start, FineTune):
        source = request.start.source
        metadata.training[FINE_TUNED_FROM_KEY] = fine_tuned_from(
            source.metadata,
            baseline.accuracy if baseline is not None else None,
            str(source.path) if source.path is not None else None,
        )
    yield SessionResult(
        network,
        metadata,
        scores,
        baseline,
        finished.history,
        finished.elapsed_s,
        finished.pen,
        finished.personal,
    )


def result_of(events: Iterator[SessionEvent]) -> SessionResult:
    """Run a session's events to the end: its result."""
    result = None
    for event in events:
        if isinstance(event, SessionResult):
            result = event
    if result is None:  # run() always ends with its result or raises
        raise TrainingStopped("the session ended without a result")
    return result
