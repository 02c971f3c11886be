"""Data augmentation in NumPy that mimics how people draw digits on a canvas.

Each image gets its own random stroke thickening or thinning, then one random affine
map (rotation, scaling, slant, shift) composed with a smooth elastic displacement, all
sampled in one vectorised bilinear gather over the whole batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class AugmentConfig:
    """Ranges of the random transforms; every value is the half-width of a uniform range."""

    rotation_deg: float = 12.0
    scale: float = 0.12
    aspect: float = 0.08
    slant: float = 0.25
    shift_px: float = 2.5
    elastic_px: float = 1.2
    thickness: float = 0.8

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"AugmentConfig.{name} must be finite and >= 0, got {value!r}")
        if self.scale >= 0.5 or self.aspect >= 0.5:
            raise ValueError("AugmentConfig.scale and .aspect must be below 0.5")


def _neighbourhood(images: np.ndarray, reduce: np.ufunc) -> np.ndarray:
    """reduce (np.maximum / np.minimum) over each pixel and its 4 neighbours."""
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1)))
    h, w = images.shape[1:]
    centre = padded[:, 1 : h + 1, 1 : w + 1]
    out = reduce(centre, padded[:, :h, 1 : w + 1])
    out = reduce(out, padded[:, 2:, 1 : w + 1])
    out = reduce(out, padded[:, 1 : h + 1, :w])
    return reduce(out, padded[:, 1 : h + 1, 2:])


def _vary_thickness(images: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """amount (N,) in [-1, 1]: > 0 blends towards a dilation, < 0 towards an erosion."""
    grown = _neighbourhood(images, np.maximum)
    shrunk = _neighbourhood(images, np.minimum)
    a = amount[:, None, None]
    return np.where(a > 0, images + a * (grown - images), images - a * (shrunk - images))


def _bilinear(images: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Sample images (N, H, W) at float coordinates (N, H, W); outside counts as 0."""
    n, h, w = images.shape
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1)))  # a zero border absorbs the outside
    rows = np.clip(rows + 1, 0, h)  # in padded coordinates, keep r0 + 1 inside
    cols = np.clip(cols + 1, 0, w)
    r0 = np.floor(rows).astype(np.intp)
    c0 = np.floor(cols).astype(np.intp)
    r0 = np.minimum(r0, h)
    c0 = np.minimum(c0, w)
    fr = (rows - r0).astype(images.dtype)
    fc = (cols - c0).astype(images.dtype)
    flat = padded.reshape(n, -1)
    stride = w + 2
    base = r0 * stride + c0
    batch = np.arange(n)[:, None, None]

    def at(offset: int) -> np.ndarray:
        return flat[batch, base + offset]

    top = at(0) * (1 - fc) + at(1) * fc
    bottom = at(stride) * (1 - fc) + at(stride + 1) * fc
    return top * (1 - fr) + bottom * fr


def _elastic_field(n: int, size: int, amplitude: float, rng: np.random.Generator) -> np.ndarray:
    """Smooth random displacements (2, N, size, size): a 4x4 grid of offsets, upsampled."""
    coarse = rng.normal(0.0, amplitude, (2 * n, 4, 4)).astype(np.float32)
    grid = np.linspace(0, 3, size, dtype=np.float32)
    rows, cols = np.meshgrid(grid, grid, indexing="ij")
    fine = _bilinear(
        coarse,
        np.broadcast_to(rows, (2 * n, size, size)),
        np.broadcast_to(cols, (2 * n, size, size)),
    )
    return fine.reshape(2, n, size, size)


def augment_batch(
    images: np.ndarray, rng: np.random.Generator, config: AugmentConfig = AugmentConfig()
) -> np.ndarray:
    """images (N, 28, 28) float32 in [0, 1] -> a randomly distorted copy, same shape."""
    n, h, w = images.shape
    dtype = images.dtype
    if config.thickness > 0:
        images = _vary_thickness(images, rng.uniform(-config.thickness, config.thickness, n))
    angle = np.deg2rad(rng.uniform(-config.rotation_deg, config.rotation_deg, n))
    scale = 1 + rng.uniform(-config.scale, config.scale, n)
    aspect = 1 + rng.uniform(-config.aspect, config.aspect, n)
    slant = rng.uniform(-config.slant, config.slant, n)
    shift = rng.uniform(-config.shift_px, config.shift_px, (2, n))
    cos, sin = np.cos(angle), np.sin(angle)
    # The forward map is rotate, then slant (col += slant * row), then scale; sampling
    # needs its inverse M = scale^-1 @ slant^-1 @ rotate^-1, written out per element.
    sy, sx = scale * aspect, scale / aspect
    m00, m01 = cos / sy, sin / sy
    m10, m11 = (-slant * cos - sin) / sx, (cos - slant * sin) / sx
    centre_r, centre_c = (h - 1) / 2, (w - 1) / 2
    rr, cc = np.meshgrid(
        np.arange(h, dtype=np.float32), np.arange(w, dtype=np.float32), indexing="ij"
    )
    dr = rr[None] - centre_r - shift[0][:, None, None]
    dc = cc[None] - centre_c - shift[1][:, None, None]
    src_r = m00[:, None, None] * dr + m01[:, None, None] * dc + centre_r
    src_c = m10[:, None, None] * dr + m11[:, None, None] * dc + centre_c
    if config.elastic_px > 0:
        field = _elastic_field(n, h, config.elastic_px, rng)
        src_r = src_r + field[0]
        src_c = src_c + field[1]
    out = _bilinear(images, src_r, src_c)
    return np.clip(out, 0.0, 1.0).astype(dtype, copy=False)
