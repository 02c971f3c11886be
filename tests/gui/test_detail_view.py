"""Follow one number: click a map value, read its arithmetic, and check every number
against the network's own forward pass."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from digitpad.core.explain import (
    ActivationStep,
    ConvStep,
    DenseStep,
    FlattenStep,
    PoolStep,
    SoftmaxStep,
    step_value,
)
from digitpad.gui.detail_view import number

from .test_views import draw_seven, hover_feature_map


def click_map(panel, tile, row, col):
    """A real left click on one pixel of one tile of a map panel (a value is
    ``magnify`` image pixels across, the gap between maps one)."""
    m = panel.magnify
    h, w = panel.maps.shape[1] * m, panel.maps.shape[2] * m
    tile_row, tile_col = divmod(tile, panel.cols)
    scene = panel.view.mapViewToScene(
        QPointF(tile_col * (w + 1) + (col + 0.5) * m, tile_row * (h + 1) + (row + 0.5) * m)
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
    m = filters.magnify  # image pixels across a weight
    h, w = filters.maps.shape[1] * m, filters.maps.shape[2] * m
    tile_row, tile_col = divmod(13, filters.cols)
    scene = filters.view.mapViewToScene(
        QPointF(tile_col * (w + 1) + 1.5 * m, tile_row * (h + 1) + 1.5 * m)
    )
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


# -- the whole way: one stage at a time, forward and back -------------------------------------


def node_value(trace, node):
    if node.layer == len(trace.steps):
        return float(trace.probabilities[0][node.position[0]])
    return float(trace.steps[node.layer].output[0][node.position])


def check_page(window):
    """The stage shown: each of its steps is the route's, its value the forward pass's
    and written in the panel; its sum adds up."""
    detail = window.detail_dock.detail
    trace, route = window.viewer.trace, detail.route
    members = route.pages[detail.page]
    assert detail.steps == [route.steps[k] for k in members]
    text, numbers = detail.html, shown_numbers(window)
    for k in members:
        node, step = route.nodes[k], route.steps[k]
        value = node_value(trace, node)
        assert step_value(step) == pytest.approx(value, abs=1e-6)
        if isinstance(step, SoftmaxStep):
            share = step.shifted_exps[step.digit] / step.total
            assert share == pytest.approx(value, abs=1e-5)
            assert f"<b>{share:.3f}</b>" in text
            continue
        assert number(value) in numbers, (type(step).__name__, value)
        if isinstance(step, (ConvStep, DenseStep)):
            total = step.products.sum() + step.bias
            assert total == pytest.approx(step.value, rel=1e-5, abs=1e-5)
            assert number(float(step.products.sum())) in numbers
    # Stage k of n, and the buttons that lead on and back.
    count = len(route.pages)
    assert detail.stage_label.text().startswith(f"Stage {detail.page + 1} of {count}")
    assert detail.previous_button.isEnabled() == (detail.page > 0)
    assert detail.next_button.isEnabled() == (detail.page < count - 1)


@pytest.mark.parametrize("model", ["default", "classic"])
def test_a_map_value_followed_through_every_stage_to_the_softmax_and_back(
    model, qtbot, settings, dialogs, library_folder
):
    from .conftest import open_window

    window = open_window(qtbot, settings, library_folder, model=model)
    draw_seven(window, qtbot)
    click_map(window.network_view.feature_maps, 4, 8, 14)
    qtbot.waitUntil(window.detail_dock.isVisible, timeout=2000)
    detail = window.detail_dock.detail
    assert detail.page == detail.route.start == 0  # the clicked value's conv block
    check_page(window)
    seen = [type(s) for s in detail.steps]
    while detail.next_button.isEnabled():  # the real button, stage after stage
        qtbot.mouseClick(detail.next_button, Qt.MouseButton.LeftButton)
        check_page(window)
        seen += [type(s) for s in detail.steps]
    assert isinstance(detail.steps[-1], SoftmaxStep)
    assert "softmax" in detail.stage_label.text()
    expected = [FlattenStep, DenseStep, SoftmaxStep]
    if model == "default":
        expected = [ConvStep, ActivationStep, PoolStep] * 2 + [
            FlattenStep, DenseStep, ActivationStep, DenseStep, SoftmaxStep,
        ]  # fmt: skip
    else:
        expected = [ConvStep, PoolStep, *expected]
    assert seen == expected
    # The way on shows where each value goes: conv2 reads a pooled value with every filter.
    if model == "default":
        detail.go_to_page(1)
        assert "reads it in every one of its 64 filters" in detail.html
        assert "Followed (tinted)" in detail.html
        detail.go_to_page(len(detail.route.pages) - 1)
    # And back with the keys, stage by stage, to the first.
    pages = len(detail.route.pages)
    for page in range(pages - 2, -1, -1):
        QTest.keyClick(window, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
        assert detail.page == page
        check_page(window)
    QTest.keyClick(window, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert detail.page == 0  # no further back than the first layer
    QTest.keyClick(window, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert detail.page == 1
    assert window.viewer.focus.layer == 0  # walking moves the page, not the value clicked


def click_bar(plot, digit):
    """A real left click on the middle of a bar of a pyqtgraph bar chart."""
    box = plot.getPlotItem().getViewBox()
    (_, _), (low, high) = box.viewRange()
    scene = box.mapViewToScene(QPointF(digit, (low + high) / 2))
    QTest.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, pos=plot.mapFromScene(scene))


def test_a_softmax_bar_or_a_logit_is_followed_back_to_a_map_value(window, qtbot):
    draw_seven(window, qtbot)
    digit = int(window.viewer.probabilities.argmax())
    click_bar(window.network_view.probabilities, digit)
    qtbot.waitUntil(window.detail_dock.isVisible, timeout=2000)
    detail = window.detail_dock.detail
    network = window.viewer.network_shown
    last = len(network.layers) - 1
    focus = window.viewer.focus
    assert (focus.layer, focus.channel) == (last, digit)
    (softmax,) = detail.steps
    assert isinstance(softmax, SoftmaxStep) and softmax.digit == digit
    assert detail.page == len(detail.route.pages) - 1
    check_page(window)
    # Back: the logit, its largest contributions, and on back to a map value.
    qtbot.mouseClick(detail.previous_button, Qt.MouseButton.LeftButton)
    (logit,) = detail.steps
    assert isinstance(logit, DenseStep) and logit.unit == digit and logit.layer == last
    assert logit.followed == logit.order[0]
    assert "The largest products" in detail.html and "Tinted: the value followed" in detail.html
    check_page(window)
    while detail.previous_button.isEnabled():
        qtbot.mouseClick(detail.previous_button, Qt.MouseButton.LeftButton)
        check_page(window)
        assert "On the way back" in detail.html
    conv, _, pool = detail.steps
    assert isinstance(conv, ConvStep) and conv.layer == 0 and pool.followed == pool.winner
    assert detail.map_view.isVisible()
    # A logit bar: the dense2 stage of the network's end.
    window.viewer.clear_focus()
    strip = {b.text().split("\n")[0]: b for b in window.layer_strip.buttons}
    qtbot.mouseClick(strip["dense2"], Qt.MouseButton.LeftButton)
    logits = window.network_view.end_view.logits
    qtbot.waitUntil(logits.isVisible, timeout=2000)
    qtbot.wait(50)
    other = (digit + 3) % 10
    click_bar(logits, other)
    qtbot.waitUntil(window.detail_dock.isVisible, timeout=2000)
    (logit,) = detail.steps
    assert isinstance(logit, DenseStep) and logit.unit == other
    assert f"dense2, the logit of digit {other}</h3>" in detail.html
    check_page(window)


def test_a_softmax_bar_clicked_on_another_stage_takes_the_window_to_softmax(window, qtbot):
    """Reproduced fault: with dense1 shown, a click on a softmax bar opened the panel at
    the softmax stage while the strip and the middle panel stayed on dense1."""
    draw_seven(window, qtbot)
    strip = {b.text().split("\n")[0]: b for b in window.layer_strip.buttons}
    qtbot.mouseClick(strip["dense1 + relu"], Qt.MouseButton.LeftButton)
    end = window.network_view.end_view
    qtbot.waitUntil(end.dense.isVisible, timeout=2000)
    digit = int(window.viewer.probabilities.argmax())
    click_bar(window.network_view.probabilities, digit)
    qtbot.waitUntil(window.detail_dock.isVisible, timeout=2000)
    softmax = len(window.viewer.network_shown.layers)  # the strip's softmax stage
    assert window.viewer.selected_layer == softmax
    assert strip["softmax"].isChecked()
    assert end.pages.currentWidget() is end.softmax_page


def cut_text(browser) -> list[str]:
    """Text of the browser's page drawn wider than its room: a line longer than its
    table cell or paragraph, a block reaching past the viewport, or a number or a word
    broken over two lines (a table squeezed below its numbers' or its headers' width)."""
    document, room = browser.document(), browser.viewport().width()
    layout = document.documentLayout()
    cut = []
    block = document.begin()
    while block.isValid():
        text, lines = block.text(), block.layout()
        # Qt leaves an empty block after each table, laid out beside it: nothing to cut.
        if text.strip():
            if layout.blockBoundingRect(block).right() > room + 1:
                cut.append(text)
            for i in range(lines.lineCount()):
                if lines.lineAt(i).naturalTextWidth() > lines.lineAt(i).width() + 0.5:
                    cut.append(text)
            if re.fullmatch(r"[=×]?\s*[+-]?\d+\.\d+", text.strip()) and lines.lineCount() > 1:
                cut.append(text)
            # One word over two lines: broken inside it (a header "share" read "sh / ar").
            if " " not in text.strip() and lines.lineCount() > 1:
                cut.append(text)
        block = block.next()
    return cut


@pytest.mark.parametrize("width", [360, 330, 300])
def test_the_softmax_table_breaks_no_word_in_a_narrow_panel(window, qtbot, width):
    """Reproduced fault: at 1024 in presentation mode the follow panel's softmax table
    broke its header "share" as "sh / ar / e" and its numbers as "0.0 / 00"."""
    window.actions["presentation"].trigger()
    window.showNormal()
    window.resize(1024, 600)
    qtbot.wait(50)
    draw_seven(window, qtbot)
    click_bar(window.network_view.probabilities, 7)
    qtbot.waitUntil(window.detail_dock.isVisible, timeout=2000)
    qtbot.wait(100)  # the dock takes its place first, then the width asked of it
    window.resizeDocks([window.detail_dock], [width], Qt.Orientation.Horizontal)
    qtbot.wait(100)
    detail = window.detail_dock.detail
    assert isinstance(detail.steps[0], SoftmaxStep)
    assert not cut_text(detail.text), cut_text(detail.text)[:5]
    assert not detail.text.horizontalScrollBar().isVisible()
    assert "share</th>" in detail.html and "0.000" in detail.html  # the table still there


@pytest.mark.parametrize("presenting", [True, False])
@pytest.mark.parametrize("size", [(1024, 600), (1280, 720)])
def test_every_stage_fits_the_panel(window, qtbot, size, presenting):
    """No table wider than the panel, in presentation mode's type too: side by side only
    when two fit, else one under the other; long lists wrap their names."""
    if presenting:
        window.actions["presentation"].trigger()
    window.resize(*size)
    draw_seven(window, qtbot)
    click_map(window.network_view.feature_maps, 9, 6, 15)
    qtbot.waitUntil(window.detail_dock.isVisible, timeout=2000)
    qtbot.wait(100)  # the dock takes its share of the window
    detail = window.detail_dock.detail
    assert window.width() <= size[0]
    for page in range(len(detail.route.pages)):
        detail.go_to_page(page)
        qtbot.wait(20)
        assert not cut_text(detail.text), (page, cut_text(detail.text)[:3])
        assert not detail.text.horizontalScrollBar().isVisible(), page
        for button in (detail.previous_button, detail.next_button):
            hint = button.fontMetrics().horizontalAdvance(button.text())
            assert button.width() >= hint, button.text()  # the label whole


def test_a_button_that_leads_nowhere_looks_disabled_in_presentation_mode(window, qtbot):
    """Black on white for a projector, but the first stage's Previous still reads as
    unavailable (the high-contrast palette painted disabled text black too)."""
    from PySide6.QtGui import QPalette

    window.actions["presentation"].trigger()
    draw_seven(window, qtbot)
    click_map(window.network_view.feature_maps, 9, 6, 15)
    qtbot.waitUntil(window.detail_dock.isVisible, timeout=2000)
    detail = window.detail_dock.detail
    assert not detail.previous_button.isEnabled() and detail.next_button.isEnabled()
    palette = detail.previous_button.palette()
    role = QPalette.ColorRole.ButtonText
    disabled = palette.color(QPalette.ColorGroup.Disabled, role)
    enabled = palette.color(QPalette.ColorGroup.Active, role)
    assert abs(disabled.lightness() - enabled.lightness()) >= 80


def test_the_way_on_says_why_it_passes_over_a_unit_that_is_off(window, qtbot):
    """A value helps most a unit whose ReLU is off (0 after it): the route goes into the
    one it helps most of those that are on, and the panel says why."""
    from digitpad.core.explain import route

    draw_seven(window, qtbot)
    network, trace = window.viewer.network_shown, window.viewer.trace
    found, page = None, None
    for channel in range(32):  # a conv1 value whose way on passes over an off unit
        candidate = route(network, trace, 0, (channel, 12, 14))
        for k, fanout in enumerate(candidate.fanouts):
            if fanout is not None and fanout.chosen != fanout.order[0]:
                found = candidate
                page = next(p for p, members in enumerate(candidate.pages) if k in members)
                break
        if found is not None:
            break
    assert found is not None, "no route on the drawn 7 passes over a unit at 0"
    window.viewer.set_focus(0, *found.nodes[0].position)
    qtbot.waitUntil(window.detail_dock.isVisible, timeout=2000)
    detail = window.detail_dock.detail
    assert detail.route.nodes == found.nodes
    detail.go_to_page(page)
    assert "0 after the activation (switched off)" in detail.html
    assert "Followed (tinted)" in detail.html


@pytest.mark.parametrize("size", [(1280, 720), (1024, 600)])
def test_the_walk_buttons_stay_in_one_place_at_every_stage(window, qtbot, size):
    """Clicking Next stage again and again in one place walks the whole route: the
    buttons were under the map at a conv stage and jumped up 300 px from flatten on."""
    window.resize(*size)
    draw_seven(window, qtbot)
    click_map(window.network_view.feature_maps, 9, 6, 15)
    qtbot.waitUntil(window.detail_dock.isVisible, timeout=2000)
    qtbot.wait(50)
    detail = window.detail_dock.detail

    def places() -> tuple:
        QApplication.processEvents()
        return tuple(
            button.mapTo(window, button.rect().center()).toTuple()
            for button in (detail.previous_button, detail.next_button)
        )

    first = places()
    while detail.next_button.isEnabled():
        # A real click where the button was on the first stage, on whatever is there now.
        spot = QPoint(*first[1])
        target = window.childAt(spot)
        assert target is not None
        QTest.mouseClick(target, Qt.MouseButton.LeftButton, pos=target.mapFrom(window, spot))
        assert places() == first, f"stage {detail.page + 1}: {places()}, not {first}"
    assert detail.page == len(detail.route.pages) - 1


def test_the_way_into_the_logits_prefers_the_answer_or_says_why_not(window, qtbot):
    """Followed on into the logits, a value that adds to the answer's logit goes there;
    one that pulls away from the answer ends at another digit, and the panel says so in
    plain words (the route ending at "the share of digit 2" looked like a mistake)."""
    from digitpad.core.explain import Node, explain_fanout

    draw_seven(window, qtbot)
    network, trace = window.viewer.network_shown, window.viewer.trace
    answer = int(trace.logits[0].argmax())
    relu = len(network.layers) - 2
    helping = against = None
    for unit in np.flatnonzero(trace.steps[relu].output[0]):
        fanout = explain_fanout(network, trace, Node(relu, (int(unit),)))
        top = int(fanout.order[0])
        if top != answer and fanout.products[answer] > 0 and helping is None:
            helping = int(unit)
        if top != answer and fanout.products[answer] <= 0 and against is None:
            against = (int(unit), top, float(fanout.products[answer]))
    assert helping is not None and against is not None
    detail = window.detail_dock.detail
    window.viewer.set_focus(relu, helping, 0, 0)
    qtbot.waitUntil(window.detail_dock.isVisible, timeout=2000)
    qtbot.mouseClick(detail.next_button, Qt.MouseButton.LeftButton)
    assert f"logit of digit {answer}, the digit the network answered" in detail.html
    assert "pushes towards" in detail.html
    qtbot.mouseClick(detail.next_button, Qt.MouseButton.LeftButton)
    assert f"softmax, the share of digit {answer}</h3>" in detail.html
    unit, top, product = against
    window.viewer.set_focus(relu, unit, 0, 0)
    qtbot.mouseClick(detail.next_button, Qt.MouseButton.LeftButton)
    why = (
        f"This value pushes towards {top} most; the answer {answer} gets {number(product)} from it"
    )
    assert why in detail.html
    qtbot.mouseClick(detail.next_button, Qt.MouseButton.LeftButton)
    assert f"softmax, the share of digit {top}</h3>" in detail.html
    assert why in detail.html  # said again where the route ends


def test_in_the_drawings_place_the_panel_shows_the_drawing_and_its_answer(window, qtbot):
    """At 1024 the panel takes the drawing's column: a small copy of the drawing and the
    answer at its top keep them in sight while one explains; at 1280, beside the
    drawing, no copy."""
    detail = window.detail_dock.detail
    window.resize(1280, 690)
    draw_seven(window, qtbot)
    click_map(window.network_view.feature_maps, 9, 6, 15)
    qtbot.waitUntil(window.detail_dock.isVisible, timeout=2000)
    qtbot.wait(50)
    assert window.drawing.isVisible() and not detail.answer_row.isVisible()
    qtbot.mouseClick(detail.close_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.detail_dock.isVisible(), timeout=2000)
    qtbot.wait(50)
    window.resize(1024, 570)
    qtbot.wait(50)
    assert window.width() == 1024
    click_map(window.network_view.feature_maps, 9, 6, 15)
    qtbot.waitUntil(window.detail_dock.isVisible, timeout=2000)
    qtbot.wait(50)
    assert not window.drawing.isVisible()
    assert detail.answer_row.isVisible()
    verdict = window.viewer.verdict
    assert f"{verdict.digit}" in detail.answer_text.text()
    assert f"{verdict.confidence:.0%}" in detail.answer_text.text()
    drawing = detail.answer_image.pixmap()
    assert not drawing.isNull() and drawing.width() >= 48
    # The copy is the drawing: bright where the stroke is, on black.
    image = drawing.toImage()
    lightness = [image.pixelColor(x, y).lightness() for x in range(48) for y in range(48)]
    assert max(lightness) > 200 and image.pixelColor(1, 1).lightness() < 30
    # And it follows the drawing: cleared, the copy is black and the answer asks for one.
    window.canvas.clear()
    window.canvas_feed.update_now()
    qtbot.wait(300)
    image = detail.answer_image.pixmap().toImage()
    assert max(image.pixelColor(x, y).lightness() for x in range(48) for y in range(48)) < 30
    assert "Draw a digit" in detail.answer_text.text()


def shown_value(step) -> str:
    if isinstance(step, SoftmaxStep):
        return f"{step_value(step):.3f}"
    return number(step_value(step))


@pytest.mark.parametrize("height", [570, 600])
def test_in_presentation_mode_at_1024_each_stage_shows_its_value_without_scrolling(
    window, qtbot, height
):
    """The sum first: a class sees what each stage computes before its tables (at 1024
    in presentation mode only the input window showed, and the sum needed scrolling)."""
    window.actions["presentation"].trigger()
    window.resize(1024, height)
    draw_seven(window, qtbot)
    click_map(window.network_view.feature_maps, 9, 6, 15)
    qtbot.waitUntil(window.detail_dock.isVisible, timeout=2000)
    qtbot.wait(100)
    detail = window.detail_dock.detail
    for page in range(len(detail.route.pages)):
        detail.go_to_page(page)
        qtbot.wait(20)
        document, room = detail.text.document(), detail.text.viewport().height()
        assert detail.text.verticalScrollBar().value() == 0
        last = detail.steps[-1]
        block, seen = document.begin(), None
        while block.isValid() and seen is None:
            if f"= {shown_value(last)}" in block.text():
                seen = document.documentLayout().blockBoundingRect(block)
            block = block.next()
        assert seen is not None, (page, shown_value(last))
        assert seen.bottom() <= room, (page, seen.bottom(), room)
