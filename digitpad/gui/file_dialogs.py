"""Every file dialog of the app: each starts in the folder last used for its kind of file.

The folder is remembered in the app's settings (``AppSettings.last_folder``) for images,
models, sample exports and data sets apart; when nothing was used yet, or that folder is
gone, a dialog starts in the user's Pictures (images) or Documents folder, else home.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QFileDialog, QWidget

from digitpad.gui.settings import AppSettings

Location = QStandardPaths.StandardLocation


class Files(Enum):
    """A kind of file, named as settings remember it, and where its dialogs start at first."""

    IMAGES = ("images", Location.PicturesLocation)
    MODELS = ("models", Location.DocumentsLocation)
    SAMPLES = ("samples", Location.DocumentsLocation)
    DATA = ("data", Location.DocumentsLocation)  # data-set folders (MNIST, pen digits)

    def __init__(self, key: str, first: Location) -> None:
        self.key, self.first = key, first


def settings_of(widget: QWidget | None) -> AppSettings:
    """The settings of the window a dialog opens over: the first of ``widget`` and its
    parents holding them as ``settings`` (the main window, the Retrain and Evaluate
    dialogs); the user's own when none does."""
    while widget is not None:
        settings = getattr(widget, "settings", None)
        if isinstance(settings, AppSettings):
            return settings
        widget = widget.parentWidget()
    return AppSettings()


def start_folder(settings: AppSettings, kind: Files) -> Path:
    """The folder last used for ``kind``, else the standard one for it, else home."""
    remembered = settings.last_folder(kind.key)
    if remembered is not None:
        return remembered
    for location in (kind.first, Location.DocumentsLocation):
        folder = QStandardPaths.writableLocation(location)
        if folder and Path(folder).is_dir():
            return Path(folder)
    return Path.home()


def open_file(parent: QWidget, kind: Files, caption: str, filters: str) -> tuple[str, str]:
    """QFileDialog.getOpenFileName, started where ``kind`` was last used: (path or "",
    the filter chosen)."""
    settings = settings_of(parent)
    path, chosen = QFileDialog.getOpenFileName(
        parent, caption, str(start_folder(settings, kind)), filters
    )
    if path:
        settings.save_last_folder(kind.key, Path(path).parent)
    return path, chosen


def save_file(
    parent: QWidget, kind: Files, caption: str, name: str, filters: str
) -> tuple[str, str]:
    """QFileDialog.getSaveFileName offering ``name`` in the folder ``kind`` was last used
    in: (path or "", the filter chosen)."""
    settings = settings_of(parent)
    path, chosen = QFileDialog.getSaveFileName(
        parent, caption, str(start_folder(settings, kind) / name), filters
    )
    if path:
        settings.save_last_folder(kind.key, Path(path).parent)
    return path, chosen


def folder(parent: QWidget, kind: Files, caption: str) -> str:
    """QFileDialog.getExistingDirectory, started in the folder last chosen for ``kind``:
    the folder, or ""."""
    settings = settings_of(parent)
    chosen = QFileDialog.getExistingDirectory(parent, caption, str(start_folder(settings, kind)))
    if chosen:
        settings.save_last_folder(kind.key, Path(chosen))
    return chosen
