"""Where windows go: a first size that fits the screen, and a dialog moved aside so it
does not hide the widget it just changed (the canvas)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

GAP = 12  # pixels between the widget and the dialog moved beside it


def uncover(dialog: QWidget | None, widget: QWidget) -> None:
    """Move ``dialog`` beside ``widget`` if it covers any of it: to its right, narrowed to
    the room there (not below the dialog's smallest size), else to its left. A dialog
    that fits on neither side stays where it is."""
    if dialog is None or not dialog.isVisible() or not widget.isVisible():
        return
    covered = QRect(widget.mapToGlobal(QPoint(0, 0)), widget.size())
    frame = dialog.frameGeometry()
    if not frame.intersects(covered):
        return
    screen = (dialog.screen() or widget.screen()).availableGeometry()
    border = frame.width() - dialog.width()  # the window frame's share of the width
    smallest = dialog.minimumSizeHint().expandedTo(dialog.minimumSize()).width() + border
    right_room = screen.right() + 1 - (covered.right() + 1 + GAP)
    left_room = covered.left() - GAP - screen.left()
    if right_room >= smallest:
        width = min(frame.width(), right_room)
        x = covered.right() + 1 + GAP
    elif left_room >= smallest:
        width = min(frame.width(), left_room)
        x = covered.left() - GAP - width
    else:
        return
    dialog.resize(width - border, dialog.height())
    dialog.move(x, frame.y())


# Room left for a window manager's title bar and borders, which a window's own size leaves
# out: without it a window as tall as the screen has its status bar below the bottom edge.
FRAME_ALLOWANCE = QSize(16, 64)


def fitted_size(widget: QWidget, width: int, height: int) -> QSize:
    """``width`` x ``height``, or less where the screen's free area (less room for the
    window's frame) is smaller: a window's first size before it has a saved one."""
    room = (widget.screen() or QGuiApplication.primaryScreen()).availableGeometry().size()
    room -= FRAME_ALLOWANCE
    return QSize(max(1, min(width, room.width())), max(1, min(height, room.height())))


def too_small_for(widget: QWidget, size: QSize) -> bool:
    """Whether the screen's free area, less room for the window's frame, is smaller than
    ``size`` either way: a window made for ``size`` is better maximised there."""
    room = (widget.screen() or QGuiApplication.primaryScreen()).availableGeometry().size()
    room -= FRAME_ALLOWANCE
    return room.width() < size.width() or room.height() < size.height()
