"""Doodles that are not digits, drawn on the canvas the way people draw them."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.core import doodles
from digitpad.core.strokes import CANVAS_SIZE, render


@pytest.mark.parametrize("kind", list(doodles.KINDS))
def test_every_kind_draws_inside_the_canvas_the_same_for_a_seed(kind):
    first = doodles.doodle(kind, 7)
    again = doodles.doodle(kind, 7)
    other = doodles.doodle(kind, 8)
    assert [s.points.tolist() for s in first] == [s.points.tolist() for s in again]
    assert [s.points.tolist() for s in first] != [s.points.tolist() for s in other]
    for stroke in first:
        low = stroke.points.min() - stroke.width / 2
        high = stroke.points.max() + stroke.width / 2
        assert low >= -1e-6 and high <= CANVAS_SIZE + 1e-6
    ink = render(first) > 0.1
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    # as big as a digit is drawn: at least 100 px one way
    assert max(rows[-1] - rows[0], cols[-1] - cols[0]) >= 100


def test_inputs_are_the_networks_28x28_and_never_empty():
    kinds = list(doodles.KINDS) * 2
    inputs = doodles.render_inputs(kinds, range(len(kinds)))
    assert inputs.shape == (len(kinds), 28, 28) and inputs.dtype == np.float32
    assert (inputs.reshape(len(kinds), -1).max(axis=1) > 0.5).all()


def test_an_unknown_kind_is_refused_naming_the_kinds():
    with pytest.raises(ValueError, match="no doodle kind 'cat'; the kinds are face, house"):
        doodles.doodle("cat", 1)
