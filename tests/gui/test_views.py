"""The views around the viewer model, after the ordinary actions that used to break them:
model switches, layer switches, hovering, clearing, and an empty canvas."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtWidgets import QApplication, QLabel, QPushButton

from .conftest import draw_stroke, line
from .handwriting import DIGITS


def settle(qtbot):
    QApplication.processEvents()
    qtbot.wait(10)


def strip_widgets(window):
    row = window.layer_strip.row
    return (
        row.findChildren(QPushButton, options=Qt.FindChildOption.FindDirectChildrenOnly),
        row.findChildren(QLabel, options=Qt.FindChildOption.FindDirectChildrenOnly),
    )


def test_layer_strip_survives_model_switches(window, qtbot):
    height = window.layer_strip.height()
    bundled = window.model_menu.bundled_actions
    for _ in range(3):
        bundled["classic"].trigger()
        settle(qtbot)
        bundled["default"].trigger()
        settle(qtbot)
    window.actions["revert"].trigger()
    settle(qtbot)
    buttons, arrows = strip_widgets(window)
    assert len(buttons) == 9 and len(arrows) == 8  # no orphaned arrows
    assert all(b.isVisible() for b in buttons)
    assert window.layer_strip.height() == height
    # Both lines of every button fit: the shapes line is not cut off.
    assert all(b.height() >= b.sizeHint().height() for b in buttons)
    assert window.layer_strip.row.height() >= max(b.sizeHint().height() for b in buttons)


def colour_bar_fits(panel) -> bool:
    bar = panel.bar.mapRectToScene(panel.bar.boundingRect())
    shown = panel.plot.mapToScene(panel.plot.viewport().rect()).boundingRect()
    return panel.bar.isVisible() and shown.contains(bar.adjusted(1, 1, -1, -1))


def test_the_focused_panel_keeps_its_colour_bar_through_layer_switches(window, qtbot):
    """The panel looked at has its colour bar, whole; the two beside it give theirs up."""
    view = window.network_view
    strip = {b.text().split("\n")[0]: b for b in window.layer_strip.buttons}
    for step in (1, 0, 1, 0):
        view.layer_selector.setCurrentIndex(step)
        settle(qtbot)
        assert colour_bar_fits(view.feature_maps), step
        assert not view.filters.bar.isVisible() and not view.pooled.bar.isVisible()
    qtbot.mouseClick(strip["maxpool1"], Qt.MouseButton.LeftButton)
    settle(qtbot)
    assert view.layer_selector.currentIndex() == 0
    assert colour_bar_fits(view.pooled) and not view.feature_maps.bar.isVisible()
    assert view.filters.heading.text() == "conv1 filters 3×3"
    view.layer_selector.setCurrentIndex(1)
    assert view.filters.heading.text() == "conv2 filter means"  # short: the panel is narrow
    assert view.filters.toolTip().startswith("conv2 filters 3×3, each the mean of its 32")


def hover_feature_map(view, tile, row, col):
    panel = view.feature_maps
    h, w = panel.maps.shape[1:]
    tile_row, tile_col = divmod(tile, panel.cols)
    point = QPointF(tile_col * (w + 1) + col + 0.5, tile_row * (h + 1) + row + 0.5)
    panel._on_scene_mouse_moved(panel.view.mapViewToScene(point))


def draw_seven(window, qtbot):
    for stroke in DIGITS[7]:
        draw_stroke(window.canvas, stroke)
    window.canvas_feed.update_now()


def test_hover_clears_on_leave_clear_and_model_switch(window, qtbot):
    view = window.network_view
    field = view.network_input.field
    draw_seven(window, qtbot)

    hover_feature_map(view, 1, 5, 6)
    assert field.isVisible() and view.feature_maps.readout.text().startswith("map 2,")
    QApplication.sendEvent(view.feature_maps, QEvent(QEvent.Type.Leave))
    assert not field.isVisible() and view.feature_maps.readout.text().strip() == ""

    hover_feature_map(view, 1, 5, 6)
    window.actions["clear"].trigger()
    window.canvas_feed.update_now()
    assert not field.isVisible() and view.feature_maps.readout.text().strip() == ""

    draw_seven(window, qtbot)
    hover_feature_map(view, 20, 5, 6)  # filter 21 of 32
    assert field.isVisible()
    window.model_menu.bundled_actions["classic"].trigger()  # 8 filters: 21 means nothing
    assert window.viewer.hover is None and not field.isVisible()
    assert all(
        p.readout.text().strip() == "" for p in (view.filters, view.feature_maps, view.pooled)
    )


def test_hover_value_follows_the_drawing(window, qtbot):
    view = window.network_view
    draw_seven(window, qtbot)
    hover_feature_map(view, 3, 10, 12)
    before = window.viewer.hover.value
    draw_stroke(window.canvas, line((40, 140), (240, 140)))
    window.canvas_feed.update_now()
    hover = window.viewer.hover
    assert hover.value == pytest.approx(float(window.viewer.output(0)[3, 10, 12]))
    assert f"{hover.value:+.3f}" in view.feature_maps.readout.text()
    assert hover.value != before


def test_empty_canvas_has_plain_colour_scales(window):
    view = window.network_view
    block = window.viewer.block
    # The model's scales: conv1's about 0, maxpool1's from 0 (nothing there is negative).
    conv, pooled = window.viewer.scale(block.conv), window.viewer.scale(block.last)
    assert view.feature_maps.bar.levels() == (-conv, conv)
    assert view.pooled.bar.levels() == (0, pooled)
    window.actions["fixed_scales"].trigger()  # per-panel scales: nothing drawn, -1..1, 0..1
    assert view.feature_maps.bar.levels() == (-1.0, 1.0)
    assert view.pooled.bar.levels() == (0.0, 1.0)
    assert "Draw a digit" in window.prediction.text()


def test_panels_fit_at_the_minimum_width(window, qtbot, tmp_path):
    window.resize(window.minimumSizeHint().width(), 720)
    settle(qtbot)
    draw_seven(window, qtbot)
    settle(qtbot)
    view = window.network_view
    assert colour_bar_fits(view.feature_maps)  # the focused panel's; the others have none
    for panel in (view.filters, view.feature_maps, view.pooled):
        assert panel.heading.width() <= panel.width()
        assert panel.view.sceneBoundingRect().width() > 20, panel.objectName()  # maps shown
    hover_feature_map(view, 0, 3, 3)
    readout = view.feature_maps.readout
    assert readout.heightForWidth(readout.width()) <= readout.height() or readout.wordWrap()
    window.grab().save(str(tmp_path / "narrow.png"))


def test_every_action_is_connected_and_in_a_menu(window):
    from digitpad.gui.actions import ACTIONS

    in_menus = {
        a
        for menu in window.menuBar().findChildren(type(window.model_menu.menu))
        for a in menu.actions()
    }
    for spec in ACTIONS:
        action = window.actions[spec.name]
        assert action.receivers("2triggered(bool)") >= 1, spec.name
        assert action in in_menus, spec.name


def test_shortcuts_help_lists_every_key(window, dialogs):
    window.actions["shortcuts"].trigger()
    text = dialogs[-1][2]
    for key in ("F5", "Ctrl+Y", "F1", "Ctrl+Shift+Z", "Ctrl+E", "Ctrl+M", "Esc", "[", "]"):
        assert key in text, key
    # Not the keys of special keyboards that standard shortcuts also bind ("Ctrl+Z or Undo").
    for key in ("Undo", "Zoom In", "F14", "Exit", "Open"):
        assert f"<b>{key}" not in text and f" or {key}" not in text, key


def test_keys_on_an_ordinary_keyboard():
    from digitpad.gui.actions import on_a_keyboard

    typed = ["Ctrl+Z", "Ctrl+Shift+E", "F5", "F12", "Esc", "Del", "Return", "[", "E", "0"]
    assert all(on_a_keyboard(key) for key in typed)
    assert not any(on_a_keyboard(key) for key in ["Undo", "Zoom In", "F14", "Exit", "Help"])


def test_text_from_a_model_file_is_never_markup(
    window, qtbot, dialogs, library_folder, monkeypatch
):
    from PySide6.QtWidgets import QMessageBox

    from digitpad.core.bundled import CLASSIC
    from digitpad.core.library import Library
    from digitpad.core.model_io import ModelMetadata
    from digitpad.core.network import Network

    hostile = "<img src='http://example.com/x.png'><a href='http://example.com'>click</a>"
    path = Library(library_folder).add(Network(CLASSIC.spec()), ModelMetadata(name=hostile))
    window.model_menu.rebuild()
    assert window.model_menu.load(path)
    window.actions["about"].trigger()
    asked = []

    def question(parent, title, text, *args, **kwargs):
        asked.append(text)
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    window.actions["delete_model"].trigger()
    window.model_menu.load(library_folder / "<b>missing</b>.npz")
    for text in [dialogs[-2][2], asked[0], dialogs[-1][2]]:
        assert "<img" not in text and "<a href" not in text and "<b>missing" not in text, text
    assert "&lt;img" in dialogs[-2][2] and "&lt;img" in asked[0]
    assert "&lt;b&gt;missing" in dialogs[-1][2]


def test_unreadable_remembered_settings_fall_back_to_defaults(
    qtbot, settings, dialogs, library_folder
):
    from .conftest import open_window

    for pen, model in (("wide", 12), ("²", "x" * 5000), ("30" * 400, "a\0b")):
        settings.setValue("canvas/pen_width", pen)
        settings.setValue("model/path", model)
        settings.setValue("data/folder", "y" * 5000)
        settings.setValue("window/geometry", "not bytes")
        window = open_window(qtbot, settings, library_folder, None)
        assert window.pen_slider.value() == 22
        assert window.viewer.model_in_use.metadata.name == "default"
        window.actions["retrain"].trigger()  # the data folder setting is read there
        assert "not found" in window.model_menu.train_dialog.data.status.text() or (
            "found in" in window.model_menu.train_dialog.data.status.text()
        )
        window.model_menu.train_dialog.close()


def test_models_with_odd_metadata_neither_stop_the_start_nor_half_switch(
    qtbot, settings, dialogs, library_folder
):
    import json

    from digitpad.core.bundled import CLASSIC
    from digitpad.core.library import Library
    from digitpad.core.model_io import ModelMetadata

    from .conftest import open_window

    library = Library(library_folder)
    from digitpad.core.network import Network

    odd = library.add(Network(CLASSIC.spec()), ModelMetadata(name="odd"))
    arrays = dict(np.load(odd))
    header = json.loads(arrays["header"].tobytes())
    header["metrics"] = {"test_accuracy": "99%"}
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez(odd, **arrays)
    settings.setValue("model/path", str(odd))  # remembered from last time
    window = open_window(qtbot, settings, library_folder, None)
    assert window.viewer.model_in_use.metadata.name == "default"  # started, with default
    texts = [a.text() for a in window.model_menu.menu.actions()]
    assert "odd.npz (broken)" in texts
    window.model_menu.load(odd)  # chosen anyway: refused whole, nothing half-switched
    assert window.viewer.model_in_use.metadata.name == "default"
    assert window.model_status.text().startswith("Model: default")
    assert "test_accuracy" in dialogs[-1][2]


def test_colours_mean_the_same_value_on_every_drawing(window, qtbot):
    view = window.network_view
    draw_seven(window, qtbot)
    levels = view.feature_maps.bar.levels()
    assert levels == (-window.viewer.scales[0], window.viewer.scales[0])
    window.actions["clear"].trigger()
    draw_stroke(window.canvas, line((140, 40), (140, 240)))
    window.canvas_feed.update_now()
    assert view.feature_maps.bar.levels() == levels
    window.menuBar()  # the toggle lives in View
    window.actions["fixed_scales"].trigger()  # off: each panel scales itself
    assert not window.actions["fixed_scales"].isChecked()
    assert view.feature_maps.bar.levels() != levels or view.pooled.bar.levels() != (
        -window.viewer.scales[2],
        window.viewer.scales[2],
    )


def test_a_dot_says_it_is_too_small_instead_of_guessing(window, qtbot):
    draw_stroke(window.canvas, [(140, 140)])  # one click: a dot
    window.canvas_feed.update_now()
    text = window.prediction.text()
    assert "Too small to read" in text and "100%" not in text
    with qtbot.waitSignal(window.prediction_updated) as blocker:
        window.canvas_feed.update_now()
    assert blocker.args[0] is None
    # The network still ran (its bars show), but no bar is picked out as an answer.
    chart = window.network_view.probabilities
    brushes = chart.bars.opts["brushes"]
    assert chart.values.max() > 0 and all(brush is chart._normal for brush in brushes)
    assert "no answer" in chart.getPlotItem().titleLabel.text
    draw_seven(window, qtbot)
    assert "share 100&nbsp;%" in window.prediction.text()
    assert chart.bars.opts["brushes"][7] is chart._winner
    assert "no answer" not in chart.getPlotItem().titleLabel.text


def test_a_scribble_is_called_unlike_the_digits_it_learned(window, qtbot):
    """A scribble drawn with the mouse: a best guess, but said not to look like a digit
    by a model that learned from digits alone (default says "Not a digit": see
    test_not_a_digit_window.py)."""
    from ..core.test_familiarity import SCRIBBLE

    window.model_menu.bundled_actions["classic"].trigger()
    draw_stroke(window.canvas, SCRIBBLE[0])
    sizes = window.workspace.sizes()
    window.canvas_feed.update_now()
    settle(qtbot)
    text = window.prediction.text()
    assert "look like the digits it learned" in text and "best guess" in text
    # A longer answer wraps: it never widens its column and re-lays the panels out.
    assert window.workspace.sizes() == sizes
    assert f"{window.viewer.familiarity:.1f}" in window.prediction.toolTip()
    window.canvas.clear()
    draw_seven(window, qtbot)
    assert "look like" not in window.prediction.text()


def pixels_per_value(panel) -> float:
    """Screen pixels per map value, as the panel draws its grid (a filter's weight is
    ``magnify`` image pixels across)."""
    shown = panel.view.viewRect()
    return panel.view.sceneBoundingRect().width() / shown.width() * panel.magnify


def test_the_picked_stage_gets_the_room_to_be_read(window, qtbot):
    window.resize(1280, 720)
    settle(qtbot)
    draw_seven(window, qtbot)
    settle(qtbot)
    view = window.network_view
    qtbot.wait(20)  # the fit runs once the layouts have their sizes
    conv_scale = pixels_per_value(view.feature_maps)
    assert conv_scale >= 2.0, conv_scale  # 28x28 maps: 2 screen pixels a value at least
    assert view.feature_maps.width() > 2 * view.pooled.width()
    button = next(b for b in window.layer_strip.buttons if b.text().startswith("maxpool1"))
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    assert view.pooled.width() > 2 * view.feature_maps.width()
    qtbot.wait(20)
    pool_scale = pixels_per_value(view.pooled)
    assert pool_scale >= 4.0, pool_scale  # 14x14 maps: 4 screen pixels a value at least
    # Map k is still at the same place in every grid.
    assert view.filters.cols == view.feature_maps.cols == view.pooled.cols
    # Beside the focused panel, the others give up their colour bars for its room.
    assert view.pooled.bar.isVisible() and not view.feature_maps.bar.isVisible()
    # conv2: 64 maps of 14x14, the most values a bundled model's stage shows.
    button = next(b for b in window.layer_strip.buttons if b.text().startswith("conv2"))
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    qtbot.wait(20)
    assert view.feature_maps.maps.shape == (64, 14, 14)
    conv2_scale = pixels_per_value(view.feature_maps)
    assert conv2_scale >= 4.0, conv2_scale
    assert view.feature_maps.bar.isVisible() and not view.filters.bar.isVisible()


def test_feature_maps_before_and_after_the_activation(window, qtbot):
    view = window.network_view
    draw_seven(window, qtbot)
    toggle = view.after_activation
    assert toggle.isVisible() and toggle.text() == "After ReLU"
    np.testing.assert_array_equal(view.feature_maps.maps, window.viewer.output(0))
    assert view.feature_maps.maps.min() < 0  # before ReLU: negatives too
    qtbot.mouseClick(toggle, Qt.MouseButton.LeftButton)
    np.testing.assert_array_equal(view.feature_maps.maps, window.viewer.output(1))
    assert view.feature_maps.maps.min() == 0
    assert "relu1: conv1's maps after ReLU" in view.feature_maps.heading.text()
    hover_feature_map(view, 2, 9, 13)
    assert window.viewer.hover.layer == 1 and window.viewer.hover.value >= 0
    window.model_menu.bundled_actions["classic"].trigger()  # no activation in its block
    assert not view.after_activation.isVisible()
    np.testing.assert_array_equal(view.feature_maps.maps, window.viewer.output(0))


def test_the_flash_frames_the_picked_panel_as_the_window_is_resized(window, qtbot):
    view = window.network_view
    button = next(b for b in window.layer_strip.buttons if b.text().startswith("maxpool1"))
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    frame = view.flash_frame
    assert frame.isVisible() and frame.parentWidget() is view.pooled
    window.resize(1600, 900)
    settle(qtbot)
    assert frame.geometry() == view.pooled.rect()
    qtbot.waitUntil(lambda: not frame.isVisible(), timeout=5000)  # gone after a moment


def test_clicking_the_filters_enlarges_and_numbers_them_until_a_stage_is_picked(window, qtbot):
    from digitpad.gui.panels import NUMBERED_TILE_PX

    from .test_detail_view import click_map

    window.resize(1280, 720)
    settle(qtbot)
    draw_seven(window, qtbot)
    view = window.network_view
    assert view.filters.compact and not view.filters.bar.isVisible()
    click_map(view.filters, 5, 1, 1)
    settle(qtbot)
    qtbot.wait(20)  # the fit runs once the panels are laid out
    assert view.focused_panel is view.filters and view.filters.bar.isVisible()
    assert view.feature_maps.compact and view.pooled.compact
    assert view.filters.width() > 4 * view.feature_maps.width()
    tile_px = pixels_per_value(view.filters) * 3  # a 3x3 filter on screen
    assert tile_px >= NUMBERED_TILE_PX, tile_px  # large enough to carry its number
    assert window.viewer.focus is None  # a filter is not a value to follow
    button = next(b for b in window.layer_strip.buttons if b.text().startswith("maxpool1"))
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    assert view.focused_panel is view.pooled and view.filters.compact


def test_a_hand_edited_settings_file_never_stops_the_start(
    qtbot, dialogs, library_folder, tmp_path
):
    """Values QSettings itself turns into odd types (a float of 1e400, a list, a byte
    array, an invalid variant) give defaults."""
    from PySide6.QtCore import QSettings

    from .conftest import open_window

    path = tmp_path / "hand.ini"
    path.write_text(
        "[canvas]\npen_width=1e400\n"
        "[view]\nzoom=nan\npresentation=@Invalid()\n"
        "[model]\npath=a, b, c\n"
        "[data]\nfolder=@ByteArray(\\0\\x1)\n"
        "[window]\ngeometry=@Variant(\\0\\0\\0\\x7f\\0\\0\\0\\x18)\n"
    )
    window = open_window(
        qtbot, QSettings(str(path), QSettings.Format.IniFormat), library_folder, None
    )
    assert window.pen_slider.value() == 22
    assert window.viewer.model_in_use.metadata.name == "default"
    assert not window.actions["presentation"].isChecked()


def test_a_deleted_view_stops_hearing_from_the_viewer_model(qtbot):
    """Views are subscribed weakly: one that is gone is neither called (its C++ side would
    be deleted: every event would raise) nor kept alive by the model it watched."""
    import gc

    from digitpad.core.bundled import DEFAULT
    from digitpad.core.model_io import load_model
    from digitpad.core.viewer import ViewerModel
    from digitpad.gui.guide import GuideDock
    from digitpad.gui.layer_strip import LayerStrip
    from digitpad.gui.network_view import NetworkView

    viewer = ViewerModel()
    viewer.use_model(load_model(DEFAULT.path))
    views = [LayerStrip(viewer), GuideDock(viewer), NetworkView(viewer)]
    assert len(viewer.network_shown_changed) >= 3 and len(viewer.hover_changed) >= 1
    views[2].show()
    views[2].resize(900, 500)  # the panels fit again once laid out: a timer is pending
    for view in views:
        view.deleteLater()
    del views, view
    qtbot.wait(50)  # deleted; any timer they had started comes due
    gc.collect()
    assert len(viewer.network_shown_changed) == 0 and len(viewer.hover_changed) == 0
    viewer.use_model(load_model(DEFAULT.path))  # no one to tell, and no error
    viewer.hover_over(0, 0, 1, 1)
    qtbot.wait(50)


@pytest.mark.parametrize("presenting", [False, True])
def test_narrow_input_and_softmax_panels_shorten_their_titles_rather_than_cut_them(
    window, qtbot, presenting
):
    """Beside the follow panel on a 1024 px screen, "Network input 28×28" and "Softmax
    probabilities" were cut at the panels' edges."""
    from PySide6.QtGui import QFont, QFontMetrics

    from .test_main_window import follow_a_value

    window.resize(1024, 570)
    if presenting:
        window.actions["presentation"].trigger()
    follow_a_value(window, qtbot)
    settle(qtbot)
    view = window.network_view
    title = view.network_input.title.text
    width = QFontMetrics(view.network_input.font()).horizontalAdvance(title)
    assert "28×28" in title and width <= view.network_input.width(), (title, width)
    plot = view.probabilities
    title = plot.getPlotItem().titleLabel.text
    font = QFont(plot.font())
    font.setPointSizeF(font.pointSizeF() * 11 / 9)  # a plot title's size
    width = QFontMetrics(font).horizontalAdvance(title)
    assert title.startswith("Softmax") and width <= plot.width(), (title, width)
    window.resize(1280, 690)
    window.detail_dock.detail.close_button.click()
    settle(qtbot)
    assert view.network_input.title.text == "Network input 28×28"  # whole again with room


def test_a_compact_panel_is_as_wide_as_its_headings_longest_word(window, qtbot):
    """Presentation mode's type at 1024 px: "maxpool1" was cut to "max…" in its 70 px
    panel; the panel is now never narrower than the word. A shortened heading keeps its
    whole text in a tooltip."""
    from PySide6.QtGui import QFontMetrics

    window.resize(1024, 570)
    window.actions["presentation"].trigger()
    settle(qtbot)
    for panel in (window.network_view.filters, window.network_view.pooled):
        heading = panel.heading
        assert "…" not in heading.text()
        metrics = QFontMetrics(heading.font())
        widest = max(metrics.horizontalAdvance(word) for word in heading.text().split())
        assert widest <= panel.width(), (heading.text(), widest, panel.width())
        if heading.text() != panel._headings[0]:
            assert heading.toolTip() == panel._headings[0]


def test_the_outline_stays_on_the_followed_map_when_the_grid_changes(window, qtbot):
    """A re-layout (the window resized, a panel opened) changes the grid's columns: the
    outline moved with the map, it did not land on whichever map took its old place."""
    from .test_detail_view import click_map

    view = window.network_view
    window.resize(1280, 690)
    settle(qtbot)
    click_map(view.feature_maps, 10, 5, 5)
    qtbot.waitUntil(lambda: window.viewer.focus is not None, timeout=2000)
    window.detail_dock.hide()  # only the outline is looked at here
    columns = view.feature_maps.cols
    window.resize(700, 690)
    qtbot.waitUntil(lambda: view.feature_maps.cols != columns, timeout=2000)
    for panel in (view.filters, view.feature_maps, view.pooled):
        h, w = (side * panel.magnify for side in panel.maps.shape[1:])
        row, col = divmod(10, panel.cols)
        corner = panel.marker.rect().topLeft()
        assert panel.marker.isVisible()
        assert (corner.x(), corner.y()) == (col * (w + 1) - 0.5, row * (h + 1) - 0.5), panel
