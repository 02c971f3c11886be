"""Colours: the map reads without colour, scales start at 0 where nothing can be negative
and keep contrast, and tiles carry their map numbers."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtTest import QTest

from digitpad.core.architectures import ConvChoice, custom_spec
from digitpad.core.model_io import ModelMetadata, save_model
from digitpad.core.network import Network
from digitpad.gui.panels import NUMBERED_TILE_PX, TileNumbers
from digitpad.gui.theme import diverging_colour

from .conftest import open_window
from .test_views import draw_seven


def luminance(colour: QColor) -> float:
    """Relative luminance (what a greyscale projector or print keeps)."""
    channels = np.array(colour.getRgbF()[:3])
    linear = np.where(channels <= 0.04045, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
    return float(linear @ [0.2126, 0.7152, 0.0722])


@pytest.mark.parametrize("pale", [0.0, 0.5])
def test_the_sign_reads_in_greyscale(qapp, pale):
    """Lightness rises steadily from the most negative value to the most positive: in grey,
    darker than zero is negative, lighter is positive (a red-white-blue map fails this)."""
    values = np.linspace(-1, 1, 41)
    lightness = [luminance(diverging_colour(v, 1.0, pale)) for v in values]
    assert (np.diff(lightness) > 0).all()
    # Negative and positive ends differ in hue as well: blue against yellow.
    low, high = diverging_colour(-1, 1.0), diverging_colour(1, 1.0)
    assert low.blue() > low.red() and high.red() > high.blue()
    assert diverging_colour(5, 1.0) == diverging_colour(1, 1.0)  # clipped to the scale
    assert diverging_colour(0.3, 0.0) == diverging_colour(0, 1.0)  # no scale: zero's grey


def painted(numbers: TileNumbers, scale: float) -> np.ndarray:
    image = QImage(400, 400, QImage.Format.Format_ARGB32)
    image.fill(QColor(0, 0, 0, 0))
    painter = QPainter(image)
    painter.scale(scale, scale)
    numbers.paint(painter, None)
    painter.end()
    bits = np.frombuffer(image.constBits(), np.uint8).reshape(400, image.bytesPerLine())
    return bits[:, : 400 * 4].reshape(400, 400, 4)[..., 3].copy()  # alpha: anything drawn


def test_tiles_are_numbered_when_there_is_room(qapp):
    numbers = TileNumbers()
    numbers.set_tiles(count=6, cols=3, height=14, width=14)
    big = painted(numbers, NUMBERED_TILE_PX / 14 * 2)  # each tile 44 px on screen
    tile_px = 15 * NUMBERED_TILE_PX / 14 * 2
    for tile in range(6):
        row, col = divmod(tile, 3)
        top, left = int(row * tile_px), int(col * tile_px)
        assert big[top + 2 : top + 8, left + 2 : left + 8].any(), tile  # its label
        assert not big[top + 30 : top + 40, left + 30 : left + 40].any(), tile  # the map shows
    assert not painted(numbers, (NUMBERED_TILE_PX - 1) / 14).any()  # too small: no clutter


def lightness(rgb: np.ndarray) -> np.ndarray:
    """CIE L* (0 black .. 100 white) of (..., 3) bytes: the lightness the eye compares."""
    channels = rgb / 255.0
    linear = np.where(channels <= 0.04045, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
    y = linear @ [0.2126, 0.7152, 0.0722]
    return np.where(y > (6 / 29) ** 3, 116 * np.cbrt(y) - 16, y * (29 / 3) ** 3)


def shown_maps(panel) -> np.ndarray:
    """The maps as the panel's image item colours them: (F, H, W) of L*."""
    panel.image.render()
    image = panel.image.qimage.convertToFormat(QImage.Format.Format_RGB888)
    width, height = image.width(), image.height()
    bits = np.frombuffer(image.constBits(), np.uint8).reshape(height, image.bytesPerLine())
    light = lightness(bits[:, : width * 3].reshape(height, width, 3).astype(np.float64))
    count, h, w = panel.maps.shape
    tiles = []
    for tile in range(count):
        row, col = divmod(tile, panel.cols)
        tiles.append(light[row * (h + 1) : row * (h + 1) + h, col * (w + 1) : col * (w + 1) + w])
    return np.stack(tiles)


def grow(mask: np.ndarray, steps: int) -> np.ndarray:
    """The mask widened by ``steps`` pixels in each direction (8-neighbourhood)."""
    for _ in range(steps):
        padded = np.pad(mask, 1)
        mask = np.zeros_like(mask)
        for dy in (0, 1, 2):
            for dx in (0, 1, 2):
                mask |= padded[dy : dy + mask.shape[0], dx : dx + mask.shape[1]]
    return mask


def ink_contrast(window, panel) -> float:
    """Mean over the maps of |mean L* on the ink - mean L* on the paper around it|."""
    ink = window.viewer.input > 0.5
    paper = ~grow(ink, 2)  # away from the strokes: the 3x3 filters read no ink there
    light = shown_maps(panel)
    return float(np.mean(np.abs(light[:, ink].mean(axis=1) - light[:, paper].mean(axis=1))))


def test_fixed_scales_keep_a_drawn_sevens_maps_contrasted(window, qtbot):
    draw_seven(window, qtbot)
    view = window.network_view
    assert window.actions["fixed_scales"].isChecked()
    conv1 = ink_contrast(window, view.feature_maps)
    view.after_activation.setChecked(True)
    relu1 = ink_contrast(window, view.feature_maps)
    # Before: 3.0 and 2.1 (conv1 on -5..5, relu1 on the diverging -2..2); now 7.0 and 5.1.
    assert conv1 > 5.0 and relu1 > 4.0


TANH_SPEC = custom_spec(
    [ConvChoice(4, activation="tanh"), ConvChoice(4, pool="average")], dense_units=16
)
# Written out by hand, not asked of scales.py: which layers cannot be negative.
NEVER_NEGATIVE = {
    "default": {"relu1", "maxpool1", "relu2", "maxpool2", "relu3"},
    "tanh": {"relu1", "avgpool1", "relu2"},  # tanh1 and its max pooling are signed
}


def shown_panels(window):
    """(layer, panel) for every map panel the window shows, stage by stage."""
    viewer, view = window.viewer, window.network_view
    for index in range(len(viewer.blocks)):
        viewer.select_block(index)
        for after in (False, True):
            view.after_activation.setChecked(after)
            yield view._maps_layer(), view.feature_maps
        yield viewer.block.last, view.pooled
    dense = next(s for s in viewer.stages if s.name.startswith("dense1"))
    click_stage(window, dense)
    yield view.end_view.dense_layer, view.end_view.dense


def click_stage(window, stage) -> None:
    button = window.layer_strip.buttons[window.viewer.stages.index(stage)]
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


@pytest.mark.parametrize("model", ["default", "tanh"])
@pytest.mark.parametrize("fixed", [True, False])
def test_scales_start_at_zero_exactly_where_values_cannot_be_negative(
    model, fixed, qtbot, settings, dialogs, library_folder
):
    if model == "tanh":
        network = Network(TANH_SPEC, np.random.default_rng(3))
        path = save_model(library_folder / "tanh.npz", network, ModelMetadata(name="tanh"))
        window = open_window(qtbot, settings, library_folder, model=None)
        window.model_menu.load(path)
    else:
        window = open_window(qtbot, settings, library_folder)
    if not fixed:
        window.actions["fixed_scales"].trigger()
    draw_seven(window, qtbot)
    names = window.viewer.network_shown.names
    seen = set()
    for layer, panel in shown_panels(window):
        low, high = panel.bar.levels()
        labels = [text for _, text in panel.bar_labels()]
        if names[layer] in NEVER_NEGATIVE[model]:
            assert low == 0 and high > 0, names[layer]
            assert labels[0] == "0", names[layer]
            # The image's lowest colour is zero's grey: blue (negative) appears nowhere.
            lowest = np.asarray(panel.image.lut)[0][:3]
            assert np.abs(lowest - diverging_colour(0, 1.0).getRgb()[:3]).max() <= 2
        else:
            assert low == -high < 0, names[layer]
            assert labels[0].lstrip("≤ ").startswith("-"), names[layer]
            lowest = np.asarray(panel.image.lut)[0][:3]
            assert lowest[2] > lowest[0] + 100, names[layer]  # the diverging map's blue
        seen.add(names[layer])
    assert NEVER_NEGATIVE[model] <= seen
    assert not dialogs


def test_a_clipped_end_says_so_on_the_bar(window, qtbot):
    draw_seven(window, qtbot)
    panel = window.network_view.feature_maps  # conv1, fixed scale -2..2: the 7 reaches -3.8
    maps = window.viewer.output(0)
    low, high = panel.bar.levels()
    labels = panel.bar_labels()
    assert maps.min() < low and labels[0][1] == f"≤ {low:g}"
    assert (maps.max() > high) == labels[-1][1].startswith("≥")
    window.actions["fixed_scales"].trigger()
    window.actions["clear"].trigger()
    window.canvas_feed.update_now()  # nothing drawn: nothing clipped
    assert [text for _, text in panel.bar_labels()] == ["-1", "0", "1"]


def drawn_bar_labels(panel) -> list[str]:
    """The labels the colour bar's axis actually draws (it leaves out any it cannot hold)."""
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _, _, texts = panel.bar.axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [text for _, _, text in texts]


def test_the_bar_draws_every_label_in_presentation_type(window, qtbot):
    window.resize(1280, 720)
    draw_seven(window, qtbot)
    view = window.network_view
    view.after_activation.setChecked(True)  # relu1 on 0..0.8, which the 7 passes: "≥ 0.8"
    window.actions["presentation"].trigger()
    qtbot.wait(50)
    panel = view.feature_maps
    assert [text for _, text in panel.bar_labels()][-1].startswith("≥")
    assert sorted(drawn_bar_labels(panel)) == sorted(t for _, t in panel.bar_labels())
