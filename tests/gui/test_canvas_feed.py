"""The canvas written into the viewer model: coalesced while drawing, caught up on demand,
and a digit that already is an input read as that input until it is drawn on."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from digitpad.core.preprocess import fit_to_canvas

from .conftest import canvas_point, draw_stroke, line


def count_updates(window) -> list[int]:
    updates: list[int] = []
    window.canvas_feed.prediction_updated.connect(lambda digit, p: updates.append(1))
    return updates


def test_moves_within_a_frame_make_one_update(window, qtbot):
    canvas, updates = window.canvas, count_updates(window)
    QTest.mousePress(
        canvas,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        canvas_point(canvas, 140, 40),
    )
    for y in range(45, 200, 5):  # no event loop between them: none can update yet
        QTest.mouseMove(canvas, canvas_point(canvas, 140, y))
    assert updates == []
    qtbot.waitUntil(lambda: updates == [1], timeout=2000)
    qtbot.wait(50)  # several frames: nothing more was pending
    assert updates == [1]
    QTest.mouseRelease(
        canvas,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        canvas_point(canvas, 140, 200),
    )


def test_catch_up_runs_the_pending_update_at_once(window):
    updates = count_updates(window)
    window.canvas_feed.catch_up()  # nothing pending: nothing to do
    assert updates == []
    draw_stroke(window.canvas, line((140, 40), (140, 240)))
    window.canvas_feed.catch_up()
    assert updates == [1] and window.viewer.verdict.digit == 1


def test_an_exact_input_is_read_until_drawn_on(window, mnist_test):
    digit = mnist_test.as_float()[0]  # a 7
    window.canvas_feed.show_exact(fit_to_canvas(digit), digit)
    np.testing.assert_array_equal(window.viewer.input, digit)
    draw_stroke(window.canvas, line((20, 20), (60, 20)))
    window.canvas_feed.update_now()
    assert not np.array_equal(window.viewer.input, digit)
    window.actions["undo"].trigger()  # the same pixels again, read as a drawing now
    window.canvas_feed.update_now()
    assert window.viewer.input is not None and not np.array_equal(window.viewer.input, digit)


def test_a_digit_put_on_the_canvas_is_read_once(window, qtbot, mnist_test):
    """Placing it changes the canvas, which schedules an update; the update made at once
    answers it, so none follows a frame later."""
    updates = []
    window.prediction_updated.connect(lambda digit, p: updates.append(digit))
    window._on_model_menu_open_input(mnist_test.as_float()[0])  # as Evaluate's Open does
    qtbot.wait(50)  # several frames
    assert updates == [7]
