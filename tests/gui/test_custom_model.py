"""A network the user built in the Retrain dialog, trained on real MNIST and put to use,
explored in the classroom view as the bundled models are: the strip, following a value
through its arithmetic, the linked outlines, the network's end, the guide, presentation
mode, and a second run watched as it learns."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from digitpad.core.explain import (
    ActivationStep,
    ConvStep,
    DenseStep,
    PoolStep,
    explain_softmax,
)
from digitpad.core.model_io import load_model
from digitpad.gui.describe import shape_text
from digitpad.gui.detail_view import number
from digitpad.gui.panels import MosaicPanel
from digitpad.gui.theme import font_scale, high_contrast

from .conftest import draw_stroke, open_window
from .handwriting import DIGITS
from .test_detail_view import shown_numbers

TRAIN_TIMEOUT_MS = 120_000
NAME = "my strided net"
# conv1: 6 filters 5x5, same padding, ReLU, 2x2 average pooling;
# conv2: 8 filters 3x3, stride 2, same padding, tanh, 2x2 max pooling (7x7 -> 3x3: the odd
# last row and column are dropped); global average pooling; dense 16 + ReLU; dense 10.
STAGES = [
    ("input", "28×28×1"),
    ("conv1 + relu", "28×28×6"),
    ("avgpool1", "14×14×6"),
    ("conv2 + tanh", "7×7×8"),
    ("maxpool1", "3×3×8"),
    ("gap1", "8"),
    ("dense1 + relu", "16"),
    ("dense2", "10"),
    ("softmax", "10"),
]
PARAMETERS = (6 * 25 + 6) + (8 * 6 * 9 + 8) + (8 * 16 + 16) + (16 * 10 + 10)


@pytest.fixture
def with_mnist(monkeypatch, mnist_dir, tmp_path):
    monkeypatch.setenv("DIGITPAD_MNIST_DIR", str(mnist_dir))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The model file of the first training run in this module, reused by later tests."""
    return {"folder": tmp_path_factory.mktemp("trained")}


def settle(qtbot):
    QApplication.processEvents()
    qtbot.wait(10)


def click(qtbot, button):
    assert button.isEnabled() and button.isVisible(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def open_dialog(window, qtbot):
    window.actions["retrain"].trigger()
    dialog = window.model_menu.train_dialog
    qtbot.waitExposed(dialog)
    return dialog


def build_custom_network(dialog, images=0, epochs=1):
    """The Network box and the Training box set as a user sets them."""
    box = dialog.network_box
    box.architecture.setCurrentText("custom")
    box.block_count.setValue(2)
    first, second = box.blocks[:2]
    first.filters.setValue(6)
    first.kernel.setValue(5)
    first.stride.setCurrentText("1")
    first.padding.setCurrentText("same")
    first.activation.setCurrentText("relu")
    first.pool.setCurrentText("average")
    second.filters.setValue(8)
    second.kernel.setValue(3)
    second.stride.setCurrentText("2")
    second.padding.setCurrentText("same")
    second.activation.setCurrentText("tanh")
    second.pool.setCurrentText("max")
    box.global_pool.setChecked(True)
    box.dense.setChecked(True)
    box.dense_units.setValue(16)
    form = dialog.form
    form.images.setCurrentIndex(images)  # 0: 1,000 images
    form.epochs.setValue(epochs)
    form.augment.setChecked(False)
    form.name.setText(NAME)


def wait_until_idle(qtbot, dialog):
    qtbot.waitUntil(lambda: dialog.training is None, timeout=TRAIN_TIMEOUT_MS)


def train_and_use(window, qtbot):
    """Retrain… with the custom network, then Use This Model: returns the dialog."""
    dialog = open_dialog(window, qtbot)
    build_custom_network(dialog)
    click(qtbot, dialog.train_button)
    wait_until_idle(qtbot, dialog)
    assert dialog.result is not None, dialog.live.status.text()
    click(qtbot, dialog.results.use_button)
    return dialog


@pytest.fixture
def custom_window(qtbot, settings, dialogs, library_folder, with_mnist, trained):
    """The main window using the custom model, as a user finds it in Model > Your models
    (trained through the dialog by the first test that needs it)."""
    stored = trained.get("path")
    if stored is None:
        window = open_window(qtbot, settings, library_folder, "classic")
        train_and_use(window, qtbot)
        path = window.viewer.model_in_use.path
        trained["path"] = shutil.copy(path, trained["folder"] / path.name)
    else:
        library_folder.mkdir(parents=True, exist_ok=True)
        path = shutil.copy(stored, library_folder / stored.name)
        window = open_window(qtbot, settings, library_folder, "classic")
        window.model_menu.library_actions[path].trigger()
    assert window.viewer.model_in_use.metadata.name == NAME
    return window


def draw_digit(window, digit):
    for stroke in DIGITS[digit]:
        draw_stroke(window.canvas, stroke)
    window.canvas_feed.update_now()  # what the frame timer runs next, now
    assert window.viewer.trace is not None


def strip_button(window, name):
    return next(b for b in window.layer_strip.buttons if b.text().split("\n")[0] == name)


def map_position(panel, tile, row, col) -> QPoint:
    """Where the centre of one map pixel is, in the panel's plot viewport."""
    scene = panel.view.mapViewToScene(panel.value_rect(tile, row, col).center())
    return panel.plot.mapFromScene(scene)


def click_map(panel, tile, row, col):
    QTest.mouseClick(
        panel.plot.viewport(), Qt.MouseButton.LeftButton, pos=map_position(panel, tile, row, col)
    )


def move_over(qtbot, panel, tile, row, col, readout):
    """Real mouse moves onto one map pixel until the panel reads it out: pyqtgraph drops
    moves within 10 ms of the last (its mouseRateLimit), and a moving mouse sends more."""

    def moved():
        QTest.mouseMove(panel.plot.viewport(), map_position(panel, tile, row, col))
        return panel.readout.text().startswith(readout)

    qtbot.waitUntil(moved, timeout=5000)


# -- training it and putting it to use ------------------------------------------------------


def test_a_custom_network_is_trained_in_the_dialog_and_put_to_use(
    qtbot, settings, dialogs, library_folder, with_mnist, trained
):
    window = open_window(qtbot, settings, library_folder, "classic")
    classic = window.viewer.model_in_use
    dialog = open_dialog(window, qtbot)
    build_custom_network(dialog)
    shapes = dialog.network_box.shapes.text()
    for name, shape in STAGES[1:-1]:
        assert f"{name.split()[0]} {shape}" in shapes, (name, shape)
    assert f"{PARAMETERS:,} parameters" in shapes
    watched = []
    dialog.watching.connect(watched.append)
    click(qtbot, dialog.train_button)
    wait_until_idle(qtbot, dialog)
    assert dialog.result is not None, dialog.live.status.text()
    spec = dialog.network_box.spec()
    assert watched[0] is not None and watched[0].spec == spec  # it was shown learning
    assert watched[-1] is None and not window.viewer.training_shown
    assert window.viewer.model_in_use is classic  # nothing changes until the user chooses
    assert window.model_status.text().startswith("Model: classic")
    click(qtbot, dialog.results.use_button)
    saved = list(library_folder.glob("*.npz"))
    assert [p.name for p in saved] == ["my-strided-net.npz"]
    model = window.viewer.model_in_use
    assert model.path == saved[0] and model.network.spec == spec
    assert window.model_status.text().startswith(f"Model: {NAME}")
    assert window.model_menu.library_actions[saved[0]].isChecked()
    trained["path"] = shutil.copy(saved[0], trained["folder"] / saved[0].name)
    draw_digit(window, 3)
    expected = load_model(saved[0]).network.predict(window.viewer.input)[0]
    np.testing.assert_allclose(window.viewer.probabilities, expected, rtol=1e-5)
    assert not dialogs


# -- the strip ------------------------------------------------------------------------------


# Per stage: the layer a click picks, and the conv block shown (None: the network's end).
PICKS = [(-1, 0), (0, 0), (2, 0), (3, 1), (5, 1), (6, None), (7, None), (9, None), (10, None)]
BLOCK_SHAPES = [((6, 28, 28), (6, 14, 14)), ((8, 7, 7), (8, 3, 3))]


def test_the_strip_lists_every_custom_stage_and_each_click_picks_it(custom_window, qtbot, dialogs):
    window = custom_window
    viewer, view = window.viewer, window.network_view
    draw_digit(window, 7)
    assert [(s.name, shape_text(s.shape)) for s in viewer.stages] == STAGES
    buttons = window.layer_strip.buttons
    assert [b.text() for b in buttons] == [f"{n}\n{s}" for n, s in STAGES]
    for (name, _), button, (layer, block) in zip(STAGES, buttons, PICKS, strict=True):
        click(qtbot, button)
        settle(qtbot)
        assert viewer.selected_layer == layer, name
        assert [b.isChecked() for b in buttons] == [b is button for b in buttons], name
        if block is None:
            assert view.pages.currentWidget() is view.end_view and view.end_view.isVisible()
            continue
        assert view.pages.currentWidget() is not view.end_view, name
        assert view.layer_selector.currentIndex() == block == viewer.block_index, name
        pooled = name.startswith(("avgpool", "maxpool"))
        assert view.focused_panel is (view.pooled if pooled else view.feature_maps), name
        maps_shape, pooled_shape = BLOCK_SHAPES[block]
        assert (
            view.feature_maps.maps.shape == maps_shape
            and view.filters.maps.shape[0] == (maps_shape[0])
        )
        assert view.pooled.maps.shape == pooled_shape, name
        np.testing.assert_array_equal(view.feature_maps.maps, viewer.output(viewer.block.conv))
        np.testing.assert_array_equal(view.pooled.maps, viewer.output(viewer.block.pool))
    assert not dialogs


def test_picking_the_global_pooling_stage_shows_its_averages(custom_window, qtbot):
    window = custom_window
    draw_digit(window, 1)
    open_stage(window, qtbot, "gap1")
    averages = window.viewer.output(6)
    assert averages.shape == (8,) and window.viewer.selected_layer == 6
    shown = [
        panel.maps[np.isfinite(panel.maps)]
        for panel in window.network_view.findChildren(MosaicPanel)
        if panel.isVisible()
    ]
    assert any(np.array_equal(values, averages) for values in shown), [v.shape for v in shown]
    grid = window.network_view.end_view.dense
    assert "the 8 averages, one per map of maxpool1" in grid.heading.text()
    # One average clicked: its map's values added up and divided by their count.
    cols = grid.maps.shape[2]
    click_map(grid, 0, 3 // cols, 3 % cols)
    qtbot.waitUntil(window.detail_dock.isVisible, timeout=5000)
    assert (window.viewer.focus.layer, window.viewer.focus.channel) == (6, 3)
    source = window.viewer.output(5)[3].astype(np.float64)  # maxpool1's map 4, 3x3
    assert averages[3] == pytest.approx(source.mean(), abs=1e-6)
    text = window.detail_dock.detail.text.toPlainText()
    assert "the 3×3 = 9 values of maxpool1 map 4" in text
    assert f"their sum {number(source.sum())} / 9 = {number(float(averages[3]))}" in text
    # The next stage shows its own values again.
    open_stage(window, qtbot, "dense1 + relu")
    assert grid.maps[np.isfinite(grid.maps)].shape == (16,)


def test_an_average_pooling_stage_is_not_said_to_keep_the_strongest(custom_window, qtbot):
    window = custom_window
    open_stage(window, qtbot, "avgpool1")
    message = window.statusBar().currentMessage()
    assert "2×2 average pooling" in message  # the pooled panel was picked, its words shown
    for text in (message, window.network_view.pooled.toolTip()):
        assert "strongest" not in text and "becomes its average" in text
    open_stage(window, qtbot, "maxpool1")  # the second block pools by the maximum
    assert "keeps only its largest value" in window.network_view.pooled.toolTip()


# -- following one value ----------------------------------------------------------------------

# The convolutions' (kernel, stride, padding), as built in the dialog.
GEOMETRY = {0: (5, 1, 2), 3: (3, 2, 1)}
ACTIVATIONS = {1: lambda x: np.maximum(x, 0.0), 4: np.tanh}


def conv_by_hand(viewer, layer, channel, row, col):
    """The input window and the value of one convolution output, computed here."""
    k, s, p = GEOMETRY[layer]
    trace = viewer.trace
    source = trace.input[0] if layer == 0 else trace.steps[layer - 1].output[0]
    padded = np.pad(source.astype(np.float64), ((0, 0), (p, p), (p, p)))
    window = padded[:, row * s : row * s + k, col * s : col * s + k]
    conv = viewer.network_shown.layers[layer]
    weights = conv.params["weight"][channel].astype(np.float64)
    return window, float((window * weights).sum() + conv.params["bias"][channel])


def check_arithmetic(window, conv_layer, channel, row, col):
    """Every step the detail view shows against the network's own forward pass."""
    viewer = window.viewer
    trace = viewer.trace
    steps = window.detail_dock.detail.steps
    numbers = shown_numbers(window)
    conv = steps[0]
    assert isinstance(conv, ConvStep) and conv.layer == conv_layer
    assert (conv.channel, conv.row, conv.col) == (channel, row, col)
    inputs, value = conv_by_hand(viewer, conv_layer, channel, row, col)
    np.testing.assert_allclose(conv.inputs, inputs, atol=1e-6)
    assert conv.value == trace.steps[conv_layer].output[0, channel, row, col]
    assert conv.value == pytest.approx(value, abs=1e-5)
    assert conv.products.sum() + conv.bias == pytest.approx(conv.value, abs=1e-5)
    for shown in (float(conv.products.sum()), conv.bias, conv.value):
        assert number(shown) in numbers
    activation = steps[1]
    layer = conv_layer + 1
    assert isinstance(activation, ActivationStep) and activation.layer == layer
    assert activation.before == pytest.approx(conv.value, abs=1e-6)
    assert activation.after == trace.steps[layer].output[0, channel, row, col]
    assert activation.after == pytest.approx(ACTIVATIONS[layer](conv.value), abs=1e-5)
    assert number(activation.after) in numbers
    if len(steps) == 2:
        return None
    pool = steps[2]
    pr, pc = pool.row, pool.col
    assert isinstance(pool, PoolStep) and (pr, pc) == (row // 2, col // 2)
    activated = trace.steps[layer].output[0, channel]
    np.testing.assert_array_equal(pool.values, activated[2 * pr : 2 * pr + 2, 2 * pc : 2 * pc + 2])
    assert pool.value == trace.steps[layer + 1].output[0, channel, pr, pc]
    combine = np.mean if pool.kind == "average" else np.max
    assert pool.value == pytest.approx(combine(pool.values), abs=1e-5)
    assert number(pool.value) in numbers
    return pool


def open_stage(window, qtbot, name):
    click(qtbot, strip_button(window, name))
    settle(qtbot)


def follow_value(window, qtbot, panel, tile, row, col):
    """A real click on one map pixel; the detail view opens on exactly that value."""
    click_map(panel, tile, row, col)
    qtbot.waitUntil(window.detail_dock.isVisible, timeout=5000)
    focus = window.viewer.focus
    assert (focus.channel, focus.row, focus.col) == (tile, row, col)
    settle(qtbot)  # the dock takes its room: the panels are laid out again
    return focus


def busiest_window(maps):
    """(row, col) in the pooled map of the 2x2 window whose four values differ most: there
    max, average and a wrong window all give different numbers."""
    h, w = maps.shape[0] // 2 * 2, maps.shape[1] // 2 * 2
    windows = maps[:h, :w].reshape(h // 2, 2, w // 2, 2)
    spread = windows.max(axis=(1, 3)) - windows.min(axis=(1, 3))
    row, col = np.unravel_index(np.argmax(spread), spread.shape)
    return int(row), int(col)


def test_conv1_values_with_padding_and_average_pooling(custom_window, qtbot):
    window = custom_window
    draw_digit(window, 2)
    view, trace = window.network_view, window.viewer.trace
    open_stage(window, qtbot, "conv1 + relu")
    # Where the ink is: a window of the input with ink, pooled from four different values.
    pr, pc = busiest_window(trace.steps[1].output[0, 4])
    row, col = 2 * pr + 1, 2 * pc
    focus = follow_value(window, qtbot, view.feature_maps, 4, row, col)
    assert focus.layer == 0
    pool = check_arithmetic(window, 0, 4, row, col)
    assert np.ptp(window.detail_dock.detail.steps[0].inputs) > 0
    assert pool.kind == "average" and pool.winner is None and pool.layer == 2
    assert np.ptp(pool.values) > 0
    text = window.detail_dock.detail.html
    assert f"conv1, map 5, row {row + 1}, column {col + 1}" in text and "the average" in text
    # At the top edge: a 5x5 window two rows above the image, zeros where it lies outside.
    follow_value(window, qtbot, view.feature_maps, 4, 1, 13)
    check_arithmetic(window, 0, 4, 1, 13)
    text = window.detail_dock.detail.html
    # Counted from 1, as the maps are: row 1 is the image's first, rows 0 and -1 padding.
    assert "rows 0..4, columns 12..16" in text and "counts as 0: padding" in text
    # From the pooled map: back through the window's largest value, its largest share.
    open_stage(window, qtbot, "avgpool1")
    pr, pc = busiest_window(trace.steps[1].output[0, 3])
    focus = follow_value(window, qtbot, view.pooled, 3, pr, pc)
    assert focus.layer == 2
    i, j = divmod(
        int(np.argmax(trace.steps[1].output[0, 3, 2 * pr : 2 * pr + 2, 2 * pc : 2 * pc + 2])), 2
    )
    pool = check_arithmetic(window, 0, 3, 2 * pr + i, 2 * pc + j)
    assert (pool.row, pool.col) == (pr, pc) and np.ptp(pool.values) > 0


def test_conv2_values_with_stride_two_and_their_channels(custom_window, qtbot):
    window = custom_window
    draw_digit(window, 2)
    view, trace = window.network_view, window.viewer.trace
    open_stage(window, qtbot, "conv2 + tanh")
    pr, pc = busiest_window(trace.steps[4].output[0, 5])
    row, col = 2 * pr, 2 * pc + 1
    focus = follow_value(window, qtbot, view.feature_maps, 5, row, col)
    assert focus.layer == 3
    pool = check_arithmetic(window, 3, 5, row, col)
    assert pool.kind == "max" and pool.layer == 5 and np.ptp(pool.values) > 0
    conv = window.detail_dock.detail.steps[0]
    assert conv.channel_sums.shape == (6,) and np.ptp(conv.inputs) > 0
    assert conv.channel_sums.sum() + conv.bias == pytest.approx(conv.value, abs=1e-5)
    text = window.detail_dock.detail.html
    # Stride 2, one pixel of padding: output row r starts at input row 2r - 1 (from 0),
    # shown counted from 1.
    top, left = 2 * row, 2 * col
    assert f"rows {top}..{top + 2}, columns {left}..{left + 2}" in text
    assert "6 input channels" in text and "the other" not in text
    for c in range(6):
        assert f"channel {c + 1}" in text
    assert "(tanh): tanh(" in text
    # The last row of a 7x7 map falls in no 2x2 window of the 3x3 pooled map.
    follow_value(window, qtbot, view.feature_maps, 2, 6, 0)
    assert check_arithmetic(window, 3, 2, 6, 0) is None
    text = window.detail_dock.detail.html
    assert "pooling" not in text and "counts as 0: padding" in text  # column -1
    # A pooled value, back through its winner.
    open_stage(window, qtbot, "maxpool1")
    pr, pc = busiest_window(trace.steps[4].output[0, 6])
    focus = follow_value(window, qtbot, view.pooled, 6, pr, pc)
    assert focus.layer == 5
    i, j = window.detail_dock.detail.steps[2].winner
    pool = check_arithmetic(window, 3, 6, 2 * pr + i, 2 * pc + j)
    assert pool.value == pool.values.max() == pool.values[i, j] > pool.values.min()


# -- linked outlines ------------------------------------------------------------------------------


def outlined_tile(panel):
    """The tile the panel's outline surrounds (None: no outline)."""
    if not panel.marker.isVisible():
        return None
    rect = panel.marker.rect()
    h, w = (side * panel.magnify for side in panel.maps.shape[1:])
    col, rest_x = divmod(round(rect.x() + 0.5), w + 1)
    row, rest_y = divmod(round(rect.y() + 0.5), h + 1)
    assert rest_x == rest_y == 0 and (rect.width(), rect.height()) == (w + 1, h + 1)
    return row * panel.cols + col


def hovered(window):
    hover = window.viewer.hover
    return None if hover is None else (hover.layer, hover.channel, hover.row, hover.col)


def test_filter_n_map_n_and_pooled_map_n_are_outlined_together(custom_window, qtbot):
    window = custom_window
    draw_digit(window, 5)
    view = window.network_view
    panels = (view.filters, view.feature_maps, view.pooled)
    for stage, count, tiles in (("conv1 + relu", 6, (4, 1)), ("conv2 + tanh", 8, (6, 3))):
        open_stage(window, qtbot, stage)
        assert [p.maps.shape[0] for p in panels] == [count] * 3
        assert view.filters.cols == view.feature_maps.cols == view.pooled.cols
        for tile in tiles:
            move_over(qtbot, view.filters, tile, 1, 1, f"filter {tile + 1}, row 2, column 2:")
            assert [outlined_tile(p) for p in panels] == [tile] * 3, (stage, tile)
        # Pointing at a map moves every outline to it.
        block, last = window.viewer.block, count - 1
        move_over(qtbot, view.feature_maps, last, 2, 2, f"map {count}, row 3, column 3:")
        assert hovered(window) == (block.conv, last, 2, 2)
        assert [outlined_tile(p) for p in panels] == [last] * 3
        move_over(qtbot, view.pooled, 2, 1, 1, "map 3, row 2, column 2:")
        assert hovered(window) == (block.pool, 2, 1, 1)
        assert [outlined_tile(p) for p in panels] == [2] * 3
        # Following a value outlines its map once the pointer has gone back to drawing.
        follow_value(window, qtbot, view.feature_maps, tiles[1], 3, 3)
        QTest.mouseMove(window.canvas, window.canvas.rect().center())
        qtbot.waitUntil(lambda: window.viewer.hover is None, timeout=5000)
        assert [outlined_tile(p) for p in panels] == [tiles[1]] * 3


# -- the network's end ----------------------------------------------------------------------------


def test_the_end_view_shows_the_custom_dense_layers_logits_and_softmax(custom_window, qtbot):
    window = custom_window
    draw_digit(window, 4)
    viewer, view = window.viewer, window.network_view
    end = view.end_view
    network, trace = viewer.network_shown, viewer.trace
    open_stage(window, qtbot, "dense1 + relu")
    assert view.pages.currentWidget() is end and end.isVisible() and end.dense.isVisible()
    assert end.dense_layer == 8  # relu2, after dense1
    values = viewer.output(8)
    shown = end.dense.maps[0].ravel()
    assert values.shape == (16,) and len(shown) >= 16
    np.testing.assert_array_equal(shown[:16], values)
    assert np.isnan(shown[16:]).all()
    heading = end.dense.heading.text()
    assert heading.startswith("dense1 + relu: the 16 values") and "flatten" not in heading
    # The logits, as dense2 computes them from dense1's values, here.
    dense2 = network.layers[9]
    logits = values.astype(np.float64) @ dense2.params["weight"] + dense2.params["bias"]
    np.testing.assert_allclose(trace.logits[0], logits, atol=1e-5)
    open_stage(window, qtbot, "dense2")
    assert view.pages.currentWidget() is end
    np.testing.assert_array_equal(end.logit_bars.opts["height"], trace.logits[0])
    open_stage(window, qtbot, "softmax")
    qtbot.waitUntil(lambda: "Softmax" in end.softmax.text(), timeout=5000)
    step = explain_softmax(trace)
    best = int(step.order[0])
    np.testing.assert_allclose(step.probabilities, viewer.probabilities, atol=1e-6)
    text, table = end.softmax.text(), end.softmax_table.text()
    assert f"<td><b>{best}</b></td>" in table and f"{step.probabilities[best]:.1%}" in table
    assert number(step.logits[best]) in table
    assert step.temperature == 1.0 and "z/T" not in text + table  # trained here: no T
    # A dense unit followed: its inputs are gap1's averages, one per conv2 filter.
    click_map(end.dense, 0, 0, 2)
    qtbot.waitUntil(window.detail_dock.isVisible, timeout=5000)
    focus = viewer.focus
    assert (focus.layer, focus.channel) == (8, 2)
    dense, _ = window.detail_dock.detail.steps  # the dense sum, then its ReLU
    assert isinstance(dense, DenseStep) and dense.layer == 7 and dense.unit == 2
    gap = trace.steps[5].output[0].mean(axis=(1, 2))  # maxpool1's 3x3 maps, averaged
    np.testing.assert_allclose(dense.inputs, gap, atol=1e-6)
    by_hand = gap @ network.layers[7].params["weight"][:, 2] + network.layers[7].params["bias"][2]
    assert dense.value == trace.steps[7].output[0, 2]
    assert dense.value == pytest.approx(float(by_hand), abs=1e-5)
    text = window.detail_dock.detail.html
    assert "sum of all 8" in text and "the other" not in text
    assert number(dense.value) in text
    assert "gap1: map 1's average" in window.detail_dock.detail.text.toPlainText()


# -- the guide and presentation mode -----------------------------------------------------------


def press(window, qtbot, key):
    """A key pressed on the canvas, where focus is while drawing (window shortcuts answer
    only in the active window)."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    qtbot.keyClick(window.canvas, key)
    settle(qtbot)


def click_link(browser, words):
    """A real click on the first link whose text is ``words`` in a text browser."""
    cursor = browser.document().find(words)
    assert not cursor.isNull(), words
    cursor.setPosition(cursor.selectionStart() + 1)
    point = browser.cursorRect(cursor).center()
    assert browser.anchorAt(point).startswith("stage:"), words
    QTest.mouseClick(browser.viewport(), Qt.MouseButton.LeftButton, pos=point)


def test_the_guide_explains_the_custom_stages_with_their_real_sizes(custom_window, qtbot):
    window = custom_window
    assert not window.guide_dock.isVisible()
    press(window, qtbot, Qt.Key.Key_F2)
    assert window.guide_dock.isVisible() and window.actions["guide"].isChecked()
    browser = window.guide_dock.text
    text = browser.toPlainText()
    for name, shape in STAGES:
        assert f"{name} — {shape}" in text, name
    positions = [text.index(f"{name} — {shape}") for name, shape in STAGES]
    assert positions == sorted(positions)  # in the strip's order
    for words in (
        "(28 + 2·2 − 5) / 1 + 1 = 28",  # conv1: 5x5, same padding
        "⌊(14 + 2·1 − 3) / 2⌋ + 1 = ⌊6.5⌋ + 1 = 7",  # conv2: stride 2, rounded down
        "slid over the 14×14 input 2 pixels at a time",
        "for each of the 6 input maps, and adds up all 54 products",
        "keeps the average of each 2×2 block of every map: 6 maps of 14×14",
        "keeps the largest of each 2×2 block of every map: 8 maps of 3×3",
        "tanh squeezes every value into -1..1",
        "Global average pooling turns each map into its average: 8 numbers",
        "each of its 16 units multiplies every one of the 8 numbers",
        "These ten are the logits",
    ):
        assert words in text, words
    assert "flatten" not in text
    click_link(browser, "maxpool1")
    qtbot.waitUntil(lambda: window.viewer.selected_layer == 5, timeout=5000)
    assert window.viewer.block_index == 1
    assert window.network_view.focused_panel is window.network_view.pooled
    assert strip_button(window, "maxpool1").isChecked()
    press(window, qtbot, Qt.Key.Key_F2)
    assert not window.guide_dock.isVisible()


def test_the_guides_output_size_arithmetic_is_true_as_written(custom_window, qtbot):
    window = custom_window
    press(window, qtbot, Qt.Key.Key_F2)
    text = window.guide_dock.text.toPlainText()
    assert "so 8 maps of 7×7" in text  # conv2's output size is still explained
    # "(n + 2·p − k) / s + 1 = out" as written, not followed by decimals (7.5 is true)
    equation = r"\((\d+) \+ 2·(\d+) − (\d+)\) / (\d+) \+ 1 = (\d+)(?!\d|\.\d)"
    equations = re.findall(equation, text)
    assert ("28", "2", "5", "1", "28") in equations  # conv1's needs no rounding
    for n, p, k, s, out in equations:
        assert (int(n) + 2 * int(p) - int(k)) / int(s) + 1 == int(out), (n, p, k, s, out)
    # conv2's does: the rounding down is written out.
    assert "⌊(14 + 2·1 − 3) / 2⌋ + 1 = ⌊6.5⌋ + 1 = 7 (rounded down" in text


def test_presentation_mode_on_the_custom_model(custom_window, qtbot):
    window = custom_window
    draw_digit(window, 8)
    view = window.network_view
    press(window, qtbot, Qt.Key.Key_F9)
    try:
        assert window.actions["presentation"].isChecked() and high_contrast()
        # The strip's type: its buttons' is fitted to its width (smaller, for a deep one).
        for widget in (window.prediction, view.feature_maps, window.layer_strip):
            assert font_scale(widget) >= 1.5
        assert [b.text() for b in window.layer_strip.buttons] == [f"{n}\n{s}" for n, s in STAGES]
        open_stage(window, qtbot, "maxpool1")
        assert window.viewer.selected_layer == 5
        np.testing.assert_array_equal(view.pooled.maps, window.viewer.output(5))
        assert view.pooled.plot.backgroundBrush().color().name() == "#ffffff"
        focus = follow_value(window, qtbot, view.pooled, 7, 2, 2)
        assert focus.layer == 5
        pool = window.detail_dock.detail.steps[2]
        assert pool.value == window.viewer.trace.steps[5].output[0, 7, 2, 2]
        assert font_scale(window.detail_dock.detail.text) >= 1.5
        open_stage(window, qtbot, "dense2")
        np.testing.assert_array_equal(
            view.end_view.logit_bars.opts["height"], window.viewer.trace.logits[0]
        )
    finally:
        press(window, qtbot, Qt.Key.Key_F9)
    assert not high_contrast() and font_scale(window.prediction) == pytest.approx(1.0)


# -- watching a second run learn ------------------------------------------------------------------


def test_the_window_follows_a_second_custom_run_and_comes_back_when_cancelled(custom_window, qtbot):
    window = custom_window
    viewer, view = window.viewer, window.network_view
    model = viewer.model_in_use
    draw_digit(window, 6)
    dialog = open_dialog(window, qtbot)
    build_custom_network(dialog, images=1, epochs=5)  # 10,000 images: longer than we wait
    assert dialog.follow.isChecked()
    click(qtbot, dialog.train_button)
    qtbot.waitUntil(lambda: viewer.training_shown, timeout=TRAIN_TIMEOUT_MS)
    first = viewer.network_shown
    assert first is not model.network and first.spec == model.network.spec
    assert "being trained" in window.model_status.text()
    assert [b.text() for b in window.layer_strip.buttons] == [f"{n}\n{s}" for n, s in STAGES]
    # A later snapshot: new weights, the same drawing run through them.
    qtbot.waitUntil(
        lambda: viewer.training_shown and viewer.network_shown is not first,
        timeout=TRAIN_TIMEOUT_MS,
    )
    later = viewer.network_shown
    assert dialog.training is not None  # still running
    conv1 = later.layers[0].params["weight"]
    assert not np.array_equal(conv1, first.layers[0].params["weight"])
    np.testing.assert_array_equal(view.filters.maps, conv1[:, 0])
    expected = later.trace(viewer.input)
    np.testing.assert_allclose(viewer.trace.logits, expected.logits, atol=1e-5)
    np.testing.assert_allclose(view.feature_maps.maps, expected.steps[0].output[0], atol=1e-5)
    assert not np.allclose(viewer.trace.logits, model.network.trace(viewer.input).logits)
    # Showing it learning, the dialog gave way to the bar under the panels: its Stop.
    click(qtbot, dialog.live.compact.stop_button)
    wait_until_idle(qtbot, dialog)
    assert "Cancelled" in dialog.live.status.text()
    assert not viewer.training_shown and viewer.model_in_use is model
    assert viewer.network_shown is model.network
    assert window.model_status.text().startswith(f"Model: {NAME}")
    np.testing.assert_array_equal(view.filters.maps, model.network.layers[0].params["weight"][:, 0])
    np.testing.assert_allclose(
        viewer.probabilities, model.network.predict(viewer.input)[0], rtol=1e-6
    )
