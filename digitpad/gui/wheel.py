"""The mouse wheel changes a value only in a control that has keyboard focus: over any other
spin box, combo box or slider it scrolls what holds the control, as the user meant."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QScrollBar,
    QWidget,
)

# A wheel passing over the form would otherwise change whatever it crosses, unseen
# (60,000 training images became 1,000 so).
GUARDED = (QAbstractSpinBox, QComboBox, QAbstractSlider)
_WHEEL, _POLISH = QEvent.Type.Wheel, QEvent.Type.Polish


class FocusedWheel(QObject):
    """An application event filter: guarded controls lose Qt's wheel focus (the wheel
    would give them focus, then change them) and pass an unfocused wheel on to their
    parents, which scroll."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind != _WHEEL and kind != _POLISH:
            return False
        # A scroll bar is the wheel's own target: it scrolls with or without focus.
        if not isinstance(watched, GUARDED) or isinstance(watched, QScrollBar):
            return False
        if watched.focusPolicy() == Qt.FocusPolicy.WheelFocus:
            watched.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        if kind == _WHEEL and not watched.hasFocus():
            _scroll_around(watched, event)
            return True
        return False


def _scroll_around(control: QWidget, event: QWheelEvent) -> None:
    """Give the wheel to the scroll area around ``control``, if any. Qt passes an
    unaccepted wheel on to the parent only when it came from the window system: this also
    serves one sent by the program (a test's)."""
    area = control.parentWidget()
    while area is not None and not isinstance(area, QAbstractScrollArea):
        area = area.parentWidget()
    if area is None:
        event.ignore()  # from the window system, it goes on to the parents, harmlessly
        return
    viewport = area.viewport()
    position = control.mapTo(viewport, event.position().toPoint())
    passed_on = QWheelEvent(
        position.toPointF(),
        event.globalPosition(),
        event.pixelDelta(),
        event.angleDelta(),
        event.buttons(),
        event.modifiers(),
        event.phase(),
        event.inverted(),
        event.source(),
    )
    QApplication.sendEvent(viewport, passed_on)
    event.accept()


def install(app: QApplication) -> None:
    """Install the rule on ``app`` once (a second call changes nothing)."""
    if app.findChild(FocusedWheel) is None:
        app.installEventFilter(FocusedWheel(app))
