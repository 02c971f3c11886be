"""The end of the network: dense values, logits and softmax, on the user's drawing."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from digitpad.core.explain import explain_softmax, number
from digitpad.core.stages import class_names

from .test_views import draw_seven


def click_stage(window, qtbot, name):
    button = next(b for b in window.layer_strip.buttons if b.text().split("\n")[0] == name)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_dense_and_softmax_stages_show_the_networks_end(window, qtbot):
    draw_seven(window, qtbot)
    view = window.network_view
    assert view.pages.currentWidget() is not view.end_view
    click_stage(window, qtbot, "dense1 + relu")
    end = view.end_view
    assert view.pages.currentWidget() is end and end.isVisible()
    assert end.dense.isVisible() and not end.logits.isVisible()  # its own values only
    values = window.viewer.output(end.dense_layer)
    assert values.shape == (128,) and end.dense_layer == 8  # relu3, after dense1
    shown = end.dense.maps[0].ravel()
    np.testing.assert_array_equal(shown[:128], values)
    assert np.isnan(shown[128:]).all()
    assert "dense1 + relu: the 128 values" in end.dense.heading.text()
    assert "flatten laid maxpool2's 7×7×64 maps out as one list of 3136 numbers" in (
        end.dense.heading.text()
    )
    click_stage(window, qtbot, "dense2")  # the logits, with their names and values
    assert end.logits.isVisible() and not end.dense.isVisible()
    assert not end.softmax.isVisible()
    logits = window.viewer.trace.scores[0]  # default's eleven: the digits, not a digit
    assert logits.shape == (11,)
    np.testing.assert_array_equal(end.logit_bars.opts["height"], logits)
    ticks = end.logits.getAxis("bottom")._tickLevels[0]
    assert [name for _, name in ticks] == class_names(11)
    assert [label.toPlainText() for label in end.logit_labels] == [f"{v:+.1f}" for v in logits]
    assert "dense2: the logits, 11 scores" in end.logits.getPlotItem().titleLabel.text
    assert "dense1 + relu's 128 values plus a bias" in end.logits_text.text()
    click_stage(window, qtbot, "softmax")  # every class worked out
    assert end.softmax.isVisible() and end.softmax_table.isVisible()
    assert not end.logits.isVisible() and not end.dense.isVisible()
    end.softmax_refresh.now()
    step = explain_softmax(window.viewer.trace)
    table, text = end.softmax_table.text(), end.softmax.text()
    best = int(step.order[0])
    assert f"<td><b>{best}</b></td>" in table and f"{step.probabilities[best]:.1%}" in table
    for digit in range(10):
        assert f"<td align=right>&nbsp;&nbsp;{number(step.scaled[digit])}</td>" in table
    assert "shares 100 %" in text and f"T = {step.temperature:.2f}" in text
    click_stage(window, qtbot, "maxpool2")  # back to a conv block's panels
    assert view.pages.currentWidget() is not end
    assert view.layer_selector.currentIndex() == 1


def test_a_network_whose_only_dense_layer_gives_the_logits(window, qtbot):
    window.model_menu.bundled_actions["classic"].trigger()
    draw_seven(window, qtbot)
    click_stage(window, qtbot, "softmax")
    end = window.network_view.end_view
    assert end.isVisible() and not end.dense.isVisible() and end.dense_layer is None
    np.testing.assert_array_equal(end.logit_bars.opts["height"], window.viewer.trace.logits[0])
    # The bundled models' percentages are calibrated: the softmax shows the division.
    step = explain_softmax(window.viewer.trace)
    temperature = window.viewer.network_shown.temperature
    assert temperature != 1.0 and step.temperature == temperature
    end.softmax_refresh.now()
    text, table = end.softmax.text(), end.softmax_table.text()
    assert f"divided by the temperature T = {temperature:.2f}" in text and "s = z/T" in table
    best = int(step.order[0])
    assert number(step.scaled[best]) in table and f"{step.probabilities[best]:.1%}" in table


def test_hovering_a_dense_unit_reads_it(window, qtbot):
    draw_seven(window, qtbot)
    click_stage(window, qtbot, "dense1 + relu")
    end = window.network_view.end_view
    from digitpad.gui.panels import MapPoint

    end._on_dense_hovered(MapPoint(0, 1, 2))
    cols = end.dense.maps.shape[2]
    unit = cols + 2
    value = float(window.viewer.output(end.dense_layer)[unit])
    assert end.dense.readout.text() == f"unit {unit + 1}: {number(value)}"


def test_clicking_a_dense_unit_shows_its_largest_inputs(window, qtbot):
    from digitpad.core.explain import DenseStep
    from digitpad.gui.detail_view import number

    from .test_detail_view import click_map

    draw_seven(window, qtbot)
    click_stage(window, qtbot, "dense1 + relu")
    end = window.network_view.end_view
    click_map(end.dense, 0, 2, 3)
    qtbot.waitUntil(window.detail_dock.isVisible, timeout=2000)
    focus = window.viewer.focus
    assert focus.layer == end.dense_layer and focus.row == focus.col == 0
    step, _ = window.detail_dock.detail.steps  # the dense sum, then its ReLU
    assert isinstance(step, DenseStep) and step.layer == 7 and step.unit == focus.channel
    assert step.value == window.viewer.trace.steps[7].output[0, focus.channel]
    assert step.products.sum() + step.bias == pytest.approx(step.value, rel=1e-5, abs=1e-4)
    text = window.detail_dock.detail.html
    assert f"unit {focus.channel + 1}" in text and number(step.value) in text
    assert "maxpool2 map" in text  # the inputs named as the values they came from
    relu = float(window.viewer.trace.steps[8].output[0, focus.channel])
    assert f"= <b>{relu:+.3f}</b>" in text or (relu == 0 and "0.000" in text)


def test_a_small_dense_layer_lists_all_its_inputs(qtbot):
    """No "the other -4 products" for a dense layer with fewer inputs than the list."""
    from digitpad.core.architectures import ConvChoice, custom_spec
    from digitpad.core.model_io import Model, ModelMetadata
    from digitpad.core.network import Network
    from digitpad.core.viewer import ViewerModel
    from digitpad.gui.detail_view import DetailView

    spec = custom_spec([ConvChoice(4)], global_pool=True, dense_units=16)
    viewer = ViewerModel()
    viewer.use_model(Model(Network(spec), ModelMetadata(name="small"), None))
    detail = DetailView(viewer)
    qtbot.addWidget(detail)
    pixels = np.zeros((280, 280), np.float32)
    pixels[40:240, 130:152] = 1.0
    viewer.update(pixels)
    dense = next(i for i, layer in enumerate(viewer.network_shown.layers) if layer.kind == "dense")
    viewer.set_focus(dense, 3, 0, 0)
    assert "the other" not in detail.html and "sum of all 4" in detail.html
    assert "gap1: map" in detail.html and "s average" in detail.html  # inputs named by origin


def test_the_networks_end_with_nothing_drawn(window, qtbot):
    """Picked before drawing, or kept while the canvas is cleared: the end is painted with
    empty bars (a grey one a class: one brush for ten bars crashed the painter)."""
    from PySide6.QtWidgets import QApplication

    click_stage(window, qtbot, "softmax")
    end = window.network_view.end_view
    assert end.isVisible()
    QApplication.processEvents()
    end.logits.grab()  # painted
    assert len(end.logit_bars.opts["brushes"]) == 11  # default: ten digits, not a digit
    draw_seven(window, qtbot)
    click_stage(window, qtbot, "dense1 + relu")
    qtbot.keyClick(window.canvas, Qt.Key.Key_Escape)  # clear, the end still shown
    window.canvas_feed.update_now()
    QApplication.processEvents()
    end.logits.grab()
    assert window.viewer.trace is None and not end.logit_bars.opts["height"].any()


def test_the_flatten_stage_lays_the_maps_end_to_end(window, qtbot):
    from .test_detail_view import click_map

    draw_seven(window, qtbot)
    click_stage(window, qtbot, "flatten1")
    end = window.network_view.end_view
    assert end.flat.isVisible() and not end.dense.isVisible() and not end.logits.isVisible()
    assert end.flatten_layer == 6
    pooled = window.viewer.output(5)  # maxpool2: (64, 7, 7)
    grid = end.flat.maps[0]
    assert grid.shape == (64, 49)  # one row per map
    np.testing.assert_array_equal(grid.ravel(), window.viewer.output(6))
    np.testing.assert_array_equal(grid[9].reshape(7, 7), pooled[9])
    heading = end.flat.heading.text()
    assert "maxpool2's 64 maps of 7×7 laid end to end" in heading and "3136" in heading
    from digitpad.gui.panels import MapPoint

    end._on_flat_hovered(MapPoint(0, 9, 3 * 7 + 4))
    value = number(float(pooled[9, 3, 4]))
    assert end.flat.readout.text() == (
        f"number {9 * 49 + 3 * 7 + 4 + 1} of 3136 = maxpool2 map 10, row 4, column 5: {value}"
    )
    click_map(end.flat, 0, 9, 3 * 7 + 4)  # followed in the maps it came from
    focus = window.viewer.focus
    assert (focus.layer, focus.channel, focus.row, focus.col) == (5, 9, 3, 4)


def test_clicking_a_logit_bar_follows_that_logit(window, qtbot):
    from PySide6.QtCore import QPointF
    from PySide6.QtTest import QTest

    draw_seven(window, qtbot)
    click_stage(window, qtbot, "dense2")
    end = window.network_view.end_view
    qtbot.wait(20)
    logits = window.viewer.trace.logits[0]
    box = end.logits.getPlotItem().vb
    scene = box.mapViewToScene(QPointF(3, float(logits[3]) / 2))
    QTest.mouseClick(
        end.logits.viewport(), Qt.MouseButton.LeftButton, pos=end.logits.mapFromScene(scene)
    )
    focus = window.viewer.focus
    assert focus is not None and (focus.layer, focus.channel) == (9, 3)


def test_an_eleventh_output_is_shown_as_not_a_digit(qtbot, monkeypatch):
    """The class count comes from the network's last layer, not a ten written in: a model
    with an 11th output ("not a digit") gets 11 bars and 11 rows."""
    import digitpad.core.network as network_module
    from digitpad.core.model_io import Model, ModelMetadata
    from digitpad.core.network import Network
    from digitpad.core.viewer import ViewerModel
    from digitpad.gui.end_view import EndView

    monkeypatch.setattr(network_module, "NUM_CLASSES", 11)
    spec = {
        "input_shape": [1, 28, 28],
        "layers": [
            {"type": "conv2d", "filters": 2, "kernel": 3, "padding": "same"},
            {"type": "relu"},
            {"type": "maxpool2d"},
            {"type": "flatten"},
            {"type": "dense", "units": 11},
        ],
    }
    viewer = ViewerModel()
    viewer.use_model(Model(Network(spec, rng=np.random.default_rng(3)), ModelMetadata(), None))
    end = EndView(viewer)
    qtbot.addWidget(end)
    pixels = np.zeros((280, 280), np.float32)
    pixels[40:240, 130:152] = 1.0
    viewer.update(pixels)
    viewer.select_layer(4)  # dense1: the logits
    assert end.pages.currentWidget() is end.logits_page
    ticks = end.logits.getAxis("bottom")._tickLevels[0]
    assert [name for _, name in ticks][-2:] == ["9", "not a digit"]
    np.testing.assert_array_equal(end.logit_bars.opts["height"], viewer.trace.logits[0])
    assert len(end.logit_labels) == 11 and "11 scores" in end.logits_text.text()
    viewer.select_layer(5)  # softmax
    end.softmax_refresh.now()
    assert end.pages.currentWidget() is end.softmax_page
    assert "<td>not a digit</td>" in end.softmax_table.text() or (
        "<td><b>not a digit</b></td>" in end.softmax_table.text()
    )
    assert "over the 11 classes" in end.softmax.text()


def test_the_softmax_tables_columns_stay_apart_at_a_larger_type(window, qtbot):
    """Reproduced fault: zoomed in, "+15.613+22.392" ran together (3 px between columns):
    each number column starts with two spaces of the type's own size."""
    draw_seven(window, qtbot)
    click_stage(window, qtbot, "softmax")
    table = window.network_view.end_view.softmax_table
    for _ in range(3):
        if window.actions["zoom_in"].isEnabled():
            window.actions["zoom_in"].trigger()
    assert table.text().count("<td align=right>&nbsp;&nbsp;") == 4 * 10


def test_the_softmax_text_says_what_an_eleven_output_model_does(window, qtbot):
    """Reproduced fault: default (not a digit as an eleventh score) was told "even a
    scribble that is no digit gets its 100 % split over 0 to 9", and its eleventh score's
    paragraph and formula were in <small> type with sub- and superscripts too small to read."""
    draw_seven(window, qtbot)
    click_stage(window, qtbot, "softmax")
    end = window.network_view.end_view
    end.softmax_refresh.now()
    text = end.softmax.text()
    assert "split over 0 to 9" not in text
    assert "<i>not a digit</i>" in text and "if it were a digit" in text
    note = text[text.index("eleventh score") :]
    assert "<small>" not in note and "<sup>" not in note and "<sub>" not in note
    assert "exp(L) / (exp(L) + exp(n))" in note
    window.model_menu.bundled_actions["classic"].trigger()  # ten outputs: as it was
    click_stage(window, qtbot, "softmax")
    end.softmax_refresh.now()
    text = end.softmax.text()
    assert "split over 0 to 9" in text and "eleventh" not in text
