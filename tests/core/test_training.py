"""Training: loss goes down on real data, seeds repeat, stop and divergence behave."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.core.augment import AugmentConfig, augment_batch
from digitpad.core.bundled import CLASSIC
from digitpad.core.evaluation import evaluate
from digitpad.core.network import Network
from digitpad.core.training import (
    BatchEnd,
    EpochEnd,
    Finished,
    TrainConfig,
    TrainingDiverged,
    learning_rate_at,
    train,
)


def run(network, images, labels, config, should_stop=None):
    events = list(train(network, images, labels, config, should_stop))
    assert isinstance(events[-1], Finished)
    return events


def test_training_on_a_real_subset_learns(mnist_train, mnist_test):
    images, labels = mnist_train.as_float()[:3000], mnist_train.labels[:3000]
    net = Network(CLASSIC.spec(), np.random.default_rng(0))
    before = evaluate(net, mnist_test.as_float()[:1000], mnist_test.labels[:1000])
    config = TrainConfig(epochs=2, batch_size=32, learning_rate=2e-3)
    events = run(net, images, labels, config)
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    assert len(epochs) == 2
    assert epochs[1].train_loss < epochs[0].train_loss
    assert epochs[1].val_accuracy is not None
    after = evaluate(net, mnist_test.as_float()[:1000], mnist_test.labels[:1000])
    assert after.loss < before.loss / 3
    assert after.accuracy > 0.8  # chance is 0.1


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_same_seed_same_model(mnist_train, optimizer):
    images, labels = mnist_train.as_float()[:400], mnist_train.labels[:400]
    config = TrainConfig(
        epochs=1, batch_size=50, optimizer=optimizer, learning_rate=0.01, augment=True, seed=7
    )
    nets = [Network(CLASSIC.spec(), np.random.default_rng(7)) for _ in range(2)]
    for net in nets:
        run(net, images, labels, config)
    for name, value in nets[0].named_params().items():
        np.testing.assert_array_equal(value, nets[1].named_params()[name])
    other = Network(CLASSIC.spec(), np.random.default_rng(7))
    run(other, images, labels, TrainConfig(**{**vars(config), "seed": 8}))
    assert not np.array_equal(other.named_params()["3.weight"], nets[0].named_params()["3.weight"])


def test_stop_is_prompt_and_reported():
    rng = np.random.default_rng(0)
    images, labels = rng.random((500, 28, 28), dtype=np.float32), rng.integers(0, 10, 500)
    batches = []

    def should_stop():
        return len(batches) >= 3

    net = Network(CLASSIC.spec())
    for event in train(net, images, labels, TrainConfig(epochs=5, batch_size=10), should_stop):
        if isinstance(event, BatchEnd):
            batches.append(event)
        last = event
    assert isinstance(last, Finished) and last.stopped
    assert len(batches) == 3


def test_divergence_raises_with_epoch_batch_and_rate():
    rng = np.random.default_rng(0)
    images = rng.random((640, 28, 28), dtype=np.float32)
    net = Network(CLASSIC.spec())
    with pytest.raises(TrainingDiverged, match=r"epoch 1, batch \d+.*learning rate 1e\+06"):
        run(
            net,
            images,
            rng.integers(0, 10, 640),
            TrainConfig(
                epochs=1, batch_size=32, learning_rate=1e6, optimizer="sgd", schedule="constant"
            ),
        )


def test_progress_events_are_complete():
    rng = np.random.default_rng(0)
    images, labels = rng.random((100, 28, 28), dtype=np.float32), rng.integers(0, 10, 100)
    events = run(
        Network(CLASSIC.spec()),
        images,
        labels,
        TrainConfig(epochs=2, batch_size=30, validation_fraction=0.1),
    )
    batches = [e for e in events if isinstance(e, BatchEnd)]
    assert len(batches) == 2 * 3  # 90 training images in batches of 30
    assert batches[-1].eta_s == pytest.approx(0.0)
    assert all(b.images_per_s > 0 for b in batches)
    assert events[-1].history[1]["epoch"] == 2


@pytest.mark.parametrize(
    "field,value",
    [
        ("epochs", 0),
        ("batch_size", -1),
        ("learning_rate", float("nan")),
        ("optimizer", "lbfgs"),
        ("schedule", "wild"),
        ("validation_fraction", 1.0),
        ("limit", 3),
        ("momentum", 1.5),
    ],
)
def test_config_validation_names_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        TrainConfig(**{field: value})


def test_schedules():
    config = TrainConfig(learning_rate=1.0, schedule="cosine")
    assert learning_rate_at(config, 0.0) == 1.0
    assert learning_rate_at(config, 0.5) == pytest.approx(0.5)
    step = TrainConfig(learning_rate=1.0, schedule="step")
    assert learning_rate_at(step, 0.7) == pytest.approx(0.01)


def test_augmentation_keeps_shape_range_and_digit(mnist_train):
    images = mnist_train.as_float()[:64]
    out = augment_batch(images, np.random.default_rng(0))
    assert out.shape == images.shape and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 1
    assert not np.allclose(out, images)
    # Ink is moved, not created or destroyed wholesale.
    ratio = out.sum(axis=(1, 2)) / images.sum(axis=(1, 2))
    assert ratio.min() > 0.2 and ratio.max() < 3.0
    none = AugmentConfig(
        rotation_deg=0, scale=0, aspect=0, slant=0, shift_px=0, elastic_px=0, thickness=0
    )
    np.testing.assert_allclose(
        augment_batch(images, np.random.default_rng(0), none), images, atol=1e-5
    )


def test_augment_config_validation():
    with pytest.raises(ValueError, match="rotation_deg"):
        AugmentConfig(rotation_deg=-1)


def test_evaluation_stops_when_asked():
    from digitpad.core.evaluation import EvaluationStopped, evaluate

    network = Network(CLASSIC.spec())
    images = np.zeros((3000, 28, 28), np.float32)
    labels = np.zeros(3000, np.int64)
    asked = []

    def should_stop():
        asked.append(1)
        return len(asked) > 2

    with pytest.raises(EvaluationStopped, match="after 2000 of 3000"):
        evaluate(network, images, labels, should_stop, batch_size=1000)
    assert evaluate(network, images, labels, lambda: False).n == 3000
