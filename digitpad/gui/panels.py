"""The side panels (pyqtgraph): network input, softmax bars, filters, feature maps, pooled maps.

Every plot item is created once; updates only call setImage / setOpts with new data.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QMouseEvent,
    QPalette,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import QLabel, QToolTip, QVBoxLayout, QWidget

from digitpad.core.scales import nice_ceiling
from digitpad.gui.theme import (
    Themed,
    diverging_map,
    fixed_plot,
    high_contrast,
    sequential_map,
    style_plot,
    theme,
)

GAP = 1
TITLE_PADDING = 16  # pixels a title leaves free beside it in its panel
WITH_BAR_MIN = 150  # a panel's narrowest with its colour bar, and without
COMPACT_MIN = 70
PROBABILITIES_MIN = 190
BAR_MARK_LEAST = 0.06  # a marked bar's outline, at the least: 6 % of the chart's height
AXIS_ROOM = 20  # beside the percentages: the axis line, its ticks and a gap
# The softmax chart's percentages, as many as there is height for.
PERCENT_TICKS = ((0.0, 0.25, 0.5, 0.75, 1.0), (0.0, 0.5, 1.0), (0.0, 1.0))
DIGIT_GAP = 5  # pixels at least between two digits under the bars
HEADING_LINES = 3  # a map panel's heading at most, above its maps
# Map numbers are drawn on tiles at least this many screen pixels wide.
NUMBERED_TILE_PX = 22


def route_pen() -> QPen:
    """The outline of a value on a followed route: the maps' selection colour, two screen
    pixels wide whatever the zoom (a value of a narrow panel is smaller than a pixel)."""
    pen = QPen(QColor(230, 120, 20), 2)
    pen.setCosmetic(True)
    return pen


def fitting(texts: tuple[str, ...], width: int, font: QFont) -> str:
    """The first of ``texts`` (longest first) that fits ``width`` pixels in ``font``, else
    the last: a narrow panel shortens its title rather than cut it."""
    metrics = QFontMetrics(font)
    return next((text for text in texts if metrics.horizontalAdvance(text) <= width), texts[-1])


def two_line_width(text: str, metrics: QFontMetrics) -> int:
    """The narrowest width that shows ``text`` in at most two lines, broken at a space."""
    words = text.split() or [""]
    return min(
        max(
            metrics.horizontalAdvance(" ".join(words[:cut])),
            metrics.horizontalAdvance(" ".join(words[cut:])),
        )
        for cut in range(1, len(words) + 1)
    )


def grid_shape(count: int, wide: float = 1.5) -> tuple[int, int]:
    """(rows, cols) for count tiles, cols / rows near ``wide``, no empty tiles if possible."""
    target = math.sqrt(wide * count)
    exact = [c for c in range(1, count + 1) if count % c == 0 and c <= 2 * target]
    cols = min(exact, key=lambda c: abs(c - target)) if exact else math.ceil(target)
    if abs(cols - target) > target / 2:  # e.g. a prime count: accept a few empty tiles
        cols = math.ceil(target)
    return math.ceil(count / cols), cols


def best_columns(count: int, height: int, width: int, room_w: float, room_h: float) -> int:
    """The column count that draws ``count`` maps of height x width largest in the room."""

    def scale(cols: int) -> float:
        rows = math.ceil(count / cols)
        return min(room_w / (cols * (width + GAP)), room_h / (rows * (height + GAP)))

    return max(range(1, count + 1), key=scale)


def filter_images(weights: np.ndarray) -> np.ndarray:
    """Conv weights (F, C, k, k) -> one k x k image per filter: the weights themselves for
    a single input channel, else their mean over the input channels."""
    images = weights[:, 0] if weights.shape[1] == 1 else weights.mean(axis=1)
    return images.astype(np.float32)


def scale_text(value: float) -> str:
    """A scale's end as its bar labels it: 2.5, 0.6, 20; never -0."""
    return f"{value:.3g}" if value != 0 else "0"


def scale_labels(
    levels: tuple[float, float], clipped: tuple[bool, bool] = (False, False)
) -> list[tuple[float, str]]:
    """A colour bar's three labels, lowest first: its ends and its middle. An end that
    values on screen go past reads "≤ -2.5" or "≥ 2.5": they are clipped to its colour."""
    low, high = levels
    middle = (low + high) / 2
    low_text = ("≤ " if clipped[0] else "") + scale_text(low)
    high_text = ("≥ " if clipped[1] else "") + scale_text(high)
    return [(low, low_text), (middle, scale_text(middle)), (high, high_text)]


def mosaic(maps: np.ndarray, cols: int) -> np.ndarray:
    """maps (F, H, W) -> one (rows*(H+1)-1, cols*(W+1)-1) image, gaps NaN (transparent)."""
    f, h, w = maps.shape
    rows = math.ceil(f / cols)
    out = np.full((rows * (h + GAP) - GAP, cols * (w + GAP) - GAP), np.nan, dtype=np.float32)
    padded = np.full((rows * cols, h + GAP, w + GAP), np.nan, dtype=np.float32)
    padded[:f, :h, :w] = maps
    tiled = padded.reshape(rows, cols, h + GAP, w + GAP).transpose(0, 2, 1, 3)
    tiled = tiled.reshape(rows * (h + GAP), cols * (w + GAP))
    out[...] = tiled[: out.shape[0], : out.shape[1]]
    return out


class Outline(pg.GraphicsObject):
    """A rectangle in a view's coordinates: an outline, or a filled backdrop.

    A QGraphicsObject (a QObject), unlike QGraphicsRectItem: PySide6 then learns when the
    scene deletes it, and a Python reference left over can never free it a second time.
    """

    def __init__(self, pen: QPen | None = None, brush: QColor | None = None) -> None:
        super().__init__()
        self._rect = QRectF()
        self._pen = pen if pen is not None else QPen(Qt.PenStyle.NoPen)
        self._brush = brush

    def setRect(self, rect: QRectF) -> None:
        self.prepareGeometryChange()
        self._rect = QRectF(rect)
        self.update()

    def rect(self) -> QRectF:
        return QRectF(self._rect)

    def setBrush(self, brush: QColor) -> None:
        self._brush = brush
        self.update()

    def boundingRect(self) -> QRectF:
        margin = 1.0
        return self._rect.adjusted(-margin, -margin, margin, margin)

    def paint(self, painter, option, widget=None) -> None:
        pen = self._pen
        if high_contrast() and pen.style() != Qt.PenStyle.NoPen:  # thicker for a projector
            pen = QPen(pen)
            if pen.widthF() == 0:
                pen.setWidthF(3)
                pen.setCosmetic(True)
            else:
                pen.setWidthF(pen.widthF() * 2.5)
        painter.setPen(pen)
        if self._brush is not None:
            painter.setBrush(self._brush)
        painter.drawRect(self._rect)


class TileNumbers(pg.GraphicsObject):
    """Map k's number in the top-left corner of its tile: which filter made which map.

    One item paints all of them in screen pixels (readable at any zoom, cheap to redraw),
    and none where tiles are too small on screen for a number to leave the map visible."""

    def __init__(self) -> None:
        super().__init__()
        self.count, self.cols, self.height, self.width = 0, 1, 1, 1
        self.setZValue(1)

    def set_tiles(self, count: int, cols: int, height: int, width: int) -> None:
        self.prepareGeometryChange()
        self.count, self.cols, self.height, self.width = count, cols, height, width
        self.update()

    def boundingRect(self) -> QRectF:
        rows = math.ceil(self.count / self.cols) if self.count else 0
        return QRectF(0, 0, self.cols * (self.width + GAP), rows * (self.height + GAP))

    def paint(self, painter, option, widget=None) -> None:
        transform = painter.transform()
        tile_px = transform.m11() * self.width
        if self.count < 2 or tile_px < NUMBERED_TILE_PX:
            return
        painter.save()
        painter.resetTransform()
        font = painter.font()
        font.setPixelSize(int(min(13, max(9, tile_px * 0.22))))
        painter.setFont(font)
        metrics = painter.fontMetrics()
        for tile in range(self.count):
            row, col = divmod(tile, self.cols)
            corner = transform.map(QPointF(col * (self.width + GAP), row * (self.height + GAP)))
            text = str(tile + 1)
            box = QRectF(
                corner.x(), corner.y(), metrics.horizontalAdvance(text) + 4, metrics.height()
            )
            painter.fillRect(box, QColor(255, 255, 255, 190))
            painter.setPen(QColor(0, 0, 0))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()


def _image_view(widget: pg.GraphicsLayoutWidget) -> tuple[pg.ViewBox, pg.ImageItem]:
    view = widget.addViewBox(row=1, col=0, lockAspect=True, invertY=True, enableMouse=False)
    view.setMenuEnabled(False)
    image = pg.ImageItem(axisOrder="row-major")
    view.addItem(image)
    return view, image


class InputPanel(Themed, pg.GraphicsLayoutWidget):
    """The exact 28x28 image fed to the network, with an optional receptive-field box."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("network_input")
        self.setToolTip(
            "What the network sees: your drawing cropped, scaled to fit 20x20 and "
            "centred by mass in 28x28, as MNIST digits were."
        )
        self.titles = ("Network input 28×28", "Input 28×28", "Input")  # it shortens to fit
        self.title = self.addLabel(self.titles[0], row=0, col=0)
        self.view, self.image = _image_view(self)
        self.image.setImage(np.zeros((28, 28), np.float32), levels=(0, 1))
        self.view.setRange(QRectF(0, 0, 28, 28), padding=0.02)
        self.field = Outline(QPen(QColor(255, 170, 0), 0.4))
        self.field.setVisible(False)
        self.view.addItem(self.field)
        # Narrow enough that the drawing, the panels and the follow panel fit 1024 px.
        self.setMinimumSize(120, 130)
        self.start_theming()

    def apply_theme(self) -> None:
        background, _, _ = theme()
        self.setBackground(background)
        self._show_title()
        self.field.update()

    def resizeEvent(self, event: QResizeEvent | None) -> None:
        super().resizeEvent(event)
        if event is not None:  # None: pyqtgraph's own call, before the title exists
            self._show_title()

    def _show_title(self) -> None:
        text = fitting(self.titles, self.width() - TITLE_PADDING, self.font())
        self.title.setText(text, color=theme()[1], size=f"{self.font().pointSizeF():.1f}pt")

    def show_input(self, digit: np.ndarray | None) -> None:
        data = np.zeros((28, 28), np.float32) if digit is None else digit
        self.image.setImage(data, levels=(0, 1))

    def highlight(self, box: tuple[int, int, int, int] | None) -> None:
        """box (top, left, bottom, right) inclusive, or None to hide."""
        if box is None:
            self.field.setVisible(False)
            return
        top, left, bottom, right = box
        self.field.setRect(QRectF(left, top, right - left + 1, bottom - top + 1))
        self.field.setVisible(True)


class ProbabilityPanel(Themed, pg.PlotWidget):
    """Ten labelled bars of softmax probability; the winner drawn in the highlight colour."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("probabilities")
        self.setToolTip("Softmax output: the network's probability for each digit.")
        self._titles = ("Softmax probabilities", "Softmax")  # the longest that fits is shown
        self.start_theming()
        fixed_plot(self, digits=True)
        self.setYRange(0, 1, padding=0.02)
        self.ticks: tuple[float, ...] = ()
        self._fit_ticks()
        self.getViewBox().sigResized.connect(self._fit_ticks)
        self._normal = pg.mkBrush(120, 140, 170)
        self._winner = pg.mkBrush(230, 120, 20)
        self.bars = pg.BarGraphItem(
            x=np.arange(10), height=np.zeros(10), width=0.7, brushes=[self._normal] * 10
        )
        self.addItem(self.bars)
        self.values = np.zeros(10)
        # The digit whose share a followed route ends in, outlined.
        self.bar_marker = Outline(route_pen())
        self.bar_marker.setZValue(2)
        self.bar_marker.setVisible(False)
        self.addItem(self.bar_marker)
        self.marked_bar: int | None = None
        # Ten bars and their digits still fit at 190 px, in presentation mode's type too;
        # wider, and the follow panel beside the window no longer fits a 1024 px screen.
        # Larger type needs more (apply_theme).
        self.setMinimumSize(PROBABILITIES_MIN, 130)
        self.apply_theme()

    def apply_theme(self) -> None:
        style_plot(self, self._fitting_title())
        # The digit under the last bar is centred on it and overhangs the plot's right
        # end by half its width: room for it, at any type size (it was cut at 2.5x).
        metrics = QFontMetrics(self.font())
        half_digit = metrics.horizontalAdvance("9") // 2 + 4
        self.getPlotItem().setContentsMargins(0, 0, half_digit, 0)
        # Never so narrow that the digits crowd: the percentages' axis, then ten slots
        # each a digit and a gap wide, then that margin (190 px is enough at 1x).
        axis = metrics.horizontalAdvance("100%") + AXIS_ROOM
        slots = 10 * (metrics.horizontalAdvance("0") + DIGIT_GAP)
        self.setMinimumWidth(max(PROBABILITIES_MIN, axis + slots + half_digit))
        self._fill()
        # The axis takes the new type's width later: the title is measured again then.
        QTimer.singleShot(0, self, self._refit_title)

    def _fit_ticks(self) -> None:
        """The most percentages whose labels stand apart, a line of type each: at a large
        zoom 100 %, 75 %, 50 % and 25 % were drawn over each other."""
        box = self.getViewBox()
        low, high = box.viewRange()[1]
        per_unit = box.height() / (high - low) if high > low else 0.0
        line = QFontMetrics(self.getAxis("left").style["tickFont"] or self.font()).height()
        ticks = next(
            (t for t in PERCENT_TICKS if per_unit * (t[1] - t[0]) >= line),
            PERCENT_TICKS[-1],
        )
        if ticks != self.ticks:
            self.ticks = ticks
            self.getAxis("left").setTicks([[(v, f"{v:.0%}") for v in ticks]])

    def _refit_title(self) -> None:
        self._fit_ticks()
        title = self._fitting_title()
        if title != self.getPlotItem().titleLabel.text:
            style_plot(self, title)
        self._fill()

    def resizeEvent(self, event: QResizeEvent | None) -> None:
        super().resizeEvent(event)
        if event is None:  # pyqtgraph's own call, before the plot exists
            return
        self._refit_title()

    def _fill(self) -> None:
        """The plot exactly as large as the widget: a new title or type resizes the plot
        to its preferred size, wider than a narrow widget (the digits past 7 were cut)."""
        self.getPlotItem().setGeometry(QRectF(0, 0, self.width(), self.height()))

    def _fitting_title(self) -> str:
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 11 / 9)  # as theme.title_size sets it
        # The title is centred over the bars, right of the percentages' axis.
        room = self.width() - self.getAxis("left").width() - TITLE_PADDING
        return fitting(self._titles, room, font)

    def show_probabilities(
        self, probabilities: np.ndarray | None, answered: bool = True, not_a_digit: bool = False
    ) -> None:
        """The bars; the winner highlighted only when the answer gives it (a dot or a dash
        still goes through the network, but "Too small to read" names no digit; a drawing
        the network calls not a digit has only shares "if it were one": no orange 100 %
        beside the big "Not a digit")."""
        values = np.zeros(10) if probabilities is None else np.asarray(probabilities)
        brushes = [self._normal] * 10
        if probabilities is not None and answered and not not_a_digit:
            brushes[int(values.argmax())] = self._winner
        self.values = values
        self.bars.setOpts(height=values, brushes=brushes)
        self.mark_bar(self.marked_bar)
        if not answered:
            titles = (
                "Softmax probabilities (too small: no answer)",
                "Softmax (too small)",
                "Softmax",
            )
        elif not_a_digit:
            titles = (
                "Not a digit: the shares if it were one",
                "Not a digit: if it were one",
                "Not a digit",
            )
        else:
            titles = ("Softmax probabilities", "Softmax")
        if titles != self._titles:
            self._titles = titles
            style_plot(self, self._fitting_title())
            self._fill()

    def mark_bar(self, digit: int | None) -> None:
        """Outline digit ``digit``'s bar (None: no outline): around the bar as tall as it
        is, and a low box at its foot for a share near 0 (an outline to the top would
        read as a bar of 100 %)."""
        self.marked_bar = digit if digit is not None and 0 <= digit < len(self.values) else None
        if self.marked_bar is None:
            self.bar_marker.setVisible(False)
            return
        height = max(float(self.values[digit]), BAR_MARK_LEAST)
        self.bar_marker.setRect(QRectF(digit - 0.45, 0, 0.9, height))
        self.bar_marker.setVisible(True)


@dataclass(frozen=True)
class MapPoint:
    """A pixel of one of the tiled maps: map number, row and column."""

    tile: int
    row: int
    col: int


class MosaicPanel(Themed, QWidget):
    """One map per filter, tiled into a single image, with a colour bar and a read-out line.

    The heading and the read-out are plain labels outside the plot, so a long heading
    wraps instead of pushing the colour bar out of the panel.
    """

    hovered = Signal(object)  # MapPoint, or None when the pointer is not over a map
    clicked = Signal(object)  # MapPoint
    # A left click on the panel off its maps (beside the tiles, on the heading): most of
    # a narrow panel, whose tiles are a few pixels, is there.
    picked = Signal()

    def __init__(
        self,
        title: str,
        object_name: str,
        tooltip: str,
        wide: float = 1.5,
        parent: QWidget | None = None,
        magnify: int = 1,
    ) -> None:
        """``magnify``: image pixels across each value. The gap between two maps is one
        image pixel: a filter's 3x3 weights drawn 4x4 each lose 1/13 of their room to it,
        not a quarter."""
        super().__init__(parent)
        self.wide = wide
        self.magnify = magnify
        self.setObjectName(object_name)
        self.setToolTip(tooltip)
        self.plot = pg.GraphicsLayoutWidget()
        self.plot.ci.setContentsMargins(0, 0, 0, 0)  # no space is wasted around the grid
        self.plot.ci.setSpacing(4)
        self.heading = QLabel(title)
        self._headings = (title, title)  # full, and short for a compact panel
        self.heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.view, self.image = _image_view(self.plot)
        # The background colour behind the tiles: gaps between maps, unused tiles.
        self.backdrop = Outline()
        self.backdrop.setZValue(-1)
        self.view.addItem(self.backdrop)
        self.bar = pg.ColorBarItem(
            values=(-1, 1), colorMap=diverging_map(), interactive=False, width=9
        )
        self.bar.setImageItem(self.image)
        self._bar_widths = (self.bar.minimumWidth(), self.bar.maximumWidth())
        self._base_bar_widths = self._bar_widths  # with the axis 45 pixels wide
        self.plot.addItem(self.bar, row=1, col=1)
        self.readout = QLabel(" ")
        self.readout.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.readout.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.heading)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.readout)
        self.maps = np.zeros((1, 1, 1), np.float32)
        self.cols = 1
        self._levels: tuple[float, float] | None = None
        self._clipped = (False, False)  # values below the scale's low end, above its high
        self.nonnegative = False  # the scale runs from 0, on the sequential map
        # The outline that links map k here to filter k and map k in the other panels.
        self.marker = Outline(QPen(QColor(230, 120, 20), 0))
        self.marker.setZValue(2)
        self.marker.setVisible(False)
        self.marked: int | None = None  # the map outlined
        self.view.addItem(self.marker)
        # The value of a followed route in this panel's maps, outlined.
        self.cell_marker = Outline(route_pen())
        self.cell_marker.setZValue(3)
        self.cell_marker.setVisible(False)
        self.cell: MapPoint | None = None
        self.view.addItem(self.cell_marker)
        self.numbers = TileNumbers()
        self.view.addItem(self.numbers)
        self.plot.scene().sigMouseMoved.connect(self._on_scene_mouse_moved)
        self.plot.scene().sigMouseClicked.connect(self._on_scene_mouse_clicked)
        # A tooltip of its own for the tile under the pointer (None: the panel's tooltip).
        self.tile_tip: Callable[[MapPoint], str] | None = None
        self.plot.viewport().installEventFilter(self)
        # Below this the colour bar's labels crowd the maps out of the panel.
        self.setMinimumWidth(WITH_BAR_MIN)
        self.compact = False
        self.start_theming()

    def apply_theme(self) -> None:
        background, text, _ = theme()
        self.plot.setBackground(background)
        self.setAutoFillBackground(True)
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, background)
        palette.setColor(QPalette.ColorRole.WindowText, text)
        self.setPalette(palette)
        self.backdrop.setBrush(background)
        self.bar.axis.setTextPen(text)
        # The end labels sit at the bar's ends, half overhanging them: room above and below
        # for that half, and leave to draw it, at any type size (presentation mode's too).
        label_height = QFontMetrics(self.font()).height()
        self.bar.axis.setStyle(tickFont=self.font(), hideOverlappingLabels=label_height)
        overhang = label_height // 2 + 1
        self.bar.layout.setContentsMargins(0, overhang, 0, overhang)
        self._fit_bar_labels()
        self.marker.update()

    def set_compact(self, compact: bool) -> None:
        """Beside the focused panel: no colour bar, so it can be narrow and leave the room
        to the maps being looked at (its read-out still gives the value under the pointer)."""
        if compact == self.compact:
            return
        self.compact = compact
        self.bar.setVisible(not compact)
        if compact:
            self.bar.setMaximumWidth(0)
            self.bar.setMinimumWidth(0)
        else:
            self.bar.setMinimumWidth(self._bar_widths[0])
            self.bar.setMaximumWidth(self._bar_widths[1])
        self._show_heading()

    def set_heading(self, text: str, short: str | None = None) -> None:
        """The heading, and the ``short`` one shown while the panel is compact (a long one
        would wrap into a column of single words there)."""
        self._headings = (text, short or text)
        self._show_heading()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._show_heading()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)  # Themed's restyle first
        if self._themed and event.type() == QEvent.Type.FontChange:  # larger type: wider
            self._show_heading()

    def _show_heading(self) -> None:
        """The heading in at most two lines where it fits, else the short one wrapped at
        its spaces (the whole in the tooltip). The panel is never narrower than the short
        heading's longest word ("maxpool1" in a compact panel in presentation mode was cut
        to "max…"); squeezed below that, each word is elided."""
        whole, short = self._headings
        metrics = QFontMetrics(self.heading.font())
        least = COMPACT_MIN if self.compact else WITH_BAR_MIN
        longest = max(metrics.horizontalAdvance(word) for word in short.split() or [""])
        self.setMinimumWidth(max(least, longest + 8))
        room = max(1, self.width() - 4)
        tried = (short,) if self.compact else (whole, short)
        text = next((text for text in tried if two_line_width(text, metrics) <= room), short)
        if longest > room:
            text = " ".join(
                metrics.elidedText(word, Qt.TextElideMode.ElideRight, room) for word in text.split()
            )
        self.heading.setText(text)
        # Its lines whole, but a heading, not a paragraph: at most HEADING_LINES, the rest
        # cut at a word (the whole in the tooltip). The panel sits in a splitter, which
        # asks no label how tall it must be at its width.
        width = max(1, self.width())
        most = HEADING_LINES * metrics.lineSpacing() + 2
        # A label's height for a width is never under its minimum: set free first, or a
        # panel enlarged kept the three lines its heading took while narrow.
        self.heading.setMinimumHeight(0)
        words = text.split()
        while len(words) > 1 and self.heading.heightForWidth(width) > most:
            words.pop()
            text = " ".join(words) + " …"
            self.heading.setText(text)
        self.heading.setToolTip(whole if text != whole else "")
        self.heading.setMinimumHeight(min(most, self.heading.heightForWidth(width)))

    def set_readout(self, text: str) -> None:
        self.readout.setText(text or " ")

    def show_maps(
        self,
        maps: np.ndarray,
        bound: float | None = None,
        cols: int | None = None,
        nonnegative: bool = False,
    ) -> None:
        """maps (F, H, W), tiled, on one diverging scale [-bound, bound] (grey is zero), or
        for values that cannot be negative on the sequential scale [0, bound] (grey is zero
        there too). Without a bound, the scale's end is a round number at or above the 99th
        percentile of |value|, so a few extreme pixels do not wash the rest out to grey.
        Values past an end are drawn in the end's colour, and the bar's label there says so.
        """
        f = maps.shape[0]
        # Panels given the same column count put map k at the same place in each grid.
        cols = cols if cols is not None else grid_shape(f, self.wide)[1]
        layout_changed = maps.shape != self.maps.shape or cols != self.cols
        self.maps = maps
        self.cols = cols
        shown = maps
        if self.magnify > 1:
            shown = maps.repeat(self.magnify, axis=1).repeat(self.magnify, axis=2)
        tiled = mosaic(shown, self.cols)
        finite = np.isfinite(tiled).any()  # NaN marks unused cells (a dense layer's grid)
        if bound is None:
            magnitude = np.abs(maps)
            peak = float(np.nanmax(magnitude)) if finite else 0.0
            # A few values (a small filter bank) are all shown unclipped.
            strong = float(np.nanpercentile(magnitude, 99)) if magnitude.size > 100 else peak
            # All zero (nothing drawn yet): a plain -1..1 scale, not one of millionths.
            bound = nice_ceiling(max(strong, peak / 4)) if peak > 0 else 1.0
        levels = (0.0, bound) if nonnegative else (-bound, bound)
        if nonnegative != self.nonnegative:
            self.nonnegative = nonnegative
            self.bar.setColorMap(sequential_map() if nonnegative else diverging_map())
        self.image.setImage(tiled, autoLevels=False, levels=levels)
        clipped = (
            finite and float(np.nanmin(tiled)) < levels[0],
            finite and float(np.nanmax(tiled)) > levels[1],
        )
        if (levels, clipped) != (self._levels, self._clipped):
            # Re-setting equal levels would still redraw the axis.
            self.bar.setLevels(levels)
            self._levels, self._clipped = levels, clipped
            self.bar.axis.setTicks([self.bar_labels()])
            self._fit_bar_labels()
        if layout_changed:
            extent = QRectF(0, 0, tiled.shape[1], tiled.shape[0])
            self.backdrop.setRect(extent)
            self.view.setRange(extent, padding=0.005)
            self.numbers.set_tiles(f, cols, shown.shape[1], shown.shape[2])
            # The same map outlined at its new place (it landed on another map after a
            # re-layout, until the pointer moved).
            self.mark_tile(self.marked)
            self.mark_cell(self.cell)

    def _fit_bar_labels(self) -> None:
        """The bar's axis as wide as its widest label: the axis leaves out a label it
        cannot hold whole ("≥ 0.8" in presentation mode's type)."""
        metrics = QFontMetrics(self.font())
        widest = max(metrics.horizontalAdvance(text) for _, text in self.bar_labels())
        axis = max(45, widest + 12)
        if axis == self.bar.axis.width():
            return
        self.bar.axis.setWidth(axis)
        # The bar item is as wide as its axis and the bar beside it (fixed in its layout).
        grown = axis - 45
        self._bar_widths = (self._base_bar_widths[0] + grown, self._base_bar_widths[1] + grown)
        if not self.compact:
            self.bar.setMinimumWidth(self._bar_widths[0])
            self.bar.setMaximumWidth(self._bar_widths[1])

    def bar_labels(self) -> list[tuple[float, str]]:
        """The colour bar's labels, (value, text) from the lowest up."""
        return scale_labels(self._levels or (-1.0, 1.0), self._clipped)

    def leaveEvent(self, event: QEvent) -> None:
        self.hovered.emit(None)
        super().leaveEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Over a tile, its own tooltip (``tile_tip``); elsewhere the panel's."""
        if (
            event.type() == QEvent.Type.ToolTip
            and self.tile_tip is not None
            and watched is self.plot.viewport()
            and isinstance(event, QHelpEvent)
        ):
            point = self.point_at(self.plot.mapToScene(event.pos()))
            text = self.tile_tip(point) if point is not None else ""
            if text:
                QToolTip.showText(event.globalPos(), text, self.plot.viewport())
                return True
        return super().eventFilter(watched, event)

    def mark_tile(self, tile: int | None) -> None:
        """Outline map ``tile`` (None: no outline)."""
        self.marked = tile
        f, h, w = self.maps.shape
        h, w = h * self.magnify, w * self.magnify
        if tile is None or not 0 <= tile < f:
            self.marker.setVisible(False)
            return
        tile_row, tile_col = divmod(tile, self.cols)
        self.marker.setRect(
            QRectF(tile_col * (w + GAP) - 0.5, tile_row * (h + GAP) - 0.5, w + 1, h + 1)
        )
        self.marker.setVisible(True)

    def mark_cell(self, cell: MapPoint | None) -> None:
        """Outline one value: ``cell`` of map ``cell.tile`` (None: no outline)."""
        f, h, w = self.maps.shape
        inside = cell is not None and 0 <= cell.tile < f and 0 <= cell.row < h and 0 <= cell.col < w
        self.cell = cell if inside else None
        if cell is None or not inside:
            self.cell_marker.setVisible(False)
            return
        self.cell_marker.setRect(self.value_rect(cell.tile, cell.row, cell.col))
        self.cell_marker.setVisible(True)

    def value_rect(self, tile: int, row: int, col: int) -> QRectF:
        """Where value (row, col) of map ``tile`` is drawn, in the view's coordinates."""
        _, h, w = self.maps.shape
        m = self.magnify
        tile_row, tile_col = divmod(tile, self.cols)
        x = tile_col * (w * m + GAP) + col * m
        y = tile_row * (h * m + GAP) + row * m
        return QRectF(x, y, m, m)

    def point_at(self, position: QPointF) -> MapPoint | None:
        """The map pixel under a scene position, if any."""
        if not self.view.sceneBoundingRect().contains(position):
            return None
        point = self.view.mapSceneToView(position)
        f, h, w = self.maps.shape
        m = self.magnify
        x, y = math.floor(point.x()), math.floor(point.y())
        tile_col, col = divmod(x, w * m + GAP)
        tile_row, row = divmod(y, h * m + GAP)
        tile = tile_row * self.cols + tile_col
        if x < 0 or y < 0 or col >= w * m or row >= h * m or tile_col >= self.cols or tile >= f:
            return None
        return MapPoint(tile, row // m, col // m)

    def _on_scene_mouse_moved(self, position: QPointF) -> None:
        self.hovered.emit(self.point_at(position))

    def _on_scene_mouse_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        point = self.point_at(event.scenePos())
        if point is not None:
            self.clicked.emit(point)
        else:
            self.picked.emit()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        # The heading and the read-out are labels, which pass their clicks on to here.
        # The plot's own presses come here too, unaccepted: its scene's click says (on
        # release, after a re-layout here would have moved a tile under the pointer).
        on_plot = self.plot.geometry().contains(event.position().toPoint())
        if event.button() == Qt.MouseButton.LeftButton and not on_plot:
            self.picked.emit()
            event.accept()
            return
        super().mousePressEvent(event)
