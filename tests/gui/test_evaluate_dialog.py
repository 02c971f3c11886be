"""Model > Evaluate…: where the model errs, with the digits behind each mistake, driven as a
person does it (clicks on the real confusion matrix), on real MNIST, your samples and pen
digits, in a real worker thread."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QFontMetricsF
from PySide6.QtTest import QTest

from digitpad.core.model_io import load_model

from .handwriting import DIGITS
from .test_teaching import draw, stored

TIMEOUT_MS = 120_000


def open_evaluate(window, qtbot):
    window.actions["evaluate"].trigger()
    dialog = window.model_menu.evaluate_dialog
    qtbot.waitExposed(dialog)
    return dialog


def run(dialog, qtbot, source):
    dialog.source.setCurrentIndex(dialog.source.findData(source))
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.running is None, timeout=TIMEOUT_MS)
    assert dialog.result is not None, dialog.status.text()
    return dialog.result


def click_cell(view, true, predicted):
    """A real left click in the middle of one cell of the confusion matrix."""
    scene = view.plot.getViewBox().mapViewToScene(QPointF(predicted + 0.5, true + 0.5))
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.mapFromScene(scene))


def test_mnist_mistakes_open_the_digits_behind_them_most_confident_first(
    window, qtbot, monkeypatch, mnist_dir, mnist_test
):
    monkeypatch.setenv("DIGITPAD_MNIST_DIR", str(mnist_dir))
    window.model_menu.bundled_actions["classic"].trigger()
    dialog = open_evaluate(window, qtbot)
    assert not dialog.confusion.isVisible()  # no matrix before there is a result
    result = run(dialog, qtbot, "mnist")
    assert dialog.confusion.isVisible()
    classic = load_model(window.viewer.model_in_use.path)
    assert result.evaluation.n == 10000
    assert result.evaluation.accuracy == classic.metadata.metrics["test_accuracy"]
    assert f"{result.evaluation.accuracy:.2%}" in dialog.status.text()
    assert dialog.progress.value() == dialog.progress.maximum() == 10000
    # Clicking a cell lists exactly its digits, most confident answer first.
    click_cell(dialog.confusion, 9, 4)
    assert dialog.cell == (9, 4)
    count = result.evaluation.confusion[9][4]
    assert dialog.examples.count() == count > 0
    assert f"9 read as 4</b>: {count} images" in dialog.examples_title.text()
    marked = dialog.confusion.marker  # the clicked cell is outlined, and only it
    assert marked.isVisible() and marked.rect().getRect() == (4.0, 9.0, 1.0, 1.0)
    shown = [dialog.examples.item(i).data(Qt.ItemDataRole.UserRole) for i in range(count)]
    assert all(mnist_test.labels[i] == 9 for i in shown)
    confidence = result.probabilities[shown, 4]
    assert (result.probabilities[shown].argmax(axis=1) == 4).all()
    assert (np.diff(confidence) <= 0).all()
    # Open the most confidently wrong one: the window reads the very input Evaluate read,
    # so it makes the same mistake with the same certainty, and every panel shows why.
    dialog.examples.item(0).setSelected(True)
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    np.testing.assert_array_equal(window.viewer.input, mnist_test.as_float()[shown[0]])
    assert window.viewer.verdict.digit == 4
    np.testing.assert_allclose(
        window.viewer.probabilities, result.probabilities[shown[0]], atol=1e-6
    )
    # Drawn on, it is a drawing again.
    from .conftest import draw_stroke, line

    draw_stroke(window.canvas, line((20, 20), (60, 20)))
    window.canvas_feed.update_now()
    assert not np.array_equal(window.viewer.input, mnist_test.as_float()[shown[0]])
    # Keep it as a sample with its true label.
    qtbot.mouseClick(dialog.keep_button, Qt.MouseButton.LeftButton)
    summary = dialog.status.text()
    assert dialog.kept_status.text() == "Kept as a 9 in My Samples."
    kept = stored(window)
    assert [(s.label, s.predicted) for s in kept] == [(9, 4)]
    np.testing.assert_allclose(kept[0].network_input, mnist_test.as_float()[shown[0]])
    qtbot.mouseClick(dialog.keep_button, Qt.MouseButton.LeftButton)  # twice: refused
    assert "Not kept" in dialog.kept_status.text() and len(stored(window)) == 1
    assert dialog.status.text() == summary  # the reading's summary stays


def test_your_samples_and_pen_digits_are_read_too(window, qtbot, pendigits_dir, monkeypatch):
    dialog = open_evaluate(window, qtbot)
    dialog.source.setCurrentIndex(dialog.source.findData("samples"))
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert "No samples yet" in dialog.status.text() and dialog.running is None
    for digit in (3, 5):
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=5000)
        draw(window, DIGITS[digit])
        QTest.keyClick(window.canvas, getattr(Qt.Key, f"Key_{digit}"))
    result = run(dialog, qtbot, "samples")
    assert result.evaluation.n == 2 and sorted(result.labels.tolist()) == [3, 5]
    assert "0: none" in dialog.status.text()  # digits without samples are not "0.0 %"
    # Pen digits: a folder chosen, drawn as the canvas draws, read in the background.
    from PySide6.QtWidgets import QFileDialog

    dialog.pen_folder = None
    dialog.source.setCurrentIndex(dialog.source.findData("pendigits"))
    assert not dialog.run_button.isEnabled()
    monkeypatch.setattr(
        QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(pendigits_dir))
    )
    qtbot.mouseClick(dialog.pen_button, Qt.MouseButton.LeftButton)
    result = run(dialog, qtbot, "pendigits")
    assert result.evaluation.n == 7494 and result.evaluation.accuracy > 0.99


def test_samples_kept_as_not_a_digit_are_left_out_or_scored_and_the_model_is_named(window, qtbot):
    """Reproduced fault: one sample kept as not a digit made My samples fail with
    "IndexError: index 10 is out of bounds". A model without that output leaves them out
    and says so; one with it scores them, in an N row and column of their own."""
    from digitpad.core.architectures import grown_by_not_a_digit
    from digitpad.core.doodles import doodle
    from digitpad.core.familiarity import THRESHOLD_KEY, familiarity
    from digitpad.core.model_io import Model, ModelMetadata
    from digitpad.core.network import NOT_A_DIGIT

    window.model_menu.bundled_actions["classic"].trigger()  # ten outputs
    dialog = open_evaluate(window, qtbot)
    for digit in (3, 5):
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=5000)
        draw(window, DIGITS[digit])
        QTest.keyClick(window.canvas, getattr(Qt.Key, f"Key_{digit}"))
    draw(window, [stroke.points.tolist() for stroke in doodle("face", 3)])
    QTest.keyClick(window.canvas, Qt.Key.Key_N)
    result = run(dialog, qtbot, "samples")
    assert result.evaluation.n == 2 and sorted(result.labels.tolist()) == [3, 5]
    status = dialog.status.text()
    assert "1 'not a digit' sample left out: classic has no 'not a digit' output" in status
    assert "read right by <b>classic</b>" in status  # which model was scored
    assert dialog.confusion.classes == 10
    # A model with the output: the face is called not a digit below its threshold.
    grown = grown_by_not_a_digit(window.viewer.model_in_use.network)
    face = stored(window)[-1].network_input
    threshold = float(familiarity(grown.scores(face[None]))[0]) + 1e-3
    window.viewer.use_model(
        Model(grown, ModelMetadata(name="with non-digits", metrics={THRESHOLD_KEY: threshold}))
    )
    result = run(dialog, qtbot, "samples")
    assert result.evaluation.n == 3 and result.classes == 11
    confusion = result.evaluation.confusion
    assert len(confusion) == 11 and confusion[NOT_A_DIGIT][NOT_A_DIGIT] == 1
    status = dialog.status.text()
    assert "left out" not in status and "not a digit: 100.0%" in status
    assert "read right by <b>with non-digits</b>" in status
    assert dialog.confusion.classes == 11
    click_cell(dialog.confusion, NOT_A_DIGIT, NOT_A_DIGIT)
    assert dialog.cell == (NOT_A_DIGIT, NOT_A_DIGIT) and dialog.examples.count() == 1
    assert "not a digit read right</b>: 1 image" in dialog.examples_title.text()
    # Pen digits with no folder: greyed, says why, and the samples' result is gone.
    dialog.pen_folder = None
    dialog.source.setCurrentIndex(dialog.source.findData("pendigits"))
    assert not dialog.run_button.isEnabled()
    assert "Choose a pen-digits folder first" in dialog.status.text()
    assert dialog.result is None and not dialog.confusion.isVisible()


def test_a_uji_folder_is_read_as_pen_digits_too(window, qtbot, uji_digits_dir, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    dialog = open_evaluate(window, qtbot)
    dialog.source.setCurrentIndex(dialog.source.findData("pendigits"))
    monkeypatch.setattr(
        QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(uji_digits_dir))
    )
    qtbot.mouseClick(dialog.pen_button, Qt.MouseButton.LeftButton)
    result = run(dialog, qtbot, "pendigits")
    assert result.evaluation.n == 400 and result.evaluation.accuracy > 0.97


def test_an_evaluation_can_be_cancelled(window, qtbot, monkeypatch, mnist_dir):
    monkeypatch.setenv("DIGITPAD_MNIST_DIR", str(mnist_dir))
    dialog = open_evaluate(window, qtbot)
    dialog.source.setCurrentIndex(dialog.source.findData("pendigits"))
    dialog.pen_folder = None
    dialog.source.setCurrentIndex(dialog.source.findData("mnist"))
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert dialog.cancel_button.isEnabled() and window.model_menu.busy()
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.running is None, timeout=TIMEOUT_MS)
    # It stopped, or it had already finished: either way nothing runs and it says which.
    assert dialog.status.text() in ("Cancelled.",) or dialog.result is not None
    assert not window.model_menu.busy()
    assert dialog.progress.maximum() > 0  # no busy bar once nothing runs


def test_pen_digits_show_progress_from_the_start_and_cancel_while_drawing(
    window, qtbot, pendigits_dir
):
    """Drawing 7,494 digits takes seconds before any is read: that is progress too, and
    Cancel is honoured there."""
    dialog = open_evaluate(window, qtbot)
    dialog.pen_folder = pendigits_dir
    dialog.source.setCurrentIndex(dialog.source.findData("pendigits"))
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert dialog.progress.maximum() == 0  # busy at once, never a "0 %" that sits
    qtbot.waitUntil(
        lambda: (
            "Drawing 7,494 pen digits" in dialog.status.text()
            and dialog.progress.maximum() == 7494
            and dialog.progress.value() > 0
        ),
        timeout=TIMEOUT_MS,
    )
    first = dialog.progress.value()
    qtbot.waitUntil(lambda: dialog.progress.value() > first, timeout=TIMEOUT_MS)
    drawn = dialog.progress.value()
    assert drawn < 7494
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.running is None, timeout=TIMEOUT_MS)
    assert dialog.status.text() == "Cancelled." and dialog.result is None
    # Stopped while drawing: no reading began (it would have started again from 0).
    assert drawn <= dialog.progress.value() < 7494 and dialog.progress.maximum() == 7494


def matrix_rows_shown(view) -> tuple[float, float]:
    """The rows the heatmap's plot shows, top to bottom (the matrix is 0 to 10)."""
    (_, _), (top, bottom) = view.plot.getViewBox().viewRange()
    return top, bottom


def contrast(a, b) -> float:
    """WCAG contrast ratio of two RGB colours."""

    def luminance(rgb):
        c = np.array(rgb[:3]) / 255
        c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def assert_heatmap_whole(view, confusion):
    """No empty rows or columns between the matrix and its axes; the diagonal's counts
    shown, dark on its grey, each inside its cell."""
    from digitpad.gui.train_results import DIAGONAL_GREY

    box = view.plot.getViewBox()
    (left, right), (top, bottom) = box.viewRange()
    assert left > -0.05 and right < 10.05 and top > -0.05 and bottom < 10.05, box.viewRange()
    cell = box.width() / 10
    for digit in range(10):
        text = view.counts[digit * 11]
        assert text.toPlainText() == str(confusion[digit][digit])
        assert contrast(text.color.getRgb(), DIAGONAL_GREY) >= 4.5
        width = QFontMetricsF(text.textItem.font()).horizontalAdvance(text.toPlainText())
        assert width <= 0.9 * cell, (digit, width, cell)


def test_moved_aside_the_heatmap_keeps_its_rows_together_and_counts_the_diagonal(
    window, qtbot, monkeypatch, mnist_dir
):
    monkeypatch.setenv("DIGITPAD_MNIST_DIR", str(mnist_dir))
    window.model_menu.bundled_actions["classic"].trigger()
    # The canvas placed so that 900 px are left to its right: the dialog (1,000 wide)
    # moved beside it is narrowed, as on a laptop's screen.
    screen = window.screen().availableGeometry()
    canvas_right = window.canvas.mapTo(window, window.canvas.rect().topRight()).x()
    window.move(screen.right() - 12 - 900 - canvas_right, screen.top())
    qtbot.waitUntil(lambda: window.canvas.mapToGlobal(window.canvas.rect().topRight()).x() > 900)
    dialog = open_evaluate(window, qtbot)
    dialog.move(window.canvas.mapToGlobal(window.canvas.rect().topLeft()))  # over the canvas
    result = run(dialog, qtbot, "mnist")
    qtbot.waitUntil(lambda: matrix_rows_shown(dialog.confusion)[1] < 10.05)
    assert_heatmap_whole(dialog.confusion, result.evaluation.confusion)
    before = dialog.frameGeometry()
    item = dialog.examples.item(0)
    QTest.mouseClick(
        dialog.examples.viewport(),
        Qt.MouseButton.LeftButton,
        pos=dialog.examples.visualItemRect(item).center(),
    )
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    after = dialog.frameGeometry()
    canvas = window.canvas.rect().translated(window.canvas.mapToGlobal(QPoint(0, 0)))
    assert not after.intersects(canvas) and after.width() < before.width()  # moved, narrowed
    qtbot.wait(200)  # the plot's layout settles
    assert_heatmap_whole(dialog.confusion, result.evaluation.confusion)
