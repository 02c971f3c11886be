"""The retrain dialog's verdict on a finished run: the new model beside the one in use, on
the 10,000 test images, and the choice to keep it (saved first) or discard it."""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontMetricsF, QResizeEvent
from PySide6.QtWidgets import (
    QGraphicsRectItem,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QWidget,
)

from digitpad.core.evaluation import Evaluation
from digitpad.core.network import NUM_CLASSES
from digitpad.core.samples import PersonalSet
from digitpad.core.training import PersonalValidation
from digitpad.gui.samples_dialog import thumbnail
from digitpad.gui.theme import Themed, fixed_plot, style_plot, theme
from digitpad.gui.train_progress import accuracy_floor

NEW_COLOUR, CURRENT_COLOUR = (230, 120, 20), (120, 140, 170)
# Mistakes are a few per cent of a row at most: the colours span 0-5 %, and more saturates,
# so the off-diagonal cells that matter stand out (the counts give the exact numbers).
# viridis runs dark to yellow, never to white: the worst cell cannot pass for the blank
# diagonal, and it reads in greyscale and for colour-blind viewers.
CONFUSION_TOP = 0.05
CONFUSION_MAP = "viridis"
DIAGONAL_GREY = (150, 150, 150)
BAR_LABEL = "% of the digit's images"
MARKER_COLOUR = (255, 80, 60)  # the outlined cell: red-orange, on no part of viridis
DARK_TEXT, LIGHT_TEXT = (20, 20, 20), (245, 245, 245)  # counts: dark on the grey, 6.2:1 contrast
SMALLEST_COUNT_POINTS = 5.0  # a count's smallest type; where even that does not fit: none
FITS = 0.95  # the share of a cell's width a count may take: the rest keeps neighbours apart


def _name(label: int) -> str:
    """A row's or column's name: the digit, or "not a digit"."""
    return str(label) if label < NUM_CLASSES else "not a digit"


class ConfusionView(pg.GraphicsLayoutWidget):
    """The mistakes: true digit down, predicted digit across, each off-diagonal cell with
    its count, coloured by its share of the row. The diagonal (right answers) is grey,
    with its counts if asked (``diagonal_counts``, Evaluate's; the Retrain dialog's two
    small matrices leave them to its per-class plot), in a font that fits a cell. An
    evaluation that scored "not a digit" too (11 classes) adds its row and column, "N" (the
    key that keeps a drawing as not a digit). The matrix
    keeps square cells and fills its plot: the whole plot, axes and title with it, shrinks
    to a square in the middle of the widget, so no empty rows open between the matrix and
    its axes when the widget is not square. ``cell_clicked(true, predicted)`` when a cell
    is clicked."""

    cell_clicked = Signal(int, int)

    def __init__(
        self,
        title: str,
        with_bar: bool = True,
        parent: QWidget | None = None,
        count_points: float = 8.5,
        diagonal_counts: bool = False,
    ) -> None:
        super().__init__(parent)
        self.diagonal_counts = diagonal_counts
        self._margins = self.ci.layout.getContentsMargins()  # before any squaring
        self.plot = self.addPlot(row=0, col=0, title=title)
        fixed_plot(self.plot)
        self.plot.invertY(True)
        self.plot.setAspectLocked(True)
        self.plot.setLabel("bottom", "predicted")
        # The diagonal is a layer of its own under the mistakes (their image leaves it
        # transparent): a grey view background would also fill the margins the locked
        # aspect leaves above and below the matrix.
        self.diagonal = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.diagonal)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(pg.colormap.get(CONFUSION_MAP))
        self.plot.addItem(self.image)
        self.bar = pg.ColorBarItem(
            values=(0, 100 * CONFUSION_TOP),
            colorMap=pg.colormap.get(CONFUSION_MAP),
            interactive=False,
            width=8,
        )
        self.bar.setImageItem(self.image)
        self.bar.axis.setLabel(BAR_LABEL)
        if with_bar:  # side by side, the two matrices share one bar
            self.addItem(self.bar, row=0, col=1)
        # The cell whose digits are listed beside (Evaluate): outlined.
        self.marker = QGraphicsRectItem(0, 0, 1, 1)
        self.marker.setPen(pg.mkPen(MARKER_COLOUR, width=3, cosmetic=True))
        self.marker.setVisible(False)
        self.marker.setZValue(5)
        self.plot.addItem(self.marker)
        font = QFont()
        font.setPointSizeF(count_points)
        font.setBold(count_points >= 8)  # bold where the cells have room for it
        self.count_font = font
        self.classes = 0  # rows and columns: the ten digits, or 11 with "not a digit"
        self.counts: list[pg.TextItem] = []  # row by row, ``size`` by ``size``
        self._set_size(NUM_CLASSES)
        self.plot.scene().sigMouseClicked.connect(self._on_scene_mouse_clicked)
        self.plot.scene().sigMouseMoved.connect(self._on_scene_mouse_moved)
        self._counts: np.ndarray | None = None  # the matrix shown
        self._cell = 0.0  # a cell's width in pixels
        self.plot.getViewBox().sigResized.connect(self._on_view_box_resized)
        right = "counts" if diagonal_counts else "holds"
        self.explanation = (
            "Rows: the true digit; columns: what the model answered. Each cell counts one "
            f"kind of mistake (the grey diagonal {right} the right answers). Colours: the "
            f"share of the row's images, {CONFUSION_TOP:.0%} and more in the brightest colour."
        )
        self.setToolTip(self.explanation)
        self.show_evaluation(None)

    def _set_size(self, size: int) -> None:
        """``size`` rows and columns: the ten digits, and "not a digit" (N) as the 11th."""
        if size == self.classes:
            return
        before, self.classes = self.classes, size
        names = [str(d) for d in range(NUM_CLASSES)] + ["N"] * (size - NUM_CLASSES)
        ticks = [[(index + 0.5, name) for index, name in enumerate(names)]]
        for side in ("left", "bottom"):
            self.plot.getAxis(side).setTicks(ticks)
        self.plot.setLabel(
            "left", "true digit" + (" (N: not a digit)" if size > NUM_CLASSES else "")
        )
        self.plot.setRange(xRange=(0, size), yRange=(0, size), padding=0)
        diagonal = np.zeros((size, size, 4), np.ubyte)
        diagonal[np.arange(size), np.arange(size)] = (*DIAGONAL_GREY, 255)
        self.diagonal.setImage(diagonal)
        self.diagonal.setRect(0, 0, size, size)
        for text in self.counts:
            self.plot.removeItem(text)
        self.counts = []
        for row in range(size):
            for col in range(size):
                text = pg.TextItem("", anchor=(0.5, 0.5))
                text.setFont(self.count_font)
                text.setPos(col + 0.5, row + 0.5)
                self.plot.addItem(text)
                self.counts.append(text)
        if before:  # the counts' font fitted to the new cells (the first time: when shown)
            self._on_view_box_resized()

    def resizeEvent(self, event: QResizeEvent | None) -> None:
        # Square afresh from the plain margins: those squared for a larger size could leave
        # a narrower widget no room for the matrix, which would then be pushed out of view
        # (a view box held at its smallest no longer tells how much room there is).
        # pyqtgraph calls this while constructing, before there are margins to restore, and
        # after close() has deleted the plot's items (touching them then crashes).
        if hasattr(self, "_margins") and not self.closed:
            self.ci.layout.setContentsMargins(*self._margins)
        super().resizeEvent(event)

    def _on_view_box_resized(self) -> None:
        """Square the plot: margins around the whole of it take what the matrix's square
        cells leave, instead of empty rows or columns inside it (the view box's aspect is
        locked, so it would show them)."""
        box = self.plot.getViewBox().geometry()
        margins = self.ci.layout.getContentsMargins()  # (left, top, right, bottom)
        extra = [now - base for now, base in zip(margins, self._margins, strict=True)]
        # The view box's room with no squaring margins; it gets a square of the smaller side.
        free_width = box.width() + extra[0] + extra[2]
        free_height = box.height() + extra[1] + extra[3]
        side = min(free_width, free_height)
        # Never narrower than the title over it: a longer title would widen the whole plot
        # past the widget (on a short widget the matrix then has a little room either side).
        title = self.plot.titleLabel.item.boundingRect().width()
        across = max(0.0, free_width - max(side, title)) / 2
        down = (free_height - side) / 2
        left, top, right, bottom = self._margins
        wanted = (left + across, top + down, right + across, bottom + down)
        if max(abs(w - m) for w, m in zip(wanted, margins, strict=True)) >= 1:
            self.ci.layout.setContentsMargins(*wanted)
        self._fit_counts(side / self.classes)

    def _fit_counts(self, cell: float) -> None:
        """The counts in a font that fits a cell ``cell`` pixels wide with a little room
        either side: four digits on the diagonal (a digit's 1,000 test images), off it as
        many as the largest mistake has (at least two), so that a poor model's hundreds
        never run together. A count that fits no readable font in so small a cell is left
        out (its colour still shows it; hovering over the cell says it)."""
        self._cell = cell
        diagonal = self._fitted_font("0000", cell)
        widest = max(
            (len(t.toPlainText()) for i, t in enumerate(self.counts) if not self._on_diagonal(i)),
            default=0,
        )
        mistakes = self._fitted_font("0" * max(2, widest), cell)
        for index, text in enumerate(self.counts):
            font = diagonal if self._on_diagonal(index) else mistakes
            text.setFont(font)
            width = QFontMetricsF(font).horizontalAdvance(text.toPlainText())
            text.setVisible(width <= FITS * cell)

    def _on_diagonal(self, index: int) -> bool:
        return index % (self.classes + 1) == 0

    def _fitted_font(self, widest_text: str, cell: float) -> QFont:
        font = QFont(self.count_font)
        widest = QFontMetricsF(font).horizontalAdvance(widest_text)
        if widest > 0.85 * cell:
            font.setBold(False)
            widest = QFontMetricsF(font).horizontalAdvance(widest_text)
            size = font.pointSizeF() * 0.85 * cell / widest
            font.setPointSizeF(max(SMALLEST_COUNT_POINTS, size))
        return font

    def _on_scene_mouse_moved(self, position: object) -> None:
        """Over a cell, the tooltip gives its count (which may be too small to print)."""
        point = self.plot.getViewBox().mapSceneToView(position)
        col, row = int(np.floor(point.x())), int(np.floor(point.y()))
        text = self.explanation
        if 0 <= row < self.classes and 0 <= col < self.classes and self._counts is not None:
            true, read = _name(row), _name(col)
            count = int(self._counts[row, col])
            what = "read right" if row == col else f"read as {read}"
            text = f"<b>{true} {what}: {count:,}</b><br>{text}"
        if text != self.toolTip():
            self.setToolTip(text)

    def mark(self, cell: tuple[int, int] | None) -> None:
        """Outline the cell (true, predicted), or none."""
        if cell is not None:
            self.marker.setRect(cell[1], cell[0], 1, 1)
        self.marker.setVisible(cell is not None)

    def _on_scene_mouse_clicked(self, event: object) -> None:
        point = self.plot.getViewBox().mapSceneToView(event.scenePos())
        col, row = int(np.floor(point.x())), int(np.floor(point.y()))
        if 0 <= row < self.classes and 0 <= col < self.classes:
            self.cell_clicked.emit(row, col)

    def apply_theme(self) -> None:
        background, text, _ = theme()
        self.setBackground(background)
        self.plot.titleLabel.setText(self.plot.titleLabel.text, color=text)
        for side in ("left", "bottom"):
            self.plot.getAxis(side).setTextPen(text)
            self.plot.getAxis(side).setPen(text)
        self.bar.axis.setTextPen(text)
        self.bar.axis.setPen(text)
        self.bar.axis.setLabel(BAR_LABEL, color=text.name())

    def show_evaluation(self, evaluation: Evaluation | None) -> None:
        counts = (
            np.array(evaluation.confusion, dtype=float)
            if evaluation is not None
            else np.zeros((NUM_CLASSES, NUM_CLASSES))
        )
        size = len(counts)
        self._set_size(size)
        self._counts = counts if evaluation is not None else None
        rates = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
        shown = 100 * rates
        np.fill_diagonal(shown, np.nan)  # transparent: right answers are not mistakes
        # Image pixels cover 0..size in plot coordinates: cell (r, c) spans [c, c+1].
        self.image.setImage(shown, levels=(0, 100 * CONFUSION_TOP))
        self.image.setRect(0, 0, size, size)
        for index, text in enumerate(self.counts):
            row, col = divmod(index, size)
            value = int(counts[row, col])
            shown_here = row != col or self.diagonal_counts
            text.setText(str(value) if evaluation is not None and value and shown_here else "")
            # Dark on the grey diagonal and on yellow-green, light on dark blue.
            dark = row == col or rates[row, col] >= CONFUSION_TOP * 0.6
            text.setColor(DARK_TEXT if dark else LIGHT_TEXT)
        if self._cell:
            self._fit_counts(self._cell)  # the new counts may be wider


class SampleStrip(QWidget):
    """A row of held-out samples as the network sees them: "fixed (12): [7] [1] ...", as
    many as fit whole beside the caption (the count says how many in all)."""

    MOST = 10  # more would not fit a row
    SIDE = 28  # a thumbnail's pixels
    GAP = 4

    def __init__(self, what: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.what = what
        self.setObjectName(f"{what}_samples")
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.setSpacing(self.GAP)  # set, not the style's: the fitting counts on it
        # Its size is what it is given (its hints say what it wants), never widened to
        # hold every thumbnail.
        self.row.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self.caption = QLabel()
        self.row.addWidget(self.caption)
        self.thumbnails: list[QLabel] = []
        for _ in range(self.MOST):
            label = QLabel()
            label.setFixedSize(self.SIDE, self.SIDE)
            self.row.addWidget(label)
            self.thumbnails.append(label)
        self.row.addStretch(1)
        self._shown = 0

    def _width_for(self, count: int) -> int:
        return self.caption.sizeHint().width() + count * (self.SIDE + self.GAP)

    def sizeHint(self) -> QSize:
        # What it asks for stays the same as thumbnails are hidden to fit: no feedback loop.
        return QSize(self._width_for(self._shown), self.SIDE)

    def minimumSizeHint(self) -> QSize:
        return QSize(self._width_for(min(1, self._shown)), self.SIDE)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        """Show the thumbnails that fit whole; hide the rest rather than squeeze them."""
        room = self.width() - self._width_for(0)
        fits = max(0, room // (self.SIDE + self.GAP))
        for index, label in enumerate(self.thumbnails):
            label.setVisible(index < min(fits, self._shown))

    def show_samples(self, ids: list[int], samples: PersonalSet | None) -> None:
        self.caption.setText(f"{self.what} ({len(ids)}):" if ids else f"{self.what}: none")
        by_id = {}
        if samples is not None:
            by_id = {int(i): index for index, i in enumerate(samples.ids)}
        shown = [i for i in ids if i in by_id][: self.MOST]
        self._shown = len(shown)
        for label, sample_id in zip(self.thumbnails, shown + [None] * self.MOST, strict=False):
            if sample_id is None:
                label.clear()
                label.setToolTip("")
                continue
            index = by_id[sample_id]
            label.setPixmap(thumbnail(samples.inputs[index]).pixmap(self.SIDE, self.SIDE))
            label.setToolTip(f"sample {sample_id}, a {int(samples.labels[index])}")
        self.updateGeometry()
        self._fit()


WARNING_COLOUR = "#d03030"


def non_digits_text(measured: dict | None) -> str:
    """What a model with the "not a digit" output calls so among the held-out letters and
    doodles (``training["non_digits"]``: letters_flagged, doodles_flagged, either None when
    not measured)."""
    measured = measured or {}
    letters, doodles = measured.get("letters_flagged"), measured.get("doodles_flagged")
    if letters is None and doodles is None:
        return "not measured on held-out letters or doodles"
    parts = []
    if letters is not None:
        parts.append(f"{letters:.1%} of the held-out writers' letters")
    if doodles is not None:
        parts.append(f"{doodles:.1%} of the held-out doodles")
    text = " and ".join(parts) + " called not a digit"
    if letters is None:
        text += " (letters not measured: DIGITPAD_UJI_LETTERS_DIR names no folder)"
    return text


class ResultsView(Themed, QWidget):
    """Shown when a run succeeds; the dialog keeps the result until it is saved."""

    use_requested = Signal()
    save_as_requested = Signal()
    discard_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("results")
        self.summary = QLabel()
        self.summary.setObjectName("summary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)  # its lines wrap rather than widen the dialog
        self.per_class = pg.PlotWidget()
        self.per_class.setMinimumSize(160, 150)
        fixed_plot(self.per_class, digits=True)
        self.per_class.setLabel("bottom", "digit")
        self.new_bars = pg.BarGraphItem(
            x=np.arange(10) - 0.18, height=np.zeros(10), width=0.34, brush=NEW_COLOUR
        )
        self.current_bars = pg.BarGraphItem(
            x=np.arange(10) + 0.18, height=np.zeros(10), width=0.34, brush=CURRENT_COLOUR
        )
        self.per_class.addItem(self.new_bars)
        self.per_class.addItem(self.current_bars)
        # Two side by side: smaller cells, smaller counts (two digits must not touch).
        # Short titles (the summary above says what the cells are): a title wider than
        # the matrix would widen the plot past its widget on a small screen.
        self.confusion_new = ConfusionView("New model", count_points=6.5)
        self.confusion_current = ConfusionView("Current model", with_bar=False, count_points=6.5)
        for view in (self.confusion_new, self.confusion_current):
            view.setMinimumSize(170, 150)
        self.save_problem = QLabel()
        self.save_problem.setObjectName("save_problem")
        self.save_problem.setWordWrap(True)
        self.save_problem.setTextFormat(Qt.TextFormat.RichText)
        self.save_problem.setVisible(False)
        self.save_as_button = QPushButton("Save As…")
        self.save_as_button.setObjectName("save_as")
        self.save_as_button.clicked.connect(self.save_as_requested)
        self.save_as_button.setVisible(False)
        self.use_button = QPushButton("Use This Model")
        self.use_button.setObjectName("use_model")
        self.use_button.clicked.connect(self.use_requested)
        self.discard_button = QPushButton("Discard")
        self.discard_button.setObjectName("discard")
        self.discard_button.clicked.connect(self.discard_requested)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary, 0, 0, 1, 3)
        layout.addWidget(self.per_class, 1, 0)
        layout.addWidget(self.confusion_new, 1, 1)
        layout.addWidget(self.confusion_current, 1, 2)
        layout.setRowStretch(1, 1)  # the plots take the height there is
        # The matrices take most of the width (the new one carries the colour bar too):
        # their cells hold counts; the bars read at any width.
        for column, stretch in enumerate((3, 5, 4)):
            layout.setColumnStretch(column, stretch)
        # Your samples' result: a line under the plots, then the fixed and broken ones on a
        # row of their own (beside the buttons they had too little room on a small screen).
        self.personal_summary = QLabel()
        self.personal_summary.setTextFormat(Qt.TextFormat.RichText)
        self.personal_summary.setWordWrap(True)
        self.personal_summary.setVisible(False)
        self.fixed = SampleStrip("fixed")
        self.broken = SampleStrip("broken")
        self.personal = QWidget()
        strips = QHBoxLayout(self.personal)
        strips.setContentsMargins(0, 0, 0, 0)
        strips.addWidget(self.fixed)
        strips.addWidget(self.broken)
        self.personal.setVisible(False)
        layout.addWidget(self.personal_summary, 2, 0, 1, 3)
        layout.addWidget(self.personal, 3, 0, 1, 3)
        # What it calls not a digit, and, above Use This Model, whether it can say so at
        # all where the model it would replace can.
        self.not_a_digit = QLabel()
        self.not_a_digit.setObjectName("not_a_digit")
        self.not_a_digit.setTextFormat(Qt.TextFormat.RichText)
        self.not_a_digit.setWordWrap(True)
        self.not_a_digit.setVisible(False)
        layout.addWidget(self.not_a_digit, 4, 0, 1, 3)
        layout.addWidget(self.save_problem, 5, 0, 1, 3)
        choice = QHBoxLayout()
        choice.addStretch(1)
        for button in (self.discard_button, self.save_as_button, self.use_button):
            choice.addWidget(button)
        layout.addLayout(choice, 6, 0, 1, 3)
        self.start_theming()

    def apply_theme(self) -> None:
        style_plot(self.per_class)
        for view in (self.confusion_new, self.confusion_current):
            view.apply_theme()

    def show_result(
        self,
        new: Evaluation,
        current: Evaluation | None,
        personal: PersonalValidation | None = None,
        samples: PersonalSet | None = None,
    ) -> None:
        self.discard_button.setVisible(True)  # a new result: the choice is open again
        self.use_button.setVisible(True)
        self.show_save_problem(None)
        lines = [
            f"<b style='color:#e6781e'>New model</b>: {new.accuracy:.2%} accuracy on the "
            f"10,000 MNIST test images (loss {new.loss:.4f})"
        ]
        if current is not None:
            lines.append(
                f"<b style='color:#7890aa'>Current model</b>: {current.accuracy:.2%} "
                f"(loss {current.loss:.4f})"
            )
        lines.append(
            "<small>Mistakes: how many test images of each digit (rows) were read as each "
            "other digit (columns); colour: the share of that digit's images. Hover over a "
            "cell for its count.</small>"
        )
        self.summary.setText("<br>".join(lines))
        new_percent = 100 * np.array(new.per_class_accuracy)
        current_percent = 100 * np.array(current.per_class_accuracy if current else [0.0] * 10)
        self.new_bars.setOpts(height=new_percent)
        self.current_bars.setOpts(height=current_percent)
        shown = list(new_percent) + (list(current_percent) if current else [])
        floor = accuracy_floor(shown)
        # The axis says where it starts: bars on a cut axis are never shown silently.
        style_plot(self.per_class, "Per digit")
        self.per_class.setLabel("left", f"% (axis from {floor:.0f})")
        self.per_class.setYRange(floor, 100, padding=0.02)
        self.confusion_new.show_evaluation(new)
        self.confusion_current.show_evaluation(current)
        self.show_personal(personal, samples)
        self.show_save_problem(None)

    def show_not_a_digit(
        self, new_knows: bool, in_use_knows: bool, measured: dict | None = None
    ) -> None:
        """A line on "not a digit": for a new model with that output, the share of the
        held-out writers' letters and of the held-out doodles it calls so (``measured``:
        its file's ``training["non_digits"]``, None when not measured); for one without it
        that would replace a model that has it, that it cannot say so."""
        line = None
        if new_knows:
            line = "<b>Not a digit</b>: " + non_digits_text(measured)
        elif in_use_knows:
            line = (
                f"<b style='color:{WARNING_COLOUR}'>This model cannot say 'not a digit'; the "
                "one in use can</b> (Use This Model replaces it)"
            )
        self.not_a_digit.setText(line or "")
        self.not_a_digit.setVisible(line is not None)

    def show_personal(
        self, personal: PersonalValidation | None, samples: PersonalSet | None
    ) -> None:
        """Your held-out samples before and after, and the ones it now reads right (fixed)
        or no longer reads right (broken), as thumbnails."""
        self.personal.setVisible(personal is not None)
        self.personal_summary.setVisible(personal is not None)
        if personal is None:
            return
        if not len(personal.ids):
            self.personal_summary.setText(
                "<b>Your samples</b>: none held out to score it on (keep three or more of a digit)"
            )
            self.fixed.show_samples([], samples)
            self.broken.show_samples([], samples)
            return
        count = len(personal.ids)
        right_after = int((personal.after == personal.labels).sum())
        before = (
            f"{int((personal.before == personal.labels).sum())} of {count} read right by the "
            "model in use, "
            if personal.before is not None
            else ""
        )
        self.personal_summary.setText(
            f"<b>Your {count} held-out sample{'' if count == 1 else 's'}</b>: {before}"
            f"{right_after} of {count} by the new one"
        )
        self.fixed.show_samples(personal.fixed, samples)
        self.broken.show_samples(personal.broken, samples)

    def show_kept(self) -> None:
        """The result was saved and is in use: nothing left to choose."""
        for button in (self.discard_button, self.save_as_button, self.use_button):
            button.setVisible(False)

    def show_save_problem(self, message: str | None) -> None:
        """A failed save: say why and offer to retry or to save elsewhere."""
        self.save_problem.setVisible(message is not None)
        self.save_as_button.setVisible(message is not None)
        self.use_button.setText("Use This Model" if message is None else "Retry")
        if message is not None:
            self.save_problem.setText(
                "<span style='color:#d03030'>Could not save the model:</span> "
                f"{html.escape(message)}<br>It is kept here: retry, or save it elsewhere."
            )
