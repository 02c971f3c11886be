"""Writing test images with Qt: digits as PNG/JPEG/BMP files of any size and polarity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage


def gray_to_qimage(gray: np.ndarray) -> QImage:
    """(H, W) float in [0, 1] -> a Grayscale8 QImage (copied, owns its memory)."""
    data = np.ascontiguousarray(np.clip(gray * 255 + 0.5, 0, 255).astype(np.uint8))
    h, w = data.shape
    return QImage(data.data, w, h, w, QImage.Format.Format_Grayscale8).copy()


def save_digit(digit: np.ndarray, path: Path, size: int = 28, invert: bool = False) -> Path:
    """Save a 28x28 digit scaled to size x size, optionally dark on light."""
    image = gray_to_qimage(1.0 - digit if invert else digit)
    if size != image.width():
        image = image.scaled(
            size,
            size,
            Qt.AspectRatioMode.IgnoreAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    assert image.save(str(path)), path
    return path
