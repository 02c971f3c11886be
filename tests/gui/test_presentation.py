"""View > Zoom, Full Screen and Presentation Mode, from the keyboard as a teacher uses them."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QToolButton

from digitpad.gui.theme import font_scale, high_contrast, theme

from .conftest import draw_stroke, open_window, stop_work
from .handwriting import DIGITS

CTRL = Qt.KeyboardModifier.ControlModifier


def settle(qtbot):
    QApplication.processEvents()
    qtbot.wait(10)


def press(window, qtbot, key, modifier=Qt.KeyboardModifier.NoModifier):
    """A key pressed on the canvas, where the pointer and focus are while drawing (window
    shortcuts answer only in the active window)."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.keyClick(window.canvas, key, modifier)
    settle(qtbot)


def test_zoom_scales_the_type_of_panels_and_plots(window, qtbot):
    for stroke in DIGITS[4]:
        draw_stroke(window.canvas, stroke)
    window.canvas_feed.update_now()
    base = QApplication.font().pointSizeF()
    axis = window.network_view.probabilities.getAxis("bottom")
    press(window, qtbot, Qt.Key.Key_Plus, CTRL)
    assert font_scale(window.network_view.feature_maps) == pytest.approx(1.1)
    assert axis.style["tickFont"].pointSizeF() == pytest.approx(base * 1.1)
    strip = window.layer_strip  # its buttons' type is fitted to its width, up to this
    assert strip.font().pointSizeF() == pytest.approx(base * 1.1)
    assert base <= strip.buttons[0].font().pointSizeF() <= base * 1.1
    assert "font-size:52.8pt" in window.prediction.text()  # the 48 pt digit, zoomed
    press(window, qtbot, Qt.Key.Key_Equal, CTRL)  # Ctrl+= too, for keyboards without +
    assert font_scale(window.prediction) == pytest.approx(1.25)
    press(window, qtbot, Qt.Key.Key_0, CTRL)
    assert font_scale(window.prediction) == pytest.approx(1.0)
    assert "font-size:48.0pt" in window.prediction.text()
    press(window, qtbot, Qt.Key.Key_Minus, CTRL)
    assert font_scale(window.prediction) == pytest.approx(0.9)
    assert window.settings.zoom() == pytest.approx(0.9)


def test_presentation_mode_is_large_plain_and_remembered(qtbot, settings, dialogs, library_folder):
    window = open_window(qtbot, settings, library_folder)
    undo = window.actions["undo"]
    assert window.statusBar().isVisible()
    press(window, qtbot, Qt.Key.Key_F9)
    assert window.actions["presentation"].isChecked()
    assert font_scale(window.prediction) >= 1.5
    assert font_scale(window.network_view.feature_maps) >= 1.5
    assert high_contrast() and theme()[0].name() == "#ffffff"
    assert window.network_view.feature_maps.plot.backgroundBrush().color().name() == "#ffffff"
    assert not window.statusBar().isVisible() and not window.drawing.pen_row.isVisible()
    visible = {b.text() for b in window.drawing.findChildren(QToolButton) if b.isVisible()}
    assert visible == {"Clear"}  # only the main control stays
    # The keys still work with their buttons hidden.
    draw_stroke(window.canvas, DIGITS[1][0])
    press(window, qtbot, Qt.Key.Key_Z, CTRL)
    assert not undo.isEnabled()
    stop_work(window)
    window.close()
    # The next run starts as this one ended.
    again = open_window(qtbot, settings, library_folder)
    assert again.actions["presentation"].isChecked() and font_scale(again.prediction) >= 1.5
    assert not again.statusBar().isVisible()
    press(again, qtbot, Qt.Key.Key_F9)
    assert not high_contrast() and font_scale(again.prediction) == pytest.approx(1.0)
    assert again.statusBar().isVisible() and again.drawing.pen_row.isVisible()


def test_zooming_out_of_presentation_size_ends_the_presentation(window, qtbot):
    press(window, qtbot, Qt.Key.Key_F9)
    press(window, qtbot, Qt.Key.Key_Minus, CTRL)
    assert not window.actions["presentation"].isChecked()
    assert font_scale(window.prediction) == pytest.approx(1.25)
    assert window.statusBar().isVisible()


def test_actual_size_resets_the_zoom_and_keeps_presentation_mode(window, qtbot):
    press(window, qtbot, Qt.Key.Key_F9)
    press(window, qtbot, Qt.Key.Key_Plus, CTRL)
    assert font_scale(window.prediction) == pytest.approx(1.75)
    press(window, qtbot, Qt.Key.Key_0, CTRL)
    # Only F9 leaves presentation mode: Ctrl+0 brings its type back to its own 1.5x.
    assert window.actions["presentation"].isChecked() and high_contrast()
    assert font_scale(window.prediction) == pytest.approx(1.5)
    assert not window.statusBar().isVisible()
    assert window.settings.zoom() == pytest.approx(1.0) and window.settings.presentation()
    press(window, qtbot, Qt.Key.Key_F9)
    assert font_scale(window.prediction) == pytest.approx(1.0)  # the zoom Ctrl+0 set


def test_full_screen_and_back(window, qtbot):
    press(window, qtbot, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: window.isFullScreen())
    assert window.actions["full_screen"].isChecked()
    press(window, qtbot, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: not window.isFullScreen())
    assert not window.actions["full_screen"].isChecked()


@pytest.mark.parametrize("value", ["huge", "0", "-3", "1e9", "nan"])
def test_a_bad_saved_zoom_is_ignored(qtbot, settings, dialogs, library_folder, value):
    settings.setValue("view/zoom", value)
    window = open_window(qtbot, settings, library_folder)
    assert font_scale(window.prediction) == pytest.approx(1.0)


def in_view(strip, button) -> bool:
    shown = strip.viewport().rect()
    corner = button.mapTo(strip.viewport(), button.rect().topLeft())
    return shown.contains(corner) and shown.contains(
        button.mapTo(strip.viewport(), button.rect().bottomRight())
    )


def test_the_strip_shows_every_stage_in_presentation_type_without_scrolling(window, qtbot):
    """At 1.5x type the strip needed a scroll bar and hid softmax: its type now shrinks
    to fit the width, and on a narrow window it takes two lines."""
    window.resize(1280, 720)
    press(window, qtbot, Qt.Key.Key_F9)
    strip = window.layer_strip
    assert strip.horizontalScrollBar().maximum() == 0
    assert all(in_view(strip, button) for button in strip.buttons)
    base = QApplication.font().pointSizeF()
    assert strip.buttons[0].font().pointSizeF() > base  # still larger than at 1x
    window.resize(760, 720)
    settle(qtbot)
    assert strip.horizontalScrollBar().maximum() == 0
    assert all(in_view(strip, button) for button in strip.buttons)
    assert strip.line_count == 2
    assert strip.buttons[0].font().pointSizeF() >= 0.8 * base


def test_a_network_too_deep_for_three_lines_scrolls_to_the_stage_picked(window, qtbot):
    """The last resort, on a window far too narrow: a scroll bar, and the pick in view
    (at 260 px the strip now fits in three lines of 9 pt)."""
    window.resize(window.minimumSizeHint().width(), 720)
    press(window, qtbot, Qt.Key.Key_F9)
    strip = window.layer_strip
    strip.setFixedWidth(200)
    settle(qtbot)
    assert strip.line_count == 3 and strip.type_size == pytest.approx(9.0)
    assert strip.horizontalScrollBar().maximum() > 0
    softmax = strip.buttons[-1]
    assert not in_view(strip, softmax)
    window.viewer.select_layer(window.viewer.stages[-1].first)  # as the guide's link does
    settle(qtbot)
    assert softmax.isChecked() and in_view(strip, softmax)
    window.viewer.select_layer(0)
    settle(qtbot)
    assert in_view(strip, strip.buttons[1])


def test_closing_the_window_in_presentation_mode_leaves_the_app_as_it_was(
    qtbot, settings, dialogs, library_folder
):
    window = open_window(qtbot, settings, library_folder)
    press(window, qtbot, Qt.Key.Key_F9)
    assert high_contrast()
    stop_work(window)
    window.close()
    assert not high_contrast()  # another window (or dialog) keeps the system's colours


def small_screen(monkeypatch, width=1024, height=600):
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QScreen

    monkeypatch.setattr(QScreen, "availableGeometry", lambda screen: QRect(0, 0, width, height))


def test_zoom_stops_where_the_window_would_outgrow_the_screen(window, qtbot, monkeypatch):
    """At 2.5x on a 1024x600 screen the window needed 1189 px (its drawing buttons alone
    690): Zoom In stops at the largest type the window fits the screen in, and says why."""
    small_screen(monkeypatch)
    window.resize(1024, 570)
    settle(qtbot)
    for _ in range(10):
        press(window, qtbot, Qt.Key.Key_Plus, CTRL)
    zoom_in = window.actions["zoom_in"]
    assert 1.5 <= window.presentation.factor < 2.5
    assert not zoom_in.isEnabled() and "would not fit" in zoom_in.statusTip()
    smallest = window.minimumSizeHint()
    assert smallest.width() <= 1024 and window.width() <= 1024, (smallest, window.width())
    press(window, qtbot, Qt.Key.Key_Minus, CTRL)
    assert zoom_in.isEnabled()


def test_zoom_in_at_the_largest_step_says_so(window, qtbot, monkeypatch):
    """Reproduced fault: at 1280 in F9 + F11, at the largest step, the greyed Zoom In said
    nothing, where at 1024 it said larger type would not fit."""
    small_screen(monkeypatch, 3840, 2160)  # room for every step
    settle(qtbot)
    for _ in range(12):
        press(window, qtbot, Qt.Key.Key_Plus, CTRL)
    zoom_in = window.actions["zoom_in"]
    assert window.presentation.factor == 2.5  # the largest step
    assert not zoom_in.isEnabled()
    for words in (zoom_in.statusTip(), zoom_in.toolTip(), zoom_in.text()):
        assert "largest zoom" in words, words
    press(window, qtbot, Qt.Key.Key_Minus, CTRL)
    assert zoom_in.isEnabled() and "largest" not in zoom_in.text() + zoom_in.toolTip()


def test_a_zoom_saved_on_a_larger_screen_starts_at_one_that_fits(
    qtbot, settings, dialogs, library_folder, monkeypatch
):
    settings.setValue("view/zoom", 2.5)
    small_screen(monkeypatch)
    window = open_window(qtbot, settings, library_folder)
    assert window.presentation.factor < 2.5
    assert window.minimumSizeHint().width() <= 1024


def test_a_window_of_its_own_follows_the_panels_type_and_colours(qtbot):
    """StyleFollower: what the convolution view and the Retrain bar use to take the main
    window's zoomed type and presentation palette, now and on every change."""
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QWidget

    from digitpad.gui.theme import StyleFollower, high_contrast_palette

    source, target = QWidget(), QWidget()
    qtbot.addWidget(source)
    font = source.font()
    font.setPointSizeF(21.0)
    source.setFont(font)
    follower = StyleFollower(source, target)
    assert target.font().pointSizeF() == 21.0  # at once
    font.setPointSizeF(13.5)
    source.setFont(font)
    assert target.font().pointSizeF() == 13.5
    source.setPalette(high_contrast_palette())
    window = target.palette().color(QPalette.ColorRole.Window)
    assert window == QColor(255, 255, 255)
    assert follower.parent() is target
    target.deleteLater()  # the follower goes with it; the source changes on unharmed
    QApplication.sendPostedEvents(None, 0)
    font.setPointSizeF(9.0)
    source.setFont(font)
    assert source.font().pointSizeF() == 9.0
