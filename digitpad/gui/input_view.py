"""The input stage: the 28x28 input the network reads, large, the value under the pointer,
the steps that made it from the drawing, and the first-layer values a clicked pixel feeds."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPalette, QPen, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from digitpad.core.explain import number
from digitpad.core.layers import RESHAPE
from digitpad.core.network import INPUT_SHAPE
from digitpad.core.preprocess import BOX, INK_THRESHOLD, MnistSteps, mnist_steps
from digitpad.core.scales import never_negative
from digitpad.core.stages import readers_of_pixel
from digitpad.core.viewer import ViewerModel
from digitpad.gui.describe import shape_text
from digitpad.gui.panels import GAP, MapPoint, MosaicPanel, Outline, fitting
from digitpad.gui.theme import Themed, high_contrast, theme

SIZE = INPUT_SHAPE[1]
PICKED = QColor(230, 120, 20)  # the pixel clicked, and the values that read it
POINTED = QColor(255, 170, 0)
STEP_MIN = 40  # a step's picture, at its smallest, in pixels
PICTURE_SHARE = 0.42  # of the view's width, at most, for the input itself
STEPS_HEADINGS = (
    "How your drawing became it, as MNIST's digits were made:",
    "How your drawing became it:",
    "From the drawing:",
)

INPUT_TIP = (  # also the status line: short enough to fit beside the model's name
    "The 784 numbers the network reads (0 no ink, 1 full ink). Point at a pixel to read "
    "it; click it to see where it goes."
)
READERS_TIP = (
    "The first layer's maps. The outlined cells are the values whose window covers the "
    "pixel clicked: each multiplies it by another weight of its filter (the pixel sits "
    "at another place in each window). Click a value to follow it."
)


class OneLine(QLabel):
    """One line of text that never asks for more width than it gets: the longest of its
    texts (longest first) that fits, else the last cut with …, the whole first one in its
    tooltip when less is shown."""

    def __init__(self, texts: tuple[str, ...] = ("",), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.texts = texts
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self._show()

    def set_texts(self, texts: tuple[str, ...]) -> None:
        self.texts = texts
        self._show()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._show()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._show()

    def _show(self) -> None:
        width = max(1, self.width())
        shown = fitting(self.texts, width, self.font())
        shown = QFontMetrics(self.font()).elidedText(shown, Qt.TextElideMode.ElideRight, width)
        self.setText(shown)
        self.setToolTip(self.texts[0] if shown != self.texts[0] else "")


def _picture() -> tuple[pg.GraphicsLayoutWidget, pg.ViewBox, pg.ImageItem]:
    widget = pg.GraphicsLayoutWidget()
    widget.ci.setContentsMargins(0, 0, 0, 0)
    view = widget.addViewBox(lockAspect=True, invertY=True, enableMouse=False)
    view.setMenuEnabled(False)
    image = pg.ImageItem(axisOrder="row-major")
    view.addItem(image)
    return widget, view, image


class WindowMarks(pg.GraphicsObject):
    """The same block of cells outlined in every tile of a mosaic: the values of each map
    that read one input pixel."""

    def __init__(self) -> None:
        super().__init__()
        self.count, self.cols, self.height, self.width = 0, 1, 1, 1
        self.box: tuple[int, int, int, int] | None = None
        self.setZValue(2)

    def set_marks(
        self, count: int, cols: int, height: int, width: int, box: tuple[int, int, int, int] | None
    ) -> None:
        self.prepareGeometryChange()
        self.count, self.cols, self.height, self.width, self.box = count, cols, height, width, box
        self.update()

    def rects(self) -> list[QRectF]:
        """Each tile's outlined block, in the mosaic's coordinates."""
        if self.box is None:
            return []
        top, left, bottom, right = self.box
        out = []
        for tile in range(self.count):
            tile_row, tile_col = divmod(tile, self.cols)
            x = tile_col * (self.width + GAP) + left
            y = tile_row * (self.height + GAP) + top
            out.append(QRectF(x, y, right - left + 1, bottom - top + 1))
        return out

    def boundingRect(self) -> QRectF:
        rows = math.ceil(self.count / self.cols) if self.count else 0
        return QRectF(-1, -1, self.cols * (self.width + GAP) + 2, rows * (self.height + GAP) + 2)

    def paint(self, painter, option, widget=None) -> None:
        pen = QPen(PICKED, 3 if high_contrast() else 2)
        pen.setCosmetic(True)  # as thick on screen whatever the tiles' size
        painter.setPen(pen)
        for rect in self.rects():
            painter.drawRect(rect)


class StepPicture(QWidget):
    """One step of the preparation: a small picture and a one-line caption under it."""

    def __init__(self, name: str, tip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setToolTip(tip)
        self.plot, self.view, self.image = _picture()
        self.plot.setMinimumSize(STEP_MIN, STEP_MIN)
        self.box = Outline(QPen(PICKED, 0))
        self.box.setZValue(1)
        self.view.addItem(self.box)
        self.centre = pg.ScatterPlotItem(size=11, symbol="+", pen=pg.mkPen(PICKED, width=2))
        self.centre.setZValue(2)
        self.view.addItem(self.centre)
        self.caption = OneLine()
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.caption)

    def show_step(
        self,
        image: np.ndarray,
        caption: tuple[str, ...],
        box: tuple[int, int, int, int] | None = None,
        centre: tuple[float, float] | None = None,
    ) -> None:
        """image (H, W) in [0, 1]; box (top, left, bottom, right) inclusive to outline;
        centre (row, col) to mark with a cross."""
        self.image.setImage(image, levels=(0, 1))
        height, width = image.shape
        self.view.setRange(QRectF(0, 0, width, height), padding=0.02)
        if box is not None:
            top, left, bottom, right = box
            self.box.setRect(QRectF(left, top, right - left + 1, bottom - top + 1))
        self.box.setVisible(box is not None)
        if centre is not None:  # pixel (r, c) covers r..r+1: its centre is at r + 0.5
            self.centre.setData([centre[1] + 0.5], [centre[0] + 0.5])
        self.centre.setVisible(centre is not None)
        self.caption.set_texts(caption)

    @property
    def texts(self) -> tuple[str, ...]:
        return self.caption.texts


class InputView(Themed, QWidget):
    """Reads the input and the drawing from the viewer; writes back a value to follow."""

    def __init__(self, viewer: ViewerModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("input_view")
        self.setToolTip(INPUT_TIP)  # also the status line when the stage is picked
        self.viewer = viewer
        self.picked: tuple[int, int] | None = None  # (row, col) clicked
        self.steps: MnistSteps | None = None
        self._stale = True  # the drawing changed while the view was hidden

        self.heading = OneLine(("Network input 28×28", "Input 28×28"))
        self.heading.setObjectName("input_heading")
        self.heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture, self.view, self.image = _picture()
        self.picture.setObjectName("input_picture")
        self.picture.setToolTip(INPUT_TIP)
        self.image.setImage(np.zeros((SIZE, SIZE), np.float32), levels=(0, 1))
        self.view.setRange(QRectF(0, 0, SIZE, SIZE), padding=0.01)
        self.pointed = Outline(QPen(POINTED, 0))
        self.pointed.setZValue(1)
        self.pointed.setVisible(False)
        self.view.addItem(self.pointed)
        self.marked = Outline(QPen(PICKED, 0.15))
        self.marked.setZValue(2)
        self.marked.setVisible(False)
        self.view.addItem(self.marked)
        self.picture.scene().sigMouseMoved.connect(self._on_picture_mouse_moved)
        self.picture.scene().sigMouseClicked.connect(self._on_picture_mouse_clicked)
        self.picture.installEventFilter(self)
        self.readout = QLabel(" ")
        self.readout.setObjectName("input_readout")
        self.readout.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.readout.setWordWrap(True)
        self.left = QWidget()
        left = QVBoxLayout(self.left)
        left.setContentsMargins(0, 4, 0, 0)
        left.setSpacing(2)
        left.addWidget(self.heading)
        left.addWidget(self.picture, 1)
        left.addWidget(self.readout)

        self.steps_heading = OneLine(STEPS_HEADINGS)
        self.steps_heading.setObjectName("steps_heading")
        self.step_pictures = [
            StepPicture(
                "step_drawing",
                "The drawing as the canvas holds it; the box is where its ink is (every "
                f"row and column with a pixel above {INK_THRESHOLD:.0%} of the brightest).",
            ),
            StepPicture("step_cropped", "Cut to the box: the empty canvas around it goes."),
            StepPicture(
                "step_scaled",
                f"Resampled so its longer side is {BOX} pixels, keeping its shape, each "
                "new pixel the average of the ink it covers (that greys the edges).",
            ),
            StepPicture(
                "step_centred",
                "Put in a 28×28 field so that its centre of mass (the cross: the ink's "
                "average position) is at the centre, then scaled so its brightest pixel is "
                "1. This is the input.",
            ),
        ]
        self.steps_row = QWidget()
        row = QHBoxLayout(self.steps_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        for number_, step in enumerate(self.step_pictures):
            if number_:
                row.addWidget(QLabel("→"))
            row.addWidget(step, 1)
        self.steps_note = QLabel()
        self.steps_note.setObjectName("steps_note")
        self.steps_note.setWordWrap(True)
        self.steps_note.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.readers = MosaicPanel("First layer", "input_readers", READERS_TIP)
        self.readers.hovered.connect(self._on_readers_hovered)
        self.readers.clicked.connect(self._on_readers_clicked)
        self.marks = WindowMarks()
        self.readers.view.addItem(self.marks)
        self.readers_text = QLabel()
        self.readers_text.setObjectName("readers_text")
        self.readers_text.setWordWrap(True)
        right = QVBoxLayout()
        right.setContentsMargins(0, 4, 0, 0)
        right.addWidget(self.steps_heading)
        right.addWidget(self.steps_row, 3)
        right.addWidget(self.steps_note, 3)
        right.addWidget(self.readers, 5)
        right.addWidget(self.readers_text)
        layout = QHBoxLayout(self)
        # A little room below: in presentation mode the view ends at the window's edge.
        layout.setContentsMargins(0, 0, 0, 6)
        layout.addWidget(self.left, 3)
        layout.addLayout(right, 2)
        self.start_theming()
        viewer.network_shown_changed.connect(self._on_viewer_network_shown_changed)
        viewer.input_changed.connect(self._on_viewer_input_changed)
        viewer.scales_changed.connect(self._on_viewer_input_changed)
        self._on_viewer_network_shown_changed()

    def apply_theme(self) -> None:
        background, text, _ = theme()
        for widget in [self.picture] + [step.plot for step in self.step_pictures]:
            widget.setBackground(background)
        self.setAutoFillBackground(True)
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, background)
        palette.setColor(QPalette.ColorRole.WindowText, text)
        self.setPalette(palette)

    # -- size ------------------------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_picture()

    def _fit_picture(self) -> None:
        """The input as a square as tall as the view allows, in at most its share of the
        width."""
        labels = self.heading.sizeHint().height() + self.readout.heightForWidth(200) + 10
        side = max(SIZE * 4, min(self.height() - labels, int(self.width() * PICTURE_SHARE)))
        # At most: the column gives way like the rest when the window narrows (fixed, it
        # held the window wider than a small screen when the follow panel opened).
        self.left.setMaximumWidth(side)

    def pixel_size(self) -> float:
        """Screen pixels per input value, as drawn now."""
        return self.view.viewPixelSize()[0] ** -1 if self.view.width() else 0.0

    # -- from the viewer -------------------------------------------------------------------

    def _on_viewer_network_shown_changed(self) -> None:
        network = self.viewer.network_shown
        self.picked = None
        windowed = network is not None and network.layers[0].window() is not None
        self.readers.setVisible(windowed)
        if network is not None:
            first = network.names[0]
            self.heading.set_texts(
                (f"Network input 28×28, what {first} reads", "Network input 28×28", "Input 28×28")
            )
            self.readers.set_heading(
                f"{first} {shape_text(network.shapes[0])}: values that read the pixel",
                short=first,
            )
        self._on_viewer_input_changed()

    def _on_viewer_input_changed(self) -> None:
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        network_input = self.viewer.input
        shown = network_input if network_input is not None else np.zeros((SIZE, SIZE))
        self.image.setImage(shown, levels=(0, 1))
        self._show_steps()
        self._show_readers()
        self._show_picked()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fit_picture()
        if self._stale:
            self._on_viewer_input_changed()

    def _show_steps(self) -> None:
        pixels, network_input = self.viewer.pixels, self.viewer.input
        steps = mnist_steps(pixels) if pixels is not None else None
        # A digit from a data set is read as it is (the viewer was given it): the steps
        # of its enlarged picture would make another input, so none are shown for it.
        if steps is not None and not np.array_equal(steps.network_input, network_input):
            steps = None
        self.steps = steps
        self.steps_row.setVisible(steps is not None)
        self.steps_note.setVisible(steps is None)
        if steps is None:
            self.steps_note.setText(
                "Draw a digit: the steps that turn it into these 784 numbers appear here."
                if network_input is None
                else "This digit is a data set's own 28×28 input: the network reads it as "
                "it is, and the canvas shows it enlarged."
            )
            return
        drawing, cropped, scaled, centred = self.step_pictures
        height, width = steps.ink.shape
        crop_h, crop_w = steps.cropped.shape
        scaled_h, scaled_w = steps.scaled.shape
        # Sizes as width × height, the way pictures are measured.
        drawing.show_step(
            steps.ink, (f"drawing {width}×{height}", "drawing", "drawn"), box=steps.box
        )
        cropped.show_step(steps.cropped, (f"cropped {crop_w}×{crop_h}", "cropped", "crop"))
        scaled.show_step(steps.scaled, (f"scaled {scaled_w}×{scaled_h}", "scaled"))
        top, left = steps.offset
        com_r, com_c = steps.centre_of_mass
        centred.show_step(
            steps.network_input,
            ("centred by mass", "centred"),
            box=(top, left, top + scaled_h - 1, left + scaled_w - 1),
            centre=(top + com_r, left + com_c),
        )

    def _show_readers(self) -> None:
        network = self.viewer.network_shown
        if network is None or not self.readers.isVisibleTo(self):
            return
        output = self.viewer.output(0)
        self.readers.show_maps(
            output if output is not None else np.zeros(network.shapes[0], np.float32),
            self.viewer.scale(0),
            nonnegative=never_negative(network)[0],
        )

    def _show_picked(self) -> None:
        """The pixel clicked: outlined, its value, and where it goes in the first layer."""
        network, picked = self.viewer.network_shown, self.picked
        self.marked.setVisible(picked is not None)
        maps = self.readers.maps
        box = readers_of_pixel(network, *picked) if network is not None and picked else None
        self.marks.set_marks(maps.shape[0], self.readers.cols, maps.shape[1], maps.shape[2], box)
        if network is None:
            self.readers_text.setText("")
            return
        first = network.names[0]
        if picked is None:
            self.readers_text.setText(
                f"Click a pixel of the input to see which values of {first} read it."
            )
            return
        row, col = picked
        self.marked.setRect(QRectF(col, row, 1, 1))
        value = self._value(row, col)
        where = f"Pixel row {row + 1}, column {col + 1}" + (
            f" ({value:.3f})" if value is not None else ""
        )
        if box is None:
            self.readers_text.setText(self._unwindowed_words(where, row, col))
            return
        top, left, bottom, right = box
        cells = (bottom - top + 1) * (right - left + 1)
        maps_count = network.shapes[0][0]
        rows = f"row {top + 1}" if top == bottom else f"rows {top + 1}–{bottom + 1}"
        cols = f"column {left + 1}" if left == right else f"columns {left + 1}–{right + 1}"
        self.readers_text.setText(
            f"{where} is read by {first} at {rows}, {cols} of all {maps_count} maps: "
            f"{cells * maps_count} values."
        )

    def _unwindowed_words(self, where: str, row: int, col: int) -> str:
        network = self.viewer.network_shown
        first = network.names[0]
        if network.layers[0].role == RESHAPE:
            position = row * SIZE + col + 1
            return (
                f"{where}: {first} puts it at place {position} of its list of "
                f"{network.shapes[0][0]} numbers, and every value after it weighs it."
            )
        return f"{where}: every value of {first} reads it."

    def _value(self, row: int, col: int) -> float | None:
        network_input = self.viewer.input
        return None if network_input is None else float(network_input[row, col])

    # -- from the user ---------------------------------------------------------------------

    def pixel_at(self, position: QPointF) -> tuple[int, int] | None:
        """The input pixel (row, col) under a scene position, if any."""
        if not self.view.sceneBoundingRect().contains(position):
            return None
        point = self.view.mapSceneToView(position)
        row, col = math.floor(point.y()), math.floor(point.x())
        return (row, col) if 0 <= row < SIZE and 0 <= col < SIZE else None

    def _on_picture_mouse_moved(self, position: QPointF) -> None:
        self._point_at(self.pixel_at(position))

    def _point_at(self, pixel: tuple[int, int] | None) -> None:
        self.pointed.setVisible(pixel is not None)
        if pixel is None:
            self.readout.setText(" ")
            return
        row, col = pixel
        self.pointed.setRect(QRectF(col, row, 1, 1))
        value = self._value(row, col)
        # Rows and columns count from 1, as the maps' do.
        self.readout.setText(
            f"row {row + 1}, column {col + 1}: "
            + (f"{value:.3f}" if value is not None else "nothing drawn")
        )

    def eventFilter(self, watched, event: QEvent) -> bool:
        if watched is self.picture and event.type() == QEvent.Type.Leave:
            self._point_at(None)
        return False

    def _on_picture_mouse_clicked(self, event) -> None:
        pixel = self.pixel_at(event.scenePos())
        if pixel is not None and event.button() == Qt.MouseButton.LeftButton:
            self.pick(*pixel)

    def pick(self, row: int, col: int) -> None:
        """Show where input pixel (row, col) goes."""
        self.picked = (row, col)
        self._show_picked()

    def _on_readers_hovered(self, point: MapPoint | None) -> None:
        output = self.viewer.output(0)
        if point is None or output is None:
            self.readers.set_readout("")
            return
        self.readers.set_readout(
            f"map {point.tile + 1}, row {point.row + 1}, column {point.col + 1}: "
            f"{number(float(output[point.tile, point.row, point.col]))}"
        )

    def _on_readers_clicked(self, point: MapPoint) -> None:
        self.viewer.set_focus(0, point.tile, point.row, point.col)
