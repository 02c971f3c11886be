"""Each file dialog starts in the folder last used for its kind of file, remembered between
runs; at first, or when that folder is gone, in Pictures (images) or Documents."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from digitpad.gui.file_dialogs import Files, folder
from digitpad.gui.settings import AppSettings

from .conftest import draw_stroke, line, open_window


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A home of its own, with the usual Pictures and Documents (and no user-dirs file
    naming others)."""
    home = tmp_path / "home"
    for standard in ("Pictures", "Documents"):
        (home / standard).mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return home


@pytest.fixture
def file_dialogs(monkeypatch):
    """QFileDialog's static functions, recording the folder each was told to start in and
    answering with the next of ``answers`` (cancelled when there are none)."""
    recorded = []
    answers: list[str] = []

    def chosen(directory):
        recorded.append(directory)
        return answers.pop(0) if answers else ""

    def get_file_name(parent, caption="", directory="", filters="", *args, **kwargs):
        return chosen(directory), filters.split(";;")[0]

    def get_directory(parent, caption="", directory="", *args, **kwargs):
        return chosen(directory)

    for name in ("getOpenFileName", "getSaveFileName"):
        monkeypatch.setattr(QFileDialog, name, staticmethod(get_file_name))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(get_directory))
    return recorded, answers


def test_file_dialogs_start_where_that_kind_of_file_was_last_used(
    qtbot, settings, dialogs, library_folder, home, tmp_path, file_dialogs
):
    recorded, answers = file_dialogs
    window = open_window(qtbot, settings, library_folder)
    draw_stroke(window.canvas, line((140, 40), (140, 240)))
    window._run_update()
    # Images start in Pictures, everything else in Documents, until one is used.
    window.actions["open_image"].trigger()
    window.actions["open_model"].trigger()
    assert recorded == [str(home / "Pictures"), str(home / "Documents")]
    shots = tmp_path / "shots"
    shots.mkdir()
    answers.append(str(shots / "one.png"))
    window.actions["save_drawing"].trigger()
    assert recorded[-1] == str(home / "Pictures" / "digit.png")  # the name offered, there
    assert (shots / "one.png").is_file()
    # Images now start where the drawing went; models still in Documents.
    window.actions["open_image"].trigger()
    window.actions["export_panels"].trigger()
    window.actions["open_model"].trigger()
    assert recorded[-3:] == [str(shots), str(shots / "panels.png"), str(home / "Documents")]
    models = tmp_path / "models"
    models.mkdir()
    answers.append(str(models / "copy.npz"))
    window.actions["export_model"].trigger()
    assert (models / "copy.npz").is_file()
    window.actions["open_model"].trigger()
    assert recorded[-1] == str(models)
    # My Samples' export and import are a kind of their own.
    window.actions["samples_browser"].trigger()
    qtbot.mouseClick(window.samples_dialog.import_button, Qt.MouseButton.LeftButton)
    assert recorded[-1] == str(home / "Documents")
    # Data-set folders too (MNIST in Retrain, pen digits in Evaluate), from any widget of
    # the window, which holds the settings.
    data = tmp_path / "mnist"
    data.mkdir()
    answers.append(str(data))
    assert folder(window.network_view, Files.DATA, "Folder") == str(data)
    folder(window.network_view, Files.DATA, "Folder")
    assert recorded[-2:] == [str(home / "Documents"), str(data)]
    # Remembered between runs, in the app's settings.
    assert AppSettings(settings).last_folder("images") == shots
    # A folder gone since: the standard one again.
    (shots / "one.png").unlink()
    shots.rmdir()
    window.actions["open_image"].trigger()
    assert recorded[-1] == str(home / "Pictures")
    assert not dialogs


@pytest.mark.parametrize("value", ["relative/folder", "/no/such/folder", "x" * 5000, 42])
def test_a_remembered_folder_that_is_no_folder_is_passed_over(settings, home, value):
    from digitpad.gui.file_dialogs import start_folder

    settings.setValue("folders/images", value)
    assert AppSettings(settings).last_folder("images") is None
    assert start_folder(AppSettings(settings), Files.IMAGES) == home / "Pictures"
    (home / "Pictures").rmdir()  # no Pictures folder: Documents, then home
    assert start_folder(AppSettings(settings), Files.IMAGES) == home / "Documents"
    (home / "Documents").rmdir()
    assert start_folder(AppSettings(settings), Files.MODELS) == home
