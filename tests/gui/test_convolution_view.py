"""View > Watch a Convolution: a filter slides over the user's drawing (or the pooled maps)
and builds the network's own feature map, driven by real clicks and keys."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from digitpad.core.architectures import ConvChoice, custom_spec
from digitpad.core.convolution import conv_layers
from digitpad.core.network import Network

from .conftest import draw_stroke, line

SCREENS = ((1280, 720), (1024, 600))


def draw_t(window) -> None:
    draw_stroke(window.canvas, line((140, 40), (140, 240)))
    draw_stroke(window.canvas, line((80, 60), (200, 60)))
    window.canvas_feed.update_now()


def open_view(window, qtbot):
    window.actions["watch_convolution"].trigger()
    view = window.convolution.view
    qtbot.waitExposed(view)
    return view


def click_map(panel, tile, row, col):
    """A real left click on one pixel of one tile of a map panel."""
    scene = panel.view.mapViewToScene(panel.value_rect(tile, row, col).center())
    point = panel.plot.mapFromScene(scene)
    QTest.mouseClick(panel.plot.viewport(), Qt.MouseButton.LeftButton, pos=point)


def shown_scale(panel) -> float:
    rect = panel.view.viewRect()
    return min(panel.view.width() / rect.width(), panel.view.height() / rect.height())


@pytest.mark.parametrize("model", ["default", "classic"])
def test_playing_to_the_end_builds_the_traces_feature_map(window, qtbot, model):
    if model != "default":
        window.model_menu.bundled_actions[model].trigger()
    draw_t(window)
    view = open_view(window, qtbot)
    network, trace = window.viewer.network_shown, window.viewer.trace
    assert view.layers == conv_layers(network)
    for layer in view.layers:
        view.layer_box.setCurrentIndex(view.layers.index(layer))
        view.filter_box.setValue(3)
        view.speed.setValue(view.speed.maximum())
        qtbot.mouseClick(view.play_button, Qt.MouseButton.LeftButton)
        assert view.playing() and view.play_button.text().endswith("Pause")
        qtbot.waitUntil(lambda: not view.playing(), timeout=30_000)
        shown = view.output_panel.maps[0]
        np.testing.assert_allclose(shown, trace.steps[layer].output[0, 2], atol=1e-5, rtol=0)
        assert view.position == view.sweep.positions - 1
        assert view.play_button.text().endswith("Play")


def test_step_back_play_pause_speed_by_buttons_and_keys(window, qtbot):
    draw_t(window)
    view = open_view(window, qtbot)
    assert view.position == 0
    assert np.isfinite(view.output_panel.maps[0]).sum() == 1  # the first value only
    qtbot.mouseClick(view.step_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(view.step_button, Qt.MouseButton.LeftButton)
    assert view.position == 2 and np.isfinite(view.output_panel.maps[0]).sum() == 3
    qtbot.mouseClick(view.back_button, Qt.MouseButton.LeftButton)
    assert view.position == 1
    view.activateWindow()
    qtbot.waitUntil(view.isActiveWindow)
    QTest.keyClick(view, Qt.Key.Key_Right)
    assert view.position == 2
    QTest.keyClick(view, Qt.Key.Key_Left)
    QTest.keyClick(view, Qt.Key.Key_Left)
    QTest.keyClick(view, Qt.Key.Key_Left)  # never before the first value
    assert view.position == 0
    speed = view.speed.value()
    QTest.keyClick(view, Qt.Key.Key_Up)
    assert view.speed.value() == speed + 1 and view.speed_label.text() == "16 values/s"
    QTest.keyClick(view, Qt.Key.Key_Minus)
    assert view.speed.value() == speed
    QTest.keyClick(view, Qt.Key.Key_Space)
    assert view.playing()
    qtbot.waitUntil(lambda: view.position > 0, timeout=5000)
    QTest.keyClick(view, Qt.Key.Key_Space)
    assert not view.playing()
    stopped = view.position
    QTest.qWait(300)
    assert view.position == stopped  # paused means paused
    QTest.keyClick(view, Qt.Key.Key_End)
    assert view.position == view.sweep.positions - 1
    assert np.isfinite(view.output_panel.maps[0]).all()
    QTest.keyClick(view, Qt.Key.Key_Home)
    assert view.position == 0


def test_each_step_shows_the_window_its_products_and_the_sum(window, qtbot):
    draw_t(window)
    view = open_view(window, qtbot)
    made = view.sweep
    index = made.index_of(5, 13)  # on the T's bar
    view.go_to(index)
    position = made.at(index)
    np.testing.assert_array_equal(view.window_grid.values, position.inputs[0])
    np.testing.assert_array_equal(view.weights_grid.values, made.weights[0])
    np.testing.assert_allclose(view.products_grid.values, position.inputs[0] * made.weights[0])
    trace_value = float(window.viewer.trace.steps[0].output[0, 0, 5, 13])
    assert f"= <b>{trace_value:+.3f}</b>" in view.sums.text()
    assert "row 6, column 14" in view.position_label.text()  # counted from 1
    # The window on the padded input: one up and left of the value ('same' padding).
    rect = view.window_outline.rect()
    assert (rect.x(), rect.y(), rect.width()) == (13, 5, 3)  # padded coordinates
    cell = view.cell_outline.rect()
    assert (cell.x(), cell.y()) == (13, 5)


def test_clicking_the_feature_map_goes_to_that_value(window, qtbot):
    draw_t(window)
    view = open_view(window, qtbot)
    qtbot.mouseClick(view.play_button, Qt.MouseButton.LeftButton)
    click_map(view.output_panel, 0, 20, 7)
    assert not view.playing()
    assert view.position == view.sweep.index_of(20, 7)
    filled = view.output_panel.maps[0]
    assert np.isfinite(filled[20, 7]) and np.isnan(filled[20, 8])


def test_conv2_shows_its_filter_per_input_channel_readably(window, qtbot):
    draw_t(window)
    view = open_view(window, qtbot)
    view.layer_box.setCurrentText("conv2")
    view.filter_box.setValue(5)
    network = window.viewer.network_shown
    weights = network.layers[3].params["weight"][4]  # (32, 3, 3)
    panel = view.channel_filters
    assert panel.isVisible() and view.channel_box.isVisible()
    np.testing.assert_allclose(panel.maps, weights)
    assert "32 input channels" in panel.heading.text()
    # One colour scale for all 32: the bar's ends hold the largest weight of the filter.
    low, high = panel.bar.levels()
    assert low == -high < 0 and panel.image.levels.tolist() == [low, high]
    for presenting in (False, True):
        window.actions["presentation"].setChecked(presenting)
        window.presentation.set_presenting(presenting)
        for width, height in SCREENS:
            view.resize(width, height - 30)
            qtbot.waitUntil(lambda w=width, h=height: view.size().toTuple() == (w, h - 30))
            QApplication.processEvents()
            if width == 1280:
                assert shown_scale(panel) >= 8, (shown_scale(panel), presenting)  # px a weight
            # The outline of the channel picked, whole in the panel (not cut at its edge).
            view.channel_box.setValue(7)
            QApplication.processEvents()
            outline = panel.view.mapViewToScene(panel.marker.rect()).boundingRect()
            assert panel.view.sceneBoundingRect().contains(outline), (outline, presenting)
            assert view.minimumSizeHint().width() <= width
            assert panel.geometry().bottom() < view.height()
    click_map(panel, 6, 1, 1)
    assert view.channel_box.value() == 7 and panel.marker.isVisible()
    made = view.sweep
    position = made.at(view.position)
    np.testing.assert_array_equal(view.weights_grid.values, weights[6])
    np.testing.assert_array_equal(view.window_grid.values, position.inputs[6])
    # The input shown is maxpool1's map 7, padded.
    pooled = window.viewer.trace.steps[2].output[0, 6]
    np.testing.assert_array_equal(view.input_panel.maps[0, 1:-1, 1:-1], pooled)
    assert view.input_panel.heading.text().startswith("maxpool1 map 7 of 32")
    assert "channel 7:" in view.sums.text() and "all 32 channels:" in view.sums.text()


def test_a_filter_clicked_in_the_enlarged_filters_panel_slides(window, qtbot):
    draw_t(window)
    filters = window.network_view.filters
    click_map(filters, 4, 1, 1)  # the first click enlarges the filters, as it did
    qtbot.waitUntil(lambda: window.network_view.focused_panel is filters)
    QTest.qWait(50)  # the enlarged panel is laid out
    assert window.convolution.view is None
    click_map(filters, 4, 1, 1)
    view = window.convolution.view
    assert view is not None and view.isVisible()
    assert view.filter_box.value() == 5 and view.layer_box.currentText() == "conv1"
    click_map(filters, 9, 0, 0)  # with the view open, a click picks another filter
    assert view.filter_box.value() == 10 and view.position == 0


def test_without_a_drawing_it_says_to_draw_and_follows_the_drawing(window, qtbot):
    view = open_view(window, qtbot)
    assert view.note.isVisible() and "Draw a digit" in view.note.text()
    assert not view.play_button.isEnabled()
    draw_t(window)
    qtbot.waitUntil(lambda: view.sweep is not None)
    assert not view.note.isVisible() and view.play_button.isEnabled()
    before = view.sweep
    draw_stroke(window.canvas, line((60, 200), (220, 200)))
    window.canvas_feed.update_now()
    # The drawing changed: the numbers follow it (a few times a second while drawing).
    qtbot.waitUntil(lambda: view.sweep is not before)
    np.testing.assert_allclose(
        view.sweep.output, window.viewer.trace.steps[0].output[0, 0], atol=1e-5
    )


def test_it_follows_presentation_mode(window, qtbot):
    draw_t(window)
    view = open_view(window, qtbot)
    size = view.font().pointSizeF()
    window.actions["presentation"].trigger()
    assert view.font().pointSizeF() >= 1.5 * size * 0.99
    window.actions["presentation"].trigger()
    assert view.font().pointSizeF() == pytest.approx(size)


def test_dragging_over_the_feature_map_scrubs(window, qtbot):
    draw_t(window)
    view = open_view(window, qtbot)
    panel = view.output_panel
    viewport = panel.plot.viewport()

    def at(row, col):
        scene = panel.view.mapViewToScene(QPointF(col + 0.5, row + 0.5))
        return panel.plot.mapFromScene(scene)

    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, pos=at(3, 3))
    for col in range(4, 12):
        QTest.qWait(15)  # pyqtgraph passes on at most one move per 10 ms
        QTest.mouseMove(viewport, at(3, col))
    assert view.position == view.sweep.index_of(3, 11)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=at(3, 11))
    # Hovering alone only reads a value (a hover as the other panels' tests make one:
    # the offscreen platform sends no move without a button down).
    panel._on_scene_mouse_moved(panel.view.mapViewToScene(QPointF(9.5, 9.5)))
    assert view.position == view.sweep.index_of(3, 11)
    assert panel.readout.text().startswith("row 10, column 10: not made yet")


def test_a_hidden_view_catches_up_when_shown_again(window, qtbot):
    draw_t(window)
    view = open_view(window, qtbot)
    view.close()
    draw_stroke(window.canvas, line((60, 200), (220, 200)))
    window.canvas_feed.update_now()
    QTest.qWait(250)
    stale = view.sweep
    window.actions["watch_convolution"].trigger()
    qtbot.waitExposed(view)
    assert view.sweep is not stale
    np.testing.assert_allclose(
        view.sweep.output, window.viewer.trace.steps[0].output[0, 0], atol=1e-5
    )


def test_a_custom_network_with_large_kernels_and_stride_two_fits(window, qtbot):
    """The Retrain dialog builds kernels up to 9x9: the tables scroll across instead of
    pushing the window past a 1024 px screen, and the numbers are still the network's."""
    draw_t(window)
    view = open_view(window, qtbot)
    network = Network(
        custom_spec([ConvChoice(4, kernel=9, stride=2, padding="same"), ConvChoice(3, kernel=5)]),
        rng=np.random.default_rng(1),
    )
    window.viewer.show_training(network)  # as a Retrain run shows its network
    assert view.layer_box.count() == 2 and view.layer_box.currentText() == "conv1"
    assert view.window_grid.values.shape == (9, 9)
    assert view.minimumSizeHint().width() <= 1024
    view.resize(1024, 570)
    qtbot.waitUntil(lambda: view.size().toTuple() == (1024, 570))
    QApplication.processEvents()
    row = view.arithmetic.widget()
    assert row.width() > view.arithmetic.viewport().width()  # wider: it scrolls
    assert view.arithmetic.horizontalScrollBar().maximum() > 0
    assert view.arithmetic.geometry().bottom() < view.height()
    for layer in conv_layers(network):
        view.layer_box.setCurrentIndex(conv_layers(network).index(layer))
        QTest.keyClick(view, Qt.Key.Key_End)
        np.testing.assert_allclose(
            view.output_panel.maps[0],
            window.viewer.trace.steps[layer].output[0, 0],
            atol=1e-5,
        )


def test_switching_models_follows_the_network_shown(window, qtbot):
    draw_t(window)
    view = open_view(window, qtbot)
    view.layer_box.setCurrentText("conv2")
    view.filter_box.setValue(40)
    window.model_menu.bundled_actions["classic"].trigger()  # one conv layer of 8 filters
    assert [view.layer_box.itemText(i) for i in range(view.layer_box.count())] == ["conv1"]
    assert view.layer == 0 and view.filter_box.maximum() == 8 and view.filter_box.value() == 8
    assert not view.channel_box.isVisible()
    np.testing.assert_allclose(
        view.sweep.output, window.viewer.trace.steps[0].output[0, 7], atol=1e-5
    )
