"""The bundled default in the window, with what is not a digit: a smiley and a house no
training run drew are called "Not a digit" in the big type; a digit still reads."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from .conftest import draw_stroke, open_window
from .handwriting import DIGITS


def draw_strokes(window, strokes):
    """Each stroke with its own pen, through real mouse events on the canvas."""
    for stroke in strokes:
        window.canvas.pen_width = stroke.width
        draw_stroke(window.canvas, [tuple(point) for point in stroke.points])
    window.canvas_feed.update_now()


def test_a_doodle_drawn_on_the_canvas_is_called_not_a_digit_and_a_digit_still_reads(
    qtbot, settings, dialogs, library_folder
):
    from digitpad.core import doodles
    from digitpad.core.outliers import HELD_OUT_SEED

    window = open_window(qtbot, settings, library_folder)
    viewer = window.viewer
    assert viewer.knows_non_digits
    # A smiley and a house of seeds no training run drew from.
    for kind in ("face", "house"):
        draw_strokes(window, doodles.doodle(kind, HELD_OUT_SEED + 1))
        text = window.prediction.text()
        assert viewer.unfamiliar and "Not a digit" in text, kind
        assert "if it were one, most like" in text and "looks&nbsp;most" not in text
        gauge = window.drawing.gauge
        assert gauge.value < gauge.threshold
        # No orange 100 % bar beside "Not a digit": the shares are "if it were one".
        chart = window.network_view.probabilities
        assert all(brush is chart._normal for brush in chart.bars.opts["brushes"])
        assert chart.getPlotItem().titleLabel.text.startswith("Not a digit")
        QTest.keyClick(window.canvas, Qt.Key.Key_Escape)
    for stroke in DIGITS[7]:
        draw_stroke(window.canvas, stroke)
    window.canvas_feed.update_now()
    assert not viewer.unfamiliar and viewer.verdict.digit == 7
    assert "looks&nbsp;most&nbsp;like" in window.prediction.text()
    assert window.drawing.gauge.value >= window.drawing.gauge.threshold
    chart = window.network_view.probabilities
    assert chart.bars.opts["brushes"][7] is chart._winner
    assert not chart.getPlotItem().titleLabel.text.startswith("Not a digit")
