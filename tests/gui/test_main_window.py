"""The main window as a person uses it: draw, read the answer, undo, open files, switch models."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel, QWidget

from digitpad.core.bundled import CLASSIC
from digitpad.gui.app import take_screenshot
from digitpad.gui.main_window import MainWindow

from ..imagefiles import save_digit
from .conftest import draw_stroke, line, open_window
from .handwriting import DIGITS, slanted

ONE = [line((140, 40), (140, 240))]  # a plain bar: its input is easy to predict
SEVEN = DIGITS[7]


def draw_digit(window, qtbot, strokes):
    for stroke in strokes:
        with qtbot.waitSignal(window.prediction_updated, timeout=2000):
            draw_stroke(window.canvas, stroke)
    with qtbot.waitSignal(window.prediction_updated, timeout=2000) as blocker:
        window.canvas_feed.update_now()
    return blocker.args


def test_window_has_the_named_widgets(window):
    for name in (
        "canvas",
        "prediction",
        "probabilities",
        "feature_maps",
        "pooled",
        "network_input",
        "layer_strip",
        "layer_selector",
    ):
        assert window.findChild(QWidget, name) is not None, name


def test_empty_canvas_shows_no_guess(window, qtbot):
    with qtbot.waitSignal(window.prediction_updated) as blocker:
        window.canvas_feed.update_now()
    assert blocker.args == [None, [0.0] * 10]
    assert "Draw a digit" in window.findChild(QLabel, "prediction").text()


def test_the_canvas_stays_put_when_the_answer_appears_and_goes(window, qtbot):
    """The answer under the canvas changes height with what it says; the canvas must not
    move under the pen between one stroke and the next."""
    window.resize(1024, 600)  # a narrow column: the answers wrap to different heights
    qtbot.waitUntil(lambda: window.canvas.width() < 320, timeout=5000)

    def square():
        rect = window.canvas._view_rect()
        return rect.translated(window.canvas.mapTo(window, rect.topLeft()) - rect.topLeft())

    empty = square()
    draw_stroke(window.canvas, DIGITS[4][0])
    window.canvas_feed.update_now()
    QApplication.processEvents()
    assert window.viewer.verdict is not None and square() == empty
    for stroke in DIGITS[4][1:]:
        draw_stroke(window.canvas, stroke)
    window.canvas_feed.update_now()
    QApplication.processEvents()
    assert window.viewer.verdict.sure and square() == empty
    window.actions["clear"].trigger()
    window.canvas_feed.update_now()
    QApplication.processEvents()
    assert window.viewer.verdict is None and square() == empty


@pytest.mark.parametrize("digit", range(10))
def test_handwritten_digits_are_recognised(window, qtbot, digit):
    predicted, probabilities = draw_digit(window, qtbot, DIGITS[digit])
    assert predicted == digit
    assert probabilities[digit] > 0.5
    assert f">{digit}<" in window.prediction.text()
    assert window.network_view.probabilities.values.argmax() == digit


@pytest.mark.parametrize(
    "pen,slant,scale,dx,dy",
    [
        (8, 0.0, 1.0, 0, 0),  # a thin pen
        (40, 0.0, 1.0, 0, 0),  # a thick pen
        (22, 0.3, 1.0, 0, 0),  # leaning right
        (22, 0.0, 0.4, -80, -80),  # small, in a corner
    ],
    ids=["thin", "thick", "slanted", "small"],
)
def test_handwriting_that_varies_is_still_recognised(window, qtbot, pen, slant, scale, dx, dy):
    window.pen_slider.setValue(pen)
    for digit, strokes in DIGITS.items():
        window.canvas.clear()
        predicted, _ = draw_digit(window, qtbot, slanted(strokes, slant, scale, dx, dy))
        assert predicted == digit


def test_the_classic_model_reads_handwriting_too(qtbot, settings, dialogs, library_folder):
    window = open_window(qtbot, settings, library_folder, "classic")
    for digit, strokes in DIGITS.items():
        window.canvas.clear()
        predicted, _ = draw_digit(window, qtbot, strokes)
        assert predicted == digit


def test_drawing_feeds_the_expected_input(window, qtbot):
    draw_digit(window, qtbot, ONE)
    digit = window.viewer.input
    assert digit.shape == (28, 28)
    rows = np.flatnonzero(digit.max(axis=1) > 0.1)
    assert rows.max() - rows.min() + 1 == 20  # fitted to the 20-pixel box
    mass = digit / digit.sum()
    assert abs((mass.sum(axis=1) * np.arange(28)).sum() - 14) <= 0.5  # centred by mass
    assert abs((mass.sum(axis=0) * np.arange(28)).sum() - 14) <= 0.5
    shown = window.network_view.network_input.image.image
    np.testing.assert_array_equal(shown, digit)


def test_live_updates_while_the_pen_moves(window, qtbot):
    updates = []
    window.prediction_updated.connect(lambda digit, probs: updates.append(digit))
    canvas = window.canvas
    from .conftest import canvas_point

    QTest.mousePress(
        canvas,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        canvas_point(canvas, 140, 40),
    )
    for y in range(45, 240, 5):
        QTest.mouseMove(canvas, canvas_point(canvas, 140, y))
        qtbot.wait(20)  # longer than a frame: each move may update
    assert len(updates) >= 5  # predictions arrived before the release
    QTest.mouseRelease(
        canvas,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        canvas_point(canvas, 140, 240),
    )


def test_undo_redo_clear_by_keyboard(window, qtbot):
    draw_digit(window, qtbot, SEVEN)
    assert window.viewer.probabilities is not None
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.viewer.probabilities is None)
    qtbot.keyClick(
        window.canvas,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(lambda: window.viewer.probabilities is not None)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.viewer.probabilities is None)
    assert window.canvas.is_empty()


def test_panels_match_each_model(window, qtbot):
    draw_digit(window, qtbot, SEVEN)
    assert window.network_view.feature_maps.maps.shape == (32, 28, 28)
    assert window.network_view.pooled.maps.shape == (32, 14, 14)
    assert window.network_view.filters.maps.shape == (32, 3, 3)
    assert window.network_view.layer_selector.count() == 2
    window.network_view.layer_selector.setCurrentIndex(1)
    assert window.network_view.feature_maps.maps.shape == (64, 14, 14)
    assert window.network_view.pooled.maps.shape == (64, 7, 7)
    assert window.model_menu.load(CLASSIC.path)
    assert window.network_view.feature_maps.maps.shape == (8, 26, 26)
    assert window.network_view.pooled.maps.shape == (8, 13, 13)
    assert window.network_view.filters.maps.shape == (8, 3, 3)
    labels = [b.text().replace("\n", " ") for b in window.layer_strip.buttons]
    assert labels == [
        "input 28×28×1",
        "conv1 26×26×8",
        "maxpool1 13×13×8",
        "flatten1 1352",
        "dense1 10",
        "softmax 10",
    ]
    assert window.viewer.probabilities is not None  # the drawing was re-predicted


def test_layer_strip_click_selects_the_layer(window, qtbot):
    draw_digit(window, qtbot, SEVEN)
    conv2 = next(b for b in window.layer_strip.buttons if b.text().startswith("conv2"))
    qtbot.mouseClick(conv2, Qt.MouseButton.LeftButton)
    assert window.network_view.layer_selector.currentIndex() == 1
    assert window.network_view.feature_maps.maps.shape == (64, 14, 14)


def test_hover_shows_value_and_receptive_field(window, qtbot):
    draw_digit(window, qtbot, SEVEN)
    panel = window.network_view.feature_maps
    _h, w = panel.maps.shape[1:]
    # Centre of row 5, column 6 of the second tile, in image coordinates.
    point = QPointF(1 * (w + 1) + 6.5, 5.5)
    scene = panel.view.mapViewToScene(point)
    panel._on_scene_mouse_moved(scene)
    assert panel.readout.text().startswith("map 2, row 6, column 7:")  # counted from 1
    value = float(panel.readout.text().split(":")[1])
    assert value == pytest.approx(float(panel.maps[1, 5, 6]), abs=1e-3)
    field = window.network_view.network_input.field
    assert field.isVisible()
    assert field.rect().getRect() == (5.0, 4.0, 3.0, 3.0)  # 3x3 'same' conv around (5, 6)
    panel._on_scene_mouse_moved(QPointF(-100, -100))
    assert not field.isVisible()


def test_model_switching_from_the_menu(window, qtbot):
    window.model_menu.bundled_actions["classic"].trigger()
    assert window.viewer.model_in_use.path.name == "classic.npz"
    assert window.model_menu.bundled_actions["classic"].isChecked()
    assert not window.model_menu.bundled_actions["default"].isChecked()
    window.model_menu.bundled_actions["default"].trigger()
    assert window.viewer.model_in_use.path.name == "default.npz"


def test_bad_model_file_keeps_the_current_model(window, tmp_path, dialogs, monkeypatch):
    bad = tmp_path / "evil.npz"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(bad), ""))
    )
    before = window.viewer.model_in_use
    window.actions["open_model"].trigger()
    assert window.viewer.model_in_use is before
    assert dialogs and dialogs[-1][0] == "critical" and "evil.npz" in dialogs[-1][2]
    assert window.model_menu.bundled_actions["default"].isChecked()


def test_open_image_from_the_menu(window, qtbot, tmp_path, mnist_test, monkeypatch):
    path = save_digit(mnist_test.images[0] / 255.0, tmp_path / "seven.png", 150, invert=True)
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(path), ""))
    )
    with qtbot.waitSignal(window.prediction_updated, timeout=2000) as blocker:
        window.actions["open_image"].trigger()
    assert blocker.args[0] == 7
    window.canvas.undo()  # the picture is one undoable step
    assert window.canvas.is_empty()


def test_bad_and_blank_images_get_a_message(window, tmp_path, dialogs):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    blank = save_digit(np.zeros((28, 28)), tmp_path / "blank.png")
    assert not window.open_image(broken)
    assert not window.open_image(blank)
    assert [d[0] for d in dialogs] == ["warning", "warning"]
    assert "broken.png" in dialogs[0][2] and "blank" in dialogs[1][2]
    assert window.canvas.is_empty()


def drag_and_drop(widget, path):
    """The events a file manager's drag delivers: enter, move, drop."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    point = widget.rect().center()
    args = (
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    enter = QDragEnterEvent(point, *args)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(widget, QDragMoveEvent(point, *args))
    QApplication.sendEvent(widget, QDropEvent(QPointF(point), *args))


def test_drop_an_image_file(window, qtbot, tmp_path, mnist_test):
    path = save_digit(mnist_test.images[1] / 255.0, tmp_path / "two.png", 64)
    with qtbot.waitSignal(window.prediction_updated, timeout=2000) as blocker:
        drag_and_drop(window, path)
    assert blocker.args[0] == 2


def test_drop_a_model_file(window, qtbot):
    drag_and_drop(window, CLASSIC.path)
    assert window.viewer.model_in_use.path.name == "classic.npz"


def test_save_drawing_and_export_panels(window, qtbot, tmp_path, monkeypatch):
    draw_digit(window, qtbot, ONE)
    target = tmp_path / "drawing"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), ""))
    )
    window.actions["save_drawing"].trigger()
    assert (tmp_path / "drawing.png").is_file()
    assert window.open_image(tmp_path / "drawing.png")  # a saved drawing opens again
    panels = tmp_path / "panels.png"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(panels), ""))
    )
    window.actions["export_panels"].trigger()
    assert panels.stat().st_size > 5000


def _gray(image) -> np.ndarray:
    """A QImage's pixels as rows of gray levels 0..255."""
    from PySide6.QtGui import QImage

    gray = image.convertToFormat(QImage.Format.Format_Grayscale8)
    rows = np.frombuffer(gray.constBits(), np.uint8).reshape(gray.height(), -1)
    return rows[:, : gray.width()].copy()


def test_export_panels_includes_the_drawing_and_the_answer(window, qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QImage

    window.resize(1280, 720)
    draw_digit(window, qtbot, SEVEN)
    window.actions["guide"].trigger()  # an open side panel is exported beside them
    QApplication.processEvents()
    panels = tmp_path / "panels.png"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(panels), ""))
    )
    window.actions["export_panels"].trigger()
    exported = QImage(str(panels))
    central = window.centralWidget()
    assert exported.width() >= central.width() + window.guide_dock.width()
    assert exported.width() > window.workspace.panels_widget.width() + window.canvas.width()
    assert exported.height() >= central.height()
    # The canvas is in it where it is in the window, its ink with it.
    corner = window.canvas.mapTo(central, QPoint(0, 0))
    size = window.canvas.size()
    shown = _gray(exported)[
        corner.y() : corner.y() + size.height(), corner.x() : corner.x() + size.width()
    ]
    canvas = _gray(window.canvas.grab().toImage())
    assert (shown > 200).sum() > 500  # white ink on the black canvas
    assert np.abs(shown.astype(int) - canvas.astype(int)).mean() < 2
    # And the answer under it.
    answer = window.prediction.mapTo(central, QPoint(0, 0))
    said = _gray(exported)[
        answer.y() : answer.y() + window.prediction.height(),
        answer.x() : answer.x() + window.prediction.width(),
    ]
    assert np.array_equal(said, _gray(window.prediction.grab().toImage()))


def test_model_info_and_help(window, dialogs):
    window.actions["model_info"].trigger()
    window.actions["shortcuts"].trigger()
    window.actions["about"].trigger()
    info = dialogs[0][2]
    assert "421,771 parameters" in info and "Reads 99." in info and "conv2" in info
    assert "not a digit" in info  # default learned letters and doodles are not digits
    assert "Ctrl+Z" in dialogs[1][2]
    assert "MNIST" in dialogs[2][2] and "Creative Commons" in dialogs[2][2]
    assert window.actions["retrain"].isEnabled()


def test_settings_are_remembered(qtbot, settings, dialogs, tmp_path):
    first = open_window(qtbot, settings, tmp_path / "lib")
    first.pen_slider.setValue(30)
    first.model_menu.bundled_actions["classic"].trigger()
    first.resize(first.minimumSizeHint().width(), 560)  # not the first size
    size = first.size()
    first.close()
    second = MainWindow(settings=settings, library_folder=tmp_path / "lib")
    qtbot.addWidget(second)
    assert second.canvas.pen_width == 30
    assert second.viewer.model_in_use.path.name == "classic.npz"
    assert second.size() == size


def test_the_first_start_on_a_small_screen_opens_maximised_then_as_left(
    qtbot, settings, dialogs, tmp_path, monkeypatch
):
    """On a 1024x600 screen, smaller than the window is made for, the first start fills
    it; un-maximised by the user, the next start opens un-maximised."""
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QScreen

    from digitpad.gui.main_window import COMFORTABLE_SIZE
    from digitpad.gui.placement import too_small_for

    monkeypatch.setattr(QScreen, "availableGeometry", lambda screen: QRect(0, 0, 1024, 600))
    first = MainWindow(settings=settings, library_folder=tmp_path / "lib")
    qtbot.addWidget(first)
    assert too_small_for(first, COMFORTABLE_SIZE)
    first.show_at_start()
    qtbot.waitUntil(first.isMaximized, timeout=2000)
    first.close()
    again = MainWindow(settings=settings, library_folder=tmp_path / "lib")
    qtbot.addWidget(again)
    again.show_at_start()
    qtbot.waitUntil(again.isMaximized, timeout=2000)  # as it was left
    again.showNormal()  # the user's choice
    qtbot.waitUntil(lambda: not again.isMaximized(), timeout=2000)
    again.close()
    third = MainWindow(settings=settings, library_folder=tmp_path / "lib")
    qtbot.addWidget(third)
    third.show_at_start()
    qtbot.waitExposed(third)
    assert not third.isMaximized()


def test_a_long_hint_is_never_cut_mid_word_under_the_model_name(window, qtbot):
    """Picking a stage shows its panel's description as a hint: at 1024 px it ran under
    the model's name, cut mid-word."""
    from PySide6.QtGui import QFontMetrics

    window.resize(1024, 570)
    QApplication.processEvents()
    qtbot.mouseClick(window.layer_strip.buttons[1], Qt.MouseButton.LeftButton)
    bar = window.statusBar()
    shown = bar.currentMessage()
    whole = window.network_view.feature_maps.toolTip()
    assert shown
    width = QFontMetrics(bar.font()).horizontalAdvance(shown)
    name = window.model_status
    room = (name.geometry().left() if name.isVisible() else bar.width()) - 12  # its margins
    assert width <= room, (width, room, shown)
    assert shown == whole or (whole.startswith(shown.removesuffix(" …")) and shown.endswith(" …"))
    if shown != whole:
        assert bar.toolTip() == whole
        assert whole[len(shown.removesuffix(" …"))] == " "  # it ends at a whole word


def test_screenshot(qtbot, tmp_path, settings, dialogs, mnist_test):
    window = MainWindow(model_path=CLASSIC.path, settings=settings, library_folder=tmp_path / "lib")
    qtbot.addWidget(window)
    path = save_digit(mnist_test.images[0] / 255.0, tmp_path / "in.png", 100)
    assert window.open_image(path)
    out = tmp_path / "shot.png"
    assert take_screenshot(window, out)
    from PySide6.QtGui import QImage

    image = QImage(str(out))
    assert image.width() >= 800 and image.height() >= 500


def test_mnist_digits_through_the_image_path(window, qtbot, tmp_path, mnist_test):
    """A few hundred test digits, saved as files and opened onto the canvas."""
    rng = np.random.default_rng(0)
    picks = rng.choice(len(mnist_test.labels), 300, replace=False)
    correct = 0
    for number, index in enumerate(picks):
        size = int(rng.choice([28, 56, 140, 280]))
        path = save_digit(
            mnist_test.images[index] / 255.0,
            tmp_path / f"{number}.png",
            size,
            invert=bool(number % 2),
        )
        window.canvas.clear()
        assert window.open_image(path)
        window.canvas_feed.update_now()
        correct += int(np.argmax(window.viewer.probabilities) == mnist_test.labels[index])
    accuracy = correct / len(picks)
    assert accuracy >= 0.98, accuracy


def test_unsure_prediction_names_the_top_two(window):
    from digitpad.core.viewer import Verdict

    window.viewer.verdict = Verdict.of(np.array([0.02, 0, 0, 0, 0.45, 0, 0, 0.13, 0, 0.40]))
    window.viewer.input_changed.emit()
    text = window.prediction.text()
    assert "looks&nbsp;like" in text and ">4<" in text and ">9<" in text and "45%" in text


def test_a_broken_bundled_model_does_not_stop_the_app(
    qtbot, tmp_path, settings, dialogs, monkeypatch
):
    from digitpad.core import bundled

    broken = tmp_path / "models"
    broken.mkdir()
    (broken / "default.npz").write_bytes(b"garbage")
    monkeypatch.setattr(bundled.Recipe, "path", property(lambda r: broken / f"{r.name}.npz"))
    window = MainWindow(settings=settings, library_folder=tmp_path / "lib")
    qtbot.addWidget(window)
    assert window.viewer.model_in_use is None
    assert "No model" in window.prediction.text()
    draw_stroke(window.canvas, ONE[0])
    window.canvas_feed.update_now()  # drawing without a model is harmless
    assert window.viewer.probabilities is None


def test_gui_screenshot_command(tmp_path, mnist_test, capsys):
    from digitpad.cli import main

    image = save_digit(mnist_test.images[0] / 255.0, tmp_path / "seven.png", 120, invert=True)
    out = tmp_path / "shot.png"
    assert main(["gui", "--screenshot", str(out), "--image", str(image)]) == 0
    from PySide6.QtGui import QImage

    assert QImage(str(out)).width() >= 800
    # A file manager's "open with digitpad": the file as the only argument.
    assert main(["gui", str(image), "--screenshot", str(out)]) == 0
    assert main(["gui", str(CLASSIC.path), "--screenshot", str(out)]) == 0
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"nope")
    assert main(["gui", "--screenshot", str(out), "--model", str(bad)]) == 1
    assert "bad.npz" in capsys.readouterr().err
    assert main(["gui", str(tmp_path / "missing.png"), "--screenshot", str(out)]) == 1
    assert "missing.png: no such file" in capsys.readouterr().err


def test_panels_follow_a_palette_change(window, qapp):
    from PySide6.QtGui import QColor, QPalette

    light = qapp.palette()
    dark = QPalette(light)
    dark.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#e0e0e0"))
    try:
        qapp.setPalette(dark)
        qapp.processEvents()
        assert window.network_view.probabilities.backgroundBrush().color() == QColor("#1e1e1e")
        assert window.network_view.feature_maps.plot.backgroundBrush().color() == QColor("#1e1e1e")
        assert window.network_view.network_input.backgroundBrush().color() == QColor("#1e1e1e")
    finally:
        qapp.setPalette(light)
        qapp.processEvents()
    assert window.network_view.probabilities.backgroundBrush().color() == light.color(
        QPalette.ColorRole.Base
    )


def test_an_unexpected_error_is_reported_not_fatal(window, dialogs, monkeypatch, capsys):
    import sys

    from digitpad.gui.app import report_unexpected_errors

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    report_unexpected_errors(window)
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())
    assert dialogs[-1][0] == "warning" and "RuntimeError: a bug" in dialogs[-1][2]
    assert "a bug" in capsys.readouterr().err
    assert window.isVisible()


def test_a_model_name_cannot_inject_markup(window, tmp_path, dialogs):
    from digitpad.core.model_io import ModelMetadata, save_model

    path = save_model(
        tmp_path / "sneaky.npz",
        window.viewer.model_in_use.network,
        ModelMetadata(name="<img src='/etc/passwd'><b>big</b>"),
    )
    assert window.model_menu.load(path)
    window.actions["model_info"].trigger()
    text = dialogs[-1][2]
    assert "&lt;img" in text and "<img" not in text
    assert window.model_status.textFormat() == Qt.TextFormat.PlainText


def test_keyboard_shortcuts_are_grouped_by_menu_and_fit_a_small_screen(window, dialogs):
    from PySide6.QtGui import QTextDocument
    from PySide6.QtWidgets import QMessageBox

    window.actions["shortcuts"].trigger()
    text = dialogs[-1][2]
    document = QTextDocument()
    document.setHtml(text)
    lines = [line.strip() for line in document.toPlainText().splitlines() if line.strip()]
    headings = ["File", "Edit", "View", "Model", "Samples", "Help", "Teaching"]
    assert [line for line in lines if line in headings] == headings  # each once, in order

    def group_of(what):
        line = next(index for index, line in enumerate(lines) if line.startswith(what))
        return [h for h in headings if lines.index(h) < line][-1]

    assert group_of("Open Image") == "File"
    assert group_of("Undo Stroke") == "Edit" and group_of("Draw") == "Edit"
    assert group_of("Zoom In") == "View" and group_of("Retrain") == "Model"
    assert group_of("My Samples") == "Samples" and group_of("Keyboard Shortcuts") == "Help"
    assert group_of("It Read It Right") == "Teaching"
    assert group_of("Keep the drawing as that digit") == "Teaching"
    # Readable on a 1024x600 screen: the box it is shown in fits, with room to spare.
    box = QMessageBox(QMessageBox.Icon.Information, "Keyboard Shortcuts", text)
    box.adjustSize()
    assert box.width() <= 1000 and box.height() <= 560, box.size()
    box.deleteLater()


def smallest_and_width(window) -> tuple[int, int, int]:
    """The window's narrowest (its layout's minimum), its width and its lowest height,
    once the layouts have taken what just opened or closed."""
    for _ in range(3):
        QApplication.processEvents()
    smallest = window.minimumSizeHint().expandedTo(window.minimumSize())
    return smallest.width(), window.width(), smallest.height()


def follow_a_value(window, qtbot) -> None:
    """A real click on a feature map value: the follow panel opens as a dock."""
    from .test_detail_view import click_map

    click_map(window.network_view.feature_maps, 3, 8, 8)
    qtbot.waitUntil(window.detail_dock.isVisible, timeout=2000)


def test_following_a_value_on_a_small_screen_never_widens_the_window(window, qtbot, monkeypatch):
    """1024x600 less a title bar: the dock never takes room from past the screen's right
    edge (it grew the window to 1092 px, and kept it when closed); where the panels
    beside it would be too narrow it floats over the drawing; presentation mode fits too."""
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QScreen

    monkeypatch.setattr(QScreen, "availableGeometry", lambda screen: QRect(0, 0, 1024, 600))
    window.resize(1024, 570)
    qtbot.waitUntil(lambda: window.width() == 1024, timeout=2000)
    QApplication.processEvents()
    room = window.network_view.feature_maps.width()
    follow_a_value(window, qtbot)
    smallest, width, height = smallest_and_width(window)
    assert smallest <= 1024 and width <= 1024 and height <= 570, (smallest, width)
    # The focused stage kept its room: the panel took the drawing's place at the left.
    area = window.dockWidgetArea(window.detail_dock)
    assert area == Qt.DockWidgetArea.LeftDockWidgetArea and window.drawing.isHidden()
    assert window.network_view.feature_maps.width() >= 0.9 * room  # it was 0.6
    qtbot.mouseClick(window.detail_dock.detail.close_button, Qt.MouseButton.LeftButton)
    assert not window.detail_dock.isVisible() and window.drawing.isVisible()
    smallest, width, _ = smallest_and_width(window)
    assert smallest <= 1024 and width == 1024, (smallest, width)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.keyClick(window.canvas, Qt.Key.Key_F9)
    assert window.presentation.presenting
    smallest, width, height = smallest_and_width(window)
    assert smallest <= 1024 and width <= 1024 and height <= 570, (smallest, width)
    follow_a_value(window, qtbot)
    smallest, width, height = smallest_and_width(window)
    assert smallest <= 1024 and width <= 1024 and height <= 570, (smallest, width)


def test_the_follow_panel_and_the_guide_fit_a_1280_screen(window, qtbot):
    window.resize(1280, 690)
    qtbot.waitUntil(lambda: window.width() == 1280, timeout=2000)
    follow_a_value(window, qtbot)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.keyClick(window.canvas, Qt.Key.Key_F2)
    assert window.guide_dock.isVisible()
    smallest, width, height = smallest_and_width(window)
    assert smallest <= 1280 and width <= 1280 and height <= 690, (smallest, width)
    qtbot.mouseClick(window.detail_dock.detail.close_button, Qt.MouseButton.LeftButton)
    smallest, width, _ = smallest_and_width(window)
    assert smallest <= 1280 and width == 1280, (smallest, width)


def test_a_window_too_narrow_for_the_follow_panel_beside_never_widens(window, qtbot):
    """A window narrower than the panels and the dock together widened for the dock (past
    a small screen's edge); the panel takes the drawing's place instead, and the drawing
    is back when it closes, the window as wide as it was."""
    window.resize(window.minimumSizeHint().width(), 570)
    QApplication.processEvents()
    before = window.width()
    follow_a_value(window, qtbot)
    smallest, width, _ = smallest_and_width(window)
    assert width == max(before, smallest)  # no wider than the panel's own 340 px needs
    assert window.dockWidgetArea(window.detail_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert window.drawing.isHidden()
    qtbot.mouseClick(window.detail_dock.detail.close_button, Qt.MouseButton.LeftButton)
    assert smallest_and_width(window)[1] == before and window.drawing.isVisible()
    window.resize(1280, 690)  # room beside now: at the right, the drawing shown
    QApplication.processEvents()
    follow_a_value(window, qtbot)
    assert window.dockWidgetArea(window.detail_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert window.drawing.isVisible()


def test_the_follow_panel_takes_its_room_from_both_columns(window, qtbot):
    """The dock opens at its share of a small window, and the drawing's column gives way
    with the panels (it kept 40 % and left the network's panels at their narrowest)."""
    from digitpad.gui.workspace import LEFT_SHARE

    window.resize(1024, 570)
    window.actions["presentation"].trigger()  # the drawing's column can be narrow here
    follow_a_value(window, qtbot)
    qtbot.waitUntil(lambda: window.detail_dock.width() <= 0.3 * 1024 + 40, timeout=2000)
    workspace = window.workspace
    drawing = window.drawing.width()
    smallest = window.drawing.minimumSizeHint().width()
    assert drawing <= max(smallest, LEFT_SHARE * workspace.width()) + 2, drawing


def test_the_follow_panel_is_wider_for_presentation_modes_larger_type(window, qtbot):
    """At 30 % of 1280 px its tables wrapped each number over two lines at 1.5x type."""
    from digitpad.gui.main_window import DOCK_SHARE, DOCK_SHARE_MOST

    window.resize(1280, 690)
    window.actions["presentation"].trigger()
    follow_a_value(window, qtbot)
    assert smallest_and_width(window)[1] == 1280
    width = window.detail_dock.width()
    assert DOCK_SHARE * 1280 + 20 < width <= DOCK_SHARE_MOST * 1280 + 4, width


def test_zoom_in_greyed_at_its_limit_says_why_in_its_menu_entry(window, qtbot, monkeypatch):
    """A greyed menu entry shows no status tip when pointed at: its own text and tooltip
    say that larger type would not fit this screen, as the README promises."""
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QKeySequence, QScreen

    from digitpad.gui.actions import shortcut_groups

    monkeypatch.setattr(QScreen, "availableGeometry", lambda screen: QRect(0, 0, 1024, 600))
    window.resize(1024, 570)
    zoom_in = window.actions["zoom_in"]
    assert zoom_in.text() == "Zoom &In"
    for _ in range(10):
        QTest.keySequence(window, QKeySequence("Ctrl++"))
        QApplication.processEvents()
    assert not zoom_in.isEnabled()
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    shown = next(a for a in view_menu.actions() if a is zoom_in)
    assert "larger type would not fit this screen" in shown.text()
    assert "would not fit this screen" in zoom_in.toolTip()
    # Help > Keyboard Shortcuts names the command, not why it is greyed.
    rows = dict(dict(shortcut_groups(window.actions))["View"])
    assert "Zoom In" in rows
    window.actions["zoom_out"].trigger()
    assert zoom_in.isEnabled() and zoom_in.text() == "Zoom &In"
    assert zoom_in.toolTip() == "Larger type and panels"


def press_key(window, qtbot, key) -> None:
    QTest.keyClick(window, key)
    QApplication.processEvents()
    qtbot.wait(50)


def test_leaving_full_screen_returns_a_maximised_window_maximised(window, qtbot):
    window.showMaximized()
    qtbot.waitUntil(window.isMaximized, timeout=3000)
    press_key(window, qtbot, Qt.Key.Key_F11)
    qtbot.waitUntil(window.isFullScreen, timeout=3000)
    press_key(window, qtbot, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: not window.isFullScreen(), timeout=3000)
    assert window.isMaximized() and not window.actions["full_screen"].isChecked()


def test_full_screen_then_presentation_mode_and_back_leaves_the_window_as_it_was(window, qtbot):
    """F9 and F11 on, F11 then F9 off, with the type grown meanwhile: the window is back
    at its place and size, not full screen while View > Full Screen is unticked."""
    window.showNormal()
    window.setGeometry(60, 80, 1000, 640)
    qtbot.wait(50)
    before = window.geometry()
    press_key(window, qtbot, Qt.Key.Key_F9)
    press_key(window, qtbot, Qt.Key.Key_F11)
    qtbot.waitUntil(window.isFullScreen, timeout=3000)
    window.actions["zoom_in"].trigger()  # resizes the window it finds not maximised
    press_key(window, qtbot, Qt.Key.Key_F11)
    press_key(window, qtbot, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: not window.isFullScreen(), timeout=3000)
    assert not window.actions["full_screen"].isChecked()
    assert not window.actions["presentation"].isChecked()
    assert window.geometry() == before


def shortcut_keys(widget) -> set[str]:
    from PySide6.QtGui import QKeySequence, QShortcut

    return {
        shortcut.key().toString(QKeySequence.SequenceFormat.NativeText)
        for shortcut in widget.findChildren(QShortcut)
    }


def test_keyboard_shortcuts_list_the_follow_panels_and_watch_a_convolutions_keys(window, dialogs):
    """The help lists the keys the follow panel and Watch a Convolution answer to, read
    from the shortcuts those panels really make: none left out, none invented."""
    from PySide6.QtGui import QTextDocument

    from digitpad.gui.actions import PANEL_KEYS

    window.actions["shortcuts"].trigger()
    document = QTextDocument()
    document.setHtml(dialogs[-1][2])
    text = document.toPlainText()
    assert "Follow a value" in text and "Watch a Convolution" in text
    for key in ("Alt+Right", "Alt+Left", "Space", "Home", "End"):
        assert key in text, key
    listed = {heading: {k for _, keys in rows for k in keys} for heading, rows in PANEL_KEYS}
    assert listed["Follow a value"] == shortcut_keys(window.detail_dock)
    view = window.convolution.open()
    assert listed["Watch a Convolution"] == shortcut_keys(view)
    view.close()


def status_after(window, qtbot, act) -> str:
    shown = []
    window.statusBar().messageChanged.connect(shown.append)
    act()
    QApplication.processEvents()
    window.statusBar().messageChanged.disconnect(shown.append)
    return " ".join(text for text in shown if text)


def test_every_stage_of_the_strip_says_what_it_is_in_the_status_bar(window, qtbot):
    for stroke in SEVEN:
        draw_stroke(window.canvas, stroke)
    window.canvas_feed.update_now()
    for button in window.layer_strip.buttons:
        said = status_after(
            window, qtbot, lambda b=button: qtbot.mouseClick(b, Qt.MouseButton.LeftButton)
        )
        assert said.strip(), button.text()
    dense = next(b for b in window.layer_strip.buttons if b.text().startswith("dense1"))
    said = status_after(window, qtbot, lambda: qtbot.mouseClick(dense, Qt.MouseButton.LeftButton))
    assert "128 units" in said


def test_enter_after_a_strip_click_says_how_to_keep_the_drawing(window, qtbot):
    """Enter goes to the stage button just clicked, not to "It read it right": the status
    bar says so, and how to keep the drawing."""
    for stroke in SEVEN:
        draw_stroke(window.canvas, stroke)
    window.canvas_feed.update_now()
    button = window.layer_strip.buttons[1]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert QApplication.focusWidget() is button
    kept = window.teacher.store.count()
    QTest.keyClick(button, Qt.Key.Key_Return)
    # The last word in the status bar, after what the stage pressed said.
    qtbot.waitUntil(
        lambda: (
            "Enter keeps the drawing when the canvas has focus"
            in window.statusBar().currentMessage()
        ),
        timeout=2000,
    )
    assert "“conv1 + relu”" in window.statusBar().currentMessage()
    assert not window.canvas.is_empty()  # nothing was kept (a keep clears the canvas)
    assert window.teacher.store.count() == kept
