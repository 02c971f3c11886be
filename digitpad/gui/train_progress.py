"""The retrain dialog's live view of a run: progress, loss and accuracy curves, and the
first layer's filters as they form."""

from __future__ import annotations

import html
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from digitpad.core.layers import CONV
from digitpad.core.training import BatchEnd, EpochEnd
from digitpad.gui.network_view import FILTER_MAGNIFY
from digitpad.gui.panels import MosaicPanel, filter_images
from digitpad.gui.theme import Themed, fixed_plot, style_plot, title_size

SMOOTHING = 0.9  # exponential moving average of the per-batch loss
PREVIEW_WAITING = "First-layer filters: shown after the first epoch"

# Short: three plots share a row on a 1024 px screen (the tooltips say the rest). Where
# even these do not fit over a plot (a larger type), the shorter ones after them do.
VALIDATION_TITLE = "Held-out accuracy"
LOSS_TITLE = "Loss (smoothed)"
TITLES = {"loss_plot": (LOSS_TITLE, "Loss"), "accuracy_plot": (VALIDATION_TITLE, "Accuracy")}
# pyqtgraph's LabelItem draws the title in its own margins: a little wider than the text.
TITLE_ROOM = 6


def accuracy_floor(values: list[float]) -> float:
    """The accuracy axis's lower end, in percent: 90, or a round 10 below the lowest value.

    A fixed range keeps a 0.7-point gain looking like 0.7 points, not a cliff."""
    if not values:
        return 90.0
    return min(90.0, math.floor(min(values) / 10) * 10)


class CompactProgress(QWidget):
    """A run in one line, for the bar the dialog collapses to while the main window shows
    the network learning: progress, epoch, Stop and Expand."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compact_progress")
        self.title = QLabel("<b>Retrain</b>")
        self.progress = QProgressBar()
        self.progress.setObjectName("compact_bar")
        self.progress.setMinimumWidth(120)
        self.epoch = QLabel("Starting…")
        self.epoch.setObjectName("compact_epoch")
        self.epoch.setTextFormat(Qt.TextFormat.PlainText)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("compact_stop")
        self.stop_button.setToolTip("Cancel the run: nothing is saved")
        self.expand_button = QPushButton("Expand")
        self.expand_button.setObjectName("compact_expand")
        self.expand_button.setToolTip("The whole Retrain dialog again, with its curves")
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 2, 6, 2)
        row.addWidget(self.title)
        row.addWidget(self.progress, 1)
        row.addWidget(self.epoch, 2)
        row.addWidget(self.stop_button)
        row.addWidget(self.expand_button)

    def show_progress(self, done: int, total: int, text: str) -> None:
        self.progress.setMaximum(max(1, total))
        self.progress.setValue(done)
        self.epoch.setText(text)


class ProgressView(Themed, QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.progress = QProgressBar()
        self.progress.setObjectName("progress")
        self.status = QLabel("Ready.")
        self.status.setObjectName("status")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.RichText)  # callers escape what they show
        self.loss_plot = pg.PlotWidget()
        self.loss_plot.setObjectName("loss_plot")
        self.loss_curve = self.loss_plot.plot([], [], pen=pg.mkPen((40, 110, 200), width=2))
        self.loss_plot.setLabel("bottom", "epoch")
        self.loss_plot.setLabel("left", "loss")
        self.loss_plot.getAxis("left").enableAutoSIPrefix(False)  # 0.04, not 40 (x0.001)
        self.loss_plot.setToolTip(
            "The training loss, batch by batch, smoothed (an exponential moving average): "
            "how wrong the network is on the images it is learning from."
        )
        self.accuracy_plot = pg.PlotWidget()
        self.accuracy_plot.setObjectName("accuracy_plot")
        self.accuracy_curve = self.accuracy_plot.plot(
            [], [], pen=pg.mkPen((230, 120, 20), width=2), symbol="o", symbolSize=7
        )
        self.accuracy_plot.setLabel("bottom", "epoch")
        self.accuracy_plot.setLabel("left", "accuracy (%)")
        self.accuracy_plot.setToolTip(
            "After each epoch, the share of the validation images read right: a tenth of the "
            "training images, set aside before the run and never trained on."
        )
        self._titles = {self.loss_plot: LOSS_TITLE, self.accuracy_plot: VALIDATION_TITLE}
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.setMinimumSize(150, 130)
            fixed_plot(plot)
            plot.getViewBox().sigResized.connect(self._on_plot_view_box_resized)
            # The first and last epochs' ticks sit at the axis's ends: a narrow plot hid them.
            plot.getAxis("bottom").setStyle(hideOverlappingLabels=False)
        self.filters_preview = MosaicPanel(
            PREVIEW_WAITING,
            "filters_preview",
            "The first convolutional layer's filters, refreshed after every epoch.",
            wide=2,
            magnify=FILTER_MAGNIFY,  # as the main window's: a tenth of a filter for the gap
        )
        self.filters_preview.setMinimumSize(120, 130)
        # A run with no held-out MNIST digits (a fine-tune) has no curve here: the note
        # takes the plot's place and says why.
        self.no_validation = QLabel()
        self.no_validation.setObjectName("no_validation")
        self.no_validation.setWordWrap(True)
        self.no_validation.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_validation.setMargin(4)
        # Under the results on a short screen the note has a few lines' height: it wraps,
        # and what still does not fit scrolls rather than being cut mid-line.
        self.no_validation_scroll = QScrollArea()
        self.no_validation_scroll.setObjectName("no_validation_scroll")
        self.no_validation_scroll.setWidget(self.no_validation)
        self.no_validation_scroll.setWidgetResizable(True)
        self.no_validation_scroll.setFrameShape(QFrame.Shape.StyledPanel)
        self.no_validation_scroll.setHorizontalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        )
        self.accuracy_stack = QStackedWidget()
        self.accuracy_stack.addWidget(self.accuracy_plot)
        self.accuracy_stack.addWidget(self.no_validation_scroll)
        # One row, so the results below keep their height on a short screen.
        curves = QHBoxLayout()
        curves.addWidget(self.loss_plot, 3)
        curves.addWidget(self.accuracy_stack, 3)
        curves.addWidget(self.filters_preview, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(curves, 1)
        # The same progress in one line, for the bar the dialog collapses to.
        self.compact = CompactProgress()
        self.loss_x: list[float] = []
        self.loss_y: list[float] = []
        self.val_x: list[int] = []
        self.val_y: list[float] = []
        self._smoothed: float | None = None
        self.start_theming()
        self.reset(epochs=2)

    def apply_theme(self) -> None:
        for plot, title in self._titles.items():
            style_plot(plot, title)
        self._on_plot_view_box_resized()  # a new type size: the titles fitted again

    def _on_plot_view_box_resized(self) -> None:
        """Each plot's title: the longest of its titles that fits over its plot. (A title
        wider than that would widen the plot past its widget, which cuts it.)"""
        for plot, shown in self._titles.items():
            font = QFont(plot.font())
            font.setPointSizeF(float(title_size(plot)[:-2]))
            metrics = QFontMetricsF(font)
            room = plot.width() - plot.getAxis("left").width() - TITLE_ROOM
            choices = TITLES[plot.objectName()]
            title = next((t for t in choices if metrics.horizontalAdvance(t) <= room), choices[-1])
            if title != shown:
                self._titles[plot] = title
                style_plot(plot, title)
                # The plot was laid out wider than its widget for the longer title: lay it
                # out to the widget again, as a resize does (pyqtgraph takes None there).
                plot.resizeEvent(None)

    def reset(self, epochs: int, no_validation: str | None = None) -> None:
        """A new run: empty curves on axes that fit it, no filters yet, no progress;
        ``no_validation`` says why a run has no validation curve, in its place."""
        why = html.escape(no_validation[:1].upper() + no_validation[1:]) if no_validation else ""
        self.no_validation.setText(f"<b>{VALIDATION_TITLE}</b><br>{why}." if why else "")
        self.accuracy_stack.setCurrentIndex(1 if no_validation else 0)
        self.loss_x, self.loss_y, self.val_x, self.val_y = [], [], [], []
        self._smoothed = None
        self.loss_curve.setData([], [])
        self.accuracy_curve.setData([], [])
        ticks = [[(e, str(e)) for e in range(0, epochs + 1)]]
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.getAxis("bottom").setTicks(ticks)
        self.loss_plot.setXRange(0, epochs, padding=0.02)
        # No curve to fit yet: the axis starts as a fresh plot's (a discarded run's range
        # would otherwise stay), and fits the curve as it comes.
        self.loss_plot.setYRange(0, 1, padding=0.02)
        self.loss_plot.enableAutoRange(axis="y")
        self.accuracy_plot.setXRange(0.5, epochs + 0.5, padding=0)
        self.accuracy_plot.setYRange(accuracy_floor([]), 100, padding=0.02)
        # Nothing to show yet: a blank cell (NaN), not a grey block that looks like a filter.
        self.filters_preview.show_maps(np.full((1, 1, 1), np.nan, np.float32))
        self.filters_preview.set_heading(PREVIEW_WAITING)
        self.progress.setMaximum(1)
        self.progress.setValue(0)
        self.compact.show_progress(0, 1, "Starting…")

    def show_batch(self, event: BatchEnd) -> None:
        done = (event.epoch - 1) * event.batches + event.batch
        total = event.epochs * event.batches
        self.progress.setMaximum(total)
        self.progress.setValue(done)
        eta = int(event.eta_s)
        self.status.setText(
            f"epoch {event.epoch}/{event.epochs} · batch {event.batch}/{event.batches} · "
            f"{event.images_per_s:,.0f} images/s · about {eta // 60}:{eta % 60:02d} left"
        )
        self.compact.show_progress(
            done,
            total,
            f"epoch {event.epoch} of {event.epochs} · about {eta // 60}:{eta % 60:02d} left",
        )
        if math.isfinite(event.loss):
            self._smoothed = (
                event.loss
                if self._smoothed is None
                else SMOOTHING * self._smoothed + (1 - SMOOTHING) * event.loss
            )
            self.loss_x.append(done / event.batches)
            self.loss_y.append(self._smoothed)
            self.loss_curve.setData(self.loss_x, self.loss_y)

    def show_epoch(self, event: EpochEnd) -> None:
        if event.val_accuracy is not None:
            self.val_x.append(event.epoch)
            self.val_y.append(100 * event.val_accuracy)
            self.accuracy_curve.setData(self.val_x, self.val_y)
            self.accuracy_plot.setYRange(accuracy_floor(self.val_y), 100, padding=0.02)
        self.show_filters(event.network, f"after epoch {event.epoch}")

    def show_filters(self, network, when: str) -> None:
        """The first convolution's filters of a snapshot of the network in training."""
        conv = next((layer for layer in network.layers if layer.role == CONV), None)
        if conv is not None:
            self.filters_preview.show_maps(filter_images(conv.params["weight"]))
            self.filters_preview.set_heading(f"First-layer filters {when}")

    def stopped(self, text: str) -> None:
        """The run ended without a model: say why and leave no half-full progress bar."""
        self.progress.setMaximum(1)
        self.progress.setValue(0)
        self.status.setText(text)
        self.compact.show_progress(0, 1, "Stopped")
