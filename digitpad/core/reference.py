"""Ten digits drawn stroke by stroke (our own drawing, not a data set): the reference
inputs that fix each model's colour scales, rendered the way the canvas renders strokes."""

from __future__ import annotations

import math

import numpy as np

from digitpad.core.preprocess import to_mnist
from digitpad.core.strokes import CANVAS_SIZE, Stroke, render

Point = tuple[float, float]


def arc(
    cx: float, cy: float, rx: float, ry: float, start: float, end: float, steps: int = 24
) -> list[Point]:
    """Points along an ellipse from angle start to end (degrees, clockwise on screen)."""
    return [
        (
            cx + rx * math.cos(math.radians(start + (end - start) * t / steps)),
            cy + ry * math.sin(math.radians(start + (end - start) * t / steps)),
        )
        for t in range(steps + 1)
    ]


def line(a: Point, b: Point, steps: int = 12) -> list[Point]:
    return [
        (a[0] + (b[0] - a[0]) * t / steps, a[1] + (b[1] - a[1]) * t / steps)
        for t in range(steps + 1)
    ]


DIGITS: dict[int, list[list[Point]]] = {
    0: [arc(140, 140, 65, 100, -90, 275, 40)],
    1: [line((120, 70), (150, 40), 4) + line((150, 40), (150, 240), 16)[1:]],
    2: [
        arc(140, 95, 60, 55, 200, 360, 16)
        + arc(140, 95, 60, 55, 0, 50, 6)[1:]
        + line((178, 137), (80, 235), 12)[1:]
        + line((80, 235), (205, 235), 10)[1:]
    ],
    3: [arc(135, 90, 55, 48, 210, 450, 20) + arc(135, 185, 62, 52, -90, 150, 20)[1:]],
    4: [
        line((160, 40), (75, 170), 12) + line((75, 170), (200, 170), 10)[1:],
        line((165, 95), (165, 245), 12),
    ],
    5: [
        line((195, 45), (100, 45), 8)
        + line((100, 45), (92, 130), 8)[1:]
        + arc(135, 175, 65, 60, -130, 150, 24)[1:]
    ],
    6: [arc(150, 110, 70, 90, -70, -200, 14) + arc(140, 185, 58, 55, 180, 540, 30)[1:]],
    7: [line((75, 50), (205, 50), 10) + line((205, 50), (120, 240), 16)[1:]],
    8: [arc(140, 90, 50, 45, 90, 450, 30) + arc(140, 185, 60, 52, -90, 270, 30)[1:]],
    9: [arc(140, 95, 55, 52, 0, 360, 30), line((195, 95), (180, 240), 14)],
}

# Thin, usual and thick pens: the range people draw with.
REFERENCE_PEN_WIDTHS = (14.0, 22.0, 34.0)


def reference_inputs(scale: float = 0.5) -> np.ndarray:
    """(30, 28, 28) float32: each digit at each reference pen width, as the network sees it.

    Drawn at ``scale`` times the canvas size (half by default: 4x fewer pixels, and the
    same 28x28 result to within a shade, since every drawing is shrunk to 20 px anyway).
    """
    size = round(CANVAS_SIZE * scale)
    inputs = []
    for width in REFERENCE_PEN_WIDTHS:
        for strokes in DIGITS.values():
            pen = [Stroke(np.array(points) * scale, width * scale) for points in strokes]
            inputs.append(to_mnist(render(pen, size)))
    return np.stack(inputs).astype(np.float32)
