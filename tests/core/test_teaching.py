"""What the teacher says when it keeps a drawing."""

from __future__ import annotations

from digitpad.core.teaching import Kept, a_digit


def test_a_kept_digit_is_named_as_it_is_read_aloud():
    assert [a_digit(d) for d in (1, 7, 8)] == ["a 1", "a 7", "an 8"]
    assert Kept(5, 8, 3, 12).message() == "Kept as an 8 (it read 3): 12 of your samples"
    assert Kept(5, 7, 7, 1).message() == "Kept as a 7 (it read it right): 1 of your samples"
    assert Kept(5, 0, None, 2).message() == "Kept as a 0 (no model read it): 2 of your samples"


def test_counts_of_samples_read_as_english():
    from digitpad.core.teaching import n_samples

    assert [n_samples(n) for n in (0, 1, 2, 12_000)] == [
        "0 samples",
        "1 sample",
        "2 samples",
        "12,000 samples",
    ]
