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


def tablet(canvas, kind, x, y, pressure, pointer=None):
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QPointingDevice, QTabletEvent
    from PySide6.QtWidgets import QApplication

    device = QPointingDevice(
        "pen",
        1,
        QPointingDevice.DeviceType.Stylus,
        pointer or QPointingDevice.PointerType.Pen,
        QPointingDevice.Capability.Position | QPointingDevice.Capability.Pressure,
        1,
        3,
    )
    rect = canvas._view_rect()
    scale = rect.width() / 280
    position = QPointF(rect.x() + x * scale, rect.y() + y * scale)
    buttons = (
        Qt.MouseButton.NoButton
        if kind == QTabletEvent.Type.TabletRelease
        else Qt.MouseButton.LeftButton
    )
    event = QTabletEvent(
        kind,
        device,
        position,
        canvas.mapToGlobal(position),
        pressure,
        0,
        0,
        0,
        0,
        0,
        Qt.KeyboardModifier.NoModifier,
        Qt.MouseButton.LeftButton,
        buttons,
    )
    QApplication.sendEvent(canvas, event)
    return device


def test_tablet_pen_draws_with_pressure(canvas):
    from PySide6.QtGui import QTabletEvent

    Type = QTabletEvent.Type
    tablet(canvas, Type.TabletPress, 100, 60, 0.2)
    for y in range(70, 230, 10):
        tablet(canvas, Type.TabletMove, 100, y, 0.2)
    tablet(canvas, Type.TabletRelease, 100, 230, 0.0)
    light = np.flatnonzero(canvas.pixels()[140] > 0.5).size
    tablet(canvas, Type.TabletPress, 200, 60, 1.0)
    for y in range(70, 230, 10):
        tablet(canvas, Type.TabletMove, 200, y, 1.0)
    tablet(canvas, Type.TabletRelease, 200, 230, 0.0)
    row = canvas.pixels()[140]
    heavy = np.flatnonzero(row[150:] > 0.5).size
    assert light > 0 and heavy > light  # pressing harder draws wider
    canvas.undo()
    assert canvas.pixels()[140, 200] == 0


def test_tablet_eraser_end_erases(canvas):
    from PySide6.QtGui import QPointingDevice, QTabletEvent

    draw_stroke(canvas, line((40, 140), (240, 140)))
    before = canvas.pixels().sum()
    Type, eraser = QTabletEvent.Type, QPointingDevice.PointerType.Eraser
    tablet(canvas, Type.TabletPress, 140, 100, 1.0, eraser)
    tablet(canvas, Type.TabletMove, 140, 180, 1.0, eraser)
    tablet(canvas, Type.TabletRelease, 140, 180, 0.0, eraser)
    assert canvas.pixels().sum() < before


def test_a_placed_picture_replaces_the_drawing_and_undo_brings_it_back(canvas, qtbot):
    draw_stroke(canvas, line((60, 40), (60, 240)))  # a stroke at the left
    drawing = canvas.pixels()
    picture = np.zeros((50, 50), np.float32)
    picture[10:40, 22:28] = 1.0  # a bar in the middle of its own image
    canvas.place_image(picture)
    placed = canvas.pixels()
    assert placed[:, 40:80].max() == 0  # the earlier stroke is gone, not overlaid
    assert placed[:, 130:150].max() > 0.9
    canvas.undo()
    np.testing.assert_array_equal(canvas.pixels(), drawing)
    canvas.redo()
    np.testing.assert_array_equal(canvas.pixels(), placed)


def press_and_move(canvas, points):
    from PySide6.QtTest import QTest

    from .conftest import canvas_point

    QTest.mousePress(
        canvas,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        canvas_point(canvas, *points[0]),
    )
    for x, y in points[1:]:
        QTest.mouseMove(canvas, canvas_point(canvas, x, y))


def release(canvas, point):
    from PySide6.QtTest import QTest

    from .conftest import canvas_point

    QTest.mouseRelease(
        canvas,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        canvas_point(canvas, *point),
    )


@pytest.mark.parametrize("edit", ["clear", "undo"])
def test_an_edit_while_the_button_is_down_keeps_image_and_history_together(canvas, edit):
    draw_stroke(canvas, line((60, 40), (60, 240)))
    first = canvas.pixels()
    press_and_move(canvas, line((200, 40), (200, 240)))
    getattr(canvas, edit)()  # Esc or Ctrl+Z with the button still down
    after_edit = canvas.pixels()
    # Moves and the release after the edit draw nothing more.
    press_points = line((200, 240), (100, 240))
    from PySide6.QtTest import QTest

    from .conftest import canvas_point

    for x, y in press_points:
        QTest.mouseMove(canvas, canvas_point(canvas, x, y))
    release(canvas, press_points[-1])
    np.testing.assert_array_equal(canvas.pixels(), after_edit)
    if edit == "clear":
        assert canvas.is_empty()
        canvas.undo()  # undo the clear: both strokes, the second as far as it went
        assert canvas.pixels()[:, 190:210].max() > 0.9
    else:
        np.testing.assert_array_equal(after_edit, first)  # the stroke in progress went
    # Redo and undo walk the same history the image shows: no stroke twice.
    while canvas.can_redo():
        canvas.redo()
    strokes = canvas.pixels().copy()
    while canvas.can_undo():
        canvas.undo()
    assert canvas.is_empty()
    while canvas.can_redo():
        canvas.redo()
    np.testing.assert_array_equal(canvas.pixels(), strokes)


def test_undo_availability_is_announced(canvas, qtbot):
    seen = []
    canvas.undo_available.connect(seen.append)
    draw_stroke(canvas, line((60, 40), (60, 240)))
    canvas.undo()
    assert seen[0] is True and seen[-1] is False


def test_the_canvas_and_the_core_rasteriser_draw_the_same_ink(window, qtbot):
    """Training renders pen strokes with core/strokes.py, the canvas paints them with Qt:
    on the same points and pen they agree pixel for pixel within anti-aliasing, and the
    network sees the same input (issue 11)."""
    import numpy as np

    from digitpad.core.preprocess import to_mnist
    from digitpad.core.strokes import Stroke as CoreStroke
    from digitpad.core.strokes import render
    from digitpad.gui.canvas import Clear
    from digitpad.gui.canvas import Stroke as CanvasStroke

    from .conftest import draw_stroke
    from .handwriting import DIGITS

    canvas = window.canvas
    for digit, strokes in DIGITS.items():
        canvas.clear()
        for width, stroke in zip((22, 14, 40), strokes, strict=False):
            canvas.set_pen_width(width)
            draw_stroke(canvas, stroke)
        shown = canvas._items[: canvas._cursor]
        cleared = [i for i, item in enumerate(shown) if isinstance(item, Clear)]
        since_clear = shown[cleared[-1] if cleared else 0 :]
        drawn = [item for item in since_clear if isinstance(item, CanvasStroke)]
        assert drawn, digit
        core = render(
            [CoreStroke(np.array([(p.x(), p.y()) for p in s.points]), s.width) for s in drawn]
        )
        painted = canvas.pixels()
        difference = np.abs(painted - core)
        assert difference.max() <= 0.6, (digit, difference.max())  # only on the edges
        assert difference.mean() < 0.01, (digit, difference.mean())
        assert np.abs(to_mnist(painted) - to_mnist(core)).max() < 0.1, digit


def test_the_drawing_comes_back_as_its_strokes_and_goes_back_stroke_by_stroke(canvas):
    canvas.clear()
    draw_stroke(canvas, line((60, 60), (200, 60)))
    canvas.set_pen_width(30)
    draw_stroke(canvas, line((200, 60), (120, 240)))
    draw_stroke(canvas, line((100, 150), (180, 150)), Qt.MouseButton.RightButton)
    drawn = canvas.strokes()
    assert [(s.width, s.erase) for s in drawn] == [(22, False), (30, False), (60, True)]
    assert drawn[0].points[0] == pytest.approx((60, 60), abs=1.5)
    pixels = canvas.pixels()
    canvas.clear()
    assert canvas.strokes() == ()  # cleared: nothing drawn since
    canvas.show_strokes(drawn)
    np.testing.assert_array_equal(canvas.pixels(), pixels)
    assert len(canvas.strokes()) == 3
    canvas.undo()  # one stroke at a time
    assert len(canvas.strokes()) == 2
    canvas.undo()
    canvas.undo()
    assert canvas.is_empty()
    canvas.undo()  # the clear before them: the drawing as it was
    np.testing.assert_array_equal(canvas.pixels(), pixels)


def test_a_placed_picture_has_no_strokes_until_it_is_cleared(canvas):
    draw_stroke(canvas, line((60, 60), (200, 200)))
    canvas.place_image(np.eye(20, dtype=np.float32))
    draw_stroke(canvas, line((60, 200), (200, 60)))
    assert canvas.strokes() == ()
    canvas.clear()
    draw_stroke(canvas, line((60, 200), (200, 60)))
    assert len(canvas.strokes()) == 1  # the picture is history now


def test_whole_canvas_pixels_go_back_as_they_were(canvas):
    pixels = np.zeros((280, 280), np.float32)
    pixels[20:260, 100:140] = 1.0
    canvas.place_pixels(pixels)
    np.testing.assert_array_equal(canvas.pixels(), pixels)  # not fitted again


def test_a_clear_with_a_reason_tells_it_when_undone_and_redone(canvas, qtbot):
    undone, redone = [], []
    canvas.clear_undone.connect(undone.append)
    canvas.clear_redone.connect(redone.append)
    reason = object()
    assert not canvas.clear_for(reason)  # nothing to clear: no step to undo later
    draw_stroke(canvas, line((140, 40), (140, 240)))
    assert canvas.clear_for(reason) and canvas.is_empty()
    draw_stroke(canvas, line((40, 140), (240, 140)))
    canvas.undo()  # the stroke drawn after it: nothing told
    assert undone == []
    canvas.undo()
    assert undone == [reason] and not canvas.is_empty()
    canvas.redo()
    assert redone == [reason] and canvas.is_empty()
    draw_stroke(canvas, line((40, 140), (240, 140)))
    canvas.clear_for(None)  # no reason: a plain clear, as Clear's button and Esc make
    canvas.undo()
    canvas.clear()
    canvas.undo()
    canvas.redo()
    assert undone == [reason] and redone == [reason]
    assert canvas.focusPolicy() == Qt.FocusPolicy.StrongFocus  # drawing takes the keys


def test_the_room_beside_the_drawing_square_is_the_column_not_canvas(qtbot):
    """Where the canvas widget is wider or taller than its square, the rest shows what is
    behind it (the column's background), never a band of another colour that looks like
    part of the canvas but takes no ink (presentation mode's white did)."""
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QVBoxLayout, QWidget

    column = QWidget()
    column.setAutoFillBackground(True)
    palette = column.palette()
    palette.setColor(QPalette.ColorRole.Window, QColor(200, 200, 200))
    column.setPalette(palette)
    canvas = DrawingCanvas()
    white = canvas.palette()
    white.setColor(QPalette.ColorRole.Window, QColor(255, 255, 255))  # as presenting sets it
    canvas.setPalette(white)
    QVBoxLayout(column).addWidget(canvas)
    qtbot.addWidget(column)
    column.resize(500, 300)
    column.show()
    qtbot.waitExposed(column)
    image = column.grab().toImage()
    square = canvas._view_rect()
    band = canvas.mapTo(column, square.topLeft().toPoint()) - canvas.mapTo(
        column, canvas.rect().topLeft()
    )
    assert band.x() > 20  # there is room beside the square
    beside = canvas.mapTo(column, canvas.rect().topLeft()) + band / 2
    assert image.pixelColor(beside) == QColor(200, 200, 200)
