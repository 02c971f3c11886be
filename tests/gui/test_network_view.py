"""The conv block's panels: a click on a narrow panel, and the outline through re-layouts."""

from __future__ import annotations

import pytest
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
    """Where map ``tile`` is in the panel's grid now, as its outline frames it (a value
    is ``magnify`` image pixels across, the gap between maps one)."""
    h, w = (side * panel.magnify for side in panel.maps.shape[1:])
    tile_row, tile_col = divmod(tile, panel.cols)
    return QRectF(tile_col * (w + 1) - 0.5, tile_row * (h + 1) - 0.5, w + 1, h + 1)


def value_centre(panel, tile: int, row: int, col: int) -> QPointF:
    """The centre of one value of one map, in the panel's view coordinates."""
    m = panel.magnify
    h, w = panel.maps.shape[1] * m, panel.maps.shape[2] * m
    tile_row, tile_col = divmod(tile, panel.cols)
    return QPointF(tile_col * (w + 1) + (col + 0.5) * m, tile_row * (h + 1) + (row + 0.5) * m)


def click_value(panel, tile: int, row: int, col: int):
    """A real click on the screen pixel over one value; returns the value under it (in a
    narrow panel a screen pixel covers more than one value)."""
    scene = panel.view.mapViewToScene(value_centre(panel, tile, row, col))
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


def tip_over(panel, tile: int, row: int = 0, col: int = 0, gap: bool = False) -> str:
    """The tooltip shown when the pointer rests over one value of one tile (``gap``: on
    the gap right of that value, which is its map's last)."""
    centre = value_centre(panel, tile, row, col)
    if gap:
        centre.setX(centre.x() + (panel.magnify + 1) / 2)
    scene = panel.view.mapViewToScene(centre)
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
    assert tip_over(filters, 9, 0, 2, gap=True) == filters.toolTip()


def marked_cell(panel):
    """The value a panel outlines as on the route, as (tile, row, col), or None; checked
    against where its outline is drawn."""
    if not panel.cell_marker.isVisible():
        return None
    cell = panel.cell
    m = panel.magnify
    centre = value_centre(panel, cell.tile, cell.row, cell.col)
    assert panel.cell_marker.rect() == QRectF(centre.x() - m / 2, centre.y() - m / 2, m, m)
    return (cell.tile, cell.row, cell.col)


def route_marks(window) -> dict:
    """Everything the network view marks as on the route, by where it is."""
    view, end = window.network_view, window.network_view.end_view
    flat, dense = end.flat, end.dense
    return {
        "maps": marked_cell(view.feature_maps),
        "pooled": marked_cell(view.pooled),
        "filter": view.filters.marked if view.filters.marker.isVisible() else None,
        "flat": marked_cell(flat),
        "dense": marked_cell(dense),
        "logit": view.marked_logit if view.logit_mark.isVisible() else None,
        "share": view.probabilities.marked_bar,
    }


def expected_marks(window, found) -> dict:
    """What the network view should mark for the route ``found``: its value in the maps of
    the block shown, in flatten's and the dense grid's lists, the logit and the share."""
    view, network = window.network_view, window.viewer.network_shown
    nodes = {node.layer: node.position for node in found.nodes}
    block, end = window.viewer.block, view.end_view
    flat, unit = nodes.get(end.flatten_layer), nodes.get(end.dense_layer)
    share = nodes.get(len(network.layers))
    return {
        "maps": nodes.get(view._maps_layer()),
        "pooled": nodes.get(block.last),
        "filter": nodes[block.conv][0],
        "flat": (0, *divmod(flat[0], end.flat.maps.shape[2])) if flat else None,
        "dense": (0, *divmod(unit[0], end.dense.maps.shape[2])) if unit else None,
        "logit": nodes[len(network.layers) - 1][0],
        "share": share[0] if share and share[0] < 10 else None,
    }


def marks_in_sight(window) -> set[str]:
    """The route's marks in panels on screen now."""
    view, end = window.network_view, window.network_view.end_view
    panels = {
        "maps": view.feature_maps,
        "pooled": view.pooled,
        "filter": view.filters,
        "flat": end.flat,
        "dense": end.dense,
        "logit": end.logits,
        "share": view.probabilities,
    }
    marks = route_marks(window)
    return {name for name, panel in panels.items() if panel.isVisible() and marks[name] is not None}


def test_the_followed_route_is_drawn_on_the_network_view_stage_by_stage(window, qtbot):
    """The units and maps a followed value passes through are outlined, in the stage the
    follow panel walks to (Next/Previous turn the network view there too); closing the
    panel clears them."""
    from digitpad.core.explain import route

    window.resize(1280, 720)
    draw_seven(window, qtbot)
    settle(qtbot)
    view, detail = window.network_view, window.detail_dock.detail
    click_value(view.feature_maps, 4, 12, 14)
    qtbot.waitUntil(window.detail_dock.isVisible, timeout=2000)
    settle(qtbot)
    focus, network = window.viewer.focus, window.viewer.network_shown
    found = route(network, window.viewer.trace, focus.layer, (focus.channel, focus.row, focus.col))
    assert view.route.nodes == found.nodes == detail.route.nodes
    marks = route_marks(window)
    assert marks == expected_marks(window, found)
    assert marks["maps"] == found.nodes[0].position and marks["filter"] == focus.channel
    assert marks["pooled"] == found.nodes[2].position and marks["share"] is not None
    # The share's outline is as tall as its bar (a low box at the foot of one near 0).
    share = window.viewer.probabilities[marks["share"]]
    outline = view.probabilities.bar_marker.rect()
    assert outline.bottom() == pytest.approx(max(share, 0.06))
    seen = marks_in_sight(window)
    assert seen == {"maps", "pooled", "filter", "share"}
    while detail.next_button.isEnabled():  # walked with the keys, as a presenter does
        QTest.keyClick(window, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
        settle(qtbot)
        layers = [found.nodes[k].layer for k in found.pages[detail.page]]
        assert window.viewer.selected_layer in layers  # the network view shows the stage
        assert route_marks(window) == expected_marks(window, found), detail.page
        seen |= marks_in_sight(window)
    assert seen == {"maps", "pooled", "filter", "flat", "dense", "logit", "share"}
    # Back to conv2's block: its maps outline the route's conv2 value, not the click's.
    while window.viewer.selected_layer != 3:
        QTest.keyClick(window, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
        settle(qtbot)
    assert detail.page == 1 and window.viewer.block_index == 1
    assert route_marks(window)["maps"] == found.nodes[3].position
    assert route_marks(window) == expected_marks(window, found)
    # The input outlines the pixels that value reads (conv2's wider window), not the click's.
    top, left, bottom, right = network.receptive_field(3, *found.nodes[3].position[1:])
    field = view.network_input.field
    assert field.isVisible()
    assert field.rect() == QRectF(left, top, right - left + 1, bottom - top + 1)
    assert network.receptive_field(0, focus.row, focus.col) != (top, left, bottom, right)
    qtbot.mouseClick(detail.close_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    assert view.route is None
    assert all(mark is None for mark in route_marks(window).values())


def click_beside_the_maps(panel) -> None:
    """A real click on a narrow panel where it shows no map: below its grid of tiles,
    where most of a narrow column is (a newcomer's click at 1024 did nothing there)."""
    viewport = panel.plot.viewport()
    bottom = panel.view.mapViewToScene(QPointF(0, panel.image.height())).y()
    below = panel.plot.mapFromScene(QPointF(0, bottom)).y()
    assert below < viewport.height() - 20, "the grid fills the panel: no room beside it"
    position = QPointF(viewport.width() / 2, (below + viewport.height()) / 2).toPoint()
    assert panel.point_at(panel.plot.mapToScene(position)) is None
    QTest.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=position)


@pytest.mark.parametrize("where", ["beside", "heading"])
def test_a_click_anywhere_on_a_narrow_panel_at_1024_gives_it_the_room(window, qtbot, where):
    """The README's "a click on a narrow panel gives it the room", with real clicks at
    1024x600: on the filters column or maxpool1's, beside its tiny tiles or on its
    heading, the panel is enlarged and framed."""
    window.resize(1024, 570)
    draw_seven(window, qtbot)
    settle(qtbot)
    view = window.network_view
    for panel in (view.filters, view.pooled):
        strip = {b.text().split("\n")[0]: b for b in window.layer_strip.buttons}
        qtbot.mouseClick(strip["conv1 + relu"], Qt.MouseButton.LeftButton)
        settle(qtbot)
        assert panel.compact and view.focused_panel is view.feature_maps
        if where == "beside":
            click_beside_the_maps(panel)
        else:
            qtbot.mouseClick(panel.heading, Qt.MouseButton.LeftButton)
        settle(qtbot)
        assert view.focused_panel is panel and not panel.compact, panel.objectName()
        assert view.flash_frame.isVisible() and view.flash_frame.parentWidget() is panel
        assert window.viewer.focus is None  # no value is under the click: none followed


def value_px(panel) -> float:
    """Screen pixels across one value (one weight of a filter) of a map panel."""
    across = getattr(panel, "magnify", 1)  # image pixels a value is drawn as
    left = panel.view.mapViewToScene(QPointF(0, 0)).x()
    return panel.view.mapViewToScene(QPointF(across, 0)).x() - left


@pytest.mark.parametrize(
    ("size", "presenting"), [((1280, 690), False), ((1024, 570), False), ((1280, 690), True)]
)
def test_enlarged_filters_show_each_weight_at_least_16_px(window, qtbot, size, presenting):
    """conv1's 3x3 filters enlarged: each weight a square a class can see (at 1024 they
    were 15 px, a third of each tile's room going to the gaps between filters); narrow,
    each filter still larger than before (7 px at 1280)."""
    if presenting:
        window.actions["presentation"].trigger()
    window.resize(*size)
    draw_seven(window, qtbot)
    settle(qtbot)
    view = window.network_view
    narrow = value_px(view.filters) * 3
    assert narrow >= 7.5, narrow
    qtbot.mouseClick(view.filters.heading, Qt.MouseButton.LeftButton)
    settle(qtbot)
    assert view.focused_panel is view.filters
    assert value_px(view.filters) >= 16, value_px(view.filters)
    # A click on a weight still reads that weight.
    under = click_value(view.filters, 5, 2, 1)
    settle(qtbot)
    assert (under.tile, under.row, under.col) == (5, 2, 1)
    weight = float(view.filters.maps[5, 2, 1])
    assert f"filter 6, row 3, column 2: {weight:+.3f}" in view.filters.readout.text()
