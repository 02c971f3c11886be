"""Learning what is not a digit: the eleventh output, its familiarity, the outlier mix,
and a session that trains with it."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from digitpad.core import doodles, uji
from digitpad.core.bundled import CLASSIC, DEFAULT
from digitpad.core.familiarity import digit_share, familiarity
from digitpad.core.network import NOT_A_DIGIT, Network, SpecError
from digitpad.core.outliers import HELD_OUT_SEED, OutlierMix
from digitpad.core.record import ModelRecord
from digitpad.core.samples import PersonalSet
from digitpad.core.session import NewNetwork, SessionRequest, SettingsError, result_of, run
from digitpad.core.training import TrainConfig, fine_tune_config

SMALL = TrainConfig(epochs=1, limit=1000, validation_fraction=0.0, augment=False)


def with_outputs(spec: dict, units: int) -> dict:
    layers = [dict(layer) for layer in spec["layers"]]
    layers[-1]["units"] = units
    return {**spec, "layers": layers}


def test_a_network_may_have_a_not_a_digit_output_and_no_other_count():
    network = Network(with_outputs(CLASSIC.spec(), 11))
    assert network.outputs == 11 and network.knows_non_digits
    images = np.random.default_rng(0).random((3, 28, 28), dtype=np.float32)
    scores = network.scores(images)
    assert scores.shape == (3, 11)
    np.testing.assert_array_equal(network.logits(images), scores[:, :10])
    assert network.predict(images).shape == (3, 10)
    np.testing.assert_allclose(network.predict(images).sum(axis=1), 1, rtol=1e-5)
    trace = network.trace(images[:1])
    assert trace.scores.shape == (1, 11) and trace.logits.shape == (1, 10)
    assert not Network(CLASSIC.spec()).knows_non_digits
    with pytest.raises(SpecError, match="10 class scores .or 11"):
        Network(with_outputs(CLASSIC.spec(), 12))


def test_the_familiarity_of_eleven_outputs_is_the_digits_log_odds_against_not_a_digit():
    scores = np.array([[1.0, 2.0, 0.5, 0, 0, 0, 0, 0, 0, 0, 3.0]])
    digits = math.log(sum(math.exp(v) for v in scores[0, :10]))
    assert familiarity(scores)[0] == pytest.approx(digits - 3.0)
    softmax = np.exp(scores[0]) / np.exp(scores[0]).sum()
    assert digit_share(scores)[0] == pytest.approx(1 - softmax[NOT_A_DIGIT])
    assert digit_share(scores[:, :10]) is None  # ten outputs: nothing to share with
    assert familiarity(scores[:, :10])[0] == pytest.approx(digits)


def test_the_mix_keeps_whole_writers_and_doodle_seeds_out(uji_letters_dir):
    letters = uji.load_letters(uji_letters_dir)
    mix = OutlierMix(letters, per_batch=8, needed=200, seed=0, held_out_writers=6)
    assert len(mix.held_out) == 6
    assert {letter.writer for letter in mix.val_letters} == set(mix.held_out)
    assert not any(letter.digit_like for letter in mix.val_letters)
    assert all(letter.digit_like for letter in mix.val_digit_like)
    assert len(mix.pool) <= 200 and mix.pool.max() <= 1 and mix.pool.shape[1:] == (28, 28)
    images, labels = mix.take()
    assert images.shape == (8, 28, 28) and (labels == NOT_A_DIGIT).all()
    # The same seed draws the same pool; another holds out other writers.
    again = OutlierMix(letters, per_batch=8, needed=200, seed=0, held_out_writers=6)
    np.testing.assert_array_equal(again.pool, mix.pool)
    assert OutlierMix(letters, 8, 10, seed=1).held_out != mix.held_out
    given = OutlierMix(letters, 8, 10, seed=0, held_out_writers=(2, 3))
    assert given.held_out == (2, 3)


def test_without_letters_the_mix_is_doodles_alone():
    mix = OutlierMix([], per_batch=4, needed=30, seed=0)
    assert mix.held_out == () and not mix.val_letters and len(mix.pool) > 20
    result = mix.validate(lambda inputs: np.ones(len(inputs), bool))
    assert result.letters_flagged is None and result.doodles_flagged == 1.0
    assert set(result.per_kind_flagged) == set(doodles.KINDS)


def test_a_run_learns_doodles_are_not_digits_and_records_how_it_reads_held_out_ones(
    mnist_dir, uji_letters_dir
):
    """A small network with the eleventh output, trained on 2,000 digits with doodles and
    letters mixed in, calls far more held-out doodles 'not a digit' than an untrained one,
    and its file says so; a session refuses the settings that do not fit."""
    spec = with_outputs(CLASSIC.spec(), 11)
    config = replace(SMALL, limit=2000, outlier_ratio=0.25, letters_held_out=5)
    request = SessionRequest(
        NewNetwork("custom", spec), config, mnist_dir, "n", letters_dir=uji_letters_dir
    )
    assert request.start.knows_non_digits
    result = result_of(run(request))
    record = ModelRecord.of(result.metadata).non_digits
    assert record is not None and len(record.held_out_writers) == 5
    assert record.share == 0.25 and record.letters_flagged is not None
    assert result.metadata.training["non_digits"]["doodle_seeds_from"] == HELD_OUT_SEED
    kinds = list(doodles.KINDS)
    held_out = doodles.render_inputs(kinds, range(HELD_OUT_SEED, HELD_OUT_SEED + len(kinds)))
    trained = digit_share(result.network.scores(held_out)).mean()
    untrained = digit_share(Network(spec, np.random.default_rng(0)).scores(held_out)).mean()
    assert trained < 0.5 < untrained
    assert record.doodles_flagged is not None and set(record.raw["per_kind_flagged"]) == set(kinds)
    # A fine-tune of it mixes them in as it learned them.
    assert fine_tune_config(ModelRecord.of(result.metadata)).outlier_ratio == 0.25
    with pytest.raises(SettingsError, match="only the ten digits"):
        result_of(run(SessionRequest(NewNetwork("c", CLASSIC.spec()), config, mnist_dir, "n")))
    with pytest.raises(SettingsError, match="would learn no non-digits"):
        result_of(run(SessionRequest(NewNetwork("c", spec), SMALL, mnist_dir, "n")))


def test_not_a_digit_samples_are_left_out_for_a_network_that_cannot_answer_so(mnist_dir):
    rng = np.random.default_rng(0)
    personal = PersonalSet(
        np.arange(1, 7),
        rng.random((6, 28, 28), dtype=np.float32),
        np.array([3, NOT_A_DIGIT, 3, NOT_A_DIGIT, 5, 5]),
        np.zeros(6, bool),
    )
    config = replace(SMALL, limit=500, samples_ratio=0.1)
    request = SessionRequest(
        NewNetwork("classic", CLASSIC.spec()), config, mnist_dir, "n", personal=personal
    )
    result = result_of(run(request))
    assert result.metadata.training["samples"]["held_out"] == 0
    only = replace(personal, labels=np.full(6, NOT_A_DIGIT))
    with pytest.raises(SettingsError, match="cannot answer"):
        result_of(run(replace(request, personal=only)))


def test_a_recipe_gets_the_not_a_digit_output_for_a_run_that_learns_non_digits():
    from digitpad.core.architectures import with_not_a_digit

    for recipe in (DEFAULT, CLASSIC):
        spec = with_not_a_digit(recipe.spec())
        assert Network(spec).knows_non_digits and with_not_a_digit(spec) == spec
        assert spec["layers"][:-1] == recipe.spec()["layers"][:-1]
        assert not Network(recipe.spec()).knows_non_digits  # a first run: the digits
    with pytest.raises(ValueError, match="dense layer of the ten digits"):
        with_not_a_digit({"layers": [{"type": "flatten"}]})


def test_outlier_settings_are_checked():
    with pytest.raises(ValueError, match="outlier_ratio must be in"):
        TrainConfig(outlier_ratio=1.0)
    with pytest.raises(ValueError, match="leaves no MNIST digits"):
        TrainConfig(batch_size=4, pen_ratio=0.25, samples_ratio=0.25, outlier_ratio=0.5)
    with pytest.raises(ValueError, match="letters_held_out"):
        TrainConfig(letters_held_out=-1)


def test_a_stop_asked_for_while_the_non_digits_are_drawn_ends_the_run_at_once(mnist_dir):
    """Drawing a long run's pool takes seconds: a Stop meanwhile is honoured."""
    from digitpad.core.training import TrainingStopped

    asked = []

    def should_stop() -> bool:
        asked.append(1)
        return len(asked) > 1  # the session's look after loading MNIST lets the run start

    config = replace(SMALL, epochs=30, limit=60_000, outlier_ratio=0.25)
    request = SessionRequest(
        NewNetwork("c", with_outputs(CLASSIC.spec(), 11)), config, mnist_dir, "n"
    )
    with pytest.raises(TrainingStopped):
        result_of(run(request, should_stop))
    assert len(asked) == 2  # stopped before the first chunk of 8,000 drawings


def test_a_held_out_not_a_digit_sample_is_read_right_when_that_score_wins():
    from digitpad.core.training import PersonalMix

    network = Network(with_outputs(CLASSIC.spec(), 11), np.random.default_rng(0))
    network.layers[-1].params["bias"][NOT_A_DIGIT] = 1000.0  # it calls everything so
    rng = np.random.default_rng(0)
    personal = PersonalSet(
        np.arange(1, 4),
        rng.random((3, 28, 28), dtype=np.float32),
        np.array([NOT_A_DIGIT, 3, 3]),
        np.array([True, True, False]),
    )
    mine = PersonalMix(personal, network, replace(SMALL, samples_ratio=0.1))
    assert mine.before.tolist() == [NOT_A_DIGIT, NOT_A_DIGIT]
    assert mine.validate(network).accuracy_after == 0.5


def test_a_digits_only_network_gains_the_output_reading_every_digit_as_before():
    from digitpad.core.architectures import grown_by_not_a_digit

    network = Network(DEFAULT.spec(), np.random.default_rng(3))
    network.temperature = 0.8
    grown = grown_by_not_a_digit(network)
    images = np.random.default_rng(1).random((4, 28, 28), dtype=np.float32)
    assert grown.knows_non_digits and not network.knows_non_digits
    scores = grown.scores(images)
    np.testing.assert_array_equal(scores[:, :10], network.scores(images))
    np.testing.assert_array_equal(scores[:, NOT_A_DIGIT], 0)
    assert grown.temperature == 0.8
    again = grown_by_not_a_digit(grown)
    assert again is not grown and again.spec == grown.spec
    np.testing.assert_array_equal(again.scores(images), scores)


def test_a_fine_tune_with_non_digits_gives_a_digits_only_model_the_output(mnist_dir):
    """Fine-tuning a ten-output model with an outlier ratio (digitpad train --from MODEL
    --outlier-ratio R) adds the output and teaches it; the model it started from is
    untouched and recorded as where it came from."""
    from digitpad.core.model_io import Model
    from digitpad.core.session import FineTune

    source = result_of(
        run(SessionRequest(NewNetwork("classic", CLASSIC.spec()), SMALL, mnist_dir, "src"))
    )
    before = source.network.copy()
    model = Model(source.network, source.metadata)
    config = replace(SMALL, limit=2000, outlier_ratio=0.25)
    result = result_of(run(SessionRequest(FineTune(model), config, mnist_dir, "tuned")))
    assert result.network.knows_non_digits and not model.network.knows_non_digits
    for name, array in before.named_params().items():
        np.testing.assert_array_equal(model.network.named_params()[name], array)
    assert ModelRecord.of(result.metadata).non_digits.share == 0.25
    assert result.metadata.training["fine_tuned_from"]["name"] == "src"
    kinds = list(doodles.KINDS)
    held_out = doodles.render_inputs(kinds, range(HELD_OUT_SEED, HELD_OUT_SEED + len(kinds)))
    assert digit_share(result.network.scores(held_out)).mean() < 0.5
