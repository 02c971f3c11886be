"""UJI Pen Characters: digits and letters read into strokes the canvas's code draws."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from digitpad.core import pendigits, uji
from digitpad.core.pendigits import PenDigitsFormatError

RECORDS = """//
// UJI: 100 units per millimetre
//
// ASCII char: 7
WORD 7 trn_UJI_W05-01
  NUMSTROKES 2
  POINTS 4 # 100 100 100 100 200 100 150 300
  POINTS 2 # 120 200 180 200
WORD 1 tst_UPV_W18-02
  NUMSTROKES 1
  POINTS 3 # 10 0 10 50 10 90
"""


def write(tmp_path, text: str, name: str = uji.DIGITS_FILE, zipped: bool = True):
    path = tmp_path / name
    data = text.encode()
    path.write_bytes(gzip.compress(data) if zipped else data)
    return path


def test_records_read_as_pen_digits_with_y_up_and_repeats_dropped(tmp_path):
    seven, one = uji.load_digits(write(tmp_path, RECORDS))
    assert (seven.label, seven.writer, len(seven.strokes)) == (7, 5, 2)
    assert seven.strokes[0].tolist() == [[100, -100], [200, -100], [150, -300]]
    assert (one.label, one.writer) == (1, 18)
    assert uji.holds_digits(tmp_path) and not uji.holds_digits(tmp_path / "x")
    # drawn as the canvas draws: a 7 whose bar is on top
    canvas = pendigits.to_canvas(seven)
    assert canvas[0].points[0][1] < canvas[0].points[-1][1]


@pytest.mark.parametrize(
    "text, problem",
    [
        ("WORD 7 trn_UJI_W05-01\n  NUMSTROKES 2\n  POINTS 1 # 1 2\n", "line 1: the file ends"),
        ("WORD 7 trn_UJI_W05-01\n  NUMSTROKES 1\n  POINTS 2 # 1 2 3\n", "line 3: 3 numbers"),
        ("WORD 77 trn_UJI_W05-01\n", "line 1: expected WORD"),
        ("  POINTS 1 # 1 2\n", "line 1: POINTS outside a record"),
        ("WORD 7 trn_UJI_W05-01\n  NUMSTROKES 0\n", "line 2: expected NUMSTROKES n >= 1"),
        ("WORD 7 trn_UJI_W05-01\nWORD 7 trn_UJI_W05-02\n", "line 2: the record of line 1"),
        ("WORD a trn_UJI_W05-01\n  NUMSTROKES 1\n  POINTS 1 # 1 2\n", "'a' is not a digit"),
        ("hello\n", "line 1: unexpected line"),
        ("// nothing\n", "no records"),
    ],
)
def test_a_malformed_file_is_refused_naming_its_line(tmp_path, text, problem):
    path = write(tmp_path, text, zipped=False)
    with pytest.raises(PenDigitsFormatError, match=problem) as caught:
        uji.load_digits(path)
    assert str(path) in str(caught.value)


def test_a_huge_or_corrupt_file_is_refused_before_it_is_read_whole(tmp_path):
    bomb = tmp_path / "bomb.gz"
    with gzip.open(bomb, "wb") as out:
        out.write(b"/" * (pendigits.MAX_TEXT_BYTES + 10))
    with pytest.raises(PenDigitsFormatError, match="more than 64 MB"):
        uji.load_digits(bomb)
    (tmp_path / "bad.gz").write_bytes(b"\x1f\x8b" + b"junk" * 10)
    with pytest.raises(PenDigitsFormatError, match="corrupt gzip"):
        uji.load_digits(tmp_path / "bad.gz")
    with pytest.raises(Exception, match="holds no uji-letters"):
        uji.load_letters(tmp_path)


def test_the_shared_collections_read_whole(uji_digits_dir, uji_letters_dir):
    digits = uji.load_digits(uji_digits_dir)
    assert len(digits) == 400 and set(pendigits.writers(digits)) == set(range(1, 21))
    assert np.bincount(pendigits.labels(digits)).tolist() == [40] * 10
    letters = uji.load_letters(uji_letters_dir)
    assert len(letters) == 2080 and {letter.writer for letter in letters} == set(range(1, 21))
    assert sum(letter.digit_like for letter in letters) == 15 * 40
    images = pendigits.render_inputs(letters[:5])
    assert images.shape == (5, 28, 28) and images.max() > 0.5
