"""Samples > My Samples…: driven as a person does it, with clicks and keys on the dialog."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest

from .test_teaching import keep, open_browser, sample_items, stored


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
