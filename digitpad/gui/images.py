"""Image files and QImages to grey NumPy arrays (Qt decodes PNG, JPEG and BMP for us)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize, Qt
from PySide6.QtGui import QImage, QImageReader

from digitpad.core.paths import file_problem, shown
from digitpad.core.preprocess import to_ink, to_mnist

MAX_PIXELS = 40_000_000  # a larger image is refused before it is decoded
MAX_SIDE = 1200  # larger images are decoded at this size
MAX_FILE_BYTES = 64 * 1024 * 1024  # a larger file is refused unread


class ImageError(Exception):
    """A file that is not a usable image; the message names the file."""


def qimage_to_rgba(image: QImage) -> np.ndarray:
    """Any QImage -> (H, W, 4) uint8 RGBA copy."""
    rgba = image.convertToFormat(QImage.Format.Format_RGBA8888)
    h, w = rgba.height(), rgba.width()
    buffer = np.frombuffer(rgba.constBits(), dtype=np.uint8, count=rgba.sizeInBytes())
    return buffer.reshape(h, rgba.bytesPerLine())[:, : 4 * w].reshape(h, w, 4).copy()


def qimage_to_gray(image: QImage) -> np.ndarray:
    """Any QImage -> (H, W) float32 in [0, 1].

    Transparent pixels are laid on whichever of black or white contrasts with the
    opaque ones, so a transparent PNG of strokes works whatever their colour.
    """
    rgba = qimage_to_rgba(image).astype(np.float32) / 255.0
    luminance = rgba[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    alpha = rgba[..., 3]
    if alpha.min() >= 1.0:
        return luminance
    opaque = alpha > 0.5
    strokes_bright = opaque.any() and float(luminance[opaque].mean()) > 0.5
    backdrop = 0.0 if strokes_bright else 1.0
    return luminance * alpha + backdrop * (1.0 - alpha)


def read_gray(path: str | os.PathLike) -> np.ndarray:
    """Decode an image file -> (H, W) float32 in [0, 1]; raises ImageError."""
    path = Path(path)
    problem = file_problem(path)
    if problem is not None:
        raise ImageError(f"{shown(path)}: {problem}")
    # Python reads the bytes (any file name the system allows, even one that is not
    # valid UTF-8, which Qt's own file opening would not find); Qt only decodes them.
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ImageError(f"{shown(path)}: cannot read ({exc.strerror or exc})") from exc
    if len(data) > MAX_FILE_BYTES:
        raise ImageError(f"{shown(path)}: larger than {MAX_FILE_BYTES >> 20} MB; not a digit")
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    size = reader.size()
    if size.isValid() and size.width() * size.height() > MAX_PIXELS:
        raise ImageError(f"{shown(path)}: {size.width()}x{size.height()} is too large an image")
    if size.isValid() and max(size.width(), size.height()) > MAX_SIDE:
        # The digit ends up 20 pixels tall: decoding a photo at full size would only cost
        # time and memory, so let the decoder shrink it (keeping its aspect ratio, and at
        # least a pixel each way: a 10000x1 strip would otherwise shrink to nothing).
        scaled = size.scaled(MAX_SIDE, MAX_SIDE, Qt.AspectRatioMode.KeepAspectRatio)
        reader.setScaledSize(QSize(max(1, scaled.width()), max(1, scaled.height())))
    image = reader.read()
    if image.isNull():
        raise ImageError(f"{shown(path)}: not a readable image ({reader.errorString()})")
    return qimage_to_gray(image)


def image_to_input(path: str | os.PathLike) -> np.ndarray:
    """An image file of a digit, any size or polarity -> the (28, 28) network input."""
    digit = to_mnist(to_ink(read_gray(path)))
    if digit is None:
        raise ImageError(f"{path}: the image is blank (no digit found)")
    return digit
