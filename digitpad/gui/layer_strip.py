"""The strip above the panels: the network's stages with their output shapes, clickable."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QWidget,
)

from digitpad.core.viewer import ViewerModel
from digitpad.gui.describe import shape_text

# Flat buttons with little padding keep a deep network's strip on one line.
# The picked stage is underlined: a bold label would be wider than its button.
BUTTON_STYLE = (
    "QPushButton { padding: 2px 4px; border-bottom: 3px solid transparent; }"
    "QPushButton:checked { border-bottom: 3px solid #e6781e; }"
)


class LayerStrip(QScrollArea):
    """input → conv1 + relu → maxpool1 → … → softmax; a click picks that layer."""

    def __init__(self, viewer: ViewerModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("layer_strip")
        self.viewer = viewer
        self.buttons: list[QPushButton] = []
        self.row = QWidget()
        self.row.setStyleSheet(BUTTON_STYLE)
        self.row_layout = QHBoxLayout(self.row)
        self.row_layout.setContentsMargins(0, 0, 0, 0)
        self.row_layout.setSpacing(2)
        # A deep network makes a long strip: it scrolls rather than widen the window.
        self.setWidget(self.row)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(
            self._two_line_button_height() + self.horizontalScrollBar().sizeHint().height()
        )
        viewer.network_shown_changed.connect(self._on_viewer_network_shown_changed)
        viewer.selection_changed.connect(self._on_viewer_selection_changed)
        self._on_viewer_network_shown_changed()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.FontChange:  # View > Zoom: a style sheet stops the
            self.row.setFont(self.font())  # font reaching the buttons by itself
            for button in self.buttons:
                button.setFont(self.font())
            self.setFixedHeight(
                self._two_line_button_height() + self.horizontalScrollBar().sizeHint().height()
            )
        super().changeEvent(event)

    def _two_line_button_height(self) -> int:
        """Measured on a styled sample, so the height never depends on what is shown."""
        sample = QPushButton("input\n28×28×1")
        sample.setFont(self.font())
        sample.setStyleSheet(BUTTON_STYLE)
        sample.setFlat(True)
        sample.ensurePolished()
        return sample.sizeHint().height()

    def _on_viewer_network_shown_changed(self) -> None:
        # Take out every item, arrows included, before adding the new ones.
        while self.row_layout.count():
            item = self.row_layout.takeAt(0)
            widget = item.widget()
            if widget is not None:
                # Out of the strip now (a deferred delete alone leaves it painted until
                # the event loop next runs, as in a screenshot taken right away).
                widget.setParent(None)
                widget.deleteLater()
        self.buttons = []
        for position, stage in enumerate(self.viewer.stages):
            if position:
                self.row_layout.addWidget(QLabel("→"))
            shape = shape_text(stage.shape)
            button = QPushButton(f"{stage.name}\n{shape}")
            button.setFont(self.font())
            button.setObjectName(f"stage_{stage.name.split()[0]}")
            button.setFlat(True)
            button.setCheckable(True)
            button.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
            button.setToolTip(
                f"{stage.name}: {stage.description}; output {shape}. Click to show its panel."
            )
            button.clicked.connect(self._on_button_clicked)
            self.row_layout.addWidget(button)
            self.buttons.append(button)
        self.row_layout.addStretch(1)
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
