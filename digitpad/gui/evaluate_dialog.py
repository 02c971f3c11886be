"""Model > Evaluate…: where the model in use errs, on MNIST's test set, on your samples or on
pen-written digits; click a cell of the mistakes to see the digits behind it, most
confidently wrong first, and open one on the canvas or keep it as your sample.

Samples kept as "not a digit" are scored when the model has that output (its matrix gets
an N row and column) and left out, with a line saying so, when it has not.

The reading runs on a worker thread (``workers.EvaluateWorker``), its progress shown stage
by stage (loading, drawing pen digits, reading), with Cancel."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from digitpad.core import pendigits, uji
from digitpad.core.data import DatasetError, find_mnist_dir, has_mnist
from digitpad.core.evaluation import Examination
from digitpad.core.familiarity import threshold_of
from digitpad.core.model_io import Model
from digitpad.core.network import NOT_A_DIGIT, NUM_CLASSES, Network
from digitpad.core.preprocess import fit_to_canvas
from digitpad.core.samples import PersonalSet, Sample, SampleError, SampleStore, label_text
from digitpad.core.teaching import as_label, not_a_digit_left_out
from digitpad.gui import file_dialogs
from digitpad.gui.placement import fitted_size
from digitpad.gui.samples_dialog import thumbnail, thumbnail_list
from digitpad.gui.settings import AppSettings
from digitpad.gui.theme import Themed
from digitpad.gui.train_results import ConfusionView
from digitpad.gui.workers import Background, EvaluateRequest, EvaluateWorker

ERROR = "<span style='color:#d03030'>{}</span>"
MOST_EXAMPLES = 200  # a cell shows its most confident this many


class EvaluateDialog(Themed, QDialog):
    """``open_input(input 28x28)`` puts a digit on the canvas."""

    open_input = Signal(object)
    idle = Signal()  # the evaluation running has ended

    def __init__(
        self,
        model_in_use: Callable[[], Model | None],
        store: Callable[[], SampleStore],
        settings: AppSettings,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Evaluate Model")
        self.setObjectName("evaluate_dialog")
        self.model_in_use, self.store, self.settings = model_in_use, store, settings
        self.pen_folder: Path | None = pendigits.default_dir()
        self.running: Background | None = None
        self.cancelling = False  # Cancel was clicked: the run's stages no longer shown
        self.result: Examination | None = None
        # The run's model, and its samples kept as "not a digit" it has no output for
        # (named when the result is): fixed when it starts, as the model may change meanwhile.
        self.scored_name = ""
        self.left_out: str | None = None
        self.cell: tuple[int, int] | None = None
        self._create_widgets()
        self._update_buttons()
        self.resize(fitted_size(self, 1000, 640))
        self.start_theming()

    def apply_theme(self) -> None:
        self.confusion.apply_theme()

    def _create_widgets(self) -> None:
        self.source = QComboBox()
        self.source.addItem("MNIST test set (10,000)", "mnist")
        self.source.addItem("My samples", "samples")
        self.source.addItem("Pen-written digits (a UCI or UJI pen-digits folder)", "pendigits")
        self.source.currentIndexChanged.connect(self._on_source_current_index_changed)
        self.pen_button = QPushButton("Pen-Digits Folder…")
        self.pen_button.clicked.connect(self._on_pen_button_clicked)
        self.run_button = QPushButton("Evaluate")
        self.run_button.setObjectName("evaluate")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self._on_run_button_clicked)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self._on_cancel_button_clicked)
        top = QHBoxLayout()
        # The folder button goes last: appearing, it must not move Evaluate from under the
        # pointer.
        for widget in (self.source, self.run_button, self.cancel_button, self.pen_button):
            top.addWidget(widget)
        top.addStretch(1)
        self.progress = QProgressBar()
        self.status = QLabel("Choose what to read, then Evaluate.")
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.status.setWordWrap(True)

        self.confusion = ConfusionView("Mistakes: click a cell to see them", diagonal_counts=True)
        self.confusion.setMinimumSize(380, 360)
        self.confusion.setVisible(False)  # until there is a result
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.confusion.cell_clicked.connect(self._on_confusion_cell_clicked)
        self.examples_title = QLabel("")
        self.examples = thumbnail_list("examples", QAbstractItemView.SelectionMode.SingleSelection)
        self.examples.itemSelectionChanged.connect(self._update_buttons)
        self.examples.itemDoubleClicked.connect(self._on_examples_item_double_clicked)
        self.open_button = QPushButton("Open on Canvas")
        self.open_button.clicked.connect(self._on_open_button_clicked)
        self.keep_button = QPushButton("Add to My Samples")
        self.keep_button.clicked.connect(self._on_keep_button_clicked)
        # What Add to My Samples did, beside it: the reading's summary above stays.
        self.kept_status = QLabel()
        self.kept_status.setObjectName("kept_status")
        self.kept_status.setTextFormat(Qt.TextFormat.RichText)
        examples_buttons = QHBoxLayout()
        examples_buttons.addWidget(self.open_button)
        examples_buttons.addWidget(self.keep_button)
        examples_buttons.addWidget(self.kept_status, 1)
        right = QVBoxLayout()
        right.addWidget(self.examples_title)
        right.addWidget(self.examples, 1)
        right.addLayout(examples_buttons)
        left = QVBoxLayout()
        left.addWidget(self.confusion, 1)
        left.addWidget(self.caption)
        middle = QHBoxLayout()
        middle.addLayout(left, 1)
        middle.addLayout(right, 1)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(middle, 1)

    # -- state -------------------------------------------------------------------------------

    def network(self) -> Network | None:
        """The network of the model in use: the one a run reads with."""
        model = self.model_in_use()
        return model.network if model is not None else None

    def _on_source_current_index_changed(self) -> None:
        # Another source: the last result was of something else, so it goes rather than
        # stand under a choice it does not answer.
        if self.running is None:
            self._show_nothing()
            self.progress.reset()
            self.status.setText(self._why_not() or "Choose what to read, then Evaluate.")
        self._update_buttons()

    def _why_not(self) -> str | None:
        """Why Evaluate is greyed with nothing running, said beside it."""
        if self.source.currentData() == "pendigits" and self.pen_folder is None:
            return (
                "Choose a pen-digits folder first (Pen-Digits Folder…): one holding "
                f"{pendigits.FILE_NAME} or {uji.DIGITS_FILE}."
            )
        return None

    def busy(self) -> bool:
        return self.running is not None

    def stop(self) -> None:
        if self.running is not None:
            self.running.stop()

    def wait(self, timeout_ms: int) -> None:
        if self.running is not None:
            self.running.wait(timeout_ms)

    def _update_buttons(self) -> None:
        running = self.running is not None
        kind = self.source.currentData()
        self.pen_button.setVisible(kind == "pendigits")
        self.run_button.setEnabled(
            not running and (kind != "pendigits" or self.pen_folder is not None)
        )
        self.cancel_button.setEnabled(running)
        self.source.setEnabled(not running)
        chosen = self._chosen() is not None
        self.open_button.setEnabled(chosen)
        self.keep_button.setEnabled(chosen)
        if kind == "pendigits":
            where = str(self.pen_folder) if self.pen_folder else "none chosen"
            self.pen_button.setToolTip(
                f"The folder holding {pendigits.FILE_NAME} or {uji.DIGITS_FILE}: {where}"
            )

    # -- a run -------------------------------------------------------------------------------

    def _request(self) -> EvaluateRequest | str:
        """What to read, or why it cannot be read (``left_out`` says what of it is not)."""
        self.left_out = None
        model = self.model_in_use()
        if model is None:
            return "No model to evaluate: open one from the Model menu."
        network = model.network
        self.scored_name = model.metadata.name or (model.path.stem if model.path else "")
        kind = self.source.currentData()
        if kind == "mnist":
            folder = self.settings.data_folder()
            if folder is None or not has_mnist(folder):
                try:
                    folder = find_mnist_dir()
                except DatasetError:
                    return (
                        "MNIST was not found: Model > Retrain… downloads it (or lets you "
                        "choose its folder)."
                    )
            return EvaluateRequest(network.copy(), "mnist", folder=folder)
        if kind == "pendigits":
            return EvaluateRequest(network.copy(), "pendigits", folder=self.pen_folder)
        try:
            personal: PersonalSet = self.store().training_set()
        except SampleError as exc:
            return str(exc)
        if not len(personal):
            return "No samples yet: draw a digit, then press the digit it is."
        images, labels = personal.inputs, personal.labels
        if network.knows_non_digits:
            # Not a digit where the window would say so: below the model's threshold; a
            # model without one, where "not a digit" holds more than half the softmax
            # (its familiarity is that log-odds).
            threshold = threshold_of(model.metadata.metrics)
            return EvaluateRequest(
                network.copy(),
                "samples",
                images=images,
                labels=labels,
                not_a_digit_below=0.0 if threshold is None else threshold,
            )
        self.left_out = not_a_digit_left_out(labels, self.scored_name or "this model")
        digits = labels != NOT_A_DIGIT
        if not digits.any():
            return f"No digit samples to read: {self.left_out}."
        return EvaluateRequest(
            network.copy(), "samples", images=images[digits], labels=labels[digits]
        )

    def _on_run_button_clicked(self) -> None:
        if self.running is not None:
            return
        request = self._request()
        if isinstance(request, str):
            self.status.setText(ERROR.format(html.escape(request)))
            return
        worker = EvaluateWorker(request)
        worker.progress.connect(self._on_worker_progress)
        worker.succeeded.connect(self._on_worker_succeeded)
        worker.failed.connect(self._on_worker_failed)
        worker.cancelled.connect(self._on_worker_cancelled)
        self.running = Background(worker, self)
        self.running.done.connect(self._on_running_done)
        self._show_nothing()
        self.cancelling = False
        self.progress.setRange(0, 0)  # busy, until the first stage says how far it is
        self.status.setText(f"Reading {html.escape(self.source.currentText())}…")
        self._update_buttons()
        self.running.start()

    def _on_cancel_button_clicked(self) -> None:
        if self.running is not None:
            self.cancelling = True
            self.status.setText("Cancelling…")
            self.running.stop()

    def _show_nothing(self) -> None:
        """No result (yet, or any more): no matrix that could pass for one without mistakes."""
        self.result, self.cell = None, None
        self.confusion.mark(None)
        self.confusion.setVisible(False)
        self.examples.clear()
        self.examples_title.setText("")
        self.caption.setText("")

    def _on_worker_progress(self, stage: str, done: int, total: int) -> None:
        """A stage of the run (``EvaluateWorker``) and how far it is; no total: busy."""
        if not self.cancelling:
            self.status.setText(html.escape(stage))
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _on_worker_succeeded(self, result: Examination) -> None:
        self.result = result
        scores = result.evaluation
        counts = np.array(scores.confusion).sum(axis=1)
        per_digit = "&emsp;".join(  # spaces a rich text would collapse
            f"{label_text(d)}: {a:.1%}" if counts[d] else f"{label_text(d)}: none"
            for d, a in enumerate(scores.per_class_accuracy)
        )
        left_out = f"<br>{html.escape(self.left_out, quote=False)}" if self.left_out else ""
        self.status.setText(
            f"<b>{scores.accuracy:.2%}</b> of {html.escape(self._what_was_read(scores.n))} "
            f"read right by <b>{html.escape(self.scored_name or 'the model in use')}</b>."
            f"{left_out}<br><small>{per_digit}</small>"
        )
        self.confusion.show_evaluation(scores)
        self.confusion.setVisible(True)
        not_a_digit = " N: not a digit." if result.classes > NUM_CLASSES else ""
        self.caption.setText(
            "Rows: the digit it is; columns: what the model read. The grey diagonal counts the "
            "right answers; each other cell one kind of mistake, its colour the share of that "
            "digit's images (5 % and more: the brightest). Under each digit on the right: how "
            f"sure the model was of its answer.{not_a_digit}"
        )
        worst = _worst_cell(scores.confusion)
        if worst is not None:
            self.show_cell(*worst)
        else:
            self.cell = None
            self.confusion.mark(None)
            self.examples.clear()
            self.examples_title.setText("No mistakes.")

    def _what_was_read(self, count: int) -> str:
        kind = self.source.currentData()
        if kind == "mnist":
            return f"the {count:,} digits of MNIST's test set"
        if kind == "samples":
            return f"your {count:,} sample{'' if count == 1 else 's'}"
        return f"{count:,} pen-written digits ({self.pen_folder})"

    def _on_worker_failed(self, message: str) -> None:
        self.status.setText(ERROR.format("Could not evaluate: ") + html.escape(message))

    def _on_worker_cancelled(self) -> None:
        self.status.setText("Cancelled.")

    def _on_running_done(self) -> None:
        if self.running is not None and not self.running.is_running():
            self.running.deleteLater()
            self.running = None
            if self.progress.maximum() == 0:  # ended in an uncounted stage: not busy now
                self.progress.setRange(0, 1)
        self._update_buttons()
        if self.running is None:
            self.idle.emit()

    def _on_pen_button_clicked(self) -> None:
        folder = file_dialogs.folder(self, file_dialogs.Files.DATA, "Pen-digits folder")
        if folder:
            self.pen_folder = Path(folder)
            self.status.setText(f"Pen digits from {html.escape(folder)}: Evaluate reads them.")
            self._update_buttons()

    # -- the examples behind a cell -----------------------------------------------------------

    def _on_confusion_cell_clicked(self, true: int, predicted: int) -> None:
        if self.result is not None:
            self.show_cell(true, predicted)

    def show_cell(self, true: int, predicted: int) -> None:
        """List the digits ``true`` read as ``predicted``, the most confident first."""
        self.cell = (true, predicted)
        self.confusion.mark(self.cell)
        indices = self.result.cell(true, predicted)
        what = (
            "read right"
            if true == predicted
            else "called not a digit"
            if predicted == NOT_A_DIGIT
            else f"read as {predicted}"
        )
        order = "most confident first" if true == predicted else "most confidently wrong first"
        count = len(indices)
        self.examples_title.setText(
            f"<b>{label_text(true)} {what}</b>: {count:,} image{'' if count == 1 else 's'}"
            + (
                f" (the {MOST_EXAMPLES} most confident shown)"
                if count > MOST_EXAMPLES
                else f", {order}"
                if count > 1
                else ""
            )
        )
        self.kept_status.setText("")
        self.examples.clear()
        confidence = self.result.confidence()
        refused = self.result.not_a_digit_share
        for index in indices[:MOST_EXAMPLES]:
            probabilities = self.result.probabilities[index]
            item = QListWidgetItem(thumbnail(self.result.images[index]), f"{confidence[index]:.0%}")
            item.setData(Qt.ItemDataRole.UserRole, int(index))
            top = np.argsort(probabilities)[::-1][:3]
            shares = ", ".join(f"{d} {probabilities[d]:.1%}" for d in top)
            if refused is not None:
                shares = f"not a digit {refused[index]:.1%}; of the digits: {shares}"
            item.setToolTip(f"{as_label(true)}, {what}: {shares}")
            self.examples.addItem(item)
        self._update_buttons()

    def _chosen(self) -> int | None:
        items = self.examples.selectedItems()
        return items[0].data(Qt.ItemDataRole.UserRole) if items else None

    def _on_examples_item_double_clicked(self, item: QListWidgetItem) -> None:
        self.open_input.emit(self.result.images[item.data(Qt.ItemDataRole.UserRole)])

    def _on_open_button_clicked(self) -> None:
        index = self._chosen()
        if index is not None:
            self.open_input.emit(self.result.images[index])

    def _on_keep_button_clicked(self) -> None:
        """Keep the chosen digit as one of your samples, with its true label."""
        index = self._chosen()
        if index is None or self.result is None:
            return
        network_input = self.result.images[index].astype(np.float32)
        canvas = np.round(fit_to_canvas(network_input) * 255) / 255
        label = int(self.result.labels[index])
        sample = Sample(
            strokes=(),
            canvas=canvas,
            network_input=network_input,
            label=label,
            predicted=int(self.result.predicted[index]),
            probabilities=self.result.probabilities[index],
        )
        try:
            self.store().add(sample)
        except SampleError as exc:
            self.kept_status.setText(ERROR.format(html.escape(f"Not kept: {exc}")))
            return
        self.kept_status.setText(f"Kept as {as_label(label)} in My Samples.")

    def closeEvent(self, event: QCloseEvent) -> None:
        self.stop()  # never waits: the run ends on its own thread
        super().closeEvent(event)


def _worst_cell(confusion: list[list[int]]) -> tuple[int, int] | None:
    """The largest mistake (true, predicted), or None when there is none."""
    counts = np.array(confusion)
    np.fill_diagonal(counts, 0)
    if not counts.any():
        return None
    true, predicted = np.unravel_index(int(counts.argmax()), counts.shape)
    return int(true), int(predicted)
