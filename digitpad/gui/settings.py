"""Everything digitpad remembers between runs, read and written here and nowhere else.

Values come back checked: a settings file edited by hand or left by another version
gives defaults for what it holds wrongly, never an error.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from digitpad.gui.canvas import MAX_PEN_WIDTH, MIN_PEN_WIDTH

GEOMETRY = "window/geometry"
PEN_WIDTH = "canvas/pen_width"
MODEL = "model/path"  # a bundled model's name, or a model file's path
DATA_FOLDER = "data/folder"
ZOOM = "view/zoom"
PRESENTATION = "view/presentation"
FIRST_DRAWING = "hints/first_drawing"  # "pending" until the first drawing, then "done"
LAST_FOLDER = "folders/{}"  # the folder a file dialog last used, by kind of file


class AppSettings:
    """A typed view of one QSettings store (the user's, or a file given by tests)."""

    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store if store is not None else QSettings()

    def _text(self, key: str) -> str | None:
        value = self.store.value(key)
        return value if isinstance(value, str) and value and "\0" not in value else None

    # -- reading -------------------------------------------------------------------------

    def geometry(self) -> QByteArray | None:
        value = self.store.value(GEOMETRY)
        return value if isinstance(value, QByteArray) else None

    def pen_width(self) -> int | None:
        value = self.store.value(PEN_WIDTH)
        if isinstance(value, str):
            try:
                value = int(value) if len(value) < 6 else None
            except ValueError:  # "wide", or "²", which isdigit() would have accepted
                return None
        if not isinstance(value, int) or isinstance(value, bool):
            return None
        return value if MIN_PEN_WIDTH <= value <= MAX_PEN_WIDTH else None

    def zoom(self) -> float | None:
        """View > Zoom's factor, if a sane one was saved."""
        value = self.store.value(ZOOM)
        try:
            zoom = float(value) if isinstance(value, (str, int, float)) else None
        except ValueError:
            return None
        return zoom if zoom is not None and 0.5 <= zoom <= 3.0 else None

    def presentation(self) -> bool:
        return self.store.value(PRESENTATION) in ("true", True)

    def first_drawing_pending(self) -> bool:
        """digitpad has never run here, or its first start's hint awaits a first drawing
        (an earlier version left settings and no hint: its user has drawn)."""
        value = self.store.value(FIRST_DRAWING)
        return value == "pending" if value is not None else not self.store.allKeys()

    def model(self) -> str | None:
        return self._text(MODEL)

    def data_folder(self) -> Path | None:
        text = self._text(DATA_FOLDER)
        return Path(text) if text else None

    def last_folder(self, kind: str) -> Path | None:
        """The folder last used for ``kind`` of file ('images', 'models'...), if it
        still is one."""
        text = self._text(LAST_FOLDER.format(kind))
        if text is None:
            return None
        folder = Path(text)
        try:
            return folder if folder.is_absolute() and folder.is_dir() else None
        except OSError:  # a path the system refuses to look at (too long, say)
            return None

    # -- writing -------------------------------------------------------------------------

    def save_window(self, geometry: QByteArray, pen_width: int) -> None:
        self.store.setValue(GEOMETRY, geometry)
        self.store.setValue(PEN_WIDTH, str(pen_width))
        self.store.sync()

    def save_view(self, zoom: float, presentation: bool) -> None:
        self.store.setValue(ZOOM, f"{zoom:g}")
        self.store.setValue(PRESENTATION, "true" if presentation else "false")
        self.store.sync()

    def save_first_drawing(self, done: bool) -> None:
        self.store.setValue(FIRST_DRAWING, "done" if done else "pending")
        self.store.sync()

    def save_model(self, value: str) -> None:
        """A bundled model's name, or an absolute path (a relative one means nothing
        when digitpad next starts from another folder)."""
        self.store.setValue(MODEL, value)

    def save_data_folder(self, folder: Path) -> None:
        self.store.setValue(DATA_FOLDER, str(folder))

    def save_last_folder(self, kind: str, folder: Path) -> None:
        self.store.setValue(LAST_FOLDER.format(kind), str(folder.absolute()))
