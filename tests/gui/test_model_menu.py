"""The Model menu, chosen from with real clicks: what it hands Evaluate and Retrain while a
training run is shown, and deleting a model."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from digitpad.core.bundled import CLASSIC, DEFAULT
from digitpad.core.library import Library
from digitpad.core.model_io import ModelMetadata, load_model
from digitpad.core.network import Network

from .conftest import draw_stroke, open_window
from .handwriting import DIGITS

TRAIN_TIMEOUT_MS = 120_000


def choose(qtbot, window, menu_title: str, action_name: str) -> None:
    """Click the menu's title in the menu bar, then the action in the menu that opens."""
    bar = window.menuBar()
    title = next(a for a in bar.actions() if a.text().replace("&", "") == menu_title)
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.actionGeometry(title).center())
    menu = title.menu()
    qtbot.waitUntil(menu.isVisible, timeout=5000)
    action = window.actions[action_name]
    assert action.isEnabled(), action_name
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())
    qtbot.waitUntil(lambda: not menu.isVisible(), timeout=5000)


def same_weights(network: Network, other: Network) -> bool:
    return network.spec == other.spec and all(
        np.array_equal(a.params[name], b.params[name])
        for a, b in zip(network.layers, other.layers, strict=True)
        for name in a.params
    )


def test_evaluate_and_retrain_get_the_model_in_use_while_a_run_is_shown(
    window, qtbot, monkeypatch, mnist_dir, tmp_path
):
    """Reproduced fault: Evaluate opened while a Retrain run was shown evaluated the network
    being trained (5 % for ``default``, which reads 99.38 %) as "the model in use"."""
    monkeypatch.setenv("DIGITPAD_MNIST_DIR", str(mnist_dir))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    in_use = load_model(DEFAULT.path).network  # what the window was started with
    for digit in (7, 1):  # two samples of one's own, to evaluate on
        for stroke in DIGITS[digit]:
            draw_stroke(window.canvas, stroke)
        window.canvas_feed.update_now()
        QTest.keyClick(window.canvas, Qt.Key.Key_0 + digit)
    choose(qtbot, window, "Model", "retrain")
    retrain = window.model_menu.train_dialog
    qtbot.waitExposed(retrain)
    retrain.network_box.architecture.setCurrentText("classic")
    retrain.form.images.setCurrentIndex(0)  # 1,000 images
    retrain.form.epochs.setValue(50)  # far longer than the test: cancelled at its end
    retrain.form.augment.setChecked(False)
    assert retrain.follow.isChecked()  # "Show it learning in the main window", the default
    qtbot.mouseClick(retrain.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "being trained" in window.model_status.text(), timeout=TRAIN_TIMEOUT_MS)
    assert window.network_view.filters.maps.shape[0] == 8  # the panels show classic's run
    choose(qtbot, window, "Model", "evaluate")
    evaluate = window.model_menu.evaluate_dialog
    qtbot.waitExposed(evaluate)
    assert same_weights(evaluate.network(), in_use)  # not the run's network
    evaluate.source.setCurrentIndex(evaluate.source.findData("samples"))
    qtbot.mouseClick(evaluate.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: evaluate.running is None, timeout=TRAIN_TIMEOUT_MS)
    result = evaluate.result
    assert result is not None, evaluate.status.text()
    assert sorted(result.labels.tolist()) == [1, 7]
    np.testing.assert_allclose(result.probabilities, in_use.predict(result.images), atol=1e-6)
    assert window.viewer.training_shown  # and the run was shown all the while
    assert same_weights(retrain.model_in_use().network, in_use)  # its comparison and source
    assert retrain.model_in_use().metadata.name == "default"
    qtbot.mouseClick(retrain.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: retrain.training is None, timeout=TRAIN_TIMEOUT_MS)
    assert "being trained" not in window.model_status.text()


def test_model_info_and_teaching_name_the_model_in_use_or_the_run(window, qtbot, dialogs):
    """Model Info speaks of the model in use; a sample kept while a run is shown records
    the network that answered it: the one being trained, which has no file."""
    snapshot = Network(CLASSIC.spec(), rng=np.random.default_rng(0))
    window.viewer.show_training(snapshot)  # as the Retrain dialog does twice a second
    choose(qtbot, window, "Model", "model_info")
    assert dialogs[-1][:2] == ("information", "Model Info")
    assert "default" in dialogs[-1][2] and window.viewer.model_in_use.metadata.name == "default"
    assert window.teacher._model_identity() == ("the network being trained", "")
    window.viewer.show_training(None)
    name, sha256 = window.teacher._model_identity()
    assert name == "default" and len(sha256) == 64


# -- deleting a model ----------------------------------------------------------------------


@pytest.fixture
def own_model(library_folder):
    library = Library(library_folder)
    return library.add(Network(CLASSIC.spec()), ModelMetadata(name="my sevens"))


def test_deleting_the_model_in_use_asks_with_no_as_default_and_says_what_follows(
    qtbot, settings, dialogs, library_folder, own_model, monkeypatch
):
    window = open_window(qtbot, settings, library_folder, model=None)
    window.model_menu.rebuild()
    assert window.model_menu.load(own_model)
    asked = []

    def question(parent, title, text, buttons, default_button):
        asked.append((title, text, buttons, default_button))
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    choose(qtbot, window, "Model", "delete_model")
    title, text, buttons, default_button = asked[-1]
    assert title == "Delete model"
    assert default_button == QMessageBox.StandardButton.No
    assert buttons == QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
    assert "my sevens" in text
    assert "the window will switch to the bundled default model" in text
    assert own_model.exists() and window.viewer.model_in_use.path == own_model  # No: kept

    monkeypatch.setattr(
        QMessageBox, "question", staticmethod(lambda *a: QMessageBox.StandardButton.Yes)
    )
    choose(qtbot, window, "Model", "delete_model")
    assert not own_model.exists()
    assert window.viewer.model_in_use.path == DEFAULT.path
    message = window.statusBar().currentMessage()
    assert "Deleted my sevens" in message and "bundled default model" in message


def test_escape_or_enter_in_the_real_delete_question_keeps_the_model(
    qtbot, settings, library_folder, own_model
):
    """No monkeypatched box: the real question, answered with the keyboard."""
    window = open_window(qtbot, settings, library_folder, model=None)
    window.model_menu.rebuild()
    assert window.model_menu.load(own_model)
    seen = []

    def answer(key: Qt.Key) -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):  # not up yet
            QTimer.singleShot(20, lambda: answer(key))
            return
        seen.append(box.button(QMessageBox.StandardButton.No) is box.defaultButton())
        QTest.keyClick(box, key)

    for key in (Qt.Key.Key_Escape, Qt.Key.Key_Return):
        QTimer.singleShot(0, lambda key=key: answer(key))
        window.actions["delete_model"].trigger()  # the modal box runs its own loop
        assert own_model.exists() and window.viewer.model_in_use.path == own_model
    assert seen == [True, True]
