"""Digits as a person draws them with a mouse: strokes in canvas pixels (0..280).

The ten digits live in ``digitpad.core.reference`` (they also fix the colour scales);
here they are varied the ways people vary them.
"""

from __future__ import annotations

from digitpad.core.reference import DIGITS, Point, arc, line

__all__ = ["DIGITS", "arc", "line", "slanted"]


def slanted(
    strokes: list[list[Point]], slant: float, scale: float = 1.0, dx: float = 0, dy: float = 0
) -> list[list[Point]]:
    """The same digit leaning right by ``slant``, scaled about the centre and moved."""
    return [
        [
            ((x - 140 - slant * (y - 140)) * scale + 140 + dx, (y - 140) * scale + 140 + dy)
            for x, y in stroke
        ]
        for stroke in strokes
    ]
