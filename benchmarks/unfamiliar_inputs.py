"""How often the app says "doesn't look like the digits it learned" (or "too small to
read"), on digits and on things that are not digits.

For a model (the bundled default unless ``--model``) it prints the share flagged of:
  - the 10,000 MNIST test digits (the cue's threshold flags 0.5 % of calibration digits);
  - real pen digits: the UCI pen-digits strokes of 30 writers, rendered like canvas strokes;
  - letters A-Z and a-z and symbols, from several system fonts at several pen widths;
  - random scribbles, and dots and dashes, drawn with the canvas pen;
  - the UJI Pen Characters: digits of 20 more writers, nobody's training data, and their
    letters (digit-like ones such as O, I, S, Z apart), written with a pen; a model that
    learned what is not a digit trained on some writers' letters: the writers it never saw
    are reported apart;
  - doodles people draw (``core/doodles.py``): faces, houses, stars, hearts, arrows ...,
    from seeds no training run draws from.
Everything that is drawn goes the canvas's way: a 280x280 ink image through
``preprocess.to_mnist``, and the same two checks the window makes (``viewer.too_small`` on
the ink, then the familiarity threshold stored in the model file). Nothing here is tuned:
the threshold was fixed when the model was calibrated on MNIST digits.

    python benchmarks/unfamiliar_inputs.py [--model default] [--json]

MNIST comes from DIGITPAD_MNIST_DIR (or the usual places), pen digits from
DIGITPAD_PENDIGITS_DIR or ../shared/data/pendigits, the UJI sets from DIGITPAD_UJI_DIGITS_DIR
and DIGITPAD_UJI_LETTERS_DIR (or ../shared/data); a missing one is reported and skipped.
"A digit" is the share not flagged: given a digit; "sure digit" the share given a digit
with 80 % or more: what the window then shows as a plain answer.
"""

from __future__ import annotations

import argparse
import json
import os
import string
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QGuiApplication,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
)

from digitpad.core import doodles, pendigits, uji
from digitpad.core.bundled import resolve_model
from digitpad.core.data import DatasetError, find_mnist_dir, load_split
from digitpad.core.familiarity import familiarity, threshold_of
from digitpad.core.model_io import load_model
from digitpad.core.outliers import HELD_OUT_SEED
from digitpad.core.preprocess import to_mnist
from digitpad.core.record import ModelRecord
from digitpad.core.strokes import CANVAS_SIZE, Stroke, render
from digitpad.core.viewer import UNSURE_BELOW, too_small

PEN = 22.0  # the canvas's default pen, in canvas pixels
# Preferred families (what Debian and most Linux desktops ship), else any the system has.
FONTS = (
    "DejaVu Sans",
    "DejaVu Serif",
    "Nimbus Sans",
    "Nimbus Roman",
    "Nimbus Mono PS",
    "URW Gothic",
    "Z003",
    "Liberation Sans",
    "Arial",
    "Times New Roman",
    "Courier New",
)
LETTER_PENS = (2.0, 12.0, 22.0)
SYMBOLS = "#%&@+=?!$*<>{}[]~^"


class Drawn:
    """Canvas images and whether each is flagged by the model's two checks."""

    def __init__(self, network, threshold: float) -> None:
        self.network, self.threshold = network, threshold

    def flags(self, canvases: list[np.ndarray], pens: list[float]) -> dict:
        small = np.array([too_small(c, p) for c, p in zip(canvases, pens, strict=True)])
        inputs = [to_mnist(c) for c in canvases]
        empty = np.array([x is None for x in inputs])
        readable = [x for x, s, e in zip(inputs, small, empty, strict=True) if not (s or e)]
        return self.inputs_flags(readable, small | empty)

    def inputs_flags(self, readable: list[np.ndarray], small: np.ndarray) -> dict:
        """The flags of network inputs, for drawings not already called too small."""
        unfamiliar = np.zeros(len(small), bool)
        sure = np.zeros(len(small), bool)
        if readable:
            scores = self.network.scores(np.stack(readable))
            unfamiliar[~small] = familiarity(scores) < self.threshold
            probabilities = self.network.predict(np.stack(readable))
            sure[~small] = probabilities.max(axis=1) >= UNSURE_BELOW
        return summary(len(small), small, unfamiliar, sure & ~unfamiliar)


def summary(
    n: int, small: np.ndarray, unfamiliar: np.ndarray, sure: np.ndarray | None = None
) -> dict:
    """Shares of drawings: too small, unfamiliar, flagged (either), given a digit (not
    flagged), and given a digit as a sure answer (its best digit at 80 % or more)."""
    row = {
        "n": n,
        "too_small": float(small.mean()),
        "unfamiliar": float(unfamiliar.mean()),
        "flagged": float((small | unfamiliar).mean()),
        "given_a_digit": float((~(small | unfamiliar)).mean()),
    }
    if sure is not None:
        row["sure_digit"] = float(sure.mean())
    return row


def uji_flags(
    drawn: Drawn, folder: str | None, letters: bool, trained_on: tuple[int, ...] = ()
) -> dict[str, dict] | str:
    """The UJI collection's digits, or its letters (digit-like ones apart): no model here
    trained on its digits; a model that learned non-digits trained on the letters of some
    writers (``trained_on``), whose letters are reported apart from the held-out ones."""
    variable = "DIGITPAD_UJI_LETTERS_DIR" if letters else "DIGITPAD_UJI_DIGITS_DIR"
    shared = "../shared/data/uji-letters" if letters else "../shared/data/uji-digits"
    path = Path(folder or os.environ.get(variable) or shared)
    try:
        items = uji.load_letters(path) if letters else uji.load_digits(path)
    except (OSError, DatasetError) as exc:
        return f"skipped: {exc}"
    inputs = pendigits.render_inputs(items, PEN)
    if not letters:
        return {
            "UJI digits (20 writers)": drawn.inputs_flags(list(inputs), np.zeros(len(inputs), bool))
        }
    like = np.array([letter.digit_like for letter in items])
    seen = np.array([letter.writer in trained_on for letter in items])
    groups = [("", np.ones(len(items), bool))]
    if trained_on:
        writers = len({letter.writer for letter in items} - set(trained_on))
        groups = [(f" ({writers} held-out writers)", ~seen), (" (writers trained on)", seen)]
    return {
        f"UJI letters, {label}{who}": drawn.inputs_flags(
            list(inputs[chosen & mask]), np.zeros((chosen & mask).sum(), bool)
        )
        for who, mask in groups
        for label, chosen in (("not digit-like", ~like), ("digit-like", like))
    }


def doodle_flags(drawn: Drawn, per_kind: int) -> dict[str, dict]:
    """Each doodle kind, ``per_kind`` seeds each, drawn as people draw them: seeds no
    training run draws from (``outliers.HELD_OUT_SEED`` on)."""
    rows = {}
    for kind in doodles.KINDS:
        canvases, pens = [], []
        for seed in range(HELD_OUT_SEED, HELD_OUT_SEED + per_kind):
            strokes = doodles.doodle(kind, seed)
            canvases.append(render(strokes))
            pens.append(strokes[0].width)
        rows[f"doodles: {kind}"] = drawn.flags(canvases, pens)
    return rows


def glyph_canvas(text: str, family: str, pen: float) -> np.ndarray | None:
    """One glyph filled and outlined with a round pen of ``pen`` canvas pixels, about 200 px
    tall on the 280x280 canvas as a person would draw it: bright ink on black."""
    image = QImage(CANVAS_SIZE, CANVAS_SIZE, QImage.Format.Format_Grayscale8)
    image.fill(0)
    font = QFont(family)
    font.setPixelSize(200)
    path = QPainterPath()
    path.addText(0, 0, font, text)
    box = path.boundingRect()
    if box.isEmpty():
        return None
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.translate(CANVAS_SIZE / 2, CANVAS_SIZE / 2)
    size = max(box.width(), box.height())
    painter.scale(200 / size, 200 / size)
    painter.translate(-box.center())
    white = QColor(255, 255, 255)
    painter.setPen(
        QPen(
            white,
            pen * size / 200,
            Qt.PenStyle.SolidLine,
            Qt.PenCapStyle.RoundCap,
            Qt.PenJoinStyle.RoundJoin,
        )
    )
    painter.setBrush(white)
    painter.drawPath(path)
    painter.end()
    bits = np.frombuffer(image.constBits(), np.uint8).reshape(CANVAS_SIZE, image.bytesPerLine())
    return bits[:, :CANVAS_SIZE].astype(np.float32) / 255.0


def font_families() -> list[str]:
    """The preferred families this system has (Qt may name them "Nimbus Sans [urw]"), or,
    on a system with none of them, a few of whatever it has."""
    available = {family.split(" [")[0] for family in QFontDatabase.families()}
    chosen = [family for family in FONTS if family in available]
    if len(chosen) < 3:
        chosen += sorted(available - set(chosen))[: 4 - len(chosen)]
    return chosen


def scribbles(rng: np.random.Generator, count: int) -> list[np.ndarray]:
    """Random pen walks: one to three strokes of 6-30 points, steps of about 30 px."""
    canvases = []
    for _ in range(count):
        strokes = []
        for _ in range(int(rng.integers(1, 4))):
            start = rng.uniform(60, 220, 2)
            steps = rng.normal(0, 30, (int(rng.integers(6, 31)), 2))
            strokes.append(Stroke(np.clip(start + np.cumsum(steps, axis=0), 10, 270), PEN))
        canvases.append(render(strokes))
    return canvases


def dots_and_dashes(rng: np.random.Generator, count: int) -> list[np.ndarray]:
    """Half dots (one click), half straight dashes 10-80 px long at any angle."""
    canvases = []
    for index in range(count):
        centre = rng.uniform(60, 220, 2)
        if index % 2 == 0:
            points = centre[None]
        else:
            angle, length = rng.uniform(0, np.pi), rng.uniform(10, 80)
            half = 0.5 * length * np.array([np.cos(angle), np.sin(angle)])
            points = np.stack([centre - half, centre + half])
        canvases.append(render([Stroke(points, PEN)]))
    return canvases


def mnist_flags(network, threshold: float, data: str | None) -> dict | str:
    try:
        test = load_split(find_mnist_dir(data), "test")
    except DatasetError as exc:
        return f"skipped: {exc}"
    unfamiliar = familiarity(network.scores(test.as_float())) < threshold
    sure = network.predict(test.as_float()).max(axis=1) >= UNSURE_BELOW
    return summary(len(unfamiliar), np.zeros(len(unfamiliar), bool), unfamiliar, sure & ~unfamiliar)


def pendigit_flags(drawn: Drawn, folder: str | None) -> dict | str:
    path = Path(folder) if folder else pendigits.default_dir() or Path("../shared/data/pendigits")
    try:
        digits = pendigits.load(path)
    except (OSError, DatasetError) as exc:
        return f"skipped: {exc}"
    canvases = [render(pendigits.to_canvas(digit, pen_width=PEN)) for digit in digits]
    return drawn.flags(canvases, [PEN] * len(canvases))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="default", help="a model file or a bundled name")
    parser.add_argument("--mnist", help="folder with the MNIST IDX files")
    parser.add_argument("--pendigits", help="folder with pendigits-orig.tra.gz")
    parser.add_argument("--uji-digits", help="folder with uji-digits-W01-W20.txt.gz")
    parser.add_argument("--uji-letters", help="folder with uji-letters-W01-W20.txt.gz")
    parser.add_argument("--doodles", type=int, default=40, help="seeds of each doodle kind")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    _app = QGuiApplication(sys.argv[:1])
    model = load_model(resolve_model(args.model))
    threshold = threshold_of(model.metadata.metrics)
    if threshold is None:
        sys.exit(f"{args.model}: no familiarity threshold; run `digitpad calibrate` first")
    drawn = Drawn(model.network, threshold)
    rng = np.random.default_rng(0)
    families = font_families()
    rows: dict[str, dict | str] = {
        "MNIST test digits": mnist_flags(model.network, threshold, args.mnist),
        "pen digits (30 writers)": pendigit_flags(drawn, args.pendigits),
    }
    for label, characters in (
        ("letters A-Z", string.ascii_uppercase),
        ("letters a-z", string.ascii_lowercase),
        ("symbols " + SYMBOLS, SYMBOLS),
    ):
        canvases, pens = [], []
        for family in families:
            for pen in LETTER_PENS:
                for character in characters:
                    canvas = glyph_canvas(character, family, pen)
                    if canvas is not None:
                        canvases.append(canvas)
                        pens.append(pen)
        rows[label] = drawn.flags(canvases, pens)
    rows["random scribbles"] = drawn.flags(scribbles(rng, 1000), [PEN] * 1000)
    rows["dots and dashes"] = drawn.flags(dots_and_dashes(rng, 400), [PEN] * 400)
    non_digits = ModelRecord.of(model.metadata).non_digits
    trained_on: tuple[int, ...] = ()
    if non_digits is not None and non_digits.held_out_writers is not None:
        trained_on = tuple(w for w in range(1, 21) if w not in non_digits.held_out_writers)
    for letters in (False, True):
        folder = args.uji_letters if letters else args.uji_digits
        found = uji_flags(drawn, folder, letters, trained_on if letters else ())
        if isinstance(found, str):
            rows["UJI letters" if letters else "UJI digits"] = found
        else:
            rows.update(found)
    rows.update(doodle_flags(drawn, args.doodles))
    result = {
        "model": args.model,
        "threshold": threshold,
        "fonts": families,
        "letter_pens": list(LETTER_PENS),
        "rows": rows,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"model {args.model}: familiarity threshold {threshold:.3f}; fonts {', '.join(families)}")
    print(
        f"{'':48} {'n':>6} {'too small':>10} {'unfamiliar':>11} {'flagged':>8} "
        f"{'a digit':>8} {'sure digit':>11}"
    )
    for label, row in rows.items():
        if isinstance(row, str):
            print(f"{label:48} {row}")
        else:
            print(
                f"{label:48} {row['n']:6d} {row['too_small']:10.1%} {row['unfamiliar']:11.1%} "
                f"{row['flagged']:8.1%} {row['given_a_digit']:8.1%} "
                f"{row.get('sure_digit', float('nan')):11.1%}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
