"""Doodles people draw on a digit pad that are not digits: faces, houses, stars, hearts,
arrows, spirals, grids, crosses, hash signs, long lines, zig-zags, scribbles and words.

Each is drawn as pen strokes on the 280x280 canvas, as a person would draw it: another shape
every time, another size, place, tilt and pen. A doodle is fixed by its kind and its seed,
so a set of seeds can be held out whole, as writers are.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import numpy as np

from digitpad.core.preprocess import SIZE, to_mnist
from digitpad.core.strokes import CANVAS_SIZE, Stroke, render

Path = np.ndarray  # (n, 2) points in a unit box, x right, y down
Shape = Callable[[np.random.Generator], list[Path]]


def _circle(
    rng: np.random.Generator,
    centre: tuple[float, float],
    radius: float,
    turns: float = 1.0,
    points: int = 48,
) -> Path:
    start = rng.uniform(0, 2 * np.pi)
    angles = start + np.linspace(0, 2 * np.pi * turns, max(8, int(points * turns)))
    wobble = 1 + 0.04 * np.sin(angles * rng.integers(2, 4) + rng.uniform(0, 6))
    return np.stack(
        [
            centre[0] + radius * wobble * np.cos(angles),
            centre[1] + radius * wobble * np.sin(angles),
        ],
        axis=1,
    )


def _line(a: Sequence[float], b: Sequence[float], points: int = 12) -> Path:
    t = np.linspace(0, 1, points)[:, None]
    return (1 - t) * np.asarray(a, float) + t * np.asarray(b, float)


def _polyline(corners: Sequence[Sequence[float]], points: int = 8) -> Path:
    return np.concatenate(
        [_line(a, b, points)[:-1] for a, b in itertools.pairwise(corners)]
        + [np.asarray(corners[-1:], float)]
    )


def face(rng: np.random.Generator) -> list[Path]:
    eye_y, eye_dx = rng.uniform(0.35, 0.45), rng.uniform(0.12, 0.2)
    eyes = [
        _circle(rng, (0.5 + side * eye_dx, eye_y), rng.uniform(0.02, 0.06), points=16)
        for side in (-1, 1)
    ]
    smile = rng.uniform(0.3, 0.5) * np.pi
    angles = np.linspace(smile, np.pi - smile, 16)
    mouth = np.stack([0.5 + 0.25 * np.cos(angles), 0.5 + 0.18 * np.sin(angles)], axis=1)
    if rng.random() < 0.3:
        mouth[:, 1] = 1.25 - mouth[:, 1]  # a frown
    return [_circle(rng, (0.5, 0.5), 0.5), *eyes, mouth]


def house(rng: np.random.Generator) -> list[Path]:
    top = rng.uniform(0.35, 0.5)
    body = _polyline([(0.1, top), (0.1, 1), (0.9, 1), (0.9, top), (0.1, top)])
    roof = _polyline([(0.0, top + 0.02), (0.5, rng.uniform(0.0, 0.1)), (1.0, top + 0.02)])
    paths = [body, roof]
    if rng.random() < 0.7:
        x = rng.uniform(0.3, 0.55)
        paths.append(_polyline([(x, 1), (x, 0.7), (x + 0.15, 0.7), (x + 0.15, 1)]))
    return paths


def star(rng: np.random.Generator) -> list[Path]:
    start = rng.uniform(0, 2 * np.pi)
    angles = start + np.arange(6) * 4 * np.pi / 5  # a pentagram drawn in one line
    return [_polyline(np.stack([0.5 + 0.5 * np.cos(angles), 0.5 + 0.5 * np.sin(angles)], 1))]


def heart(rng: np.random.Generator) -> list[Path]:
    t = np.linspace(0, 2 * np.pi, 64)
    x = 16 * np.sin(t) ** 3
    y = 13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t)
    points = np.stack([x / 34 + 0.5, 0.5 - y / 34], axis=1)
    return [np.roll(points, rng.integers(0, 64), axis=0)]


def arrow(rng: np.random.Generator) -> list[Path]:
    head = rng.uniform(0.2, 0.35)
    shaft = _line((0.0, 0.5), (1.0, 0.5))
    tip = _polyline([(1 - head, 0.5 - head), (1.0, 0.5), (1 - head, 0.5 + head)])
    return [shaft, tip] if rng.random() < 0.5 else [np.concatenate([shaft, tip[::-1]])]


def spiral(rng: np.random.Generator) -> list[Path]:
    turns = rng.uniform(2.0, 4.0)
    angles = np.linspace(0, 2 * np.pi * turns, int(40 * turns))
    radius = 0.5 * angles / angles[-1]
    return [np.stack([0.5 + radius * np.cos(angles), 0.5 + radius * np.sin(angles)], axis=1)]


def grid(rng: np.random.Generator) -> list[Path]:
    rows, cols = rng.integers(3, 6), rng.integers(3, 6)
    across = [_line((0, y), (1, y)) for y in np.linspace(0, 1, rows)]
    down = [_line((x, 0), (x, 1)) for x in np.linspace(0, 1, cols)]
    return across + down


def cross(rng: np.random.Generator) -> list[Path]:
    return [_line((0, 0), (1, 1)), _line((1, 0), (0, 1))]


def hash_sign(rng: np.random.Generator) -> list[Path]:
    lean = rng.uniform(0.0, 0.2)
    return [
        _line((0.0, 0.33), (1.0, 0.33)),
        _line((0.0, 0.67), (1.0, 0.67)),
        _line((0.33 + lean, 0.0), (0.33 - lean, 1.0)),
        _line((0.67 + lean, 0.0), (0.67 - lean, 1.0)),
    ]


def long_line(rng: np.random.Generator) -> list[Path]:
    return [_line((0.0, 0.5), (1.0, 0.5 + rng.uniform(-0.05, 0.05)), 20)]


def zigzag(rng: np.random.Generator) -> list[Path]:
    teeth = rng.integers(3, 7)
    x = np.linspace(0, 1, 2 * teeth + 1)
    y = np.where(np.arange(len(x)) % 2, 0.0, 1.0) * rng.uniform(0.3, 1.0)
    return [_polyline(np.stack([x, y], axis=1), 6)]


def scribble(rng: np.random.Generator) -> list[Path]:
    steps = rng.integers(40, 120)
    heading = rng.uniform(0, 2 * np.pi) + np.cumsum(rng.normal(0, 0.5, steps))
    points = np.cumsum(np.stack([np.cos(heading), np.sin(heading)], axis=1), axis=0)
    return [points]


def word(rng: np.random.Generator) -> list[Path]:
    """Joined-up loops, as a word is written fast: 'eeee', 'llll' or 'mmmm'."""
    letters = rng.integers(4, 8)
    t = np.linspace(0, 2 * np.pi * letters, 24 * letters)
    tall = rng.uniform(0.3, 1.2)
    x = t / (2 * np.pi) - 0.35 * np.sin(t)
    y = -tall * (1 - np.cos(t)) / 2
    return [np.stack([x, y], axis=1)]


KINDS: dict[str, Shape] = {
    "face": face,
    "house": house,
    "star": star,
    "heart": heart,
    "arrow": arrow,
    "spiral": spiral,
    "grid": grid,
    "cross": cross,
    "hash": hash_sign,
    "line": long_line,
    "zigzag": zigzag,
    "scribble": scribble,
    "word": word,
}


# The widest pen each kind is drawn with, as a share of the doodle's size: past it a
# spiral, a grid or a written word is a blob of ink, which nobody draws on purpose.
MAX_PEN_SHARE = {"face": 0.1, "spiral": 0.05, "grid": 0.06, "zigzag": 0.07, "word": 0.035}


def doodle(kind: str, seed: int, pen_width: float | None = None) -> list[Stroke]:
    """The doodle ``kind`` number ``seed`` on the canvas: shape, size, place, tilt, shake and
    pen (unless ``pen_width`` is given) all follow from the seed."""
    if kind not in KINDS:
        raise ValueError(f"no doodle kind {kind!r}; the kinds are {', '.join(KINDS)}")
    rng = np.random.default_rng([seed, list(KINDS).index(kind)])
    paths = KINDS[kind](rng)
    size = rng.uniform(120.0, 230.0)
    widest = min(40.0, MAX_PEN_SHARE.get(kind, 1.0) * size)
    width = float(np.exp(rng.uniform(np.log(min(6.0, widest)), np.log(widest))))
    width = width if pen_width is None else pen_width
    angle = np.radians(rng.uniform(-20, 20))
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    stretch = np.diag(np.exp(rng.uniform(-0.25, 0.25, 2)))
    points = [path @ (turn @ stretch).T for path in paths]
    ink = np.concatenate(points)
    low, high = ink.min(axis=0), ink.max(axis=0)
    scale = size / max(float((high - low).max()), 1e-9)
    centre = CANVAS_SIZE / 2 + rng.uniform(-20, 20, 2)
    strokes = []
    for path in points:
        placed = (path - (low + high) / 2) * scale + centre
        placed = placed + rng.normal(0, 1.0, placed.shape)
        strokes.append(np.clip(placed, width / 2, CANVAS_SIZE - width / 2))
    return [Stroke(path, width) for path in strokes]


def render_inputs(kinds: Sequence[str], seeds: Sequence[int]) -> np.ndarray:
    """(N, 28, 28) float32: each doodle drawn on the canvas and turned into the network's
    input as the canvas's pixels are."""
    inputs = np.zeros((len(kinds), SIZE, SIZE), np.float32)
    for index, (kind, seed) in enumerate(zip(kinds, seeds, strict=True)):
        image = to_mnist(render(doodle(kind, int(seed))))
        if image is not None:
            inputs[index] = image
    return inputs
