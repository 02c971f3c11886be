"""Every kind of network the Retrain dialog can build, shown in the window: each strip
stage picked with a real click, a value of every conv block's maps followed, the end shown.

(tests/gui/test_custom_model.py trains one such network through the dialog; these are
untrained, built from the same spec function, so many shapes stay fast.)"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from digitpad.core.architectures import ConvChoice, custom_spec
from digitpad.core.model_io import ModelMetadata, save_model
from digitpad.core.network import Network

from .conftest import open_window
from .test_detail_view import click_map
from .test_views import draw_seven

ARCHITECTURES = {
    "three blocks": custom_spec(
        [ConvChoice(4, padding="same"), ConvChoice(6, padding="same"), ConvChoice(8)],
        dense_units=32,
    ),
    "no dense layer": custom_spec([ConvChoice(6)], dense_units=None),
    "no pooling, no activation": custom_spec(
        [ConvChoice(4, activation=None, pool=None), ConvChoice(4, stride=2)], dense_units=16
    ),
    "stride 2, average pooling, global pooling": custom_spec(
        [ConvChoice(6, kernel=5, stride=2, pool="average", activation="tanh")],
        global_pool=True,
        dense_units=None,
    ),
}


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_every_stage_of_the_network_is_shown(name, qtbot, settings, dialogs, library_folder):
    network = Network(ARCHITECTURES[name], np.random.default_rng(3))
    path = save_model(library_folder / "net.npz", network, ModelMetadata(name=name))
    window = open_window(qtbot, settings, library_folder, model=None)
    window.model_menu.load(path)
    viewer, view = window.viewer, window.network_view
    assert viewer.model_in_use.path == path
    draw_seven(window, qtbot)
    for stage, button in zip(viewer.stages, window.layer_strip.buttons, strict=True):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        QApplication.processEvents()
        assert button.isChecked(), stage.name
        at_end = stage.first >= 0 and not any(stage.first in b for b in viewer.blocks)
        assert (view.pages.currentWidget() is view.end_view) == at_end, stage.name
        window.grab()  # painted without error
    for index in range(len(viewer.blocks)):
        viewer.select_block(index)
        QApplication.processEvents()
        block = viewer.block
        for panel, layer in ((view.feature_maps, block.conv), (view.pooled, block.last)):
            _, height, width = panel.maps.shape
            click_map(panel, 0, height // 2, width // 2)
            qtbot.waitUntil(lambda v=viewer: v.focus is not None, timeout=5000)
            focus = viewer.focus
            value = float(viewer.output(focus.layer)[focus.channel, focus.row, focus.col])
            steps = window.detail_dock.detail.steps
            assert focus.layer == layer, (name, layer)
            # The step for the clicked value, as the detail view shows it, is the map's.
            (step,) = [step for step in steps if step.layer == focus.layer]
            shown = step.after if hasattr(step, "after") else step.value
            assert shown == pytest.approx(value, abs=1e-5), (name, layer)
            if hasattr(step, "products"):  # a convolution: its sum adds up
                assert step.products.sum() + step.bias == pytest.approx(value, abs=1e-5)
            viewer.clear_focus()
    assert not dialogs
