"""Pen strokes -> the 280x280 image the canvas shows: round caps and joins, anti-aliased.

A stroke is the pointer's path in canvas pixels with a pen width; an eraser stroke takes
ink away. This is what a drawing is before ``preprocess.to_mnist`` turns it into the
network's 28x28 input, so anything rendered here (reference digits, replayed pen data)
reaches the network the way a user's drawing does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

CANVAS_SIZE = 280
_SEGMENTS_PER_BOX = 8


@dataclass(frozen=True)
class Stroke:
    """points (n, 2) as (x, y) in canvas pixels, y down; width in canvas pixels."""

    points: np.ndarray
    width: float
    erase: bool = False

    def __post_init__(self) -> None:
        points = np.asarray(self.points, dtype=np.float64).reshape(-1, 2)
        if len(points) == 0:
            raise ValueError("a stroke needs at least one point")
        if not np.isfinite(points).all():
            raise ValueError("stroke points must be finite numbers")
        if not (np.isfinite(self.width) and self.width > 0):
            raise ValueError(f"pen width must be a positive number, got {self.width!r}")
        object.__setattr__(self, "points", points)


def _paint_coverage(stroke: Stroke, coverage: np.ndarray) -> None:
    """Raise ``coverage`` (size, size) to the stroke's ink coverage.

    Each segment is a capsule (round ends); the maximum over segments is the coverage of
    the whole stroke, round joins included, since coverage falls as the distance to the
    path grows. Consecutive segments lie close together, so a few at a time share one
    small box: few array operations, none over the whole canvas."""
    size = coverage.shape[0]
    radius = stroke.width / 2
    points = stroke.points.astype(np.float32)
    starts = points if len(points) == 1 else points[:-1]
    ends = points if len(points) == 1 else points[1:]
    for first in range(0, len(starts), _SEGMENTS_PER_BOX):
        a = starts[first : first + _SEGMENTS_PER_BOX]  # (S, 2)
        b = ends[first : first + _SEGMENTS_PER_BOX]
        low = np.floor(np.minimum(a, b).min(axis=0) - radius - 1).astype(int).clip(0, size)
        high = np.ceil(np.maximum(a, b).max(axis=0) + radius + 2).astype(int).clip(0, size)
        if low[0] >= high[0] or low[1] >= high[1]:
            continue
        xs = np.arange(low[0], high[0], dtype=np.float32) + 0.5
        ys = np.arange(low[1], high[1], dtype=np.float32) + 0.5
        px = xs[None, None, :] - a[:, 0, None, None]  # (S, 1, W)
        py = ys[None, :, None] - a[:, 1, None, None]  # (S, H, 1)
        ab = b - a
        length2 = (ab * ab).sum(axis=1)[:, None, None]
        along = (px * ab[:, 0, None, None] + py * ab[:, 1, None, None]) / np.maximum(length2, 1e-12)
        along = np.clip(along, 0, 1)  # the nearest point of each segment to each pixel
        dx = px - along * ab[:, 0, None, None]
        dy = py - along * ab[:, 1, None, None]
        nearest = np.sqrt((dx * dx + dy * dy).min(axis=0))
        # One pixel of anti-aliasing across the pen's edge.
        ink = np.clip(radius + 0.5 - nearest, 0.0, 1.0)
        region = coverage[low[1] : high[1], low[0] : high[0]]
        np.maximum(region, ink, out=region)


def render(strokes: Sequence[Stroke], size: int = CANVAS_SIZE) -> np.ndarray:
    """The strokes in order, ink white on black: (size, size) float32 in [0, 1]."""
    image = np.zeros((size, size), np.float32)
    coverage = np.empty_like(image)
    for stroke in strokes:
        coverage.fill(0.0)
        _paint_coverage(stroke, coverage)
        if stroke.erase:
            image *= 1.0 - coverage
        else:
            np.maximum(image, coverage, out=image)
    return image
