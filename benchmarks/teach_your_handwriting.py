"""Teaching a model one writer's handwriting, measured the way a user lives it.

For each writer the model's training held out of the pen digits (the bundled default: six),
that writer's first ``--per-digit`` digits of each class are the "corrected" samples (drawn
as the canvas draws them, as a user's corrections are kept). The model is fine-tuned on
them as ``digitpad train --from MODEL --samples`` does (``training.fine_tune_config``; here
every taught sample is used, none held out), then it reads the rest of that writer's digits and
the 10,000 MNIST test digits, before and after. It prints per writer and overall, and the
seconds each fine-tune took.

    python benchmarks/teach_your_handwriting.py [--model default] [--per-digit 2]
        [--writers W] [--samples-ratio R] [--learning-rate L] [--epochs E] [--json]

MNIST comes from DIGITPAD_MNIST_DIR (or the usual places), pen digits from
DIGITPAD_PENDIGITS_DIR.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace

import numpy as np

from digitpad.core import pendigits, uji
from digitpad.core.bundled import resolve_model
from digitpad.core.data import find_mnist_dir, load_split
from digitpad.core.evaluation import evaluate
from digitpad.core.model_io import load_model
from digitpad.core.record import ModelRecord
from digitpad.core.samples import PersonalSet
from digitpad.core.training import (
    FINE_TUNE,
    PEN_DIGITS_KEY,
    SAMPLES_RATIO,
    Finished,
    fine_tune_config,
    train,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--per-digit", type=int, default=2)
    parser.add_argument("--writers", help="these writers instead of the model's held-out ones")
    parser.add_argument("--samples-ratio", type=float, default=SAMPLES_RATIO)
    parser.add_argument("--learning-rate", type=float, default=FINE_TUNE.learning_rate)
    parser.add_argument("--epochs", type=int, default=FINE_TUNE.epochs)
    parser.add_argument(
        "--pen-ratio",
        type=float,
        default=0.0,
        help="also mix in the other writers' pen digits (the held-out writers stay out)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    model = load_model(resolve_model(args.model))
    folder = pendigits.default_dir()
    if folder is None:
        sys.exit(f"set {pendigits.ENV_VAR} to the pen-digits folder")
    digits = pendigits.load(folder)
    if args.writers:
        writers = sorted(pendigits.parse_writers(args.writers))
    else:
        writers = model.metadata.training.get(PEN_DIGITS_KEY, {}).get("held_out_writers")
        if not writers:
            sys.exit(f"{args.model} holds out no writers; give --writers")
    mnist = find_mnist_dir(None)
    train_split, test_split = load_split(mnist, "train"), load_split(mnist, "test")
    test_images = test_split.as_float()
    mnist_before = evaluate(model.network, test_images, test_split.labels).accuracy
    record = ModelRecord.of(model.metadata)
    config = replace(
        fine_tune_config(record),
        samples_ratio=args.samples_ratio,
        learning_rate=args.learning_rate,
        epochs=args.epochs,
        pen_ratio=args.pen_ratio,
    )

    # A model that learned what is not a digit keeps learning it, as `digitpad train --from`
    # does: with the pen letters where $DIGITPAD_UJI_LETTERS_DIR names them, else doodles.
    letters, letter_writers = (), None
    if config.outlier_ratio and uji.letters_dir() is not None:
        letters = uji.load_letters(uji.letters_dir())
        if record.non_digits is not None:
            letter_writers = record.non_digits.held_out_writers

    rows = []
    for writer in writers:
        mine = [d for d in digits if d.writer == writer]
        taught = [
            digit
            for label in range(10)
            for digit in [d for d in mine if d.label == label][: args.per_digit]
        ]
        rest = [d for d in mine if not any(d is t for t in taught)]
        taught_inputs = pendigits.render_inputs(taught)
        rest_inputs, rest_labels = pendigits.render_inputs(rest), pendigits.labels(rest)
        personal = PersonalSet(
            ids=np.arange(1, len(taught) + 1),
            inputs=taught_inputs,
            labels=pendigits.labels(taught),
            held_out=np.zeros(len(taught), bool),
        )
        network = model.network.copy()
        before = evaluate(network, rest_inputs, rest_labels).accuracy
        start = time.perf_counter()
        for event in train(
            network,
            train_split.as_float(),
            train_split.labels,
            config,
            personal=personal,
            pen_digits=digits if args.pen_ratio else (),
            letters=letters,
            held_out_letter_writers=letter_writers,
        ):
            if isinstance(event, Finished):
                break
        seconds = time.perf_counter() - start
        after = evaluate(network, rest_inputs, rest_labels).accuracy
        mnist_after = evaluate(network, test_images, test_split.labels).accuracy
        rows.append(
            {
                "writer": writer,
                "taught": len(taught),
                "scored": len(rest),
                "before": before,
                "after": after,
                "mnist_after": mnist_after,
                "seconds": round(seconds, 1),
            }
        )
        if not args.json:
            print(
                f"writer {writer:>2}: taught {len(taught)}, their other {len(rest)} digits "
                f"{before:.2%} -> {after:.2%}; MNIST {mnist_before:.2%} -> {mnist_after:.2%}; "
                f"{seconds:.0f} s",
                flush=True,
            )
    scored = sum(r["scored"] for r in rows)
    overall = {
        "before": sum(r["before"] * r["scored"] for r in rows) / scored,
        "after": sum(r["after"] * r["scored"] for r in rows) / scored,
        "mnist_before": mnist_before,
        "mnist_after_mean": float(np.mean([r["mnist_after"] for r in rows])),
        "mnist_after_min": float(np.min([r["mnist_after"] for r in rows])),
        "seconds_mean": float(np.mean([r["seconds"] for r in rows])),
    }
    if args.json:
        print(json.dumps({"model": args.model, "per_writer": rows, "overall": overall}))
    else:
        print(
            f"overall: {overall['before']:.2%} -> {overall['after']:.2%} on {scored} digits; "
            f"MNIST {mnist_before:.2%} -> {overall['mnist_after_mean']:.2%} on average "
            f"(lowest {overall['mnist_after_min']:.2%}); {overall['seconds_mean']:.0f} s a "
            "fine-tune"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
