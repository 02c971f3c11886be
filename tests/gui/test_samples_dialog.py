"""Samples > My Samples…: driven as a person does it, with clicks and keys on the dialog."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog

from digitpad.core.network import NOT_A_DIGIT
from digitpad.core.sample_browser import SampleBrowser
from digitpad.core.samples import IDX_LABELS, SampleStore
from digitpad.gui.messages import Messages
from digitpad.gui.samples_dialog import IDX_FILTER, NPZ_FILTER, SamplesDialog
from digitpad.gui.settings import AppSettings

from ..core.test_samples import drawing
from .test_teaching import headings, keep, open_browser, sample_items, stored


def click_sample(dialog, row: int, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """A click on the ``row``-th sample shown (headings aside)."""
    rect = dialog.list.visualItemRect(sample_items(dialog)[row])
    QTest.mouseClick(dialog.list.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def activate(dialog, qtbot) -> None:
    dialog.activateWindow()  # as a click in it would: its keys go to it
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5000)


def test_undo_in_my_samples_never_relabels_a_sample_kept_since(window, qtbot, dialogs):
    """Relabel C as 5, delete it, keep D as a 7, Undo, Undo: C is back as a 3 and D is
    still a 7 (when ids were reused D took C's id, and the second Undo made D a 3)."""
    keep(window, qtbot, 1, 1)
    keep(window, qtbot, 2, 2)
    keep(window, qtbot, 3, 3)  # C, the newest
    dialog = open_browser(window, qtbot)
    click_sample(dialog, 2)
    (c,) = dialog.selected_ids()
    QTest.keyClick(dialog.list, Qt.Key.Key_5)
    click_sample(dialog, 2)
    assert dialog.selected_ids() == [c]
    QTest.keyClick(dialog.list, Qt.Key.Key_Delete)
    assert [s.id for s in stored(window)] == [c - 2, c - 1]
    keep(window, qtbot, 7, 7)  # D, kept on the canvas with the dialog open
    (d,) = [s.id for s in stored(window) if s.label == 7]
    activate(dialog, qtbot)
    QTest.keySequence(dialog.list, QKeySequence.StandardKey.Undo)  # the deletion
    QTest.keySequence(dialog.list, QKeySequence.StandardKey.Undo)  # the relabelling
    labels = {s.id: s.label for s in stored(window)}
    assert labels == {c - 2: 1, c - 1: 2, c: 3, d: 7}
    assert not dialog.undo_button.isEnabled() and not dialogs


# -- the dialog on a store of its own ------------------------------------------------------


def open_dialog(qtbot, store, settings):
    """The dialog alone, on ``settings`` (a test's file) for its file dialogs' folders."""
    dialog = SamplesDialog(SampleBrowser(lambda: store), lambda sample: None, Messages(None))
    dialog.settings = AppSettings(settings)  # where file_dialogs looks for them
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def some_samples(tmp_path):
    """Three 5s (one read as a 3), a 2 read as a 7 and a 0: ids 1 to 5."""
    store = SampleStore(tmp_path / "s.sqlite")
    for seed, (label, predicted) in enumerate([(5, 5), (2, 7), (5, 3), (0, 0), (5, 5)]):
        store.add(drawing(seed, label, predicted=predicted))
    return store


def choose_digit(dialog, digit: int | None) -> None:
    """The digit filter set with the keyboard: Home ("All samples"), then Down to "Only Ns"
    (or, last, "Only 'not a digit'")."""
    combo = dialog.digit_filter
    combo.setFocus()
    QTest.keyClick(combo, Qt.Key.Key_Home)
    for _ in range(0 if digit is None else digit + 1):
        QTest.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentText() == (
        "All samples"
        if digit is None
        else "Only 'not a digit'"
        if digit == NOT_A_DIGIT
        else f"Only {digit}s"
    )


def shown_ids(dialog) -> list[int]:
    return [item.data(Qt.ItemDataRole.UserRole) for item in sample_items(dialog)]


def test_the_filter_shows_one_digit_or_the_misread_and_says_when_none_are(
    qtbot, dialogs, tmp_path, settings
):
    store = some_samples(tmp_path)
    dialog = open_dialog(qtbot, store, settings)
    assert shown_ids(dialog) == [4, 2, 1, 3, 5]  # by digit, then oldest first
    assert headings(dialog) == ["0 — 1 sample", "2 — 1 sample", "5 — 3 samples"]
    choose_digit(dialog, 5)
    assert shown_ids(dialog) == [1, 3, 5] and headings(dialog) == ["5 — 3 samples"]
    qtbot.mouseClick(dialog.misread_only, Qt.MouseButton.LeftButton)
    assert dialog.misread_only.isChecked() and shown_ids(dialog) == [3]  # the 5 read as a 3
    assert headings(dialog) == ["5 — 1 sample"]
    assert dialog.list.isVisible() and not dialog.empty_note.isVisible()
    choose_digit(dialog, 0)  # its only 0 was read right
    assert not dialog.list.isVisible() and dialog.empty_note.isVisible()
    assert dialog.empty_note.text() == (
        "None misread: the model read all your 0s right when you kept them"
    )
    assert not dialog.export_button.isEnabled()  # nothing shown, nothing to export
    choose_digit(dialog, 6)
    assert dialog.empty_note.text() == "No 6s yet: draw a 6 and press 6"
    choose_digit(dialog, None)
    assert shown_ids(dialog) == [2, 3] and dialog.export_button.isEnabled()
    assert dialog.list.isVisible() and not dialog.empty_note.isVisible()
    qtbot.mouseClick(dialog.misread_only, Qt.MouseButton.LeftButton)
    assert shown_ids(dialog) == [4, 2, 1, 3, 5]
    assert "5 samples (0: 1, 2: 1, 5: 3)" in dialog.summary.text()
    store.close()
    empty = open_dialog(qtbot, SampleStore(tmp_path / "empty.sqlite"), settings)
    assert empty.empty_note.isVisible() and empty.empty_note.text() == (
        "No samples yet: draw a digit, then press the digit it is"
    )
    assert empty.summary.text() == ""  # said once, where the samples would be
    empty.browser.store.close()
    assert not dialogs


def test_export_writes_the_samples_shown(qtbot, dialogs, tmp_path, monkeypatch, settings):
    from digitpad.core.data import read_labels

    store = some_samples(tmp_path)
    dialog = open_dialog(qtbot, store, settings)
    asked = []

    def save_as(target, chosen):
        def answer(parent, title, name, filters):
            asked.append((title, Path(name).name))
            return str(target), chosen

        monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(answer))

    choose_digit(dialog, 5)
    save_as(tmp_path / "fives.npz", NPZ_FILTER)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert asked[-1] == ("Export 3 samples (the 5s shown)", "my-5s.npz")
    with np.load(tmp_path / "fives.npz") as arrays:
        assert arrays["labels"].tolist() == [5, 5, 5]
        assert arrays["predicted"].tolist() == [5, 3, 5]
        assert len(arrays["strokes_offsets"]) == 4
    assert dialog.summary.text() == (
        f"Exported 3 samples (the 5s shown) to {tmp_path / 'fives.npz'}"
    )
    choose_digit(dialog, None)
    qtbot.mouseClick(dialog.misread_only, Qt.MouseButton.LeftButton)
    save_as(tmp_path / "misread", IDX_FILTER)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert asked[-1] == ("Export 2 samples (the misread ones shown)", "my-samples.npz")
    labels = read_labels(tmp_path / "misread" / IDX_LABELS)
    assert labels.tolist() == [2, 5]  # oldest first
    qtbot.mouseClick(dialog.misread_only, Qt.MouseButton.LeftButton)
    save_as(tmp_path / "all.npz", NPZ_FILTER)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert asked[-1] == ("Export 5 samples", "my-samples.npz")
    with np.load(tmp_path / "all.npz") as arrays:
        assert arrays["labels"].tolist() == [5, 2, 5, 0, 5]
    assert not dialogs
    store.close()


def test_each_heading_stays_a_line_as_wide_as_the_list_when_the_dialog_resizes(
    qtbot, dialogs, tmp_path, settings
):
    store = some_samples(tmp_path)
    dialog = open_dialog(qtbot, store, settings)
    expected = ["0 — 1 sample", "2 — 1 sample", "5 — 3 samples"]
    for width in (900, 600, 1000):  # 600: about the narrowest its buttons allow
        dialog.resize(width, 400)
        # Each a row of its own, no wider than the list, once the list has laid them out.
        qtbot.waitUntil(lambda: headings(dialog) == expected)
        assert dialog.width() == width
    five = dialog.list.visualItemRect(sample_items(dialog)[-1])
    assert five.top() > dialog.list.visualItemRect(dialog.list.item(4)).bottom()
    store.close()


def test_not_a_digit_samples_are_a_group_of_their_own_to_filter_and_relabel(
    qtbot, dialogs, tmp_path, settings
):
    store = some_samples(tmp_path)  # ids 1-5: 5, 2 (read 7), 5 (read 3), 0, 5
    store.add(drawing(10, NOT_A_DIGIT, predicted=4))  # 6
    store.add(drawing(11, NOT_A_DIGIT, predicted=NOT_A_DIGIT))  # 7
    store.add(drawing(12, 8, predicted=NOT_A_DIGIT))  # 8: an 8 the model called none
    dialog = open_dialog(qtbot, store, settings)
    assert shown_ids(dialog) == [4, 2, 1, 3, 5, 8, 6, 7]  # after the digits
    expected = ["0 — 1 sample", "2 — 1 sample", "5 — 3 samples", "8 — 1 sample"]
    # Once the list has laid them out (a scroll bar came): each a line as wide as the list.
    qtbot.waitUntil(lambda: headings(dialog) == [*expected, "Not a digit — 2 samples"])
    texts = [item.text() for item in sample_items(dialog)]
    assert texts[-3:] == ["8 (read none)", "not a digit (read 4)", "not a digit"]
    assert "8 samples (0: 1, 2: 1, 5: 3, 8: 1, not a digit: 2)" in dialog.summary.text()
    choose_digit(dialog, NOT_A_DIGIT)
    assert shown_ids(dialog) == [6, 7]
    qtbot.waitUntil(lambda: headings(dialog) == ["Not a digit — 2 samples"])
    qtbot.mouseClick(dialog.misread_only, Qt.MouseButton.LeftButton)
    assert shown_ids(dialog) == [6]  # read as a 4
    qtbot.mouseClick(dialog.misread_only, Qt.MouseButton.LeftButton)
    choose_digit(dialog, None)
    # N relabels the selection "not a digit", as a digit key relabels it that digit.
    activate(dialog, qtbot)
    click_sample(dialog, 0)  # the 0
    QTest.keyClick(dialog.list, Qt.Key.Key_N)
    assert store.get(4).label == NOT_A_DIGIT
    qtbot.waitUntil(lambda: headings(dialog)[-1] == "Not a digit — 3 samples")
    click_sample(dialog, len(sample_items(dialog)) - 1)  # the last 'not a digit': id 7
    assert dialog.selected_ids() == [7]
    QTest.keyClick(dialog.list, Qt.Key.Key_3)
    assert store.get(7).label == 3
    # The relabel box has it too, after the digits.
    click_sample(dialog, 1)  # the 3 (id 7) comes after the 2 now
    assert dialog.selected_ids() == [7]
    box = dialog.relabel_box
    assert box.itemText(box.count() - 1) == "Not a digit"
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)  # its list drops down
    qtbot.waitUntil(box.view().isVisible)
    QTest.keyClick(box.view(), Qt.Key.Key_End)
    QTest.keyClick(box.view(), Qt.Key.Key_Return)
    assert store.get(7).label == NOT_A_DIGIT
    QTest.keySequence(dialog.list, QKeySequence.StandardKey.Undo)
    QTest.keySequence(dialog.list, QKeySequence.StandardKey.Undo)
    QTest.keySequence(dialog.list, QKeySequence.StandardKey.Undo)
    assert [store.get(i).label for i in (4, 7)] == [0, NOT_A_DIGIT]
    choose_digit(dialog, NOT_A_DIGIT)
    store.relabel_many({6: 1, 7: 1})
    dialog.refresh()
    assert dialog.empty_note.text() == (
        "No 'not a digit' samples yet: draw something that is no digit and press N"
    )
    store.close()
    assert not dialogs
