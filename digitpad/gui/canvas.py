"""The drawing widget: white ink on black, rasterised by the app into its own image.

The drawing lives in a fixed-size QImage in canvas coordinates, so resizing the
window only rescales the view. Every action (stroke, loaded picture, clear) is an item
in a history list; undo and redo move a cursor in that list and re-render.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPointingDevice,
    QTabletEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from digitpad.core import strokes

CANVAS_SIZE = 280  # canvas pixels per side: ten per MNIST pixel
# A digit drawn to fill the canvas is ~230 px tall, shrunk to 20 px: a 22 px pen gives
# strokes about 2 px wide, like MNIST's.
DEFAULT_PEN_WIDTH = 22
MIN_PEN_WIDTH, MAX_PEN_WIDTH = 4, 60


@dataclass
class Stroke:
    width: float
    erase: bool
    points: list[QPointF] = field(default_factory=list)


@dataclass
class Picture:
    """An image placed on the canvas (opened file or drop), already ink on black.

    It replaces what was drawn before it; undo brings that back."""

    image: QImage


@dataclass(eq=False)
class Clear:
    # Who cleared the canvas, when it matters to them: told again when this clear is
    # undone or redone (a kept drawing: undoing the clear takes the sample back).
    reason: object = None


Item = Stroke | Picture | Clear


class DrawingCanvas(QWidget):
    """Draw with mouse or pen; ``changed`` fires on every edit, ``stroke_finished`` on release."""

    changed = Signal()
    stroke_finished = Signal()
    history_changed = Signal()
    undo_available = Signal(bool)
    redo_available = Signal(bool)
    clear_undone = Signal(object)  # the reason given to clear(), once its clear is undone
    clear_redone = Signal(object)  # ... and once it is redone

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("canvas")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(200, 200)
        self.setCursor(Qt.CursorShape.CrossCursor)
        # Drawing takes the keyboard focus: Enter ("it read it right") then belongs to the
        # drawing, not to a button focused before (which Enter would press).
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setToolTip("Draw a digit here. Right-drag or E to erase; Ctrl+Z undoes a stroke.")
        self._image = QImage(CANVAS_SIZE, CANVAS_SIZE, QImage.Format.Format_Grayscale8)
        self._image.fill(0)
        self._items: list[Item] = []
        self._cursor = 0  # items[:cursor] are in effect; the rest can be redone
        self._current: Stroke | None = None
        self._before_stroke: QImage | None = None
        self.pen_width: float = DEFAULT_PEN_WIDTH
        self.eraser = False

    # -- state ---------------------------------------------------------------------------

    def pixels(self) -> np.ndarray:
        """The drawing as (280, 280) float32 in [0, 1], ink bright."""
        # The image is Grayscale8: read its bytes directly, skipping any format conversion.
        raw = np.frombuffer(
            self._image.constBits(), dtype=np.uint8, count=self._image.sizeInBytes()
        )
        rows = raw.reshape(CANVAS_SIZE, self._image.bytesPerLine())[:, :CANVAS_SIZE]
        return rows.astype(np.float32) * (1.0 / 255.0)

    def image(self) -> QImage:
        return self._image.copy()

    def is_empty(self) -> bool:
        return not self.pixels().any()

    def can_undo(self) -> bool:
        return self._cursor > 0

    def can_redo(self) -> bool:
        return self._cursor < len(self._items)

    def strokes(self) -> tuple[strokes.Stroke, ...]:
        """The drawing as the strokes that make it, oldest first, in canvas pixels; empty
        when it holds a placed image (an opened file is pixels, not strokes)."""
        self._end()
        drawn: list[strokes.Stroke] = []
        pictured = False  # a picture since the last Clear: the drawing is not all strokes
        for item in self._items[: self._cursor]:
            if isinstance(item, Clear):
                drawn, pictured = [], False
            elif isinstance(item, Picture):
                pictured = True
            else:
                points = np.array([(p.x(), p.y()) for p in item.points], dtype=np.float64)
                drawn.append(strokes.Stroke(points, item.width, item.erase))
        return () if pictured else tuple(drawn)

    def show_strokes(self, drawing: Sequence[strokes.Stroke]) -> None:
        """Replace the drawing with these strokes, one undo step each (undoable)."""
        self._end()
        if not self.is_empty():
            self._push(Clear())
        for stroke in drawing:
            points = [QPointF(float(x), float(y)) for x, y in stroke.points]
            self._push(Stroke(float(stroke.width), bool(stroke.erase), points))
        self._rerender()

    def set_pen_width(self, width: float) -> None:
        self.pen_width = float(np.clip(width, MIN_PEN_WIDTH, MAX_PEN_WIDTH))

    # -- edits ---------------------------------------------------------------------------

    def _push(self, item: Item) -> None:
        del self._items[self._cursor :]
        self._items.append(item)
        self._cursor += 1
        self._history_changed()

    def _history_changed(self) -> None:
        self.history_changed.emit()
        self.undo_available.emit(self.can_undo())
        self.redo_available.emit(self.can_redo())

    def clear(self) -> None:
        """Clear the canvas (undoable). Does nothing on an empty canvas."""
        self.clear_for(None)

    def clear_for(self, reason: object) -> bool:
        """Clear the canvas (undoable) for ``reason``, which ``clear_undone`` and
        ``clear_redone`` emit unless it is None; whether it was cleared (not if empty)."""
        self._end()  # an edit during a stroke applies after the stroke so far
        if self.is_empty():
            return False
        self._push(Clear(reason))
        self._image.fill(0)
        self.update()
        self.changed.emit()
        return True

    def undo(self) -> None:
        self._end()
        if self.can_undo():
            self._cursor -= 1
            self._rerender()
            self._tell(self._items[self._cursor], self.clear_undone)

    def redo(self) -> None:
        self._end()
        if self.can_redo():
            self._cursor += 1
            self._rerender()
            self._tell(self._items[self._cursor - 1], self.clear_redone)

    @staticmethod
    def _tell(item: Item, signal: Signal) -> None:
        if isinstance(item, Clear) and item.reason is not None:
            signal.emit(item.reason)

    def place_image(self, ink: np.ndarray) -> None:
        """Put ink (H, W) in [0, 1], bright on black, on the canvas, fitted and centred,
        in place of the drawing (undoable)."""
        from digitpad.core.preprocess import fit_to_canvas

        self.place_pixels(fit_to_canvas(ink, CANVAS_SIZE))

    def place_pixels(self, full: np.ndarray) -> None:
        """Put a whole canvas image (280, 280) in [0, 1] in place of the drawing, as it is
        (a kept sample's pixels; undoable)."""
        self._end()
        data = np.ascontiguousarray((np.clip(full, 0, 1) * 255 + 0.5).astype(np.uint8))
        image = QImage(
            data.data, CANVAS_SIZE, CANVAS_SIZE, CANVAS_SIZE, QImage.Format.Format_Grayscale8
        ).copy()
        self._push(Picture(image))
        self._rerender()

    def _rerender(self) -> None:
        self._image.fill(0)
        painter = QPainter(self._image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for item in self._items[: self._cursor]:
            if isinstance(item, Clear):
                self._image.fill(0)
            elif isinstance(item, Picture):
                painter.drawImage(0, 0, item.image)  # opaque: it replaces the drawing
            else:
                self._paint_stroke(painter, item, item.points)
        painter.end()
        self.update()
        self._history_changed()
        self.changed.emit()

    def _paint_stroke(self, painter: QPainter, stroke: Stroke, points: list[QPointF]) -> None:
        colour = QColor(0, 0, 0) if stroke.erase else QColor(255, 255, 255)
        pen = QPen(
            colour,
            stroke.width,
            Qt.PenStyle.SolidLine,
            Qt.PenCapStyle.RoundCap,
            Qt.PenJoinStyle.RoundJoin,
        )
        painter.setPen(pen)
        if len(points) == 1:
            painter.drawPoint(points[0])
        else:
            painter.drawPolyline(points)

    # -- input ---------------------------------------------------------------------------

    def _view_rect(self) -> QRectF:
        """Where the square image is shown: the largest centred square in the widget."""
        side = min(self.width(), self.height())
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def _to_canvas(self, position: QPointF) -> QPointF:
        rect = self._view_rect()
        scale = CANVAS_SIZE / rect.width()
        return QPointF((position.x() - rect.x()) * scale, (position.y() - rect.y()) * scale)

    def _begin(self, position: QPointF, erase: bool, width: float) -> None:
        self._end()  # a second button pressed mid-stroke starts a new stroke
        self._before_stroke = self._image.copy()
        self._current = Stroke(width, erase, [self._to_canvas(position)])
        self._push(self._current)
        self._paint_on_image(self._current.points)

    def _extend(self, position: QPointF) -> None:
        if self._current is None:
            return
        point = self._to_canvas(position)
        last = self._current.points[-1]
        if (point - last).manhattanLength() < 0.5:
            return
        self._current.points.append(point)
        self._paint_on_image([last, point])

    def _end(self) -> None:
        """Finish the stroke: repaint it whole over the image from before it began.

        While the pen moves only the newest segment is painted (constant work per move);
        overlapping anti-aliased caps make the joints a shade brighter. Painting the
        finished polyline in one go gives exactly what re-rendering after an undo gives.
        """
        if self._current is None:
            return
        self._image = self._before_stroke
        painter = QPainter(self._image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._paint_stroke(painter, self._current, self._current.points)
        painter.end()
        self._current = None
        self._before_stroke = None
        self.update()
        self.changed.emit()
        self.stroke_finished.emit()

    def _paint_on_image(self, points: list[QPointF]) -> None:
        """Paint a piece of the stroke in progress and repaint only where it lies."""
        painter = QPainter(self._image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._paint_stroke(painter, self._current, points)
        painter.end()
        rect = self._view_rect()
        scale = rect.width() / CANVAS_SIZE
        margin = self._current.width / 2 + 2
        xs = [p.x() for p in points]
        ys = [p.y() for p in points]
        dirty = QRectF(
            rect.x() + (min(xs) - margin) * scale,
            rect.y() + (min(ys) - margin) * scale,
            (max(xs) - min(xs) + 2 * margin) * scale,
            (max(ys) - min(ys) + 2 * margin) * scale,
        )
        self.update(dirty.toAlignedRect())
        self.changed.emit()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            erase = self.eraser or event.button() == Qt.MouseButton.RightButton
            self._begin(event.position(), erase, self.pen_width * (2 if erase else 1))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        self._extend(event.position())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._end()

    def tabletEvent(self, event: QTabletEvent) -> None:
        kind = event.type()
        if kind == QTabletEvent.Type.TabletPress:
            pressure = event.pressure() if event.pressure() > 0 else 1.0
            erase = self.eraser or event.pointerType() == QPointingDevice.PointerType.Eraser
            self._begin(event.position(), erase, self.pen_width * (0.5 + pressure * 0.75))
        elif kind == QTabletEvent.Type.TabletMove:
            self._extend(event.position())
        elif kind == QTabletEvent.Type.TabletRelease:
            self._end()
        event.accept()

    # -- painting ------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        # Beside the square the column shows through: a band of the panels' colour (white
        # in presentation mode) looked like canvas that took no ink.
        rect = self._view_rect()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(rect, self._image)
        # The frame shows where the keys go: highlighted while the canvas has the focus.
        if self.hasFocus():
            painter.setPen(QPen(self.palette().highlight().color(), 2))
            painter.drawRect(rect.adjusted(1, 1, -1, -1))
        else:
            painter.setPen(QPen(self.palette().mid().color(), 1))
            painter.drawRect(rect.adjusted(0, 0, -1, -1))
        painter.end()

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.update()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.update()
