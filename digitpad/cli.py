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
from digitpad.core import pendigits
from digitpad.core.atomic import temporary_beside
from digitpad.core.bundled import RECIPES, resolve_model
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
from digitpad.core.model_io import ModelFormatError, ModelMetadata, load_model, save_model
from digitpad.core.network import Network
from digitpad.core.paths import shown
from digitpad.core.training import (
    OPTIMIZERS,
    BatchEnd,
    EpochEnd,
    Finished,
    TrainConfig,
    TrainingDiverged,
    calibration_set,
    run_metadata,
    train,
    with_overrides,
)

MODEL_HELP = "a model file (.npz), or the name of a bundled model: " + ", ".join(RECIPES)


def whole_number(minimum: int):
    """An argparse type: an integer of at least ``minimum``, refused with its bound."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
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
    config = with_overrides(
        RECIPES[args.arch].config,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        optimizer=args.optimizer,
        seed=args.seed,
        limit=args.limit,
        augment=args.augment,
        validation_fraction=args.val_fraction,
    )
    out = writable_destination(args.out)  # before the training, not after it
    folder = find_mnist_dir(args.data)
    train_split = load_split(folder, "train")
    count = min(config.limit or len(train_split.labels), len(train_split.labels))
    if count - round(count * config.validation_fraction) < 1:
        raise CliError(
            f"--val-fraction {config.validation_fraction:g} of {count} images leaves none to "
            "train on"
        )
    network = Network(RECIPES[args.arch].spec(), np.random.default_rng(config.seed))
    show = sys.stderr.isatty() or not args.json
    result = None
    try:
        for event in train(network, train_split.as_float(), train_split.labels, config):
            if (
                isinstance(event, BatchEnd)
                and show
                and (event.batch % 20 == 0 or event.batch == event.batches)
            ):
                done = ((event.epoch - 1) * event.batches + event.batch) / (
                    event.epochs * event.batches
                )
                sys.stderr.write(
                    f"\repoch {event.epoch}/{event.epochs} {_bar(done)} loss {event.loss:.4f} "
                    f"acc {event.accuracy:.3f} {event.images_per_s:,.0f} img/s "
                    f"ETA {_format_seconds(event.eta_s)} "
                )
                sys.stderr.flush()
            elif isinstance(event, EpochEnd) and show:
                val = f" val_acc {event.val_accuracy:.4f}" if event.val_accuracy is not None else ""
                sys.stderr.write(
                    f"\nepoch {event.epoch}: train_loss {event.train_loss:.4f} "
                    f"train_acc {event.train_accuracy:.4f}{val}\n"
                )
            elif isinstance(event, Finished):
                result = event
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted: nothing was written\n")
        return 130
    except TrainingDiverged as exc:
        raise CliError(str(exc)) from exc
    assert result is not None
    test_split = load_split(folder, "test")
    scores = evaluate(network, test_split.as_float(), test_split.labels)
    metadata = run_metadata(args.name or out.stem, args.arch, config, result, scores, train_split)
    path = save_trained(out, network, metadata)
    _emit(
        args,
        {
            "path": str(path),
            "test_accuracy": scores.accuracy,
            "test_loss": scores.loss,
            "seconds": round(result.elapsed_s, 1),
            "history": result.history,
        },
        f"saved {path}: test accuracy {scores.accuracy:.4f}, loss {scores.loss:.4f}, "
        f"trained in {_format_seconds(result.elapsed_s)}",
    )
    return 0


# -- evaluate ----------------------------------------------------------------------------


def cmd_evaluate_strokes(args: argparse.Namespace) -> int:
    """A model on pen-written digits, drawn the way the canvas draws them."""
    model = load_model(args.model)
    digits = pendigits.load(args.strokes)
    if args.writers:
        wanted = pendigits.parse_writers(args.writers)
        missing = sorted(wanted - set(pendigits.writers(digits).tolist()))
        if missing:
            raise CliError(f"--writers: no digits by writer(s) {missing} in {args.strokes}")
        _, digits = pendigits.split_by_writer(digits, wanted)
    images = pendigits.render_inputs(digits)
    scores = evaluate(model.network, images, pendigits.labels(digits))
    predicted = model.network.predict(images).argmax(axis=1)
    per_writer = pendigits.by_writer(digits, predicted)
    confused = pendigits.most_confused(scores.confusion)
    payload = {
        **scores.to_json(),
        "writers": sorted(per_writer),
        "per_writer_accuracy": {str(w): acc for w, (acc, _) in per_writer.items()},
        "most_confused": [{"true": t, "read_as": r, "count": n} for t, r, n in confused],
    }
    lines = [
        f"{args.model} on {scores.n} pen digits by {len(per_writer)} writers "
        f"({args.strokes}): accuracy {scores.accuracy:.4f}",
        "per digit: " + "  ".join(f"{d}:{a:.3f}" for d, a in enumerate(scores.per_class_accuracy)),
        "per writer: " + "  ".join(f"{w}:{acc:.3f}" for w, (acc, _) in sorted(per_writer.items())),
        "most confused: " + ", ".join(f"{t} read as {r} ({n})" for t, r, n in confused),
    ]
    _emit(args, payload, "\n".join(lines))
    return 0


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
    threshold = threshold_of(model.metadata.metrics)
    if threshold is not None:
        flagged = float((familiarity(model.network.logits(images)) < threshold).mean())
        payload["unfamiliar_share"] = flagged
        lines.append(f"called unlike the digits it learned: {flagged:.2%} of the test digits")
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
    """Measure a model's familiarity threshold on the digits its training run would use
    and store it in the file (models trained before the cue existed have none)."""
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


# -- bench -------------------------------------------------------------------------------


def cmd_bench(args: argparse.Namespace) -> int:
    from digitpad.bench import run

    result = run(batch_size=args.batch_size, seconds=args.seconds, data=args.data)
    lines = [
        f"machine: {result['machine']}",
        f"training data: {result['data']}, batch size {result['batch_size']}",
    ]
    for name, ms in result["forward_latency_ms"].items():
        lines.append(f"forward, batch 1, {name}: {ms:.3f} ms (median)")
    for arch, rate in result["train_images_per_s"].items():
        line = f"training, {arch}: NumPy {rate:,.0f} images/s"
        if result["ratio"]:
            line += (
                f", PyTorch {result['torch_train_images_per_s'][arch]:,.0f} images/s, "
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
        help="score on the UCI pen-digits strokes in DIR instead (drawn as the canvas draws)",
    )
    p.add_argument("--writers", help="with --strokes: only these writers, e.g. 25-30 or 1,4")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser(
        "calibrate", help="measure and store when a model calls a drawing unlike its digits"
    )
    # Required: it rewrites the file (the bundled models come calibrated).
    p.add_argument("--model", type=resolve_model, required=True, help=MODEL_HELP)
    p.add_argument("--data", help="folder with the MNIST IDX files")
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
    """`digitpad-gui`: the app alone, without a console window on Windows (pythonw)."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:  # pythonw gives no console streams
            setattr(sys, name, open(os.devnull, "w"))  # noqa: SIM115 - lives as long as the app
    return main(["gui", *sys.argv[1:]])


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["gui"])
    if args.command == "gui":
        return _run(args)
    # `kill` (SIGTERM) unwinds like Ctrl+C, so temporary files are removed on the way.
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        return _run(args)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run(args: argparse.Namespace) -> int:
    """The command, with what the world can do to it ending it in one line and a
    conventional exit status; anything else is a bug, and its traceback is shown."""
    try:
        code = args.func(args)
        sys.stdout.flush()  # a full disk or closed pipe on stdout shows here, not at exit
        return code
    except (CliError, DatasetError, ModelFormatError, LibraryError) as exc:
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


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
