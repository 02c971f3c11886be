"""The samples browser's model, without Qt: group, relabel, delete and undo (its filter is
tested through the dialog's controls, in tests/gui/test_samples_dialog.py)."""

from __future__ import annotations

from digitpad.core.sample_browser import SampleBrowser
from digitpad.core.samples import SampleStore

from .test_samples import drawing


def test_the_browser_model_groups_relabels_and_undoes(tmp_path):
    store = SampleStore(tmp_path / "s.sqlite")
    for seed, (label, predicted) in enumerate([(5, 5), (2, 7), (5, 3), (0, 0)]):
        store.add(drawing(seed, label, predicted=predicted))
    browser = SampleBrowser(lambda: store)
    events = []
    browser.changed.connect(lambda: events.append(len(browser.rows)))
    browser.refresh()
    assert [(r.label, r.id) for r in browser.rows] == [(0, 4), (2, 2), (5, 1), (5, 3)]
    assert browser.totals == [1, 0, 1, 0, 0, 2, 0, 0, 0, 0, 0]  # the last: not a digit
    browser.relabel([2], 7)
    assert [(r.label, r.id) for r in browser.rows] == [(0, 4), (5, 1), (5, 3), (7, 2)]
    browser.delete([1, 4])
    browser.delete([3])
    assert [r.id for r in browser.rows] == [2] and browser.can_undo
    assert browser.undo() == [3]
    assert browser.undo() == [1, 4]
    assert browser.undo_text == "Undo Relabel"
    assert browser.undo() == [2]  # the relabelling, last of all
    assert store.get(2).label == 2
    assert not browser.can_undo and browser.undo() == [] and browser.undo_text == "Undo"
    assert sorted(r.id for r in browser.rows) == [1, 2, 3, 4]
    browser.relabel([1, 2], 5)  # one already a 5: both go back as they were
    browser.relabel([1], 5)  # nothing changes: nothing to undo
    assert browser.undo() == [1, 2] and not browser.can_undo
    assert [store.get(1).label, store.get(2).label] == [5, 2]
    assert events and events[-1] == 4
    store.close()


def test_undoing_a_relabel_passes_over_samples_deleted_since(tmp_path):
    store = SampleStore(tmp_path / "s.sqlite")
    for seed in range(3):
        store.add(drawing(seed, 2))
    browser = SampleBrowser(lambda: store)
    browser.refresh()
    browser.relabel([1, 2, 3], 5)
    store.delete(2)  # elsewhere: another window, the command line
    assert browser.undo() == [1, 3] and not browser.can_undo
    assert [store.get(1).label, store.get(3).label] == [2, 2]
    store.close()


def test_undo_never_touches_a_sample_kept_after_a_deletion(tmp_path):
    """Relabel C, delete it, keep D, undo twice: C comes back as it was, D stays a 7 (when
    ids were reused, D took C's id and the second undo relabelled D)."""
    store = SampleStore(tmp_path / "s.sqlite")
    a, b, c = (store.add(drawing(seed, 3)) for seed in range(3))
    browser = SampleBrowser(lambda: store)
    browser.refresh()
    browser.relabel([c], 5)
    browser.delete([c])
    d = store.add(drawing(3, 7))  # kept on the canvas meanwhile
    assert browser.undo() == [c]
    assert browser.undo() == [c]
    assert store.get(d).label == 7 and store.get(c).label == 3
    assert sorted(row.id for row in browser.rows) == sorted([a, b, c, d])
    store.close()


def test_not_a_digit_samples_are_grouped_after_the_digits_and_relabel_both_ways(tmp_path):
    from digitpad.core.network import NOT_A_DIGIT

    store = SampleStore(tmp_path / "s.sqlite")
    for seed, label in enumerate([NOT_A_DIGIT, 9, 0, NOT_A_DIGIT]):
        store.add(drawing(seed, label))
    browser = SampleBrowser(lambda: store)
    browser.refresh()
    assert [(r.label, r.id) for r in browser.rows] == [
        (0, 3),
        (9, 2),
        (NOT_A_DIGIT, 1),
        (NOT_A_DIGIT, 4),
    ]
    assert browser.totals[NOT_A_DIGIT] == 2
    browser.relabel([1], 4)
    browser.relabel([2, 3], NOT_A_DIGIT)
    assert [r.label for r in browser.rows] == [4, *[NOT_A_DIGIT] * 3]
    assert browser.undo() == [2, 3] and browser.undo() == [1]
    assert [store.get(i).label for i in (1, 2, 3, 4)] == [NOT_A_DIGIT, 9, 0, NOT_A_DIGIT]
    from digitpad.core.samples import SampleFilter

    browser.shown = SampleFilter(NOT_A_DIGIT)
    browser.refresh()
    assert [r.id for r in browser.rows] == [1, 4]
    store.close()
