"""The window's two columns side by side: the drawing on the left, the layer strip over the
network's panels on the right, the width divided once the window is first shown."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

LEFT_SHARE = 0.28  # of the window's width, for the canvas and the answer


class Workspace(QSplitter):
    def __init__(
        self, drawing: QWidget, strip: QWidget, panels: QWidget, parent: QWidget | None = None
    ) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.drawing = drawing
        self.panels_widget = QWidget()  # what File > Save Panels saves
        right = QVBoxLayout(self.panels_widget)
        # The splitter's handle parts it from the drawing; a little room at the right edge.
        right.setContentsMargins(0, 0, 6, 0)
        right.addWidget(strip)
        right.addWidget(panels, 1)
        self.addWidget(drawing)
        self.addWidget(self.panels_widget)
        self.setStretchFactor(0, 1)
        self.setStretchFactor(1, 3)
        self._split = False  # the first show divides the width (sizes set before it are lost)
        # Until the user drags the handle, every change of width is divided the same way:
        # a dock opening beside a small window takes its room from the drawing's column
        # too, not only from the panels (the splitter alone gave the drawing 40 %).
        self._dragged = False
        self.splitterMoved.connect(self._on_splitter_moved)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._split:
            self._split = True
            self._divide()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._split and not self._dragged:
            self._divide()

    def _divide(self) -> None:
        # The panels get the larger share: 28 % of the width (360 px at 1280) is
        # plenty to draw a digit on, and 64 maps of 14x14 get 4 pixels a value.
        width = self.width()
        left = max(self.drawing.minimumSizeHint().width(), round(width * LEFT_SHARE))
        self.setSizes([left, width - left])

    def _on_splitter_moved(self, position: int, index: int) -> None:
        self._dragged = True
