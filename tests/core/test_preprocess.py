"""Canvas or file pixels -> the MNIST-style 28x28 input."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.core.preprocess import resample_matrix, resize, to_ink, to_mnist


def test_empty_input_gives_none():
    assert to_mnist(np.zeros((280, 280))) is None


def test_rejects_non_2d():
    with pytest.raises(ValueError, match="2-D"):
        to_mnist(np.zeros((3, 4, 5)))


def test_resample_rows_sum_to_one_and_preserve_constants():
    for n_in, n_out in [(280, 20), (7, 20), (20, 20), (3, 1)]:
        m = resample_matrix(n_in, n_out)
        np.testing.assert_allclose(m.sum(axis=1), 1.0)
    np.testing.assert_allclose(resize(np.full((50, 30), 0.7), 20, 12), 0.7, rtol=1e-6)


def test_tall_stroke_fits_20_high_keeping_aspect_and_is_centred():
    canvas = np.zeros((400, 400), np.float32)
    canvas[50:350, 190:210] = 1.0  # a 300 x 20 bar, far from centre horizontally
    canvas = np.roll(canvas, 120, axis=1)
    digit = to_mnist(canvas)
    rows = np.flatnonzero(digit.max(axis=1) > 0.05)
    cols = np.flatnonzero(digit.max(axis=0) > 0.05)
    assert rows[-1] - rows[0] + 1 == 20
    assert cols[-1] - cols[0] + 1 <= 3
    mass = digit / digit.sum()
    com_r = (mass.sum(axis=1) * np.arange(28)).sum()
    com_c = (mass.sum(axis=0) * np.arange(28)).sum()
    assert abs(com_r - 14) <= 0.501 and abs(com_c - 14) <= 0.501  # whole-pixel shift
    assert digit.max() == pytest.approx(1.0)
    assert digit.dtype == np.float32


def test_downscaling_is_anti_aliased():
    canvas = np.zeros((280, 280), np.float32)
    canvas[::2, :] = 1.0  # fine stripes average to grey rather than alias into bars
    digit = to_mnist(canvas)
    inner = digit[10:18, 10:18]
    assert inner.std() < 0.05


def test_to_ink_handles_both_polarities():
    dark_on_light = np.ones((60, 40), np.float32) * 0.9
    dark_on_light[10:50, 18:22] = 0.1
    light_on_dark = 1.0 - dark_on_light
    a, b = to_ink(dark_on_light), to_ink(light_on_dark)
    np.testing.assert_allclose(a, b, atol=1e-6)
    assert a[0, 0] == 0.0 and a[30, 20] == pytest.approx(1.0)


def test_mnist_digit_survives_preprocessing(mnist_test):
    # MNIST digits are already normalised: preprocessing them again changes little.
    for index in range(20):
        original = mnist_test.images[index].astype(np.float32) / 255
        again = to_mnist(original)
        assert np.abs(again - original).mean() < 0.03, index


def to_mnist_before_steps(ink: np.ndarray) -> np.ndarray | None:
    """``to_mnist`` as it was before its steps were exposed, verbatim: the reference that
    proves exposing them changed no input the network reads."""
    from digitpad.core.preprocess import BOX, INK_THRESHOLD, SIZE

    ink = np.asarray(ink, dtype=np.float32)
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
    com_r = float((patch.sum(axis=1) * np.arange(new_h)).sum() / total)
    com_c = float((patch.sum(axis=0) * np.arange(new_w)).sum() / total)
    top = int(np.clip(round(SIZE / 2 - com_r), 0, SIZE - new_h))
    left = int(np.clip(round(SIZE / 2 - com_c), 0, SIZE - new_w))
    out = np.zeros((SIZE, SIZE), dtype=np.float32)
    out[top : top + new_h, left : left + new_w] = patch
    peak = float(out.max())
    return out / peak if peak > 0 else out


def drawings(count: int) -> list[np.ndarray]:
    """Canvases of every kind the app meets: strokes of random size and place, dots, long
    thin bars, faint ink, ink touching the edges, dim pages, odd sizes."""
    from digitpad.core.strokes import Stroke, render

    rng = np.random.default_rng(20)
    out = []
    for n in range(count):
        size = (280, 280) if n % 3 else (int(rng.integers(30, 400)), int(rng.integers(30, 400)))
        canvas = np.zeros(size, np.float32)
        for _ in range(int(rng.integers(1, 4))):
            top, left = rng.integers(0, size[0]), rng.integers(0, size[1])
            height, width = rng.integers(1, size[0] // 2 + 2), rng.integers(1, size[1] // 2 + 2)
            canvas[top : top + height, left : left + width] = rng.uniform(0.02, 1.0)
        out.append(canvas * rng.uniform(0.1, 3.0))
        # And pen strokes as the canvas renders them: a random scrawl of 2 to 6 points.
        points = rng.uniform(0, 280, (int(rng.integers(2, 7)), 2))
        out.append(render([Stroke(points, float(rng.uniform(3, 40)))]))
    return out


def test_to_mnist_output_is_unchanged_by_exposing_its_steps():
    from digitpad.core.preprocess import mnist_steps

    images = drawings(300)
    dot = np.zeros((280, 280), np.float32)
    dot[0, 279] = 1.0  # one pixel in a corner: scaled up 20 times, clipped to the field
    faint = np.full((280, 280), 0.04, np.float32)
    faint[100, 100] = 1.0  # everything else below the ink threshold
    images += [dot, faint, np.zeros((280, 280), np.float32), np.full((5, 5), np.nan)]
    for image in images:
        expected, result = to_mnist_before_steps(image), to_mnist(image)
        steps = mnist_steps(image)
        if expected is None:
            assert result is None and steps is None
            continue
        np.testing.assert_array_equal(result, expected)
        np.testing.assert_array_equal(steps.network_input, expected)
        assert result.dtype == np.float32


def test_the_steps_are_what_to_mnist_did():
    from digitpad.core.preprocess import BOX, mnist_steps

    canvas = np.zeros((280, 280), np.float32)
    canvas[40:200, 60:90] = 0.5  # a tall bar, half bright, off centre
    canvas[40:60, 60:180] = 0.5  # and a short top bar: a 7
    steps = mnist_steps(canvas)
    assert steps.ink.max() == pytest.approx(1.0)  # scaled to its brightest pixel
    assert steps.box == (40, 60, 199, 179)
    np.testing.assert_array_equal(steps.cropped, steps.ink[40:200, 60:180])
    assert steps.scaled.shape == (BOX, 15)  # 160 x 120 -> longer side 20, aspect kept
    top, left = steps.offset
    placed = steps.network_input[top : top + BOX, left : left + 15]
    np.testing.assert_allclose(placed, steps.scaled / steps.scaled.max(), rtol=1e-6)
    com_r, com_c = steps.centre_of_mass
    assert abs(top + com_r - 14) <= 0.5 and abs(left + com_c - 14) <= 0.5
    # The top bar pulls the centre of mass up: the patch sits lower than it would centred.
    assert com_r < (BOX - 1) / 2
