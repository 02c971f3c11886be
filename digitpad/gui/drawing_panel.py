"""The left column: the canvas, its tool buttons, the pen width and the answer."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QToolButton, QVBoxLayout, QWidget

from digitpad.core.viewer import ViewerModel
from digitpad.gui.actions import connect_actions
from digitpad.gui.canvas import MAX_PEN_WIDTH, MIN_PEN_WIDTH, DrawingCanvas
from digitpad.gui.prediction_view import DigitGauge, PredictionView
from digitpad.gui.teach_bar import TeachBar

PEN_STEP = 2  # what [ and ] change the width by, in canvas pixels
# The canvas keeps at least this share of the column's height (at most its width) before
# the answer's type shrinks: in presentation mode at 1024x600 the tallest answer left it
# 200 px in a 268 px column.
CANVAS_SHARE = 0.45


class DrawingPanel(QWidget):
    def __init__(self, viewer: ViewerModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = DrawingCanvas()
        self.pen_slider = QSlider(Qt.Orientation.Horizontal)
        self.pen_slider.setObjectName("pen_width")
        self.pen_slider.setRange(MIN_PEN_WIDTH, MAX_PEN_WIDTH)
        self.pen_slider.setValue(int(self.canvas.pen_width))
        self.pen_slider.setToolTip("Pen width in canvas pixels ([ and ] change it)")
        self.pen_slider.valueChanged.connect(self._on_pen_slider_value_changed)
        self.pen_label = QLabel()
        self.prediction = PredictionView(viewer)
        self.gauge = DigitGauge(viewer)
        self.tool_buttons = QHBoxLayout()
        self.pen_row = QWidget()
        pen_row = QHBoxLayout(self.pen_row)
        pen_row.setContentsMargins(0, 0, 0, 0)
        pen_row.addWidget(QLabel("Pen"))
        pen_row.addWidget(self.pen_slider, 1)
        pen_row.addWidget(self.pen_label)
        # What presentation mode hides: all but Clear (Esc, [ and ] still work).
        self.secondary: list[QWidget] = [self.pen_row]
        self._fitting = False
        layout = QVBoxLayout(self)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(self.tool_buttons)
        layout.addWidget(self.pen_row)
        layout.addWidget(self.prediction)
        layout.addWidget(self.gauge)
        self.teach_row = QVBoxLayout()  # the teach bar, once the actions exist
        layout.addLayout(self.teach_row)
        self._on_pen_slider_value_changed(self.pen_slider.value())

    def use_actions(self, actions: dict[str, QAction]) -> None:
        """The Edit menu's commands: connected here, and the most used as buttons."""
        connect_actions(
            actions,
            {
                "undo": self.canvas.undo,
                "redo": self.canvas.redo,
                "clear": self.canvas.clear,
                "eraser": self._on_eraser_toggled,
                "thinner": self._on_thinner_triggered,
                "thicker": self._on_thicker_triggered,
            },
        )
        # Availability follows the canvas's history, as it changes.
        self.canvas.undo_available.connect(actions["undo"].setEnabled)
        self.canvas.redo_available.connect(actions["redo"].setEnabled)
        actions["undo"].setEnabled(False)
        actions["redo"].setEnabled(False)
        for name in ("undo", "redo", "clear", "eraser"):
            button = QToolButton()
            button.setDefaultAction(actions[name])
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            self.tool_buttons.addWidget(button)
            if name != "clear":
                self.secondary.append(button)
        self.tool_buttons.addStretch(1)
        self.teach_bar = TeachBar(actions)
        self.teach_row.addWidget(self.teach_bar)
        self.secondary.append(self.teach_bar)

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        # New type (zoom, presentation mode), a row shown or hidden, a new size: the
        # layout asks again, and the answer takes only the room the canvas leaves it.
        if event.type() in (QEvent.Type.LayoutRequest, QEvent.Type.Resize):
            self._fit_answer()
        return handled

    def _fit_answer(self) -> None:
        if self._fitting or not self.isVisible():
            return
        self._fitting = True
        try:
            layout = self.layout()
            margins = layout.contentsMargins()
            width = self.width() - margins.left() - margins.right()
            # The gauge's rows at this width, all of them (the layout alone squeezed it).
            gauge = self.gauge.heightForWidth(width)
            if self.gauge.height() != gauge:
                self.gauge.setFixedHeight(gauge)
            canvas = max(self.canvas.minimumHeight(), min(width, self.height() * CANVAS_SHARE))
            others, shown = 0, 0
            for index in range(layout.count()):
                item = layout.itemAt(index)
                if item.isEmpty() or item.widget() in (self.canvas, self.prediction):
                    continue
                shown += 1
                others += (
                    item.heightForWidth(width)
                    if item.hasHeightForWidth()
                    else item.sizeHint().height()
                )
            room = (
                self.height()
                - margins.top()
                - margins.bottom()
                - round(canvas)
                - others
                - layout.spacing() * (shown + 1)
            )
            self.prediction.fit_height(width, room)
        finally:
            self._fitting = False

    def _on_eraser_toggled(self, checked: bool) -> None:
        self.canvas.eraser = checked

    def _on_thinner_triggered(self) -> None:
        self.pen_slider.setValue(self.pen_slider.value() - PEN_STEP)

    def _on_thicker_triggered(self) -> None:
        self.pen_slider.setValue(self.pen_slider.value() + PEN_STEP)

    def _on_pen_slider_value_changed(self, value: int) -> None:
        self.canvas.set_pen_width(value)
        self.pen_label.setText(f"{value} px")
