"""The viewer model on its own: no Qt, no MNIST, the bundled models and drawn arrays."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.core.events import Event
from digitpad.core.stages import ConvBlock
from digitpad.core.viewer import Verdict, ViewerModel


def bar(left: int = 130, width: int = 22) -> np.ndarray:
    """A vertical stroke on the 280x280 canvas: a one."""
    pixels = np.zeros((280, 280), np.float32)
    pixels[40:240, left : left + width] = 1.0
    return pixels


def trace_matches_network(viewer: ViewerModel) -> bool:
    """Every layer's output has the shape the network in use gives that layer."""
    network = viewer.network_shown
    return all(viewer.output(i).shape == network.shapes[i] for i in range(len(network.layers)))


# Every event the viewer model has.
EVENTS = (
    "model_in_use_changed",
    "network_shown_changed",
    "input_changed",
    "selection_changed",
    "hover_changed",
    "scales_changed",
    "focus_changed",
    "weights_changed",
)


class Recorder:
    def __init__(self, viewer: ViewerModel) -> None:
        self.events: list[str] = []
        for name in EVENTS:
            if name != "focus_changed":
                getattr(viewer, name).connect(lambda name=name: self.events.append(name))


def test_a_new_viewer_shows_nothing():
    viewer = ViewerModel()
    assert viewer.model_in_use is None and viewer.verdict is None and viewer.stages == []
    viewer.update(bar())  # drawing without a model is harmless
    assert viewer.input is not None and viewer.trace is None and viewer.verdict is None


def test_drawing_runs_the_network_and_gives_a_verdict(default_model):
    viewer = ViewerModel()
    recorder = Recorder(viewer)
    viewer.use_model(default_model)
    assert recorder.events == ["model_in_use_changed", "network_shown_changed", "input_changed"]
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
    assert viewer.model_in_use is classic_model
    assert viewer.output(0).shape == (8, 26, 26)
    assert not np.allclose(before, viewer.probabilities)
    assert viewer.verdict.digit == 1


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

    viewer.network_shown_changed.connect(check)
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
        assert inside >= 0.98, (layer, inside)  # scales.PERCENTILE: the rest is clipped


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
    assert viewer.network_shown is snapshot and viewer.training_shown
    assert viewer.model_in_use is default_model  # the model in use stays what it was
    assert events.events[0] == "network_shown_changed"
    assert "model_in_use_changed" not in events.events
    first_scales = list(viewer.scales)
    np.testing.assert_array_equal(viewer.output(0), snapshot.trace(viewer.input).steps[0].output[0])
    events.events.clear()
    later = snapshot.copy()
    later.layers[0].params["weight"] *= 2
    viewer.show_training(later)
    assert events.events == ["weights_changed", "input_changed"]  # the panels stay laid out
    assert viewer.scales == first_scales  # one colour scale for the whole run
    viewer.show_training(None)
    assert viewer.network_shown is default_model.network and not viewer.training_shown
    assert "network_shown_changed" in events.events
    assert "model_in_use_changed" not in events.events
    viewer.show_training(snapshot)
    viewer.use_model(default_model)  # choosing a model ends the watching
    assert not viewer.training_shown and viewer.network_shown is default_model.network


def test_a_run_with_the_not_a_digit_output_answers_not_a_digit_while_it_learns(
    default_model, classic_model
):
    """A newcomer saw default answer "4 100 %" for an A while it was fine-tuned: the run's
    network has the output, so it answers for itself (more than half its softmax)."""
    from digitpad.core.doodles import render_inputs

    face = render_inputs(["face"], [100_001])[0]
    viewer = ViewerModel()
    viewer.use_model(default_model)
    viewer.update(np.ones((280, 280), np.float32), network_input=face)
    assert viewer.unfamiliar  # the bundled default: not a digit
    viewer.show_training(default_model.network.copy())
    assert viewer.familiarity_threshold == 0.0 and viewer.unfamiliar  # still, while it learns
    viewer.show_training(classic_model.network.copy())
    assert viewer.familiarity_threshold is None and not viewer.unfamiliar  # ten outputs


def test_every_event_carries_the_value_that_changed(default_model, classic_model):
    viewer = ViewerModel()
    heard: dict[str, object] = {}
    for name in EVENTS:
        getattr(viewer, name).connect(lambda event: heard.__setitem__(event.type, event.value))
    viewer.use_model(default_model)
    assert heard["model_in_use_changed"] is default_model
    assert heard["network_shown_changed"] is default_model.network
    viewer.update(bar())
    assert heard["input_changed"] is viewer.input
    viewer.select_layer(4)
    assert heard["selection_changed"] == 4
    viewer.hover_over(0, 3, 10, 12)
    assert heard["hover_changed"] is viewer.hover and viewer.hover is not None
    viewer.set_fixed_scales(False)
    assert heard["scales_changed"] is False
    viewer.set_focus(0, 1, 2, 3)
    assert heard["focus_changed"] == viewer.focus
    snapshot = default_model.network.copy()
    viewer.show_training(snapshot)
    assert heard["network_shown_changed"] is snapshot
    assert heard["model_in_use_changed"] is default_model  # not heard again
    later = snapshot.copy()
    viewer.show_training(later)
    assert heard["weights_changed"] is later


def test_the_model_in_use_is_kept_apart_from_the_network_shown(default_model, classic_model):
    """A training run shown answers the drawing; the model in use is still the user's."""
    viewer = ViewerModel()
    viewer.use_model(classic_model)
    viewer.update(bar())
    snapshot = default_model.network.copy()  # another architecture, as a retrain may be
    viewer.show_training(snapshot)
    assert viewer.model_in_use is classic_model and viewer.network_shown is snapshot
    assert viewer.output(0).shape == (32, 28, 28)  # the drawing is read by the one shown
    # The model's threshold is not the run's: the run's network, with the "not a digit"
    # output, answers for itself (0); classic's threshold is not used.
    assert viewer.familiarity_threshold == 0.0
    viewer.show_training(None)
    assert viewer.network_shown is classic_model.network and not viewer.training_shown
    assert viewer.output(0).shape == (8, 26, 26)


def test_a_closed_view_stops_hearing_from_the_viewer(default_model):
    import gc

    class View:
        def __init__(self) -> None:
            self.calls = 0

        def on_input(self, event: Event) -> None:
            self.calls += 1

    viewer = ViewerModel()
    view = View()
    viewer.input_changed.connect(view.on_input)
    viewer.update(None)
    assert view.calls == 1
    del view
    gc.collect()
    assert len(viewer.input_changed) == 0
    viewer.update(None)  # nobody to call, no error
