"""The window's two columns side by side: the drawing on the left, the layer strip over the
network's panels on the right, the width divided once the window is first shown."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

LEFT_SHARE = 0.28  # of the window's width, for the canvas and the answer
EDGE_MARGIN = 10  # pixels the panels keep from the window's right and bottom edges


class Workspace(QSplitter):
    def __init__(
        self,
        drawing: QWidget,
        strip: QWidget,
        panels: QWidget,
        beside: Callable[[], int] = lambda: 0,
        parent: QWidget | None = None,
    ) -> None:
        """``beside``: the width the panels opened beside the workspace take from it."""
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.drawing = drawing
        self.beside = beside
        self.panels_widget = QWidget()  # what File > Save Panels saves
        right = QVBoxLayout(self.panels_widget)
        # The splitter's handle parts it from the drawing; room at the right and bottom
        # edges, where full screen and presentation mode (no status bar) put the screen's.
        right.setContentsMargins(0, 0, EDGE_MARGIN, EDGE_MARGIN)
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
        self._divide_timer = QTimer(self)
        self._divide_timer.setSingleShot(True)
        self._divide_timer.timeout.connect(self._on_divide_timer_timeout)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._split:
            self._split = True
            self._divide()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._split and not self._dragged:
            self._divide()
            # Again once the window's layout is done: a dock opening beside it may be
            # given its width only after this.
            self._divide_timer.start(0)

    def _divide(self) -> None:
        if self.drawing.isHidden():  # a side panel in its place: the panels take it all
            return
        # The panels get the larger share: 28 % of the width (360 px at 1280) is
        # plenty to draw a digit on, and 64 maps of 14x14 get 4 pixels a value.
        # A panel opened beside (follow, guide) takes its room from the drawing first:
        # the stage being looked at keeps its size as long as the drawing can give way.
        width = self.width()
        narrowest = self.drawing.minimumSizeHint().expandedTo(self.drawing.minimumSize()).width()
        whole = width + self.beside()
        panels = whole - max(narrowest, round(whole * LEFT_SHARE))
        left = max(narrowest, width - panels)
        self.setSizes([left, width - left])

    def _on_divide_timer_timeout(self) -> None:
        if not self._dragged:
            self._divide()

    def _on_splitter_moved(self, position: int, index: int) -> None:
        self._dragged = True
