"""UJI Pen Characters (UJIpenchars2) text: digits and letters written with a stylus, read
into the strokes the pen-digits code draws as the canvas draws (``pendigits.to_canvas``).

Another collection than the UCI pen digits: 20 other writers, another tablet, another
protocol. Its writers are numbered 1-20 as the database numbers them; they are not the UCI
collection's writers of the same numbers.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitpad.core.pendigits import PenDigit, PenDigitsFormatError, read_collection

LETTERS_ENV_VAR = "DIGITPAD_UJI_LETTERS_DIR"
DIGITS_FILE = "uji-digits-W01-W20.txt.gz"
LETTERS_FILE = "uji-letters-W01-W20.txt.gz"
# Letters that a digit reader may fairly read as a digit (O/o/D like 0, I/l like 1, S/s
# like 5, Z/z like 2, b/G like 6, q/g like 9, B like 8, T like 7): reported apart.
DIGIT_LIKE_LETTERS = frozenset("OoIlSsZzbqgBGDT")

_WORD = re.compile(r"WORD (\S) (?:trn|tst)_(?:UJI|UPV)_W(\d{2})-(\d{2})$")
_NUMSTROKES = re.compile(r"NUMSTROKES (\d{1,3})$")
_POINTS = re.compile(r"POINTS (\d{1,6}) #((?: -?\d{1,7})*)$")


@dataclass(frozen=True, eq=False)
class PenLetter:
    """One written letter: the letter, its writer (1-20) and its strokes in writing order,
    each (n, 2) float64 with y up, as ``PenDigit``'s are, so the same drawing code takes it."""

    char: str
    writer: int
    strokes: tuple[np.ndarray, ...]

    @property
    def digit_like(self) -> bool:
        return self.char in DIGIT_LIKE_LETTERS


@dataclass(frozen=True)
class _Record:
    char: str
    writer: int
    strokes: tuple[np.ndarray, ...]


def letters_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """The letters' folder the environment names (``LETTERS_ENV_VAR``), if any."""
    value = (os.environ if environ is None else environ).get(LETTERS_ENV_VAR)
    return Path(value) if value else None


def load_digits(path: str | os.PathLike[str]) -> list[PenDigit]:
    """The digits of a UJI digits file, or of the folder holding ``DIGITS_FILE``."""
    file, records = _records(path, DIGITS_FILE)
    digits = []
    for record, line in records:
        if not record.char.isdigit():
            raise PenDigitsFormatError(f"{file}, line {line}: {record.char!r} is not a digit")
        digits.append(PenDigit(int(record.char), record.writer, record.strokes))
    return digits


def load_letters(path: str | os.PathLike[str]) -> list[PenLetter]:
    """The letters of a UJI letters file, or of the folder holding ``LETTERS_FILE``."""
    file, records = _records(path, LETTERS_FILE)
    letters = []
    for record, line in records:
        if not record.char.isascii() or not record.char.isalpha():
            raise PenDigitsFormatError(f"{file}, line {line}: {record.char!r} is not a letter")
        letters.append(PenLetter(record.char, record.writer, record.strokes))
    return letters


def sha256(path: str | os.PathLike[str], name: str = LETTERS_FILE) -> str:
    """The SHA-256 of the (decompressed) text of a UJI file, or of the folder's ``name``:
    what a model file records of the letters it learned from."""
    return hashlib.sha256(read_collection(path, name, "UJI Pen Characters")[1]).hexdigest()


def holds_digits(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a UJI digits file or a folder holding one."""
    path = Path(path)
    return (path / DIGITS_FILE).is_file() if path.is_dir() else path.name == DIGITS_FILE


def _records(path: str | os.PathLike[str], name: str) -> tuple[Path, list[tuple[_Record, int]]]:
    """The file (or the folder's ``name``) and every record with the line of its WORD;
    PenDigitsFormatError naming file and line."""
    file, raw = read_collection(path, name, "UJI Pen Characters")
    return file, _Parser(file).run(raw.decode("latin-1"))


class _Parser:
    """WORD, then NUMSTROKES n, then n POINTS lines; comments (//) and blank lines between."""

    def __init__(self, file: Path) -> None:
        self.file = file

    def fail(self, line: int, problem: str) -> PenDigitsFormatError:
        return PenDigitsFormatError(f"{self.file}, line {line}: {problem}")

    def run(self, text: str) -> list[tuple[_Record, int]]:
        records: list[tuple[_Record, int]] = []
        word: tuple[str, int, int] | None = None  # char, writer, the WORD's line
        expected = 0
        strokes: list[np.ndarray] = []
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.strip()
            if not stripped or stripped.startswith("//"):
                continue
            if stripped.startswith("WORD"):
                if word is not None:
                    raise self.fail(number, f"the record of line {word[2]} has too few strokes")
                match = _WORD.match(stripped)
                if match is None:
                    raise self.fail(number, f"expected WORD c set_Wnn-rr, got {stripped[:60]!r}")
                writer = int(match.group(2))
                if not 1 <= writer <= 99:
                    raise self.fail(number, f"writer {writer} is not 1-99")
                word, expected, strokes = (match.group(1), writer, number), -1, []
            elif stripped.startswith("NUMSTROKES"):
                match = _NUMSTROKES.match(stripped)
                if word is None or expected != -1:
                    raise self.fail(number, "NUMSTROKES outside a record's start")
                if match is None or int(match.group(1)) < 1:
                    raise self.fail(number, f"expected NUMSTROKES n >= 1, got {stripped[:60]!r}")
                expected = int(match.group(1))
            elif stripped.startswith("POINTS"):
                if word is None or expected < 1:
                    raise self.fail(number, "POINTS outside a record")
                strokes.append(self.points(number, stripped))
                if len(strokes) == expected:
                    records.append((_Record(word[0], word[1], tuple(strokes)), word[2]))
                    word = None
            else:
                raise self.fail(number, f"unexpected line {stripped[:60]!r}")
        if word is not None:
            raise self.fail(word[2], "the file ends inside the record begun here")
        if not records:
            raise PenDigitsFormatError(f"{self.file}: no records (no WORD line)")
        return records

    def points(self, number: int, line: str) -> np.ndarray:
        match = _POINTS.match(line)
        if match is None:
            raise self.fail(number, f"expected POINTS n # x y ..., got {line[:60]!r}")
        values = np.array(match.group(2).split(), dtype=np.float64)
        # The declared count is not trusted: the source has a stroke that declares 64
        # points and holds 63. An odd number of values is no list of points.
        if len(values) < 2 or len(values) % 2:
            raise self.fail(number, f"{len(values)} numbers are no list of (x, y) points")
        points = values.reshape(-1, 2)
        keep = np.concatenate([[True], (np.diff(points, axis=0) != 0).any(axis=1)])
        points = points[keep]  # the stylus repeats points: consecutive duplicates go
        points[:, 1] *= -1  # y grows downwards here, upwards in PenDigit's strokes
        return points
