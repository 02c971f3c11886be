"""The mouse wheel changes only a focused control; over any other it scrolls the page."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QLineEdit,
    QScrollArea,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from digitpad.gui.app import make_application

from .test_train_dialog import open_dialog


def wheel(widget: QWidget, steps: int) -> None:
    """``steps`` notches of a real wheel event over the middle of ``widget`` (up when
    positive), delivered as Qt delivers it: to the widget, then to its parents while
    nobody accepts it."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(
        centre,
        QPointF(widget.mapToGlobal(centre.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


@pytest.fixture
def page(qtbot):
    """A tall page in a short scroll area: a line edit (focused), a spin box, a combo box
    and a slider."""
    make_application()  # the application's rule, as the app itself has it
    content = QWidget()
    column = QVBoxLayout(content)
    spin = QSpinBox(minimum=0, maximum=100, value=50)
    combo = QComboBox()
    combo.addItems(["one", "two", "three"])
    combo.setCurrentIndex(1)
    slider = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=100, value=50)
    name = QLineEdit()  # holds the focus, as a form's first field does
    column.addWidget(name)
    column.addSpacing(300)
    for control in (spin, combo, slider):
        column.addWidget(control)
    column.addSpacing(600)
    scroll = QScrollArea()
    scroll.setWidget(content)
    scroll.setWidgetResizable(True)
    scroll.resize(300, 200)
    qtbot.addWidget(scroll)
    scroll.show()
    qtbot.waitExposed(scroll)
    name.setFocus()
    scroll.verticalScrollBar().setValue(250)
    return scroll, (spin, combo, slider)


def values(controls) -> tuple:
    spin, combo, slider = controls
    return spin.value(), combo.currentIndex(), slider.value()


def test_an_unfocused_control_keeps_its_value_and_the_page_scrolls(page):
    scroll, controls = page
    for control in controls:
        assert not control.hasFocus()
        assert control.focusPolicy() == Qt.FocusPolicy.StrongFocus  # the wheel gives none
        before, top = values(controls), scroll.verticalScrollBar().value()
        wheel(control, -1)
        assert values(controls) == before
        assert scroll.verticalScrollBar().value() > top


def test_a_focused_control_takes_the_wheel(page, qtbot):
    scroll, controls = page
    for control in controls:
        control.setFocus(Qt.FocusReason.TabFocusReason)
        qtbot.waitUntil(control.hasFocus)
        top = scroll.verticalScrollBar().value()
        wheel(control, 1)
        assert scroll.verticalScrollBar().value() == top
    spin_value, combo_index, slider_value = values(controls)
    assert (spin_value, combo_index) == (51, 0) and slider_value > 50


def test_the_retrain_forms_training_images_wheel(window, qtbot):
    """The report: a wheel over the form changed 60,000 training images to 1,000."""
    dialog = open_dialog(window, qtbot)
    dialog.resize(1024, 570)
    dialog.activateWindow()  # focus lives in the active window
    qtbot.waitUntil(dialog.isActiveWindow)
    images = dialog.form.images
    scroll = dialog.settings_scroll
    bar = scroll.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)  # the settings scroll on a small screen
    bar.setValue(bar.maximum())
    scroll.ensureWidgetVisible(images)
    assert bar.value() > 0
    assert not images.hasFocus() and images.currentData() == 60_000
    top = scroll.verticalScrollBar().value()
    wheel(images, 1)
    assert images.currentData() == 60_000
    assert scroll.verticalScrollBar().value() < top
    scroll.ensureWidgetVisible(images)
    qtbot.mouseClick(images, Qt.MouseButton.LeftButton)
    images.hidePopup()  # the click opened the list; the combo keeps the focus
    qtbot.waitUntil(images.hasFocus)
    wheel(images, 1)
    assert images.currentData() == 10_000


def test_the_wheel_passed_on_lands_where_the_pointer_is_without_a_qt_warning(page, qtlog):
    """The wheel over an unfocused control goes to the page at the pointer's place in the
    page: mapped from the control to the page, not the other way round (which Qt refused
    with "QWidget::mapFrom(): parent must be in parent hierarchy", 10 times in a session)."""
    from PySide6.QtCore import QEvent, QObject

    scroll, controls = page
    landed = []

    class Recorder(QObject):
        def eventFilter(self, watched, event):
            if event.type() == QEvent.Type.Wheel:
                landed.append(event.position().toPoint())
            return False

    recorder = Recorder()
    scroll.viewport().installEventFilter(recorder)
    spin = controls[0]
    pointer = spin.mapTo(scroll.viewport(), spin.rect().center())  # before the page moves
    wheel(spin, -1)
    assert landed == [pointer]
    assert not [record for record in qtlog.records if "mapFrom" in record.message]
