"""Image files to network input: formats, polarity, transparency, size limits, bad files."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen

from digitpad.gui.images import ImageError, image_to_input, read_gray


def bar_image(
    width,
    height,
    fmt=QImage.Format.Format_RGB32,
    background=Qt.GlobalColor.white,
    ink=Qt.GlobalColor.black,
):
    image = QImage(width, height, fmt)
    image.fill(background)
    painter = QPainter(image)
    painter.setPen(QPen(QColor(ink), max(2, width // 20)))
    painter.drawLine(width // 2, height // 6, width // 2, height * 5 // 6)
    painter.end()
    return image


def test_large_photo_is_decoded_shrunk(tmp_path):
    path = tmp_path / "big.png"
    assert bar_image(4000, 3000).save(str(path))
    gray = read_gray(path)
    assert max(gray.shape) == 1200 and gray.shape == (900, 1200)
    digit = image_to_input(path)
    assert digit.shape == (28, 28) and digit.max() == pytest.approx(1.0)


def test_transparent_png_with_dark_strokes(tmp_path):
    path = tmp_path / "transparent.png"
    image = bar_image(200, 200, QImage.Format.Format_ARGB32, Qt.GlobalColor.transparent)
    assert image.save(str(path))
    digit = image_to_input(path)
    rows = np.flatnonzero(digit.max(axis=1) > 0.1)
    assert rows.max() - rows.min() + 1 == 20  # the bar, not the transparent background


def test_transparent_png_with_white_strokes(tmp_path):
    path = tmp_path / "white.png"
    image = bar_image(
        200, 200, QImage.Format.Format_ARGB32, Qt.GlobalColor.transparent, Qt.GlobalColor.white
    )
    assert image.save(str(path))
    assert image_to_input(path).max() == pytest.approx(1.0)


@pytest.mark.parametrize(
    "content,message",
    [
        (b"", "not a readable image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "not a readable image"),
        (b"BM this is not a bitmap", "not a readable image"),
    ],
)
def test_broken_files(tmp_path, content, message):
    path = tmp_path / "broken.png"
    path.write_bytes(content)
    with pytest.raises(ImageError, match=f"broken.png: {message}"):
        read_gray(path)


def test_missing_file(tmp_path):
    with pytest.raises(ImageError, match="no such file"):
        read_gray(tmp_path / "nope.png")


def test_uniform_image_is_blank(tmp_path):
    path = tmp_path / "grey.png"
    image = QImage(50, 50, QImage.Format.Format_RGB32)
    image.fill(QColor(128, 128, 128))
    assert image.save(str(path))
    with pytest.raises(ImageError, match="blank"):
        image_to_input(path)


def test_image_bomb_is_refused_before_decoding(tmp_path):
    import struct
    import zlib

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 30000, 30000, 8, 0, 0, 0, 0)  # 900 megapixels, grey
    path = tmp_path / "bomb.png"
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
        + chunk(b"IEND", b"")
    )
    with pytest.raises(ImageError, match="bomb.png: 30000x30000 is too large"):
        read_gray(path)


@pytest.mark.parametrize("width,height", [(10_000, 3), (3, 10_000)])
def test_a_long_thin_strip_is_decoded_not_called_unreadable(tmp_path, width, height):
    path = tmp_path / "strip.png"
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    painter.fillRect(width // 3, height // 3, max(1, width // 3), max(1, height // 3), Qt.black)
    painter.end()
    assert image.save(str(path))
    gray = read_gray(path)
    assert min(gray.shape) >= 1 and max(gray.shape) == 1200  # shrunk, but not to nothing
    assert image_to_input(path).shape == (28, 28)


def test_a_file_name_that_is_not_utf8_is_opened(tmp_path):
    import os

    name = os.path.join(os.fsencode(tmp_path), b"caf\xe9.png")
    assert bar_image(200, 200).save(str(tmp_path / "plain.png"))
    os.rename(tmp_path / "plain.png", name)
    path = os.fsdecode(name)  # what Python (argv, a file dialog) hands over
    assert image_to_input(path).shape == (28, 28)
