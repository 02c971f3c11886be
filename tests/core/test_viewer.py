"""The viewer model on its own: no Qt, no MNIST, the bundled models and drawn arrays."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.core.bundled import CLASSIC, DEFAULT
from digitpad.core.model_io import load_model
from digitpad.core.viewer import (
    ConvBlock,
    Verdict,
    ViewerModel,
    conv_blocks,
    network_stages,
)


def bar(left: int = 130, width: int = 22) -> np.ndarray:
    """A vertical stroke on the 280x280 canvas: a one."""
    pixels = np.zeros((280, 280), np.float32)
    pixels[40:240, left : left + width] = 1.0
    return pixels


@pytest.fixture(scope="module")
def default_model():
    return load_model(DEFAULT.path)


@pytest.fixture(scope="module")
def classic_model():
    return load_model(CLASSIC.path)


def trace_matches_network(viewer: ViewerModel) -> bool:
    """Every layer's output has the shape the network in use gives that layer."""
    network = viewer.network
    return all(viewer.output(i).shape == network.shapes[i] for i in range(len(network.layers)))


class Recorder:
    def __init__(self, viewer: ViewerModel) -> None:
        self.events: list[str] = []
        for name in (
            "model_changed",
            "input_changed",
            "selection_changed",
            "hover_changed",
            "scales_changed",
            "weights_changed",
        ):
            getattr(viewer, name).connect(lambda name=name: self.events.append(name))


def test_a_new_viewer_shows_nothing():
    viewer = ViewerModel()
    assert viewer.model is None and viewer.verdict is None and viewer.stages == []
    viewer.update(bar())  # drawing without a model is harmless
    assert viewer.input is not None and viewer.trace is None and viewer.verdict is None


def test_drawing_runs_the_network_and_gives_a_verdict(default_model):
    viewer = ViewerModel()
    recorder = Recorder(viewer)
    viewer.use_model(default_model)
    assert recorder.events == ["model_changed", "input_changed"]
    viewer.update(bar())
    assert recorder.events[-1] == "input_changed"
    assert viewer.input.shape == (28, 28)
    assert viewer.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    assert viewer.verdict.digit == 1 and viewer.verdict.sure
    assert viewer.output(0).shape == (32, 28, 28)
    viewer.update(None)
    assert viewer.input is None and viewer.trace is None and viewer.verdict is None


def test_switching_models_reruns_the_drawing(default_model, classic_model):
    viewer = ViewerModel()
    viewer.use_model(default_model)
    viewer.update(bar())
    before = viewer.probabilities.copy()
    viewer.use_model(classic_model)
    assert viewer.model is classic_model
    assert viewer.output(0).shape == (8, 26, 26)
    assert not np.allclose(before, viewer.probabilities)
    assert viewer.verdict.digit == 1


def test_stages_fold_activations_and_skip_flatten(default_model, classic_model):
    names = [stage.name for stage in network_stages(default_model.network)]
    assert names == [
        "input",
        "conv1 + relu",
        "maxpool1",
        "conv2 + relu",
        "maxpool2",
        "dense1 + relu",
        "dense2",
        "softmax",
    ]
    stages = network_stages(classic_model.network)
    assert [s.name for s in stages] == ["input", "conv1", "maxpool1", "dense1", "softmax"]
    assert [(s.first, s.last) for s in stages] == [(-1, -1), (0, 0), (1, 1), (3, 3), (4, 4)]
    conv = network_stages(default_model.network)[1]
    assert (conv.first, conv.last, conv.shape) == (0, 1, (32, 28, 28))
    assert "ReLU" in conv.description


def test_conv_blocks(default_model, classic_model):
    assert conv_blocks(default_model.network) == [ConvBlock(0, 1, 2), ConvBlock(3, 4, 5)]
    assert conv_blocks(classic_model.network) == [ConvBlock(0, None, 1)]
    assert 2 in ConvBlock(0, 1, 2) and 3 not in ConvBlock(0, 1, 2)


def test_selecting_a_layer_picks_its_block_and_clears_the_hover(default_model):
    viewer = ViewerModel()
    viewer.use_model(default_model)
    viewer.update(bar())
    viewer.hover_over(0, 3, 10, 12)
    recorder = Recorder(viewer)
    viewer.select_layer(4)  # relu2: the second block
    assert viewer.block_index == 1 and viewer.block == ConvBlock(3, 4, 5)
    assert viewer.hover is None
    assert recorder.events == ["hover_changed", "selection_changed"]
    viewer.select_layer(7)  # dense1: no block; the block stays
    assert viewer.block_index == 1 and viewer.selected_layer == 7
    viewer.select_block(0)
    assert viewer.block_index == 0
    viewer.select_block(5)  # out of range: ignored
    assert viewer.block_index == 0


def test_hover_reads_the_value_and_its_receptive_field(default_model):
    viewer = ViewerModel()
    viewer.use_model(default_model)
    viewer.update(bar())
    viewer.hover_over(2, 5, 7, 6)  # maxpool1, 14x14
    hover = viewer.hover
    assert hover.value == pytest.approx(float(viewer.trace.steps[2].output[0, 5, 7, 6]))
    assert hover.field == default_model.network.receptive_field(2, 7, 6)
    viewer.hover_over(2, 5, 14, 0)  # outside the map
    assert viewer.hover is None


def test_hover_clears_when_it_no_longer_means_anything(default_model, classic_model):
    viewer = ViewerModel()
    viewer.use_model(default_model)
    viewer.update(bar())
    viewer.hover_over(0, 31, 3, 3)  # filter 32 exists in the default model only
    viewer.use_model(classic_model)
    assert viewer.hover is None
    viewer.hover_over(0, 2, 3, 3)
    viewer.update(bar(left=60))  # a new drawing: same place, new value
    assert viewer.hover.value == pytest.approx(float(viewer.trace.steps[0].output[0, 2, 3, 3]))
    viewer.update(None)  # cleared canvas: nothing to read
    assert viewer.hover is None


def test_verdict_names_the_runner_up():
    verdict = Verdict.of(np.array([0.02, 0, 0, 0, 0.45, 0, 0, 0.13, 0, 0.40]))
    assert (verdict.digit, verdict.runner_up) == (4, 9)
    assert not verdict.sure
    assert Verdict.of(np.eye(10)[3]).sure


def test_listeners_can_disconnect():
    viewer = ViewerModel()
    calls = []

    def listener():
        calls.append(1)

    viewer.input_changed.connect(listener)
    viewer.update(None)
    viewer.input_changed.disconnect(listener)
    viewer.update(None)
    assert calls == [1]


def test_listeners_of_a_model_change_see_a_consistent_viewer(default_model, classic_model):
    viewer = ViewerModel()
    viewer.use_model(default_model)
    viewer.update(bar())
    seen = []

    def check():
        seen.append(trace_matches_network(viewer))

    viewer.model_changed.connect(check)
    viewer.use_model(classic_model)
    viewer.use_model(default_model)
    assert seen == [True, True]


def test_a_failing_listener_does_not_stop_the_others(monkeypatch):
    import sys

    reported = []
    monkeypatch.setattr(sys, "excepthook", lambda *info: reported.append(info[0]))
    viewer = ViewerModel()
    calls = []

    def broken():
        raise RuntimeError("a view's bug")

    viewer.input_changed.connect(broken)
    viewer.input_changed.connect(lambda: calls.append(1))
    viewer.update(None)
    assert calls == [1] and reported == [RuntimeError]


def test_colour_scales_are_fixed_per_model_and_can_be_switched_off(default_model):
    viewer = ViewerModel()
    viewer.use_model(default_model)
    scales = list(viewer.scales)
    assert len(scales) == len(default_model.network.layers)
    assert all(s > 0 for s in scales)
    viewer.update(bar())
    assert viewer.scale(0) == scales[0]
    viewer.update(bar(left=40, width=60))  # another drawing: the same scales
    assert viewer.scales == scales
    events = Recorder(viewer)
    viewer.set_fixed_scales(False)
    assert viewer.scale(0) is None and events.events == ["scales_changed"]
    viewer.set_fixed_scales(False)
    assert events.events == ["scales_changed"]


def test_scales_cover_the_reference_digits(default_model):
    from digitpad.core.reference import reference_inputs

    viewer = ViewerModel()
    viewer.use_model(default_model)
    trace = default_model.network.trace(reference_inputs())
    for layer, step in enumerate(trace.steps):
        inside = (np.abs(step.output) <= viewer.scales[layer]).mean()
        assert inside >= 0.995, (layer, inside)


def test_hover_listeners_see_the_new_model_and_drawing(default_model, classic_model):
    viewer = ViewerModel()
    viewer.use_model(default_model)
    viewer.update(bar())
    seen = []

    def check():
        seen.append(viewer.trace is None or trace_matches_network(viewer))

    viewer.hover_changed.connect(check)
    viewer.hover_over(0, 3, 5, 5)
    viewer.use_model(classic_model)  # the hover goes: heard after the new trace exists
    viewer.hover_over(0, 3, 5, 5)
    viewer.update(None)
    assert seen == [True, True, True, True]
    viewer.hover_over(99, 0, 0, 0)  # no such layer: no hover, no error
    assert viewer.hover is None


def test_a_dot_or_a_dash_is_too_small_to_read(default_model):
    from digitpad.core.viewer import too_small

    viewer = ViewerModel()
    viewer.use_model(default_model)
    dot = np.zeros((280, 280), np.float32)
    dot[130:152, 130:152] = 1.0  # one press of a 22 px pen
    viewer.update(dot, pen_width=22)
    assert viewer.too_small and viewer.verdict is None
    assert viewer.probabilities is not None  # the panels still show what it does
    dash = np.zeros((280, 280), np.float32)
    dash[130:152, 110:160] = 1.0
    assert too_small(dash, 22)
    viewer.update(bar(), pen_width=22)  # a one: tall
    assert not viewer.too_small and viewer.verdict.digit == 1
    viewer.update(dot)  # no pen width (an opened image): no judgement
    assert not viewer.too_small and viewer.verdict is not None


def test_watching_a_network_in_training(default_model):
    viewer = ViewerModel()
    viewer.use_model(default_model)
    viewer.update(bar())
    events = Recorder(viewer)
    snapshot = default_model.network.copy()
    snapshot.layers[0].params["weight"] *= -1  # different weights, same architecture
    viewer.show_training(snapshot)
    assert viewer.network is snapshot and "model_changed" in events.events
    first_scales = list(viewer.scales)
    np.testing.assert_array_equal(viewer.output(0), snapshot.trace(viewer.input).steps[0].output[0])
    events.events.clear()
    later = snapshot.copy()
    later.layers[0].params["weight"] *= 2
    viewer.show_training(later)
    assert events.events == ["weights_changed", "input_changed"]  # the panels stay laid out
    assert viewer.scales == first_scales  # one colour scale for the whole run
    viewer.show_training(None)
    assert viewer.network is default_model.network and "model_changed" in events.events
    viewer.show_training(snapshot)
    viewer.use_model(default_model)  # choosing a model ends the watching
    assert viewer.training_network is None
