"""The answer under the canvas: the first-start hint, from a real stroke."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from .conftest import draw_stroke, open_window, stop_work
from .handwriting import DIGITS

HINT = "Draw a digit with the mouse or a pen in the black square. F2 explains each panel."


def test_the_first_start_says_what_to_do_until_the_first_drawing(
    qtbot, settings, dialogs, library_folder
):
    assert not settings.allKeys()  # the very first start: nothing remembered yet
    window = open_window(qtbot, settings, library_folder)
    assert "Draw a digit" in window.prediction.text() and HINT in window.prediction.text()
    for stroke in DIGITS[7]:
        draw_stroke(window.canvas, stroke)
    window.canvas_feed.update_now()
    assert HINT not in window.prediction.text()
    QTest.keyClick(window.canvas, Qt.Key.Key_Escape)  # cleared: "Draw a digit", no hint
    window.canvas_feed.update_now()
    assert "Draw a digit" in window.prediction.text() and HINT not in window.prediction.text()
    stop_work(window)
    window.close()
    again = open_window(qtbot, settings, library_folder)
    assert "Draw a digit" in again.prediction.text() and HINT not in again.prediction.text()


def test_the_hint_is_remembered_gone_even_if_the_window_never_closed(
    qtbot, settings, dialogs, library_folder
):
    window = open_window(qtbot, settings, library_folder)
    draw_stroke(window.canvas, DIGITS[1][0])
    window.canvas_feed.update_now()
    # Not the window's closing (which saves its geometry): the drawing itself is remembered.
    again = open_window(qtbot, settings, library_folder)
    assert HINT not in again.prediction.text()


def test_the_hint_waits_for_the_first_drawing_over_several_starts(
    qtbot, settings, dialogs, library_folder
):
    window = open_window(qtbot, settings, library_folder)
    stop_work(window)
    window.close()  # closed without drawing: the next start still says what to do
    again = open_window(qtbot, settings, library_folder)
    assert HINT in again.prediction.text()


def test_settings_from_before_the_hint_mean_a_user_who_has_drawn(
    qtbot, settings, dialogs, library_folder
):
    settings.setValue("canvas/pen_width", "20")  # an earlier version's run left this
    window = open_window(qtbot, settings, library_folder)
    assert "Draw a digit" in window.prediction.text() and HINT not in window.prediction.text()


def test_an_answer_reads_as_what_it_is_with_its_share_and_a_gauge(
    qtbot, settings, dialogs, library_folder
):
    """A 7 "looks most like a 7", its percentage named a share; the gauge beside it says
    how digit-like the drawing is, and is empty again when the canvas is cleared."""
    window = open_window(qtbot, settings, library_folder)
    gauge = window.drawing.gauge
    assert gauge.isVisible() and gauge.value is None and "draw something" in gauge.text
    for stroke in DIGITS[7]:
        draw_stroke(window.canvas, stroke)
    window.canvas_feed.update_now()
    text = window.prediction.text()
    assert "looks most like" in text and ">7<" in text and "a share of the 100 %" in text
    assert "sure" not in text
    viewer = window.viewer
    assert gauge.value is not None and gauge.value >= gauge.threshold
    assert gauge.accessibleDescription() == gauge.text == f"how digit-like: {gauge.value:.0%}"
    if viewer.knows_non_digits:
        assert gauge.value == viewer.digit_share
    QTest.keyClick(window.canvas, Qt.Key.Key_Escape)
    window.canvas_feed.update_now()
    assert gauge.value is None


def test_the_gauge_of_a_network_without_a_not_a_digit_output_is_its_familiarity(
    qtbot, settings, dialogs, library_folder
):
    import math

    window = open_window(qtbot, settings, library_folder, model="classic")
    for stroke in DIGITS[7]:
        draw_stroke(window.canvas, stroke)
    window.canvas_feed.update_now()
    viewer, gauge = window.viewer, window.drawing.gauge
    assert not viewer.knows_non_digits and gauge.threshold == 0.5
    expected = 1 / (1 + math.exp(viewer.familiarity_threshold - viewer.familiarity))
    assert abs(gauge.value - expected) < 1e-9
    assert (gauge.value < 0.5) == viewer.unfamiliar
