"""The stroke rasteriser: round pens, anti-aliased edges, erasing, bad input refused."""

from __future__ import annotations

import math

import numpy as np
import pytest

from digitpad.core.strokes import Stroke, render


def test_a_horizontal_stroke_is_a_band_of_the_pen_width_with_round_ends():
    image = render([Stroke(np.array([[60.0, 140.25], [220.0, 140.25]]), 20.0)])
    column = image[:, 140]
    assert column[131:149].min() == 1.0 and column[:128].max() == 0 and column[153:].max() == 0
    assert column.sum() == pytest.approx(20.0, abs=0.01)  # anti-aliased edges add up
    assert 0 < column[130] < 1 and 0 < column[150] < 1  # soft, not jagged
    # Round caps: past each end the ink is a half disc, not a square.
    assert image[140, 225] == 1.0 and image[131, 228] == 0.0


def test_a_single_point_is_a_disc():
    image = render([Stroke(np.array([[100.0, 100.0]]), 30.0)])
    assert image.sum() == pytest.approx(math.pi * 15**2, rel=0.02)


def test_joins_are_round_and_strokes_never_brighter_than_one():
    points = np.array([[50.0, 50.0], [150.0, 150.0], [250.0, 50.0]])
    image = render([Stroke(points, 24.0), Stroke(points[::-1], 24.0)])
    assert image.max() == 1.0 and image.min() == 0.0
    assert image[158, 150] == 1.0  # the outer side of the join is filled, round
    assert image[163, 150] == 0.0


def test_an_eraser_takes_ink_away():
    ink = Stroke(np.array([[40.0, 140.0], [240.0, 140.0]]), 20.0)
    eraser = Stroke(np.array([[140.0, 100.0], [140.0, 180.0]]), 40.0, erase=True)
    image = render([ink, eraser])
    assert image[140, 140] == 0.0 and image[140, 60] == 1.0


def test_points_off_the_canvas_are_clipped():
    image = render([Stroke(np.array([[-50.0, -50.0], [400.0, 400.0]]), 10.0)])
    assert image.shape == (280, 280) and image[140, 140] == 1.0


@pytest.mark.parametrize(
    "points,width,message",
    [
        (np.zeros((0, 2)), 10.0, "at least one point"),
        (np.array([[np.nan, 1.0]]), 10.0, "finite"),
        (np.array([[1.0, 1.0]]), 0.0, "positive"),
        (np.array([[1.0, 1.0]]), float("inf"), "positive"),
    ],
)
def test_bad_strokes_are_refused(points, width, message):
    with pytest.raises(ValueError, match=message):
        Stroke(points, width)
