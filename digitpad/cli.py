"""The `digitpad` command: gui (the default), train, evaluate, calibrate, predict, data, bench."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import errno
import json
import math
import os
import signal
import sys
from datetime import datetime
from pathlib import Path

import numpy as np

from digitpad import __version__
from digitpad.core import calibration, pendigits, session, uji
from digitpad.core.architectures import with_not_a_digit
from digitpad.core.atomic import temporary_beside
from digitpad.core.bundled import RECIPES, resolve_model
from digitpad.core.calibration import CALIBRATION_KEY, expected_calibration_error
from digitpad.core.data import (
    DatasetError,
    download_mnist,
    find_mnist_dir,
    load_split,
    user_data_dir,
)
from digitpad.core.evaluation import evaluate
from digitpad.core.familiarity import THRESHOLD_KEY, familiarity, threshold_for, threshold_of
from digitpad.core.library import LibraryError
from digitpad.core.model_io import Model, ModelFormatError, ModelMetadata, load_model, save_model
from digitpad.core.network import NOT_A_DIGIT, Network
from digitpad.core.paths import shown
from digitpad.core.preprocess import fit_to_canvas, to_ink, to_mnist
from digitpad.core.record import ModelRecord
from digitpad.core.samples import (
    PersonalSet,
    Sample,
    SampleError,
    SampleStore,
    export_idx,
    export_npz,
    label_text,
    read_export,
)
from digitpad.core.session import FineTune, NewNetwork, SessionRequest
from digitpad.core.teaching import as_label, n_samples, not_a_digit_left_out
from digitpad.core.training import (
    OPTIMIZERS,
    SAMPLES_RATIO,
    BatchEnd,
    EpochEnd,
    TrainConfig,
    TrainingDiverged,
    calibration_set,
    fine_tune_config,
    held_out_samples_line,
    with_overrides,
)

MODEL_HELP = "a model file (.npz), or the name of a bundled model: " + ", ".join(RECIPES)


def sample_label(text: str) -> int:
    """An argparse type: a sample's label, a digit 0-9 or NOT_A_DIGIT (10, 'not-a-digit')."""
    if text.strip().lower() in ("not-a-digit", "not a digit"):
        return NOT_A_DIGIT
    try:
        return whole_number(0, NOT_A_DIGIT)(text)
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(
            f"{exc} (a digit, or {NOT_A_DIGIT}: not a digit)"
        ) from None


def whole_number(minimum: int, maximum: int | None = None):
    """An argparse type: an integer of at least ``minimum`` (and at most ``maximum``),
    refused with its bounds."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"from {minimum} to {maximum}" if maximum is not None else f"at least {minimum}"
            raise argparse.ArgumentTypeError(f"must be {bound}, got {value}")
        return value

    return parse


def real_number(low: float, high: float | None = None, inclusive_low: bool = False):
    """An argparse type: a finite number above ``low`` (or at it) and below ``high``."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        above = value >= low if inclusive_low else value > low
        if not (math.isfinite(value) and above and (high is None or value < high)):
            bound = f"{'at least' if inclusive_low else 'above'} {low:g}"
            bound += f" and below {high:g}" if high is not None else ""
            raise argparse.ArgumentTypeError(f"must be {bound}, got {text}")
        return value

    return parse


class CliError(Exception):
    """A user-facing failure: printed as one line on stderr, exit status 1."""


def _format_seconds(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _bar(fraction: float, width: int = 24) -> str:
    filled = round(fraction * width)
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def _emit(args: argparse.Namespace, payload: dict, text: str) -> None:
    print(json.dumps(payload) if args.json else text)


# -- train -------------------------------------------------------------------------------


def writable_destination(text: str) -> Path:
    """``--out``, checked before hours of training: a file name (not empty, not a folder)
    in a folder where a file can be created now (one is, and removed)."""
    if not text.strip():
        raise CliError("--out needs a file name")
    out = Path(text)
    try:
        if out.is_dir():
            raise CliError(f"--out {shown(out)}: a folder; give a file name in it")
        out.parent.mkdir(parents=True, exist_ok=True)
        handle, probe = temporary_beside(out)
        os.close(handle)
        probe.unlink()
    except OSError as exc:
        raise CliError(f"--out {shown(out)}: cannot write there ({exc.strerror or exc})") from exc
    return out


def save_trained(out: Path, network: Network, metadata: ModelMetadata) -> Path:
    """Save the trained model at ``out``; if that fails now (the disk filled during the
    run), keep it in the user data folder and say where, rather than lose the run."""
    try:
        return save_model(out, network, metadata)
    except OSError as exc:
        reason = exc.strerror or str(exc)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    rescue = user_data_dir() / "unsaved" / f"{out.stem[:60]}-{stamp}.npz"
    try:
        save_model(rescue, network, metadata)
    except OSError as exc:
        raise CliError(
            f"cannot save the trained model to {shown(out)} ({reason}) nor to {rescue} "
            f"({exc.strerror or exc}): it is lost"
        ) from exc
    raise CliError(f"cannot save to {shown(out)} ({reason}); the trained model is kept in {rescue}")


def cmd_train(args: argparse.Namespace) -> int:
    source = load_model(args.from_model) if args.from_model is not None else None
    try:
        config = _train_config(args, ModelRecord.of(source.metadata) if source else None)
    except ValueError as exc:  # settings that are fine alone but not together
        raise CliError(f"these training settings do not fit together: {exc}") from exc
    out = writable_destination(args.out)  # before the training, not after it
    pen_folder = _pen_digits_folder(args, config)
    letters_folder = _letters_folder(args, config)  # settings first, then the data
    personal, samples_path = _personal_samples(args, config)
    start = (
        FineTune(source)
        if source is not None
        else NewNetwork(args.arch, _new_spec(args.arch, config))
    )
    knows = source.network.knows_non_digits if source is not None else start.knows_non_digits
    left_out = (
        None
        if personal is None or knows
        else not_a_digit_left_out(
            personal.labels,
            source.metadata.name if source is not None else f"a new {args.arch} network",
        )
    )
    if left_out:  # said before the run, not an error: the digits are learned all the same
        print(f"digitpad train: {left_out}", file=sys.stderr)
        digits = personal.labels != NOT_A_DIGIT  # as the session leaves them out
        personal = PersonalSet(
            personal.ids[digits],
            personal.inputs[digits],
            personal.labels[digits],
            personal.held_out[digits],
        )
    request = SessionRequest(
        start=start,
        config=config,
        mnist_dir=find_mnist_dir(args.data),
        name=args.name or out.stem,
        pen_dir=pen_folder,
        personal=personal,
        workers=args.workers,
        letters_dir=letters_folder,
    )
    show = sys.stderr.isatty() or not args.json
    result = None
    try:
        for event in session.run(request):
            if isinstance(event, session.SessionResult):
                result = event
            elif show:
                _show_progress(event)
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted: nothing was written\n")
        return 130
    except session.SettingsError as exc:  # settings that do not fit the data
        raise CliError(str(exc)) from exc
    except TrainingDiverged as exc:
        raise CliError(str(exc)) from exc
    assert result is not None
    path = save_trained(out, result.network, result.metadata)
    _emit(args, *_train_summary(path, result, personal, samples_path))
    return 0


def _show_progress(event: session.SessionEvent) -> None:
    """A training run's progress on stderr: a bar per epoch, a line per finished epoch."""
    if isinstance(event, BatchEnd) and (event.batch % 20 == 0 or event.batch == event.batches):
        done = ((event.epoch - 1) * event.batches + event.batch) / (event.epochs * event.batches)
        sys.stderr.write(
            f"\repoch {event.epoch}/{event.epochs} {_bar(done)} loss {event.loss:.4f} "
            f"acc {event.accuracy:.3f} {event.images_per_s:,.0f} img/s "
            f"ETA {_format_seconds(event.eta_s)} "
        )
        sys.stderr.flush()
    elif isinstance(event, EpochEnd):
        val = f" val_acc {event.val_accuracy:.4f}" if event.val_accuracy is not None else ""
        held = event.held_out_writers_accuracy
        pen = f" held_out_writers_acc {held:.4f}" if held is not None else ""
        sys.stderr.write(
            f"\nepoch {event.epoch}: train_loss {event.train_loss:.4f} "
            f"train_acc {event.train_accuracy:.4f}{val}{pen}\n"
        )


def _train_summary(
    path: Path,
    result: session.SessionResult,
    personal: PersonalSet | None,
    samples_path: Path | None,
) -> tuple[dict, str]:
    """The JSON payload and the lines a finished run prints."""
    scores = result.evaluation
    payload = {
        "path": str(path),
        "test_accuracy": scores.accuracy,
        "test_loss": scores.loss,
        "seconds": round(result.elapsed_s, 1),
        "history": result.history,
    }
    lines = [
        f"saved {path}: test accuracy {scores.accuracy:.4f}, loss {scores.loss:.4f}, "
        f"trained in {_format_seconds(result.elapsed_s)}"
    ]
    if result.pen is not None:
        held = result.pen
        payload["held_out_writers"] = held.to_json()
        writers = ",".join(str(w) for w in held.held_out_writers)
        lines += [
            f"held-out writers {writers}: accuracy {held.scores.accuracy:.4f} on "
            f"{held.scores.n} pen digits (digitpad evaluate --strokes DIR --writers {writers})",
            "  per digit: "
            + "  ".join(f"{d}:{a:.3f}" for d, a in enumerate(held.scores.per_class_accuracy)),
            "  per writer: " + "  ".join(f"{w}:{a:.3f}" for w, a in held.per_writer.items()),
            _calibration_line(held.calibration),
        ]
    before = result.baseline_evaluation
    if before is not None:
        payload["test_accuracy_before"] = before.accuracy
        lines.append(
            f"MNIST test accuracy {before.accuracy:.4f} before, {scores.accuracy:.4f} after"
        )
    if result.personal is not None and personal is not None:
        mine = result.personal
        payload["samples"] = {
            "path": str(samples_path),
            "taught": len(personal) - len(mine.ids),
            **mine.to_json(),
        }
        lines.append(held_out_samples_line(mine))
    return payload, "\n".join(lines)


def _personal_samples(
    args: argparse.Namespace, config: TrainConfig
) -> tuple[PersonalSet | None, Path | None]:
    """The user's samples for a run with --samples (None without)."""
    if not args.samples:
        if args.db:
            raise CliError("--db: give --samples too to train on them")
        return None, None
    with _samples_store(args, create=False) as store:
        personal, path = store.training_set(), store.path
    taught = int((~personal.held_out).sum())
    if taught == 0:
        raise CliError(
            f"--samples: {path} holds {len(personal)} samples, none to train on; keep some "
            "first (draw a digit, then press the digit it is)"
        )
    return personal, path


def _train_config(args: argparse.Namespace, source: ModelRecord | None) -> TrainConfig:
    """The recipe's (or, from a model whose file reads as ``source``, fine-tuning's)
    training settings with the command line's in their place; --samples alone mixes them
    in at a quarter of each batch."""
    samples_ratio = args.samples_ratio
    if args.samples and samples_ratio is None:
        samples_ratio = SAMPLES_RATIO
    if samples_ratio and not args.samples:
        raise CliError("--samples-ratio: give --samples too")
    return with_overrides(
        fine_tune_config(source) if source is not None else RECIPES[args.arch].config,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        optimizer=args.optimizer,
        seed=args.seed,
        limit=args.limit,
        augment=args.augment,
        validation_fraction=args.val_fraction,
        pen_ratio=args.pen_ratio,
        samples_ratio=samples_ratio,
        outlier_ratio=args.outlier_ratio,
    )


def _new_spec(arch: str, config: TrainConfig) -> dict:
    """The recipe's network, with the "not a digit" output when the run learns non-digits."""
    spec = RECIPES[arch].spec()
    return with_not_a_digit(spec) if config.outlier_ratio else spec


def _letters_folder(args: argparse.Namespace, config: TrainConfig) -> Path | None:
    """Where the pen-written letters of a run that learns non-digits are: --letters, else
    $DIGITPAD_UJI_LETTERS_DIR; None for a run without non-digits or with --no-letters."""
    if not config.outlier_ratio or args.no_letters:
        if args.letters:
            why = "--no-letters" if args.no_letters else "this run learns no non-digits"
            raise CliError(f"--letters: {why}, so it would not use them")
        return None
    folder = Path(args.letters) if args.letters else uji.letters_dir()
    if folder is None:
        raise CliError(
            f"this run learns what is not a digit (--outlier-ratio {config.outlier_ratio:g}) "
            f"from pen-written letters and doodles: give --letters DIR or set "
            f"{uji.LETTERS_ENV_VAR} (see README), or --no-letters to learn from doodles alone"
        )
    return folder


def _pen_digits_folder(args: argparse.Namespace, config: TrainConfig) -> Path | None:
    """Where the pen digits of a run with ``config.pen_ratio`` > 0 are: --pendigits, else
    $DIGITPAD_PENDIGITS_DIR; None for a run on MNIST alone."""
    if not config.pen_ratio:
        if args.pendigits:
            raise CliError("--pendigits: this run has --pen-ratio 0, so it would not use them")
        return None
    folder = Path(args.pendigits) if args.pendigits else pendigits.default_dir()
    if folder is None:
        raise CliError(
            f"--arch {args.arch} trains on pen-written digits too (--pen-ratio "
            f"{config.pen_ratio:g}): give --pendigits DIR or set {pendigits.ENV_VAR} (see "
            "README), or --pen-ratio 0 to train on MNIST alone"
        )
    return folder


# -- evaluate ----------------------------------------------------------------------------


def cmd_evaluate_strokes(args: argparse.Namespace) -> int:
    """A model on pen-written digits, drawn the way the canvas draws them."""
    model = load_model(args.model)
    collection = uji.holds_digits(args.strokes)
    digits = uji.load_digits(args.strokes) if collection else pendigits.load(args.strokes)
    if args.writers:
        if collection and args.writers.strip() == HELD_OUT:
            raise CliError(
                f"--writers {HELD_OUT}: {args.strokes} is the UJI collection, whose writers no "
                "model here trained on: leave --writers out to score them all"
            )
        wanted = _writers_wanted(args.writers, ModelRecord.of(model.metadata), args.model)
        missing = sorted(wanted - set(pendigits.writers(digits).tolist()))
        if missing:
            raise CliError(f"--writers: no digits by writer(s) {missing} in {args.strokes}")
        _, digits = pendigits.split_by_writer(digits, wanted)
    images = pendigits.render_inputs(digits)
    truth = pendigits.labels(digits)
    scores = evaluate(model.network, images, truth)
    probabilities = model.network.predict(images)
    predicted = probabilities.argmax(axis=1)
    ece = expected_calibration_error(probabilities, truth)
    per_writer = pendigits.by_writer(digits, predicted)
    confused = pendigits.most_confused(scores.confusion)
    payload = {
        **scores.to_json(),
        "writers": sorted(per_writer),
        "per_writer_accuracy": {str(w): acc for w, (acc, _) in per_writer.items()},
        "most_confused": [{"true": t, "read_as": r, "count": n} for t, r, n in confused],
        "expected_calibration_error": ece,
        "temperature": model.network.temperature,
    }
    lines = [
        f"{args.model} on {scores.n} pen digits by {len(per_writer)} writers "
        f"({args.strokes}): accuracy {scores.accuracy:.4f}",
        "per digit: " + "  ".join(f"{d}:{a:.3f}" for d, a in enumerate(scores.per_class_accuracy)),
        "per writer: " + "  ".join(f"{w}:{acc:.3f}" for w, (acc, _) in sorted(per_writer.items())),
        "most confused: " + ", ".join(f"{t} read as {r} ({n})" for t, r, n in confused),
        f"calibration error (ECE) {ece:.4f} with temperature {model.network.temperature:.3f}",
    ]
    lines += _unfamiliar_share(model, images, payload, "pen digits")
    _emit(args, payload, "\n".join(lines))
    return 0


def _unfamiliar_share(model: Model, images: np.ndarray, payload: dict, what: str) -> list[str]:
    """The share of real digits the window would call not a digit (or, for a model without
    that output, unlike the digits it learned): into ``payload``, and its line."""
    threshold = threshold_of(model.metadata.metrics)
    if threshold is None:
        return []
    flagged = float((familiarity(model.network.scores(images)) < threshold).mean())
    payload["unfamiliar_share"] = flagged
    called = (
        "called not a digit"
        if model.network.knows_non_digits
        else "called unlike the digits it learned"
    )
    return [f"{called}: {flagged:.2%} of the {what}"]


HELD_OUT = "held-out"


def _writers_wanted(text: str, record: ModelRecord, model_path: Path) -> set[int]:
    """--writers: ids and ranges, or ``held-out``: the writers the model's training kept out."""
    if text.strip() != HELD_OUT:
        return pendigits.parse_writers(text)
    held = record.held_out_writers
    if held is None:
        raise CliError(
            f"--writers {HELD_OUT}: {model_path} records no held-out writers (it was not "
            "trained on pen digits); give writer ids, e.g. 25-30"
        )
    return set(held)


def cmd_evaluate(args: argparse.Namespace) -> int:
    if args.strokes is not None:
        return cmd_evaluate_strokes(args)
    if args.writers:
        raise CliError("--writers picks writers of --strokes DIR")
    model = load_model(args.model)
    test_split = load_split(find_mnist_dir(args.data), "test")
    images = test_split.as_float()
    scores = evaluate(model.network, images, test_split.labels)
    payload = scores.to_json()
    lines = [
        f"{args.model}: accuracy {scores.accuracy:.4f} ({scores.n} images), loss {scores.loss:.4f}",
        "per class: " + "  ".join(f"{d}:{a:.3f}" for d, a in enumerate(scores.per_class_accuracy)),
        "confusion (rows true, columns predicted):",
    ]
    lines += [
        f"  {d}: " + " ".join(f"{v:5d}" for v in row) for d, row in enumerate(scores.confusion)
    ]
    lines += _unfamiliar_share(model, images, payload, "test digits")
    _emit(args, payload, "\n".join(lines))
    return 0


# -- calibrate ---------------------------------------------------------------------------


def _training_config(model_path: Path, stored: object) -> TrainConfig:
    """The parts of a model's recorded training config that chose its validation digits."""
    stored = stored if isinstance(stored, dict) else {}
    fields = ("seed", "limit", "validation_fraction")  # missing ones: TrainConfig's defaults
    try:
        return TrainConfig(**{name: stored[name] for name in fields if name in stored})
    except (TypeError, ValueError) as exc:
        raise CliError(f"{model_path}: its recorded training config is unusable ({exc})") from exc


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Store what makes a model's output mean something: the familiarity threshold,
    measured on the digits its training run would use (models trained before the cue
    existed have none), or with --strokes the temperature, fitted on pen digits."""
    if args.strokes is not None:
        return _calibrate_temperature(args)
    if args.writers:
        raise CliError("--writers picks writers of --strokes DIR")
    model = load_model(args.model)
    config = _training_config(args.model, model.metadata.training.get("config"))
    train_split = load_split(find_mnist_dir(args.data), "train")
    images = calibration_set(train_split.as_float(), train_split.labels, config)
    threshold = threshold_for(model.network, images)
    metrics = {**model.metadata.metrics, THRESHOLD_KEY: threshold}
    path = save_model(
        args.model, model.network, dataclasses.replace(model.metadata, metrics=metrics)
    )
    _emit(
        args,
        {"path": str(path), THRESHOLD_KEY: threshold, "calibration_digits": len(images)},
        f"{path}: familiarity threshold {threshold:.3f} (measured on {len(images):,} digits)",
    )
    return 0


def _calibrate_temperature(args: argparse.Namespace) -> int:
    """Fit the temperature on pen digits of some writers (for a model trained on pen digits
    its training already did, on the writers it held out) and store it in the file."""
    model = load_model(args.model)
    digits = pendigits.load(args.strokes)
    if not args.writers:
        raise CliError(
            f"--writers: which writers' digits to fit on, e.g. 25-30 (or {HELD_OUT}); a model "
            "measured on the writers it was fitted on looks better calibrated than it is"
        )
    wanted = _writers_wanted(args.writers, ModelRecord.of(model.metadata), args.model)
    missing = sorted(wanted - set(pendigits.writers(digits).tolist()))
    if missing:
        raise CliError(f"--writers: no digits by writer(s) {missing} in {args.strokes}")
    _, digits = pendigits.split_by_writer(digits, wanted)
    logits = model.network.logits(pendigits.render_inputs(digits))
    truth = pendigits.labels(digits)
    fitted = calibration.fit(logits, truth, pendigits.writers(digits))
    model.network.temperature = fitted.temperature
    record = {
        "pen_digits_sha256": pendigits.sha256(args.strokes),
        "writers": sorted(wanted),
        "digits": len(digits),
        "accuracy": float((logits.argmax(axis=1) == truth).mean()),
        **fitted.to_json(),
    }
    training = {**model.metadata.training, CALIBRATION_KEY: record}
    path = save_model(
        args.model, model.network, dataclasses.replace(model.metadata, training=training)
    )
    _emit(
        args,
        {"path": str(path), **record},
        f"{path}: fitted on {len(digits):,} pen digits by writers "
        f"{','.join(str(w) for w in sorted(wanted))} (it reads {record['accuracy']:.2%} of them)"
        f"\n{_calibration_line(fitted)}",
    )
    return 0


def _calibration_line(fitted: calibration.TemperatureFit) -> str:
    return (
        f"  calibration error (ECE) {fitted.ece_before:.4f} before, {fitted.ece_after:.4f} after "
        f"temperature scaling (temperature {fitted.temperature:.3f})"
    )


# -- predict -----------------------------------------------------------------------------


def cmd_predict(args: argparse.Namespace) -> int:
    try:
        from digitpad.gui.images import ImageError, image_to_input
    except ImportError as exc:  # Qt decodes the images; on a bare system its libraries lack
        from digitpad.gui.system_libraries import qt_problem

        raise CliError(qt_problem(window=False) or f"cannot load Qt: {exc}") from exc

    network = load_model(args.model).network
    results, failures = [], []
    for path in args.images:
        try:
            digit_input = image_to_input(path)
        except ImageError as exc:
            failures.append(str(exc))
            continue
        probabilities = network.predict(digit_input)[0]
        results.append(
            {
                "path": path,
                "digit": int(probabilities.argmax()),
                "probabilities": [round(float(p), 6) for p in probabilities],
            }
        )
    for failure in failures:
        print(f"digitpad predict: {failure}", file=sys.stderr)
    text = "\n".join(f"{r['path']}: {r['digit']} ({max(r['probabilities']):.1%})" for r in results)
    if results or args.json:
        _emit(args, results, text)
    return 1 if failures else 0


# -- samples -----------------------------------------------------------------------------


def cmd_samples(args: argparse.Namespace) -> int:
    """The user's samples (core/samples/): add image files, list, export, import."""
    # Only adding and importing may create the database; a typo elsewhere is an error.
    create = args.samples_command in ("add", "import")
    with _samples_store(args, create) as store:
        return SAMPLES_COMMANDS[args.samples_command](args, store)


def _samples_store(args: argparse.Namespace, create: bool) -> SampleStore:
    """The samples database of --db (or the app's), saying so when it was found damaged."""
    store = SampleStore(Path(args.db) if args.db else None, create=create)
    if store.recovered_from is not None:
        print(
            f"digitpad {args.command}: {store.path} was damaged; it was moved aside to "
            f"{store.recovered_from} and a new one started",
            file=sys.stderr,
        )
    return store


def _samples_add(args: argparse.Namespace, store: SampleStore) -> int:
    try:
        from digitpad.gui.images import ImageError, read_gray
    except ImportError as exc:  # Qt decodes the images
        from digitpad.gui.system_libraries import qt_problem

        raise CliError(qt_problem(window=False) or f"cannot load Qt: {exc}") from exc
    added, failures = [], []
    for path in args.images:
        try:
            canvas = np.round(fit_to_canvas(to_ink(read_gray(path))) * 255) / 255
            digit_input = to_mnist(canvas)
            if digit_input is None:
                raise ImageError(f"{path}: the image is blank (no digit found)")
            sample_id = store.add(Sample((), canvas, digit_input, args.label))
        except (ImageError, SampleError) as exc:
            message = str(exc)
            failures.append(message if message.startswith(str(path)) else f"{path}: {message}")
            continue
        added.append({"path": path, "id": sample_id, "label": args.label})
    for failure in failures:
        print(f"digitpad samples: {failure}", file=sys.stderr)
    text = "\n".join(
        f"{a['path']}: kept as {as_label(a['label'])} (sample {a['id']})" for a in added
    )
    if added or args.json:
        _emit(args, added, text)
    return 1 if failures else 0


def _samples_list(args: argparse.Namespace, store: SampleStore) -> int:
    rows = store.summaries(label=args.label, misread_only=args.misread)
    payload = [
        {"id": r.id, "label": r.label, "predicted": r.predicted, "created": r.created} for r in rows
    ]
    counts = np.bincount([r.label for r in rows], minlength=NOT_A_DIGIT + 1)
    lines = [
        f"{len(rows):,} samples in {store.path}"
        + (
            f" ({', '.join(f'{label_text(d)}: {n}' for d, n in enumerate(counts) if n)})"
            if rows
            else ""
        ),
        *(
            f"  {r.id:>6}  {label_text(r.label)}"
            + (f"  read as {label_text(r.predicted)}" if r.misread else "")
            + f"  {r.created}"
            for r in rows
        ),
    ]
    _emit(args, payload, "\n".join(lines))
    return 0


def _samples_export(args: argparse.Namespace, store: SampleStore) -> int:
    out = Path(args.out)
    if out.suffix == ".npz":
        written, count = export_npz(store, out)
        paths = [written]
    elif out.suffix == "" or out.is_dir():
        both, count = export_idx(store, out)
        paths = list(both)
    else:
        raise CliError(f"{shown(out)}: give a .npz file, or a folder for IDX files")
    _emit(
        args,
        {"count": count, "paths": [str(p) for p in paths]},
        f"exported {count:,} samples to {', '.join(str(p) for p in paths)}",
    )
    return 0


def _samples_import(args: argparse.Namespace, store: SampleStore) -> int:
    path = Path(args.path)
    if not path.exists():
        raise CliError(f"{shown(path)}: no such file or folder")
    samples = read_export(path)
    ids, skipped = store.add_many(samples)
    _emit(
        args,
        {"added": len(ids), "duplicates": skipped, "ids": ids},
        f"imported {n_samples(len(ids))} from {path}"
        + (f"; {skipped:,} {'was' if skipped == 1 else 'were'} already stored" if skipped else ""),
    )
    return 0


SAMPLES_COMMANDS = {
    "add": _samples_add,
    "list": _samples_list,
    "export": _samples_export,
    "import": _samples_import,
}


# -- bench -------------------------------------------------------------------------------


def cmd_bench(args: argparse.Namespace) -> int:
    from digitpad.bench import run

    result = run(
        batch_size=args.batch_size, seconds=args.seconds, data=args.data, workers=args.workers
    )
    lines = [
        f"machine: {result['machine']}",
        f"float32 matrix product (512 x 512): {result['matmul_gflops']:.0f} GFLOP/s",
        f"training data: {result['data']}, batch size {result['batch_size']}, NumPy on "
        f"{result['workers']} worker thread(s)",
    ]
    for name, ms in result["forward_latency_ms"].items():
        line = f"forward, batch 1, {name}: {ms:.3f} ms (median)"
        if result["torch_forward_latency_ms"]:
            line += f", PyTorch {result['torch_forward_latency_ms'][name]:.3f} ms"
        lines.append(line)
    for arch, rate in result["train_images_per_s"].items():
        lines.append(
            f"training, {arch}: {result['train_flops_per_image'][arch] / 1e6:.1f} MFLOP an "
            f"image (forward {result['forward_flops_per_image'][arch] / 1e6:.1f}), at most "
            f"{result['machine_limit_images_per_s'][arch]:,.0f} images/s here"
        )
        line = f"  NumPy {rate:,.0f} images/s ({result['fraction_of_machine'][arch]:.0%} of that)"
        if result["ratio"]:
            line += (
                f", PyTorch {result['torch_train_images_per_s'][arch]:,.0f} images/s "
                f"({result['torch_fraction_of_machine'][arch]:.0%}), "
                f"ratio {result['ratio'][arch]:.2f}"
            )
        lines.append(line)
    if result["ratio"] is None:
        lines.append("PyTorch is not installed: no comparison (pip install torch to add it)")
    _emit(args, result, "\n".join(lines))
    return 0


# -- data --------------------------------------------------------------------------------


def cmd_data(args: argparse.Namespace) -> int:
    def progress(name: str, done: int, total: int) -> None:
        fraction = done / total if total else 0.0
        sys.stderr.write(f"\r{name:32s} {_bar(fraction)} {done / 1e6:6.2f} MB")
        sys.stderr.flush()

    target = Path(args.dir) if args.dir else None
    mirrors = tuple(args.mirror) if args.mirror else None
    kwargs = {"mirrors": mirrors} if mirrors else {}
    folder = download_mnist(
        target, progress=progress, timeout=args.timeout, deadline=args.deadline, **kwargs
    )
    sys.stderr.write("\n")
    _emit(args, {"path": str(folder)}, f"MNIST verified in {folder}")
    return 0


# -- desktop -----------------------------------------------------------------------------


def cmd_desktop(args: argparse.Namespace) -> int:
    from digitpad import desktop

    try:
        if args.desktop_command == "install":
            files = desktop.install()
            command = desktop.launcher()
            _emit(
                args,
                {"entry": str(files.entry), "icon": str(files.icon), "exec": command},
                f"added digitpad to the desktop menu:\n  {files.entry}\n  {files.icon}\n"
                f"it runs {' '.join(command)}",
            )
        else:
            removed = desktop.uninstall()
            text = (
                "removed:\n" + "\n".join(f"  {p}" for p in removed)
                if removed
                else ("digitpad was not in the desktop menu: nothing to remove")
            )
            _emit(args, {"removed": [str(p) for p in removed]}, text)
    except desktop.DesktopError as exc:
        raise CliError(str(exc)) from exc
    return 0


# -- gui ---------------------------------------------------------------------------------


def from_gui_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file",
        nargs="?",
        type=Path,
        help="an image to put on the canvas, or a model (.npz or a bundled model's name) to "
        "start with; what a file manager passes when a file is opened with digitpad",
    )
    parser.add_argument(
        "--model", type=resolve_model, help="the model to start with: " + MODEL_HELP
    )
    parser.add_argument(
        "--screenshot",
        type=Path,
        metavar="OUT.png",
        help="render the window offscreen, save it as PNG and exit",
    )
    parser.add_argument(
        "--image", type=Path, metavar="IN.png", help="an image to put on the canvas first"
    )


def cmd_gui(args: argparse.Namespace) -> int:
    from digitpad.gui.system_libraries import qt_problem

    if args.screenshot is not None and not os.environ.get("QT_QPA_PLATFORM"):
        # A screenshot is rendered, never shown: it needs no screen.
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    if "PySide6.QtGui" not in sys.modules:
        # Check before Qt loads: a missing library makes the import fail, or Qt abort
        # with a misleading message when it loads its X11 plugin.
        problem = qt_problem()
        if problem is not None:
            print(problem, file=sys.stderr)
            return 1
    from digitpad.gui.app import run

    if args.file is not None:
        if args.file.suffix.lower() == ".npz" or str(args.file) in RECIPES:
            args.model = args.model or resolve_model(args.file)
        else:
            args.image = args.image or args.file
    return run(args)


# -- parser ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digitpad", description="Draw a digit and watch a NumPy CNN recognise it."
    )
    parser.add_argument("--version", action="version", version=f"digitpad {__version__}")
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("gui", help="open the window (the default with no command)")
    p.set_defaults(func=cmd_gui)
    from_gui_arguments(p)

    p = sub.add_parser("train", help="train a model on MNIST")
    p.add_argument("--arch", choices=sorted(RECIPES), default="default")
    p.add_argument("--epochs", type=whole_number(1))
    p.add_argument("--batch-size", type=whole_number(1))
    p.add_argument("--lr", type=real_number(0), help="learning rate")
    p.add_argument("--optimizer", choices=OPTIMIZERS)
    p.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None)
    p.add_argument(
        "--val-fraction",
        type=real_number(0, 1, inclusive_low=True),
        help="share held out for validation",
    )
    p.add_argument("--seed", type=whole_number(0))
    p.add_argument("--limit", type=whole_number(10), help="train on N random training images")
    p.add_argument("--data", help="folder with the MNIST IDX files")
    p.add_argument(
        "--pendigits",
        metavar="DIR",
        help=f"folder with the UCI pen-digits strokes (else ${pendigits.ENV_VAR})",
    )
    p.add_argument(
        "--pen-ratio",
        type=real_number(0, 1, inclusive_low=True),
        help="share of each batch that is pen digits, drawn afresh (0: MNIST alone)",
    )
    p.add_argument(
        "--outlier-ratio",
        type=real_number(0, 1, inclusive_low=True),
        help="share of each batch that is not digits (letters and doodles), for a network "
        "with a 'not a digit' output",
    )
    p.add_argument(
        "--letters",
        metavar="DIR",
        help=f"folder with the UJI pen-written letters (else ${uji.LETTERS_ENV_VAR})",
    )
    p.add_argument(
        "--no-letters", action="store_true", help="learn what is not a digit from doodles alone"
    )
    p.add_argument(
        "--from",
        dest="from_model",
        type=resolve_model,
        metavar="MODEL",
        help="fine-tune this model (file or bundled name) instead of training a new one: "
        "few epochs, a lower learning rate, part of MNIST",
    )
    p.add_argument("--samples", action="store_true", help="train on your samples too")
    p.add_argument("--db", help="with --samples: the samples database (default: the app's)")
    p.add_argument(
        "--samples-ratio",
        type=real_number(0, 1),
        help=f"with --samples: share of each batch that is your samples (default {SAMPLES_RATIO})",
    )
    p.add_argument(
        "--workers",
        type=whole_number(1),
        default=1,
        help="threads sharing each batch (2 on two cores trains faster; the model then "
        "differs from one worker's in float rounding)",
    )
    p.add_argument("--name", help="display name stored in the model")
    p.add_argument("--out", required=True, help="model file to write (.npz)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser(
        "evaluate",
        help="score a model on the 10,000 MNIST test images, or on pen-written digits",
    )
    p.add_argument("--model", type=resolve_model, default="default", help=MODEL_HELP)
    p.add_argument("--data", help="folder with the MNIST IDX files")
    p.add_argument(
        "--strokes",
        type=Path,
        metavar="DIR",
        help="score on the pen-written digits in DIR instead, drawn as the canvas draws: the "
        "UCI pen digits (pendigits-orig.tra.gz) or UJI Pen Characters (uji-digits-W01-W20.txt.gz)",
    )
    p.add_argument(
        "--writers",
        help=f"with --strokes: only these writers, e.g. 25-30 or 1,4, or {HELD_OUT} (the "
        "writers the model's training held out)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser(
        "calibrate", help="measure and store when a model calls a drawing unlike its digits"
    )
    # Required: it rewrites the file (the bundled models come calibrated).
    p.add_argument("--model", type=resolve_model, required=True, help=MODEL_HELP)
    p.add_argument("--data", help="folder with the MNIST IDX files")
    p.add_argument(
        "--strokes",
        type=Path,
        metavar="DIR",
        help="fit the temperature on the UCI pen-digits strokes in DIR instead",
    )
    p.add_argument(
        "--writers", help=f"with --strokes: the writers to fit on, e.g. 25-30, or {HELD_OUT}"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser("predict", help="classify image files of digits")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="PNG, JPEG or BMP files")
    p.add_argument("--model", type=resolve_model, default="default", help=MODEL_HELP)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("bench", help="measure forward latency and training throughput")
    p.add_argument("--batch-size", type=whole_number(1), default=64)
    p.add_argument("--seconds", type=real_number(0), default=3.0, help="timing per measurement")
    p.add_argument(
        "--workers",
        type=whole_number(1),
        help="threads NumPy trains on, each on a part of the batch (default: one per core)",
    )
    p.add_argument("--data", help="folder with the MNIST IDX files")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("data", help="manage the MNIST data")
    data_sub = p.add_subparsers(dest="data_command", required=True)
    d = data_sub.add_parser("download", help="download and verify MNIST (about 11 MB)")
    d.add_argument("--dir", help="where to put it (default: the user data folder)")
    d.add_argument("--mirror", action="append", help="base URL to try (repeatable)")
    d.add_argument("--timeout", type=real_number(0), default=10.0, help="seconds per connection")
    d.add_argument(
        "--deadline",
        type=real_number(0),
        help="seconds one file may take in all (default: a 100 KB/s line's time)",
    )
    d.add_argument("--json", action="store_true")
    d.set_defaults(func=cmd_data)

    p = sub.add_parser("samples", help="your own digits: add image files, list, export, import")
    samples_sub = p.add_subparsers(dest="samples_command", required=True)
    d = samples_sub.add_parser("add", help="keep image files of a digit as samples")
    d.add_argument("images", nargs="+", metavar="IMAGE", help="PNG, JPEG or BMP files")
    d.add_argument(
        "--label",
        type=sample_label,
        required=True,
        help=f"the digit they show, or {NOT_A_DIGIT} (or 'not-a-digit') for none",
    )
    d = samples_sub.add_parser("list", help="list the samples")
    d.add_argument(
        "--label",
        type=sample_label,
        help=f"only this digit, or {NOT_A_DIGIT} (or 'not-a-digit') for those kept as none",
    )
    d.add_argument("--misread", action="store_true", help="only those the model misread")
    d = samples_sub.add_parser("export", help="write them to a .npz file or IDX files")
    d.add_argument("out", metavar="PATH", help="a .npz file, or a folder for IDX files")
    d = samples_sub.add_parser("import", help="add samples from an export (.npz or IDX folder)")
    d.add_argument("path", metavar="PATH")
    for d in samples_sub.choices.values():
        d.add_argument("--db", help="the samples database (default: in the user data folder)")
        d.add_argument("--json", action="store_true")
        d.set_defaults(func=cmd_samples)

    p = sub.add_parser("desktop", help="add digitpad to the desktop menu, or remove it (Linux)")
    desktop_sub = p.add_subparsers(dest="desktop_command", required=True)
    for name, text in (
        ("install", "write the menu entry and icon under ~/.local/share (or $XDG_DATA_HOME)"),
        ("uninstall", "remove them"),
    ):
        d = desktop_sub.add_parser(name, help=text)
        d.add_argument("--json", action="store_true")
        d.set_defaults(func=cmd_desktop)
    return parser


def gui_main() -> int:
    """`digitpad-gui` (through ``entry.gui_main``, which handles Ctrl+C from the start):
    the app alone, without a console window on Windows (pythonw)."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:  # pythonw gives no console streams
            setattr(sys, name, open(os.devnull, "w"))  # noqa: SIM115 - lives as long as the app
    return main(["gui", *sys.argv[1:]])


def main(argv: list[str] | None = None) -> int:
    """`digitpad` (through ``entry.main``, which handles Ctrl+C and `kill` while this
    module and its imports load)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["gui"])
    if args.command == "gui":
        return _run_window(args)
    # `kill` (SIGTERM) unwinds like Ctrl+C, so temporary files are removed on the way.
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        return _run(args)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run_window(args: argparse.Namespace) -> int:
    """`gui`, where Ctrl+C must not raise inside Qt: once the application exists, Qt
    calls Python all through the window's start, its screenshot and its life, and a
    KeyboardInterrupt raised in one of those calls is printed and lost by PySide, or
    leaves Qt half way (a crash). There Ctrl+C asks the application to quit, between
    events (a screenshot, which runs no event loop, is finished first); the command then
    ends as an interrupted one does. Before the application exists it raises as usual."""
    interrupted: list[int] = []

    def on_interrupt(signum: int, frame: object) -> None:
        qt = sys.modules.get("PySide6.QtCore")
        app = qt.QCoreApplication.instance() if qt is not None else None
        if app is None:
            raise KeyboardInterrupt
        interrupted.append(signum)
        qt.QTimer.singleShot(0, app.quit)  # posted: acted on when events are next handled

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        code = _run(args)
    finally:
        signal.signal(signal.SIGINT, previous)
    if interrupted:
        print(f"\ndigitpad {args.command}: interrupted", file=sys.stderr)
        return 130
    return code


def _run(args: argparse.Namespace) -> int:
    """The command, with what the world can do to it ending it in one line and a
    conventional exit status; anything else is a bug, and its traceback is shown."""
    try:
        code = args.func(args)
        sys.stdout.flush()  # a full disk or closed pipe on stdout shows here, not at exit
        return code
    except (CliError, DatasetError, ModelFormatError, LibraryError, SampleError) as exc:
        print(f"digitpad {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\ndigitpad {args.command}: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print(f"\ndigitpad {args.command}: terminated", file=sys.stderr)
        return 143
    except BrokenPipeError:
        # The reader (say `| head`) went away: stop quietly, as command-line tools do.
        _discard_stdout()
        return 1
    except OSError as exc:
        where = f"{shown(exc.filename)}: " if exc.filename else ""
        print(f"digitpad {args.command}: {where}{exc.strerror or exc}", file=sys.stderr)
        if exc.errno in (errno.ENOSPC, errno.EPIPE, errno.EBADF):
            _discard_stdout()  # so Python's own flush at exit does not fail again
        return 1


class Terminated(BaseException):
    """SIGTERM arrived: raised where the program is, so ``finally`` blocks run."""


def _terminated(signum: int, frame: object) -> None:
    raise Terminated


def _discard_stdout() -> None:
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


if __name__ == "__main__":  # `python -m digitpad.cli`: the entry handles interrupts
    from digitpad.entry import main as entry_main

    raise SystemExit(entry_main())
