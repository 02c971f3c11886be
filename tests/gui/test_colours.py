"""The colour map reads without colour, and tiles carry their map numbers."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage, QPainter

from digitpad.gui.panels import NUMBERED_TILE_PX, TileNumbers
from digitpad.gui.theme import diverging_colour


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
