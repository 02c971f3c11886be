"""Model > Retrain…: choose an architecture and settings, watch it learn, keep or discard."""

from __future__ import annotations

import html
import math
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from digitpad.core.bundled import RECIPES
from digitpad.core.data import (
    DOWNLOAD_SIZE_MB,
    ENV_VAR,
    DatasetError,
    default_mnist_dir,
    find_mnist_dir,
    has_mnist,
)
from digitpad.core.evaluation import Evaluation
from digitpad.core.layers import Conv2D
from digitpad.core.network import INPUT_SHAPE, Network, SpecError
from digitpad.core.training import EpochEnd, TrainConfig
from digitpad.gui.describe import shape_text
from digitpad.gui.panels import MosaicPanel, filter_images, theme
from digitpad.gui.train_worker import (
    Background,
    DownloadWorker,
    TrainRequest,
    TrainResult,
    TrainWorker,
)

ACTIVATION_CHOICES = ("none", "relu", "leaky_relu", "tanh", "sigmoid")
POOL_CHOICES = ("max", "average", "none")
IMAGE_CHOICES = (1_000, 10_000, 60_000)
SMOOTHING = 0.9  # exponential moving average of the per-batch loss


class ConvBlockEditor(QWidget):
    """One conv block of a custom network: filters, kernel, stride, padding, activation, pool."""

    changed = Signal()

    def __init__(self, number: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel(f"conv {number}:"))
        self.filters = QSpinBox(minimum=1, maximum=128, value=8 * 2 ** (number - 1))
        self.kernel = QSpinBox(minimum=1, maximum=9, value=3)
        self.stride = QComboBox()
        self.stride.addItems(["1", "2"])
        self.padding = QComboBox()
        self.padding.addItems(["valid", "same"])
        self.activation = QComboBox()
        self.activation.addItems(ACTIVATION_CHOICES)
        self.activation.setCurrentText("relu")
        self.pool = QComboBox()
        self.pool.addItems(POOL_CHOICES)
        for label, widget, tip in (
            ("filters", self.filters, "Number of filters (output channels)"),
            ("k", self.kernel, "Kernel size k: each filter is k×k"),
            ("stride", self.stride, "Step between filter positions"),
            ("pad", self.padding, "valid: no padding; same: pad k//2 on every side"),
            ("act", self.activation, "Activation after the convolution"),
            ("pool", self.pool, "2×2 pooling after the activation"),
        ):
            layout.addWidget(QLabel(label))
            widget.setToolTip(tip)
            layout.addWidget(widget)
        for spin in (self.filters, self.kernel):
            spin.valueChanged.connect(self.changed)
        for combo in (self.stride, self.padding, self.activation, self.pool):
            combo.currentIndexChanged.connect(self.changed)

    def layers(self) -> list[dict]:
        layers = [
            {
                "type": "conv2d",
                "filters": self.filters.value(),
                "kernel": self.kernel.value(),
                "stride": int(self.stride.currentText()),
                "padding": self.padding.currentText(),
            }
        ]
        if self.activation.currentText() != "none":
            layers.append({"type": self.activation.currentText()})
        pool = self.pool.currentText()
        if pool != "none":
            layers.append({"type": "maxpool2d" if pool == "max" else "avgpool2d"})
        return layers


class TrainDialog(QDialog):
    """Non-modal: the main window keeps drawing and predicting while this trains.

    ``model_accepted(TrainResult)`` is emitted when the user keeps the new model.
    """

    model_accepted = Signal(object)

    def __init__(
        self, current: Network | None, settings: QSettings, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Retrain the network")
        self.setObjectName("train_dialog")
        self.current = current
        self.settings = settings
        self.training: Background | None = None
        self.download: Background | None = None
        self.result: TrainResult | None = None
        self.data_dir: Path | None = None
        self.mirrors: tuple[str, ...] | None = None  # None: the public MNIST mirrors
        self.loss_x: list[int] = []
        self.loss_y: list[float] = []
        self.val_x: list[int] = []
        self.val_y: list[float] = []
        self._smoothed: float | None = None
        self.spec_error: str | None = None  # why the custom network cannot be built
        self._build()
        self._refresh_data()
        self._on_architecture_changed()

    # -- construction --------------------------------------------------------------------

    def _build(self) -> None:
        form_box = QGroupBox("Network")
        form = QFormLayout(form_box)
        self.architecture = QComboBox()
        self.architecture.setObjectName("architecture")
        self.architecture.addItems([*RECIPES, "custom"])
        self.architecture.setToolTip(
            "classic: the tutorial's 8 filters, pool, softmax. default: two conv blocks and a "
            "dense layer. custom: build your own."
        )
        self.architecture.currentIndexChanged.connect(self._on_architecture_changed)
        form.addRow("Architecture", self.architecture)

        self.custom_box = QWidget()
        custom = QVBoxLayout(self.custom_box)
        custom.setContentsMargins(0, 0, 0, 0)
        self.block_count = QSpinBox(minimum=1, maximum=3, value=2)
        self.block_count.setObjectName("block_count")
        self.block_count.valueChanged.connect(self._on_spec_changed)
        row = QHBoxLayout()
        row.addWidget(QLabel("conv blocks"))
        row.addWidget(self.block_count)
        row.addStretch(1)
        custom.addLayout(row)
        self.blocks = [ConvBlockEditor(i + 1) for i in range(3)]
        for block in self.blocks:
            block.changed.connect(self._on_spec_changed)
            custom.addWidget(block)
        head = QHBoxLayout()
        self.global_pool = QCheckBox("global average pooling")
        self.dense = QCheckBox("dense layer of")
        self.dense.setChecked(True)
        self.dense_units = QSpinBox(minimum=4, maximum=1024, value=64)
        for widget in (self.global_pool, self.dense):
            widget.toggled.connect(self._on_spec_changed)
        self.dense_units.valueChanged.connect(self._on_spec_changed)
        head.addWidget(self.global_pool)
        head.addWidget(self.dense)
        head.addWidget(self.dense_units)
        head.addWidget(QLabel("units"))
        head.addStretch(1)
        custom.addLayout(head)
        form.addRow(self.custom_box)

        self.shapes = QLabel()
        self.shapes.setObjectName("shapes")
        self.shapes.setWordWrap(True)
        self.shapes.setTextFormat(Qt.TextFormat.RichText)
        form.addRow("Shapes", self.shapes)

        train_box = QGroupBox("Training")
        train_form = QFormLayout(train_box)
        self.epochs = QSpinBox(minimum=1, maximum=100, value=2)
        self.batch_size = QSpinBox(minimum=1, maximum=1024, value=64)
        self.learning_rate = QDoubleSpinBox(
            decimals=5, minimum=0.00001, maximum=1.0, singleStep=0.0005, value=0.001
        )
        self.optimizer = QComboBox()
        self.optimizer.addItems(["adam", "sgd"])
        self.augment = QCheckBox("shift, rotate, scale, slant, distort, vary thickness")
        self.augment.setChecked(True)
        self.images = QComboBox()
        for count in IMAGE_CHOICES:
            self.images.addItem(f"{count:,}", count)
        self.images.setCurrentIndex(2)
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1, value=0)
        self.name = QLineEdit()
        self.name.setPlaceholderText("a name for the new model")
        for label, widget, tip in (
            ("Epochs", self.epochs, "Passes over the training images"),
            ("Batch size", self.batch_size, "Images per gradient step"),
            ("Learning rate", self.learning_rate, "Step size (cosine-decayed to zero)"),
            ("Optimizer", self.optimizer, "Adam, or SGD with momentum 0.9"),
            ("Augmentation", self.augment, "Random distortions like those of mouse drawing"),
            ("Training images", self.images, "How much of MNIST's 60,000 to use"),
            ("Seed", self.seed, "The same seed and settings give the same model"),
            ("Name", self.name, "Shown in the Model menu"),
        ):
            widget.setToolTip(tip)
            widget.setObjectName(label.lower().replace(" ", "_"))
            train_form.addRow(label, widget)

        data_box = QGroupBox("Data")
        data_layout = QVBoxLayout(data_box)
        self.data_status = QLabel()
        self.data_status.setObjectName("data_status")
        self.data_status.setWordWrap(True)
        buttons = QHBoxLayout()
        self.download_button = QPushButton(f"Download MNIST ({DOWNLOAD_SIZE_MB} MB)")
        self.download_button.setObjectName("download")
        self.download_button.clicked.connect(self._on_download_clicked)
        self.folder_button = QPushButton("Choose Folder…")
        self.folder_button.setObjectName("choose_folder")
        self.folder_button.clicked.connect(self._on_folder_clicked)
        buttons.addWidget(self.download_button)
        buttons.addWidget(self.folder_button)
        self.download_progress = QProgressBar()
        self.download_progress.setVisible(False)
        data_layout.addWidget(self.data_status)
        data_layout.addLayout(buttons)
        data_layout.addWidget(self.download_progress)

        self.train_button = QPushButton("Train")
        self.train_button.setObjectName("train")
        self.train_button.setDefault(True)
        self.train_button.clicked.connect(self._on_train_clicked)
        self.cancel_button = QPushButton("Cancel Training")
        self.cancel_button.setObjectName("cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        run_row = QHBoxLayout()
        run_row.addWidget(self.train_button)
        run_row.addWidget(self.cancel_button)

        left = QVBoxLayout()
        left.addWidget(form_box)
        left.addWidget(train_box)
        left.addWidget(data_box)
        left.addLayout(run_row)
        left.addStretch(1)

        self.progress = QProgressBar()
        self.progress.setObjectName("progress")
        self.status = QLabel("Ready.")
        self.status.setObjectName("status")
        self.loss_plot = pg.PlotWidget(title="Training loss (smoothed)")
        self.loss_plot.setObjectName("loss_plot")
        self.loss_curve = self.loss_plot.plot([], [], pen=pg.mkPen((40, 110, 200), width=2))
        self.loss_plot.setLabel("bottom", "batch")
        self.accuracy_plot = pg.PlotWidget(title="Validation accuracy per epoch")
        self.accuracy_plot.setObjectName("accuracy_plot")
        self.accuracy_curve = self.accuracy_plot.plot(
            [], [], pen=pg.mkPen((230, 120, 20), width=2), symbol="o", symbolSize=6
        )
        self.accuracy_plot.setLabel("bottom", "epoch")
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.setMenuEnabled(False)
        self.filters_preview = MosaicPanel(
            "First-layer filters",
            "filters_preview",
            "The first convolutional layer's filters, refreshed after every epoch.",
            wide=2,
        )
        self.filters_preview.setMinimumHeight(120)

        self.results = QWidget()
        self.results.setObjectName("results")
        results_layout = QGridLayout(self.results)
        self.summary = QLabel()
        self.summary.setObjectName("summary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.per_class = pg.PlotWidget(title="Per-class accuracy")
        self.per_class.setMenuEnabled(False)
        self.per_class.setMouseEnabled(False, False)
        self.per_class.setXRange(-0.6, 9.6, padding=0)
        self.per_class.getAxis("bottom").setTicks([[(d, str(d)) for d in range(10)]])
        self.new_bars = pg.BarGraphItem(
            x=np.arange(10) - 0.18, height=np.zeros(10), width=0.34, brush=(230, 120, 20)
        )
        self.current_bars = pg.BarGraphItem(
            x=np.arange(10) + 0.18, height=np.zeros(10), width=0.34, brush=(120, 140, 170)
        )
        self.per_class.addItem(self.new_bars)
        self.per_class.addItem(self.current_bars)
        self.confusion_new = self._confusion_view("Confusion, new model")
        self.confusion_current = self._confusion_view("Confusion, current model")
        self.use_button = QPushButton("Use This Model")
        self.use_button.setObjectName("use_model")
        self.use_button.clicked.connect(self._on_use_clicked)
        self.discard_button = QPushButton("Discard")
        self.discard_button.setObjectName("discard")
        self.discard_button.clicked.connect(self._on_discard_clicked)
        results_layout.addWidget(self.summary, 0, 0, 1, 3)
        results_layout.addWidget(self.per_class, 1, 0)
        results_layout.addWidget(self.confusion_new[0], 1, 1)
        results_layout.addWidget(self.confusion_current[0], 1, 2)
        choice = QHBoxLayout()
        choice.addStretch(1)
        choice.addWidget(self.discard_button)
        choice.addWidget(self.use_button)
        results_layout.addLayout(choice, 2, 0, 1, 3)
        self.results.setVisible(False)

        right = QVBoxLayout()
        right.addWidget(self.progress)
        right.addWidget(self.status)
        curves = QHBoxLayout()
        curves.addWidget(self.loss_plot)
        curves.addWidget(self.accuracy_plot)
        right.addLayout(curves, 2)
        right.addWidget(self.filters_preview, 1)
        right.addWidget(self.results, 3)

        layout = QHBoxLayout(self)
        layout.addLayout(left)
        layout.addLayout(right, 1)
        self.resize(1200, 760)
        self._apply_theme()

    def _apply_theme(self) -> None:
        """Colour the plots from the system palette (again when it changes)."""
        background, text, _ = theme()
        for plot in (self.loss_plot, self.accuracy_plot, self.per_class):
            plot.setBackground(background)
            title = plot.getPlotItem().titleLabel
            title.setText(title.text, color=text)
            for side in ("left", "bottom"):
                plot.getAxis(side).setTextPen(text)
                plot.getAxis(side).setPen(text)
        for widget, _ in (self.confusion_new, self.confusion_current):
            widget.setBackground(background)
            label = widget.getItem(0, 0)
            label.setText(label.text, color=text)

    def changeEvent(self, event: QEvent) -> None:
        palette_events = (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange)
        if event.type() in palette_events and hasattr(self, "confusion_current"):
            self._apply_theme()
        super().changeEvent(event)

    @staticmethod
    def _confusion_view(title: str):
        widget = pg.GraphicsLayoutWidget()
        widget.addLabel(title, row=0, col=0)
        view = widget.addViewBox(row=1, col=0, lockAspect=True, invertY=True, enableMouse=False)
        image = pg.ImageItem(axisOrder="row-major")
        image.setColorMap(pg.colormap.get("CET-L3"))
        view.addItem(image)
        widget.setToolTip(
            "Rows: true digit, columns: predicted digit; off-diagonal cells "
            "are mistakes (brighter: more)"
        )
        return widget, image

    # -- the network spec ----------------------------------------------------------------

    def spec(self) -> dict:
        arch = self.architecture.currentText()
        if arch != "custom":
            return RECIPES[arch].spec()
        layers: list[dict] = []
        for block in self.blocks[: self.block_count.value()]:
            layers += block.layers()
        if self.global_pool.isChecked():
            layers.append({"type": "global_avgpool"})
        else:
            layers.append({"type": "flatten"})
        if self.dense.isChecked():
            layers += [{"type": "dense", "units": self.dense_units.value()}, {"type": "relu"}]
        layers.append({"type": "dense", "units": 10})
        return {"input_shape": list(INPUT_SHAPE), "layers": layers}

    def _on_architecture_changed(self) -> None:
        custom = self.architecture.currentText() == "custom"
        self.custom_box.setVisible(custom)
        self._on_spec_changed()

    def _on_spec_changed(self) -> None:
        for number, block in enumerate(self.blocks):
            block.setVisible(number < self.block_count.value())
        self.spec_error = None
        try:
            network = Network(self.spec())
        except SpecError as exc:
            self.spec_error = str(exc)
            self.shapes.setText(f"<span style='color:#d03030'>{html.escape(str(exc))}</span>")
        else:
            steps = " → ".join(
                f"{name} {shape_text(shape)}"
                for name, shape, _ in network.summary()
                if not name.startswith("flatten")
            )
            self.shapes.setText(f"{steps} → softmax<br>{network.parameter_count:,} parameters")
        self._update_buttons()

    # -- data ----------------------------------------------------------------------------

    def _refresh_data(self) -> None:
        remembered = self.settings.value("data/folder", type=str)
        self.data_dir = None
        if remembered and has_mnist(Path(remembered)):
            self.data_dir = Path(remembered)
        else:
            try:
                self.data_dir = find_mnist_dir()
            except DatasetError:
                self.data_dir = None
        if self.data_dir is not None:
            self.data_status.setText(f"MNIST found in {html.escape(str(self.data_dir))}")
        else:
            self.data_status.setText(
                f"MNIST was not found (looked in ${ENV_VAR} and {default_mnist_dir()}). "
                f"Download it (about {DOWNLOAD_SIZE_MB} MB, verified by SHA-256) or choose a "
                "folder that holds the four IDX files."
            )
        self._update_buttons()

    def _use_data_folder(self, folder: Path) -> None:
        self.settings.setValue("data/folder", str(folder))
        self._refresh_data()

    def _on_folder_clicked(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Folder with the MNIST files")
        if not chosen:
            return
        if not has_mnist(Path(chosen)):
            self.data_status.setText(
                f"<span style='color:#d03030'>{html.escape(chosen)} does not hold the four "
                "MNIST IDX files (train-images-idx3-ubyte.gz and the others).</span>"
            )
            return
        self._use_data_folder(Path(chosen))

    def _on_download_clicked(self) -> None:
        worker = DownloadWorker(default_mnist_dir(), self.mirrors)
        worker.progress.connect(self._on_download_progress)
        worker.succeeded.connect(lambda folder: self._use_data_folder(Path(folder)))
        worker.failed.connect(self._on_download_failed)
        self.download = Background(worker)
        self.download.thread.finished.connect(self._on_download_finished)
        self.download_progress.setVisible(True)
        self.download_progress.setValue(0)
        self.data_status.setText("Downloading MNIST…")
        self._update_buttons()
        self.download.start()

    def _on_download_progress(self, name: str, done: int, total: int) -> None:
        self.download_progress.setMaximum(max(total, 1))
        self.download_progress.setValue(min(done, max(total, 1)))
        self.download_progress.setFormat(f"{name}: {done / 1e6:.1f} MB")

    def _on_download_failed(self, message: str) -> None:
        self.data_status.setText(
            f"<span style='color:#d03030'>Download failed:</span> {html.escape(message)}"
        )

    def _on_download_finished(self) -> None:
        self.download_progress.setVisible(False)
        self.download = None
        self._update_buttons()

    # -- training ------------------------------------------------------------------------

    def _busy(self) -> bool:
        return self.training is not None or self.download is not None

    def _update_buttons(self) -> None:
        busy = self._busy()
        self.train_button.setEnabled(
            not busy and self.data_dir is not None and self.spec_error is None
        )
        self.cancel_button.setEnabled(self.training is not None)
        self.download_button.setEnabled(not busy and self.data_dir is None)
        self.folder_button.setEnabled(not busy)

    def config(self) -> TrainConfig:
        count = self.images.currentData()
        return TrainConfig(
            epochs=self.epochs.value(),
            batch_size=self.batch_size.value(),
            learning_rate=self.learning_rate.value(),
            optimizer=self.optimizer.currentText(),
            augment=self.augment.isChecked(),
            limit=None if count >= 60_000 else count,
            seed=self.seed.value(),
            validation_fraction=0.1,
        )

    def _on_train_clicked(self) -> None:
        if self._busy() or self.data_dir is None:
            return
        arch = self.architecture.currentText()
        name = self.name.text().strip() or f"{arch} {self.epochs.value()} epochs"
        current = self.current.copy() if self.current is not None else None
        request = TrainRequest(self.spec(), self.config(), self.data_dir, name, arch, current)
        worker = TrainWorker(request)
        worker.batch_progress.connect(self._on_batch_progress)
        worker.epoch_finished.connect(self._on_epoch_finished)
        worker.evaluating.connect(
            lambda: self.status.setText("Evaluating on the 10,000 test images…")
        )
        worker.succeeded.connect(self._on_training_succeeded)
        worker.failed.connect(self._on_training_failed)
        worker.cancelled.connect(self._on_training_cancelled)

        self.result = None
        self.results.setVisible(False)
        self.loss_x, self.loss_y, self.val_x, self.val_y = [], [], [], []
        self._smoothed = None
        self.loss_curve.setData([], [])
        self.accuracy_curve.setData([], [])
        self.progress.setValue(0)
        self.status.setText("Loading MNIST…")
        self.training = Background(worker)
        self.training.thread.finished.connect(self._on_training_finished)
        self._update_buttons()
        self.training.start()

    def _on_batch_progress(self, event) -> None:
        done = (event.epoch - 1) * event.batches + event.batch
        total = event.epochs * event.batches
        self.progress.setMaximum(total)
        self.progress.setValue(done)
        eta = int(event.eta_s)
        self.status.setText(
            f"epoch {event.epoch}/{event.epochs} · batch {event.batch}/{event.batches} · "
            f"{event.images_per_s:,.0f} images/s · about {eta // 60}:{eta % 60:02d} left"
        )
        if math.isfinite(event.loss):
            self._smoothed = (
                event.loss
                if self._smoothed is None
                else (SMOOTHING * self._smoothed + (1 - SMOOTHING) * event.loss)
            )
            self.loss_x.append(done)
            self.loss_y.append(self._smoothed)
            self.loss_curve.setData(self.loss_x, self.loss_y)

    def _on_epoch_finished(self, event: EpochEnd) -> None:
        if event.val_accuracy is not None:
            self.val_x.append(event.epoch)
            self.val_y.append(event.val_accuracy)
            self.accuracy_curve.setData(self.val_x, self.val_y)
        conv = next((layer for layer in event.network.layers if isinstance(layer, Conv2D)), None)
        if conv is not None:
            self.filters_preview.show_maps(filter_images(conv.params["weight"]))
            self.filters_preview.set_heading(f"First-layer filters after epoch {event.epoch}")

    def _on_training_succeeded(self, result: TrainResult) -> None:
        self.result = result
        new, current = result.evaluation, result.current_evaluation
        lines = [
            f"<b style='color:#e6781e'>New model</b>: {new.accuracy:.2%} accuracy on the "
            f"10,000 MNIST test images (loss {new.loss:.4f})"
        ]
        if current is not None:
            lines.append(
                f"<b style='color:#7890aa'>Current model</b>: {current.accuracy:.2%} "
                f"(loss {current.loss:.4f})"
            )
        self.summary.setText("<br>".join(lines))
        self.new_bars.setOpts(height=np.array(new.per_class_accuracy))
        self.current_bars.setOpts(
            height=np.array(current.per_class_accuracy if current else np.zeros(10))
        )
        low = min(new.per_class_accuracy + (current.per_class_accuracy if current else []))
        self.per_class.setYRange(max(0.0, low - 0.05), 1.0)
        self._show_confusion(self.confusion_new[1], new)
        self._show_confusion(self.confusion_current[1], current)
        self.results.setVisible(True)
        self.status.setText("Done. Keep the new model or discard it.")

    @staticmethod
    def _show_confusion(image: pg.ImageItem, evaluation: Evaluation | None) -> None:
        if evaluation is None:
            image.setImage(np.zeros((10, 10)), levels=(0, 1))
            return
        counts = np.array(evaluation.confusion, dtype=float)
        rates = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
        # Mistakes are rare next to the diagonal: a square root lets them show.
        image.setImage(np.sqrt(rates), levels=(0, 1))

    def _on_training_failed(self, message: str) -> None:
        self.status.setText(
            f"<span style='color:#d03030'>Training stopped:</span> {html.escape(message)}"
        )

    def _on_training_cancelled(self) -> None:
        self.status.setText("Cancelled: nothing was saved and the current model is unchanged.")

    def _on_training_finished(self) -> None:
        self.training = None
        self._update_buttons()

    def _on_cancel_clicked(self) -> None:
        if self.training is not None:
            self.status.setText("Cancelling…")
            self.training.worker.stop()

    def _on_use_clicked(self) -> None:
        if self.result is not None:
            result, self.result = self.result, None
            self.results.setVisible(False)
            self.model_accepted.emit(result)

    def _on_discard_clicked(self) -> None:
        self.result = None
        self.results.setVisible(False)
        self.status.setText("Discarded.")

    def shutdown(self) -> None:
        """Stop any worker and wait for its thread: called when the dialog or app closes."""
        for background in (self.training, self.download):
            if background is not None:
                background.stop_and_wait()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
