"""Turn drawn or loaded pixels into the network's input, the way MNIST was made.

MNIST digits were size-normalised to fit a 20x20 box, keeping their aspect ratio, with
anti-aliasing, then placed in a 28x28 field with their centre of mass at (14, 14).
The canvas and ``digitpad predict`` both go through ``to_mnist``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SIZE = 28
BOX = 20
INK_THRESHOLD = 0.05  # below this fraction of full intensity a pixel counts as background


def resample_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) weights resampling a line of n_in pixels to n_out.

    A triangle filter stretched to the input pixels each output covers: area-like
    averaging (anti-aliasing) when shrinking, linear interpolation when enlarging.
    """
    scale = n_in / n_out
    support = max(scale, 1.0)
    centres = (np.arange(n_out) + 0.5) * scale  # output pixel centres in input coordinates
    sources = np.arange(n_in) + 0.5
    weights = np.maximum(0.0, 1.0 - np.abs(sources[None, :] - centres[:, None]) / support)
    totals = weights.sum(axis=1, keepdims=True)
    return weights / np.where(totals > 0, totals, 1.0)


def resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """image (H, W) -> (height, width), separable anti-aliased resampling."""
    rows = resample_matrix(image.shape[0], height)
    cols = resample_matrix(image.shape[1], width)
    return (rows @ image.astype(np.float64) @ cols.T).astype(np.float32)


def fit_to_canvas(ink: np.ndarray, size: int = 280) -> np.ndarray:
    """ink (H, W), bright on zero -> (size, size) float32: scaled to fill 80 % of the canvas
    the longer way, centred, as an opened image is placed on the drawing canvas."""
    h, w = ink.shape
    scale = (size * 0.8) / max(h, w)
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    fitted = np.clip(resize(ink, new_h, new_w), 0, 1)
    full = np.zeros((size, size), np.float32)
    top, left = (size - new_h) // 2, (size - new_w) // 2
    full[top : top + new_h, left : left + new_w] = fitted
    return full


def to_ink(gray: np.ndarray) -> np.ndarray:
    """Any grey image (H, W) in [0, 1], either polarity -> bright ink on a zero background.

    The background level is the median of the border pixels: a light border means dark
    ink on paper, which is inverted. The background level is then subtracted so a grey
    or off-white page becomes black.
    """
    gray = np.asarray(gray, dtype=np.float32)
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    background = float(np.median(border))
    if background > 0.5:
        gray = 1.0 - gray
        background = 1.0 - background
    ink = np.clip(gray - background, 0.0, None)
    peak = float(ink.max()) if ink.size else 0.0
    return ink / peak if peak > 0 else ink


@dataclass(frozen=True)
class MnistSteps:
    """What ``to_mnist`` did to one drawing, step by step, for the input view to show.

    ink : (H, W) float32, the drawing scaled so its brightest pixel is 1.
    box : (top, left, bottom, right), inclusive: the ink's bounding box in ``ink``, every
        row and column with a pixel above ``INK_THRESHOLD``.
    cropped : (bottom - top + 1, right - left + 1) float32, ``ink`` cut to ``box``.
    scaled : (h, w) float32, ``cropped`` resampled so its longer side is ``BOX`` pixels.
    centre_of_mass : (row, col) of ``scaled``'s ink, in its own pixel coordinates.
    offset : (top, left) where ``scaled`` was placed in the 28x28 field.
    network_input : (28, 28) float32 in [0, 1], the result: ``to_mnist``'s own.
    """

    ink: np.ndarray
    box: tuple[int, int, int, int]
    cropped: np.ndarray
    scaled: np.ndarray
    centre_of_mass: tuple[float, float]
    offset: tuple[int, int]
    network_input: np.ndarray


def to_mnist(ink: np.ndarray) -> np.ndarray | None:
    """ink (H, W), bright on zero, any size -> (28, 28) float32 in [0, 1], or None if empty."""
    steps = mnist_steps(ink)
    return None if steps is None else steps.network_input


def mnist_steps(ink: np.ndarray) -> MnistSteps | None:
    """ink (H, W), bright on zero, any size -> every step to the 28x28 input, or None if
    the image has no ink. ``to_mnist`` is this function's last step."""
    ink = np.asarray(ink, dtype=np.float32)
    if ink.ndim != 2 or ink.size == 0:
        raise ValueError(f"expected a 2-D image, got shape {ink.shape}")
    peak = float(ink.max())
    if not np.isfinite(peak) or peak <= 0:
        return None
    ink = ink / peak
    rows = np.flatnonzero((ink > INK_THRESHOLD).any(axis=1))
    cols = np.flatnonzero((ink > INK_THRESHOLD).any(axis=0))
    if rows.size == 0:
        return None
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    h, w = crop.shape
    scale = BOX / max(h, w)
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    patch = np.clip(resize(crop, new_h, new_w), 0.0, 1.0)
    total = float(patch.sum())
    if total <= 0:
        return None
    # Centre of mass in patch pixel coordinates. MNIST's sits at (14, 14) give or take
    # half a pixel (measured over its test set), so that is where ours goes.
    com_r = float((patch.sum(axis=1) * np.arange(new_h)).sum() / total)
    com_c = float((patch.sum(axis=0) * np.arange(new_w)).sum() / total)
    top = int(np.clip(round(SIZE / 2 - com_r), 0, SIZE - new_h))
    left = int(np.clip(round(SIZE / 2 - com_c), 0, SIZE - new_w))
    out = np.zeros((SIZE, SIZE), dtype=np.float32)
    out[top : top + new_h, left : left + new_w] = patch
    peak = float(out.max())
    return MnistSteps(
        ink=ink,
        box=(int(rows[0]), int(cols[0]), int(rows[-1]), int(cols[-1])),
        cropped=crop,
        scaled=patch,
        centre_of_mass=(com_r, com_c),
        offset=(top, left),
        network_input=out / peak if peak > 0 else out,
    )
