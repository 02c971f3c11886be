"""What the teacher says when it keeps a drawing."""

from __future__ import annotations

import pytest

from digitpad.core.teaching import Kept, a_digit


def test_a_kept_digit_is_named_as_it_is_read_aloud():
    assert [a_digit(d) for d in (1, 7, 8)] == ["a 1", "a 7", "an 8"]
    assert Kept(5, 8, 3, 12).message() == "Kept as an 8 (it read 3): 12 of your samples"
    assert Kept(5, 7, 7, 1).message() == "Kept as a 7 (it read it right): 1 of your samples"
    assert Kept(5, 0, None, 2).message() == "Kept as a 0 (no model read it): 2 of your samples"
    assert Kept(5, 7, 1, 3).message(again=True) == (
        "Kept sample 5 again as a 7 (it read 1): 3 of your samples"
    )


def test_counts_of_samples_read_as_english():
    from digitpad.core.teaching import n_samples

    assert [n_samples(n) for n in (0, 1, 2, 12_000)] == [
        "0 samples",
        "1 sample",
        "2 samples",
        "12,000 samples",
    ]


def test_a_sample_taken_back_is_kept_again_under_its_number_and_found_by_its_input(tmp_path):
    from digitpad.core.samples import SampleError
    from digitpad.core.teaching import Teacher
    from digitpad.core.viewer import ViewerModel

    from .test_samples import drawing

    teacher = Teacher(ViewerModel(), tmp_path / "samples.sqlite")
    changes = []
    teacher.kept.connect(lambda: changes.append(teacher.store.count()))
    first = teacher.store.add(drawing(1, label=3))
    second = teacher.store.add(drawing(2, label=5))
    assert teacher.stored_as(drawing(2).network_input).id == second
    assert teacher.stored_as(drawing(9).network_input) is None
    sample = teacher.take_back(first)
    assert sample.id == first and sample.label == 3 and teacher.store.count() == 1
    kept = teacher.keep_again(sample)
    assert (kept.sample_id, kept.label, kept.count) == (first, 3, 2)
    assert teacher.relabel(first, 8) == 3 and teacher.store.get(first).label == 8
    assert changes == [1, 2, 2]  # every change is told, so a view of the samples follows
    teacher.take_back(first)
    assert teacher.take_back(first) is None  # deleted since: nothing to take back
    teacher.close()
    with pytest.raises(SampleError, match="cannot"):
        Teacher(ViewerModel(), tmp_path / "samples.sqlite" / "below a file").take_back(1)


def test_not_a_digit_is_named_and_the_answer_on_screen_is_kept_as_it_reads(tmp_path):
    """Enter keeps the answer shown: "not a digit" when a network with that output calls
    the drawing so (the window says so in the big type), its digit otherwise."""
    import numpy as np

    from digitpad.core.doodles import doodle
    from digitpad.core.model_io import Model, ModelMetadata
    from digitpad.core.network import NOT_A_DIGIT, Network
    from digitpad.core.strokes import render
    from digitpad.core.teaching import Teacher, as_label, not_a_digit_left_out
    from digitpad.core.viewer import ViewerModel

    from .test_not_a_digit_samples import SPEC

    assert as_label(NOT_A_DIGIT) == "not a digit" and as_label(8) == "an 8"
    assert Kept(4, NOT_A_DIGIT, 3, 9).message() == (
        "Kept as not a digit (it read 3): 9 of your samples"
    )
    assert Kept(4, 7, NOT_A_DIGIT, 9).message() == (
        "Kept as a 7 (it read not a digit): 9 of your samples"
    )
    assert not_a_digit_left_out(np.array([1, NOT_A_DIGIT]), "classic") == (
        "1 'not a digit' sample left out: classic has no 'not a digit' output"
    )
    assert not_a_digit_left_out(np.array([1, 2]), "classic") is None
    strokes = doodle("house", 0)
    canvas = render(strokes)
    for spec in (SPEC, {**SPEC, "layers": [*SPEC["layers"][:-1], {"type": "dense", "units": 10}]}):
        network = Network(spec, np.random.default_rng(0))
        viewer = ViewerModel()
        viewer.use_model(Model(network, ModelMetadata(name="tiny")))
        viewer.update(canvas)
        for above, unfamiliar in ((1.0, True), (-1.0, False)):
            threshold = viewer.familiarity + above
            viewer.use_model(
                Model(network, ModelMetadata("tiny", metrics={"familiarity_threshold": threshold}))
            )
            assert viewer.unfamiliar == unfamiliar
            teacher = Teacher(viewer, tmp_path / f"{network.knows_non_digits}{above}.sqlite")
            says_none = unfamiliar and network.knows_non_digits
            expected = NOT_A_DIGIT if says_none else viewer.verdict.digit
            assert teacher.answer() == expected
            kept = teacher.teach(NOT_A_DIGIT, strokes, canvas)
            assert teacher.store.get(kept.sample_id).predicted == expected
            assert (kept.label, kept.predicted) == (NOT_A_DIGIT, expected)
            teacher.close()
