"""The strip above the panels: the network's stages with their output shapes, clickable."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFont, QFontMetrics, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from digitpad.core.viewer import ViewerModel
from digitpad.gui.describe import shape_text

# Flat buttons with little padding keep a deep network's strip on one line.
# Too long for the width (large type, a narrow window), the strip's type gets smaller, down
# to the system's size, then it takes two lines; then its buttons' padding tightens and
# its type gets smaller still, never under LEAST_POINTS (a projector's class reads 9 pt
# from the back; 7.2 pt did not), then three lines: a scroll bar hid the last stages
# (softmax) from the class, so only a network too deep even for that scrolls.
LEAST_POINTS = 9.0
SMALLEST_TYPE = 0.8  # of the system's size, where that is more than LEAST_POINTS
FIT_MARGIN = 8  # pixels to spare: the measure is of samples, not the laid-out row
MOST_LINES = 3


def button_style(padding: int) -> str:
    """The picked stage is underlined: a bold label would be wider than its button."""
    return (
        f"QPushButton {{ padding: 2px {padding}px; border-bottom: 3px solid transparent; }}"
        "QPushButton:checked { border-bottom: 3px solid #e6781e; }"
    )


BUTTON_STYLE = button_style(4)
TIGHT_STYLE = button_style(1)  # a narrow strip's: the labels' own width, nearly


class LayerStrip(QScrollArea):
    """input → conv1 + relu → maxpool1 → … → softmax; a click picks that layer."""

    def __init__(self, viewer: ViewerModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("layer_strip")
        self.viewer = viewer
        self.buttons: list[QPushButton] = []
        self._items: list[QWidget] = []  # the buttons and the arrows between them, in order
        self.row = QWidget()
        self.row.setStyleSheet(BUTTON_STYLE)
        rows = QVBoxLayout(self.row)
        rows.setContentsMargins(0, 0, 0, 0)
        rows.setSpacing(0)
        # The second and third only when one is too long.
        self.lines = [QHBoxLayout() for _ in range(MOST_LINES)]
        for line in self.lines:
            line.setContentsMargins(0, 0, 0, 0)
            line.setSpacing(2)
            rows.addLayout(line)
        self.line_count = 1
        self.buttons_style = BUTTON_STYLE  # the buttons' padding: tightened for a narrow strip
        # A strip too long even in two lines of its smallest type scrolls rather than
        # widen the window.
        self.setWidget(self.row)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.type_size = self.font().pointSizeF()  # the buttons' type, fitted to the width
        viewer.network_shown_changed.connect(self._on_viewer_network_shown_changed)
        viewer.selection_changed.connect(self._on_viewer_selection_changed)
        self._on_viewer_network_shown_changed()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.FontChange:  # View > Zoom
            self._fit()
        super().changeEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit()

    def _fit(self) -> None:
        """Every stage in view, in the largest type that fits: one line, then two, down to
        the system's type size; then, buttons tightened, two lines and then three down to
        ``least_type`` (never under LEAST_POINTS unless the window's own type is)."""
        room = self.width() - FIT_MARGIN
        largest = self.font().pointSizeF()
        system = min(largest, QApplication.font().pointSizeF())
        least = self.least_type()
        tries = [(BUTTON_STYLE, 1, system), (BUTTON_STYLE, 2, system)]
        tries += [(TIGHT_STYLE, lines, least) for lines in range(2, MOST_LINES + 1)]
        fits = False
        for style, lines, floor in tries:
            self._restyle(style)
            self._arrange(lines)
            size = largest
            self._set_type(size)
            while self._row_width() > room and size > floor:
                size = max(floor, size * 0.93)
                self._set_type(size)
            fits = self._row_width() <= room
            if fits:
                break
        scroll_bar = 0 if fits else self.horizontalScrollBar().sizeHint().height()
        self.setFixedHeight(self.line_count * self._two_line_button_height() + scroll_bar)

    def least_type(self) -> float:
        """The smallest type the strip takes: LEAST_POINTS, or SMALLEST_TYPE of a large
        system type; never more than the window's own type."""
        system = QApplication.font().pointSizeF()
        return min(self.font().pointSizeF(), max(LEAST_POINTS, system * SMALLEST_TYPE))

    def _restyle(self, style: str) -> None:
        if style != self.buttons_style:
            self.buttons_style = style
            self.row.setStyleSheet(style)

    def _arrange(self, count: int) -> None:
        """The buttons in ``count`` lines, each after an arrow, the later lines the longer."""
        if count == self.line_count and self.lines[0].count():
            return
        for line in self.lines:
            while line.count():
                line.takeAt(0)
        self.line_count = count
        stages = len(self.buttons)
        # Items alternate button, arrow: line j starts with button j * stages // count.
        starts = [2 * (j * stages // count) for j in range(count)] + [len(self._items)]
        for position, item in enumerate(self._items):
            line = max(j for j in range(count) if starts[j] <= position)
            self.lines[line].addWidget(item)
        for line in self.lines[:count]:
            line.addStretch(1)

    def _set_type(self, size: float) -> None:
        # A style sheet stops the font reaching the buttons by itself: set on each.
        self.type_size = size
        font = QFont(self.font())
        font.setPointSizeF(size)
        self.row.setFont(font)
        for button in self.buttons:
            button.setFont(font)

    def _row_width(self) -> int:
        """The longest line's width in the type set now, measured on a styled sample: the
        buttons' own size hints lag behind a change of type under a style sheet."""
        sample = self._sample("")
        arrow = QFontMetrics(self.row.font()).horizontalAdvance("→")
        spacing = self.lines[0].spacing()
        widths = []
        for line in self.lines[: self.line_count]:
            items = [line.itemAt(i).widget() for i in range(line.count())]
            width = 0
            for item in (item for item in items if item is not None):
                if isinstance(item, QPushButton):
                    sample.setText(item.text())
                    width += sample.sizeHint().width() + spacing
                else:
                    width += arrow + spacing
            widths.append(width - spacing)
        return max(widths, default=0)

    def _sample(self, text: str) -> QPushButton:
        sample = QPushButton(text)
        sample.setFont(self.row.font())
        sample.setStyleSheet(self.buttons_style)
        sample.setFlat(True)
        sample.ensurePolished()
        return sample

    def _two_line_button_height(self) -> int:
        """Measured on a styled sample, so the height never depends on what is shown."""
        return self._sample("input\n28×28×1").sizeHint().height()

    def _on_viewer_network_shown_changed(self) -> None:
        # Take out every item, arrows included, before adding the new ones.
        for line in self.lines:
            while line.count():
                line.takeAt(0)
        for widget in self._items:
            # Out of the strip now (a deferred delete alone leaves it painted until the
            # event loop next runs, as in a screenshot taken right away).
            widget.setParent(None)
            widget.deleteLater()
        self.buttons, self._items = [], []
        for position, stage in enumerate(self.viewer.stages):
            if position:
                self._items.append(QLabel("→", self.row))
            shape = shape_text(stage.shape)
            button = QPushButton(f"{stage.name}\n{shape}", self.row)
            button.setFont(self.row.font())
            button.setObjectName(f"stage_{stage.name.split()[0]}")
            button.setFlat(True)
            button.setCheckable(True)
            button.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
            button.setToolTip(
                f"{stage.name}: {stage.description}; output {shape}. Click to show its panel."
            )
            button.clicked.connect(self._on_button_clicked)
            self._items.append(button)
            self.buttons.append(button)
        self.line_count = 0  # arranged afresh
        self._fit()
        self._on_viewer_selection_changed()

    def _on_button_clicked(self) -> None:
        index = self.buttons.index(self.sender())
        self.viewer.select_layer(self.viewer.stages[index].first)

    def _on_viewer_selection_changed(self) -> None:
        selected = self.viewer.selected_layer
        for button, stage in zip(self.buttons, self.viewer.stages, strict=True):
            button.setChecked(selected is not None and stage.first <= selected <= stage.last)
            if button.isChecked():  # a strip too long for the window scrolls to the pick
                self.ensureWidgetVisible(button)
