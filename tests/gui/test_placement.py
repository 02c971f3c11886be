"""A dialog that hides the canvas moves beside it when it puts something there."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtWidgets import QDialog, QWidget

from digitpad.gui.placement import FRAME_ALLOWANCE, GAP, fitted_size, too_small_for, uncover


def shown(qtbot, widget, x, y, width, height):
    qtbot.addWidget(widget)
    widget.setGeometry(x, y, width, height)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def on_screen(widget):
    return QRect(widget.mapToGlobal(QPoint(0, 0)), widget.size())


def test_a_dialog_over_the_widget_moves_to_its_right_narrowed_to_the_room(qtbot):
    canvas = shown(qtbot, QWidget(), 0, 0, 300, 300)
    wide = canvas.screen().availableGeometry().width() - 150  # too wide to fit beside
    dialog = shown(qtbot, QDialog(), 100, 50, wide, 300)
    dialog.setMinimumWidth(200)
    screen = dialog.screen().availableGeometry()
    assert dialog.frameGeometry().intersects(on_screen(canvas))
    uncover(dialog, canvas)
    frame = dialog.frameGeometry()
    assert not frame.intersects(on_screen(canvas))
    assert on_screen(canvas).right() + GAP <= frame.left() <= on_screen(canvas).right() + 2 * GAP
    assert frame.right() <= screen.right()
    assert 200 <= dialog.width() < wide  # narrowed to the room beside
    assert dialog.geometry().top() == 50  # only moved sideways


def test_a_dialog_clear_of_the_widget_or_with_no_room_stays_put(qtbot):
    canvas = shown(qtbot, QWidget(), 0, 0, 300, 300)
    clear = shown(qtbot, QDialog(), 400, 0, 200, 200)
    uncover(clear, canvas)
    assert clear.geometry() == QRect(400, 0, 200, 200)
    wide = shown(qtbot, QDialog(), 50, 50, 300, 200)
    wide.setMinimumWidth(wide.screen().availableGeometry().width())  # fits on no side
    before = wide.geometry()
    uncover(wide, canvas)
    assert wide.geometry() == before


def test_a_first_size_leaves_room_for_the_frame_on_any_screen(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    room = widget.screen().availableGeometry().size() - FRAME_ALLOWANCE
    assert fitted_size(widget, 640, 480) == QSize(640, 480)
    assert fitted_size(widget, 10_000, 480) == QSize(room.width(), 480)
    assert fitted_size(widget, 640, 10_000) == QSize(640, room.height())


def test_a_screen_too_small_for_a_size_is_told_apart(qtbot):
    widget = shown(qtbot, QWidget(), 0, 0, 100, 100)
    room = widget.screen().availableGeometry().size() - FRAME_ALLOWANCE
    assert not too_small_for(widget, room)
    assert too_small_for(widget, QSize(room.width() + 1, 10))
    assert too_small_for(widget, QSize(10, room.height() + 1))
