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
