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
