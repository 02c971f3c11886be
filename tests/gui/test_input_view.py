"""The input stage: the 28x28 input large, its values on hover, the steps that made it and
where a clicked pixel goes in the first layer."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from digitpad.core.preprocess import mnist_steps
from digitpad.core.stages import readers_of_pixel

from .test_detail_view import click_map
from .test_end_view import click_stage
from .test_views import draw_seven


def settle(qtbot):
    for _ in range(3):
        QApplication.processEvents()
        qtbot.wait(20)


def pixel_point(view, row: int, col: int):
    """The widget position of input pixel (row, col)'s centre in the big picture."""
    scene = view.view.mapViewToScene(QPointF(col + 0.5, row + 0.5))
    return view.picture.mapFromScene(scene)


def point_at_pixel(view, row: int, col: int) -> None:
    QTest.mouseMove(view.picture.viewport(), pixel_point(view, row, col))
    QTest.qWait(20)  # pyqtgraph hears of moves at most every few milliseconds


def click_pixel(view, row: int, col: int) -> None:
    QTest.mouseClick(
        view.picture.viewport(), Qt.MouseButton.LeftButton, pos=pixel_point(view, row, col)
    )


def test_the_input_stage_shows_the_input_view_not_the_last_conv_layer(window, qtbot):
    draw_seven(window, qtbot)
    view = window.network_view
    click_stage(window, qtbot, "conv2 + relu")
    assert view.pages.currentWidget() is not view.input_view
    click_stage(window, qtbot, "input")
    assert view.pages.currentWidget() is view.input_view and view.input_view.isVisible()
    assert view.layer_selector.currentIndex() == 1  # the blocks are left as they were
    np.testing.assert_array_equal(view.input_view.image.image, window.viewer.input)
    click_stage(window, qtbot, "maxpool1")
    assert view.pages.currentWidget() is not view.input_view
    # The small input above the panels is a way in too.
    small = view.network_input
    centre = small.mapFromScene(small.view.mapViewToScene(QPointF(14, 14)))
    QTest.mouseClick(small.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    assert window.viewer.selected_layer == -1 and view.input_view.isVisible()
    assert window.layer_strip.buttons[0].isChecked()


@pytest.mark.parametrize("presenting, least", [(False, 5), (True, 8)])
def test_the_input_is_large_at_1280x720(window, qtbot, presenting, least):
    window.resize(1280, 720)
    window.presentation.set_presenting(presenting)
    draw_seven(window, qtbot)
    click_stage(window, qtbot, "input")
    settle(qtbot)
    view = window.network_view.input_view
    assert view.pixel_size() >= least
    picture = view.view.sceneBoundingRect()
    shown = view.picture.mapToScene(view.picture.viewport().rect()).boundingRect()
    assert shown.contains(picture.adjusted(1, 1, -1, -1))  # whole, not cut


def test_hovering_the_input_reads_the_value_the_network_sees(window, qtbot):
    draw_seven(window, qtbot)
    click_stage(window, qtbot, "input")
    settle(qtbot)
    view = window.network_view.input_view
    network_input = window.viewer.input
    row, col = np.unravel_index(int(np.argmax(network_input)), network_input.shape)
    point_at_pixel(view, row, col)
    assert view.readout.text() == (
        f"row {row + 1}, column {col + 1}: {float(network_input[row, col]):.3f}"
    )
    point_at_pixel(view, 0, 27)
    assert view.readout.text() == "row 1, column 28: 0.000"
    assert view.pointed.isVisible() and view.pointed.rect().topLeft() == QPointF(27, 0)


def test_the_steps_are_the_real_preprocessing(window, qtbot):
    draw_seven(window, qtbot)
    click_stage(window, qtbot, "input")
    settle(qtbot)
    view = window.network_view.input_view
    steps = mnist_steps(window.viewer.pixels)
    assert view.steps_row.isVisible() and not view.steps_note.isVisible()
    np.testing.assert_array_equal(steps.network_input, window.viewer.input)
    drawing, cropped, scaled, centred = view.step_pictures
    np.testing.assert_array_equal(drawing.image.image, steps.ink)
    np.testing.assert_array_equal(cropped.image.image, steps.cropped)
    np.testing.assert_array_equal(scaled.image.image, steps.scaled)
    np.testing.assert_array_equal(centred.image.image, window.viewer.input)
    top, left, bottom, right = steps.box
    assert (drawing.box.rect().top(), drawing.box.rect().left()) == (top, left)
    h, w = steps.scaled.shape
    assert scaled.texts[0] == f"scaled {w}×{h}" and max(h, w) == 20
    assert cropped.texts[0] == f"cropped {right - left + 1}×{bottom - top + 1}"
    for step in view.step_pictures:  # one line each, shortened rather than cut
        assert step.caption.fontMetrics().horizontalAdvance(step.caption.text()) <= (
            step.caption.width()
        )


def test_a_data_set_digit_has_no_steps_to_show(window, qtbot):
    """A digit from Evaluate is read as it is: the steps of its enlarged picture would
    make another input."""
    draw_seven(window, qtbot)
    click_stage(window, qtbot, "input")
    given = np.zeros((28, 28), np.float32)
    given[6:22, 12:16] = 1.0
    window.canvas_feed.show_exact(np.kron(given, np.ones((10, 10), np.float32)), given)
    window.canvas_feed.update_now()
    settle(qtbot)
    view = window.network_view.input_view
    assert not view.steps_row.isVisible() and view.steps_note.isVisible()
    assert "data set's own 28×28 input" in view.steps_note.text()
    np.testing.assert_array_equal(view.image.image, given)


def test_clicking_a_pixel_outlines_the_first_layer_values_that_read_it(window, qtbot):
    draw_seven(window, qtbot)
    click_stage(window, qtbot, "input")
    settle(qtbot)
    view = window.network_view.input_view
    assert view.readers_text.text().startswith("Click a pixel")
    click_pixel(view, 0, 5)
    assert view.picked == (0, 5) and view.marked.isVisible()
    box = readers_of_pixel(window.viewer.network_shown, 0, 5)
    assert box == (0, 4, 1, 6)  # 3x3 windows, same padding: the top row reads it twice
    rects = view.marks.rects()
    maps = view.readers.maps
    assert len(rects) == maps.shape[0] == 32
    # Each outline is map k's cells (rows 1-2, columns 5-7), wherever map k is tiled.
    tile_row, tile_col = divmod(5, view.readers.cols)
    h, w = maps.shape[1:]
    assert rects[5].topLeft() == QPointF(tile_col * (w + 1) + 4, tile_row * (h + 1) + 0)
    assert (rects[5].width(), rects[5].height()) == (3, 2)
    text = view.readers_text.text()
    assert "Pixel row 1, column 6" in text and "rows 1–2, columns 5–7 of all 32 maps" in text
    assert "192 values" in text  # 2 x 3 cells in each of 32 maps
    # A value outlined there is followed like any other.
    click_map(view.readers, 5, 1, 5)
    focus = window.viewer.focus
    assert (focus.layer, focus.channel, focus.row, focus.col) == (0, 5, 1, 5)
