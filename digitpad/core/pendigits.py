"""UCI pen-digits (UNIPEN text): reading the strokes, and drawing them as a user draws on the
canvas so they reach the network by the canvas's own path (``strokes.render``, ``to_mnist``).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import re
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitpad.core.data import DatasetError
from digitpad.core.preprocess import SIZE, to_mnist
from digitpad.core.strokes import CANVAS_SIZE, Stroke, render

ENV_VAR = "DIGITPAD_PENDIGITS_DIR"
FILE_NAME = "pendigits-orig.tra.gz"
# The canvas's default pen (gui/canvas.py DEFAULT_PEN_WIDTH; core cannot import gui).
PEN_WIDTH = 22.0
# People draw a digit across most of the 280 px canvas. What the network sees is the pen's
# width relative to the digit's size, since to_mnist shrinks any drawing to a 20 px box:
# 22 / 200 = 0.11 gives strokes 2 px wide in that box (the ink's box is 200 + 22 px),
# about MNIST's stroke width.
DIGIT_HEIGHT = 200.0

_SEGMENT = re.compile(r'\.SEGMENT\s+\S+\s+\S+\s+\S+\s+"([^"]*)"$')
_WHOLE_NUMBER = re.compile(r"[0-9]+")


class PenDigitsFormatError(DatasetError):
    """A pen-digits file that does not parse; the message names the file and the line."""


@dataclass(frozen=True, eq=False)
class PenDigit:
    """One written digit: its label, its writer's id, and its strokes in writing order.

    Each stroke is (n, 2) float64 (x, y) in tablet coordinates, y up, read-only. Equality
    is identity (arrays have no single truth value)."""

    label: int
    writer: int
    strokes: tuple[np.ndarray, ...]

    def __post_init__(self) -> None:
        if not 0 <= self.label <= 9:
            raise ValueError(f"a digit's label is 0-9, got {self.label!r}")
        if not self.strokes:
            raise ValueError("a digit needs at least one stroke")
        strokes = []
        for stroke in self.strokes:
            points = np.array(stroke, dtype=np.float64)
            if points.ndim != 2 or points.shape[1] != 2 or len(points) == 0:
                raise ValueError(f"a stroke is (n, 2) points with n >= 1, got {points.shape}")
            if not np.isfinite(points).all():
                raise ValueError("stroke points must be finite numbers")
            points.flags.writeable = False
            strokes.append(points)
        object.__setattr__(self, "strokes", tuple(strokes))


# -- reading -----------------------------------------------------------------------------


def default_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """$DIGITPAD_PENDIGITS_DIR as a folder, or None when it is unset or empty."""
    value = (os.environ if environ is None else environ).get(ENV_VAR)
    return Path(value) if value else None


def load(path: str | os.PathLike[str]) -> list[PenDigit]:
    """The digits of ``path``: the UNIPEN file (gzip or plain) or the folder holding
    ``pendigits-orig.tra.gz``. Raises PenDigitsFormatError for a malformed file."""
    path, raw = _read(path)
    # Latin-1 decodes any byte, so stray bytes surface as a bad line with its number.
    return parse(raw.decode("latin-1"), path)


def sha256(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of the (decompressed) pen-digits text at ``path``, as its README gives
    it: what a model file records of the pen digits it was trained on."""
    return hashlib.sha256(_read(path)[1]).hexdigest()


def _read(path: str | os.PathLike[str]) -> tuple[Path, bytes]:
    """(the file, its decompressed bytes) for a file or a folder holding ``FILE_NAME``."""
    return read_collection(path, FILE_NAME, "the UCI pen-digits file")


# The pen-writing files are a few MB of text; more is no such file (a gzip bomb).
MAX_TEXT_BYTES = 64 << 20


def read_collection(path: str | os.PathLike[str], name: str, what: str) -> tuple[Path, bytes]:
    """(the file, its text's bytes) for a pen-writing file, plain or gzipped, or for the
    folder holding ``name`` (``what`` says what that file is, in the message when it is
    missing). Decompresses at most ``MAX_TEXT_BYTES``."""
    path = Path(path)
    if path.is_dir():
        folder, path = path, path / name
        if not path.is_file():
            raise DatasetError(f"{folder}: holds no {name} ({what})")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DatasetError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    if raw[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(raw)) as stream:
                raw = stream.read(MAX_TEXT_BYTES + 1)
        except (OSError, EOFError, zlib.error) as exc:
            raise PenDigitsFormatError(f"{path}: corrupt gzip data ({exc})") from exc
    if len(raw) > MAX_TEXT_BYTES:
        raise PenDigitsFormatError(f"{path}: more than {MAX_TEXT_BYTES >> 20} MB of text")
    return path, raw


def parse(text: str, path: str | os.PathLike[str] = "<text>") -> list[PenDigit]:
    """UNIPEN text as the pen-digits files write it -> digits; ``path`` names it in errors.

    A digit is ``.SEGMENT ... "label"``, then ``.COMMENT label writer sample``, then one
    or more strokes: ``.PEN_DOWN``, lines of ``x y``, ``.PEN_UP``. Other keywords
    (``.DT``, the header's ``.LEXICON`` ...) are ignored, except inside a stroke."""
    return _Parser(Path(path)).run(text)


class _Parser:
    """One pass over the lines; a stroke's points are converted in one go at its .PEN_UP."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.digits: list[PenDigit] = []
        self.label: int | None = None  # the open digit's, None before the first .SEGMENT
        self.label_text = ""
        self.writer: int | None = None
        self.segment_line = 0
        self.strokes: list[np.ndarray] = []
        self.stroke_line = 0  # the open stroke's .PEN_DOWN line, 0 outside a stroke
        self.rows: list[list[str]] = []
        self.row_lines: list[int] = []

    def fail(self, line: int, problem: str) -> PenDigitsFormatError:
        return PenDigitsFormatError(f"{self.path}, line {line}: {problem}")

    def run(self, text: str) -> list[PenDigit]:
        number = 0
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.strip()
            if not stripped:
                continue
            if stripped[0] != ".":
                if not self.stroke_line:
                    raise self.fail(number, f"a point outside a stroke: {stripped!r}")
                row = stripped.split()
                if len(row) != 2:
                    raise self.fail(number, f"expected a point 'x y', got {stripped!r}")
                self.rows.append(row)
                self.row_lines.append(number)
                continue
            keyword = stripped.split(maxsplit=1)[0]
            if self.stroke_line and keyword != ".PEN_UP":
                raise self.fail(
                    number,
                    f"{keyword} inside the stroke begun at line {self.stroke_line} "
                    "(expected a point or .PEN_UP)",
                )
            if keyword == ".SEGMENT":
                self.end_digit()
                self.begin_digit(number, stripped)
            elif keyword == ".COMMENT" and self.label is not None:
                self.comment(number, stripped)
            elif keyword == ".PEN_DOWN":
                if self.label is None:
                    raise self.fail(number, ".PEN_DOWN before any .SEGMENT")
                if self.writer is None:
                    raise self.fail(
                        number,
                        f"the digit begun at line {self.segment_line} has no .COMMENT "
                        "naming its writer before its strokes",
                    )
                self.stroke_line = number
            elif keyword == ".PEN_UP":
                if not self.stroke_line:
                    raise self.fail(number, ".PEN_UP without a .PEN_DOWN before it")
                self.end_stroke(number)
        if self.stroke_line:
            raise self.fail(
                number, f"the file ends inside the stroke begun at line {self.stroke_line}"
            )
        self.end_digit()
        if not self.digits:
            raise PenDigitsFormatError(f"{self.path}: no digits (no .SEGMENT line)")
        return self.digits

    def begin_digit(self, number: int, line: str) -> None:
        match = _SEGMENT.match(line)
        if match is None:
            raise self.fail(number, f'expected .SEGMENT DIGIT n ? "label", got {line!r}')
        self.label_text = match.group(1)
        if not (len(self.label_text) == 1 and _WHOLE_NUMBER.fullmatch(self.label_text)):
            raise self.fail(number, f"the label {self.label_text!r} is not a digit 0-9")
        self.label = int(self.label_text)
        self.writer = None
        self.segment_line = number
        self.strokes = []

    def comment(self, number: int, line: str) -> None:
        fields = line.split()[1:]
        if len(fields) != 3 or not all(_WHOLE_NUMBER.fullmatch(field) for field in fields):
            raise self.fail(number, f"expected .COMMENT label writer sample, got {line!r}")
        if self.writer is not None:
            raise self.fail(
                number, f"a second .COMMENT in the digit begun at line {self.segment_line}"
            )
        if fields[0] != self.label_text:
            raise self.fail(
                number,
                f"the .COMMENT's label {fields[0]} differs from the .SEGMENT's "
                f"{self.label_text} (line {self.segment_line})",
            )
        self.writer = int(fields[1])

    def end_stroke(self, number: int) -> None:
        if not self.rows:
            raise self.fail(number, f"the stroke begun at line {self.stroke_line} has no points")
        try:
            points = np.array(self.rows, dtype=np.float64)
        except ValueError:  # some text is not a number: the loop below finds which line
            points = np.full((len(self.rows), 2), np.nan)
        if not np.isfinite(points).all():
            for row, line in zip(self.rows, self.row_lines, strict=True):
                if not _numeric(row):
                    raise self.fail(line, f"the point {' '.join(row)!r} is not two finite numbers")
            points = np.array([[float(value) for value in row] for row in self.rows])
        self.strokes.append(points)
        self.stroke_line = 0
        self.rows, self.row_lines = [], []

    def end_digit(self) -> None:
        if self.label is None:
            return
        if not self.strokes:
            raise self.fail(
                self.segment_line, f"the digit {self.label_text!r} begun here has no strokes"
            )
        assert self.writer is not None  # a .PEN_DOWN without a writer fails before this
        self.digits.append(PenDigit(self.label, self.writer, tuple(self.strokes)))
        self.label = None


def _numeric(row: list[str]) -> bool:
    try:
        return all(np.isfinite(float(value)) for value in row)
    except ValueError:
        return False


# -- drawing -----------------------------------------------------------------------------


def to_canvas(
    digit: PenDigit, pen_width: float = PEN_WIDTH, height: float = DIGIT_HEIGHT
) -> list[Stroke]:
    """The digit as a user would draw it on the 280x280 canvas (y down, one pen width).

    Scaled keeping its aspect ratio so the pen path's bounding box is ``height`` canvas
    pixels tall (that wide if wider than tall; the ink reaches half a pen further), and
    centred on the canvas. A digit that is a single dot stays at tablet scale."""
    if not (np.isfinite(height) and height > 0):
        raise ValueError(f"digit height must be a positive number, got {height!r}")
    points = np.concatenate(digit.strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    extent = float((high - low).max())
    scale = height / extent if extent > 0 else 1.0
    # The tablet's y grows upwards, the canvas's downwards.
    flip = np.array([scale, -scale])
    centre = (low + high) / 2
    return [
        Stroke((stroke - centre) * flip + CANVAS_SIZE / 2, pen_width) for stroke in digit.strokes
    ]


def render_inputs(
    digits: Sequence[PenDigit],
    pen_width: float = PEN_WIDTH,
    height: float = DIGIT_HEIGHT,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """(N, 28, 28) float32: each digit drawn on the canvas (``to_canvas``), rasterised at
    full canvas size and turned into the network's input as the canvas's pixels are.

    Drawing thousands takes seconds: ``progress(done, total)`` after each digit (an
    exception it raises, such as a cancel, stops the drawing)."""
    inputs = np.empty((len(digits), SIZE, SIZE), np.float32)
    for index, digit in enumerate(digits):
        image = to_mnist(render(to_canvas(digit, pen_width, height)))
        if image is None:
            raise ValueError(f"digit {index} renders to an empty canvas (pen {pen_width})")
        inputs[index] = image
        if progress is not None:
            progress(index + 1, len(digits))
    return inputs


def labels(digits: Sequence[PenDigit]) -> np.ndarray:
    """(N,) int64: each digit's label."""
    return np.array([digit.label for digit in digits], dtype=np.int64)


def writers(digits: Sequence[PenDigit]) -> np.ndarray:
    """(N,) int64: each digit's writer id."""
    return np.array([digit.writer for digit in digits], dtype=np.int64)


def split_by_writer(
    digits: Sequence[PenDigit], held_out: Iterable[int]
) -> tuple[list[PenDigit], list[PenDigit]]:
    """(the other writers' digits, the held-out writers' digits), each in file order.

    Whole writers are held out: a writer's digits resemble each other, so a random split
    would validate on the training set's handwriting. A writer absent from ``digits`` is
    an error (a typo would otherwise hold out nobody)."""
    held = {int(writer) for writer in held_out}
    missing = held - {digit.writer for digit in digits}
    if missing:
        raise ValueError(f"no digits by writer(s) {sorted(missing)}")
    kept = [digit for digit in digits if digit.writer not in held]
    return kept, [digit for digit in digits if digit.writer in held]


def parse_writers(text: str) -> set[int]:
    """'25-30' or '1,3,5-7' -> the writer ids; DatasetError naming the bad part."""
    chosen: set[int] = set()
    for part in text.split(","):
        low, _, high = part.strip().partition("-")
        try:
            first, last = int(low), int(high or low)
        except ValueError:
            raise DatasetError(
                f"writers {text!r}: {part.strip()!r} is not a number or a range"
            ) from None
        if first < 1 or last < first:
            raise DatasetError(f"writers {text!r}: {part.strip()!r} is not a range of ids >= 1")
        chosen.update(range(first, last + 1))
    return chosen


def by_writer(digits: Sequence[PenDigit], predicted: np.ndarray) -> dict[int, tuple[float, int]]:
    """Each writer's (accuracy, digit count), for predictions made in ``digits``' order."""
    truth, who = labels(digits), writers(digits)
    return {
        int(writer): (
            float((predicted[who == writer] == truth[who == writer]).mean()),
            int((who == writer).sum()),
        )
        for writer in np.unique(who)
    }


def most_confused(confusion: list[list[int]], count: int = 5) -> list[tuple[int, int, int]]:
    """(true digit, read as, how often) for the largest off-diagonal cells."""
    cells = [
        (true, read, n)
        for true, row in enumerate(confusion)
        for read, n in enumerate(row)
        if true != read and n
    ]
    return sorted(cells, key=lambda cell: -cell[2])[:count]


@dataclass(frozen=True)
class StrokeAugment:
    """How much each pen digit varies each time it is drawn for training: as people vary
    on the canvas. Widths are the canvas pen's (gui/canvas.py allows 4-60 px; the thick
    end is left out, where a digit drawn 140 px tall closes its loops)."""

    pen_width: tuple[float, float] = (8.0, 40.0)
    height: tuple[float, float] = (140.0, 220.0)  # with shift and turn, inside the canvas
    shift: float = 20.0  # canvas pixels, each way
    slant: float = 0.3  # x moves by slant * y (either way)
    rotation: float = 12.0  # degrees, either way
    jitter: float = 1.0  # canvas pixels, per point
    drop: float = 0.3  # the largest share of inner points left out (a faster stroke)


def augmented_canvas(
    digit: PenDigit, rng: np.random.Generator, augment: StrokeAugment = StrokeAugment()
) -> list[Stroke]:
    """The digit drawn once more, differently: another pen, size, place, slant, rotation,
    a little shake, and strokes drawn faster (fewer points)."""
    width = float(np.exp(rng.uniform(*np.log(augment.pen_width))))
    base = to_canvas(digit, width, float(rng.uniform(*augment.height)))
    angle = np.radians(rng.uniform(-augment.rotation, augment.rotation))
    slant = rng.uniform(-augment.slant, augment.slant)
    cos, sin = np.cos(angle), np.sin(angle)
    transform = np.array([[cos, -sin], [sin, cos]]) @ np.array([[1.0, slant], [0.0, 1.0]])
    centre = CANVAS_SIZE / 2 + rng.uniform(-augment.shift, augment.shift, 2)
    drop = rng.uniform(0, augment.drop)
    paths = []
    for stroke in base:
        points = stroke.points
        if len(points) > 2:  # keep the ends, leave out some inner points
            keep = np.concatenate([[True], rng.random(len(points) - 2) >= drop, [True]])
            points = points[keep]
        points = (points - CANVAS_SIZE / 2) @ transform.T + centre
        paths.append(points + rng.normal(0, augment.jitter, points.shape))
    # Turned and slanted, a wide digit may reach past an edge: moved back, as a person
    # draws inside the canvas.
    ink = np.concatenate(paths)
    low, high = ink.min(axis=0) - width / 2, ink.max(axis=0) + width / 2
    move = np.maximum(0.0, -low) - np.maximum(0.0, high - CANVAS_SIZE)
    return [Stroke(points + move, width) for points in paths]


def augmented_inputs(
    digits: Sequence[PenDigit],
    rng: np.random.Generator,
    augment: StrokeAugment = StrokeAugment(),
) -> np.ndarray:
    """(N, 28, 28) float32: each digit drawn afresh (``augmented_canvas``) and turned into
    the network's input as the canvas's pixels are; a new set every call."""
    inputs = np.empty((len(digits), SIZE, SIZE), np.float32)
    for index, digit in enumerate(digits):
        image = to_mnist(render(augmented_canvas(digit, rng, augment)))
        inputs[index] = image if image is not None else 0.0
    return inputs
