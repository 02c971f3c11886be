"""The conv block's panels: a click on a narrow panel, and the outline through re-layouts."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QToolTip

from .test_views import draw_seven


def settle(qtbot):
    for _ in range(4):
        QApplication.processEvents()
        qtbot.wait(20)


def tile_rect(panel, tile: int) -> QRectF:
    """Where map ``tile`` is in the panel's grid now, as its outline frames it."""
    h, w = panel.maps.shape[1:]
    tile_row, tile_col = divmod(tile, panel.cols)
    return QRectF(tile_col * (w + 1) - 0.5, tile_row * (h + 1) - 0.5, w + 1, h + 1)


def click_value(panel, tile: int, row: int, col: int):
    """A real click on the screen pixel over one value; returns the value under it (in a
    narrow panel a screen pixel covers more than one value)."""
    h, w = panel.maps.shape[1:]
    tile_row, tile_col = divmod(tile, panel.cols)
    scene = panel.view.mapViewToScene(
        QPointF(tile_col * (w + 1) + col + 0.5, tile_row * (h + 1) + row + 0.5)
    )
    position = panel.plot.mapFromScene(scene)
    under = panel.point_at(panel.plot.mapToScene(position))
    QTest.mouseClick(panel.plot.viewport(), Qt.MouseButton.LeftButton, pos=position)
    return under


def test_a_click_on_a_narrow_maps_panel_follows_that_value_and_enlarges_it(window, qtbot):
    window.resize(1280, 720)
    draw_seven(window, qtbot)
    settle(qtbot)
    view = window.network_view
    pooled = view.pooled
    assert pooled.compact and view.focused_panel is view.feature_maps
    under = click_value(pooled, 20, 3, 4)
    settle(qtbot)
    focus = window.viewer.focus
    assert (focus.layer, focus.channel, focus.row, focus.col) == (
        2,
        under.tile,
        under.row,
        under.col,
    )
    # The panel clicked gets the room, as a narrow filters panel does, so the value
    # followed can be seen; the strip shows its stage.
    assert view.focused_panel is pooled and not pooled.compact and view.feature_maps.compact
    strip = {b.text().split("\n")[0]: b for b in window.layer_strip.buttons}
    assert strip["maxpool1"].isChecked()
    # The follow panel opened and the grids were laid out again: the outline is on the
    # map followed in every panel, not where that map used to be.
    assert window.detail_dock.isVisible()
    for panel in (view.filters, view.feature_maps, pooled):
        assert panel.marker.isVisible() and panel.marker.rect() == tile_rect(panel, 20)


def test_a_click_on_the_narrow_filters_panel_enlarges_it_and_marks_that_filter(window, qtbot):
    window.resize(1280, 720)
    draw_seven(window, qtbot)
    settle(qtbot)
    view = window.network_view
    assert view.filters.compact
    under = click_value(view.filters, 6, 1, 1)
    settle(qtbot)
    assert view.focused_panel is view.filters and not view.filters.compact
    for panel in (view.filters, view.feature_maps, view.pooled):
        assert panel.marker.isVisible() and panel.marker.rect() == tile_rect(panel, under.tile)
    weights = view.filters.maps[under.tile]
    assert view.filters.readout.text().startswith(f"filter {under.tile + 1}, ")
    assert f"{weights[under.row, under.col]:+.3f}" in view.filters.readout.text()
    # A map value clicked next takes the outline to its own map.
    click_value(view.feature_maps, 2, 10, 10)
    settle(qtbot)
    assert view.feature_maps.marker.rect() == tile_rect(view.feature_maps, 2)


def tip_over(panel, tile: int, row: int = 0, col: int = 0) -> str:
    """The tooltip shown when the pointer rests over one value of one tile."""
    h, w = panel.maps.shape[1:]
    tile_row, tile_col = divmod(tile, panel.cols)
    scene = panel.view.mapViewToScene(
        QPointF(tile_col * (w + 1) + col + 0.5, tile_row * (h + 1) + row + 0.5)
    )
    viewport = panel.plot.viewport()
    position = panel.plot.mapFromScene(scene)
    QToolTip.hideText()
    QApplication.sendEvent(
        viewport, QHelpEvent(QEvent.Type.ToolTip, position, viewport.mapToGlobal(position))
    )
    return QToolTip.text()


def test_the_filters_say_what_a_tile_is_and_that_a_click_watches_it(window, qtbot):
    """conv2's tiles are means over its 32 input channels: the panel says so; each tile's
    tooltip names its filter and says a click watches that convolution."""
    window.resize(1280, 720)
    draw_seven(window, qtbot)
    settle(qtbot)
    view = window.network_view
    filters = view.filters
    # conv1: one input channel, the tiles are the weights themselves.
    assert "mean" not in filters.toolTip() and "mean" not in filters.heading.text()
    tip = tip_over(filters, 4, 1, 1)
    assert tip.startswith("conv1 filter 5: its 3×3 weights") and "mean" not in tip
    assert "Watch a Convolution" in tip and "enlarge" in tip  # compact: a click enlarges
    click_value(filters, 4, 1, 1)
    settle(qtbot)
    tip = tip_over(filters, 4, 1, 1)
    assert "Click to watch filter 5 of conv1 slide over its input" in tip
    assert "(View > Watch a Convolution…)" in tip and "enlarge" not in tip
    # conv2: each tile a mean, said in the heading (compact too) and the tooltips.
    view.layer_selector.setCurrentIndex(1)
    settle(qtbot)
    assert filters.compact and "means" in filters.heading.text()
    assert "mean of its 32 channels' weights" in filters.toolTip()
    tip = tip_over(filters, 9)
    assert tip.startswith("conv2 filter 10: the mean of its 32 channels' weights")
    assert "Watch a Convolution" in tip
    click_value(filters, 9, 0, 0)
    settle(qtbot)
    assert not filters.compact
    assert "mean of 32 channels' weights" in filters.heading.text()
    tip = tip_over(filters, 9)
    assert "Click to watch filter 10 of conv2 slide over its input" in tip
    assert "one channel at a time" in tip
    # Off the tiles (a grid's gap), the panel's own tooltip.
    assert tip_over(filters, 9, 0, 3) == filters.toolTip()  # column 4 of 3: the gap
