"""Correcting the answer: draw, press the digit it really is (or Enter when it is right),
and the drawing is kept as a sample, strokes and all, as a person does it."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel

from digitpad.core.bundled import resolve_model
from digitpad.core.samples import SampleStore

from ..core.test_samples import without_drawings
from .conftest import draw_stroke
from .handwriting import DIGITS


def draw(window, strokes):
    for stroke in strokes:
        draw_stroke(window.canvas, stroke)
    window.canvas_feed.update_now()


def stored(window):
    path = window.teacher.store.path
    with SampleStore(path) as store:
        return [store.get(summary.id) for summary in store.summaries()]


def test_a_digit_key_keeps_the_drawing_with_that_label_and_clears_the_canvas(
    window, qtbot, dialogs
):
    assert not window.actions["teach_3"].isEnabled()  # nothing drawn: nothing to correct
    draw(window, DIGITS[7])
    read = window.viewer.verdict.digit
    assert read == 7 and window.actions["teach_3"].isEnabled()
    strokes = window.canvas.strokes()
    input_before = window.viewer.input.copy()
    QTest.keyClick(window.canvas, Qt.Key.Key_3)
    samples = stored(window)
    assert len(samples) == 1
    sample = samples[0]
    assert sample.label == 3 and sample.predicted == 7 and sample.misread
    assert len(sample.strokes) == len(DIGITS[7]) == len(strokes)
    for kept, drawn in zip(sample.strokes, strokes, strict=True):
        np.testing.assert_allclose(kept.points, drawn.points, atol=0.005)
        assert kept.width == drawn.width == 22
    np.testing.assert_array_equal(sample.network_input, input_before)
    assert sample.model_name == "default" and len(sample.model_sha256) == 64
    assert sample.probabilities.argmax() == 7
    assert window.canvas.is_empty()
    assert window.statusBar().currentMessage() == "Kept as a 3 (it read 7): 1 of your samples"
    # Said under the answer too, where the user looks (the status bar hides in presentation
    # mode), until the next drawing.
    answer = window.findChild(QLabel, "prediction")
    window.canvas_feed.update_now()
    assert "Draw a digit" in answer.text() and "Kept as a 3 (it read 7)" in answer.text()
    # A second key at once, before the answer caught up with the cleared canvas: nothing
    # is kept (the drawing it would label is gone).
    QTest.keyClick(window.canvas, Qt.Key.Key_5)
    assert len(stored(window)) == 1 and not dialogs
    # Undo brings the drawing back and takes the sample back with it.
    window.actions["undo"].trigger()
    window.canvas_feed.update_now()
    assert not window.canvas.is_empty() and stored(window) == []
    assert "Kept as" not in answer.text()  # the drawing is back: its answer shows
    assert not dialogs  # nothing went wrong: no box to dismiss


def test_enter_confirms_the_answer_and_the_buttons_do_what_the_keys_do(window, qtbot, dialogs):
    draw(window, DIGITS[4])
    assert window.viewer.verdict.digit == 4
    QTest.keyClick(window.canvas, Qt.Key.Key_Return)
    draw(window, DIGITS[9])
    bar = window.drawing.teach_bar
    assert [button.text() for button in bar.digits] == [str(d) for d in range(10)]
    qtbot.mouseClick(bar.digits[5], Qt.MouseButton.LeftButton)
    samples = stored(window)
    assert [(s.label, s.predicted) for s in samples] == [(4, 4), (5, 9)]
    assert not samples[0].misread and samples[1].misread
    assert window.statusBar().currentMessage() == "Kept as a 5 (it read 9): 2 of your samples"
    assert not dialogs


def test_the_not_a_digit_key_keeps_a_sample_of_that_kind(window, qtbot, dialogs):
    from digitpad.core.doodles import doodle
    from digitpad.core.network import NOT_A_DIGIT

    for kind in ("face", "house"):
        draw(window, [stroke.points.tolist() for stroke in doodle(kind, 3)])
        # default has a "not a digit" output: a doodle it calls so, it read right.
        called = window.viewer.unfamiliar and window.viewer.knows_non_digits
        read = "it read it right" if called else f"it read {window.viewer.verdict.digit}"
        assert window.actions["teach_not_a_digit"].isEnabled()
        if kind == "face":
            QTest.keyClick(window.canvas, Qt.Key.Key_N)
        else:  # the button does what the key does
            bar = window.drawing.teach_bar
            assert bar.not_a_digit.text() == "Not a digit" and bar.not_a_digit.isVisible()
            qtbot.mouseClick(bar.not_a_digit, Qt.MouseButton.LeftButton)
        assert window.canvas.is_empty()
        count = 1 if kind == "face" else 2
        assert window.statusBar().currentMessage() == (
            f"Kept as not a digit ({read}): {count} of your samples"
        )
    samples = stored(window)
    assert [s.label for s in samples] == [NOT_A_DIGIT, NOT_A_DIGIT]
    assert all(s.misread == (s.predicted != NOT_A_DIGIT) for s in samples)
    assert [s.predicted for s in samples] == [NOT_A_DIGIT, NOT_A_DIGIT]  # both called so
    assert len(samples[0].strokes) == len(doodle("face", 3))
    window.canvas_feed.update_now()  # the answer catches up: nothing drawn, nothing to keep
    assert not window.actions["teach_not_a_digit"].isEnabled()
    assert not dialogs


def test_the_teach_bar_keeps_not_a_digit_whole_on_a_small_screen(window, qtbot):
    bar = window.drawing.teach_bar
    words = bar.not_a_digit.fontMetrics().horizontalAdvance("Not a digit")
    for size, caption in (((1280, 720), True), ((1024, 600), False)):
        window.resize(*size)
        # "Right?" gives its room up on a narrow panel rather than cut "Not a digit".
        qtbot.waitUntil(lambda caption=caption: bar.caption.isVisible() == caption)
        assert bar.not_a_digit.width() >= words + 10
        if caption:
            assert bar.caption.width() >= bar.caption.sizeHint().width()
        assert all(button.width() >= 16 for button in bar.digits)
        right = bar.not_a_digit.mapTo(window, bar.not_a_digit.rect().topRight()).x()
        assert right <= window.drawing.width()  # inside the panel, nothing cut


def test_the_same_drawing_twice_is_refused_and_stays_on_the_canvas(window, qtbot, dialogs):
    keep(window, qtbot, 2, 2)
    (sample,) = stored(window)
    window.open_sample(sample)  # as from My Samples: the drawing is stored already
    QTest.keyClick(window.canvas, Qt.Key.Key_2)
    assert "already stored (sample 1, labelled 2)" in window.statusBar().currentMessage()
    assert not dialogs
    assert not window.canvas.is_empty()
    assert len(stored(window)) == 1


def test_undo_right_after_a_keep_takes_the_sample_back_and_redo_keeps_it_again(
    window, qtbot, dialogs
):
    draw(window, DIGITS[9])
    drawn = window.canvas.strokes()
    QTest.keyClick(window.canvas, Qt.Key.Key_3)  # the wrong key
    (sample,) = stored(window)
    assert sample.label == 3 and window.canvas.is_empty()
    QTest.keySequence(window.canvas, QKeySequence.StandardKey.Undo)
    assert stored(window) == []
    assert window.statusBar().currentMessage() == (
        f"Removed sample {sample.id}; the drawing is back"
    )
    back = window.canvas.strokes()  # exactly the strokes that were drawn
    assert len(back) == len(drawn)
    for again, before in zip(back, drawn, strict=True):
        np.testing.assert_array_equal(again.points, before.points)
        assert again.width == before.width and again.erase == before.erase
    # Redo keeps it again, as it was, under its number.
    QTest.keySequence(window.canvas, QKeySequence("Ctrl+Shift+Z"))
    (again,) = stored(window)
    assert (again.id, again.label, again.predicted) == (sample.id, 3, 9)
    assert window.canvas.is_empty()
    assert window.statusBar().currentMessage() == (
        f"Kept sample {sample.id} again as a 3 (it read 9): 1 of your samples"
    )
    # Undone once more, the right digit keeps it with the right label.
    QTest.keySequence(window.canvas, QKeySequence.StandardKey.Undo)
    window.canvas_feed.update_now()
    QTest.keyClick(window.canvas, Qt.Key.Key_9)
    assert [(s.label, s.predicted) for s in stored(window)] == [(9, 9)]
    assert (
        window.statusBar().currentMessage() == "Kept as a 9 (it read it right): 1 of your samples"
    )
    # Undoing a stroke drawn after a keep undoes only the stroke.
    draw(window, DIGITS[1])
    window.actions["undo"].trigger()
    assert len(stored(window)) == 1 and window.canvas.is_empty()
    assert not dialogs


def test_undo_after_a_keep_of_a_sample_deleted_since_brings_the_drawing_back(
    window, qtbot, dialogs
):
    keep(window, qtbot, 4, 4)
    (sample,) = stored(window)
    window.teacher.store.delete(sample.id)  # as My Samples' Delete would
    window.actions["undo"].trigger()
    assert not window.canvas.is_empty() and stored(window) == []
    assert window.statusBar().currentMessage() == (
        f"The drawing is back (sample {sample.id} was deleted already)"
    )
    window.actions["redo"].trigger()  # nothing to keep again: the canvas clears, as it did
    assert window.canvas.is_empty() and stored(window) == []
    assert not dialogs


def test_another_digit_on_a_stored_drawing_offers_to_relabel_it(
    window, qtbot, dialogs, monkeypatch
):
    from PySide6.QtWidgets import QMessageBox

    keep(window, qtbot, 9, 3)  # kept with the wrong label
    (sample,) = stored(window)
    window.open_sample(sample)  # opened from My Samples
    answers = [QMessageBox.StandardButton.No]

    def question(parent, title, text, *args, **kwargs):
        dialogs.append(("question", title, text))
        return answers.pop(0)

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    QTest.keyClick(window.canvas, Qt.Key.Key_9)
    assert dialogs[-1] == (
        "question",
        "Relabel sample",
        f"<p>Sample {sample.id} is labelled 3. Relabel it as 9?</p>",
    )
    assert [s.label for s in stored(window)] == [3]  # No: nothing changed
    assert not window.canvas.is_empty()
    answers.append(QMessageBox.StandardButton.Yes)
    QTest.keyClick(window.canvas, Qt.Key.Key_9)
    assert [s.label for s in stored(window)] == [9]
    assert window.statusBar().currentMessage() == (
        f"Sample {sample.id} relabelled: a 9 (it was labelled 3)"
    )
    assert len(dialogs) == 2


def test_a_damaged_samples_database_is_moved_aside_and_the_user_told(window, qtbot, dialogs):
    path = window.teacher.store_path
    path.write_bytes(b"not a database, whatever it once was" * 200)
    draw(window, DIGITS[1])
    QTest.keyClick(window.canvas, Qt.Key.Key_1)
    assert dialogs[-1][0] == "warning" and "moved aside to" in dialogs[-1][2]
    moved = [p for p in path.parent.iterdir() if "damaged" in p.name]
    assert len(moved) == 1 and str(moved[0]) in dialogs[-1][2]
    assert moved[0].read_bytes().startswith(b"not a database")
    assert [s.label for s in stored(window)] == [1]


def test_an_unwritable_samples_folder_is_a_message_not_a_crash(
    qtbot, settings, dialogs, library_folder, tmp_path
):
    from digitpad.gui.main_window import MainWindow

    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder should be")
    window = MainWindow(
        model_path=resolve_model("default"),
        settings=settings,
        library_folder=library_folder,
        samples_path=blocker / "s.sqlite",
    )
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)  # the keys go to the active window
    draw(window, DIGITS[7])
    QTest.keyClick(window.canvas, Qt.Key.Key_7)
    assert dialogs[-1][0] == "warning" and str(blocker) in dialogs[-1][2]
    assert not window.canvas.is_empty()


# -- the samples browser -------------------------------------------------------------------


def keep(window, qtbot, digit, label):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    draw(window, DIGITS[digit])
    QTest.keyClick(window.canvas, getattr(Qt.Key, f"Key_{label}"))


def open_browser(window, qtbot):
    window.actions["samples_browser"].trigger()
    dialog = window.samples_dialog
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5000)  # its keys go to it
    return dialog


def sample_items(dialog):
    """The list's samples, without the tile that heads each digit's group."""
    items = [dialog.list.item(i) for i in range(dialog.list.count())]
    return [item for item in items if item.data(Qt.ItemDataRole.UserRole) is not None]


def labels_shown(dialog):
    return [item.text() for item in sample_items(dialog)]


def headings(dialog):
    """The lines that head each digit's group, each as wide as the list (a row of its own)."""
    width = dialog.list.viewport().width()
    found = []
    for index in range(dialog.list.count()):
        item = dialog.list.item(index)
        if item.data(Qt.ItemDataRole.UserRole) is None:
            rect = dialog.list.visualItemRect(item)
            assert rect.left() <= 0 and width - 1 <= rect.width() <= width, item.text()
            found.append(item.text())
    return found


def select(dialog, *rows):
    dialog.list.clearSelection()
    for row in rows:
        sample_items(dialog)[row].setSelected(True)


def test_the_browser_groups_filters_relabels_deletes_and_undoes(window, qtbot, dialogs):
    keep(window, qtbot, 7, 7)
    keep(window, qtbot, 9, 3)  # a 9 kept as a 3: shown as misread
    keep(window, qtbot, 4, 4)
    dialog = open_browser(window, qtbot)
    assert labels_shown(dialog) == ["3 (read 9)", "4", "7"]  # by digit
    assert headings(dialog) == ["3 — 1 sample", "4 — 1 sample", "7 — 1 sample"]
    assert "3 samples" in dialog.summary.text()
    dialog.list.selectAll()  # the headings are not samples: never selected
    assert len(dialog.selected_ids()) == 3 == len(dialog.list.selectedItems())
    heading = dialog.list.item(0)  # "3 — 1 sample": double-clicked, it opens nothing, says nothing
    rect = dialog.list.visualItemRect(heading)
    QTest.mouseDClick(dialog.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert not dialogs and window.canvas.is_empty()
    keep(window, qtbot, 1, 1)  # kept while the browser is open: it shows up
    assert labels_shown(dialog) == ["1", "3 (read 9)", "4", "7"]
    dialog.misread_only.setChecked(True)
    assert labels_shown(dialog) == ["3 (read 9)"]
    dialog.activateWindow()  # as a click in it would
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5000)
    # Relabelled with a key press: now right.
    select(dialog, 0)
    QTest.keyClick(dialog.list, Qt.Key.Key_9)
    assert labels_shown(dialog) == []
    dialog.misread_only.setChecked(False)
    dialog.digit_filter.setCurrentIndex(1 + 9)  # "Only 9s"
    assert labels_shown(dialog) == ["9"]
    dialog.digit_filter.setCurrentIndex(0)
    # Delete two, then undo: back under their ids.
    select(dialog, 0, 3)
    ids = sorted(dialog.selected_ids())
    QTest.keyClick(dialog.list, Qt.Key.Key_Delete)
    assert labels_shown(dialog) == ["4", "7"]
    assert dialog.undo_button.isEnabled()
    qtbot.mouseClick(dialog.undo_button, Qt.MouseButton.LeftButton)
    assert labels_shown(dialog) == ["1", "4", "7", "9"]
    assert sorted(s.id for s in stored(window) if s.label in (1, 9)) == ids
    # Then the relabelling is undone too (Ctrl+Z), all the samples it changed at once.
    assert dialog.undo_button.text() == "Undo Relabel"
    QTest.keySequence(dialog.list, QKeySequence.StandardKey.Undo)
    assert labels_shown(dialog) == ["1", "3 (read 9)", "4", "7"]
    select(dialog, 0, 2, 3)
    QTest.keyClick(dialog.list, Qt.Key.Key_5)
    assert labels_shown(dialog) == ["3 (read 9)", "5 (read 7)", "5 (read 4)", "5 (read 1)"]
    assert headings(dialog) == ["3 — 1 sample", "5 — 3 samples"]
    QTest.keySequence(dialog.list, QKeySequence.StandardKey.Undo)
    assert labels_shown(dialog) == ["1", "3 (read 9)", "4", "7"]
    assert not dialog.undo_button.isEnabled()
    assert not dialogs


def test_a_sample_opens_on_the_canvas_stroke_by_stroke(window, qtbot):
    keep(window, qtbot, 4, 4)
    dialog = open_browser(window, qtbot)
    assert window.canvas.is_empty()
    select(dialog, 0)
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert len(window.canvas.strokes()) == len(DIGITS[4])
    assert window.viewer.verdict.digit == 4
    # The same drawing: its points were kept to 1/100 of a canvas pixel.
    np.testing.assert_allclose(window.viewer.input, stored(window)[0].network_input, atol=2e-3)
    window.actions["undo"].trigger()
    assert len(window.canvas.strokes()) == len(DIGITS[4]) - 1


def test_export_and_import_through_the_browser(window, qtbot, dialogs, monkeypatch, tmp_path):
    from PySide6.QtWidgets import QApplication, QFileDialog

    from digitpad.gui.samples_dialog import IDX_FILTER, NPZ_FILTER

    keep(window, qtbot, 7, 7)
    keep(window, qtbot, 2, 2)
    dialog = open_browser(window, qtbot)
    target = tmp_path / "exported.npz"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), NPZ_FILTER))
    )
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert target.is_file() and "Exported 2 samples" in dialog.summary.text()
    monkeypatch.setattr(
        QFileDialog,
        "getSaveFileName",
        staticmethod(lambda *a, **k: (str(tmp_path / "idx"), IDX_FILTER)),
    )
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert (tmp_path / "idx" / "samples-images-idx3-ubyte").is_file()
    # Importing what is already there adds nothing and says so.
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(target), NPZ_FILTER))
    )
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert "Imported 0 samples; 2 were already there" in dialog.summary.text()
    assert QApplication.overrideCursor() is None  # the busy cursor went with the import
    # A broken file: a message naming it, nothing changed.
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"PK\x03\x04 broken")
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(broken), NPZ_FILTER))
    )
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert dialogs[-1][0] == "warning" and str(broken) in dialogs[-1][2]
    assert len(stored(window)) == 2
    # A fault found only while reading (an input of 2.0 in the last of 300): nothing kept.
    late = tmp_path / "late.npz"
    np.savez(late, **without_drawings(300, inputs={299: 2.0}))
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(late), NPZ_FILTER))
    )
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert dialogs[-1][0] == "warning" and f"{late}: sample 300: inputs" in dialogs[-1][2]
    assert len(stored(window)) == 2 and QApplication.overrideCursor() is None


# -- fine-tuning on them in the retrain dialog ------------------------------------------------


def test_the_retrain_dialog_says_in_one_line_which_samples_classic_leaves_out(
    window, qtbot, dialogs, monkeypatch, mnist_dir
):
    from digitpad.core.doodles import doodle

    monkeypatch.setenv("DIGITPAD_MNIST_DIR", str(mnist_dir))
    window.model_menu.bundled_actions["classic"].trigger()
    keep(window, qtbot, 4, 4)
    keep(window, qtbot, 7, 7)
    for seed in (1, 2):
        draw(window, [stroke.points.tolist() for stroke in doodle("star", seed)])
        QTest.keyClick(window.canvas, Qt.Key.Key_N)
    assert len(stored(window)) == 4
    window.actions["retrain"].trigger()
    dialog = window.model_menu.train_dialog
    qtbot.waitExposed(dialog)
    box = dialog.samples
    assert not box.left_out.isVisible()  # not included: nothing to say
    qtbot.mouseClick(box.include, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(box.fine_tune, Qt.MouseButton.LeftButton)
    assert box.include.isChecked() and box.fine_tune.isChecked()
    assert box.left_out.isVisible() and box.left_out.text() == (
        "2 'not a digit' samples left out: classic has no 'not a digit' output"
    )
    box.include.setFocus()  # a second click so soon would be a double-click: the key
    QTest.keyClick(box.include, Qt.Key.Key_Space)
    assert not box.include.isChecked() and not box.left_out.isVisible()
    assert not dialogs


def test_fine_tuning_the_model_in_use_on_your_samples_in_the_retrain_dialog(
    window, qtbot, dialogs, monkeypatch, mnist_dir, library_folder
):
    monkeypatch.setenv("DIGITPAD_MNIST_DIR", str(mnist_dir))
    window.model_menu.bundled_actions["classic"].trigger()
    # Three of each of four digits: one of each digit is held out to score the result.
    for digit in (1, 4, 7, 9):
        for shift in (0, 6, 12):
            window.activateWindow()
            qtbot.waitUntil(window.isActiveWindow, timeout=5000)
            draw(window, [[(x + shift, y) for x, y in stroke] for stroke in DIGITS[digit]])
            QTest.keyClick(window.canvas, getattr(Qt.Key, f"Key_{digit}"))
    assert len(stored(window)) == 12
    window.actions["retrain"].trigger()
    dialog = window.model_menu.train_dialog
    qtbot.waitExposed(dialog)
    box = dialog.samples
    assert box.include.isEnabled() and "12 samples: 8 to learn from, 4 held out" in box.note.text()
    box.include.setChecked(True)
    box.fine_tune.setChecked(True)
    assert not dialog.network_box.isVisible()  # the network is the one in use, as it says
    assert dialog.fine_tune_note.isVisible() and "classic" in dialog.fine_tune_note.text()
    assert dialog.form.epochs.value() == 3 and dialog.form.images.currentData() == 6000
    # classic never learned from distorted digits: fine-tuning it on them would cost it
    assert dialog.form.augment.isEnabled() and not dialog.form.augment.isChecked()
    dialog.form.epochs.setValue(1)
    dialog.form.images.setCurrentIndex(0)  # 1,000 MNIST digits: quick
    qtbot.mouseClick(dialog.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.training is None, timeout=120_000)
    result = dialog.result
    assert result is not None, dialog.live.status.text()
    assert result.network.spec == window.viewer.model_in_use.network.spec  # the model in use, tuned
    assert result.metadata.training["config"]["samples_ratio"] == 0.25
    assert result.metadata.training["config"]["augment"] is False
    personal = result.personal
    assert len(personal.ids) == 4 and sorted(personal.labels.tolist()) == [1, 4, 7, 9]
    shown = dialog.results.personal_summary.text()
    assert dialog.results.personal.isVisible() and "Your 4 held-out samples" in shown
    right = int((personal.before == personal.labels).sum())
    assert f"{right} of 4 read right by the model in use" in shown
    assert dialog.results.fixed.caption.text().startswith("fixed")
    qtbot.mouseClick(dialog.results.use_button, Qt.MouseButton.LeftButton)
    assert window.viewer.model_in_use.metadata.training["samples"]["held_out"] == 4
    assert window.viewer.model_in_use.metadata.training["fine_tuned_from"]["name"] == "classic"
    assert not dialogs


def test_undoing_a_deletion_of_samples_stored_again_says_so(window, qtbot, dialogs):
    keep(window, qtbot, 4, 4)
    dialog = open_browser(window, qtbot)
    select(dialog, 0)
    (sample,) = stored(window)
    QTest.keyClick(dialog.list, Qt.Key.Key_Delete)
    window.teacher.store.add(sample)  # as an import of an earlier export would
    dialog.refresh()
    qtbot.mouseClick(dialog.undo_button, Qt.MouseButton.LeftButton)
    assert dialog.summary.text() == "Undo Delete: those samples are stored again already"
    assert len(stored(window)) == 1 and not dialog.undo_button.isEnabled() and not dialogs


# -- keys the focused control takes first ------------------------------------------------


def tab_to(window, qtbot, name):
    """Press Tab, as a keyboard user does, until the control named ``name`` has focus."""
    for _ in range(40):
        focused = QApplication.focusWidget()
        if focused is not None and focused.objectName() == name:
            return focused
        QTest.keyClick(focused or window, Qt.Key.Key_Tab)
    raise AssertionError(f"Tab never reached {name}")


def test_enter_and_space_act_on_the_focused_control_not_on_the_teach_bar(window, qtbot, dialogs):
    assert QApplication.focusWidget() is window.canvas  # where the keys go at first
    draw(window, DIGITS[7])
    assert window.actions["teach_confirm"].isEnabled()
    stage = tab_to(window, qtbot, "stage_conv2")
    QTest.keyClick(stage, Qt.Key.Key_Return)
    assert stage.isChecked() and window.viewer.selected_layer == window.viewer.stages[3].first
    assert window.network_view.layer_selector.currentIndex() == 1
    assert not window.canvas.is_empty() and len(stored(window)) == 0
    stage = tab_to(window, qtbot, "stage_maxpool1")
    QTest.keyClick(stage, Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)
    assert stage.isChecked() and len(stored(window)) == 0
    stage = tab_to(window, qtbot, "stage_conv1")
    QTest.keyClick(stage, Qt.Key.Key_Space)
    assert stage.isChecked() and len(stored(window)) == 0
    # A control with nothing to do on Enter: Enter still means "it read it right".
    tab_to(window, qtbot, "pen_width")
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert [s.label for s in stored(window)] == [7] and window.canvas.is_empty()
    # Drawing puts the focus on the canvas, where Enter keeps the drawing.
    tab_to(window, qtbot, "stage_conv1")
    draw(window, DIGITS[4])
    assert QApplication.focusWidget() is window.canvas
    QTest.keyClick(window.canvas, Qt.Key.Key_Return)
    assert [s.label for s in stored(window)] == [7, 4]
    assert not dialogs
