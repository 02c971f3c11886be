"""Samples kept as "not a digit" in a fine-tune: a network with that output learns them as
non-digits (its digit scores for them fall); one without it leaves them out."""

from __future__ import annotations

import numpy as np

from digitpad.core import doodles
from digitpad.core.familiarity import digit_share
from digitpad.core.network import NOT_A_DIGIT, Network
from digitpad.core.samples import PersonalSet
from digitpad.core.training import Finished, TrainConfig, train

# classic's shape with the eleventh output: small enough to train in seconds.
SPEC = {
    "input_shape": [1, 28, 28],
    "layers": [
        {"type": "conv2d", "filters": 8, "kernel": 3, "stride": 1, "padding": "valid"},
        {"type": "maxpool2d"},
        {"type": "flatten"},
        {"type": "dense", "units": NOT_A_DIGIT + 1},
    ],
}
KINDS = ("face", "star", "spiral", "house", "heart", "grid")


def run(network: Network, images, labels, config: TrainConfig, **extra) -> None:
    events = list(train(network, images, labels, config, **extra))
    assert isinstance(events[-1], Finished) and not events[-1].stopped


def shares(network: Network, inputs: np.ndarray) -> np.ndarray:
    return digit_share(network.scores(inputs))


def test_a_fine_tune_with_not_a_digit_samples_lowers_the_digit_scores_for_them(mnist_train):
    images, labels = mnist_train.as_float(), mnist_train.labels
    network = Network(SPEC, np.random.default_rng(0))
    assert network.knows_non_digits
    run(network, images, labels, TrainConfig(epochs=1, limit=2000, seed=0))
    kinds = [kind for kind in KINDS for _ in range(2)]
    seeds = list(range(len(kinds)))
    drawn = doodles.render_inputs(kinds, seeds)  # the drawings the user kept as not a digit
    before = shares(network, drawn)
    # Trained on digits alone, it gives the doodles to the digits.
    assert before.mean() > 0.9
    personal = PersonalSet(
        np.arange(1, len(drawn) + 1),
        drawn,
        np.full(len(drawn), NOT_A_DIGIT),
        np.zeros(len(drawn), bool),
    )
    fine_tune = TrainConfig(epochs=2, limit=2000, seed=1)
    with_them, without = network.copy(), network.copy()
    run(
        with_them,
        images,
        labels,
        TrainConfig(**{**vars(fine_tune), "samples_ratio": 0.25}),
        personal=personal,
    )
    run(without, images, labels, fine_tune)  # the same fine-tune, no samples: the control
    after, control = shares(with_them, drawn), shares(without, drawn)
    assert after.mean() < 0.4 and (after < before).all()
    assert control.mean() > 0.9
    # The digits still read as digits.
    test = images[-500:]
    assert shares(with_them, test).mean() > 0.8
    assert (with_them.predict(test).argmax(axis=1) == labels[-500:]).mean() > 0.7
