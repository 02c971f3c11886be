"""The canvas on its own: strokes from real mouse events, undo/redo/clear, resize."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from digitpad.core.preprocess import to_mnist
from digitpad.gui.canvas import DrawingCanvas

from .conftest import draw_stroke, line


@pytest.fixture
def canvas(qtbot):
    widget = DrawingCanvas()
    qtbot.addWidget(widget)
    widget.resize(400, 400)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_starts_empty(canvas):
    assert canvas.is_empty()
    assert to_mnist(canvas.pixels()) is None
    assert not canvas.can_undo() and not canvas.can_redo()


def test_vertical_stroke_becomes_a_centred_bar(canvas, qtbot):
    with qtbot.waitSignal(canvas.stroke_finished):
        draw_stroke(canvas, line((140, 40), (140, 240)))
    pixels = canvas.pixels()
    assert pixels.shape == (280, 280)
    ink_cols = np.flatnonzero(pixels.max(axis=0) > 0.5)
    assert ink_cols.min() >= 125 and ink_cols.max() <= 155  # about the pen width
    digit = to_mnist(pixels)
    rows = np.flatnonzero(digit.max(axis=1) > 0.1)
    cols = np.flatnonzero(digit.max(axis=0) > 0.1)
    assert rows.max() - rows.min() + 1 == 20  # fitted to the 20-pixel box
    assert 2 <= cols.max() - cols.min() + 1 <= 4  # a stroke about MNIST's width
    assert abs(cols.mean() - 14) <= 1


def test_undo_redo_clear(canvas):
    draw_stroke(canvas, line((60, 60), (200, 60)))
    first = canvas.pixels()
    draw_stroke(canvas, line((60, 200), (200, 200)))
    both = canvas.pixels()
    assert both.sum() > first.sum()
    canvas.undo()
    np.testing.assert_array_equal(canvas.pixels(), first)
    canvas.redo()
    np.testing.assert_array_equal(canvas.pixels(), both)
    canvas.clear()
    assert canvas.is_empty()
    canvas.undo()  # clearing is undoable too
    np.testing.assert_array_equal(canvas.pixels(), both)
    canvas.undo()
    canvas.undo()
    assert canvas.is_empty() and not canvas.can_undo()
    draw_stroke(canvas, line((100, 100), (120, 120)))
    assert not canvas.can_redo()  # a new stroke drops the redo history


def test_eraser_and_right_button_erase(canvas):
    draw_stroke(canvas, line((40, 140), (240, 140)))
    before = canvas.pixels().sum()
    draw_stroke(canvas, line((140, 100), (140, 180)), button=Qt.MouseButton.RightButton)
    after_right = canvas.pixels().sum()
    assert after_right < before
    canvas.eraser = True
    draw_stroke(canvas, line((60, 100), (60, 180)))
    assert canvas.pixels().sum() < after_right


def test_resizing_keeps_the_drawing(canvas, qtbot):
    draw_stroke(canvas, line((50, 50), (230, 230)))
    before = canvas.pixels()
    canvas.resize(250, 600)
    qtbot.wait(10)
    np.testing.assert_array_equal(canvas.pixels(), before)
    # Drawing still maps to the same canvas pixels at the new size.
    draw_stroke(canvas, line((50, 230), (230, 50)))
    assert canvas.pixels()[140, 140] > 0.9
    assert canvas.pixels()[50, 230] > 0.5


def test_pen_width_is_clamped(canvas):
    canvas.set_pen_width(1000)
    assert canvas.pen_width == 60
    canvas.set_pen_width(0)
    assert canvas.pen_width == 4
