"""Model > Retrain…: the real dialog driven with clicks, on real MNIST, in a real thread."""

from __future__ import annotations

import ast
import gzip
import shutil

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from digitpad.core.data import FILES
from digitpad.core.model_io import load_model

from ..conftest import ROOT
from ..httpserver import serve_folder
from .conftest import draw_stroke, line

TRAIN_TIMEOUT_MS = 120_000


def open_dialog(window, qtbot):
    window.actions["retrain"].trigger()
    dialog = window.model_menu.train_dialog
    qtbot.waitExposed(dialog)
    return dialog


def small_run(dialog, epochs=1):
    dialog.architecture.setCurrentText("classic")
    dialog.images.setCurrentIndex(0)  # 1,000 images
    dialog.epochs.setValue(epochs)
    dialog.augment.setChecked(False)


def click(qtbot, button):
    assert button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def wait_until_idle(qtbot, dialog):
    qtbot.waitUntil(lambda: dialog.training is None, timeout=TRAIN_TIMEOUT_MS)


@pytest.fixture
def with_mnist(monkeypatch, mnist_dir, tmp_path):
    monkeypatch.setenv("DIGITPAD_MNIST_DIR", str(mnist_dir))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


@pytest.fixture
def without_mnist(monkeypatch, tmp_path):
    monkeypatch.delenv("DIGITPAD_MNIST_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "digitpad" / "mnist"


def test_retrain_is_enabled_with_f5(window):
    assert window.actions["retrain"].isEnabled()
    assert window.actions["retrain"].shortcut().toString() == "F5"


def test_a_small_run_end_to_end(window, qtbot, with_mnist, library_folder):
    dialog = open_dialog(window, qtbot)
    small_run(dialog, epochs=2)
    dialog.name.setText("tiny classic")
    before = window.model
    click(qtbot, dialog.train_button)
    assert not dialog.train_button.isEnabled() and dialog.cancel_button.isEnabled()
    wait_until_idle(qtbot, dialog)
    assert dialog.progress.value() == dialog.progress.maximum() > 0
    assert len(dialog.loss_y) > 3 and all(np.isfinite(dialog.loss_y))
    assert dialog.val_x == [1, 2]  # validation accuracy after each epoch
    assert dialog.filters_preview.maps.shape == (8, 3, 3)
    assert dialog.results.isVisible()
    result = dialog.result
    assert result.evaluation.n == 10000 and result.evaluation.accuracy > 0.5  # chance: 0.1
    assert result.current_evaluation.accuracy == pytest.approx(
        before.metadata.metrics["test_accuracy"]
    )
    assert "New model" in dialog.summary.text() and "Current model" in dialog.summary.text()
    assert window.model is before  # nothing changes until the user chooses
    click(qtbot, dialog.use_button)
    saved = list(library_folder.glob("*.npz"))
    assert [p.name for p in saved] == ["tiny-classic.npz"]
    assert window.model.path == saved[0]
    assert window.model.metadata.name == "tiny classic"
    assert window.model.metadata.metrics["test_accuracy"] == result.evaluation.accuracy
    entry = window.model_menu.library_actions[saved[0]]
    assert entry.isChecked() and entry.text().startswith("tiny classic")
    # The new model is the one predicting now.
    with qtbot.waitSignal(window.prediction_updated):
        draw_stroke(window.canvas, line((140, 40), (140, 240)))
    expected = load_model(saved[0]).network.predict(window.viewer.input)[0]
    np.testing.assert_allclose(window.viewer.probabilities, expected, rtol=1e-5)


def test_discard_keeps_nothing(window, qtbot, with_mnist, library_folder):
    dialog = open_dialog(window, qtbot)
    small_run(dialog)
    click(qtbot, dialog.train_button)
    wait_until_idle(qtbot, dialog)
    click(qtbot, dialog.discard_button)
    assert not library_folder.exists() or not list(library_folder.iterdir())
    assert window.model.path.name == "default.npz"


def test_cancel_mid_run_changes_nothing(window, qtbot, with_mnist, library_folder):
    dialog = open_dialog(window, qtbot)
    dialog.architecture.setCurrentText("default")
    dialog.images.setCurrentIndex(2)  # all 60,000: far longer than the test waits
    dialog.epochs.setValue(5)
    before = window.model
    click(qtbot, dialog.train_button)
    qtbot.waitUntil(lambda: dialog.progress.value() > 0, timeout=TRAIN_TIMEOUT_MS)
    click(qtbot, dialog.cancel_button)
    wait_until_idle(qtbot, dialog)
    assert "Cancelled" in dialog.status.text()
    assert dialog.result is None and not dialog.results.isVisible()
    assert window.model is before
    assert not library_folder.exists() or not list(library_folder.iterdir())
    assert dialog.train_button.isEnabled()


def start_long_run(window, qtbot):
    """Start training the default network for longer than any test waits."""
    dialog = open_dialog(window, qtbot)
    dialog.architecture.setCurrentText("default")
    dialog.epochs.setValue(3)
    click(qtbot, dialog.train_button)
    qtbot.waitUntil(lambda: dialog.progress.value() > 0, timeout=TRAIN_TIMEOUT_MS)
    return dialog


def test_window_stays_live_while_training(window, qtbot, with_mnist):
    dialog = start_long_run(window, qtbot)
    with qtbot.waitSignal(window.prediction_updated, timeout=5000) as blocker:
        draw_stroke(window.canvas, line((140, 40), (140, 240)))
    assert blocker.args[0] == 1  # the current model keeps predicting
    assert dialog.training is not None and dialog.training.is_running()
    click(qtbot, dialog.cancel_button)
    wait_until_idle(qtbot, dialog)


def test_closing_the_window_stops_and_waits_for_training(window, qtbot, with_mnist):
    dialog = start_long_run(window, qtbot)
    thread = dialog.training.thread
    window.close()
    assert thread.isFinished()


def test_custom_architecture_shapes_and_refusals(window, qtbot, with_mnist):
    dialog = open_dialog(window, qtbot)
    dialog.architecture.setCurrentText("custom")
    assert dialog.custom_box.isVisible()
    dialog.block_count.setValue(1)
    block = dialog.blocks[0]
    block.filters.setValue(4)
    block.kernel.setValue(5)
    block.stride.setCurrentText("2")
    block.padding.setCurrentText("same")
    block.activation.setCurrentText("tanh")
    block.pool.setCurrentText("average")
    dialog.dense.setChecked(False)
    text = dialog.shapes.text()
    # (28 + 2*2 - 5) / 2 + 1 = 14, then 2x2 average pooling: 7
    assert "conv1 14×14×4" in text and "avgpool1 7×7×4" in text
    assert f"{4 * 25 + 4 + 196 * 10 + 10:,} parameters" in text
    assert dialog.train_button.isEnabled()
    dialog.block_count.setValue(3)
    for editor in dialog.blocks:
        editor.kernel.setValue(7)
        editor.stride.setCurrentText("2")
        editor.padding.setCurrentText("valid")
    assert "below 1x1" in dialog.shapes.text() and "layer" in dialog.shapes.text()
    assert not dialog.train_button.isEnabled()


def test_a_custom_network_trains(window, qtbot, with_mnist, library_folder):
    dialog = open_dialog(window, qtbot)
    dialog.architecture.setCurrentText("custom")
    dialog.block_count.setValue(1)
    dialog.global_pool.setChecked(True)
    dialog.dense.setChecked(False)
    dialog.images.setCurrentIndex(0)
    click(qtbot, dialog.train_button)
    wait_until_idle(qtbot, dialog)
    assert dialog.result is not None
    assert [layer["type"] for layer in dialog.result.network.spec["layers"]] == [
        "conv2d",
        "relu",
        "maxpool2d",
        "global_avgpool",
        "dense",
    ]


def test_diverging_run_says_to_lower_the_rate(window, qtbot, with_mnist):
    dialog = open_dialog(window, qtbot)
    small_run(dialog)
    dialog.optimizer.setCurrentText("sgd")
    dialog.learning_rate.setValue(1.0)
    dialog.architecture.setCurrentText("custom")
    dialog.block_count.setValue(1)
    dialog.blocks[0].activation.setCurrentText("none")
    dialog.dense.setChecked(True)
    dialog.dense_units.setValue(256)
    click(qtbot, dialog.train_button)
    wait_until_idle(qtbot, dialog)
    assert "diverged" in dialog.status.text() and "lower learning rate" in dialog.status.text()
    assert dialog.result is None


# -- the data ------------------------------------------------------------------------------


def test_missing_data_then_download(window, qtbot, without_mnist, mnist_dir):
    dialog = open_dialog(window, qtbot)
    assert "not found" in dialog.data_status.text()
    assert not dialog.train_button.isEnabled()
    with serve_folder(mnist_dir) as url:
        dialog.mirrors = (url,)
        click(qtbot, dialog.download_button)
        qtbot.waitUntil(lambda: dialog.download is None, timeout=60_000)
    assert f"found in {without_mnist}" in dialog.data_status.text()
    assert dialog.train_button.isEnabled()
    assert sorted(p.name for p in without_mnist.iterdir()) == sorted(
        f"{stem}.gz" for stem in FILES.values()
    )


def test_corrupted_download_is_refused(window, qtbot, without_mnist, tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for stem in FILES.values():
        (mirror / f"{stem}.gz").write_bytes(gzip.compress(b"tampered " * 50))
    dialog = open_dialog(window, qtbot)
    with serve_folder(mirror) as url:
        dialog.mirrors = (url,)
        click(qtbot, dialog.download_button)
        qtbot.waitUntil(lambda: dialog.download is None, timeout=60_000)
    assert "Download failed" in dialog.data_status.text()
    assert "SHA-256" in dialog.data_status.text()
    assert not dialog.train_button.isEnabled()
    assert not without_mnist.exists() or not list(without_mnist.glob("*.gz"))


def test_offline_download_fails_with_a_message(window, qtbot, without_mnist):
    from ..httpserver import closed_port_url

    dialog = open_dialog(window, qtbot)
    dialog.mirrors = (closed_port_url(),)
    click(qtbot, dialog.download_button)
    qtbot.waitUntil(lambda: dialog.download is None, timeout=60_000)
    text = dialog.data_status.text()
    assert "Download failed" in text and "offline" in text and "--data DIR" in text
    assert dialog.download_button.isEnabled()  # the user can try again


def test_choose_folder_is_remembered(
    window, qtbot, without_mnist, mnist_dir, tmp_path, monkeypatch, settings
):
    copy = tmp_path / "my-mnist"
    copy.mkdir()
    for stem in FILES.values():
        shutil.copy(mnist_dir / f"{stem}.gz", copy)
    empty = tmp_path / "empty"
    empty.mkdir()
    dialog = open_dialog(window, qtbot)
    monkeypatch.setattr(
        QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(empty))
    )
    click(qtbot, dialog.folder_button)
    assert "does not hold" in dialog.data_status.text()
    assert not dialog.train_button.isEnabled()
    monkeypatch.setattr(
        QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(copy))
    )
    click(qtbot, dialog.folder_button)
    assert f"found in {copy}" in dialog.data_status.text()
    assert settings.value("data/folder") == str(copy)


def test_the_worker_never_touches_widgets():
    source = (ROOT / "digitpad" / "gui" / "train_worker.py").read_text()
    modules = {
        node.module
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert not any("QtWidgets" in m or "QtGui" in m or "pyqtgraph" in m for m in modules)
    assert "digitpad.gui.panels" not in modules and "digitpad.gui.main_window" not in modules


# -- the model library in the window ----------------------------------------------------------


def test_library_models_in_the_menu(qtbot, settings, dialogs, library_folder, monkeypatch):
    from digitpad.core.bundled import CLASSIC
    from digitpad.core.library import Library
    from digitpad.core.model_io import ModelMetadata
    from digitpad.core.network import Network

    from .conftest import open_window

    library = Library(library_folder)
    good = library.add(
        Network(CLASSIC.spec()), ModelMetadata(name="mine", metrics={"test_accuracy": 0.5})
    )
    (library_folder / "broken.npz").write_bytes(b"not a model")
    (library_folder / ".mine.npz.123.tmp").write_bytes(b"leftover")
    window = open_window(qtbot, settings, library_folder)
    assert not (library_folder / ".mine.npz.123.tmp").exists()  # cleaned on start
    texts = {a.text(): a for a in window.model_menu.menu.actions()}
    assert "mine (50.00%)" in texts
    broken = texts["broken.npz (broken)"]
    assert not broken.isEnabled() and "broken.npz" in broken.toolTip()
    texts["mine (50.00%)"].trigger()
    assert window.model.path == good
    # Rename, then export, then delete (falls back to the bundled default).
    from PySide6.QtWidgets import QInputDialog

    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("renamed", True)))
    window.actions["rename_model"].trigger()
    assert window.model.metadata.name == "renamed"
    assert window.model.path.name == "renamed.npz"
    target = library_folder.parent / "exported.npz"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), ""))
    )
    window.actions["export_model"].trigger()
    assert load_model(target).metadata.name == "renamed"
    monkeypatch.setattr(
        QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Yes)
    )
    window.actions["delete_model"].trigger()
    assert not (library_folder / "renamed.npz").exists()
    assert window.model.path.name == "default.npz"
    assert not window.actions["delete_model"].isEnabled()  # bundled models cannot be deleted


def test_revert_to_bundled_default(window):
    window.model_menu.bundled_actions["classic"].trigger()
    window.actions["revert"].trigger()
    assert window.model.path.name == "default.npz"


def test_dialog_plots_follow_a_palette_change(window, qtbot, qapp, with_mnist):
    from PySide6.QtGui import QColor, QPalette

    dialog = open_dialog(window, qtbot)
    light = qapp.palette()
    dark = QPalette(light)
    dark.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
    try:
        qapp.setPalette(dark)
        qapp.processEvents()
        for plot in (dialog.loss_plot, dialog.per_class, dialog.confusion_new[0]):
            assert plot.backgroundBrush().color() == QColor("#1e1e1e")
    finally:
        qapp.setPalette(light)
        qapp.processEvents()
