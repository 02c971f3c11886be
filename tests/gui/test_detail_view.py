"""Follow one number: click a map value, read its arithmetic, and check every number
against the network's own forward pass."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from digitpad.core.explain import ConvStep, PoolStep
from digitpad.gui.detail_view import number

from .test_views import draw_seven, hover_feature_map


def click_map(panel, tile, row, col):
    """A real left click on one pixel of one tile of a map panel."""
    h, w = panel.maps.shape[1:]
    tile_row, tile_col = divmod(tile, panel.cols)
    scene = panel.view.mapViewToScene(
        QPointF(tile_col * (w + 1) + col + 0.5, tile_row * (h + 1) + row + 0.5)
    )
    point = panel.plot.mapFromScene(scene)
    QTest.mouseClick(panel.plot.viewport(), Qt.MouseButton.LeftButton, pos=point)


def shown_numbers(window) -> list[str]:
    return re.findall(r"[+-]\d+\.\d{3}|0\.000", window.detail_dock.detail.html)


def test_clicking_a_conv1_value_shows_its_arithmetic(window, qtbot):
    draw_seven(window, qtbot)
    view = window.network_view
    assert not window.detail_dock.isVisible()
    click_map(view.feature_maps, 9, 6, 15)
    qtbot.waitUntil(window.detail_dock.isVisible, timeout=2000)
    focus = window.viewer.focus  # the pixel under the click: screen pixels are coarse
    assert (focus.layer, focus.channel) == (0, 9)
    assert abs(focus.row - 6) <= 1 and abs(focus.col - 15) <= 1
    r, c = focus.row, focus.col
    steps = window.detail_dock.detail.steps
    conv, relu, pool = steps
    trace = window.viewer.trace
    assert conv.value == trace.steps[0].output[0, 9, r, c]
    assert conv.products.sum() + conv.bias == pytest.approx(conv.value, abs=1e-5)
    assert relu.after == trace.steps[1].output[0, 9, r, c]
    assert pool.value == trace.steps[2].output[0, 9, r // 2, c // 2]
    numbers = shown_numbers(window)
    for value in (float(conv.products.sum()), conv.bias, conv.value):
        assert number(value) in numbers  # the sum's lines
    for value in (relu.after, pool.value):
        assert number(value) in numbers
    # The same filter and maps are outlined together, and the input shows the window.
    for panel in (view.filters, view.feature_maps, view.pooled):
        assert panel.marker.isVisible()
    assert view.network_input.field.isVisible()


def test_a_conv2_value_lists_its_channel_contributions(window, qtbot):
    draw_seven(window, qtbot)
    view = window.network_view
    view.layer_selector.setCurrentIndex(1)
    click_map(view.feature_maps, 20, 6, 7)
    qtbot.waitUntil(window.detail_dock.isVisible, timeout=2000)
    conv = window.detail_dock.detail.steps[0]
    assert isinstance(conv, ConvStep) and conv.channel_sums.shape == (32,)
    assert conv.channel_sums.sum() + conv.bias == pytest.approx(conv.value, abs=1e-5)
    text = window.detail_dock.detail.html
    assert "32 input channels" in text and "the other 24" in text
    largest = int(np.argmax(np.abs(conv.channel_sums)))
    assert f"channel {largest + 1}" in text
    assert number(float(conv.channel_sums[largest])) in shown_numbers(window)


def test_a_pooled_value_is_followed_back_through_its_winner(window, qtbot):
    draw_seven(window, qtbot)
    click_map(window.network_view.pooled, 4, 5, 6)
    qtbot.waitUntil(window.detail_dock.isVisible, timeout=2000)
    *_, pool = window.detail_dock.detail.steps
    focus = window.viewer.focus
    assert isinstance(pool, PoolStep) and (pool.row, pool.col) == (focus.row, focus.col)
    assert focus.layer == 2 and focus.channel == 4
    conv = window.detail_dock.detail.steps[0]
    i, j = pool.winner
    assert (conv.row, conv.col) == (2 * focus.row + i, 2 * focus.col + j)
    assert pool.value == window.viewer.trace.steps[2].output[0, 4, focus.row, focus.col]


def test_the_followed_value_follows_the_drawing_and_closes(window, qtbot):
    draw_seven(window, qtbot)
    click_map(window.network_view.feature_maps, 2, 10, 10)
    qtbot.waitUntil(window.detail_dock.isVisible, timeout=2000)
    before = window.detail_dock.detail.steps
    from .conftest import draw_stroke, line

    draw_stroke(window.canvas, line((40, 140), (240, 140)))
    window.canvas_feed.update_now()
    # While drawing, the arithmetic follows at most four times a second.
    qtbot.waitUntil(lambda: window.detail_dock.detail.steps is not before, timeout=2000)
    after = window.detail_dock.detail.steps[0].value
    focus = window.viewer.focus
    assert after == window.viewer.trace.steps[0].output[0, 2, focus.row, focus.col]
    assert window.detail_dock.detail.steps is not before  # recomputed for the new drawing
    qtbot.mouseClick(window.detail_dock.detail.close_button, Qt.MouseButton.LeftButton)
    assert window.viewer.focus is None and not window.detail_dock.isVisible()
    assert not window.network_view.network_input.field.isVisible()


def test_hovering_filter_n_outlines_map_n_everywhere(window, qtbot):
    draw_seven(window, qtbot)
    view = window.network_view
    filters = view.filters
    h, w = filters.maps.shape[1:]
    tile_row, tile_col = divmod(13, filters.cols)
    scene = filters.view.mapViewToScene(QPointF(tile_col * (w + 1) + 1.5, tile_row * (h + 1) + 1.5))
    filters._on_scene_mouse_moved(scene)
    for panel in (view.feature_maps, view.pooled):
        assert panel.marker.isVisible()
        rect = panel.marker.rect()
        mh, mw = panel.maps.shape[1:]
        assert (round(rect.x() + 0.5), round(rect.y() + 0.5)) == (
            tile_col * (mw + 1),
            tile_row * (mh + 1),
        )
    hover_feature_map(view, 3, 2, 2)  # pointing at map 4 moves every outline to 4
    assert view.filters.marker.rect().x() + 0.5 == pytest.approx(3 * (w + 1))


def test_the_clicked_map_is_shown_large_and_can_be_read_and_clicked(window, qtbot):
    window.resize(1280, 720)
    draw_seven(window, qtbot)
    click_map(window.network_view.feature_maps, 5, 12, 12)
    qtbot.waitUntil(window.detail_dock.isVisible, timeout=2000)
    qtbot.wait(50)
    enlarged = window.detail_dock.detail.map_view
    assert enlarged.isVisible() and enlarged.maps.shape == (1, 28, 28)
    focus = window.viewer.focus
    np.testing.assert_array_equal(enlarged.maps[0], window.viewer.output(0)[focus.channel])
    assert enlarged.view.sceneBoundingRect().width() >= 280  # drawn at least 280 px wide
    click_map(enlarged, 0, 20, 5)  # follow another value of the same map
    new = window.viewer.focus
    assert (new.layer, new.channel) == (focus.layer, focus.channel)
    assert abs(new.row - 20) <= 1 and abs(new.col - 5) <= 1
    hover_feature_map_at = enlarged.view.mapViewToScene(QPointF(3.5, 4.5))
    enlarged._on_scene_mouse_moved(hover_feature_map_at)
    assert window.viewer.hover.row == 4 and window.viewer.hover.col == 3
    assert enlarged.readout.text().startswith("row 5, column 4:")  # counted from 1


def test_export_panels_includes_the_followed_value(window, qtbot, tmp_path, monkeypatch):
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QFileDialog

    draw_seven(window, qtbot)
    target = tmp_path / "panels.png"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), ""))
    )
    window.actions["export_panels"].trigger()
    alone = QImage(str(target)).width()
    click_map(window.network_view.feature_maps, 1, 10, 10)
    qtbot.waitUntil(window.detail_dock.isVisible, timeout=2000)
    window.actions["export_panels"].trigger()
    with_detail = QImage(str(target))
    assert with_detail.width() >= window.network_view.width() + window.detail_dock.width()
    assert with_detail.width() > alone - 100  # the panels are still there, beside it


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (-0.0, "0.000"),
        (-0.0004, "0.000"),
        (0.0004, "0.000"),
        (1.23456, "+1.235"),
        (-12.5, "-12.500"),
    ],
)
def test_one_number_format_and_no_negative_zero(value, text):
    assert number(value) == text


def test_every_number_shown_has_three_decimals_and_none_is_negative_zero(window, qtbot):
    draw_seven(window, qtbot)
    # Filter 10 at the top of the 7's bar: a window of blank paper times negative weights,
    # whose products are negative zeros.
    click_map(window.network_view.feature_maps, 9, 6, 15)
    qtbot.waitUntil(window.detail_dock.isVisible, timeout=2000)
    text = window.detail_dock.detail.html
    decimals = re.findall(r"[+-]?\d+\.\d+", text)
    assert len(decimals) > 30
    assert all(len(d.split(".")[1]) == 3 for d in decimals), sorted(set(decimals))
    assert not re.search(r"-0\.0+(?!\d*[1-9])", text)


def test_rows_and_columns_count_from_one_like_the_maps(window, qtbot):
    draw_seven(window, qtbot)
    view = window.network_view
    click_map(view.feature_maps, 9, 6, 15)
    qtbot.waitUntil(window.detail_dock.isVisible, timeout=2000)
    focus = window.viewer.focus
    text = window.detail_dock.detail.html
    assert f"map 10, row {focus.row + 1}, column {focus.col + 1}</h3>" in text
    conv, _, pool = window.detail_dock.detail.steps
    assert f"rows {conv.top + 1}..{conv.top + 3}, columns {conv.left + 1}..{conv.left + 3}" in text
    assert f"row {pool.row + 1}, column {pool.col + 1} of the pooled map" in text
    hover_feature_map(view, 1, 5, 6)  # the panels' read-out counts the same way
    assert view.feature_maps.readout.text().startswith("map 2, row 6, column 7:")
    assert "count from 1" in window.detail_dock.detail.map_view.toolTip()


def test_layers_are_named_as_the_strip_names_them(window, qtbot):
    draw_seven(window, qtbot)
    view = window.network_view
    view.after_activation.setChecked(True)
    click_map(view.feature_maps, 3, 10, 10)
    qtbot.waitUntil(window.detail_dock.isVisible, timeout=2000)
    text = window.detail_dock.detail.html
    assert "<h3>conv1 + relu, map 4," in text and "<b>conv1 + relu</b> (relu)" in text
    assert "relu1" not in text
    assert window.detail_dock.detail.map_view.heading.text() == "conv1 + relu, map 4"
    window.viewer.clear_focus()
    strip = {b.text().split("\n")[0]: b for b in window.layer_strip.buttons}
    qtbot.mouseClick(strip["dense1 + relu"], Qt.MouseButton.LeftButton)
    click_map(view.end_view.dense, 0, 2, 3)
    qtbot.waitUntil(window.detail_dock.isVisible, timeout=2000)
    text = window.detail_dock.detail.html
    assert "<b>dense1 + relu</b> (relu)" in text and "relu3" not in text


def outlined_cell(html_text: str) -> str:
    """The text of the one table cell drawn with an outline."""
    (cell,) = re.findall(r"<td[^>]*border:[^>]*>(.*?)</td>", html_text)
    return re.sub(r"<[^>]+>", "", cell)


def test_the_pooling_window_outlines_the_followed_cell(window, qtbot):
    draw_seven(window, qtbot)
    view = window.network_view
    click_map(view.feature_maps, 9, 7, 16)
    qtbot.waitUntil(window.detail_dock.isVisible, timeout=2000)
    focus = window.viewer.focus
    *_, pool = window.detail_dock.detail.steps
    assert pool.followed == (focus.row % 2, focus.col % 2)
    cell = float(pool.values[focus.row % 2, focus.col % 2])
    assert cell == window.viewer.output(1)[9, focus.row, focus.col]
    assert outlined_cell(window.detail_dock.detail.html) == number(cell)
    window.viewer.clear_focus()
    click_map(view.pooled, 4, 5, 6)  # from a pooled value: back through the winner
    qtbot.waitUntil(window.detail_dock.isVisible, timeout=2000)
    *_, pool = window.detail_dock.detail.steps
    assert pool.followed == pool.winner
    assert outlined_cell(window.detail_dock.detail.html) == number(pool.values[pool.winner])
