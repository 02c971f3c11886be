"""The answer under the canvas: the first-start hint, from a real stroke."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from digitpad.gui.prediction_view import unfamiliar_markup, unfamiliar_tip

from .conftest import draw_stroke, open_window, stop_work
from .handwriting import DIGITS

HINT = "Draw a digit with the mouse or a pen in the black square. F2 explains each panel."


def test_the_first_start_says_what_to_do_until_the_first_drawing(
    qtbot, settings, dialogs, library_folder
):
    assert not settings.allKeys()  # the very first start: nothing remembered yet
    window = open_window(qtbot, settings, library_folder)
    assert "Draw a digit" in window.prediction.text() and HINT in window.prediction.text()
    for stroke in DIGITS[7]:
        draw_stroke(window.canvas, stroke)
    window.canvas_feed.update_now()
    assert HINT not in window.prediction.text()
    QTest.keyClick(window.canvas, Qt.Key.Key_Escape)  # cleared: "Draw a digit", no hint
    window.canvas_feed.update_now()
    assert "Draw a digit" in window.prediction.text() and HINT not in window.prediction.text()
    stop_work(window)
    window.close()
    again = open_window(qtbot, settings, library_folder)
    assert "Draw a digit" in again.prediction.text() and HINT not in again.prediction.text()


def test_the_hint_is_remembered_gone_even_if_the_window_never_closed(
    qtbot, settings, dialogs, library_folder
):
    window = open_window(qtbot, settings, library_folder)
    draw_stroke(window.canvas, DIGITS[1][0])
    window.canvas_feed.update_now()
    # Not the window's closing (which saves its geometry): the drawing itself is remembered.
    again = open_window(qtbot, settings, library_folder)
    assert HINT not in again.prediction.text()


def test_the_hint_waits_for_the_first_drawing_over_several_starts(
    qtbot, settings, dialogs, library_folder
):
    window = open_window(qtbot, settings, library_folder)
    stop_work(window)
    window.close()  # closed without drawing: the next start still says what to do
    again = open_window(qtbot, settings, library_folder)
    assert HINT in again.prediction.text()


def test_settings_from_before_the_hint_mean_a_user_who_has_drawn(
    qtbot, settings, dialogs, library_folder
):
    settings.setValue("canvas/pen_width", "20")  # an earlier version's run left this
    window = open_window(qtbot, settings, library_folder)
    assert "Draw a digit" in window.prediction.text() and HINT not in window.prediction.text()


def test_an_answer_reads_as_what_it_is_with_its_share_and_a_gauge(
    qtbot, settings, dialogs, library_folder
):
    """A 7 "looks most like a 7", its percentage named a share; the gauge beside it says
    how digit-like the drawing is, and is empty again when the canvas is cleared."""
    window = open_window(qtbot, settings, library_folder)
    gauge = window.drawing.gauge
    assert gauge.isVisible() and gauge.value is None and "draw something" in gauge.text
    for stroke in DIGITS[7]:
        draw_stroke(window.canvas, stroke)
    window.canvas_feed.update_now()
    text = window.prediction.text()
    assert "looks&nbsp;most&nbsp;like" in text and ">7<" in text and "share 100&nbsp;%" in text
    assert "sure" not in text
    viewer = window.viewer
    assert gauge.value is not None and gauge.value >= gauge.threshold
    assert gauge.accessibleDescription() == gauge.text
    assert gauge.text.startswith(f"{gauge.label}: {gauge.value:.0%}")
    if viewer.knows_non_digits:
        assert gauge.value == viewer.digit_share
    QTest.keyClick(window.canvas, Qt.Key.Key_Escape)
    window.canvas_feed.update_now()
    assert gauge.value is None


def test_the_gauge_of_a_network_without_a_not_a_digit_output_is_its_familiarity(
    qtbot, settings, dialogs, library_folder
):
    import math

    window = open_window(qtbot, settings, library_folder, model="classic")
    for stroke in DIGITS[7]:
        draw_stroke(window.canvas, stroke)
    window.canvas_feed.update_now()
    viewer, gauge = window.viewer, window.drawing.gauge
    assert not viewer.knows_non_digits and gauge.threshold == 0.5
    expected = 1 / (1 + math.exp(viewer.familiarity_threshold - viewer.familiarity))
    assert abs(gauge.value - expected) < 1e-9
    assert (gauge.value < 0.5) == viewer.unfamiliar


def shown_lines(label) -> list[str]:
    """The lines a word-wrapped rich-text label shows at its width, as Qt lays them out."""
    from PySide6.QtGui import QTextDocument

    document = QTextDocument()
    document.setDefaultFont(label.font())
    document.setDocumentMargin(0)
    document.setHtml(label.text())
    document.setTextWidth(label.contentsRect().width())
    document.size()  # laid out now
    lines = []
    block = document.begin()
    while block.isValid():
        layout, text = block.layout(), block.text()
        for index in range(layout.lineCount()):
            line = layout.lineAt(index)
            lines.append(text[line.textStart() : line.textStart() + line.textLength()])
        block = block.next()
    return [line.replace("\u00a0", " ").strip() for line in lines]


@pytest.mark.parametrize("size", [(1280, 720), (1024, 600)])
@pytest.mark.parametrize("presenting", [False, True])
def test_the_answer_never_breaks_inside_a_phrase_or_a_number(
    size, presenting, qtbot, settings, dialogs, library_folder
):
    """ "looks most like" stays whole, a percentage never loses its "%", at both screen
    sizes, in presentation mode too; and the note under it reads plainly."""
    window = open_window(qtbot, settings, library_folder)
    window.resize(*size)
    if presenting:
        window.actions["presentation"].trigger()
    for stroke in DIGITS[4]:
        draw_stroke(window.canvas, stroke)
    window.canvas_feed.update_now()
    qtbot.wait(100)
    lines = shown_lines(window.prediction)
    joined = " ".join(lines)
    assert "looks most like" in joined and "softmax splits" not in joined
    assert "the ten percentages share 100 %" in joined
    assert any("looks most like" in line for line in lines), lines
    assert not any(line.startswith("%") or line.endswith("looks most") for line in lines)
    assert not any(line.startswith("like") for line in lines), lines


def test_an_unfamiliar_drawing_is_said_in_plain_words_the_numbers_in_the_tooltip():
    text = unfamiliar_markup(4, 0.63, 5.6, 6.2)
    assert "logits" not in text and "familiarity" not in text and "5.6" not in text
    assert "it reacts weakly" in text
    tip = unfamiliar_tip(5.6, 6.2)
    assert "5.6" in tip and "6.2" in tip and "99.5" in tip


def test_a_gauge_without_a_not_a_digit_output_says_what_it_measures(
    qtbot, settings, dialogs, library_folder
):
    """A model that learned digits alone must not call a drawing "digit-like": the gauge
    says how strongly it reacts, and that it cannot tell letters and doodles from digits."""
    window = open_window(qtbot, settings, library_folder, model="classic")
    gauge = window.drawing.gauge
    for stroke in DIGITS[7]:
        draw_stroke(window.canvas, stroke)
    window.canvas_feed.update_now()
    assert not window.viewer.knows_non_digits
    assert "digit-like" not in gauge.text and "how strongly it reacts" in gauge.text
    assert "cannot tell letters and doodles from digits" in gauge.text
    window.viewer.show_training(window.viewer.model_in_use.network)  # a run is shown
    assert "cannot tell" in gauge.text and "during a training run" in gauge.text


def test_a_gauge_with_a_not_a_digit_output_says_how_digit_like(
    qtbot, settings, dialogs, library_folder
):
    import numpy as np

    from digitpad.core.architectures import ConvChoice, custom_spec, with_not_a_digit
    from digitpad.core.model_io import ModelMetadata, save_model
    from digitpad.core.network import Network

    spec = with_not_a_digit(custom_spec([ConvChoice(4, padding="same")], dense_units=16))
    network = Network(spec, np.random.default_rng(1))
    path = save_model(
        library_folder / "eleven.npz",
        network,
        ModelMetadata(name="eleven", metrics={"familiarity_threshold": 0.0}),
    )
    window = open_window(qtbot, settings, library_folder, model=None)
    window.model_menu.load(path)
    for stroke in DIGITS[7]:
        draw_stroke(window.canvas, stroke)
    window.canvas_feed.update_now()
    gauge = window.drawing.gauge
    assert window.viewer.knows_non_digits and gauge.text.startswith("how digit-like")
    assert "cannot tell" not in gauge.text


@pytest.mark.parametrize("size", [(1280, 720), (1024, 600)])
def test_the_gauge_is_never_squeezed(size, qtbot, settings, dialogs, library_folder):
    window = open_window(qtbot, settings, library_folder, model="classic")
    window.resize(*size)
    window.actions["presentation"].trigger()
    for _ in range(3):
        window.actions["zoom_in"].trigger()
    qtbot.wait(100)
    gauge = window.drawing.gauge
    assert gauge.bar_rect().width() >= 120
    assert gauge.height() >= gauge.heightForWidth(gauge.width())


def test_two_best_guesses_keep_each_digit_with_its_share(qtbot, settings, dialogs, library_folder):
    import re

    import numpy as np

    from digitpad.core.viewer import Verdict

    window = open_window(qtbot, settings, library_folder)
    window.resize(1024, 600)
    window.actions["presentation"].trigger()
    for stroke in DIGITS[4]:
        draw_stroke(window.canvas, stroke)
    window.canvas_feed.update_now()
    qtbot.wait(100)
    window.viewer.verdict = Verdict.of(np.array([0, 0, 0, 0, 0, 0, 0, 0, 0.21, 0.61]))
    window.viewer.input_changed.emit(window.viewer.input)
    lines = shown_lines(window.prediction)
    assert "looks like" in " ".join(lines)
    assert not any(re.match(r"\d+ ?%", line) for line in lines), lines
