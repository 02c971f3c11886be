"""File > Open Image, Save Drawing and Export Panels, and files dropped on the window."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QImage, QPainter
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

from digitpad.core.preprocess import to_ink, to_mnist
from digitpad.gui.actions import connect_actions
from digitpad.gui.canvas import DrawingCanvas
from digitpad.gui.file_dialogs import Files, open_file, save_file
from digitpad.gui.images import ImageError, read_gray
from digitpad.gui.messages import Messages
from digitpad.gui.model_menu import ModelMenu

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp)"


class FileActions(QObject):
    status = Signal(str, int)  # a status-bar message and how long to show it (ms)

    def __init__(
        self,
        actions: dict[str, QAction],
        canvas: DrawingCanvas,
        panels: QWidget,
        model_menu: ModelMenu,
        messages: Messages,
        window: QMainWindow,
    ) -> None:
        super().__init__(window)
        self.canvas, self.panels, self.model_menu = canvas, panels, model_menu
        self.messages, self.window = messages, window
        connect_actions(
            actions,
            {
                "open_image": self._on_open_image_triggered,
                "save_drawing": self._on_save_drawing_triggered,
                "export_panels": self._on_export_panels_triggered,
            },
        )

    def open_image(self, path: Path) -> bool:
        """Put the image file on the canvas in place of the drawing (undoable); a bad file
        gets a message and changes nothing."""
        try:
            ink = to_ink(read_gray(path))
            if to_mnist(ink) is None:
                raise ImageError(f"{path}: the image is blank (no digit found)")
        except ImageError as exc:
            self.messages.complain("warning", "Cannot open image", str(exc))
            return False
        self.canvas.place_image(ink)
        self.status.emit(f"Opened {path}", 4000)
        return True

    def open_any(self, path: Path) -> None:
        """A file dropped on the window: a model (.npz) or an image."""
        if path.suffix.lower() == ".npz":
            self.model_menu.load(path)
        else:
            self.open_image(path)

    def _on_open_image_triggered(self) -> None:
        path, _ = open_file(self.window, Files.IMAGES, "Open image", IMAGE_FILTER)
        if path:
            self.open_image(Path(path))

    def _on_save_drawing_triggered(self) -> None:
        path, _ = save_file(self.window, Files.IMAGES, "Save drawing", "digit.png", "PNG (*.png)")
        if path:
            self._save(self.canvas.image(), Path(path))

    def _on_export_panels_triggered(self) -> None:
        path, _ = save_file(self.window, Files.IMAGES, "Export panels", "panels.png", "PNG (*.png)")
        if path:
            self._save(self.panels_image(), Path(path))

    def panels_image(self) -> QImage:
        """The window's central area as on screen (the drawing and the answer beside the
        panels: a picture of the layers means little without what they read), with the side
        panels that are open (the followed value, the guide) beside it."""
        central = self.window.centralWidget()
        parts = [(central if central is not None else self.panels).grab()]
        parts += [dock.grab() for dock in self.window.findChildren(QDockWidget) if dock.isVisible()]
        width = sum(part.width() for part in parts)
        height = max(part.height() for part in parts)
        image = QImage(width, height, QImage.Format.Format_ARGB32)
        image.fill(self.panels.palette().window().color())
        painter = QPainter(image)
        x = 0
        for part in parts:
            painter.drawPixmap(x, 0, part)
            x += part.width()
        painter.end()
        return image

    def _save(self, image: QImage, path: Path) -> None:
        if path.suffix.lower() != ".png":
            path = path.with_suffix(".png")
        if image.save(str(path), "PNG"):
            self.status.emit(f"Saved {path}", 4000)
        else:
            self.messages.complain("warning", "Cannot save", f"{path}: could not be written")
