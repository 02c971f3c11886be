"""Retrain beside the main window: while the window shows the network learning, the dialog
gives way to a bar under its panels, covering neither the canvas nor a panel."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QApplication

from .conftest import draw_stroke, line
from .test_train_dialog import click, open_dialog, small_run, wait_until_idle, with_mnist

__all__ = ["with_mnist"]  # the fixture, used by name

SCREENS = ((1280, 720), (1024, 600))


def in_window(window, widget) -> QRect:
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def assert_gives_way(window, dialog, size) -> None:
    """The dialog is hidden; its bar lies whole in the window, clear of the drawing column's
    canvas and answer and of the strip and panels; the window kept its size."""
    QApplication.processEvents()
    assert not dialog.isVisible() and dialog.collapsed
    bar = dialog.bar
    assert bar.isVisible()
    placed = in_window(window, bar)
    assert window.rect().contains(placed), (placed, window.rect())
    assert window.size().toTuple() == size
    for widget in (
        window.canvas,
        window.prediction,
        window.layer_strip,
        window.network_view,
        window.network_view.feature_maps,
    ):
        assert not placed.intersects(in_window(window, widget)), widget.objectName()
    compact = dialog.live.compact
    for part in (compact.progress, compact.epoch, compact.stop_button, compact.expand_button):
        assert part.isVisible()
        assert placed.contains(in_window(window, part)), part.objectName()  # whole, not cut


@pytest.mark.parametrize("size", SCREENS)
def test_the_dialog_gives_way_to_a_bar_and_expands_with_the_results(
    window, qtbot, with_mnist, size
):
    window.resize(*size)
    qtbot.waitUntil(lambda: window.size().toTuple() == size)
    dialog = open_dialog(window, qtbot)
    small_run(dialog, epochs=2)
    draw_stroke(window.canvas, line((140, 40), (140, 240)))
    window.canvas_feed.update_now()
    assert dialog.follow.isChecked()  # Show it learning, on by default
    # What the bar said, every time: a quick run may be scoring by the time we look.
    compact, said = dialog.live.compact, []
    show = compact.show_progress
    compact.show_progress = lambda done, total, text: (said.append(text), show(done, total, text))
    click(qtbot, dialog.train_button)
    assert_gives_way(window, dialog, size)
    qtbot.waitUntil(lambda: window.viewer.training_shown, timeout=60_000)
    qtbot.waitUntil(lambda: compact.progress.value() > 0, timeout=60_000)
    assert any("epoch" in text for text in said), said
    # Expand: the whole dialog (the run goes on), and back to the bar.
    click(qtbot, dialog.live.compact.expand_button)
    if dialog.training is not None:
        assert dialog.isVisible() and not dialog.collapsed and not dialog.bar.isVisible()
        click(qtbot, dialog.collapse_button)
        assert_gives_way(window, dialog, size)
    wait_until_idle(qtbot, dialog)
    # The end of the run: the dialog again, with its results; the bar gone.
    qtbot.waitUntil(dialog.isVisible)
    assert not dialog.collapsed and not dialog.bar.isVisible()
    assert dialog.results.isVisible() and dialog.result is not None
    assert window.size().toTuple() == size


def test_stop_in_the_bar_cancels_the_run(window, qtbot, with_mnist):
    dialog = open_dialog(window, qtbot)
    small_run(dialog, epochs=3)
    dialog.form.images.setCurrentIndex(3)  # 60,000: long enough to stop mid-run
    click(qtbot, dialog.train_button)
    assert dialog.collapsed
    click(qtbot, dialog.live.compact.stop_button)
    wait_until_idle(qtbot, dialog)
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.result is None and "Cancelled" in dialog.live.status.text()
    assert not dialog.bar.isVisible()


def test_without_show_it_learning_the_dialog_stays(window, qtbot, with_mnist):
    dialog = open_dialog(window, qtbot)
    small_run(dialog)
    click(qtbot, dialog.follow)
    assert not dialog.follow.isChecked()
    click(qtbot, dialog.train_button)
    assert dialog.isVisible() and not dialog.collapsed and dialog.bar is None
    assert not dialog.collapse_button.isEnabled()  # nothing to watch in the window
    wait_until_idle(qtbot, dialog)
    assert dialog.isVisible() and dialog.results.isVisible()


def test_the_bar_takes_presentation_modes_type(window, qtbot, with_mnist):
    dialog = open_dialog(window, qtbot)
    small_run(dialog, epochs=3)
    dialog.form.images.setCurrentIndex(3)
    click(qtbot, dialog.train_button)
    normal = dialog.bar.font().pointSizeF()
    window.actions["presentation"].trigger()
    assert dialog.bar.font().pointSizeF() >= 1.5 * normal * 0.99
    assert_gives_way(window, dialog, window.size().toTuple())
    window.actions["presentation"].trigger()
    assert dialog.bar.font().pointSizeF() == pytest.approx(normal)
    click(qtbot, dialog.live.compact.stop_button)
    wait_until_idle(qtbot, dialog)


def test_retrain_from_the_menu_while_collapsed_expands_the_dialog(window, qtbot, with_mnist):
    dialog = open_dialog(window, qtbot)
    small_run(dialog, epochs=3)
    dialog.form.images.setCurrentIndex(3)
    click(qtbot, dialog.train_button)
    assert dialog.collapsed
    window.actions["retrain"].trigger()  # F5 again, or Model > Retrain…
    qtbot.waitUntil(dialog.isVisible)
    assert not dialog.collapsed and not dialog.bar.isVisible()
    assert dialog.training is not None  # the run goes on
    click(qtbot, dialog.cancel_button)
    wait_until_idle(qtbot, dialog)
    assert dialog.isVisible() and "Cancelled" in dialog.live.status.text()
