"""Training: loss goes down on real data, seeds repeat, stop and divergence behave."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from digitpad.core.augment import AugmentConfig, augment_batch
from digitpad.core.bundled import CLASSIC, DEFAULT
from digitpad.core.evaluation import evaluate
from digitpad.core.network import Network
from digitpad.core.training import (
    BatchEnd,
    BatchGradients,
    EpochEnd,
    Finished,
    Optimizer,
    TrainConfig,
    TrainingDiverged,
    learning_rate_at,
    train,
)


def run(network, images, labels, config, should_stop=None):
    events = list(train(network, images, labels, config, should_stop))
    assert isinstance(events[-1], Finished)
    return events


@pytest.mark.parametrize("workers, batch", [(2, 64), (2, 7), (3, 10), (2, 1)])
def test_batch_gradients_on_threads_match_one_thread(workers, batch):
    """Parts of a batch on replicas, each on its thread: the whole batch's loss, logits and
    mean gradients (float64, so only rounding may differ)."""
    rng = np.random.default_rng(7)
    x = rng.random((batch, 1, 28, 28))
    labels = rng.integers(0, 10, batch)
    net = Network(DEFAULT.spec(), np.random.default_rng(8), dtype=np.float64)
    with BatchGradients(net, 1) as gradients:
        loss, logits = gradients(x, labels)
    expected = {name: grad.copy() for name, grad in net.named_grads().items()}
    for grad in net.named_grads().values():
        grad[...] = np.nan  # nothing may be left over from the sequential step
    with BatchGradients(net, workers) as gradients:
        for _ in range(2):  # the second step must not add to the first one's grads
            threaded_loss, threaded_logits = gradients(x, labels)
    assert threaded_loss == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(threaded_logits, logits, rtol=1e-12)
    for name, grad in net.named_grads().items():
        np.testing.assert_allclose(grad, expected[name], rtol=1e-9, atol=1e-15, err_msg=name)


@pytest.mark.parametrize("optimizer, weight_decay", [("adam", 0.0), ("sgd", 1e-3), ("adam", 1e-3)])
def test_an_update_shared_by_workers_is_the_same_to_the_bit(optimizer, weight_decay):
    config = TrainConfig(optimizer=optimizer, weight_decay=weight_decay)
    rng = np.random.default_rng(9)
    x, labels = rng.random((16, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, 16)
    alone, shared = (Network(DEFAULT.spec(), np.random.default_rng(0)) for _ in range(2))
    with BatchGradients(alone) as one, BatchGradients(shared, 3) as three:
        optimizers = Optimizer(alone, config), Optimizer(shared, config)
        for _ in range(3):
            one(x, labels)
            three(x, labels)
            shared.set_params(alone.named_params())  # the same start for both updates
            for name, grad in alone.named_grads().items():
                shared.named_grads()[name][...] = grad
            optimizers[0].step(1e-3)
            optimizers[1].step(1e-3, three)
            for name, param in shared.named_params().items():
                np.testing.assert_array_equal(param, alone.named_params()[name], err_msg=name)


def test_a_replica_shares_parameters_but_not_grads():
    net = Network(CLASSIC.spec(), np.random.default_rng(0))
    twin = net.replica()
    net.named_params()["0.weight"][...] = 0.5
    assert (twin.named_params()["0.weight"] == 0.5).all()
    twin.named_grads()["0.weight"][...] = 1.0
    assert not (net.named_grads()["0.weight"] == 1.0).any()


def test_two_workers_train_like_one(mnist_train):
    images, labels = mnist_train.as_float()[:640], mnist_train.labels[:640]
    config = TrainConfig(epochs=1, batch_size=64, validation_fraction=0.0)
    one, two = (Network(CLASSIC.spec(), np.random.default_rng(0)) for _ in range(2))
    list(train(one, images, labels, config))
    list(train(two, images, labels, config, workers=2))
    for name, param in two.named_params().items():
        np.testing.assert_allclose(param, one.named_params()[name], rtol=1e-3, atol=1e-5)


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


# -- pen digits in the mix ----------------------------------------------------------------


def few_writers(pen_digits, count=5):
    """The digits of the first ``count`` writers: enough to hold some out, quick to draw."""
    return [digit for digit in pen_digits if digit.writer <= count]


def test_a_pen_mix_holds_whole_writers_out_and_draws_each_digit_afresh(pen_digits):
    from digitpad.core.pendigits import render_inputs
    from digitpad.core.training import PenMix

    digits = few_writers(pen_digits)
    config = TrainConfig(batch_size=40, pen_ratio=0.25, pen_held_out=2, seed=3)
    mix = PenMix(digits, config)
    assert len(mix.held_out) == 2 and set(mix.held_out) <= {1, 2, 3, 4, 5}
    assert set(mix.train_writers) == {1, 2, 3, 4, 5} - set(mix.held_out)
    assert {d.writer for d in mix.train_digits} == set(mix.train_writers)
    assert {d.writer for d in mix.val_digits} == set(mix.held_out)
    # The held-out digits are drawn as `digitpad evaluate --strokes` draws them.
    np.testing.assert_array_equal(mix.val_images, render_inputs(mix.val_digits))
    assert mix.per_batch == 10
    # A pass takes every training digit once, in a random order, each drawn anew.
    count = len(mix.train_digits)
    taken = [mix.take() for _ in range(-(-count // mix.per_batch))]
    labels = np.concatenate([y for _, y in taken])
    np.testing.assert_array_equal(
        np.bincount(labels[:count], minlength=10), np.bincount(mix.train_labels, minlength=10)
    )
    images = np.concatenate([x for x, _ in taken])
    assert images.shape == (len(labels), 28, 28) and images.max() > 0.9
    # The same seed holds out the same writers; another seed, others.
    assert PenMix(digits, config).held_out == mix.held_out
    others = {
        PenMix(digits, TrainConfig(pen_ratio=0.25, pen_held_out=2, seed=s)).held_out
        for s in range(6)
    }
    assert len(others) > 1


def test_the_same_digit_is_drawn_differently_each_time(pen_digits):
    from digitpad.core.training import PenMix

    mix = PenMix(few_writers(pen_digits, 2), TrainConfig(pen_ratio=0.5, pen_held_out=1))
    mix.train_digits = mix.train_digits[:1]  # one digit: every take draws it again
    mix.train_labels = mix.train_labels[:1]
    first, second = mix.take()[0], mix.take()[0]
    assert first.shape == (32, 28, 28)
    assert not np.array_equal(first[0], first[1])
    assert not np.array_equal(first[0], second[0])


def test_training_on_the_mix_fills_each_batch_and_reports_the_held_out_writers(
    mnist_train, pen_digits
):
    images, labels = mnist_train.as_float()[:600], mnist_train.labels[:600]
    config = TrainConfig(
        epochs=2, batch_size=40, pen_ratio=0.25, pen_held_out=2, validation_fraction=0.0
    )
    net = Network(CLASSIC.spec(), np.random.default_rng(0))
    sizes = []
    forward = net.forward

    def counting(x, training=False):
        if training:
            sizes.append(len(x))
        return forward(x, training)

    net.forward = counting
    events = list(train(net, images, labels, config, pen_digits=few_writers(pen_digits)))
    finished = events[-1]
    assert isinstance(finished, Finished) and finished.pen is not None
    # 600 MNIST digits, 30 a batch with 10 pen digits: 20 batches of 40 per epoch.
    assert sizes == [40] * 40
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    assert all(0 <= e.held_out_writers_accuracy <= 1 for e in epochs)
    assert finished.history[-1]["held_out_writers_accuracy"] == epochs[-1].held_out_writers_accuracy
    pen = finished.pen
    assert len(pen.held_out_writers) == 2 and not set(pen.held_out_writers) & set(pen.train_writers)
    assert pen.scores.n == sum(d.writer in pen.held_out_writers for d in pen_digits)
    assert set(pen.per_writer) == set(pen.held_out_writers)
    assert net.temperature == pen.calibration.temperature
    assert 0 <= pen.calibration.ece_after <= 1 and 0 <= pen.calibration.ece_before <= 1
    recorded = pen.to_json()
    assert recorded["accuracy"] == pen.scores.accuracy
    assert recorded["held_out_writers"] == list(pen.held_out_writers)


def test_pen_digits_and_the_ratio_go_together(mnist_train, pen_digits):
    images, labels = mnist_train.as_float()[:100], mnist_train.labels[:100]
    net = Network(CLASSIC.spec(), np.random.default_rng(0))
    with pytest.raises(ValueError, match="needs pen digits"):
        next(train(net, images, labels, TrainConfig(pen_ratio=0.25)))
    with pytest.raises(ValueError, match="pen_ratio above 0"):
        next(train(net, images, labels, TrainConfig(), pen_digits=pen_digits[:50]))
    from digitpad.core.data import DatasetError

    one_writer = [d for d in pen_digits if d.writer == 1]
    with pytest.raises(DatasetError, match="holding out 6 writers of the pen digits' 1"):
        next(train(net, images, labels, TrainConfig(pen_ratio=0.25), pen_digits=one_writer))
    with pytest.raises(ValueError, match="pen_ratio"):
        TrainConfig(batch_size=1, pen_ratio=0.5)
    with pytest.raises(ValueError, match="pen_held_out"):
        TrainConfig(pen_held_out=-1)


# -- the user's samples in the mix --------------------------------------------------------


def test_fine_tuning_on_a_personal_style_raises_accuracy_on_its_held_out_samples(mnist_train):
    from dataclasses import replace

    from digitpad.core.model_io import load_model
    from digitpad.core.samples import PersonalSet
    from digitpad.core.training import FINE_TUNE

    # A writer whose every digit is upside down: a style the classic model reads badly.
    count = 300
    personal = PersonalSet(
        ids=np.arange(1, count + 1),
        inputs=np.ascontiguousarray(mnist_train.as_float()[:count, ::-1, :]),
        labels=mnist_train.labels[:count].astype(np.int64),
        held_out=np.arange(count) >= 240,
    )
    net = load_model(CLASSIC.path).network
    config = replace(
        FINE_TUNE, epochs=6, limit=600, samples_ratio=0.5, learning_rate=3e-3, augment=False
    )
    baseline = net.copy()
    events = list(
        train(
            net,
            mnist_train.as_float(),
            mnist_train.labels,
            config,
            personal=personal,
            personal_baseline=baseline,
        )
    )
    result = events[-1].personal
    assert list(result.ids) == list(range(241, count + 1))  # only the held-out ones scored
    assert result.accuracy_before < 0.6
    assert result.accuracy_after > result.accuracy_before + 0.2
    assert len(result.fixed) > len(result.broken)
    recorded = result.to_json()
    assert recorded["held_out"] == 60 and recorded["fixed"] == result.fixed
    # Without a model to compare with (a new network), there is no "before".
    fresh = Network(CLASSIC.spec(), np.random.default_rng(0))
    config = replace(config, epochs=1)
    events = list(
        train(fresh, mnist_train.as_float(), mnist_train.labels, config, personal=personal)
    )
    alone = events[-1].personal
    assert alone.accuracy_before is None and alone.fixed == [] and alone.broken == []
    assert alone.to_json()["accuracy_before"] is None


def test_fine_tuning_distorts_mnist_only_for_a_model_that_learned_from_distorted_digits():
    from digitpad.core.bundled import DEFAULT
    from digitpad.core.model_io import ModelMetadata, load_model
    from digitpad.core.record import ModelRecord
    from digitpad.core.training import FINE_TUNE, fine_tune_config

    def record(path):
        return ModelRecord.of(load_model(path).metadata)

    assert fine_tune_config(record(DEFAULT.path)).augment is True
    assert fine_tune_config(record(CLASSIC.path)).augment is False
    for recorded in ({}, {"config": "augment"}, {"config": {"augment": "yes"}}):
        odd = ModelRecord.of(ModelMetadata(training=recorded))
        assert fine_tune_config(odd) == replace(FINE_TUNE, augment=False)


def test_samples_are_taught_exactly_as_drawn_even_when_mnist_is_distorted(mnist_train):
    from digitpad.core.samples import PersonalSet
    from digitpad.core.training import PersonalMix

    personal = PersonalSet(
        ids=np.arange(1, 11),
        inputs=mnist_train.as_float()[:10],
        labels=mnist_train.labels[:10].astype(np.int64),
        held_out=np.zeros(10, bool),
    )
    config = TrainConfig(augment=True, samples_ratio=0.25, batch_size=64)
    mix = PersonalMix(personal, None, config)
    for _ in range(5):
        images, labels = mix.take()
        assert len(images) == 16
        for image, label in zip(images, labels, strict=True):
            match = [i for i in range(10) if np.array_equal(personal.inputs[i], image)]
            assert match and personal.labels[match[0]] == label


def test_samples_and_their_ratio_go_together(mnist_train):
    from digitpad.core.samples import PersonalSet

    images, labels = mnist_train.as_float()[:100], mnist_train.labels[:100]
    net = Network(CLASSIC.spec(), np.random.default_rng(0))
    with pytest.raises(ValueError, match="needs samples"):
        next(train(net, images, labels, TrainConfig(samples_ratio=0.25)))
    everything_held = PersonalSet(
        np.arange(3), images[:3], labels[:3].astype(np.int64), np.ones(3, bool)
    )
    with pytest.raises(ValueError, match="every sample is held out"):
        next(train(net, images, labels, TrainConfig(samples_ratio=0.25), personal=everything_held))
    with pytest.raises(ValueError, match="leaves no MNIST digits in a batch of 4"):
        TrainConfig(batch_size=4, pen_ratio=0.5, samples_ratio=0.5)


def test_a_stop_asked_for_during_validation_or_calibration_is_honoured(mnist_train):
    """Stop used to be asked only before each batch: a Cancel during an epoch's validation
    or the final calibration waited for them, and the run then ended as not stopped."""
    images, labels = mnist_train.as_float()[:600], mnist_train.labels[:600]
    config = TrainConfig(epochs=1, batch_size=64, validation_fraction=0.5, augment=False)
    batches = math.ceil(300 / 64)
    for asked_after in (batches, batches + 2):  # in the validation; in the calibration
        calls = 0

        def should_stop(limit=asked_after):
            nonlocal calls
            calls += 1
            return calls > limit

        net = Network(CLASSIC.spec(), np.random.default_rng(0))
        events = list(train(net, images, labels, config, should_stop))
        assert sum(isinstance(e, BatchEnd) for e in events) == batches
        assert isinstance(events[-1], Finished) and events[-1].stopped
        # asked in the validation: the epoch never ends; in the calibration: it did
        epochs_ended = sum(isinstance(e, EpochEnd) for e in events)
        assert epochs_ended == (0 if asked_after == batches else 1)
